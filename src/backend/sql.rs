//! Source databases behind one small interface: run one statement (or a `;`-separated script)
//! against PostgreSQL or MySQL/MariaDB with pure-Rust drivers, TLS where the server offers it.

mod mysql;
mod postgres;
mod tls;

/// A MySQL value as text (the stand-in's MySQL source reads rows with it).
pub(crate) use mysql::text as mysql_text;

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use thiserror::Error;

use crate::lesson::{DbEngine, TlsMode};

/// How long connecting may take before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything needed to connect. `Debug` never shows the password.
#[derive(Clone)]
pub struct Connection {
    pub engine: DbEngine,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    pub tls: TlsMode,
}

impl Connection {
    /// `postgres://user@host:port/db` for messages: no password, ever.
    pub fn describe(&self) -> String {
        format!(
            "{}://{}@{}:{}/{}",
            self.engine.name(),
            self.user,
            self.host,
            self.port,
            self.database
        )
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (tls {})", self.describe(), self.tls.name())
    }
}

/// What a statement returned: the rows of its last result set (as text, `None` for NULL) and
/// the rows the whole script changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlOutcome {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub affected: u64,
}

#[derive(Debug, Error)]
pub enum SqlError {
    #[error(
        "cannot connect to {target}: {reason}; check the host, port and that the database accepts connections from this machine"
    )]
    Connect { target: String, reason: String },
    #[error("{target} refused the login: {reason}; check the user and password")]
    Auth { target: String, reason: String },
    #[error(
        "{target} does not offer TLS, but tls = \"{mode}\" requires it; use tls = \"prefer\" or enable TLS on the server"
    )]
    TlsUnavailable { target: String, mode: &'static str },
    #[error("{target}: {reason}")]
    Statement { target: String, reason: String },
    #[error("{target} did not answer within {secs}s")]
    Timeout { target: String, secs: u64 },
}

impl SqlError {
    /// Worth trying again later (the database may still be starting).
    pub fn is_transient(&self) -> bool {
        matches!(self, SqlError::Connect { .. } | SqlError::Timeout { .. })
    }
}

/// Runs SQL. The real one connects for every call: lessons run a handful of statements, and a
/// fresh connection is what the participant's own client would do.
pub trait SqlClient: Send + Sync {
    fn run<'a>(
        &'a self,
        conn: &'a Connection,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<SqlOutcome, SqlError>>;
}

/// PostgreSQL through `tokio-postgres`, MySQL and MariaDB through `mysql_async`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeSql;

impl SqlClient for NativeSql {
    fn run<'a>(
        &'a self,
        conn: &'a Connection,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<SqlOutcome, SqlError>> {
        Box::pin(async move {
            let work = async {
                match conn.engine {
                    DbEngine::Postgres => postgres::run(conn, sql).await,
                    DbEngine::Mysql => mysql::run(conn, sql).await,
                }
            };
            // Statements have no timeout of their own (the step's timeout interrupts them);
            // this bounds only a server that accepts the connection and then says nothing.
            match tokio::time::timeout(CONNECT_TIMEOUT * 6, work).await {
                Ok(result) => result,
                Err(_) => Err(SqlError::Timeout {
                    target: conn.describe(),
                    secs: (CONNECT_TIMEOUT * 6).as_secs(),
                }),
            }
        })
    }
}
