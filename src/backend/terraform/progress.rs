//! Folds a `-json` stream into what a participant watches: how many planned resources are
//! done, what each one is doing and for how long, the diagnostics, and the final outputs.

use std::collections::BTreeMap;

use super::ui::{ChangeCounts, Diagnostic, LockInfo, Operation, Severity, StreamOutput, UiMessage};

/// Provisioner lines kept per resource (the newest win).
pub const PROVISION_LINES_KEPT: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceState {
    Planned,
    Applying,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceProgress {
    pub addr: String,
    pub action: String,
    pub state: ResourceState,
    pub elapsed_secs: u64,
    pub id: Option<String>,
    pub provision_output: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyProgress {
    pub terraform_version: Option<String>,
    /// Resources in the order they were planned (or first touched, for a saved plan).
    pub order: Vec<String>,
    pub resources: BTreeMap<String, ResourceProgress>,
    pub plan: Option<ChangeCounts>,
    /// The closing summary; absent when the run failed or was interrupted.
    pub result: Option<(Operation, ChangeCounts)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Outputs from the closing `outputs` message (sensitive ones without a value).
    pub outputs: BTreeMap<String, StreamOutput>,
    pub interrupted: bool,
    pub lock: Option<LockInfo>,
    pub registry_unreachable: bool,
}

impl ApplyProgress {
    pub fn apply(&mut self, msg: &UiMessage) {
        match msg {
            UiMessage::Version { terraform, .. } => {
                self.terraform_version = Some(terraform.clone())
            }
            UiMessage::PlannedChange(c) if c.action != "noop" => {
                self.touch(&c.resource.addr, &c.action);
            }
            UiMessage::ChangeSummary {
                operation: Operation::Plan,
                counts,
                ..
            } => self.plan = Some(*counts),
            UiMessage::ChangeSummary {
                operation, counts, ..
            } => self.result = Some((*operation, *counts)),
            UiMessage::ApplyStart(h) => {
                let r = self.touch(&h.resource.addr, h.action.as_deref().unwrap_or("apply"));
                r.state = ResourceState::Applying;
                if let Some(id) = &h.id_value {
                    r.id = Some(id.clone());
                }
            }
            UiMessage::ApplyProgress(h) => {
                let r = self.touch(&h.resource.addr, h.action.as_deref().unwrap_or("apply"));
                r.elapsed_secs = whole_secs(h.elapsed_seconds);
            }
            UiMessage::ApplyComplete(h) => {
                let r = self.touch(&h.resource.addr, h.action.as_deref().unwrap_or("apply"));
                r.state = ResourceState::Done;
                r.elapsed_secs = whole_secs(h.elapsed_seconds);
                if let Some(id) = &h.id_value {
                    r.id = Some(id.clone());
                }
            }
            UiMessage::ApplyErrored(h) => {
                let r = self.touch(&h.resource.addr, h.action.as_deref().unwrap_or("apply"));
                r.state = ResourceState::Failed;
                r.elapsed_secs = whole_secs(h.elapsed_seconds);
            }
            UiMessage::ProvisionProgress(h) => {
                if let Some(line) = &h.output {
                    let r = self.touch(&h.resource.addr, "create");
                    if r.provision_output.len() == PROVISION_LINES_KEPT {
                        r.provision_output.remove(0);
                    }
                    r.provision_output.push(line.trim_end().to_string());
                }
            }
            UiMessage::Diagnostic(d) => {
                if self.lock.is_none() {
                    self.lock = LockInfo::from_diagnostic(d);
                }
                self.registry_unreachable |= super::ui::is_registry_unreachable(d);
                self.diagnostics.push(d.clone());
            }
            // The planning half sends outputs with actions only; the closing one has values.
            UiMessage::Outputs(outputs) if outputs.values().all(|o| o.action.is_none()) => {
                self.outputs = outputs.clone();
            }
            UiMessage::Log { message, .. } if message.contains("Interrupt received") => {
                self.interrupted = true
            }
            _ => {}
        }
    }

    fn touch(&mut self, addr: &str, action: &str) -> &mut ResourceProgress {
        if !self.resources.contains_key(addr) {
            self.order.push(addr.to_string());
        }
        self.resources
            .entry(addr.to_string())
            .or_insert_with(|| ResourceProgress {
                addr: addr.to_string(),
                action: action.to_string(),
                state: ResourceState::Planned,
                elapsed_secs: 0,
                id: None,
                provision_output: Vec::new(),
            })
    }

    /// Resources this run changes.
    pub fn total(&self) -> usize {
        self.resources.len()
    }

    /// Resources that finished, successfully or not.
    pub fn finished(&self) -> usize {
        self.resources
            .values()
            .filter(|r| matches!(r.state, ResourceState::Done | ResourceState::Failed))
            .count()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The run reached its closing summary without an error.
    pub fn succeeded(&self) -> bool {
        self.result.is_some() && self.errors().next().is_none()
    }
}

fn whole_secs(s: Option<f64>) -> u64 {
    s.filter(|v| v.is_finite() && *v >= 0.0)
        .map_or(0, |v| v.trunc() as u64)
}
