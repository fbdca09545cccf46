//! A parser for the subset of Flink SQL the stand-in runs: `CREATE TABLE` with columns, CTAS,
//! `INSERT INTO … SELECT`, `UNION ALL`, `WHERE`, a subquery in `FROM` (the `ROW_NUMBER()`
//! de-duplication pattern) and `LIMIT`. Anything else is an [`SqlError`], never a guess: the
//! stand-in then runs the statement without moving data.

use std::collections::HashMap;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum SqlError {
    #[error("expected {expected}, found {found}")]
    Unexpected { expected: String, found: String },
    #[error("the stand-in does not run {0}")]
    Unsupported(String),
}

/// Column types as Flink names them (the ones the stand-in can write as Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlType {
    String,
    Boolean,
    Int,
    BigInt,
    Double,
    Float,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// TIMESTAMP(p) and TIMESTAMP_LTZ(p): written as Avro timestamp-millis.
    Timestamp,
    Date,
    Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    CreateTable {
        name: String,
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
    },
    CreateTableAs {
        name: String,
        query: Query,
    },
    Insert {
        target: String,
        query: Query,
    },
    Query(Query),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    /// `UNION ALL` branches, in order.
    pub branches: Vec<Select>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub items: Vec<Item>,
    pub from: From,
    pub filter: Option<Expr>,
    /// `ROW_NUMBER()` state: rows seen so far per partition key (a streaming query remembers).
    pub seen: HashMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Star,
    Expr { expr: Expr, alias: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum From {
    /// A topic: the last part of a (back-quoted, dotted) path.
    Table(String),
    Query(Box<Query>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a`, `after.x`, `` `after`.x ``, `c.FIRST_NAME`: names exactly as written.
    Column(Vec<String>),
    Str(String),
    /// A numeric literal as written.
    Num(String),
    Bool(bool),
    Null,
    Cast(Box<Expr>, SqlType),
    /// A function call, its name upper-cased.
    Call(String, Vec<Expr>),
    /// `ROW_NUMBER() OVER (PARTITION BY … ORDER BY `$rowtime` ASC)`.
    RowNumber(Vec<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => format!("`{q}`"),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Num(n) => n.clone(),
            Tok::Sym(s) => (*s).to_string(),
        }
    }
}

const SYMBOLS: &[&str] = &[
    "<>", "!=", "<=", ">=", "||", "(", ")", ",", ".", ";", "*", "=", "<", ">", "+", "-", "/",
];

fn tokenize(sql: &str) -> Result<Vec<Tok>, SqlError> {
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    // A quoted run up to `close`, where a doubled `close` stands for itself.
    let quoted = |i: &mut usize, close: char| -> Result<String, SqlError> {
        let mut text = String::new();
        loop {
            match chars.get(*i) {
                None => {
                    return Err(SqlError::Unexpected {
                        expected: format!("a closing {close}"),
                        found: "the end".into(),
                    });
                }
                Some(&c) if c == close && chars.get(*i + 1) == Some(&close) => {
                    text.push(c);
                    *i += 2;
                }
                Some(&c) if c == close => {
                    *i += 1;
                    return Ok(text);
                }
                Some(&c) => {
                    text.push(c);
                    *i += 1;
                }
            }
        }
    };
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i - 1] == '*' && chars[i] == '/') {
                i += 1;
            }
            i += 1;
        } else if c == '`' {
            i += 1;
            out.push(Tok::Quoted(quoted(&mut i, '`')?));
        } else if c == '\'' {
            i += 1;
            out.push(Tok::Str(quoted(&mut i, '\'')?));
        } else if c.is_ascii_digit() {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                i += 1;
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = SYMBOLS
                .iter()
                .find(|s| two.starts_with(**s))
                .ok_or_else(|| SqlError::Unsupported(format!("the character {c:?}")))?;
            i += sym.len();
            out.push(Tok::Sym(sym));
        }
    }
    Ok(out)
}

/// Words that end an expression or a list, so they are never read as a bare alias.
const RESERVED: &[&str] = &[
    "FROM",
    "WHERE",
    "UNION",
    "LIMIT",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IS",
    "NULL",
    "SELECT",
    "GROUP",
    "ORDER",
    "JOIN",
    "ON",
    "LEFT",
    "RIGHT",
    "INNER",
    "FULL",
    "CROSS",
    "HAVING",
    "WINDOW",
    "OVER",
    "PARTITION",
    "BY",
    "LATERAL",
    "WITH",
    "TABLE",
    "ALL",
    "DISTINCT",
];

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.peek_kw(kw);
        self.at += usize::from(yes);
        yes
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let yes = matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym);
        self.at += usize::from(yes);
        yes
    }

    fn fail<T>(&self, expected: &str) -> Result<T, SqlError> {
        let found = self.peek().map_or("the end".to_string(), Tok::show);
        // Words the subset does not know are reported as unsupported rather than as typos.
        if let Some(Tok::Word(w)) = self.peek()
            && RESERVED.contains(&w.to_ascii_uppercase().as_str())
        {
            return Err(SqlError::Unsupported(format!("{w} here")));
        }
        Err(SqlError::Unexpected {
            expected: expected.to_string(),
            found,
        })
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.fail(kw)
        }
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), SqlError> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            self.fail(&format!("`{sym}`"))
        }
    }

    fn ident(&mut self) -> Result<String, SqlError> {
        match self.peek().cloned() {
            Some(Tok::Quoted(q)) => {
                self.at += 1;
                Ok(q)
            }
            Some(Tok::Word(w)) if !RESERVED.contains(&w.to_ascii_uppercase().as_str()) => {
                self.at += 1;
                Ok(w)
            }
            _ => self.fail("a name"),
        }
    }

    /// `a`, `` `a.b.c` ``, `` `cat`.`db`.t ``: a table's topic is the last part.
    fn table_name(&mut self) -> Result<String, SqlError> {
        let mut name = self.ident()?;
        while self.eat_sym(".") {
            name = self.ident()?;
        }
        Ok(name)
    }

    fn number(&mut self) -> Result<u32, SqlError> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.at += 1;
                n.parse().or_else(|_| self.fail("a whole number"))
            }
            _ => self.fail("a number"),
        }
    }

    /// `(n)` or `(n, m)` after a type name, when present.
    fn type_args(&mut self) -> Result<Vec<u32>, SqlError> {
        let mut args = Vec::new();
        if self.eat_sym("(") {
            args.push(self.number()?);
            while self.eat_sym(",") {
                args.push(self.number()?);
            }
            self.expect_sym(")")?;
        }
        Ok(args)
    }

    fn sql_type(&mut self) -> Result<SqlType, SqlError> {
        let Some(Tok::Word(w)) = self.peek().cloned() else {
            return self.fail("a type");
        };
        self.at += 1;
        let upper = w.to_ascii_uppercase();
        let args = self.type_args()?;
        Ok(match upper.as_str() {
            "STRING" | "VARCHAR" | "CHAR" => SqlType::String,
            "BOOLEAN" => SqlType::Boolean,
            "TINYINT" | "SMALLINT" | "INT" | "INTEGER" => SqlType::Int,
            "BIGINT" => SqlType::BigInt,
            "DOUBLE" => {
                self.eat_kw("PRECISION");
                SqlType::Double
            }
            "FLOAT" | "REAL" => SqlType::Float,
            // Flink's plain DECIMAL is DECIMAL(10, 0).
            "DECIMAL" | "DEC" | "NUMERIC" => SqlType::Decimal {
                precision: args.first().copied().unwrap_or(10),
                scale: args.get(1).copied().unwrap_or(0),
            },
            "TIMESTAMP" | "TIMESTAMP_LTZ" => {
                for w in ["WITH", "WITHOUT", "LOCAL", "TIME", "ZONE"] {
                    self.eat_kw(w);
                }
                SqlType::Timestamp
            }
            "DATE" => SqlType::Date,
            "BYTES" | "BINARY" | "VARBINARY" => SqlType::Bytes,
            _ => return Err(SqlError::Unsupported(format!("the type {w}"))),
        })
    }

    /// Skip a balanced run up to the next `,` or `)` at this depth (constraints, watermarks).
    fn skip_clause(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t {
                Tok::Sym("(") => depth += 1,
                Tok::Sym(")") if depth == 0 => return,
                Tok::Sym(")") => depth -= 1,
                Tok::Sym(",") if depth == 0 => return,
                _ => {}
            }
            self.at += 1;
        }
    }

    fn column_defs(&mut self) -> Result<Vec<ColumnDef>, SqlError> {
        let mut columns = Vec::new();
        loop {
            if ["PRIMARY", "WATERMARK", "CONSTRAINT"]
                .iter()
                .any(|k| self.peek_kw(k))
            {
                self.skip_clause();
            } else {
                let name = self.ident()?;
                let ty = self.sql_type()?;
                let mut nullable = true;
                if self.eat_kw("NOT") {
                    self.expect_kw("NULL")?;
                    nullable = false;
                } else {
                    self.eat_kw("NULL");
                }
                // PRIMARY KEY NOT ENFORCED, COMMENT '…': nothing the records depend on.
                self.skip_clause();
                columns.push(ColumnDef { name, ty, nullable });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        Ok(columns)
    }

    /// `WITH ('k' = 'v', …)` table options: the stand-in's tables are all Avro topics.
    fn skip_options(&mut self) -> Result<(), SqlError> {
        if self.eat_kw("WITH") {
            self.expect_sym("(")?;
            self.skip_clause();
            while self.eat_sym(",") {
                self.skip_clause();
            }
            self.expect_sym(")")?;
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Statement, SqlError> {
        let statement = if self.eat_kw("CREATE") {
            self.expect_kw("TABLE")?;
            let if_not_exists = self.eat_kw("IF");
            if if_not_exists {
                self.expect_kw("NOT")?;
                self.expect_kw("EXISTS")?;
            }
            let name = self.table_name()?;
            if self.eat_sym("(") {
                let columns = self.column_defs()?;
                self.skip_options()?;
                if self.peek_kw("AS") {
                    return Err(SqlError::Unsupported("CREATE TABLE with columns AS".into()));
                }
                Statement::CreateTable {
                    name,
                    if_not_exists,
                    columns,
                }
            } else {
                self.skip_options()?;
                self.expect_kw("AS")?;
                Statement::CreateTableAs {
                    name,
                    query: self.query()?,
                }
            }
        } else if self.eat_kw("INSERT") {
            self.expect_kw("INTO")?;
            self.eat_kw("TABLE");
            let target = self.table_name()?;
            if matches!(self.peek(), Some(Tok::Sym("("))) {
                return Err(SqlError::Unsupported("INSERT with a column list".into()));
            }
            Statement::Insert {
                target,
                query: self.query()?,
            }
        } else {
            Statement::Query(self.query()?)
        };
        self.eat_sym(";");
        match self.peek() {
            None => Ok(statement),
            Some(_) => self.fail("the end of the statement"),
        }
    }

    fn query(&mut self) -> Result<Query, SqlError> {
        let mut branches = vec![self.select()?];
        while self.eat_kw("UNION") {
            self.expect_kw("ALL")?;
            branches.push(self.select()?);
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.number()? as usize)
        } else {
            None
        };
        Ok(Query { branches, limit })
    }

    fn select(&mut self) -> Result<Select, SqlError> {
        self.expect_kw("SELECT")?;
        self.eat_kw("ALL");
        let mut items = Vec::new();
        loop {
            if self.eat_sym("*") {
                items.push(Item::Star);
            } else {
                let expr = self.expr()?;
                let alias = if self.eat_kw("AS") {
                    Some(self.ident()?)
                } else if matches!(self.peek(), Some(Tok::Word(_) | Tok::Quoted(_))) {
                    self.ident().ok()
                } else {
                    None
                };
                items.push(Item::Expr { expr, alias });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let from = if self.eat_sym("(") {
            let q = self.query()?;
            self.expect_sym(")")?;
            From::Query(Box::new(q))
        } else {
            From::Table(self.table_name()?)
        };
        // A table alias (`FROM t c`, `FROM (…) AS d`) only qualifies columns, which the
        // evaluator resolves by falling back to the unqualified name.
        if self.eat_kw("AS") {
            self.ident()?;
        } else if matches!(self.peek(), Some(Tok::Word(_) | Tok::Quoted(_))) {
            let _ = self.ident();
        }
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            items,
            from,
            filter,
            seen: HashMap::new(),
        })
    }

    fn expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, SqlError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        let left = self.concat()?;
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let op = match self.peek() {
            Some(Tok::Sym("=")) => CmpOp::Eq,
            Some(Tok::Sym("<>" | "!=")) => CmpOp::Ne,
            Some(Tok::Sym("<")) => CmpOp::Lt,
            Some(Tok::Sym("<=")) => CmpOp::Le,
            Some(Tok::Sym(">")) => CmpOp::Gt,
            Some(Tok::Sym(">=")) => CmpOp::Ge,
            _ => return Ok(left),
        };
        self.at += 1;
        Ok(Expr::Cmp(Box::new(left), op, Box::new(self.concat()?)))
    }

    /// `a || b` is CONCAT(a, b).
    fn concat(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.primary()?;
        while self.eat_sym("||") {
            left = Expr::Call("CONCAT".into(), vec![left, self.primary()?]);
        }
        Ok(left)
    }

    fn args(&mut self) -> Result<Vec<Expr>, SqlError> {
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            loop {
                args.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
        }
        Ok(args)
    }

    fn row_number(&mut self) -> Result<Expr, SqlError> {
        self.expect_sym(")")?;
        self.expect_kw("OVER")?;
        self.expect_sym("(")?;
        let mut partition = Vec::new();
        if self.eat_kw("PARTITION") {
            self.expect_kw("BY")?;
            partition.push(self.expr()?);
            while self.eat_sym(",") {
                partition.push(self.expr()?);
            }
        }
        self.expect_kw("ORDER")?;
        self.expect_kw("BY")?;
        let order = self.ident()?;
        // Keeping the last row (DESC) retracts earlier ones: not an append-only stream.
        if order != "$rowtime" || self.eat_kw("DESC") {
            return Err(SqlError::Unsupported(
                "ROW_NUMBER() ordered other than by `$rowtime` ASC".into(),
            ));
        }
        self.eat_kw("ASC");
        self.expect_sym(")")?;
        Ok(Expr::RowNumber(partition))
    }

    fn primary(&mut self) -> Result<Expr, SqlError> {
        let Some(tok) = self.peek().cloned() else {
            return self.fail("an expression");
        };
        self.at += 1;
        match tok {
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Sym("-") => match self.primary()? {
                Expr::Num(n) => Ok(Expr::Num(format!("-{n}"))),
                _ => Err(SqlError::Unsupported("unary minus on an expression".into())),
            },
            Tok::Sym("(") => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => Ok(Expr::Null),
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") => Ok(Expr::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("FALSE") => Ok(Expr::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("CAST") => {
                self.expect_sym("(")?;
                let e = self.expr()?;
                self.expect_kw("AS")?;
                let ty = self.sql_type()?;
                self.expect_sym(")")?;
                Ok(Expr::Cast(Box::new(e), ty))
            }
            Tok::Word(w) if self.eat_sym("(") => {
                let upper = w.to_ascii_uppercase();
                if upper == "ROW_NUMBER" {
                    self.row_number()
                } else {
                    Ok(Expr::Call(upper, self.args()?))
                }
            }
            Tok::Word(_) | Tok::Quoted(_) => {
                self.at -= 1;
                let mut path = vec![self.ident()?];
                while self.eat_sym(".") {
                    path.push(self.ident()?);
                }
                Ok(Expr::Column(path))
            }
            other => {
                self.at -= 1;
                let _ = other;
                self.fail("an expression")
            }
        }
    }
}

/// Parse one statement of the subset (a trailing `;` is allowed).
pub(crate) fn parse(sql: &str) -> Result<Statement, SqlError> {
    Parser {
        toks: tokenize(sql)?,
        at: 0,
    }
    .statement()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn col(path: &[&str]) -> Expr {
        Expr::Column(path.iter().map(|s| s.to_string()).collect())
    }

    fn query(sql: &str) -> Query {
        match parse(sql).unwrap() {
            Statement::Query(q) | Statement::Insert { query: q, .. } => q,
            Statement::CreateTableAs { query, .. } => query,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn create_table_reads_columns_types_and_not_null() {
        let s = parse(
            "CREATE TABLE IF NOT EXISTS p (name STRING NOT NULL, price DECIMAL(9, 2), n INT,\n\
             big BIGINT, ok BOOLEAN, d DOUBLE, plain DECIMAL, ts TIMESTAMP(3), v VARCHAR(20),\n\
             PRIMARY KEY (name) NOT ENFORCED) WITH ('changelog.mode' = 'append');",
        )
        .unwrap();
        let Statement::CreateTable {
            name,
            if_not_exists,
            columns,
        } = s
        else {
            panic!("{s:?}")
        };
        assert_eq!((name.as_str(), if_not_exists), ("p", true));
        let types: Vec<_> = columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
        assert_eq!(
            types,
            [
                ("name", SqlType::String),
                (
                    "price",
                    SqlType::Decimal {
                        precision: 9,
                        scale: 2
                    }
                ),
                ("n", SqlType::Int),
                ("big", SqlType::BigInt),
                ("ok", SqlType::Boolean),
                ("d", SqlType::Double),
                (
                    "plain",
                    SqlType::Decimal {
                        precision: 10,
                        scale: 0
                    }
                ),
                ("ts", SqlType::Timestamp),
                ("v", SqlType::String),
            ]
        );
        assert!(!columns[0].nullable && columns[1].nullable);
    }

    #[test]
    fn insert_with_nested_fields_quoted_tables_functions_and_conditions() {
        let sql = "INSERT INTO postgres_mycontacts\n\
            SELECT 'Mrs./Mr.', SPLIT_INDEX(`after`.name, ' ', 0), after.x AS y, \
            CAST(LIST_PRICE AS DECIMAL(9, 2)), a || 'b'\n\
            FROM `postgres.public.users` -- the shop\n\
            WHERE `after` IS NOT NULL AND op = 'c' OR NOT x IS NULL;";
        let Statement::Insert { target, query } = parse(sql).unwrap() else {
            panic!()
        };
        assert_eq!(target, "postgres_mycontacts");
        let s = &query.branches[0];
        assert_eq!(s.from, From::Table("postgres.public.users".into()));
        let exprs: Vec<_> = s
            .items
            .iter()
            .map(|i| match i {
                Item::Expr { expr, alias } => (expr.clone(), alias.clone()),
                Item::Star => panic!(),
            })
            .collect();
        assert_eq!(exprs[0].0, Expr::Str("Mrs./Mr.".into()));
        assert_eq!(
            exprs[1].0,
            Expr::Call(
                "SPLIT_INDEX".into(),
                vec![
                    col(&["after", "name"]),
                    Expr::Str(" ".into()),
                    Expr::Num("0".into())
                ]
            )
        );
        assert_eq!(exprs[2], (col(&["after", "x"]), Some("y".into())));
        assert_eq!(
            exprs[3].0,
            Expr::Cast(
                Box::new(col(&["LIST_PRICE"])),
                SqlType::Decimal {
                    precision: 9,
                    scale: 2
                }
            )
        );
        assert_eq!(
            exprs[4].0,
            Expr::Call("CONCAT".into(), vec![col(&["a"]), Expr::Str("b".into())])
        );
        let Some(Expr::Or(left, right)) = &s.filter else {
            panic!("{:?}", s.filter)
        };
        assert!(matches!(**left, Expr::And(..)));
        assert!(matches!(**right, Expr::Not(_)));
    }

    #[test]
    fn union_all_ctas_limit_and_the_dedup_pattern() {
        let q = query(
            "SELECT a FROM t1 WHERE a IS NOT NULL UNION ALL SELECT b FROM `c`.`d`.t2 LIMIT 5",
        );
        assert_eq!(q.branches.len(), 2);
        assert_eq!(q.branches[1].from, From::Table("t2".into()));
        assert_eq!(q.limit, Some(5));

        let Statement::CreateTableAs { name, query } = parse(
            "CREATE TABLE d AS SELECT a, b FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b \
             ORDER BY `$rowtime` ASC) AS rownum FROM src) WHERE rownum = 1;",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(name, "d");
        let outer = &query.branches[0];
        let From::Query(inner) = &outer.from else {
            panic!()
        };
        assert_eq!(inner.branches[0].items[0], Item::Star);
        assert_eq!(
            inner.branches[0].items[1],
            Item::Expr {
                expr: Expr::RowNumber(vec![col(&["a"]), col(&["b"])]),
                alias: Some("rownum".into())
            }
        );
        assert_eq!(
            outer.filter,
            Some(Expr::Cmp(
                Box::new(col(&["rownum"])),
                CmpOp::Eq,
                Box::new(Expr::Num("1".into()))
            ))
        );
    }

    #[test]
    fn what_the_subset_lacks_is_an_error_not_a_guess() {
        for sql in [
            "SELECT a FROM t JOIN u ON t.id = u.id",
            "SELECT a, COUNT(*) FROM t GROUP BY a",
            "SELECT * FROM t, LATERAL TABLE(ML_PREDICT('m', t.x))",
            "SELECT a FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY `$rowtime` DESC) AS r FROM t)",
            "CREATE TABLE t (x GEOMETRY)",
            "INSERT INTO t (a) SELECT a FROM s",
            "SELECT 'open FROM t",
            "SELECT a FROM t ~",
        ] {
            assert!(parse(sql).is_err(), "{sql}");
        }
        assert!(matches!(
            parse("SELECT a FROM t GROUP BY a"),
            Err(SqlError::Unsupported(_))
        ));
    }
}
