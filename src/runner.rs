//! The engine's side-effect seams: running steps and probing checks.
//!
//! `runner` depends on `lesson` and on these traits only. The app hands it a [`StepExecutor`] and
//! a [`Prober`]; tests hand it doubles. Results come back as plain data ([`outcome`]).

pub mod aws;
pub mod backoff;
pub mod check;
pub mod clock;
pub mod confluent;
pub mod dispatch;
pub mod human;
pub mod leftovers;
pub mod outcome;
pub mod probe;
pub mod process;
pub mod sql;
pub mod table;
pub mod terraform;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backend::terraform::ui::UiMessage;
use crate::lesson::template::TemplateContext;
use crate::lesson::{CheckKind, StepKind};
use crate::redact::Redactor;
use outcome::{LogLine, LogStream, Observation, StepOutcome};

/// Values templates render against, shared with running tasks.
pub type Values = Arc<dyn TemplateContext + Send + Sync>;

/// What a probe needs besides the check itself.
#[derive(Clone)]
pub struct ProbeContext {
    pub values: Values,
    pub redactor: Redactor,
    /// Relative paths in checks resolve against this directory (the run's work dir).
    pub work_dir: PathBuf,
}

/// Looks at the live system once for one check kind. Read-only, never mutates anything.
pub trait Prober: Send + Sync {
    fn probe<'a>(
        &'a self,
        kind: &'a CheckKind,
        ctx: &'a ProbeContext,
    ) -> BoxFuture<'a, Observation>;
}

/// Everything needed to run one step once.
#[derive(Clone)]
pub struct StepRun {
    pub lesson: String,
    pub step: String,
    pub kind: StepKind,
    /// Output names the step must provide.
    pub outputs: Vec<String>,
    pub timeout: Option<Duration>,
    pub values: Values,
    /// Working directory for this step (inside the data dir) unless the step names one.
    pub work_dir: PathBuf,
}

/// Performs a step. Shell steps spawn a process; later issues add terraform, confluent, sql…
pub trait StepExecutor: Send + Sync {
    fn execute<'a>(
        &'a self,
        run: &'a StepRun,
        log: LogSink,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, StepOutcome>;
}

/// Capacity of a step's log channel; a faster producer loses lines (counted), never blocks.
pub const LOG_CHANNEL_LEN: usize = 1024;

/// Capacity of a step's typed-progress channel (terraform messages).
pub const PROGRESS_CHANNEL_LEN: usize = 1024;

/// The sending end for a step's output: redacts every line, never blocks, counts what it drops.
/// Steps with typed progress (terraform) also report it here, when the reader asked for it.
#[derive(Clone)]
pub struct LogSink {
    tx: mpsc::Sender<LogLine>,
    redactor: Redactor,
    dropped: Arc<AtomicU64>,
    progress: Option<mpsc::Sender<UiMessage>>,
}

impl LogSink {
    pub fn new(tx: mpsc::Sender<LogLine>, redactor: Redactor) -> Self {
        Self {
            tx,
            redactor,
            dropped: Arc::new(AtomicU64::new(0)),
            progress: None,
        }
    }

    /// Also deliver typed progress to `tx`.
    pub fn with_progress(self, tx: mpsc::Sender<UiMessage>) -> Self {
        Self {
            progress: Some(tx),
            ..self
        }
    }

    /// Report one typed progress message. Its free text was redacted by the caller's parser
    /// input; a full channel drops the message and counts it like a log line.
    pub fn progress(&self, msg: UiMessage) {
        if let Some(tx) = &self.progress
            && tx.try_send(msg).is_err()
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A sink and its receiver with the default capacity.
    pub fn channel(redactor: Redactor) -> (Self, mpsc::Receiver<LogLine>) {
        let (tx, rx) = mpsc::channel(LOG_CHANNEL_LEN);
        (Self::new(tx, redactor), rx)
    }

    pub fn send(&self, stream: LogStream, text: &str) {
        let line = LogLine {
            stream,
            text: self.redactor.redact(text),
        };
        if self.tx.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The redactor every line passes; executors teach it the secrets they hand to a process.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The shared drop counter, for a reader that must not hold a sender (its channel would
    /// never close).
    pub fn drop_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.dropped)
    }

    /// Lines lost because the reader was behind (or gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
