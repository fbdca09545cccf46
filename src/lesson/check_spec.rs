//! Check bodies (`kind = env|file|http|all|any` plus deadline, poll and messages) → [`CheckSpec`].
//!
//! The same shape appears in ```` ```check ```` blocks, in front-matter `requires`/`objectives`
//! and nested inside `all`/`any`, so it is parsed from a piece of the spanned TOML tree.

use std::collections::BTreeMap;
use std::ops::Range;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::template::Template;
use super::toml_body::{Body, Dur, closest, from_table, split_off, str_value};
use super::{
    CheckKind, CheckSpec, DEFAULT_CHECK_DEADLINE, Diagnostic, DiagnosticKind, EnvCheck, FileCheck,
    HttpCheck, HttpMethod, Messages, PollPolicy, SourcePos, TerraformOutputCheck,
};

pub(crate) const CHECK_KINDS: &[&str] = &[
    "env",
    "file",
    "http",
    "terraform_output",
    "connector_status",
    "flink_statement",
    "schema_subject",
    "topic_exists",
    "cluster_ready",
    "compute_pool_ready",
    "sql_rows",
    "topic_messages",
    "object_store",
    "warehouse_rows",
    "no_leftovers",
    "all",
    "any",
];
const SPEC_COMMON: &[&str] = &["kind", "deadline", "poll", "messages"];
const ENV_KEYS: &[&str] = &["name", "matches", "secret"];
const FILE_KEYS: &[&str] = &["path", "exists", "contains", "matches"];
const HTTP_KEYS: &[&str] = &[
    "url",
    "method",
    "headers",
    "expect_status",
    "transient_status",
    "body_contains",
    "timeout",
];
const TERRAFORM_OUTPUT_KEYS: &[&str] = &["module", "output", "matches"];
const COMPOSITE_KEYS: &[&str] = &["checks"];

/// Check kinds that later versions add; named so the error can say "not yet" instead of "typo".
/// (None are announced right now; the mechanism stays for the next ones.)
const FUTURE_CHECK_KINDS: &[&str] = &[];

/// Default `expect_status` of an http check.
pub const DEFAULT_EXPECT_STATUS: &[u16] = &[200];
/// Default `transient_status` of an http check: overloaded or restarting, try again.
pub const DEFAULT_TRANSIENT_STATUS: &[u16] = &[429, 502, 503, 504];
/// Default per-attempt timeout of an http check.
pub const DEFAULT_HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "env" => ENV_KEYS,
        "file" => FILE_KEYS,
        "http" => HTTP_KEYS,
        "terraform_output" => TERRAFORM_OUTPUT_KEYS,
        "all" | "any" => COMPOSITE_KEYS,
        "sql_rows" => super::database::parse::SQL_ROWS_KEYS,
        "topic_messages" => super::topics::TOPIC_MESSAGES_KEYS,
        other => {
            return super::confluent::parse::check_keys(other)
                .or_else(|| super::aws::parse::check_keys(other));
        }
    })
}

/// Where a spec sits decides which keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpecPlace {
    /// A ```` ```check ```` block: its own `id`, `title` and `step` come first.
    Block,
    /// An entry of `requires`/`objectives`.
    Inline,
    /// Inside `all`/`any`: runs on the outer check's schedule, so no deadline or poll of its own.
    Nested,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonRaw {
    #[allow(dead_code)]
    kind: String,
    deadline: Option<Dur>,
    poll: Option<Spanned<PollRaw>>,
    #[serde(default)]
    messages: MessagesRaw,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollRaw {
    initial: Option<Dur>,
    max: Option<Dur>,
    factor: Option<f64>,
    jitter: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MessagesRaw {
    pass: Option<String>,
    warn: Option<String>,
    fail: Option<String>,
    pending: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvRaw {
    name: Spanned<String>,
    matches: Option<Spanned<String>>,
    #[serde(default)]
    secret: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRaw {
    path: Spanned<String>,
    exists: Option<Spanned<bool>>,
    contains: Option<String>,
    matches: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformOutputRaw {
    module: Spanned<String>,
    output: Spanned<String>,
    matches: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpRaw {
    url: Spanned<String>,
    method: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    expect_status: Option<Spanned<Vec<u16>>>,
    transient_status: Option<Spanned<Vec<u16>>>,
    body_contains: Option<String>,
    timeout: Option<Dur>,
}

/// Parse one check spec from `table` (whose own span is `span`). `head` lists keys the caller
/// already took out (a block's `id`, `title`, `step`), so unknown-key messages list them too.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_spec(
    body: &Body<'_>,
    mut table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    head: &[&str],
    place: SpecPlace,
    pos: SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckSpec> {
    let kind = read_kind(body, &table, what, &pos, diags)?;
    let Some(own) = kind_keys(&kind) else {
        diags.push(unknown_check_kind(body, &table, &kind, what));
        return None;
    };
    let common: &[&str] = if place == SpecPlace::Nested {
        &["kind", "messages"]
    } else {
        SPEC_COMMON
    };
    let allowed: Vec<&str> = head.iter().chain(common).chain(own).copied().collect();
    if place == SpecPlace::Nested {
        for key in ["deadline", "poll"] {
            if let Some((k, _)) = table.get_key_value(key) {
                diags.push(Diagnostic::new(
                    body.pos(k.span().start),
                    DiagnosticKind::UnknownKey,
                    format!(
                        "`{key}` is not allowed on a check nested in `all`/`any` ({what}): nested checks run on the outer check's schedule; set `{key}` on the outer check"
                    ),
                ));
                table.remove(key);
            }
        }
    }
    let before = diags.len();
    body.reject_unknown_keys(&mut table, &allowed, what, diags);
    let nested_checks = table.remove("checks");
    let common_table = split_off(&mut table, SPEC_COMMON);
    let common: Option<CommonRaw> = from_table(common_table, span.clone())
        .map_err(|e| diags.push(body.de_error(&e, what, &pos)))
        .ok();
    let kind = match kind.as_str() {
        "env" => parse_env(body, table, span.clone(), what, &pos, diags),
        "file" => parse_file(body, table, span.clone(), what, &pos, diags),
        "http" => parse_http(body, table, span.clone(), what, &pos, diags),
        "terraform_output" => parse_terraform_output(body, table, span.clone(), what, &pos, diags),
        composite @ ("all" | "any") => {
            let children = parse_children(body, nested_checks, what, &pos, diags);
            children.map(|c| {
                if composite == "all" {
                    CheckKind::All(c)
                } else {
                    CheckKind::Any(c)
                }
            })
        }
        "sql_rows" => {
            super::database::parse::sql_rows_body(body, table, span.clone(), what, &pos, diags)
        }
        "topic_messages" => {
            super::topics::topic_messages_body(body, table, span.clone(), what, &pos, diags)
        }
        aws @ ("object_store" | "warehouse_rows" | "no_leftovers") => {
            super::aws::parse::check_body(body, aws, table, span.clone(), what, &pos, diags)
        }
        other => {
            super::confluent::parse::check_body(body, other, table, span.clone(), what, &pos, diags)
        }
    };
    let common = common?;
    let kind = kind?;
    let poll = poll_policy(body, common.poll, what, diags);
    if diags.len() > before {
        return None;
    }
    Some(CheckSpec {
        kind,
        deadline: common.deadline.map_or(DEFAULT_CHECK_DEADLINE, |d| d.0),
        poll,
        messages: Messages {
            pass: common.messages.pass,
            warn: common.messages.warn,
            fail: common.messages.fail,
            pending: common.messages.pending,
        },
        pos,
    })
}

fn read_kind(
    body: &Body<'_>,
    table: &DeTable<'_>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match table.get("kind") {
        None => {
            diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::MissingKey,
                format!(
                    "{what} is missing `kind`; add `kind = \"...\"` with one of: {}",
                    CHECK_KINDS.join(", ")
                ),
            ));
            None
        }
        Some(v) => match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                diags.push(Diagnostic::new(
                    body.pos(v.span().start),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "{what}: `kind` must be a string, one of: {}",
                        CHECK_KINDS.join(", ")
                    ),
                ));
                None
            }
        },
    }
}

fn unknown_check_kind(body: &Body<'_>, table: &DeTable<'_>, kind: &str, what: &str) -> Diagnostic {
    let at = str_value(table, "kind").map_or(0, |(_, s)| s.start);
    let message = if FUTURE_CHECK_KINDS.contains(&kind) {
        format!(
            "check kind `{kind}` ({what}) is not supported by this version of cdc-workshop; lesson format v1 supports: {}",
            CHECK_KINDS.join(", ")
        )
    } else {
        let hint = closest(kind, CHECK_KINDS)
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        format!(
            "unknown check kind `{kind}` in {what}; {hint}expected one of: {}",
            CHECK_KINDS.join(", ")
        )
    };
    Diagnostic::new(body.pos(at), DiagnosticKind::UnknownKind, message)
}

fn poll_policy(
    body: &Body<'_>,
    raw: Option<Spanned<PollRaw>>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> PollPolicy {
    let d = PollPolicy::default();
    let Some(raw) = raw else { return d };
    let at = body.pos(raw.span().start);
    let raw = raw.into_inner();
    let p = PollPolicy {
        initial: raw.initial.map_or(d.initial, |x| x.0),
        max: raw.max.map_or(d.max, |x| x.0),
        factor: raw.factor.unwrap_or(d.factor),
        jitter: raw.jitter.unwrap_or(d.jitter),
    };
    let mut bad = |msg: String| {
        diags.push(Diagnostic::new(
            at.clone(),
            DiagnosticKind::InvalidValue,
            format!("{what}: {msg}"),
        ));
    };
    if !(p.factor.is_finite() && p.factor >= 1.0) {
        bad(format!(
            "poll `factor` is {}; it must be at least 1 (1 = fixed interval)",
            p.factor
        ));
    }
    if !(0.0..=1.0).contains(&p.jitter) {
        bad(format!(
            "poll `jitter` is {}; it is a fraction between 0 and 1",
            p.jitter
        ));
    }
    if p.initial.is_zero() {
        bad("poll `initial` must be more than zero".to_string());
    }
    if p.initial > p.max {
        bad(format!(
            "poll `initial` ({}) is longer than `max` ({}); make `max` at least `initial`",
            humantime::format_duration(p.initial),
            humantime::format_duration(p.max)
        ));
    }
    p
}

/// Parse a template-valued field, reporting a malformed template at its line.
pub(crate) fn template(
    body: &Body<'_>,
    value: &Spanned<String>,
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Template> {
    Template::parse(value.get_ref())
        .map_err(|e| {
            diags.push(Diagnostic::new(
                body.pos(value.span().start),
                DiagnosticKind::BadTemplate,
                format!("bad template in `{field}` of {what}: {e}"),
            ));
        })
        .ok()
}

fn regex_field(
    body: &Body<'_>,
    value: Option<Spanned<String>>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let value = value?;
    check_regex(
        body,
        &value,
        what,
        "; fix it or use `contains` for plain text",
        diags,
    );
    Some(value.into_inner())
}

/// Whether a `matches` value compiles; if not, a diagnostic at the value says why (`hint` is
/// appended to the message).
pub(crate) fn check_regex(
    body: &Body<'_>,
    value: &Spanned<String>,
    what: &str,
    hint: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Err(e) = Regex::new(value.get_ref()) else {
        return true;
    };
    let first = e.to_string().lines().last().unwrap_or_default().to_string();
    diags.push(Diagnostic::new(
        body.pos(value.span().start),
        DiagnosticKind::InvalidValue,
        format!("`matches` of {what} is not a valid regular expression ({first}){hint}"),
    ));
    false
}

fn parse_terraform_output(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: TerraformOutputRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    for (field, value) in [("module", &raw.module), ("output", &raw.output)] {
        if !super::block::is_id(value.get_ref()) {
            diags.push(Diagnostic::new(
                body.pos(value.span().start),
                DiagnosticKind::InvalidValue,
                format!(
                    "`{field}` of {what} is `{}`; use letters, digits, `-` and `_`",
                    value.get_ref()
                ),
            ));
        }
    }
    let matches = regex_field(body, raw.matches, what, diags);
    Some(CheckKind::TerraformOutput(TerraformOutputCheck {
        module: raw.module.into_inner(),
        output: raw.output.into_inner(),
        matches,
    }))
}

fn parse_env(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: EnvRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    if !is_env_name(raw.name.get_ref()) {
        diags.push(Diagnostic::new(
            body.pos(raw.name.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "`name` of {what} is `{}`, not an environment variable name; use letters, digits and `_`",
                raw.name.get_ref()
            ),
        ));
    }
    let matches = regex_field(body, raw.matches, what, diags);
    Some(CheckKind::Env(EnvCheck {
        name: raw.name.into_inner(),
        matches,
        secret: raw.secret,
    }))
}

fn parse_file(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: FileRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let path = template(body, &raw.path, "path", what, diags);
    let exists = raw.exists.as_ref().is_none_or(|e| *e.get_ref());
    if let Some(e) = &raw.exists
        && !exists
        && (raw.contains.is_some() || raw.matches.is_some())
    {
        diags.push(Diagnostic::new(
            body.pos(e.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "{what} says `exists = false` but also asks about the content; drop `contains`/`matches` or the `exists` line"
            ),
        ));
    }
    let matches = regex_field(body, raw.matches, what, diags);
    Some(CheckKind::File(FileCheck {
        path: path?,
        exists,
        contains: raw.contains,
        matches,
    }))
}

fn parse_http(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: HttpRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let url = template(body, &raw.url, "url", what, diags);
    let method = match raw.method {
        None => Some(HttpMethod::Get),
        Some(m) => match m.get_ref().as_str() {
            "GET" => Some(HttpMethod::Get),
            "HEAD" => Some(HttpMethod::Head),
            other => {
                diags.push(Diagnostic::new(
                    body.pos(m.span().start),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "`method` of {what} is `{other}`; checks are read-only, so use \"GET\" or \"HEAD\""
                    ),
                ));
                None
            }
        },
    };
    let mut headers = BTreeMap::new();
    for (name, value) in &raw.headers {
        if let Some(t) = template(body, value, &format!("headers.{name}"), what, diags) {
            headers.insert(name.clone(), t);
        }
    }
    let expect_status = statuses(body, raw.expect_status, DEFAULT_EXPECT_STATUS, what, diags);
    let transient_status = statuses(
        body,
        raw.transient_status,
        DEFAULT_TRANSIENT_STATUS,
        what,
        diags,
    );
    Some(CheckKind::Http(HttpCheck {
        url: url?,
        method: method?,
        headers,
        expect_status,
        transient_status,
        body_contains: raw.body_contains,
        timeout: raw.timeout.map_or(DEFAULT_HTTP_TIMEOUT, |d| d.0),
    }))
}

fn statuses(
    body: &Body<'_>,
    raw: Option<Spanned<Vec<u16>>>,
    default: &[u16],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<u16> {
    let Some(raw) = raw else {
        return default.to_vec();
    };
    let at = raw.span().start;
    let list = raw.into_inner();
    if let Some(bad) = list.iter().find(|s| !(100..=599).contains(*s)) {
        diags.push(Diagnostic::new(
            body.pos(at),
            DiagnosticKind::InvalidValue,
            format!("{what}: {bad} is not an HTTP status; use codes from 100 to 599"),
        ));
    }
    if list.is_empty() {
        diags.push(Diagnostic::new(
            body.pos(at),
            DiagnosticKind::InvalidValue,
            format!("{what}: an empty status list; leave the key out to use the default"),
        ));
    }
    list
}

fn parse_children(
    body: &Body<'_>,
    checks: Option<Spanned<DeValue<'_>>>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<CheckSpec>> {
    let Some(checks) = checks else {
        diags.push(Diagnostic::new(
            pos.clone(),
            DiagnosticKind::MissingKey,
            format!(
                "{what} is missing `checks`; add `checks = [ {{ kind = \"env\", name = \"...\" }}, ... ]`"
            ),
        ));
        return None;
    };
    let at = checks.span().start;
    let Some(items) = checks.get_ref().as_array() else {
        diags.push(Diagnostic::new(
            body.pos(at),
            DiagnosticKind::InvalidValue,
            format!("`checks` of {what} must be an array of check tables"),
        ));
        return None;
    };
    if items.is_empty() {
        diags.push(Diagnostic::new(
            body.pos(at),
            DiagnosticKind::InvalidValue,
            format!("`checks` of {what} is empty; list at least one check"),
        ));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_what = format!("check #{} in {what}", i + 1);
        let item_pos = body.pos(item.span().start);
        match item.get_ref().as_table() {
            Some(t) => match parse_spec(
                body,
                t.clone(),
                item.span(),
                &item_what,
                &[],
                SpecPlace::Nested,
                item_pos,
                diags,
            ) {
                Some(spec) => out.push(spec),
                None => ok = false,
            },
            None => {
                ok = false;
                diags.push(Diagnostic::new(
                    item_pos,
                    DiagnosticKind::InvalidValue,
                    format!(
                        "{item_what} must be a table like {{ kind = \"file\", path = \"...\" }}"
                    ),
                ));
            }
        }
    }
    ok.then_some(out)
}

/// Parse each entry of a front-matter `requires`/`objectives` array.
pub(crate) fn parse_spec_list(
    body: &Body<'_>,
    value: Option<Spanned<DeValue<'_>>>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<CheckSpec> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.get_ref().as_array() else {
        diags.push(Diagnostic::new(
            body.pos(value.span().start),
            DiagnosticKind::InvalidValue,
            format!("`{key}` must be an array of check tables, e.g. [ {{ kind = \"env\", name = \"X\" }} ]"),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let what = format!("`{key}` #{}", i + 1);
        let pos = body.pos(item.span().start);
        match item.get_ref().as_table() {
            Some(t) => out.extend(parse_spec(
                body,
                t.clone(),
                item.span(),
                &what,
                &[],
                SpecPlace::Inline,
                pos,
                diags,
            )),
            None => diags.push(Diagnostic::new(
                pos,
                DiagnosticKind::InvalidValue,
                format!("{what} must be a check table like {{ kind = \"env\", name = \"X\" }}"),
            )),
        }
    }
    out
}

pub(crate) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
