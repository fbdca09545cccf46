//! Guidance: progressive hints (by failures or time) and the solution, revealed as the
//! participant struggles or asks.

use super::Engine;
use crate::journal::Event;

impl Engine {
    /// After a failure: reveal due hints and, past the threshold, the solution.
    pub(super) fn after_failure_or_progress(&mut self, lesson: &str, step: &str) {
        self.reveal_due_hints(lesson, step);
        let Some(l) = self.course.lesson(lesson) else {
            return;
        };
        let Some(progress) = self.session.step(lesson, step) else {
            return;
        };
        let due = l
            .solution_for(step)
            .and_then(|s| s.reveal_after_failures)
            .is_some_and(|n| progress.failures >= n);
        if due && !progress.solution_revealed {
            self.emit(Event::SolutionRevealed {
                lesson: lesson.to_string(),
                step: step.to_string(),
            });
        }
    }

    /// Hints are progressive: each one shows once its trigger holds and all before it showed.
    pub(super) fn reveal_due_hints(&mut self, lesson_id: &str, step: &str) {
        let Some(lesson) = self.course.lesson(lesson_id) else {
            return;
        };
        let Some(progress) = self.session.step(lesson_id, step) else {
            return;
        };
        let elapsed_ms = progress
            .first_started_ms
            .map_or(0, |t| self.now_ms.saturating_sub(t));
        let mut due = Vec::new();
        for (index, hint) in lesson
            .hints_for(step)
            .enumerate()
            .skip(progress.hints_shown as usize)
        {
            let by_failures = hint.after_failures.is_some_and(|n| progress.failures >= n);
            let by_time = hint
                .after
                .is_some_and(|d| elapsed_ms >= crate::runner::clock::millis(d));
            if !(by_failures || by_time) {
                break;
            }
            due.push(u32::try_from(index).unwrap_or(u32::MAX));
        }
        for index in due {
            self.emit(Event::HintShown {
                lesson: lesson_id.to_string(),
                step: step.to_string(),
                index,
            });
        }
    }

    pub(super) fn show_next_hint(&mut self, lesson_id: &str, step: &str) {
        let Some(lesson) = self.course.lesson(lesson_id) else {
            return;
        };
        let shown = self
            .session
            .step(lesson_id, step)
            .map_or(0, |s| s.hints_shown);
        let total = lesson.hints_for(step).count();
        if (shown as usize) < total {
            self.emit(Event::HintShown {
                lesson: lesson_id.to_string(),
                step: step.to_string(),
                index: shown,
            });
        } else if total == 0 {
            self.notice("this step has no hints", false);
        } else {
            self.notice(
                "all hints for this step are shown; the solution is one key away (S)",
                false,
            );
        }
    }
}
