//! The pure session state machine shared by the TUI and `run`.
//!
//! `Engine::update` takes an intent (from the participant) or a result (from a task), records
//! what happened as journal events (applied to the [`Session`] at once), and returns the side
//! effects to perform as data. It never awaits, spawns or touches the disk.

mod guidance;
mod msg;
pub mod session;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::journal::{Completion, Event, Record, RunPurpose};
use crate::lesson::{CheckSpec, Course, Lesson, StepKind};
use crate::runner::outcome::{CheckReport, StepOutcome};
pub use msg::{Effect, Msg, Notice};
pub use session::{CheckProgress, CheckState, LessonProgress, Session, StepProgress, StepState};

/// The session plus the course it walks, and the clock reading of the current update.
#[derive(Debug)]
pub struct Engine {
    course: Arc<Course>,
    session: Session,
    /// Results of `requires` probes per lesson (transient: re-evaluated on entry).
    requires: BTreeMap<String, Vec<CheckReport>>,
    notices: Vec<Notice>,
    now_ms: u64,
    effects: Vec<Effect>,
}

impl Engine {
    pub fn new(course: Arc<Course>, session: Session) -> Self {
        Self {
            course,
            session,
            requires: BTreeMap::new(),
            notices: Vec::new(),
            now_ms: 0,
            effects: Vec::new(),
        }
    }

    pub fn course(&self) -> &Course {
        &self.course
    }

    pub fn course_arc(&self) -> Arc<Course> {
        Arc::clone(&self.course)
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether the entry evaluation (requires + objectives) of `lesson` has reported.
    pub fn entry_seen(&self, lesson: &str) -> bool {
        self.requires.contains_key(lesson)
    }

    pub fn requires(&self, lesson: &str) -> &[CheckReport] {
        self.requires.get(lesson).map_or(&[], Vec::as_slice)
    }

    /// Notices produced since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// The lessons of this run's plan, in order.
    pub fn plan(&self) -> Vec<&Lesson> {
        match self.course.track(&self.session.track) {
            Some(track) => self.course.plan(track, &self.session.components),
            None => Vec::new(),
        }
    }

    /// Start a run: the first events of a fresh journal.
    pub fn start_run(&mut self, track: &str, components: &[String], now_ms: u64) -> Vec<Effect> {
        self.now_ms = now_ms;
        self.emit(Event::RunStarted {
            course: self.course.id.clone(),
            track: track.to_string(),
            components: components.to_vec(),
        });
        if let Some(first) = self.plan().first().map(|l| l.id.clone()) {
            self.enter_lesson(&first);
        }
        std::mem::take(&mut self.effects)
    }

    pub fn update(&mut self, msg: Msg, now_ms: u64) -> Vec<Effect> {
        self.now_ms = now_ms;
        match msg {
            Msg::EnterLesson { lesson } => self.enter_lesson(&lesson),
            Msg::StartStep { lesson, step } => self.start_step(&lesson, &step, RunPurpose::Run),
            Msg::ConfirmStep { lesson, step } => self.confirm_step(&lesson, &step),
            Msg::CancelStep { lesson, step } => {
                if self.session.step_state(&lesson, &step) == StepState::Running {
                    self.effects.push(Effect::CancelStep { lesson, step });
                } else if self.session.step_state(&lesson, &step) == StepState::Verifying {
                    self.cancel_checks(&lesson, &step);
                }
            }
            Msg::SkipStep { lesson, step } => self.skip_step(&lesson, &step),
            Msg::ResetStep { lesson, step } => self.reset_step(&lesson, &step),
            Msg::RevealSolution { lesson, step } => {
                if self.lesson_step(&lesson, &step).is_some()
                    && !self
                        .session
                        .step(&lesson, &step)
                        .is_some_and(|s| s.solution_revealed)
                {
                    self.emit(Event::SolutionRevealed { lesson, step });
                }
            }
            Msg::ShowNextHint { lesson, step } => self.show_next_hint(&lesson, &step),
            Msg::RecheckStep { lesson, step } => {
                if matches!(
                    self.session.step_state(&lesson, &step),
                    StepState::Failed | StepState::Done
                ) && self
                    .session
                    .step(&lesson, &step)
                    .is_some_and(|s| s.finished_ms.is_some())
                {
                    self.verify_step(&lesson, &step);
                }
            }
            Msg::Resume => self.resume(),
            Msg::StepFinished {
                lesson,
                step,
                attempt,
                outcome,
                duration_ms,
            } => {
                self.step_finished(&lesson, &step, attempt, outcome, duration_ms);
            }
            Msg::CheckAttempted {
                lesson,
                check,
                generation,
                attempt,
            } => {
                if self
                    .session
                    .check(&lesson, &check)
                    .is_some_and(|c| c.generation == generation)
                {
                    self.emit(Event::CheckAttempted {
                        lesson,
                        check,
                        generation,
                        attempt: attempt.attempt,
                        observation: attempt.observation,
                    });
                }
            }
            Msg::CheckFinished {
                lesson,
                check,
                generation,
                report,
            } => {
                let current = self
                    .session
                    .check(&lesson, &check)
                    .is_some_and(|c| c.generation == generation && c.state == CheckState::Polling);
                if current {
                    let step = self
                        .session
                        .check(&lesson, &check)
                        .and_then(|c| c.step.clone());
                    self.emit(Event::CheckFinished {
                        lesson: lesson.clone(),
                        check,
                        generation,
                        report,
                    });
                    if let Some(step) = step {
                        self.after_failure_or_progress(&lesson, &step);
                    }
                    self.complete_lesson_if_done(&lesson);
                }
            }
            Msg::EntryEvaluated {
                lesson,
                objectives_met,
                requires,
            } => {
                self.requires.insert(lesson.clone(), requires);
                if objectives_met && !self.session.is_completed(&lesson) {
                    self.emit(Event::LessonCompleted {
                        lesson,
                        via: Completion::Objectives,
                    });
                }
            }
            Msg::Tick => self.tick(),
        }
        std::mem::take(&mut self.effects)
    }

    fn emit(&mut self, event: Event) {
        let record = Record {
            seq: self.session.seq + 1,
            ts_ms: self.now_ms,
            event,
        };
        self.session.apply(&record);
        self.effects.push(Effect::Record(record));
    }

    fn notice(&mut self, text: impl Into<String>, is_error: bool) {
        self.notices.push(Notice {
            text: text.into(),
            is_error,
        });
    }

    fn lesson_step(&self, lesson: &str, step: &str) -> Option<(&Lesson, &crate::lesson::Step)> {
        let l = self.course.lesson(lesson)?;
        Some((l, l.step(step)?))
    }

    fn enter_lesson(&mut self, lesson_id: &str) {
        let Some(lesson) = self.course.lesson(lesson_id).cloned() else {
            self.notice(format!("no lesson `{lesson_id}` in this course"), true);
            return;
        };
        self.emit(Event::LessonEntered {
            lesson: lesson_id.to_string(),
        });
        if self.session.is_completed(lesson_id) {
            return;
        }
        if !lesson.requires.is_empty() || !lesson.objectives.is_empty() {
            self.requires.remove(lesson_id);
            self.effects.push(Effect::EvaluateEntry {
                lesson: lesson_id.to_string(),
                requires: lesson.requires.clone(),
                objectives: lesson.objectives.clone(),
            });
        }
        for check in lesson.checks().filter(|c| c.step.is_none()) {
            let running_or_passed = self
                .session
                .check(lesson_id, &check.id)
                .is_some_and(|c| c.state == CheckState::Polling || c.satisfied());
            if !running_or_passed {
                self.start_check(lesson_id, &check.id, None, check.spec.clone());
            }
        }
    }

    fn start_step(&mut self, lesson: &str, step_id: &str, purpose: RunPurpose) {
        let Some((_, step)) = self.lesson_step(lesson, step_id) else {
            self.notice(format!("no step `{step_id}` in lesson `{lesson}`"), true);
            return;
        };
        let step = step.clone();
        if self.session.step_state(lesson, step_id) == StepState::Running {
            return;
        }
        if let StepKind::Manual(_) = step.kind {
            // A manual step is done by the participant; "running" it means confirming it.
            self.confirm_step(lesson, step_id);
            return;
        }
        self.run(
            lesson,
            &step.id,
            purpose,
            step.kind.clone(),
            step.outputs.clone(),
            step.timeout,
        );
    }

    fn run(
        &mut self,
        lesson: &str,
        step: &str,
        purpose: RunPurpose,
        kind: StepKind,
        outputs: Vec<String>,
        timeout: Option<Duration>,
    ) {
        self.cancel_checks(lesson, step);
        let attempt = self.session.last_attempt + 1;
        self.emit(Event::StepStarted {
            lesson: lesson.to_string(),
            step: step.to_string(),
            attempt,
            purpose,
        });
        self.effects.push(Effect::RunStep {
            lesson: lesson.to_string(),
            step: step.to_string(),
            attempt,
            purpose,
            kind,
            outputs,
            timeout,
        });
    }

    fn confirm_step(&mut self, lesson: &str, step: &str) {
        if self.lesson_step(lesson, step).is_none() {
            return;
        }
        if matches!(
            self.session.step_state(lesson, step),
            StepState::Running | StepState::Done
        ) {
            return;
        }
        self.emit(Event::StepConfirmed {
            lesson: lesson.to_string(),
            step: step.to_string(),
        });
        self.verify_step(lesson, step);
    }

    fn skip_step(&mut self, lesson: &str, step_id: &str) {
        let Some((l, step)) = self.lesson_step(lesson, step_id) else {
            return;
        };
        if matches!(
            self.session.step_state(lesson, step_id),
            StepState::Running | StepState::Done
        ) {
            return;
        }
        let step = step.clone();
        match l.solution_for(step_id).and_then(|s| s.run.clone()) {
            Some(kind) => {
                self.run(
                    lesson,
                    step_id,
                    RunPurpose::Skip,
                    kind,
                    step.outputs.clone(),
                    step.timeout,
                );
            }
            None => {
                self.emit(Event::StepSkipped {
                    lesson: lesson.to_string(),
                    step: step_id.to_string(),
                });
                self.verify_step(lesson, step_id);
            }
        }
    }

    fn reset_step(&mut self, lesson: &str, step_id: &str) {
        let Some((l, step)) = self.lesson_step(lesson, step_id) else {
            return;
        };
        if self.session.step_state(lesson, step_id) == StepState::Running {
            self.notice(
                "stop the running step before resetting it (x cancels)",
                true,
            );
            return;
        }
        let timeout = step.timeout;
        match l.cleanup_for(step_id).map(|c| c.run.clone()) {
            Some(kind) => self.run(
                lesson,
                step_id,
                RunPurpose::Reset,
                kind,
                Vec::new(),
                timeout,
            ),
            None => {
                self.cancel_checks(lesson, step_id);
                self.emit(Event::StepReset {
                    lesson: lesson.to_string(),
                    step: step_id.to_string(),
                });
            }
        }
    }

    fn step_finished(
        &mut self,
        lesson: &str,
        step: &str,
        attempt: u32,
        outcome: StepOutcome,
        duration_ms: u64,
    ) {
        let Some(progress) = self.session.step(lesson, step) else {
            return;
        };
        if progress.attempt != attempt || progress.state != StepState::Running {
            return; // a stale result from an attempt the participant moved past
        }
        let purpose = progress.purpose.unwrap_or(RunPurpose::Run);
        let succeeded = outcome.succeeded();
        self.emit(Event::StepFinished {
            lesson: lesson.to_string(),
            step: step.to_string(),
            attempt,
            purpose,
            outcome,
            duration_ms,
        });
        match (purpose, succeeded) {
            (RunPurpose::Reset, true) => {
                self.emit(Event::StepReset {
                    lesson: lesson.to_string(),
                    step: step.to_string(),
                });
            }
            (_, true) => self.verify_step(lesson, step),
            (_, false) => self.after_failure_or_progress(lesson, step),
        }
    }

    /// Start every check of the step; with none, the step is done.
    fn verify_step(&mut self, lesson_id: &str, step: &str) {
        let Some(lesson) = self.course.lesson(lesson_id) else {
            return;
        };
        let checks: Vec<(String, CheckSpec)> = lesson
            .checks_for(step)
            .map(|c| (c.id.clone(), c.spec.clone()))
            .collect();
        if checks.is_empty() {
            self.emit(Event::StepVerified {
                lesson: lesson_id.to_string(),
                step: step.to_string(),
            });
            self.complete_lesson_if_done(lesson_id);
            return;
        }
        for (id, spec) in checks {
            self.start_check(lesson_id, &id, Some(step.to_string()), spec);
        }
    }

    fn start_check(&mut self, lesson: &str, check: &str, step: Option<String>, spec: CheckSpec) {
        let generation = self.session.last_generation + 1;
        if self
            .session
            .check(lesson, check)
            .is_some_and(|c| c.state == CheckState::Polling)
        {
            self.effects.push(Effect::CancelCheck {
                lesson: lesson.to_string(),
                check: check.to_string(),
            });
        }
        self.emit(Event::CheckStarted {
            lesson: lesson.to_string(),
            check: check.to_string(),
            step,
            generation,
        });
        self.effects.push(Effect::StartCheck {
            lesson: lesson.to_string(),
            check: check.to_string(),
            generation,
            spec,
        });
    }

    fn cancel_checks(&mut self, lesson: &str, step: &str) {
        let polling: Vec<String> = self
            .session
            .lesson(lesson)
            .map(|l| {
                l.checks
                    .iter()
                    .filter(|(_, c)| {
                        c.step.as_deref() == Some(step) && c.state == CheckState::Polling
                    })
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default();
        for check in polling {
            self.effects.push(Effect::CancelCheck {
                lesson: lesson.to_string(),
                check,
            });
        }
    }

    fn complete_lesson_if_done(&mut self, lesson_id: &str) {
        if self.session.is_completed(lesson_id) {
            return;
        }
        let Some(lesson) = self.course.lesson(lesson_id) else {
            return;
        };
        let steps_done = lesson
            .steps()
            .all(|s| self.session.step_state(lesson_id, &s.id) == StepState::Done);
        let checks_ok = lesson.checks().filter(|c| c.step.is_none()).all(|c| {
            self.session
                .check(lesson_id, &c.id)
                .is_some_and(CheckProgress::satisfied)
        });
        if steps_done && checks_ok {
            self.emit(Event::LessonCompleted {
                lesson: lesson_id.to_string(),
                via: Completion::Steps,
            });
        }
    }

    fn tick(&mut self) {
        let active: Vec<(String, String)> = self
            .session
            .lessons
            .iter()
            .flat_map(|(l, lp)| {
                lp.steps
                    .iter()
                    .filter(|(_, s)| {
                        matches!(
                            s.state,
                            StepState::Running | StepState::Verifying | StepState::Failed
                        )
                    })
                    .map(move |(s, _)| (l.clone(), s.clone()))
            })
            .collect();
        for (lesson, step) in active {
            self.reveal_due_hints(&lesson, &step);
        }
    }

    /// Settle what a previous process left in flight: running steps were interrupted, checks
    /// that were polling start again, and the current lesson is re-entered (objectives re-checked).
    fn resume(&mut self) {
        let mut running = Vec::new();
        let mut verifying = Vec::new();
        for (lesson, lp) in &self.session.lessons {
            for (step, sp) in &lp.steps {
                match sp.state {
                    StepState::Running => {
                        running.push((lesson.clone(), step.clone(), sp.attempt, sp.purpose))
                    }
                    StepState::Verifying => verifying.push((lesson.clone(), step.clone())),
                    _ => {}
                }
            }
        }
        for (lesson, step, attempt, purpose) in running {
            self.emit(Event::StepFinished {
                lesson,
                step,
                attempt,
                purpose: purpose.unwrap_or(RunPurpose::Run),
                outcome: StepOutcome::Interrupted {
                    reason: "the guide stopped while this step was running; run it again"
                        .to_string(),
                },
                duration_ms: 0,
            });
        }
        for (lesson, step) in verifying {
            self.verify_step(&lesson, &step);
        }
        if let Some(current) = self.session.current_lesson.clone() {
            self.enter_lesson(&current);
        }
    }
}

#[cfg(test)]
mod tests;
