//! Parsing of the Confluent pieces: `[confluent]` in `course.toml`, `flink_sql` and `confluent`
//! step bodies, and the Confluent check kinds. Same rules as every other block: unknown keys are
//! errors with a suggestion, every message names its line.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    ConfluentAction, ConfluentContext, ConfluentStep, ConnectorStatusCheck, ContextField,
    DEFAULT_FLAP_TOLERANCE, DEFAULT_FLINK_MAX_ROWS, FlinkSqlStep, FlinkStatementCheck, FlinkWait,
    SchemaSubjectCheck, TagTargetSpec, TopicExistsCheck,
};
use crate::lesson::check_spec::template;
use crate::lesson::template::Template;
use crate::lesson::toml_body::{Body, Dur, closest, from_table, one_of};
use crate::lesson::{CheckKind, Diagnostic, DiagnosticKind, SourcePos, StepKind};

pub(crate) const FLINK_SQL_KEYS: &[&str] = &["statement", "name", "wait", "max_rows", "properties"];
pub(crate) const CONFLUENT_KEYS: &[&str] = &[
    "action",
    "connector",
    "name",
    "connection_type",
    "endpoint",
    "api_key",
    "tag",
    "topic",
    "subject",
    "statement",
    "config",
];
pub(crate) const CONNECTOR_STATUS_KEYS: &[&str] = &["connector", "expect", "flap_tolerance"];
pub(crate) const FLINK_STATEMENT_KEYS: &[&str] = &["statement", "expect"];
pub(crate) const SCHEMA_SUBJECT_KEYS: &[&str] = &["subject", "min_version", "compatibility"];
pub(crate) const TOPIC_EXISTS_KEYS: &[&str] = &["topic", "min_partitions"];
pub(crate) const NO_KEYS: &[&str] = &[];

const ACTIONS: &[&str] = &[
    "create_connector",
    "pause_connector",
    "resume_connector",
    "create_flink_connection",
    "tag",
    "delete_statement",
];
const CONNECTOR_STATES: &[&str] = &["RUNNING", "PAUSED"];
const STATEMENT_PHASES: &[&str] = &[
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "DELETING",
    "FAILING",
    "FAILED",
    "STOPPING",
    "STOPPED",
    "DEGRADED",
];
const COMPATIBILITY_LEVELS: &[&str] = &[
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
];

fn invalid(body: &Body<'_>, at: usize, message: String) -> Diagnostic {
    Diagnostic::new(body.pos(at), DiagnosticKind::InvalidValue, message)
}

/// The `[confluent]` table of `course.toml`.
pub(crate) fn context(
    body: &Body<'_>,
    value: Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> ConfluentContext {
    let pos = body.pos(value.span().start);
    let what = "[confluent] in course.toml";
    let DeValue::Table(table) = value.into_inner() else {
        diags.push(Diagnostic::new(
            pos.clone(),
            DiagnosticKind::InvalidValue,
            format!("{what} must be a table of `key = \"template\"` lines"),
        ));
        return ConfluentContext::default();
    };
    let keys: Vec<&str> = ContextField::ALL.iter().map(|f| f.key()).collect();
    let mut fields = BTreeMap::new();
    for (key, value) in table {
        let at = key.span().start;
        let Some(field) = ContextField::from_key(key.get_ref()) else {
            let hint = closest(key.get_ref(), &keys)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            diags.push(Diagnostic::new(
                body.pos(at),
                DiagnosticKind::UnknownKey,
                format!(
                    "unknown key `{}` in {what}; {hint}expected one of: {}",
                    key.get_ref(),
                    keys.join(", ")
                ),
            ));
            continue;
        };
        let span = value.span();
        let Some(text) = value.get_ref().as_str() else {
            diags.push(invalid(
                body,
                span.start,
                format!("`{}` of {what} must be a string", field.key()),
            ));
            continue;
        };
        let spanned = Spanned::new(span.clone(), text.to_string());
        let Some(t) = template(body, &spanned, field.key(), what, diags) else {
            continue;
        };
        if field.is_secret() && t.secret_names().next().is_none() {
            diags.push(Diagnostic::new(
                body.pos(span.start),
                DiagnosticKind::SecretLiteral,
                format!(
                    "`{}` of {what} must name a secret, e.g. `{} = \"{{{{ secrets.<name> }}}}\"`; credentials are never written into lessons",
                    field.key(),
                    field.key()
                ),
            ));
            continue;
        }
        fields.insert(field, t);
    }
    ConfluentContext {
        fields,
        pos: Some(pos),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlinkSqlRaw {
    statement: Spanned<String>,
    name: Option<Spanned<String>>,
    wait: Option<Spanned<String>>,
    max_rows: Option<Spanned<usize>>,
    #[serde(default)]
    properties: BTreeMap<String, Spanned<String>>,
}

/// A Flink statement name: lower-case DNS labels joined by dots.
pub(crate) fn is_statement_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

pub(crate) fn flink_sql_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    let raw: FlinkSqlRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let before = diags.len();
    if raw.statement.get_ref().trim().is_empty() {
        diags.push(invalid(
            body,
            raw.statement.span().start,
            format!("`statement` of {what} is empty; write the Flink SQL statement to submit"),
        ));
    }
    let statement = template(body, &raw.statement, "statement", what, diags);
    if let Some(t) = &statement
        && t.secret_names().next().is_some()
    {
        diags.push(Diagnostic::new(
            body.pos(raw.statement.span().start),
            DiagnosticKind::SecretLiteral,
            format!(
                "`statement` of {what} names a secret; statements are shown and stored by Flink, so keep credentials in a connection (`kind = \"confluent\"`, `action = \"create_flink_connection\"`)"
            ),
        ));
    }
    if let Some(name) = &raw.name
        && !is_statement_name(name.get_ref())
    {
        diags.push(invalid(
            body,
            name.span().start,
            format!(
                "`name` of {what} is `{}`; Flink statement names are lower-case letters, digits and `-` (dot-separated labels, at most 100 characters)",
                name.get_ref()
            ),
        ));
    }
    let wait = match &raw.wait {
        None => FlinkWait::Started,
        Some(w)
            if one_of(
                body,
                w,
                &["started", "completed", "running"],
                "wait",
                what,
                diags,
            )
            .is_some() =>
        {
            match w.get_ref().as_str() {
                "completed" => FlinkWait::Completed,
                "running" => FlinkWait::Running,
                _ => FlinkWait::Started,
            }
        }
        Some(_) => FlinkWait::Started,
    };
    if let Some(m) = &raw.max_rows
        && *m.get_ref() == 0
    {
        diags.push(invalid(
            body,
            m.span().start,
            format!("`max_rows` of {what} is 0; leave it out or show at least one row"),
        ));
    }
    let mut properties = BTreeMap::new();
    for (key, value) in &raw.properties {
        if let Some(t) = template(body, value, &format!("properties.{key}"), what, diags) {
            properties.insert(key.clone(), t);
        }
    }
    if diags.len() > before {
        return None;
    }
    Some(StepKind::FlinkSql(FlinkSqlStep {
        statement: statement?,
        name: raw.name.map(Spanned::into_inner),
        wait,
        max_rows: raw
            .max_rows
            .map_or(DEFAULT_FLINK_MAX_ROWS, Spanned::into_inner),
        properties,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfluentRaw {
    action: Spanned<String>,
    connector: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    connection_type: Option<Spanned<String>>,
    endpoint: Option<Spanned<String>>,
    api_key: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    topic: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    statement: Option<Spanned<String>>,
    config: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
}

impl ConfluentRaw {
    fn present(&self) -> Vec<(&'static str, &Spanned<String>)> {
        [
            ("connector", &self.connector),
            ("name", &self.name),
            ("connection_type", &self.connection_type),
            ("endpoint", &self.endpoint),
            ("api_key", &self.api_key),
            ("tag", &self.tag),
            ("topic", &self.topic),
            ("subject", &self.subject),
            ("statement", &self.statement),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }
}

/// The keys each action needs (and the only ones it accepts besides `action`).
fn action_keys(action: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        "create_connector" => (&["connector"], &[]),
        "pause_connector" | "resume_connector" => (&["connector"], &[]),
        "create_flink_connection" => (&["name", "connection_type", "endpoint", "api_key"], &[]),
        "tag" => (&["tag"], &["topic", "subject"]),
        _ => (&["statement"], &[]),
    }
}

pub(crate) fn confluent_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    let raw: ConfluentRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    one_of(body, &raw.action, ACTIONS, "action", what, diags)?;
    let action = raw.action.get_ref().as_str();
    let before = diags.len();
    let (required, either) = action_keys(action);
    for (key, value) in raw.present() {
        if !required.contains(&key) && !either.contains(&key) {
            diags.push(Diagnostic::new(
                body.pos(value.span().start),
                DiagnosticKind::UnknownKey,
                format!(
                    "`{key}` does not apply to action `{action}` ({what}); it takes: {}",
                    required
                        .iter()
                        .chain(either)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let present = raw.present();
    let get = |key: &str| present.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    for key in required {
        if get(key).is_none() {
            diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::MissingKey,
                format!("{what} (action `{action}`) is missing `{key}`; add a `{key} = ...` line"),
            ));
        }
    }
    let wants_config = action == "create_connector";
    match (&raw.config, wants_config) {
        (Some(c), false) => diags.push(Diagnostic::new(
            body.pos(c.span().start),
            DiagnosticKind::UnknownKey,
            format!("`config` does not apply to action `{action}` ({what})"),
        )),
        (None, true) => diags.push(Diagnostic::new(
            pos.clone(),
            DiagnosticKind::MissingKey,
            format!("{what} (action `{action}`) is missing `config`; add a `[config]` table with `\"connector.class\" = \"...\"` and the connector's settings"),
        )),
        (Some(c), true) if !c.get_ref().contains_key("connector.class") => diags.push(Diagnostic::new(
            body.pos(c.span().start),
            DiagnosticKind::MissingKey,
            format!("`config` of {what} has no `connector.class`; name the plugin, e.g. \"connector.class\" = \"PostgresCdcSourceV2\""),
        )),
        _ => {}
    }
    if !either.is_empty() && either.iter().filter(|k| get(k).is_some()).count() != 1 {
        diags.push(Diagnostic::new(
            pos.clone(),
            DiagnosticKind::MissingKey,
            format!(
                "{what} (action `{action}`) needs exactly one of: {}",
                either.join(", ")
            ),
        ));
    }
    if diags.len() > before {
        return None;
    }
    let mut t = |key: &str| get(key).and_then(|v| template(body, v, key, what, diags));
    let action = match action {
        "create_connector" => {
            let connector = t("connector")?;
            let mut config = BTreeMap::new();
            for (key, value) in raw
                .config
                .as_ref()
                .map(|c| c.get_ref().iter())
                .into_iter()
                .flatten()
            {
                let field = format!("config.{key}");
                if let Some(t) = template(body, value, &field, what, diags) {
                    config.insert(key.clone(), t);
                }
            }
            ConfluentAction::CreateConnector { connector, config }
        }
        "pause_connector" => ConfluentAction::PauseConnector {
            connector: t("connector")?,
        },
        "resume_connector" => ConfluentAction::ResumeConnector {
            connector: t("connector")?,
        },
        "create_flink_connection" => {
            let api_key = t("api_key")?;
            let connection_type = get("connection_type")?.get_ref().to_ascii_uppercase();
            let (name, endpoint) = (t("name")?, t("endpoint")?);
            if api_key.secret_names().next().is_none() {
                diags.push(Diagnostic::new(
                    get("api_key").map_or(pos.clone(), |v| body.pos(v.span().start)),
                    DiagnosticKind::SecretLiteral,
                    format!(
                        "`api_key` of {what} must name a secret, e.g. `api_key = \"{{{{ secrets.openai_api_key }}}}\"`"
                    ),
                ));
                return None;
            }
            ConfluentAction::CreateFlinkConnection {
                name,
                connection_type,
                endpoint,
                api_key,
            }
        }
        "tag" => {
            let tag = get("tag")?.get_ref().clone();
            let target = match (get("topic"), get("subject")) {
                (Some(_), _) => TagTargetSpec::Topic(t("topic")?),
                _ => TagTargetSpec::Subject(t("subject")?),
            };
            ConfluentAction::Tag { tag, target }
        }
        _ => ConfluentAction::DeleteStatement {
            statement: t("statement")?,
        },
    };
    Some(StepKind::Confluent(ConfluentStep { action }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorStatusRaw {
    connector: Spanned<String>,
    expect: Option<Spanned<String>>,
    flap_tolerance: Option<Dur>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlinkStatementRaw {
    statement: Spanned<String>,
    expect: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaSubjectRaw {
    subject: Spanned<String>,
    min_version: Option<Spanned<u32>>,
    compatibility: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicExistsRaw {
    topic: Spanned<String>,
    min_partitions: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoKeysRaw {}

/// A Confluent check kind's own keys → [`CheckKind`]; `None` when `kind` is not one of them.
pub(crate) fn check_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "connector_status" => CONNECTOR_STATUS_KEYS,
        "flink_statement" => FLINK_STATEMENT_KEYS,
        "schema_subject" => SCHEMA_SUBJECT_KEYS,
        "topic_exists" => TOPIC_EXISTS_KEYS,
        "cluster_ready" | "compute_pool_ready" => NO_KEYS,
        _ => return None,
    })
}

pub(crate) fn check_body(
    body: &Body<'_>,
    kind: &str,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let no_secret = |t: Option<Template>, field: &str, at: usize, diags: &mut Vec<Diagnostic>| {
        let t = t?;
        if t.secret_names().next().is_some() {
            diags.push(Diagnostic::new(
                body.pos(at),
                DiagnosticKind::SecretLiteral,
                format!("`{field}` of {what} names a secret; checks show what they look at, so name objects, not credentials"),
            ));
            return None;
        }
        Some(t)
    };
    macro_rules! raw {
        ($ty:ty) => {
            from_table::<$ty>(table, span)
                .map_err(|e| diags.push(body.de_error(&e, what, pos)))
                .ok()?
        };
    }
    match kind {
        "connector_status" => {
            let raw = raw!(ConnectorStatusRaw);
            let at = raw.connector.span().start;
            let connector = template(body, &raw.connector, "connector", what, diags);
            let connector = no_secret(connector, "connector", at, diags)?;
            let expect = match &raw.expect {
                Some(e) => {
                    let upper = Spanned::new(e.span(), e.get_ref().to_ascii_uppercase());
                    one_of(body, &upper, CONNECTOR_STATES, "expect", what, diags)?;
                    upper.into_inner()
                }
                None => "RUNNING".to_string(),
            };
            Some(CheckKind::ConnectorStatus(ConnectorStatusCheck {
                connector,
                expect,
                flap_tolerance: raw.flap_tolerance.map_or(DEFAULT_FLAP_TOLERANCE, |d| d.0),
            }))
        }
        "flink_statement" => {
            let raw = raw!(FlinkStatementRaw);
            let at = raw.statement.span().start;
            let statement = template(body, &raw.statement, "statement", what, diags);
            let statement = no_secret(statement, "statement", at, diags)?;
            let mut expect = Vec::new();
            for e in raw.expect.unwrap_or_default() {
                let upper = Spanned::new(e.span(), e.get_ref().to_ascii_uppercase());
                if one_of(body, &upper, STATEMENT_PHASES, "expect", what, diags).is_some() {
                    expect.push(upper.into_inner());
                }
            }
            if expect.is_empty() {
                expect = vec!["RUNNING".to_string(), "COMPLETED".to_string()];
            }
            Some(CheckKind::FlinkStatement(FlinkStatementCheck {
                statement,
                expect,
            }))
        }
        "schema_subject" => {
            let raw = raw!(SchemaSubjectRaw);
            let at = raw.subject.span().start;
            let subject = template(body, &raw.subject, "subject", what, diags);
            let subject = no_secret(subject, "subject", at, diags)?;
            let compatibility = match &raw.compatibility {
                Some(c) => {
                    let upper = Spanned::new(c.span(), c.get_ref().to_ascii_uppercase());
                    one_of(
                        body,
                        &upper,
                        COMPATIBILITY_LEVELS,
                        "compatibility",
                        what,
                        diags,
                    )?;
                    Some(upper.into_inner())
                }
                None => None,
            };
            Some(CheckKind::SchemaSubject(SchemaSubjectCheck {
                subject,
                min_version: raw.min_version.map(Spanned::into_inner),
                compatibility,
            }))
        }
        "topic_exists" => {
            let raw = raw!(TopicExistsRaw);
            let at = raw.topic.span().start;
            let topic = template(body, &raw.topic, "topic", what, diags);
            let topic = no_secret(topic, "topic", at, diags)?;
            Some(CheckKind::TopicExists(TopicExistsCheck {
                topic,
                min_partitions: raw.min_partitions.map(Spanned::into_inner),
            }))
        }
        "cluster_ready" | "compute_pool_ready" => {
            let _: NoKeysRaw = raw!(NoKeysRaw);
            Some(if kind == "cluster_ready" {
                CheckKind::ClusterReady
            } else {
                CheckKind::ComputePoolReady
            })
        }
        _ => None,
    }
}
