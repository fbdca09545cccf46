//! PostgreSQL through `tokio-postgres`'s simple-query protocol: every value arrives as text,
//! several `;`-separated statements run in one call, exactly like `psql -c`.

use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Config, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{CONNECT_TIMEOUT, Connection, SqlError, SqlOutcome, tls};
use crate::lesson::TlsMode;

fn classify(conn: &Connection, e: &tokio_postgres::Error) -> SqlError {
    let target = conn.describe();
    if let Some(db) = e.as_db_error() {
        let reason = db.message().to_string();
        if matches!(
            *db.code(),
            SqlState::INVALID_PASSWORD | SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        ) {
            return SqlError::Auth { target, reason };
        }
        return SqlError::Statement { target, reason };
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    if reason.contains("server does not support TLS") {
        return SqlError::TlsUnavailable {
            target,
            mode: conn.tls.name(),
        };
    }
    SqlError::Connect { target, reason }
}

pub(super) async fn run(conn: &Connection, sql: &str) -> Result<SqlOutcome, SqlError> {
    let mut config = Config::new();
    config
        .host(&conn.host)
        .port(conn.port)
        .user(&conn.user)
        .dbname(&conn.database)
        .application_name("cdc-workshop")
        .connect_timeout(CONNECT_TIMEOUT)
        .ssl_mode(match conn.tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyFull => SslMode::Require,
        });
    if let Some(password) = &conn.password {
        config.password(password);
    }
    let rustls =
        tls::client_config(conn.tls == TlsMode::VerifyFull).map_err(|e| SqlError::Connect {
            target: conn.describe(),
            reason: format!("TLS setup: {e}"),
        })?;
    let (client, connection) = config
        .connect(MakeRustlsConnect::new(rustls))
        .await
        .map_err(|e| classify(conn, &e))?;
    let driver = tokio::spawn(connection);
    let result = client.simple_query(sql).await;
    drop(client);
    // The connection task ends once the client is gone; its own error adds nothing.
    let _ = driver.await;
    let messages = result.map_err(|e| classify(conn, &e))?;
    let mut outcome = SqlOutcome::default();
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                outcome.columns = columns.iter().map(|c| c.name().to_string()).collect();
                outcome.rows.clear();
            }
            SimpleQueryMessage::Row(row) => {
                if outcome.columns.is_empty() {
                    outcome.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                }
                outcome.rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                );
            }
            SimpleQueryMessage::CommandComplete(n) => outcome.affected += n,
            _ => {}
        }
    }
    Ok(outcome)
}
