//! A parser for the subset of Flink SQL the stand-in runs: `CREATE TABLE` with columns, CTAS,
//! `INSERT INTO … SELECT`, `UNION ALL`, `WHERE`, a subquery in `FROM` (the `ROW_NUMBER()`
//! de-duplication pattern) and `LIMIT`. Anything else is an [`SqlError`], never a guess: the
//! stand-in then runs the statement without moving data.

mod ast;
mod lex;

use std::collections::HashMap;

pub(crate) use ast::*;
use lex::{Tok, tokenize};

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
mod tests;
