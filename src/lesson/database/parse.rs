//! `[databases.<name>]`, `sql` steps and `sql_rows` checks.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{DEFAULT_SQL_MAX_ROWS, DatabaseDecl, DbEngine, Repeat, SqlRowsCheck, SqlStep, TlsMode};
use crate::lesson::block::is_id;
use crate::lesson::check_spec::{check_regex, template};
use crate::lesson::template::Template;
use crate::lesson::toml_body::{Body, Dur, from_table, one_of};
use crate::lesson::{CheckKind, Diagnostic, DiagnosticKind, SourcePos, StepKind};

pub(crate) const SQL_KEYS: &[&str] = &["database", "statement", "max_rows", "repeat"];
pub(crate) const SQL_ROWS_KEYS: &[&str] = &["database", "query", "min_rows", "matches"];
const DATABASE_KEYS: &[&str] = &[
    "engine", "host", "port", "user", "password", "database", "tls",
];
const ENGINES: &[&str] = &["postgres", "mysql"];
const TLS_MODES: &[&str] = &["disable", "prefer", "require", "verify-full"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseRaw {
    engine: Spanned<String>,
    host: Spanned<String>,
    port: Option<Spanned<String>>,
    user: Spanned<String>,
    password: Option<Spanned<String>>,
    database: Spanned<String>,
    tls: Option<Spanned<String>>,
}

/// The `[databases]` table of `course.toml`: one sub-table per database.
pub(crate) fn databases(
    body: &Body<'_>,
    value: Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DatabaseDecl> {
    let DeValue::Table(table) = value.get_ref() else {
        diags.push(Diagnostic::new(
            body.pos(value.span().start),
            DiagnosticKind::InvalidValue,
            "[databases] in course.toml must hold one table per database, e.g. [databases.pg]",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, entry) in table.clone() {
        let what = format!("[databases.{}] in course.toml", name.get_ref());
        let pos = body.pos(name.span().start);
        if !is_id(name.get_ref()) {
            diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::InvalidValue,
                format!("{what}: use letters, digits, `-` and `_` in the name"),
            ));
        }
        let span = entry.span();
        let DeValue::Table(mut inner) = entry.into_inner() else {
            diags.push(Diagnostic::new(
                pos,
                DiagnosticKind::InvalidValue,
                format!("{what} must be a table"),
            ));
            continue;
        };
        body.reject_unknown_keys(&mut inner, DATABASE_KEYS, &what, diags);
        let Ok(raw) = from_table::<DatabaseRaw>(inner, span)
            .map_err(|e| diags.push(body.de_error(&e, &what, &pos)))
        else {
            continue;
        };
        let before = diags.len();
        let engine = match one_of(body, &raw.engine, ENGINES, "engine", &what, diags) {
            Some("mysql") => DbEngine::Mysql,
            _ => DbEngine::Postgres,
        };
        let tls = match &raw.tls {
            None => TlsMode::Prefer,
            Some(t) => match one_of(body, t, TLS_MODES, "tls", &what, diags) {
                Some("disable") => TlsMode::Disable,
                Some("require") => TlsMode::Require,
                Some("verify-full") => TlsMode::VerifyFull,
                _ => TlsMode::Prefer,
            },
        };
        let mut t = |v: &Spanned<String>, field: &str| template(body, v, field, &what, diags);
        let host = t(&raw.host, "host");
        let port = raw.port.as_ref().map(|p| t(p, "port"));
        let user = t(&raw.user, "user");
        let database = t(&raw.database, "database");
        let password = raw.password.as_ref().map(|p| t(p, "password"));
        if let Some(Some(p)) = &password
            && p.secret_names().next().is_none()
        {
            diags.push(Diagnostic::new(
                raw.password.as_ref().map_or(pos.clone(), |v| body.pos(v.span().start)),
                DiagnosticKind::SecretLiteral,
                format!(
                    "`password` of {what} must name a secret, e.g. `password = \"{{{{ secrets.db_password }}}}\"`"
                ),
            ));
        }
        if diags.len() > before {
            continue;
        }
        let (Some(host), Some(user), Some(database)) = (host, user, database) else {
            continue;
        };
        out.push(DatabaseDecl {
            name: name.get_ref().to_string(),
            engine,
            host,
            port: port.flatten(),
            user,
            password: password.flatten(),
            database,
            tls,
            pos,
        });
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRaw {
    database: Spanned<String>,
    statement: Spanned<String>,
    max_rows: Option<Spanned<usize>>,
    repeat: Option<Spanned<RepeatRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatRaw {
    every: Dur,
    times: u32,
}

/// More runs than this is a load test, not a lesson.
const MAX_REPEAT_TIMES: u32 = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRowsRaw {
    database: Spanned<String>,
    query: Spanned<String>,
    min_rows: Option<Spanned<u64>>,
    matches: Option<Spanned<String>>,
}

fn no_secret(
    body: &Body<'_>,
    value: &Spanned<String>,
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Template> {
    let t = template(body, value, field, what, diags)?;
    if t.secret_names().next().is_some() {
        diags.push(Diagnostic::new(
            body.pos(value.span().start),
            DiagnosticKind::SecretLiteral,
            format!(
                "`{field}` of {what} names a secret; SQL is shown before it runs, so keep credentials in [databases]"
            ),
        ));
        return None;
    }
    Some(t)
}

pub(crate) fn sql_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    let raw: SqlRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let statement = no_secret(body, &raw.statement, "statement", what, diags)?;
    let repeat = match raw.repeat {
        Some(r) => {
            let at = r.span().start;
            let r = r.into_inner();
            if r.times == 0 || r.times > MAX_REPEAT_TIMES || r.every.0.is_zero() {
                diags.push(Diagnostic::new(
                    body.pos(at),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "`repeat` of {what} needs `times` between 1 and {MAX_REPEAT_TIMES} and a non-zero `every`, e.g. repeat = {{ every = \"500ms\", times = 60 }}"
                    ),
                ));
                return None;
            }
            Some(Repeat {
                every: r.every.0,
                times: r.times,
            })
        }
        None => None,
    };
    Some(StepKind::Sql(SqlStep {
        repeat,
        database: raw.database.into_inner(),
        statement,
        max_rows: raw
            .max_rows
            .map_or(DEFAULT_SQL_MAX_ROWS, Spanned::into_inner)
            .max(1),
    }))
}

pub(crate) fn sql_rows_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: SqlRowsRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let query = no_secret(body, &raw.query, "query", what, diags)?;
    let matches = match raw.matches {
        Some(m) if !check_regex(body, &m, what, "", diags) => return None,
        m => m.map(Spanned::into_inner),
    };
    Some(CheckKind::SqlRows(SqlRowsCheck {
        database: raw.database.into_inner(),
        query,
        min_rows: raw.min_rows.map_or(1, Spanned::into_inner),
        matches,
    }))
}
