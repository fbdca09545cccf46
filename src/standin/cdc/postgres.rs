//! The PostgreSQL CDC source played against a real database: the publication and a logical
//! replication slot as the connector creates them, a snapshot of the captured tables, then the
//! slot's changes. The slot uses the built-in `test_decoding` plugin instead of the connector's
//! `pgoutput` (a stand-in simplification: its text lines are readable through plain SQL, so no
//! replication protocol client is needed).

use std::time::Duration;

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use super::envelope::{Change, Column, Kind, Op, Row, Table};
use super::{CdcError, Settings};

/// How long a database gets to accept the connection before the stand-in falls back to the toy.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Postgres {
    client: Client,
    slot: String,
    publication: String,
    /// `all_tables`, `filtered` or `disabled`, as the connector's `publication.autocreate.mode`.
    autocreate: String,
    tables: Vec<Table>,
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn db_err(what: &str) -> impl Fn(tokio_postgres::Error) -> CdcError + '_ {
    move |e| CdcError::Database {
        what: what.to_string(),
        message: e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
    }
}

async fn text_rows(client: &Client, sql: &str, what: &str) -> Result<Vec<Row>, CdcError> {
    let messages = client.simple_query(sql).await.map_err(db_err(what))?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(String::from)).collect())
            }
            _ => None,
        })
        .collect())
}

fn kind_of(data_type: &str, precision: Option<u32>, scale: Option<u32>) -> Kind {
    match data_type {
        "smallint" | "integer" => Kind::Int,
        "bigint" => Kind::Long,
        "real" | "double precision" => Kind::Double,
        "numeric" | "decimal" => match (precision, scale) {
            (Some(precision), Some(scale)) => Kind::Decimal { precision, scale },
            // Unconstrained numerics have no fixed scale: written as text.
            _ => Kind::Text,
        },
        "boolean" => Kind::Bool,
        "timestamp without time zone" | "timestamp with time zone" => Kind::TimestampMicros,
        "date" => Kind::Date,
        _ => Kind::Text,
    }
}

const CATALOG: &str = "SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.is_nullable, \
       c.numeric_precision, c.numeric_scale, \
       EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
               JOIN information_schema.key_column_usage k \
                 ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name \
              WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
                AND tc.table_name = c.table_name AND k.column_name = c.column_name) \
  FROM information_schema.columns c \
  JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
 WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema') \
 ORDER BY c.table_schema, c.table_name, c.ordinal_position";

impl Postgres {
    pub async fn connect(s: &Settings) -> Result<Self, CdcError> {
        let host = s.get("database.hostname").unwrap_or("localhost");
        let port = s.port(5432);
        let mut config = tokio_postgres::Config::new();
        config
            .host(host)
            .port(port)
            .user(s.get("database.user").unwrap_or("postgres"))
            .password(s.get("database.password").unwrap_or_default())
            .dbname(s.get("database.dbname").unwrap_or("postgres"))
            .connect_timeout(CONNECT_TIMEOUT);
        let (client, connection) = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(NoTls))
            .await
            .map_err(|_| CdcError::Unreachable(format!("{host}:{port} did not answer")))?
            .map_err(|e| CdcError::Unreachable(format!("{host}:{port}: {e}")))?;
        // The connection task ends when the client is dropped (the player stopped).
        tokio::spawn(connection);
        // Values are read as the server prints them; UTC and ISO make that one format.
        client
            .batch_execute("SET TIME ZONE 'UTC'; SET DateStyle = ISO")
            .await
            .map_err(db_err("the session settings"))?;
        Ok(Self {
            client,
            slot: s.get("slot.name").unwrap_or("debezium").to_string(),
            publication: s
                .get("publication.name")
                .unwrap_or("dbz_publication")
                .to_string(),
            autocreate: s
                .get("publication.autocreate.mode")
                .unwrap_or("all_tables")
                .to_string(),
            tables: Vec::new(),
        })
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The captured tables (`table.include.list` entries `schema.table`, else every base
    /// table of `public`), then the publication and the slot when missing.
    pub async fn prepare(&mut self, s: &Settings) -> Result<(), CdcError> {
        let include = s.list("table.include.list");
        let mut tables: Vec<Table> = Vec::new();
        let db = s.get("database.dbname").unwrap_or("postgres").to_string();
        for r in text_rows(&self.client, CATALOG, "the catalog query").await? {
            let [
                Some(schema),
                Some(table),
                Some(column),
                Some(data_type),
                nullable,
                precision,
                scale,
                key,
            ] = r.as_slice()
            else {
                continue;
            };
            let wanted = match &include {
                Some(list) => list.iter().any(|t| *t == format!("{schema}.{table}")),
                None => schema == "public",
            };
            if !wanted {
                continue;
            }
            let number = |v: &Option<String>| v.as_deref().and_then(|t| t.parse().ok());
            let column = Column {
                name: column.clone(),
                kind: kind_of(data_type, number(precision), number(scale)),
                nullable: nullable.as_deref() != Some("NO"),
                key: key.as_deref() == Some("t"),
            };
            match tables.last_mut() {
                Some(t) if t.schema.as_deref() == Some(schema) && t.name == *table => {
                    t.columns.push(column);
                }
                _ => tables.push(Table {
                    db: db.clone(),
                    schema: Some(schema.clone()),
                    name: table.clone(),
                    columns: vec![column],
                }),
            }
        }
        self.tables = tables;
        let exists = self
            .client
            .query(
                "SELECT 1 FROM pg_publication WHERE pubname = $1",
                &[&self.publication],
            )
            .await
            .map_err(db_err("the publication lookup"))?;
        if exists.is_empty() && self.autocreate != "disabled" {
            let scope = if self.autocreate == "filtered" && !self.tables.is_empty() {
                let names: Vec<String> = self
                    .tables
                    .iter()
                    .map(|t| {
                        format!(
                            "{}.{}",
                            ident(t.schema.as_deref().unwrap_or("public")),
                            ident(&t.name)
                        )
                    })
                    .collect();
                format!("FOR TABLE {}", names.join(", "))
            } else {
                "FOR ALL TABLES".to_string()
            };
            self.client
                .batch_execute(&format!(
                    "CREATE PUBLICATION {} {scope}",
                    ident(&self.publication)
                ))
                .await
                .map_err(db_err("creating the publication"))?;
        }
        let exists = self
            .client
            .query(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                &[&self.slot],
            )
            .await
            .map_err(db_err("the replication slot lookup"))?;
        if exists.is_empty() {
            self.client
                .query(
                    "SELECT pg_create_logical_replication_slot($1, 'test_decoding')",
                    &[&self.slot],
                )
                .await
                .map_err(db_err("creating the replication slot"))?;
        }
        Ok(())
    }

    /// Every row of every captured table as a read (`op = r`), in primary key order.
    pub async fn snapshot(&self) -> Result<Vec<Change>, CdcError> {
        let mut out = Vec::new();
        for (i, t) in self.tables.iter().enumerate() {
            let columns: Vec<String> = t.columns.iter().map(|c| ident(&c.name)).collect();
            let keys: Vec<String> = t
                .columns
                .iter()
                .filter(|c| c.key)
                .map(|c| ident(&c.name))
                .collect();
            let order = if keys.is_empty() {
                String::new()
            } else {
                format!(" ORDER BY {}", keys.join(", "))
            };
            let sql = format!(
                "SELECT {} FROM {}.{}{order}",
                columns.join(", "),
                ident(t.schema.as_deref().unwrap_or("public")),
                ident(&t.name)
            );
            for row in text_rows(&self.client, &sql, "the snapshot").await? {
                out.push(Change {
                    table: i,
                    op: Op::Read,
                    before: None,
                    after: Some(row),
                });
            }
        }
        Ok(out)
    }

    /// The changes committed since the last poll, consumed from the slot.
    pub async fn poll(&self) -> Result<Vec<Change>, CdcError> {
        let rows = self
            .client
            .query(
                "SELECT data FROM pg_logical_slot_get_changes($1, NULL, NULL)",
                &[&self.slot],
            )
            .await
            .map_err(db_err("reading the replication slot"))?;
        let mut out = Vec::new();
        for r in rows {
            let line: String = r
                .try_get(0)
                .map_err(db_err("reading the replication slot"))?;
            match self.change(&line) {
                Ok(Some(c)) => out.push(c),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "stand-in PostgreSQL change skipped"),
            }
        }
        Ok(out)
    }

    /// One `test_decoding` line as a change of a captured table (`None` for BEGIN, COMMIT,
    /// TRUNCATE and tables not captured).
    fn change(&self, line: &str) -> Result<Option<Change>, CdcError> {
        let Some(decoded) = parse_line(line)? else {
            return Ok(None);
        };
        let Some(i) = self.tables.iter().position(|t| {
            t.schema.as_deref() == Some(decoded.schema.as_str()) && t.name == decoded.table
        }) else {
            return Ok(None);
        };
        let t = &self.tables[i];
        let row = |cols: &[(String, Option<String>)]| -> Row {
            t.columns
                .iter()
                .map(|c| {
                    cols.iter()
                        .find(|(n, _)| *n == c.name)
                        .and_then(|(_, v)| v.clone())
                })
                .collect()
        };
        let before = decoded.old.as_deref().map(row);
        let after = decoded.new.as_deref().map(row);
        Ok(Some(Change {
            table: i,
            op: decoded.op,
            before,
            after,
        }))
    }
}

/// A `test_decoding` data line taken apart.
#[derive(Debug, PartialEq)]
struct Line {
    schema: String,
    table: String,
    op: Op,
    /// The old key (UPDATE of a key, DELETE): with REPLICA IDENTITY DEFAULT only the key.
    old: Option<Vec<(String, Option<String>)>>,
    new: Option<Vec<(String, Option<String>)>>,
}

fn unquote(name: &str) -> String {
    name.strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .map_or_else(|| name.to_string(), |n| n.replace("\"\"", "\""))
}

/// `table public.product: INSERT: product_id[integer]:1 name[character varying]:'x'`.
fn parse_line(line: &str) -> Result<Option<Line>, CdcError> {
    let Some(rest) = line.strip_prefix("table ") else {
        return Ok(None);
    };
    let bad = || CdcError::Decoding(line.to_string());
    let (qualified, rest) = rest.split_once(": ").ok_or_else(bad)?;
    let (op, rest) = rest
        .split_once(": ")
        .unwrap_or((rest.trim_end_matches(':'), ""));
    let (schema, table) = qualified.split_once('.').ok_or_else(bad)?;
    let (op, old, new) = match op {
        "INSERT" => (Op::Create, None, Some(test_decoding_columns(rest)?)),
        "UPDATE" => match rest.strip_prefix("old-key: ") {
            Some(both) => {
                let (old, new) = both.split_once(" new-tuple: ").ok_or_else(bad)?;
                (
                    Op::Update,
                    Some(test_decoding_columns(old)?),
                    Some(test_decoding_columns(new)?),
                )
            }
            None => (Op::Update, None, Some(test_decoding_columns(rest)?)),
        },
        "DELETE" if rest.starts_with("(no-tuple data)") => (Op::Delete, Some(Vec::new()), None),
        "DELETE" => (Op::Delete, Some(test_decoding_columns(rest)?), None),
        _ => return Ok(None),
    };
    Ok(Some(Line {
        schema: unquote(schema),
        table: unquote(table),
        op,
        old,
        new,
    }))
}

/// `name[type]:value` pairs of a `test_decoding` line; quoted values may contain spaces and
/// doubled quotes, an unquoted `null` is NULL.
pub fn test_decoding_columns(text: &str) -> Result<Vec<(String, Option<String>)>, CdcError> {
    let bad = || CdcError::Decoding(text.to_string());
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let open = rest.find('[').ok_or_else(bad)?;
        let name = unquote(&rest[..open]);
        let colon = rest.find("]:").ok_or_else(bad)?;
        rest = &rest[colon + 2..];
        let value = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut v = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c != '\'' {
                    v.push(c);
                } else if chars.peek().map(|(_, n)| *n) == Some('\'') {
                    v.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            }
            rest = &quoted[end.ok_or_else(bad)?..];
            Some(v)
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let v = &rest[..end];
            rest = &rest[end..];
            (v != "null").then(|| v.to_string())
        };
        out.push((name, value));
        rest = rest.trim_start();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn pairs(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.map(String::from)))
            .collect()
    }

    #[test]
    fn test_decoding_lines_are_split_into_columns() {
        assert_eq!(
            test_decoding_columns("id[integer]:100 item[text]:'it''s a b' amount[numeric]:null")
                .unwrap(),
            pairs(&[
                ("id", Some("100")),
                ("item", Some("it's a b")),
                ("amount", None)
            ])
        );
        assert!(test_decoding_columns("id[integer]:'open").is_err());
    }

    #[test]
    fn inserts_updates_and_deletes_become_changes() {
        let insert = parse_line(
            "table public.status_name: INSERT: status_name_id[integer]:6 status_name[character varying]:'late'",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (insert.op, insert.table.as_str()),
            (Op::Create, "status_name")
        );
        let update = parse_line(
            "table public.product: UPDATE: old-key: product_id[integer]:1 new-tuple: product_id[integer]:2 name[character varying]:'x'",
        )
        .unwrap()
        .unwrap();
        assert_eq!(update.old, Some(pairs(&[("product_id", Some("1"))])));
        assert_eq!(update.new.map(|n| n.len()), Some(2));
        let delete = parse_line("table public.product: DELETE: product_id[integer]:2")
            .unwrap()
            .unwrap();
        assert_eq!((delete.op, delete.new), (Op::Delete, None));
        assert_eq!(parse_line("BEGIN 745").unwrap(), None);
        assert_eq!(
            parse_line("table public.product: TRUNCATE: (no-flags)").unwrap(),
            None
        );
    }
}
