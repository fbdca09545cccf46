//! A [`UiMessage`] as a flat JSON event for `run --format json`: the facts a script (or a
//! facilitator's board) needs about provisioning, without Terraform's envelope.
//!
//! Log and text lines are left out: they already travel as `log` events.

use serde_json::{Value, json};

use super::ui::{Diagnostic, Hook, Operation, Severity, UiMessage};

/// The event for `msg`, or `None` when it carries nothing beyond its log line.
pub fn to_event(msg: &UiMessage) -> Option<Value> {
    let hook = |phase: &str, h: &Hook| {
        json!({
            "kind": "resource",
            "phase": phase,
            "addr": h.resource.addr,
            "action": h.action,
            "id": h.id_value,
            "elapsed_s": h.elapsed_seconds,
        })
    };
    Some(match msg {
        UiMessage::Version { terraform, .. } => json!({"kind": "version", "terraform": terraform}),
        UiMessage::PlannedChange(c) if c.action != "noop" => json!({
            "kind": "planned_change", "addr": c.resource.addr, "action": c.action,
        }),
        UiMessage::ChangeSummary {
            operation, counts, ..
        } => json!({
            "kind": "change_summary",
            "operation": match operation {
                Operation::Plan => "plan",
                Operation::Apply => "apply",
                Operation::Destroy => "destroy",
            },
            "add": counts.add, "change": counts.change, "remove": counts.remove, "import": counts.import,
        }),
        UiMessage::ApplyStart(h) => hook("start", h),
        UiMessage::ApplyProgress(h) => hook("progress", h),
        UiMessage::ApplyComplete(h) => hook("complete", h),
        UiMessage::ApplyErrored(h) => hook("errored", h),
        UiMessage::Diagnostic(d) => diagnostic(d),
        UiMessage::Outputs(outputs) => json!({
            "kind": "outputs",
            // Names and sensitivity only: values go through the step's declared outputs.
            "outputs": outputs
                .iter()
                .map(|(name, o)| json!({"name": name, "sensitive": o.sensitive}))
                .collect::<Vec<_>>(),
        }),
        _ => return None,
    })
}

fn diagnostic(d: &Diagnostic) -> Value {
    json!({
        "kind": "diagnostic",
        "severity": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "summary": d.summary,
        "detail": d.detail,
        "address": d.address,
        "range": d.range.as_ref().map(|r| format!(
            "{}:{}.{}-{}.{}",
            r.filename, r.start.line, r.start.column, r.end.line, r.end.column
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::ui::parse_line;

    #[test]
    fn hooks_and_diagnostics_become_flat_events_and_logs_do_not() {
        let start = parse_line(
            r#"{"@level":"info","@message":"a: Creating...","type":"apply_start","hook":{"resource":{"addr":"terraform_data.a","module":"","resource":"terraform_data.a","resource_type":"terraform_data","resource_name":"a","resource_key":null},"action":"create"}}"#,
        );
        assert_eq!(
            to_event(&start),
            Some(
                json!({"kind": "resource", "phase": "start", "addr": "terraform_data.a",
                "action": "create", "id": null, "elapsed_s": null})
            )
        );
        let diag = parse_line(
            r#"{"@level":"error","@message":"Error: boom","type":"diagnostic","diagnostic":{"severity":"error","summary":"boom","detail":"why","range":{"filename":"main.tf","start":{"line":3,"column":1,"byte":0},"end":{"line":3,"column":9,"byte":8}}}}"#,
        );
        let event = to_event(&diag).unwrap();
        assert_eq!(event["severity"], "error");
        assert_eq!(event["range"], "main.tf:3.1-3.9");
        let log = parse_line(r#"{"@level":"info","@message":"hello","type":"log"}"#);
        assert_eq!(to_event(&log), None);
    }
}
