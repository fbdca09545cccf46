//! Which tables a Flink SQL statement reads and writes, for lineage edges. Not a SQL parser: a
//! tokenizer that knows quoting and comments, plus the handful of shapes the statement API
//! hides (`INSERT INTO t SELECT … FROM a JOIN b`, `CREATE TABLE t AS SELECT …`,
//! `CREATE TABLE t (…)`, `EXECUTE STATEMENT SET BEGIN … END`).

/// Tables read and written by one statement (names as Kafka topics: unquoted, last part of a
/// `catalog.database.table` path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFlow {
    pub reads: Vec<String>,
    pub writes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A keyword or bare identifier, upper-cased for comparison with `raw` kept.
    Word {
        upper: String,
        raw: String,
    },
    /// A back-quoted identifier: always a name, never a keyword.
    Quoted(String),
    Dot,
    Open,
    Close,
    Other,
}

fn tokenize(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                let mut name = String::new();
                while let Some(n) = chars.next() {
                    if n == '`' {
                        if chars.peek() == Some(&'`') {
                            chars.next();
                            name.push('`');
                            continue;
                        }
                        break;
                    }
                    name.push(n);
                }
                out.push(Token::Quoted(name));
            }
            '\'' => {
                while let Some(n) = chars.next() {
                    if n == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
                out.push(Token::Other);
            }
            '-' if chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
            }
            '.' => out.push(Token::Dot),
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word {
                    upper: word.to_ascii_uppercase(),
                    raw: word,
                });
            }
            c if c.is_whitespace() => {}
            _ => out.push(Token::Other),
        }
    }
    out
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word { upper, .. }) if upper == w)
}

/// The table name starting at `i` (`a`, `` `a.b` ``, `cat.db.tbl`): its last part, and the
/// index after it. `None` for anything else (a subquery, a function call).
fn name_at(tokens: &[Token], i: usize) -> Option<(String, usize)> {
    let (name, next) = path_at(tokens, i)?;
    // `name(` is a function call (TABLE(...), ML_PREDICT(...)), not a table.
    if matches!(tokens.get(next), Some(Token::Open)) {
        return None;
    }
    Some((name, next))
}

/// A dotted name's last part, whatever follows (`CREATE TABLE t (` has its columns next).
fn path_at(tokens: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut last = None;
    loop {
        let part = match tokens.get(i) {
            Some(Token::Quoted(q)) => q.clone(),
            Some(Token::Word { raw, upper }) if !RESERVED.contains(&upper.as_str()) => raw.clone(),
            _ => break,
        };
        last = Some(part);
        i += 1;
        if matches!(tokens.get(i), Some(Token::Dot)) {
            i += 1;
        } else {
            break;
        }
    }
    last.map(|l| (l, i))
}

/// Words that can follow FROM/JOIN but are not table names.
const RESERVED: &[&str] = &["SELECT", "LATERAL", "TABLE", "UNNEST", "VALUES", "WITH"];

fn push_unique(list: &mut Vec<String>, name: String) {
    if !list.contains(&name) {
        list.push(name);
    }
}

/// Names defined by `WITH name AS (…)` (and `, name AS (…)` after it): queries, not topics.
fn cte_names(tokens: &[Token]) -> Vec<String> {
    let mut names = Vec::new();
    for (i, window) in tokens.windows(3).enumerate() {
        let [name, as_kw, open] = window else {
            continue;
        };
        let starts_list = i > 0
            && (is_word(tokens.get(i - 1), "WITH")
                || matches!(tokens.get(i - 1), Some(Token::Other)));
        if starts_list && is_word(Some(as_kw), "AS") && *open == Token::Open {
            match name {
                Token::Word { raw, .. } | Token::Quoted(raw) => names.push(raw.clone()),
                _ => {}
            }
        }
    }
    names
}

/// Tables read and written by `sql` (CTE names are not tables and are left out).
pub fn table_flow(sql: &str) -> TableFlow {
    let tokens = tokenize(sql);
    let ctes = cte_names(&tokens);
    let mut flow = TableFlow::default();
    let mut i = 0;
    while i < tokens.len() {
        let here = tokens.get(i);
        let mut target = None;
        if is_word(here, "INSERT") {
            let mut j = i + 1;
            for optional in ["INTO", "OVERWRITE", "TABLE"] {
                if is_word(tokens.get(j), optional) {
                    j += 1;
                }
            }
            target = Some(j);
        } else if is_word(here, "CREATE") {
            let mut j = i + 1;
            while ["OR", "REPLACE", "TEMPORARY"]
                .iter()
                .any(|w| is_word(tokens.get(j), w))
            {
                j += 1;
            }
            if is_word(tokens.get(j), "TABLE") {
                j += 1;
                if is_word(tokens.get(j), "IF") {
                    // IF NOT EXISTS
                    j += 3;
                }
                target = Some(j);
            }
        }
        if let Some(j) = target
            && let Some((name, next)) = path_at(&tokens, j)
        {
            push_unique(&mut flow.writes, name);
            i = next;
            continue;
        }
        if (is_word(here, "FROM") || is_word(here, "JOIN"))
            && let Some((name, next)) = name_at(&tokens, i + 1)
        {
            if !ctes.contains(&name) {
                push_unique(&mut flow.reads, name);
            }
            i = next;
            continue;
        }
        i += 1;
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(reads: &[&str], writes: &[&str]) -> TableFlow {
        TableFlow {
            reads: reads.iter().map(|s| s.to_string()).collect(),
            writes: writes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_insert_reads_every_union_input_and_join_and_writes_its_target() {
        let sql = "INSERT INTO all_contacts
            SELECT c.FIRST_NAME, a.after.email FROM `XEPDB1.ORDERMGMT.CONTACTS` c
            JOIN `mysql.demo.accounts` a ON c.EMAIL = a.after.email
            UNION ALL
            SELECT FirstName, Email FROM salesforce_contacts -- the CRM side; FROM nowhere
            /* FROM ignored */";
        assert_eq!(
            table_flow(sql),
            flow(
                &[
                    "XEPDB1.ORDERMGMT.CONTACTS",
                    "mysql.demo.accounts",
                    "salesforce_contacts"
                ],
                &["all_contacts"]
            )
        );
    }

    #[test]
    fn create_table_as_select_and_plain_create_table() {
        assert_eq!(
            table_flow(
                "CREATE TABLE IF NOT EXISTS products_clean AS SELECT * FROM `cat`.`db`.`postgres.public.product`"
            ),
            flow(&["postgres.public.product"], &["products_clean"])
        );
        assert_eq!(
            table_flow(
                "CREATE TABLE salesforce_myleads (id STRING, name STRING) WITH ('value.format' = 'avro-registry')"
            ),
            flow(&[], &["salesforce_myleads"])
        );
    }

    #[test]
    fn models_functions_subqueries_and_ctes_are_not_topics() {
        let sql = "WITH recent AS (SELECT * FROM orders WHERE ts > NOW()), big AS (SELECT * FROM recent)
            INSERT INTO enriched
            SELECT r.id, p.answer FROM big r, LATERAL TABLE(ML_PREDICT('openai_model', r.text)) AS p(answer)
            JOIN (SELECT * FROM customers) c ON c.id = r.cid";
        assert_eq!(
            table_flow(sql),
            flow(&["orders", "customers"], &["enriched"])
        );
    }

    #[test]
    fn strings_and_comments_never_produce_tables() {
        assert_eq!(
            table_flow("SELECT 'FROM fake' AS x FROM real_topic -- FROM other\n"),
            flow(&["real_topic"], &[])
        );
    }
}
