//! Lessons: the course model, its parser and its lint. Pure data; no tokio, no ratatui.

pub mod aws;
pub(crate) mod block;
mod check_spec;
pub mod confluent;
pub mod course;
pub mod database;
pub mod lint;
pub mod model;
pub mod parse;
mod secrets_scan;
pub mod source;
pub mod template;
mod toml_body;
pub mod topics;

use std::fmt;

pub use aws::{
    AwsContext, NoLeftoversCheck, ObjectStore, ObjectStoreCheck, TagFilter, Warehouse,
    WarehouseRowsCheck,
};
pub use check_spec::{DEFAULT_EXPECT_STATUS, DEFAULT_HTTP_TIMEOUT, DEFAULT_TRANSIENT_STATUS};
pub use confluent::{
    ConfluentAction, ConfluentContext, ConfluentStep, ConnectorStatusCheck, ContextField,
    FlinkSqlStep, FlinkStatementCheck, FlinkWait, SchemaSubjectCheck, TagTargetSpec,
    TopicExistsCheck,
};
pub use database::{DatabaseDecl, DbEngine, Repeat, SqlRowsCheck, SqlStep, TlsMode};
pub use model::*;
pub use topics::{DEFAULT_SCAN_PER_PARTITION, RecordMatch, TopicMessagesCheck};

use crate::lesson::source::LessonSource;

/// One problem found while loading or linting lessons, printed as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: SourcePos,
    pub kind: DiagnosticKind,
    pub message: String,
}

impl Diagnostic {
    pub fn new(pos: SourcePos, kind: DiagnosticKind, message: impl Into<String>) -> Self {
        Self {
            pos,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

/// What went wrong, for tests and tooling (the message says it for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// A file named by the course could not be read.
    MissingFile,
    /// TOML (course, front matter or block body) does not parse.
    InvalidToml,
    /// A key the format does not know.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A key has a value of the wrong type or out of range (bad duration, empty id, ...).
    InvalidValue,
    /// A fenced block or step/check kind the format does not know.
    UnknownKind,
    /// Two things with the same id where ids must be unique.
    DuplicateId,
    /// `depends`, a track's lesson list or a block's `step` names something that does not exist.
    UnresolvedReference,
    /// A template names an output no earlier step provides.
    UnknownOutput,
    /// A template names a variable or secret `course.toml` does not declare.
    UndeclaredName,
    /// A template is malformed.
    BadTemplate,
    /// A secret value written into a lesson, or a secret template where it would be shown.
    SecretLiteral,
    /// Front matter missing or malformed.
    FrontMatter,
}

/// Load and validate a course. Returns the model, or every problem found (never just the first).
pub fn load_course(source: &LessonSource) -> Result<Course, Vec<Diagnostic>> {
    let course = course::load(source)?;
    let problems = lint::validate(&course);
    if problems.is_empty() {
        Ok(course)
    } else {
        Err(problems)
    }
}
