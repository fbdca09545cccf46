//! [`ConfluentRunner`]: the Confluent step kinds (`flink_sql`, `confluent`) and check kinds
//! (`connector_status`, `flink_statement`, `schema_subject`, `topic_exists`, `cluster_ready`,
//! `compute_pool_ready`, `topic_messages`) on top of the [`ConfluentApi`] seam.
//!
//! Every call renders the course's `[confluent]` table into a [`Scope`] first, so ids created by
//! earlier steps flow in; URLs configured in the settings win over the table (that is how tests
//! and rehearsals point the guide at a stand-in).
//!
//! With a ledger ([`ConfluentRunner::with_ledger`]) every connector, Flink statement and Flink
//! connection a step creates is recorded there, and [`ConfluentRunner::remove_recorded`]
//! deletes one again for teardown.

mod actions;
mod checks;
mod cleanup;
mod flink;
mod scope;
mod topics;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::dispatch::WithSecrets;
use super::outcome::{LogStream, Observation, StepOutcome};
use super::{LogSink, ProbeContext, StepRun, Values};
use crate::backend::confluent::{ApiError, ApiErrorKind, ConfluentApi};
use crate::ledger::{self, ApiKind, ApiResource, ApiResourceEntry};
use crate::lesson::{CheckKind, ConfluentContext, ConfluentStep, FlinkSqlStep};
use crate::redact::Redactor;
use crate::values::Secrets;

pub use cleanup::{GONE_WAIT_POLLS, Removed};
pub use flink::{edited_statement_path, statement_name};
pub use scope::{ConfluentEndpoints, ResolvedScope, resolve};

/// How often a `flink_sql` step asks for its statement's phase while it waits.
pub const STATEMENT_POLL_INTERVAL_MS: u64 = 2_000;

pub struct ConfluentRunner {
    api: Arc<dyn ConfluentApi>,
    context: ConfluentContext,
    endpoints: ConfluentEndpoints,
    redactor: Redactor,
    /// When each connector was first seen FAILED in an unbroken run (flap tolerance).
    failing_since: Mutex<HashMap<String, Instant>>,
    /// The live secret store: checks read keys stored after their snapshot was taken.
    secrets: Option<Secrets>,
    /// Where created resources are recorded.
    ledger: Option<LedgerTarget>,
}

/// The resource ledger file and the clock that stamps its entries.
struct LedgerTarget {
    path: PathBuf,
    clock: Arc<dyn Clock>,
}

/// What a step did to a resource the ledger keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LedgerChange {
    /// It exists now (created, or found from an earlier run).
    Exists(ApiKind, String),
    /// The step deleted it.
    Gone(ApiKind, String),
}

impl ConfluentRunner {
    pub fn new(
        api: Arc<dyn ConfluentApi>,
        context: ConfluentContext,
        endpoints: ConfluentEndpoints,
        redactor: Redactor,
    ) -> Self {
        Self {
            api,
            context,
            endpoints,
            redactor,
            failing_since: Mutex::new(HashMap::new()),
            secrets: None,
            ledger: None,
        }
    }

    /// Record what steps create in the resource ledger at `path` (`<data>/terraform/ledger.json`).
    pub fn with_ledger(self, path: PathBuf, clock: Arc<dyn Clock>) -> Self {
        Self {
            ledger: Some(LedgerTarget { path, clock }),
            ..self
        }
    }

    /// Fall back to the live secret store for keys the run's snapshot lacks (API keys that a
    /// Terraform step stored, or the dispatcher restored from state, after it was taken).
    pub fn with_secrets(self, secrets: Secrets) -> Self {
        Self {
            secrets: Some(secrets),
            ..self
        }
    }

    fn values(&self, values: &Values) -> Values {
        match &self.secrets {
            Some(secrets) => Arc::new(WithSecrets {
                base: Arc::clone(values),
                secrets: secrets.clone(),
            }),
            None => Arc::clone(values),
        }
    }

    /// Secrets the `[confluent]` table names (API key secrets, often Terraform outputs).
    pub fn secret_names(&self) -> Vec<String> {
        self.context
            .fields
            .values()
            .flat_map(|t| t.secret_names())
            .map(str::to_string)
            .collect()
    }

    fn scope(&self, values: &dyn crate::lesson::template::TemplateContext) -> ResolvedScope {
        let resolved = scope::resolve(&self.context, &self.endpoints, values);
        for key in resolved.scope.keys.values() {
            self.redactor.add_basic_auth(&key.key, &key.secret);
        }
        resolved
    }

    /// Probe one Confluent check kind; `None` when `kind` is not one of them.
    pub async fn probe(&self, kind: &CheckKind, ctx: &ProbeContext) -> Option<Observation> {
        let values = self.values(&ctx.values);
        let resolved = self.scope(values.as_ref());
        let values = values.as_ref();
        let api = self.api.as_ref();
        Some(match kind {
            CheckKind::ConnectorStatus(c) => {
                let tracker = FlapTracker {
                    since: &self.failing_since,
                };
                checks::connector_status(api, &resolved, c, values, &tracker).await
            }
            CheckKind::FlinkStatement(c) => {
                checks::flink_statement(api, &resolved, c, values).await
            }
            CheckKind::SchemaSubject(c) => checks::schema_subject(api, &resolved, c, values).await,
            CheckKind::TopicExists(c) => checks::topic_exists(api, &resolved, c, values).await,
            CheckKind::ClusterReady => checks::cluster_ready(api, &resolved).await,
            CheckKind::ComputePoolReady => checks::compute_pool_ready(api, &resolved).await,
            CheckKind::TopicMessages(c) => {
                topics::topic_messages(Arc::clone(&self.api), &resolved, c, values).await
            }
            _ => return None,
        })
    }

    /// Whether the environment `id` is gone, for `no_leftovers`: `Ok(None)` when Confluent
    /// answers 403/404, `Ok(Some(name))` when it still exists, `Err` (with whether to try
    /// again) when the answer says neither.
    pub async fn environment_left(
        &self,
        id: &str,
        values: &Values,
    ) -> Result<Option<String>, (bool, String)> {
        let values = self.values(values);
        let resolved = self.scope(values.as_ref());
        match self.api.environment(&resolved.scope, id).await {
            Ok((_, name)) => Ok(Some(name)),
            Err(e) if e.is_gone() => Ok(None),
            Err(e) => Err((e.is_transient(), explain(&e, &resolved))),
        }
    }

    pub async fn execute_flink(
        &self,
        run: &StepRun,
        step: &FlinkSqlStep,
        log: &LogSink,
        cancel: CancellationToken,
    ) -> StepOutcome {
        let resolved = self.scope(self.values(&run.values).as_ref());
        let mut exists = None;
        let outcome = flink::execute(
            self.api.as_ref(),
            &resolved,
            run,
            step,
            log,
            cancel,
            &mut exists,
        )
        .await;
        let change = exists.map(|name| LedgerChange::Exists(ApiKind::FlinkStatement, name));
        self.record(run, &resolved, change, outcome, log)
    }

    pub async fn execute_action(
        &self,
        run: &StepRun,
        step: &ConfluentStep,
        log: &LogSink,
    ) -> StepOutcome {
        let resolved = self.scope(self.values(&run.values).as_ref());
        let (outcome, change) =
            actions::execute(self.api.as_ref(), &resolved, run, step, log).await;
        self.record(run, &resolved, change, outcome, log)
    }

    /// Tell the ledger what the step did. A resource that exists but cannot be recorded fails
    /// a successful step: teardown would not know to delete it, and Retry records it.
    fn record(
        &self,
        run: &StepRun,
        resolved: &ResolvedScope,
        change: Option<LedgerChange>,
        outcome: StepOutcome,
        log: &LogSink,
    ) -> StepOutcome {
        let (Some(target), Some(change)) = (&self.ledger, change) else {
            return outcome;
        };
        let scope = &resolved.scope;
        let (what, written) = match change {
            LedgerChange::Exists(kind, name) => {
                let what = format!("{} {name}", kind.label());
                let resource = ApiResource {
                    kind,
                    ids: cleanup::ids_of(kind, scope),
                    name,
                    lesson: run.lesson.clone(),
                    step: run.step.clone(),
                    at_ms: target.clock.wall_ms(),
                    owner: ledger::owner(),
                };
                (
                    what,
                    ledger::update(&target.path, |l| l.record_api(resource)),
                )
            }
            LedgerChange::Gone(kind, name) => {
                let ids = cleanup::ids_of(kind, scope);
                let what = format!("{} {name}", kind.label());
                (
                    what,
                    ledger::update(&target.path, |l| l.forget_api(kind, &name, &ids)),
                )
            }
        };
        let Err(e) = written else {
            return outcome;
        };
        let problem = format!("{what} could not be recorded in the resource ledger: {e}");
        match outcome {
            StepOutcome::Succeeded { .. } => StepOutcome::Failed {
                message: format!(
                    "{problem}; `cdc-workshop teardown` would not know to delete it: fix the cause and press Retry"
                ),
                exit_code: None,
            },
            other => {
                log.send(LogStream::Guide, &problem);
                other
            }
        }
    }

    /// Delete one resource the ledger recorded, where it was created, and forget it in the
    /// ledger. `values` renders the `[confluent]` table for the URLs and keys (secrets from the
    /// store, never from the ledger). The error is fit for the participant.
    pub async fn remove_recorded(
        &self,
        entry: &ApiResourceEntry,
        values: &Values,
        cancel: &CancellationToken,
    ) -> Result<Removed, String> {
        let resolved = self.scope(self.values(values).as_ref());
        let removed = cleanup::remove(self.api.as_ref(), &resolved, entry, cancel).await?;
        if let Some(target) = &self.ledger {
            ledger::update(&target.path, |l| {
                l.forget_api(entry.kind, &entry.name, &entry.ids);
            })
            .map_err(|e| {
                format!(
                    "{} {} is gone, but the resource ledger could not forget it: {e}",
                    entry.kind.label(),
                    entry.name
                )
            })?;
        }
        Ok(removed)
    }
}

/// Remembers how long a connector has been FAILED without a break.
pub(crate) struct FlapTracker<'a> {
    since: &'a Mutex<HashMap<String, Instant>>,
}

impl FlapTracker<'_> {
    /// Seconds the connector has been failing, counting this observation.
    fn failing_for(&self, key: &str) -> std::time::Duration {
        let mut map = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        let first = *map.entry(key.to_string()).or_insert_with(Instant::now);
        Instant::now().saturating_duration_since(first)
    }

    fn recovered(&self, key: &str) {
        let mut map = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(key);
    }
}

/// An API error as the participant reads it, with the reason a scope field is missing.
pub(crate) fn explain(err: &ApiError, resolved: &ResolvedScope) -> String {
    if let ApiErrorKind::MissingScope(field) = err.kind
        && let Some(why) = resolved.unresolved.get(field)
    {
        return format!("`{field}` of [confluent] is not known yet: {why}");
    }
    err.to_string()
}
