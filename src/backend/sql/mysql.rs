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

fn text(value: &Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

pub(super) async fn run(conn: &Connection, sql: &str) -> Result<SqlOutcome, SqlError> {
    let mut c = connect(conn).await?;
    let mut outcome = SqlOutcome::default();
    let result: Result<(), Error> = async {
        let mut result = c.query_iter(sql).await?;
        while !result.is_empty() {
            let columns: Vec<String> = result
                .columns_ref()
                .iter()
                .map(|col| col.name_str().into_owned())
                .collect();
            let rows: Vec<Row> = result.collect().await?;
            outcome.affected += result.affected_rows();
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
        }
        Ok(())
    }
    .await;
    // Closing politely can fail when the server already went away; the result is what matters.
    let _ = c.disconnect().await;
    result.map_err(|e| classify(conn, e))?;
    Ok(outcome)
}
