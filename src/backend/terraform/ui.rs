//! One line of Terraform's `-json` UI stream → a typed [`UiMessage`].
//!
//! Parsing never fails: a line that is not JSON, or a message type this version does not know,
//! becomes a log line carrying whatever text it had, so a newer Terraform degrades to plain
//! output instead of breaking the guide.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// How loud a message is (`@level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Info,
    Warn,
    Error,
    #[serde(other)]
    Other,
}

/// A resource as the hooks and plans name it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Resource {
    pub addr: String,
    #[serde(default)]
    pub module: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub resource_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Change {
    pub resource: Resource,
    /// `create`, `update`, `delete`, `replace`, `read`, `noop`, …
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub struct ChangeCounts {
    #[serde(default)]
    pub add: u32,
    #[serde(default)]
    pub change: u32,
    #[serde(default)]
    pub import: u32,
    #[serde(default)]
    pub remove: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Plan,
    Apply,
    Destroy,
}

/// What a hook message says about one resource.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Hook {
    pub resource: Resource,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub id_key: Option<String>,
    #[serde(default)]
    pub id_value: Option<String>,
    /// Whole seconds in every recording, but a float in Terraform's source.
    #[serde(default)]
    pub elapsed_seconds: Option<f64>,
    #[serde(default)]
    pub provisioner: Option<String>,
    /// One line of a provisioner's output (`provision_progress`).
    #[serde(default)]
    pub output: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct SourcePoint {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SourceRange {
    pub filename: String,
    pub start: SourcePoint,
    pub end: SourcePoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Snippet {
    #[serde(default)]
    pub context: Option<String>,
    pub code: String,
    pub start_line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub range: Option<SourceRange>,
    #[serde(default)]
    pub snippet: Option<Snippet>,
}

/// One output in a streaming `outputs` message. After a plan it has an `action` and no value;
/// after an apply it has a value unless it is sensitive (Terraform ≥ 1.4 leaves those out).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamOutput {
    pub sensitive: bool,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UiMessage {
    Version {
        terraform: String,
        ui: String,
    },
    Log {
        level: Level,
        message: String,
    },
    Diagnostic(Diagnostic),
    PlannedChange(Change),
    ResourceDrift(Change),
    ChangeSummary {
        operation: Operation,
        counts: ChangeCounts,
        message: String,
    },
    Outputs(BTreeMap<String, StreamOutput>),
    ApplyStart(Hook),
    ApplyProgress(Hook),
    ApplyComplete(Hook),
    ApplyErrored(Hook),
    ProvisionStart(Hook),
    ProvisionProgress(Hook),
    ProvisionComplete(Hook),
    ProvisionErrored(Hook),
    RefreshStart(Hook),
    RefreshComplete(Hook),
    /// `init -json` (1.9+): a step of initialisation.
    InitOutput {
        code: String,
        message: String,
    },
    /// A JSON message of a type this version does not know; `@message` is kept.
    Unknown {
        kind: String,
        level: Level,
        message: String,
    },
    /// A line that is not JSON at all (stderr noise, a crash); kept as it was.
    Text(String),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "@level", default)]
    level: Level,
    #[serde(rename = "@message", default)]
    message: String,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

fn field<T: serde::de::DeserializeOwned>(
    rest: &mut serde_json::Map<String, Value>,
    name: &str,
) -> Option<T> {
    rest.remove(name)
        .and_then(|v| serde_json::from_value(v).ok())
}

/// Parse one line of the stream. Never fails (see the module docs).
pub fn parse_line(line: &str) -> UiMessage {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    let Ok(Envelope {
        kind,
        level,
        message,
        mut rest,
    }) = serde_json::from_str::<Envelope>(trimmed)
    else {
        return UiMessage::Text(trimmed.to_string());
    };
    let parsed = match kind.as_str() {
        "version" => Some(UiMessage::Version {
            terraform: field(&mut rest, "terraform").unwrap_or_default(),
            ui: field(&mut rest, "ui").unwrap_or_default(),
        }),
        "log" => Some(UiMessage::Log {
            level,
            message: message.clone(),
        }),
        "diagnostic" => field(&mut rest, "diagnostic").map(UiMessage::Diagnostic),
        "planned_change" => field(&mut rest, "change").map(UiMessage::PlannedChange),
        "resource_drift" => field(&mut rest, "change").map(UiMessage::ResourceDrift),
        "change_summary" => summary(&mut rest, &message),
        "outputs" => field(&mut rest, "outputs").map(UiMessage::Outputs),
        "init_output" => Some(UiMessage::InitOutput {
            code: field(&mut rest, "message_code").unwrap_or_default(),
            message: message.clone(),
        }),
        hook_kind => field::<Hook>(&mut rest, "hook").and_then(|hook| {
            Some(match hook_kind {
                "apply_start" => UiMessage::ApplyStart(hook),
                "apply_progress" => UiMessage::ApplyProgress(hook),
                "apply_complete" => UiMessage::ApplyComplete(hook),
                "apply_errored" => UiMessage::ApplyErrored(hook),
                "provision_start" => UiMessage::ProvisionStart(hook),
                "provision_progress" => UiMessage::ProvisionProgress(hook),
                "provision_complete" => UiMessage::ProvisionComplete(hook),
                "provision_errored" => UiMessage::ProvisionErrored(hook),
                "refresh_start" => UiMessage::RefreshStart(hook),
                "refresh_complete" => UiMessage::RefreshComplete(hook),
                _ => return None,
            })
        }),
    };
    // A known type with a shape this version cannot read is shown like an unknown one.
    parsed.unwrap_or(UiMessage::Unknown {
        kind,
        level,
        message,
    })
}

fn summary(rest: &mut serde_json::Map<String, Value>, message: &str) -> Option<UiMessage> {
    let mut changes: serde_json::Map<String, Value> = field(rest, "changes")?;
    let operation = match changes.remove("operation")?.as_str()? {
        "plan" => Operation::Plan,
        "apply" => Operation::Apply,
        "destroy" => Operation::Destroy,
        _ => return None,
    };
    let counts = serde_json::from_value(Value::Object(changes)).ok()?;
    Some(UiMessage::ChangeSummary {
        operation,
        counts,
        message: message.to_string(),
    })
}

impl UiMessage {
    /// Rewrite every piece of text the message carries (used to redact secrets a provisioner
    /// echoed or a diagnostic quoted, before anything else sees the message).
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        let hook = |h: &mut Hook| {
            h.resource.addr = f(&h.resource.addr);
            for s in [&mut h.id_value, &mut h.output].into_iter().flatten() {
                *s = f(s);
            }
        };
        match self {
            UiMessage::Version { .. } => {}
            UiMessage::Log { message, .. }
            | UiMessage::Unknown { message, .. }
            | UiMessage::ChangeSummary { message, .. }
            | UiMessage::InitOutput { message, .. }
            | UiMessage::Text(message) => *message = f(message),
            UiMessage::Diagnostic(d) => {
                d.summary = f(&d.summary);
                d.detail = f(&d.detail);
                if let Some(a) = &mut d.address {
                    *a = f(a);
                }
                if let Some(snippet) = &mut d.snippet {
                    snippet.code = f(&snippet.code);
                    if let Some(c) = &mut snippet.context {
                        *c = f(c);
                    }
                }
            }
            UiMessage::PlannedChange(c) | UiMessage::ResourceDrift(c) => {
                c.resource.addr = f(&c.resource.addr);
            }
            UiMessage::Outputs(outputs) => {
                for o in outputs.values_mut() {
                    if let Some(v) = &mut o.value {
                        map_json_strings(v, f);
                    }
                }
            }
            UiMessage::ApplyStart(h)
            | UiMessage::ApplyProgress(h)
            | UiMessage::ApplyComplete(h)
            | UiMessage::ApplyErrored(h)
            | UiMessage::ProvisionStart(h)
            | UiMessage::ProvisionProgress(h)
            | UiMessage::ProvisionComplete(h)
            | UiMessage::ProvisionErrored(h)
            | UiMessage::RefreshStart(h)
            | UiMessage::RefreshComplete(h) => hook(h),
        }
    }

    /// The line a person reads for this message.
    pub fn text(&self) -> String {
        match self {
            UiMessage::Version { terraform, .. } => format!("Terraform {terraform}"),
            UiMessage::Log { message, .. } | UiMessage::Unknown { message, .. } => {
                message.trim().to_string()
            }
            UiMessage::Diagnostic(d) => match d.severity {
                Severity::Error => format!("Error: {}", d.summary),
                Severity::Warning => format!("Warning: {}", d.summary),
            },
            UiMessage::PlannedChange(c) => format!("{}: plan to {}", c.resource.addr, c.action),
            UiMessage::ResourceDrift(c) => format!("{}: drifted ({})", c.resource.addr, c.action),
            UiMessage::ChangeSummary { message, .. } | UiMessage::InitOutput { message, .. } => {
                message.clone()
            }
            UiMessage::Outputs(o) => format!("Outputs: {}", o.len()),
            UiMessage::ApplyStart(h) => {
                format!("{}: {}…", h.resource.addr, verb(h.action.as_deref()))
            }
            UiMessage::ApplyProgress(h) => format!(
                "{}: still {}… [{}s elapsed]",
                h.resource.addr,
                verb(h.action.as_deref()).to_lowercase(),
                secs(h)
            ),
            UiMessage::ApplyComplete(h) => format!("{}: done after {}s", h.resource.addr, secs(h)),
            UiMessage::ApplyErrored(h) => format!("{}: failed after {}s", h.resource.addr, secs(h)),
            UiMessage::ProvisionStart(h) => format!(
                "{}: provisioning with {}…",
                h.resource.addr,
                h.provisioner.as_deref().unwrap_or("a provisioner")
            ),
            UiMessage::ProvisionProgress(h) => format!(
                "{}: {}",
                h.resource.addr,
                h.output.as_deref().unwrap_or("").trim_end()
            ),
            UiMessage::ProvisionComplete(h) => {
                format!("{}: provisioning complete", h.resource.addr)
            }
            UiMessage::ProvisionErrored(h) => format!("{}: provisioning failed", h.resource.addr),
            UiMessage::RefreshStart(h) => format!("{}: refreshing…", h.resource.addr),
            UiMessage::RefreshComplete(h) => format!("{}: refreshed", h.resource.addr),
            UiMessage::Text(t) => t.clone(),
        }
    }
}

fn map_json_strings(v: &mut Value, f: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| map_json_strings(i, f)),
        Value::Object(map) => map.values_mut().for_each(|i| map_json_strings(i, f)),
        _ => {}
    }
}

fn verb(action: Option<&str>) -> &'static str {
    match action {
        Some("create") => "Creating",
        Some("delete") => "Destroying",
        Some("update") => "Modifying",
        Some("replace") => "Replacing",
        Some("read") => "Reading",
        _ => "Applying",
    }
}

fn secs(h: &Hook) -> u64 {
    // Seconds are whole in practice; a fraction is dropped, a negative or absurd value is 0.
    h.elapsed_seconds
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(0, |s| s.trunc() as u64)
}

/// Who holds the state lock, from an "Error acquiring the state lock" diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub id: String,
    pub path: String,
    pub operation: String,
    pub who: String,
    pub created: String,
}

impl LockInfo {
    pub fn from_diagnostic(d: &Diagnostic) -> Option<Self> {
        if d.summary != "Error acquiring the state lock" {
            return None;
        }
        let value = |key: &str| {
            d.detail.lines().find_map(|l| {
                let (k, v) = l.trim().split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        Some(Self {
            id: value("ID")?,
            path: value("Path").unwrap_or_default(),
            operation: value("Operation").unwrap_or_default(),
            who: value("Who").unwrap_or_default(),
            created: value("Created").unwrap_or_default(),
        })
    }
}

/// Whether a diagnostic says the provider registry could not be reached (`init` offline).
pub fn is_registry_unreachable(d: &Diagnostic) -> bool {
    d.summary
        .starts_with("Failed to query available provider packages")
        || d.detail.contains("could not connect to registry")
}
