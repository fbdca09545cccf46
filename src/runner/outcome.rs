//! What steps and checks report back: plain data, shared by the TUI, `run` and the journal.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The four-valued result of a check (or one attempt of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Passed, but something deserves attention (e.g. a version older than recommended).
    Warn,
    Fail,
    /// Not there yet (a transient state): keep polling.
    Pending,
}

impl Verdict {
    /// Pass or warn: the check is satisfied.
    pub fn is_satisfied(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Warn)
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Pending => "pending",
        }
    }
}

/// One probe of the live system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub verdict: Verdict,
    /// What was seen, already redacted, short enough for one line (e.g. `HTTP 503`).
    pub observed: String,
}

impl Observation {
    pub fn new(verdict: Verdict, observed: impl Into<String>) -> Self {
        Self {
            verdict,
            observed: observed.into(),
        }
    }
}

/// The end of a check run: the final verdict, what was seen, and the message for the participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    pub observed: String,
    pub message: String,
    pub attempts: u32,
}

/// Progress of a check run, reported after every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAttempt {
    pub attempt: u32,
    pub observation: Observation,
    /// When the next attempt happens; `None` when this was the last one.
    pub next_in: Option<Duration>,
    pub message: String,
}

/// How a step run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StepOutcome {
    Succeeded {
        /// Declared outputs the step produced (never secret values).
        outputs: BTreeMap<String, String>,
    },
    Failed {
        message: String,
        exit_code: Option<i32>,
    },
    /// Stopped by the participant or a timeout; the next run starts it again.
    Interrupted { reason: String },
}

impl StepOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(self, StepOutcome::Succeeded { .. })
    }
}

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
    /// Lines the guide itself writes into a step's log (the command shown before it runs).
    Guide,
}

/// One redacted line of a running step's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: LogStream,
    pub text: String,
}
