//! Performs the engine's effects: journal appends, step runs, check polling, cancellation.
//!
//! Shared by the TUI and `run`, so both drive the very same engine. Results come back as
//! [`TaskEvent`]s on one bounded channel; step output comes in batches per step.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::backend::terraform::ui::UiMessage;
use crate::engine::{Effect, Msg, Session};
use crate::journal::{Journal, JournalError, Record};
use crate::lesson::CheckSpec;
use crate::redact::Redactor;
use crate::runner::check::run_check;
use crate::runner::clock::{Clock, millis};
use crate::runner::outcome::{CheckReport, LogLine, StepOutcome, Verdict};
use crate::runner::terraform::TerraformRunner;
use crate::runner::{LogSink, PROGRESS_CHANNEL_LEN, ProbeContext, Prober, StepExecutor, StepRun};
use crate::values::Values;

/// Capacity of the results channel; tasks wait when it is full (control traffic is small).
pub const TASK_CHANNEL_LEN: usize = 256;
/// Lines of step output forwarded per batch.
const LOG_BATCH_LEN: usize = 256;
/// How long a finished step's remaining output may take to arrive (a background process that
/// inherited the pipes can keep them open).
const LOG_DRAIN_TIMEOUT: Duration = Duration::from_secs(3);
/// Records between snapshots of the derived state.
const SNAPSHOT_EVERY_RECORDS: u64 = 50;

#[derive(Debug)]
pub enum TaskEvent {
    Engine(Msg),
    StepLogged {
        lesson: String,
        step: String,
        lines: Vec<LogLine>,
        dropped: u64,
    },
    /// Something to tell the participant that is not step progress (a lock released…).
    Notice {
        text: String,
        is_error: bool,
    },
    /// Typed progress of a terraform step (every message, in order).
    StepProgressed {
        lesson: String,
        step: String,
        messages: Vec<UiMessage>,
    },
}

/// The side-effect implementations the tasks use.
#[derive(Clone)]
pub struct Services {
    pub executor: Arc<dyn StepExecutor>,
    pub prober: Arc<dyn Prober>,
    pub clock: Arc<dyn Clock>,
    pub redactor: Redactor,
    /// Terraform workspaces, for actions outside steps (force-unlock).
    pub terraform: Option<Arc<TerraformRunner>>,
}

pub struct TaskManager {
    services: Services,
    values: Values,
    work_dir: PathBuf,
    journal: Journal,
    tx: mpsc::Sender<TaskEvent>,
    steps: HashMap<(String, String), CancellationToken>,
    checks: HashMap<(String, String), CancellationToken>,
    tracker: TaskTracker,
    last_snapshot_seq: u64,
}

impl TaskManager {
    pub fn new(
        services: Services,
        values: Values,
        work_dir: PathBuf,
        journal: Journal,
    ) -> (Self, mpsc::Receiver<TaskEvent>) {
        let (tx, rx) = mpsc::channel(TASK_CHANNEL_LEN);
        let manager = Self {
            services,
            values,
            work_dir,
            journal,
            tx,
            steps: HashMap::new(),
            checks: HashMap::new(),
            tracker: TaskTracker::new(),
            last_snapshot_seq: 0,
        };
        (manager, rx)
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Whether any step is still running (quitting then needs a confirmation).
    pub fn has_running_steps(&self) -> bool {
        self.steps.values().any(|t| !t.is_cancelled())
    }

    /// Perform effects in order. Journal failures stop here: progress that cannot be saved must
    /// not silently continue.
    pub fn perform(
        &mut self,
        effects: Vec<Effect>,
        session: &Session,
    ) -> Result<Vec<Record>, JournalError> {
        let mut recorded = Vec::new();
        for effect in effects {
            match effect {
                Effect::Record(record) => {
                    let written = self.journal.append(record.event, record.ts_ms)?;
                    recorded.push(written);
                }
                Effect::RunStep {
                    lesson,
                    step,
                    attempt,
                    purpose: _,
                    kind,
                    outputs,
                    timeout,
                } => {
                    let run = StepRun {
                        lesson: lesson.clone(),
                        step: step.clone(),
                        kind,
                        outputs,
                        timeout,
                        values: self.values.snapshot(session),
                        work_dir: self.work_dir.clone(),
                    };
                    self.spawn_step(run, attempt);
                }
                Effect::CancelStep { lesson, step } => {
                    if let Some(token) = self.steps.get(&(lesson, step)) {
                        token.cancel();
                    }
                }
                Effect::StartCheck {
                    lesson,
                    check,
                    generation,
                    spec,
                } => {
                    self.spawn_check(lesson, check, generation, spec, session);
                }
                Effect::CancelCheck { lesson, check } => {
                    if let Some(token) = self.checks.remove(&(lesson, check)) {
                        token.cancel();
                    }
                }
                Effect::EvaluateEntry {
                    lesson,
                    requires,
                    objectives,
                } => {
                    self.spawn_entry(lesson, requires, objectives, session);
                }
            }
        }
        if session.seq >= self.last_snapshot_seq + SNAPSHOT_EVERY_RECORDS {
            self.snapshot(session);
        }
        Ok(recorded)
    }

    /// Write a snapshot now (on quit, and every few dozen records).
    pub fn snapshot(&mut self, session: &Session) {
        match self.journal.write_snapshot(session.seq, session) {
            Ok(()) => self.last_snapshot_seq = session.seq,
            // The journal is the source of truth; a missing snapshot only costs replay time.
            Err(e) => tracing::warn!(error = %e, "could not write the snapshot"),
        }
    }

    fn probe_context(&self, session: &Session) -> ProbeContext {
        ProbeContext {
            values: self.values.snapshot(session),
            redactor: self.services.redactor.clone(),
            work_dir: self.work_dir.clone(),
        }
    }

    fn spawn_step(&mut self, run: StepRun, attempt: u32) {
        let cancel = CancellationToken::new();
        if let Some(old) = self
            .steps
            .insert((run.lesson.clone(), run.step.clone()), cancel.clone())
        {
            old.cancel();
        }
        let (sink, mut log_rx) = LogSink::channel(self.services.redactor.clone());
        let (progress_tx, mut progress_rx) = mpsc::channel(PROGRESS_CHANNEL_LEN);
        let sink = sink.with_progress(progress_tx);
        let tx = self.tx.clone();
        let executor = Arc::clone(&self.services.executor);
        let clock = Arc::clone(&self.services.clock);
        let (lesson, step) = (run.lesson.clone(), run.step.clone());
        let forward_tx = tx.clone();
        let drops = sink.drop_counter();
        // Output is forwarded in batches so a chatty step costs one action per batch; typed
        // progress travels beside it until both channels close.
        let forwarder = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(LOG_BATCH_LEN);
            let mut progress = Vec::with_capacity(LOG_BATCH_LEN);
            let mut reported_drops = 0;
            let (mut logs_open, mut progress_open) = (true, true);
            while logs_open || progress_open {
                let event = tokio::select! {
                    n = log_rx.recv_many(&mut batch, LOG_BATCH_LEN), if logs_open => {
                        if n == 0 {
                            logs_open = false;
                            continue;
                        }
                        let dropped = drops.load(std::sync::atomic::Ordering::Relaxed);
                        let event = TaskEvent::StepLogged {
                            lesson: lesson.clone(),
                            step: step.clone(),
                            lines: std::mem::take(&mut batch),
                            dropped: dropped - reported_drops,
                        };
                        reported_drops = dropped;
                        event
                    }
                    n = progress_rx.recv_many(&mut progress, LOG_BATCH_LEN), if progress_open => {
                        if n == 0 {
                            progress_open = false;
                            continue;
                        }
                        TaskEvent::StepProgressed {
                            lesson: lesson.clone(),
                            step: step.clone(),
                            messages: std::mem::take(&mut progress),
                        }
                    }
                };
                if forward_tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        self.tracker.spawn(async move {
            let started = clock.now();
            let outcome = executor.execute(&run, sink, cancel.clone()).await;
            let duration_ms = millis(clock.now().saturating_duration_since(started));
            cancel.cancel();
            // Everything the step printed is delivered before its result, so a reader that stops
            // at the result has seen the whole output.
            if tokio::time::timeout(LOG_DRAIN_TIMEOUT, forwarder)
                .await
                .is_err()
            {
                tracing::warn!(step = %run.step, "step output still flowing after the step ended");
            }
            let msg = Msg::StepFinished {
                lesson: run.lesson,
                step: run.step,
                attempt,
                outcome,
                duration_ms,
            };
            let _ = tx.send(TaskEvent::Engine(msg)).await;
        });
    }

    fn spawn_check(
        &mut self,
        lesson: String,
        check: String,
        generation: u32,
        spec: CheckSpec,
        session: &Session,
    ) {
        let cancel = CancellationToken::new();
        if let Some(old) = self
            .checks
            .insert((lesson.clone(), check.clone()), cancel.clone())
        {
            old.cancel();
        }
        let ctx = self.probe_context(session);
        let tx = self.tx.clone();
        let prober = Arc::clone(&self.services.prober);
        let clock = Arc::clone(&self.services.clock);
        self.tracker.spawn(async move {
            let attempt_tx = tx.clone();
            let (l, c) = (lesson.clone(), check.clone());
            let mut on_attempt = move |attempt| {
                // Attempt reports are informational; under pressure the final report still comes.
                let _ = attempt_tx.try_send(TaskEvent::Engine(Msg::CheckAttempted {
                    lesson: l.clone(),
                    check: c.clone(),
                    generation,
                    attempt,
                }));
            };
            let report = run_check(
                &spec,
                prober.as_ref(),
                &ctx,
                clock.as_ref(),
                cancel.clone(),
                &mut on_attempt,
            )
            .await;
            if cancel.is_cancelled() {
                return;
            }
            let _ = tx
                .send(TaskEvent::Engine(Msg::CheckFinished {
                    lesson,
                    check,
                    generation,
                    report,
                }))
                .await;
        });
    }

    fn spawn_entry(
        &mut self,
        lesson: String,
        requires: Vec<CheckSpec>,
        objectives: Vec<CheckSpec>,
        session: &Session,
    ) {
        let ctx = self.probe_context(session);
        let tx = self.tx.clone();
        let prober = Arc::clone(&self.services.prober);
        self.tracker.spawn(async move {
            let mut required = Vec::new();
            for spec in &requires {
                required.push(probe_once(prober.as_ref(), &ctx, spec).await);
            }
            let mut met = !objectives.is_empty();
            for spec in &objectives {
                if !prober.probe(&spec.kind, &ctx).await.verdict.is_satisfied() {
                    met = false;
                    break;
                }
            }
            let msg = Msg::EntryEvaluated {
                lesson,
                objectives_met: met,
                requires: required,
            };
            let _ = tx.send(TaskEvent::Engine(msg)).await;
        });
    }

    /// Release a module's state lock whose holder is gone (the participant confirmed).
    pub fn force_unlock(&mut self, module: String, lock_id: String) {
        let tx = self.tx.clone();
        let terraform = self.services.terraform.clone();
        self.tracker.spawn(async move {
            let (text, is_error) = match terraform {
                None => ("terraform is not set up in this session".to_string(), true),
                Some(tf) => match tf.force_unlock(&module, &lock_id).await {
                    Ok(()) => (
                        format!("released the state lock of module `{module}`: retry the step"),
                        false,
                    ),
                    Err(e) => (
                        format!("could not force-unlock module `{module}`: {e}"),
                        true,
                    ),
                },
            };
            let _ = tx.send(TaskEvent::Notice { text, is_error }).await;
        });
    }

    /// Stop every step and check (a new run replaces this one).
    pub fn cancel_all(&mut self) {
        for token in self.steps.values().chain(self.checks.values()) {
            token.cancel();
        }
    }

    /// Cancel everything and wait (up to `grace`) for tasks to wind down.
    pub async fn shutdown(&mut self, grace: Duration) {
        self.cancel_all();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some tasks did not stop within {grace:?}");
        }
    }
}

/// One-shot verdicts for a set of checks (used by `cdc-workshop check`).
pub async fn probe_once(prober: &dyn Prober, ctx: &ProbeContext, spec: &CheckSpec) -> CheckReport {
    let o = prober.probe(&spec.kind, ctx).await;
    let message = match o.verdict {
        Verdict::Pass => spec.messages.pass.clone(),
        Verdict::Warn => spec.messages.warn.clone(),
        Verdict::Fail => spec.messages.fail.clone(),
        Verdict::Pending => spec.messages.pending.clone(),
    }
    .map(|m| crate::runner::check::fill_message(&m, &o.observed, ctx.values.as_ref()))
    .unwrap_or_else(|| o.observed.clone());
    CheckReport {
        verdict: o.verdict,
        observed: o.observed,
        message,
        attempts: 1,
    }
}

/// Whether a step outcome should be shown as an error line.
pub fn outcome_line(outcome: &StepOutcome) -> String {
    match outcome {
        StepOutcome::Succeeded { outputs } if outputs.is_empty() => "succeeded".to_string(),
        StepOutcome::Succeeded { outputs } => {
            format!(
                "succeeded; outputs: {}",
                outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        }
        StepOutcome::Failed { message, .. } => format!("failed: {message}"),
        StepOutcome::Interrupted { reason } => format!("interrupted: {reason}"),
    }
}
