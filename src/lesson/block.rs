//! Machine-block bodies (front matter, step, check, hint, solution, cleanup) → model types.
//!
//! Each body is parsed into toml's spanned tree; unknown keys are all reported against the full
//! list of keys the block (and its kind) accepts; the rest is deserialized into small serde
//! structs with `deny_unknown_fields`. The nearest-step rule is applied by the caller, which
//! knows the document order, so hint/solution/cleanup/check return the `step` they named.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check_spec::{SpecPlace, parse_spec, parse_spec_list, template};
use super::confluent::parse as confluent;
use super::secrets_scan::is_placeholder;
use super::template::Template;
use super::toml_body::{Body, Dur, closest, from_table, split_off, str_value};
use super::{
    Check, CheckKind, CheckSpec, Cleanup, Diagnostic, DiagnosticKind, Hint, ManualStep, PanelPin,
    ShellStep, Solution, SourcePos, Step, StepKind, TerraformAction, TerraformStep,
};

pub(crate) const STEP_KINDS: &[&str] = &[
    "shell",
    "manual",
    "terraform",
    "flink_sql",
    "confluent",
    "sql",
];
/// Step kinds of the full format that this version does not run yet.
const FUTURE_STEP_KINDS: &[&str] = &[];
const STEP_COMMON: &[&str] = &["id", "title", "kind", "outputs", "timeout", "estimate"];
const SHELL_KEYS: &[&str] = &["command", "cwd", "env"];
const MANUAL_KEYS: &[&str] = &["confirm"];
const TERRAFORM_KEYS: &[&str] = &["module", "action", "vars", "secret_outputs"];
const CHECK_HEAD: &[&str] = &["id", "title", "step", "panel"];
const HINT_KEYS: &[&str] = &["step", "after_failures", "after", "text"];
const SOLUTION_KEYS: &[&str] = &["step", "reveal_after_failures", "explain", "run"];
const CLEANUP_KEYS: &[&str] = &["step", "run"];
const FRONT_KEYS: &[&str] = &[
    "id",
    "title",
    "estimate",
    "tracks",
    "depends",
    "requires",
    "objectives",
];

/// Names of environment variables whose literal values would be credentials.
const SECRET_ENV_WORDS: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "API_KEY", "APIKEY"];

/// Ids become template paths and file names: letters, digits, `-` and `_`.
pub(crate) fn is_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn check_id(body: &Body<'_>, id: &Spanned<String>, what: &str, diags: &mut Vec<Diagnostic>) {
    if !is_id(id.get_ref()) {
        diags.push(Diagnostic::new(
            body.pos(id.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "`{}` is not a valid id for {what}; use letters, digits, `-` and `_`, starting with a letter or digit",
                id.get_ref()
            ),
        ));
    }
}

fn named(kind: &str, table: &DeTable<'_>) -> String {
    match str_value(table, "id") {
        Some((id, _)) => format!("{kind} `{id}`"),
        None => kind.to_string(),
    }
}

/// Front matter as written; `tracks` stays `None` when the author left it to `course.toml`.
#[derive(Debug, Clone)]
pub(crate) struct FrontMatter {
    pub id: String,
    pub id_line: usize,
    pub title: String,
    pub estimate: Duration,
    pub tracks: Option<Vec<String>>,
    pub depends: Vec<String>,
    pub requires: Vec<CheckSpec>,
    pub objectives: Vec<CheckSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontRaw {
    id: Spanned<String>,
    title: String,
    estimate: Dur,
    tracks: Option<Vec<String>>,
    #[serde(default)]
    depends: Vec<String>,
}

pub(crate) fn parse_front_matter(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<FrontMatter> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = "the lesson front matter";
    let before = diags.len();
    body.reject_unknown_keys(&mut table, FRONT_KEYS, what, diags);
    let requires = parse_spec_list(body, table.remove("requires"), "requires", diags);
    let objectives = parse_spec_list(body, table.remove("objectives"), "objectives", diags);
    let raw: FrontRaw = from_table(table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, what, fence)))
        .ok()?;
    check_id(body, &raw.id, "a lesson", diags);
    if diags.len() > before {
        return None;
    }
    Some(FrontMatter {
        id_line: body.line(raw.id.span().start),
        id: raw.id.into_inner(),
        title: raw.title,
        estimate: raw.estimate.0,
        tracks: raw.tracks,
        depends: raw.depends,
        requires,
        objectives,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepHead {
    id: Spanned<String>,
    title: String,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    outputs: Vec<Spanned<String>>,
    timeout: Option<Dur>,
    estimate: Option<Dur>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellRaw {
    command: Spanned<String>,
    cwd: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualRaw {
    confirm: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformRaw {
    module: Spanned<String>,
    action: Option<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    secret_outputs: BTreeMap<String, Spanned<String>>,
}

fn kind_fields(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "shell" => Some(SHELL_KEYS),
        "manual" => Some(MANUAL_KEYS),
        "terraform" => Some(TERRAFORM_KEYS),
        "flink_sql" => Some(confluent::FLINK_SQL_KEYS),
        "confluent" => Some(confluent::CONFLUENT_KEYS),
        "sql" => Some(super::database::parse::SQL_KEYS),
        _ => None,
    }
}

/// Read and vet a step-kind `kind`; returns the kind's own keys.
fn step_kind(
    body: &Body<'_>,
    table: &DeTable<'_>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<(String, &'static [&'static str])> {
    let Some(value) = table.get("kind") else {
        diags.push(Diagnostic::new(
            pos.clone(),
            DiagnosticKind::MissingKey,
            format!(
                "{what} is missing `kind`; add `kind = \"...\"` with one of: {}",
                STEP_KINDS.join(", ")
            ),
        ));
        return None;
    };
    let at = body.pos(value.span().start);
    let Some(kind) = value.get_ref().as_str() else {
        diags.push(Diagnostic::new(
            at,
            DiagnosticKind::InvalidValue,
            format!(
                "{what}: `kind` must be a string, one of: {}",
                STEP_KINDS.join(", ")
            ),
        ));
        return None;
    };
    if let Some(keys) = kind_fields(kind) {
        return Some((kind.to_string(), keys));
    }
    let message = if FUTURE_STEP_KINDS.contains(&kind) {
        format!(
            "step kind `{kind}` ({what}) is not supported by this version of cdc-workshop; lesson format v1 runs: {}",
            STEP_KINDS.join(", ")
        )
    } else {
        let hint = closest(kind, STEP_KINDS)
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        format!(
            "unknown step kind `{kind}` in {what}; {hint}expected one of: {}",
            STEP_KINDS.join(", ")
        )
    };
    diags.push(Diagnostic::new(at, DiagnosticKind::UnknownKind, message));
    None
}

/// The kind-specific part of a step (or of a `run` table) → [`StepKind`].
fn step_body(
    body: &Body<'_>,
    kind: &str,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    if kind == "manual" {
        let raw: ManualRaw = from_table(table, span)
            .map_err(|e| diags.push(body.de_error(&e, what, pos)))
            .ok()?;
        if raw.confirm.get_ref().trim().is_empty() {
            diags.push(Diagnostic::new(
                body.pos(raw.confirm.span().start),
                DiagnosticKind::InvalidValue,
                format!(
                    "`confirm` of {what} is empty; write the sentence the participant confirms"
                ),
            ));
        }
        return Some(StepKind::Manual(ManualStep {
            confirm: raw.confirm.into_inner(),
        }));
    }
    match kind {
        "terraform" => return terraform_body(body, table, span, what, pos, diags),
        "flink_sql" => return confluent::flink_sql_body(body, table, span, what, pos, diags),
        "confluent" => return confluent::confluent_body(body, table, span, what, pos, diags),
        "sql" => return super::database::parse::sql_body(body, table, span, what, pos, diags),
        _ => {}
    }
    let raw: ShellRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let command = template(body, &raw.command, "command", what, diags);
    let cwd = raw
        .cwd
        .as_ref()
        .map(|c| template(body, c, "cwd", what, diags));
    let mut env = BTreeMap::new();
    for (name, value) in &raw.env {
        let at = body.pos(value.span().start);
        if !super::check_spec::is_env_name(name) {
            diags.push(Diagnostic::new(
                at.clone(),
                DiagnosticKind::InvalidValue,
                format!(
                    "`env.{name}` of {what}: not an environment variable name; use letters, digits and `_`"
                ),
            ));
        }
        let Some(t) = template(body, value, &format!("env.{name}"), what, diags) else {
            continue;
        };
        refuse_literal_secret(name, value, &t, at, &format!("env.{name}"), what, diags);
        env.insert(name.clone(), t);
    }
    Some(StepKind::Shell(ShellStep {
        command: command?,
        cwd: match cwd {
            Some(c) => Some(c?),
            None => None,
        },
        env,
    }))
}

/// A name that says "credential" must get its value from a secret, not a literal in the lesson.
fn refuse_literal_secret(
    name: &str,
    value: &Spanned<String>,
    t: &Template,
    at: SourcePos,
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let upper = name.to_ascii_uppercase();
    let sensitive = SECRET_ENV_WORDS.iter().any(|w| upper.contains(w));
    if sensitive && t.refs().next().is_none() && !is_placeholder(value.get_ref()) {
        diags.push(Diagnostic::new(
            at,
            DiagnosticKind::SecretLiteral,
            format!(
                "`{field}` of {what} holds a literal value; credentials must not be written into lessons: declare a secret in course.toml and write `{name} = \"{{{{ secrets.<name> }}}}\"`"
            ),
        ));
    }
}

/// Terraform identifiers: a letter first, then letters, digits, `_` and `-`.
fn is_terraform_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn terraform_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    let raw: TerraformRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let before = diags.len();
    let invalid = |at: usize, message: String| {
        Diagnostic::new(body.pos(at), DiagnosticKind::InvalidValue, message)
    };
    if !is_id(raw.module.get_ref()) {
        diags.push(invalid(
            raw.module.span().start,
            format!(
                "`module` of {what} is `{}`; name a folder under assets/terraform/ (letters, digits, `-` and `_`)",
                raw.module.get_ref()
            ),
        ));
    }
    let action = match raw.action.as_ref().map(|a| a.get_ref().as_str()) {
        None | Some("apply") => TerraformAction::Apply,
        Some("destroy") => TerraformAction::Destroy,
        Some("plan") => TerraformAction::Plan,
        Some(other) => {
            let hint = closest(other, &["apply", "destroy", "plan"])
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            diags.push(invalid(
                raw.action.as_ref().map_or(0, |a| a.span().start),
                format!("`action` of {what} is `{other}`; {hint}use apply, destroy or plan"),
            ));
            TerraformAction::Apply
        }
    };
    let mut vars = BTreeMap::new();
    for (name, value) in &raw.vars {
        let at = body.pos(value.span().start);
        if !is_terraform_name(name) {
            diags.push(Diagnostic::new(
                at.clone(),
                DiagnosticKind::InvalidValue,
                format!(
                    "`vars.{name}` of {what}: not a Terraform variable name; start with a letter, then letters, digits, `_` and `-`"
                ),
            ));
        }
        let Some(t) = template(body, value, &format!("vars.{name}"), what, diags) else {
            continue;
        };
        refuse_literal_secret(name, value, &t, at, &format!("vars.{name}"), what, diags);
        vars.insert(name.clone(), t);
    }
    let mut secret_outputs = BTreeMap::new();
    for (output, secret) in &raw.secret_outputs {
        if !is_terraform_name(output) || !is_id(secret.get_ref()) {
            diags.push(invalid(
                secret.span().start,
                format!(
                    "`secret_outputs.{output} = \"{}\"` of {what}: write the module's output name on the left and a secret declared in course.toml on the right",
                    secret.get_ref()
                ),
            ));
        }
        secret_outputs.insert(output.clone(), secret.get_ref().clone());
    }
    if diags.len() > before {
        return None;
    }
    Some(StepKind::Terraform(TerraformStep {
        module: raw.module.into_inner(),
        action,
        vars,
        secret_outputs,
    }))
}

pub(crate) fn parse_step(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Step> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = named("step", &table);
    let before = diags.len();
    let (kind, own) = step_kind(body, &table, &what, fence, diags)?;
    let allowed: Vec<&str> = STEP_COMMON.iter().chain(own).copied().collect();
    body.reject_unknown_keys(&mut table, &allowed, &what, diags);
    let head_table = split_off(&mut table, STEP_COMMON);
    let head: Option<StepHead> = from_table(head_table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, &what, fence)))
        .ok();
    let kind = step_body(body, &kind, table, 0..0, &what, fence, diags);
    let head = head?;
    check_id(body, &head.id, "a step", diags);
    for out in &head.outputs {
        if !is_id(out.get_ref()) {
            diags.push(Diagnostic::new(
                body.pos(out.span().start),
                DiagnosticKind::InvalidValue,
                format!(
                    "output name `{}` of {what} is not valid; use letters, digits, `-` and `_`",
                    out.get_ref()
                ),
            ));
        }
    }
    let kind = kind?;
    if diags.len() > before {
        return None;
    }
    Some(Step {
        id: head.id.into_inner(),
        title: head.title,
        kind,
        outputs: head.outputs.into_iter().map(Spanned::into_inner).collect(),
        timeout: head.timeout.map(|d| d.0),
        estimate: head.estimate.map(|d| d.0),
        pos: fence.clone(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckHead {
    id: Spanned<String>,
    title: String,
    step: Option<String>,
    panel: Option<Spanned<String>>,
}

/// `panel = "connectors" | "lineage" | "topic" | "topic:<name>"`; plain `topic` is the topic of
/// a `topic_messages` or `topic_exists` check.
fn panel_pin(
    body: &Body<'_>,
    raw: &Spanned<String>,
    spec: &CheckSpec,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<PanelPin> {
    let text = raw.get_ref().trim();
    let own_topic = match &spec.kind {
        CheckKind::TopicMessages(t) => Some(t.topic.clone()),
        CheckKind::TopicExists(t) => Some(t.topic.clone()),
        _ => None,
    };
    let bad = |message: String, diags: &mut Vec<Diagnostic>| {
        diags.push(Diagnostic::new(
            body.pos(raw.span().start),
            DiagnosticKind::InvalidValue,
            message,
        ));
        None
    };
    match text {
        "connectors" => Some(PanelPin::Connectors),
        "lineage" => Some(PanelPin::Lineage),
        "topic" => match own_topic {
            Some(t) => Some(PanelPin::Topic(t)),
            None => bad(
                format!(
                    "`panel = \"topic\"` of {what} needs a topic check; name the topic: panel = \"topic:<name>\""
                ),
                diags,
            ),
        },
        other => match other.strip_prefix("topic:") {
            Some(name) if !name.trim().is_empty() => match Template::parse(name.trim()) {
                Ok(t) => Some(PanelPin::Topic(t)),
                Err(e) => bad(format!("`panel` of {what}: {e}"), diags),
            },
            _ => bad(
                format!(
                    "`panel` of {what} is `{other}`; use \"connectors\", \"lineage\", \"topic\" or \"topic:<name>\""
                ),
                diags,
            ),
        },
    }
}

/// A check block; `step` is `None` here when the author relies on the nearest-step rule.
pub(crate) fn parse_check(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Check> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = named("check", &table);
    let before = diags.len();
    let head_table = split_off(&mut table, CHECK_HEAD);
    let head: Option<CheckHead> = from_table(head_table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, &what, fence)))
        .ok();
    let spec = parse_spec(
        body,
        table,
        0..0,
        &what,
        CHECK_HEAD,
        SpecPlace::Block,
        fence.clone(),
        diags,
    );
    let head = head?;
    check_id(body, &head.id, "a check", diags);
    let spec = spec?;
    let panel = match &head.panel {
        Some(raw) => Some(panel_pin(body, raw, &spec, &what, diags)?),
        None => None,
    };
    if diags.len() > before {
        return None;
    }
    Some(Check {
        id: head.id.into_inner(),
        title: head.title,
        step: head.step,
        panel,
        spec,
        pos: fence.clone(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HintRaw {
    step: Option<String>,
    after_failures: Option<Spanned<u32>>,
    after: Option<Dur>,
    text: Spanned<String>,
}

/// A hint; its `step` is empty when the caller must apply the nearest-step rule.
pub(crate) fn parse_hint(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Hint> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = "hint";
    let before = diags.len();
    body.reject_unknown_keys(&mut table, HINT_KEYS, what, diags);
    let raw: HintRaw = from_table(table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, what, fence)))
        .ok()?;
    positive(
        body,
        raw.after_failures.as_ref(),
        "after_failures",
        what,
        diags,
    );
    non_empty(body, &raw.text, "text", what, diags);
    if diags.len() > before {
        return None;
    }
    Some(Hint {
        step: raw.step.unwrap_or_default(),
        after_failures: raw.after_failures.map(Spanned::into_inner),
        after: raw.after.map(|d| d.0),
        text: raw.text.into_inner(),
        pos: fence.clone(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SolutionRaw {
    step: Option<String>,
    reveal_after_failures: Option<Spanned<u32>>,
    explain: Spanned<String>,
}

pub(crate) fn parse_solution(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Solution> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = "solution";
    let before = diags.len();
    body.reject_unknown_keys(&mut table, SOLUTION_KEYS, what, diags);
    let run = table
        .remove("run")
        .map(|v| parse_run(body, v, "the `run` of a solution", diags));
    let raw: SolutionRaw = from_table(table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, what, fence)))
        .ok()?;
    positive(
        body,
        raw.reveal_after_failures.as_ref(),
        "reveal_after_failures",
        what,
        diags,
    );
    non_empty(body, &raw.explain, "explain", what, diags);
    let run = match run {
        Some(r) => Some(r?),
        None => None,
    };
    if diags.len() > before {
        return None;
    }
    Some(Solution {
        step: raw.step.unwrap_or_default(),
        reveal_after_failures: raw.reveal_after_failures.map(Spanned::into_inner),
        explain: raw.explain.into_inner(),
        run,
        pos: fence.clone(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanupRaw {
    step: Option<String>,
}

pub(crate) fn parse_cleanup(
    body: &Body<'_>,
    fence: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<Cleanup> {
    let root = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = root.into_inner();
    let what = "cleanup";
    let before = diags.len();
    body.reject_unknown_keys(&mut table, CLEANUP_KEYS, what, diags);
    let run = match table.remove("run") {
        Some(v) => parse_run(body, v, "the `run` of a cleanup", diags),
        None => {
            diags.push(Diagnostic::new(
                fence.clone(),
                DiagnosticKind::MissingKey,
                "cleanup is missing `run`; add a `[run]` table with `kind = \"shell\"` and a `command`",
            ));
            None
        }
    };
    let raw: CleanupRaw = from_table(table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, what, fence)))
        .ok()?;
    let run = run?;
    if diags.len() > before {
        return None;
    }
    Some(Cleanup {
        step: raw.step.unwrap_or_default(),
        run,
        pos: fence.clone(),
    })
}

/// A `[run]` table: a step-kind body (`kind` plus that kind's fields).
fn parse_run(
    body: &Body<'_>,
    value: Spanned<DeValue<'_>>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<StepKind> {
    let span = value.span();
    let pos = body.pos(span.start);
    let DeValue::Table(mut table) = value.into_inner() else {
        diags.push(Diagnostic::new(
            pos,
            DiagnosticKind::InvalidValue,
            format!("{what} must be a table: write `[run]` followed by `kind = \"shell\"` and its fields"),
        ));
        return None;
    };
    let (kind, own) = step_kind(body, &table, what, &pos, diags)?;
    let allowed: Vec<&str> = ["kind"].iter().chain(own).copied().collect();
    let before = diags.len();
    body.reject_unknown_keys(&mut table, &allowed, what, diags);
    table.remove("kind");
    let run = step_body(body, &kind, table, span, what, &pos, diags);
    if diags.len() > before {
        return None;
    }
    run
}

fn positive(
    body: &Body<'_>,
    value: Option<&Spanned<u32>>,
    key: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(v) = value
        && *v.get_ref() == 0
    {
        diags.push(Diagnostic::new(
            body.pos(v.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "`{key}` of {what} is 0; use 1 or more, or leave it out (the participant can always ask)"
            ),
        ));
    }
}

fn non_empty(
    body: &Body<'_>,
    value: &Spanned<String>,
    key: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if value.get_ref().trim().is_empty() {
        diags.push(Diagnostic::new(
            body.pos(value.span().start),
            DiagnosticKind::InvalidValue,
            format!("`{key}` of {what} is empty; write what the participant should read"),
        ));
    }
}
