//! The engine's vocabulary: what goes in (intents and task results) and what comes out
//! (effects to perform, notices to show).

use std::time::Duration;

use crate::journal::{Record, RunPurpose};
use crate::lesson::{CheckSpec, StepKind};
use crate::runner::outcome::{CheckAttempt, CheckReport, StepOutcome};

/// Intents and task results the engine understands.
#[derive(Debug, Clone)]
pub enum Msg {
    /// Make a lesson current (evaluates objectives, starts lesson-level checks).
    EnterLesson {
        lesson: String,
    },
    StartStep {
        lesson: String,
        step: String,
    },
    /// The participant confirms a manual step.
    ConfirmStep {
        lesson: String,
        step: String,
    },
    CancelStep {
        lesson: String,
        step: String,
    },
    /// Run the solution, then verify.
    SkipStep {
        lesson: String,
        step: String,
    },
    /// Run the step's cleanup, then set it back to pending.
    ResetStep {
        lesson: String,
        step: String,
    },
    RevealSolution {
        lesson: String,
        step: String,
    },
    ShowNextHint {
        lesson: String,
        step: String,
    },
    /// Verify again (after a failed check, or on demand).
    RecheckStep {
        lesson: String,
        step: String,
    },
    /// After loading a journal: settle what a crash left in flight.
    Resume,
    StepFinished {
        lesson: String,
        step: String,
        attempt: u32,
        outcome: StepOutcome,
        duration_ms: u64,
    },
    CheckAttempted {
        lesson: String,
        check: String,
        generation: u32,
        attempt: CheckAttempt,
    },
    CheckFinished {
        lesson: String,
        check: String,
        generation: u32,
        report: CheckReport,
    },
    EntryEvaluated {
        lesson: String,
        objectives_met: bool,
        requires: Vec<CheckReport>,
    },
    Tick,
}

/// Side effects for the task manager, as data.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Append to the journal (already applied to the session).
    Record(Record),
    RunStep {
        lesson: String,
        step: String,
        attempt: u32,
        purpose: RunPurpose,
        kind: StepKind,
        outputs: Vec<String>,
        timeout: Option<Duration>,
    },
    CancelStep {
        lesson: String,
        step: String,
    },
    StartCheck {
        lesson: String,
        check: String,
        generation: u32,
        spec: CheckSpec,
    },
    CancelCheck {
        lesson: String,
        check: String,
    },
    /// Probe `requires` and `objectives` of a lesson once each.
    EvaluateEntry {
        lesson: String,
        requires: Vec<CheckSpec>,
        objectives: Vec<CheckSpec>,
    },
}

/// Something the participant should know that is not progress (shown, never journaled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}
