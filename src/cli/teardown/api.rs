//! Teardown's first half: delete what steps created through the Confluent API (Flink
//! statements, then Flink connections, then connectors, newest first), before Terraform
//! destroys the environment they live in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::ledger::{ApiResourceEntry, Ledger};
use crate::runner::Values;
use crate::runner::confluent::{ConfluentRunner, Removed};
use crate::runner::terraform::TerraformRunner;
use crate::values::ValueSnapshot;
use crate::workspace::Workspace;

use super::super::output::{Format, json_line};
use super::{Failure, Item, say};

/// What the API half achieved: removed resources (and how), and failures with their reason.
#[derive(Default)]
pub(super) struct Removals {
    pub removed: Vec<(ApiResourceEntry, Removed)>,
    pub failed: Vec<Failure>,
}

/// `connector pg_cc_source`.
pub(super) fn describe(entry: &ApiResourceEntry) -> String {
    format!("{} {}", entry.kind.label(), entry.name)
}

fn event(format: Format, entry: &ApiResourceEntry, status: &str, reason: Option<&str>) {
    if format == Format::Json {
        json_line(&json!({
            "type": "api_delete",
            "kind": entry.kind.name(),
            "name": entry.name,
            "status": status,
            "reason": reason,
        }));
    }
}

/// What the `[confluent]` table renders against at teardown: the current run's step outputs
/// (the journal), overlaid with the outputs of every module still in the ledger, the settings'
/// variables, and the secrets of the credential store (sensitive module outputs read back
/// from Terraform state). Nothing secret comes from the ledger.
async fn values(
    ws: &Workspace,
    terraform: &TerraformRunner,
    ledger: &Ledger,
    confluent: &ConfluentRunner,
) -> Values {
    let mut outputs: BTreeMap<String, BTreeMap<String, String>> = match ws.open_current() {
        Ok(Some(opened)) => opened.engine.session().outputs.clone(),
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            tracing::warn!(error = %e, "teardown renders [confluent] without the run's outputs");
            BTreeMap::new()
        }
    };
    for m in &ledger.modules {
        outputs
            .entry(m.step.clone())
            .or_default()
            .extend(m.outputs.clone());
    }
    let wanted: BTreeSet<String> = confluent.secret_names().into_iter().collect();
    terraform.restore_secrets(&wanted).await;
    Arc::new(ValueSnapshot::from_parts(
        outputs,
        ws.values.vars().clone(),
        ws.values.secrets(),
    ))
}

/// Delete every recorded API resource, each retried once when it fails; a removed one leaves
/// the ledger, a failed one stays.
pub(super) async fn remove_all(
    ws: &Workspace,
    terraform: &TerraformRunner,
    ledger: &Ledger,
    format: Format,
    cancel: &CancellationToken,
) -> Removals {
    let mut out = Removals::default();
    let order = ledger.api_teardown_order();
    if order.is_empty() {
        return out;
    }
    let Some(confluent) = ws.confluent(ws.clock()) else {
        for entry in order {
            let reason = "no HTTPS client for the Confluent API could be set up (see the log)";
            event(format, &entry, "failed", Some(reason));
            out.failed.push(Failure {
                item: Item::Api(entry),
                reason: reason.to_string(),
            });
        }
        return out;
    };
    let values = values(ws, terraform, ledger, &confluent).await;
    for entry in order {
        let what = describe(&entry);
        if cancel.is_cancelled() {
            out.failed.push(Failure {
                item: Item::Api(entry),
                reason: "not attempted: interrupted".into(),
            });
            continue;
        }
        say(format, &format!("{what}: deleting…"));
        let mut result = confluent.remove_recorded(&entry, &values, cancel).await;
        if let Err(reason) = &result
            && !cancel.is_cancelled()
        {
            say(
                format,
                &format!("{what}: delete failed ({reason}); retrying once"),
            );
            event(format, &entry, "retrying", Some(reason));
            result = confluent.remove_recorded(&entry, &values, cancel).await;
        }
        match result {
            Ok(removed) => {
                let text = match removed {
                    Removed::Deleted => format!("{what}: deleted"),
                    Removed::AlreadyGone => format!("{what}: was already gone"),
                };
                say(format, &text);
                event(format, &entry, removed.name(), None);
                out.removed.push((entry, removed));
            }
            Err(reason) => {
                event(format, &entry, "failed", Some(&reason));
                out.failed.push(Failure {
                    item: Item::Api(entry),
                    reason,
                });
            }
        }
    }
    out
}
