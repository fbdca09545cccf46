//! The journal's vocabulary: everything that happened in a workshop run, past tense.
//!
//! State is derived from these (see `engine::Session::apply`), so they carry every fact needed
//! to rebuild progress after a crash. They never carry secret values: outputs are declared
//! non-secret, and observations were redacted before they got here.

use serde::{Deserialize, Serialize};

use crate::runner::outcome::{CheckReport, Observation, StepOutcome};

/// One journal line: a sequence number, a wall-clock timestamp and the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub ts_ms: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// Why a step is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunPurpose {
    /// The step itself.
    Run,
    /// The solution, run by Skip.
    Skip,
    /// The cleanup, run by Reset.
    Reset,
}

/// How a lesson came to be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Every step done and every lesson-level check satisfied.
    Steps,
    /// Its objectives already held on entry (resume, pre-provisioned environment).
    Objectives,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        course: String,
        track: String,
        components: Vec<String>,
    },
    LessonEntered {
        lesson: String,
    },
    StepStarted {
        lesson: String,
        step: String,
        /// Monotonic per run; results of older attempts are ignored.
        attempt: u32,
        purpose: RunPurpose,
    },
    StepFinished {
        lesson: String,
        step: String,
        attempt: u32,
        purpose: RunPurpose,
        outcome: StepOutcome,
        duration_ms: u64,
    },
    /// The participant confirmed a manual step.
    StepConfirmed {
        lesson: String,
        step: String,
    },
    /// Skip of a step with no solution to run: only its checks decide.
    StepSkipped {
        lesson: String,
        step: String,
    },
    /// The step ran and nothing is left to verify.
    StepVerified {
        lesson: String,
        step: String,
    },
    CheckStarted {
        lesson: String,
        check: String,
        /// The step this check verifies; `None` for lesson-level checks.
        step: Option<String>,
        generation: u32,
    },
    CheckAttempted {
        lesson: String,
        check: String,
        generation: u32,
        attempt: u32,
        observation: Observation,
    },
    CheckFinished {
        lesson: String,
        check: String,
        generation: u32,
        report: CheckReport,
    },
    HintShown {
        lesson: String,
        step: String,
        /// 0-based index among the step's hints.
        index: u32,
    },
    SolutionRevealed {
        lesson: String,
        step: String,
    },
    StepReset {
        lesson: String,
        step: String,
    },
    LessonCompleted {
        lesson: String,
        via: Completion,
    },
}

impl Event {
    /// The lesson this event concerns, if any.
    pub fn lesson(&self) -> Option<&str> {
        match self {
            Event::RunStarted { .. } => None,
            Event::LessonEntered { lesson }
            | Event::StepStarted { lesson, .. }
            | Event::StepFinished { lesson, .. }
            | Event::StepConfirmed { lesson, .. }
            | Event::StepSkipped { lesson, .. }
            | Event::StepVerified { lesson, .. }
            | Event::CheckStarted { lesson, .. }
            | Event::CheckAttempted { lesson, .. }
            | Event::CheckFinished { lesson, .. }
            | Event::HintShown { lesson, .. }
            | Event::SolutionRevealed { lesson, .. }
            | Event::StepReset { lesson, .. }
            | Event::LessonCompleted { lesson, .. } => Some(lesson),
        }
    }
}
