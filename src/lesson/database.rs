//! Source databases in the course model: `[databases.<name>]` in `course.toml` (engine and
//! connection templates), the `sql` step kind and the `sql_rows` check kind.

pub(crate) mod parse;

use super::SourcePos;
use super::template::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbEngine {
    Postgres,
    Mysql,
}

impl DbEngine {
    pub fn name(self) -> &'static str {
        match self {
            DbEngine::Postgres => "postgres",
            DbEngine::Mysql => "mysql",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            DbEngine::Postgres => 5432,
            DbEngine::Mysql => 3306,
        }
    }
}

/// How a connection uses TLS; the names and meanings follow libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain text only.
    Disable,
    /// TLS when the server offers it, plain text otherwise; the certificate is not verified
    /// (workshop VMs have self-signed ones), so this guards against eavesdropping only.
    #[default]
    Prefer,
    /// TLS or nothing; the certificate is not verified.
    Require,
    /// TLS with the certificate verified against the public roots and the host name.
    VerifyFull,
}

impl TlsMode {
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyFull => "verify-full",
        }
    }
}

/// A database lessons refer to by name.
#[derive(Debug, Clone)]
pub struct DatabaseDecl {
    pub name: String,
    pub engine: DbEngine,
    pub host: Template,
    pub port: Option<Template>,
    pub user: Template,
    /// Must be a `{{ secrets.* }}` reference.
    pub password: Option<Template>,
    pub database: Template,
    pub tls: TlsMode,
    pub pos: SourcePos,
}

/// Run SQL against a declared database; the statement is shown before it runs.
#[derive(Debug, Clone)]
pub struct SqlStep {
    pub database: String,
    pub statement: Template,
    /// Rows of a query's result shown in the step's log.
    pub max_rows: usize,
    /// Run the statement again and again ("generate changes" so CDC has something to show).
    pub repeat: Option<Repeat>,
}

/// `times` runs, `every` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub every: std::time::Duration,
    pub times: u32,
}

/// Default number of result rows an `sql` step shows.
pub const DEFAULT_SQL_MAX_ROWS: usize = 20;

/// A query against a declared database returns enough rows (and optionally a matching value).
#[derive(Debug, Clone)]
pub struct SqlRowsCheck {
    pub database: String,
    pub query: Template,
    /// At least this many rows (default 1).
    pub min_rows: u64,
    /// Regular expression the first column of the first row must match.
    pub matches: Option<String>,
}
