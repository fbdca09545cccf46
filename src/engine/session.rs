//! Progress of one workshop run, derived only from journal events.
//!
//! `apply` is a pure fold: replaying a journal rebuilds exactly the state the live run had,
//! which is what makes resume-after-crash and snapshots trustworthy.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::journal::{Completion, Event, Record, RunPurpose};
use crate::runner::outcome::{CheckReport, Observation, StepOutcome};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub course: String,
    pub track: String,
    pub components: Vec<String>,
    pub current_lesson: Option<String>,
    pub lessons: BTreeMap<String, LessonProgress>,
    /// Outputs by step id, for `{{ outputs.<step>.<name> }}`.
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Highest step attempt number handed out (attempts are unique per run).
    pub last_attempt: u32,
    /// Highest check generation handed out.
    pub last_generation: u32,
    /// Sequence number of the last applied record.
    pub seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    pub entered_ms: Option<u64>,
    pub completed: Option<Completion>,
    pub steps: BTreeMap<String, StepProgress>,
    pub checks: BTreeMap<String, CheckProgress>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    #[default]
    Pending,
    Running,
    /// The step ran; its checks are polling.
    Verifying,
    Done,
    Failed,
    Interrupted,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepProgress {
    pub state: StepState,
    pub attempt: u32,
    pub purpose: Option<RunPurpose>,
    /// When the participant first started this step (hints by time count from here).
    pub first_started_ms: Option<u64>,
    pub started_ms: Option<u64>,
    pub finished_ms: Option<u64>,
    pub failures: u32,
    pub hints_shown: u32,
    pub solution_revealed: bool,
    /// Completed through Skip rather than by the participant.
    pub skipped: bool,
    /// Checks started for the current verification that have not passed yet.
    pub awaiting_checks: BTreeSet<String>,
    pub last_message: Option<String>,
    pub last_exit_code: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    #[default]
    Idle,
    Polling,
    Finished,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckProgress {
    pub generation: u32,
    pub step: Option<String>,
    pub state: CheckState,
    pub attempts: u32,
    pub last: Option<Observation>,
    pub report: Option<CheckReport>,
}

impl CheckProgress {
    pub fn satisfied(&self) -> bool {
        self.state == CheckState::Finished
            && self
                .report
                .as_ref()
                .is_some_and(|r| r.verdict.is_satisfied())
    }
}

impl Session {
    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.get(id)
    }

    pub fn step(&self, lesson: &str, step: &str) -> Option<&StepProgress> {
        self.lessons.get(lesson)?.steps.get(step)
    }

    pub fn step_state(&self, lesson: &str, step: &str) -> StepState {
        self.step(lesson, step)
            .map_or(StepState::Pending, |s| s.state)
    }

    pub fn check(&self, lesson: &str, check: &str) -> Option<&CheckProgress> {
        self.lessons.get(lesson)?.checks.get(check)
    }

    pub fn is_completed(&self, lesson: &str) -> bool {
        self.lessons
            .get(lesson)
            .is_some_and(|l| l.completed.is_some())
    }

    /// Rebuild state from records (optionally on top of a snapshot).
    pub fn replay<'a>(mut self, records: impl IntoIterator<Item = &'a Record>) -> Self {
        for r in records {
            if r.seq > self.seq {
                self.apply(r);
            }
        }
        self
    }

    /// Fold one record into the state.
    pub fn apply(&mut self, record: &Record) {
        self.seq = record.seq;
        let ts = record.ts_ms;
        match &record.event {
            Event::RunStarted {
                course,
                track,
                components,
            } => {
                self.course.clone_from(course);
                self.track.clone_from(track);
                self.components.clone_from(components);
            }
            Event::LessonEntered { lesson } => {
                self.current_lesson = Some(lesson.clone());
                self.lesson_mut(lesson).entered_ms.get_or_insert(ts);
            }
            Event::StepStarted {
                lesson,
                step,
                attempt,
                purpose,
            } => {
                self.last_attempt = self.last_attempt.max(*attempt);
                let s = self.step_mut(lesson, step);
                s.state = StepState::Running;
                s.attempt = *attempt;
                s.purpose = Some(*purpose);
                s.first_started_ms.get_or_insert(ts);
                s.started_ms = Some(ts);
                s.finished_ms = None;
                s.awaiting_checks.clear();
                s.last_message = None;
                s.last_exit_code = None;
            }
            Event::StepFinished {
                lesson,
                step,
                attempt,
                purpose,
                outcome,
                ..
            } => {
                if self
                    .step(lesson, step)
                    .is_some_and(|s| s.attempt != *attempt)
                {
                    return;
                }
                if let StepOutcome::Succeeded { outputs } = outcome
                    && *purpose != RunPurpose::Reset
                    && !outputs.is_empty()
                {
                    self.outputs.insert(step.clone(), outputs.clone());
                }
                let s = self.step_mut(lesson, step);
                s.finished_ms = Some(ts);
                match outcome {
                    StepOutcome::Succeeded { .. } => {
                        // A finished reset is followed by `StepReset`; a finished run or skip
                        // goes on to verification.
                        s.state = StepState::Verifying;
                        s.skipped = *purpose == RunPurpose::Skip;
                    }
                    StepOutcome::Failed { message, exit_code } => {
                        s.state = StepState::Failed;
                        s.failures += 1;
                        s.last_message = Some(message.clone());
                        s.last_exit_code = *exit_code;
                    }
                    StepOutcome::Interrupted { reason } => {
                        s.state = StepState::Interrupted;
                        s.last_message = Some(reason.clone());
                    }
                }
            }
            Event::StepConfirmed { lesson, step } => {
                let s = self.step_mut(lesson, step);
                s.first_started_ms.get_or_insert(ts);
                s.started_ms.get_or_insert(ts);
                s.finished_ms = Some(ts);
                s.state = StepState::Verifying;
            }
            Event::StepSkipped { lesson, step } => {
                let s = self.step_mut(lesson, step);
                s.state = StepState::Verifying;
                s.skipped = true;
                s.finished_ms = Some(ts);
            }
            Event::StepVerified { lesson, step } => {
                let s = self.step_mut(lesson, step);
                s.state = StepState::Done;
                s.awaiting_checks.clear();
                s.finished_ms = Some(ts);
            }
            Event::CheckStarted {
                lesson,
                check,
                step,
                generation,
            } => {
                self.last_generation = self.last_generation.max(*generation);
                let c = self
                    .lesson_mut(lesson)
                    .checks
                    .entry(check.clone())
                    .or_default();
                *c = CheckProgress {
                    generation: *generation,
                    step: step.clone(),
                    state: CheckState::Polling,
                    ..CheckProgress::default()
                };
                if let Some(step) = step {
                    let s = self.step_mut(lesson, step);
                    s.awaiting_checks.insert(check.clone());
                    if s.state != StepState::Running {
                        s.state = StepState::Verifying;
                    }
                }
            }
            Event::CheckAttempted {
                lesson,
                check,
                generation,
                attempt,
                observation,
            } => {
                if let Some(c) = self.check_mut(lesson, check, *generation) {
                    c.attempts = *attempt;
                    c.last = Some(observation.clone());
                }
            }
            Event::CheckFinished {
                lesson,
                check,
                generation,
                report,
            } => {
                let Some(c) = self.check_mut(lesson, check, *generation) else {
                    return;
                };
                c.state = CheckState::Finished;
                c.attempts = report.attempts;
                c.report = Some(report.clone());
                let step = c.step.clone();
                let satisfied = report.verdict.is_satisfied();
                if let Some(step) = step {
                    let s = self.step_mut(lesson, &step);
                    if s.state != StepState::Verifying {
                        return;
                    }
                    if satisfied {
                        s.awaiting_checks.remove(check);
                        if s.awaiting_checks.is_empty() {
                            s.state = StepState::Done;
                            s.finished_ms = Some(ts);
                        }
                    } else {
                        s.state = StepState::Failed;
                        s.failures += 1;
                        s.last_message = Some(report.message.clone());
                    }
                }
            }
            Event::HintShown {
                lesson,
                step,
                index,
            } => {
                let s = self.step_mut(lesson, step);
                s.hints_shown = s.hints_shown.max(index + 1);
            }
            Event::SolutionRevealed { lesson, step } => {
                self.step_mut(lesson, step).solution_revealed = true;
            }
            Event::StepReset { lesson, step } => {
                self.outputs.remove(step);
                let l = self.lesson_mut(lesson);
                l.completed = None;
                l.checks
                    .retain(|_, c| c.step.as_deref() != Some(step.as_str()));
                let s = l.steps.entry(step.clone()).or_default();
                // Hints and the solution stay revealed: the participant has seen them.
                *s = StepProgress {
                    hints_shown: s.hints_shown,
                    solution_revealed: s.solution_revealed,
                    failures: s.failures,
                    first_started_ms: s.first_started_ms,
                    ..StepProgress::default()
                };
            }
            Event::LessonCompleted { lesson, via } => {
                self.lesson_mut(lesson).completed = Some(*via);
            }
        }
    }

    fn lesson_mut(&mut self, lesson: &str) -> &mut LessonProgress {
        self.lessons.entry(lesson.to_string()).or_default()
    }

    fn step_mut(&mut self, lesson: &str, step: &str) -> &mut StepProgress {
        self.lesson_mut(lesson)
            .steps
            .entry(step.to_string())
            .or_default()
    }

    fn check_mut(
        &mut self,
        lesson: &str,
        check: &str,
        generation: u32,
    ) -> Option<&mut CheckProgress> {
        self.lessons
            .get_mut(lesson)?
            .checks
            .get_mut(check)
            .filter(|c| c.generation == generation)
    }
}
