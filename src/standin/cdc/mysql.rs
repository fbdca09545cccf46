//! The MySQL CDC source played against a real MySQL or MariaDB: a snapshot of the included
//! tables, then each table re-read about once a second and compared with the last reading by
//! primary key (a stand-in simplification: the binlog is not read, so a row changed and changed
//! back between two readings goes unseen, and the `before` of an update is the last reading).

use std::collections::BTreeMap;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};

use super::envelope::{self, Change, Column, Kind, Op, Row, Table};
use super::{CdcError, Settings};
use crate::backend::sql::mysql_text;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct MySql {
    conn: Conn,
    tables: Vec<Table>,
    /// The last reading of each table, by record key.
    last: Vec<BTreeMap<String, Row>>,
}

fn db_err(what: &str) -> impl Fn(mysql_async::Error) -> CdcError + '_ {
    move |e| CdcError::Database {
        what: what.to_string(),
        message: e.to_string(),
    }
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn kind_of(data_type: &str, column_type: &str, precision: Option<u32>, scale: Option<u32>) -> Kind {
    let unsigned = column_type.contains("unsigned");
    match data_type {
        "tinyint" | "smallint" | "mediumint" => Kind::Int,
        "int" | "integer" if !unsigned => Kind::Int,
        "int" | "integer" | "bigint" => Kind::Long,
        "float" | "double" => Kind::Double,
        "decimal" | "numeric" => Kind::Decimal {
            precision: precision.unwrap_or(10),
            scale: scale.unwrap_or(0),
        },
        "datetime" | "timestamp" => Kind::TimestampMillis,
        "date" => Kind::Date,
        _ => Kind::Text,
    }
}

const CATALOG: &str = "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.IS_NULLABLE, \
       c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.COLUMN_KEY, c.COLUMN_TYPE \
  FROM information_schema.COLUMNS c \
  JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
 WHERE t.TABLE_TYPE = 'BASE TABLE' \
   AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
 ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION";

async fn text_rows(conn: &mut Conn, sql: &str, what: &str) -> Result<Vec<Row>, CdcError> {
    let rows: Vec<mysql_async::Row> = conn.query(sql).await.map_err(db_err(what))?;
    Ok(rows
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.as_ref(i).and_then(mysql_text))
                .collect()
        })
        .collect())
}

impl MySql {
    pub async fn connect(s: &Settings) -> Result<Self, CdcError> {
        let host = s.get("database.hostname").unwrap_or("localhost");
        let port = s.port(3306);
        let opts = OptsBuilder::default()
            .ip_or_hostname(host)
            .tcp_port(port)
            .user(s.get("database.user"))
            .pass(s.get("database.password"))
            .prefer_socket(false);
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, Conn::new(opts))
            .await
            .map_err(|_| CdcError::Unreachable(format!("{host}:{port} did not answer")))?
            .map_err(|e| CdcError::Unreachable(format!("{host}:{port}: {e}")))?;
        // TIMESTAMP columns are shown in the session's zone; UTC keeps epoch values exact.
        conn.query_drop("SET time_zone = '+00:00'")
            .await
            .map_err(db_err("the session settings"))?;
        Ok(Self {
            conn,
            tables: Vec::new(),
            last: Vec::new(),
        })
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The captured tables: `table.include.list` entries `database.table`, else every table of
    /// the databases in `database.include.list`, else every user table.
    pub async fn prepare(&mut self, s: &Settings) -> Result<(), CdcError> {
        let tables_wanted = s.list("table.include.list");
        let dbs_wanted = s.list("database.include.list");
        let mut tables: Vec<Table> = Vec::new();
        for r in text_rows(&mut self.conn, CATALOG, "the catalog query").await? {
            let [
                Some(db),
                Some(table),
                Some(column),
                Some(data_type),
                nullable,
                precision,
                scale,
                key,
                column_type,
            ] = r.as_slice()
            else {
                continue;
            };
            let wanted = match (&tables_wanted, &dbs_wanted) {
                (Some(list), _) => list.iter().any(|t| *t == format!("{db}.{table}")),
                (None, Some(dbs)) => dbs.iter().any(|d| d == db),
                (None, None) => true,
            };
            if !wanted {
                continue;
            }
            let number = |v: &Option<String>| v.as_deref().and_then(|t| t.parse().ok());
            let column = Column {
                name: column.clone(),
                kind: kind_of(
                    data_type,
                    column_type.as_deref().unwrap_or(""),
                    number(precision),
                    number(scale),
                ),
                nullable: nullable.as_deref() != Some("NO"),
                key: key.as_deref() == Some("PRI"),
            };
            match tables.last_mut() {
                Some(t) if t.db == *db && t.name == *table => t.columns.push(column),
                _ => tables.push(Table {
                    db: db.clone(),
                    schema: None,
                    name: table.clone(),
                    columns: vec![column],
                }),
            }
        }
        self.last = vec![BTreeMap::new(); tables.len()];
        self.tables = tables;
        Ok(())
    }

    async fn read(&mut self, i: usize) -> Result<BTreeMap<String, Row>, CdcError> {
        let Some(t) = self.tables.get(i) else {
            return Ok(BTreeMap::new());
        };
        let columns: Vec<String> = t.columns.iter().map(|c| ident(&c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {}.{}",
            columns.join(", "),
            ident(&t.db),
            ident(&t.name)
        );
        let t = t.clone();
        let rows = text_rows(&mut self.conn, &sql, "reading a table").await?;
        Ok(rows
            .into_iter()
            .map(|row| (envelope::key(&t, &row), row))
            .collect())
    }

    /// Every row of every included table as a read (`op = r`), in key order.
    pub async fn snapshot(&mut self) -> Result<Vec<Change>, CdcError> {
        let mut out = Vec::new();
        for i in 0..self.tables.len() {
            let now = self.read(i).await?;
            out.extend(now.values().map(|row| Change {
                table: i,
                op: Op::Read,
                before: None,
                after: Some(row.clone()),
            }));
            self.last[i] = now;
        }
        Ok(out)
    }

    /// What changed since the last reading: new keys are inserts, changed rows updates,
    /// vanished keys deletes.
    pub async fn poll(&mut self) -> Result<Vec<Change>, CdcError> {
        let mut out = Vec::new();
        for i in 0..self.tables.len() {
            let now = self.read(i).await?;
            let last = std::mem::take(&mut self.last[i]);
            out.extend(diff(i, &last, &now));
            self.last[i] = now;
        }
        Ok(out)
    }
}

fn diff(table: usize, last: &BTreeMap<String, Row>, now: &BTreeMap<String, Row>) -> Vec<Change> {
    let mut out = Vec::new();
    for (key, row) in now {
        match last.get(key) {
            None => out.push(Change {
                table,
                op: Op::Create,
                before: None,
                after: Some(row.clone()),
            }),
            Some(old) if old != row => out.push(Change {
                table,
                op: Op::Update,
                before: Some(old.clone()),
                after: Some(row.clone()),
            }),
            Some(_) => {}
        }
    }
    for (key, old) in last {
        if !now.contains_key(key) {
            out.push(Change {
                table,
                op: Op::Delete,
                before: Some(old.clone()),
                after: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_differ_by_key_into_inserts_updates_and_deletes() {
        let row = |k: &str, v: &str| {
            (
                k.to_string(),
                vec![Some(k.to_string()), Some(v.to_string())],
            )
        };
        let last: BTreeMap<_, _> = [row("a", "1"), row("b", "2"), row("c", "3")].into();
        let now: BTreeMap<_, _> = [row("a", "1"), row("b", "9"), row("d", "4")].into();
        let ops: Vec<(Op, Option<String>)> = diff(0, &last, &now)
            .into_iter()
            .map(|c| {
                let row = c.after.or(c.before).unwrap_or_default();
                (c.op, row.first().cloned().flatten())
            })
            .collect();
        assert_eq!(
            ops,
            [
                (Op::Update, Some("b".to_string())),
                (Op::Create, Some("d".to_string())),
                (Op::Delete, Some("c".to_string())),
            ]
        );
        assert_eq!(kind_of("int", "int(10) unsigned", None, None), Kind::Long);
        assert_eq!(kind_of("varchar", "varchar(50)", None, None), Kind::Text);
    }
}
