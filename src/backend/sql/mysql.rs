//! MySQL and MariaDB through `mysql_async`'s text protocol (multi-statement scripts allowed).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, DriverError, Error, OptsBuilder, Row, SslOpts, Value};

use super::{Connection, SqlError, SqlOutcome};
use crate::lesson::TlsMode;

/// MySQL's "access denied" error codes.
const ACCESS_DENIED: &[u16] = &[1044, 1045, 1698];

fn classify(conn: &Connection, e: Error) -> SqlError {
    let target = conn.describe();
    match e {
        Error::Server(s) if ACCESS_DENIED.contains(&s.code) => SqlError::Auth {
            target,
            reason: s.message,
        },
        Error::Server(s) => SqlError::Statement {
            target,
            reason: format!("{} (error {})", s.message, s.code),
        },
        Error::Driver(DriverError::NoClientSslFlagFromServer) => SqlError::TlsUnavailable {
            target,
            mode: conn.tls.name(),
        },
        other => SqlError::Connect {
            target,
            reason: other.to_string(),
        },
    }
}

fn opts(conn: &Connection, tls: bool) -> OptsBuilder {
    let builder = OptsBuilder::default()
        .ip_or_hostname(conn.host.clone())
        .tcp_port(conn.port)
        .user(Some(conn.user.clone()))
        .pass(conn.password.clone())
        .db_name(Some(conn.database.clone()))
        .prefer_socket(false);
    if tls {
        let verify = conn.tls == TlsMode::VerifyFull;
        builder.ssl_opts(
            SslOpts::default()
                .with_danger_accept_invalid_certs(!verify)
                .with_danger_skip_domain_validation(!verify),
        )
    } else {
        builder
    }
}

async fn connect(conn: &Connection) -> Result<Conn, SqlError> {
    let first = Conn::new(opts(conn, conn.tls != TlsMode::Disable)).await;
    match first {
        Ok(c) => Ok(c),
        // `prefer`: a server without TLS gets a plain connection, as libpq would do.
        Err(Error::Driver(DriverError::NoClientSslFlagFromServer))
            if conn.tls == TlsMode::Prefer =>
        {
            Conn::new(opts(conn, false))
                .await
                .map_err(|e| classify(conn, e))
        }
        Err(e) => Err(classify(conn, e)),
    }
}

pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// Split a script into statements at `;` outside quotes and comments. MySQL can run several
/// statements in one call, but then reports the changed rows of the last one only reliably;
/// one call per statement gives each its own count.
pub(super) fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            current.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                current.push(c);
            }
            '-' if chars.peek() == Some(&'-') => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            '#' => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for skipped in chars.by_ref() {
                    if last == '*' && skipped == '/' {
                        break;
                    }
                    last = skipped;
                }
            }
            ';' => {
                if !current.trim().is_empty() {
                    out.push(current.trim().to_string());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

pub(super) async fn run(conn: &Connection, sql: &str) -> Result<SqlOutcome, SqlError> {
    let mut c = connect(conn).await?;
    let mut outcome = SqlOutcome::default();
    let result: Result<(), Error> = async {
        for statement in split_statements(sql) {
            let mut result = c.query_iter(statement.as_str()).await?;
            let columns: Vec<String> = result
                .columns_ref()
                .iter()
                .map(|col| col.name_str().into_owned())
                .collect();
            outcome.affected += result.affected_rows();
            let rows: Vec<Row> = result.collect().await?;
            if !columns.is_empty() {
                outcome.columns = columns;
                outcome.rows = rows
                    .iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| row.as_ref(i).and_then(text))
                            .collect()
                    })
                    .collect();
            }
            // Anything after the first result set (a procedure's extras) is drained unread.
            result.drop_result().await?;
        }
        Ok(())
    }
    .await;
    // Closing politely can fail when the server already went away; the result is what matters.
    let _ = c.disconnect().await;
    result.map_err(|e| classify(conn, e))?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn statements_split_at_semicolons_outside_quotes_and_comments() {
        let script = "INSERT INTO t VALUES ('a;b', \"c;d\"); -- note; here\nUPDATE `we;ird` SET x = 'it\\'s;' /* ; */ ;\n\n  SELECT 1";
        assert_eq!(
            split_statements(script),
            vec![
                "INSERT INTO t VALUES ('a;b', \"c;d\")".to_string(),
                "UPDATE `we;ird` SET x = 'it\\'s;'".to_string(),
                "SELECT 1".to_string(),
            ]
        );
        assert!(split_statements(" ; -- only a comment").is_empty());
    }
}
