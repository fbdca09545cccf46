//! `cdc-workshop run`: the engine without a TUI. Steps run in order; each must verify before
//! the next starts; a failure stops the run (exit 1) and the next `run` resumes there.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::backend::terraform::event::to_event;
use crate::config::{EnvLookup, Overrides};
use crate::engine::{Effect, Engine, Msg, StepState};
use crate::journal::{Event, Record};
use crate::lesson::StepKind;
use crate::runner::clock::Clock;
use crate::runner::outcome::{LogStream, StepOutcome, Verdict};
use crate::tasks::{TaskEvent, TaskManager, outcome_line};
use crate::workspace::Workspace;

use super::output::{Format, duration_ms, json_line, mark};
use super::{CliError, Exit, RunArgs};

/// How often hints by time are evaluated while waiting.
const TICK_INTERVAL_MS: u64 = 1000;
/// How long tasks get to stop after the run ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

pub fn run(overrides: &Overrides, env: EnvLookup, args: &RunArgs) -> Result<Exit, CliError> {
    let (ws, _log) = Workspace::open_logged(overrides, env)?;
    super::runtime()?.block_on(drive(ws, args))
}

async fn drive(ws: Workspace, args: &RunArgs) -> Result<Exit, CliError> {
    let clock = ws.clock();
    let current = if args.new { None } else { ws.open_current()? };
    let (opened, first_effects) = match current {
        Some(mut opened) => {
            if let Some(track) = &args.track
                && *track != opened.engine.session().track
            {
                return Err(CliError::Usage(format!(
                    "the current run ({}) is on track `{}`; add --new to start a run on `{track}`",
                    opened.id,
                    opened.engine.session().track
                )));
            }
            if let Some(d) = &opened.damage {
                eprintln!("warning: {d}");
            }
            let effects = opened.engine.update(Msg::Resume, clock.wall_ms());
            (opened, effects)
        }
        None => {
            let Some(track) = args.track.clone() else {
                return Err(CliError::Usage(
                    "no run to resume: choose a track, e.g. `cdc-workshop run --track aws`"
                        .to_string(),
                ));
            };
            let components = match &args.components {
                Some(c) => c.clone(),
                None => ws
                    .course
                    .track(&track)
                    .map(|t| t.default_components())
                    .unwrap_or_default(),
            };
            ws.validate_choice(&track, &components)?;
            let mut opened = ws.create_run(clock.wall_ms())?;
            let effects = opened
                .engine
                .start_run(&track, &components, clock.wall_ms());
            (opened, effects)
        }
    };
    if let Some(to) = &args.to
        && !opened.engine.plan().iter().any(|l| &l.id == to)
    {
        let known: Vec<&str> = opened.engine.plan().iter().map(|l| l.id.as_str()).collect();
        return Err(CliError::Usage(format!(
            "--to {to}: no such lesson in this run's plan; choose one of: {}",
            known.join(", ")
        )));
    }

    let work_dir = ws.work_dir(&opened.id);
    let (tasks, rx) = TaskManager::new(ws.services()?, ws.values.clone(), work_dir, opened.journal);
    let mut driver = Driver {
        engine: opened.engine,
        values: ws.values.clone(),
        tasks,
        rx,
        clock,
        format: args.format,
        interrupted: false,
    };
    driver.perform(first_effects)?;
    let result = driver.walk(args).await;
    driver.tasks.snapshot(driver.engine.session());
    driver.tasks.shutdown(SHUTDOWN_GRACE).await;
    result
}

struct Driver {
    engine: Engine,
    /// Fills in what a manual step's sentence names (`{{ vars.aws_region }}`).
    values: crate::values::Values,
    tasks: TaskManager,
    rx: mpsc::Receiver<TaskEvent>,
    clock: Arc<dyn Clock>,
    format: Format,
    interrupted: bool,
}

impl Driver {
    fn dispatch(&mut self, msg: Msg) -> Result<(), CliError> {
        let effects = self.engine.update(msg, self.clock.wall_ms());
        self.perform(effects)
    }

    fn perform(&mut self, effects: Vec<Effect>) -> Result<(), CliError> {
        let records = self.tasks.perform(effects, self.engine.session())?;
        for r in &records {
            self.print_record(r);
        }
        for n in self.engine.take_notices() {
            match self.format {
                Format::Text => eprintln!("{}", n.text),
                Format::Json => {
                    json_line(&json!({"type": "notice", "text": n.text, "error": n.is_error}))
                }
            }
        }
        Ok(())
    }

    /// Wait for the next task event (or a tick, or Ctrl-C) and feed it to the engine.
    async fn pump(&mut self) -> Result<(), CliError> {
        tokio::select! {
            event = self.rx.recv() => match event {
                Some(TaskEvent::Engine(msg)) => self.dispatch(msg)?,
                Some(TaskEvent::StepLogged { lesson, step, lines, dropped }) => {
                    for line in lines {
                        match self.format {
                            Format::Text if line.stream == LogStream::Guide => println!("    {}", line.text),
                            Format::Text => println!("    │ {}", line.text),
                            Format::Json => json_line(&json!({
                                "type": "log", "lesson": lesson, "step": step,
                                "stream": line.stream, "text": line.text,
                            })),
                        }
                    }
                    if dropped > 0 && self.format == Format::Text {
                        println!("    │ … {dropped} line(s) dropped (output faster than the display)");
                    }
                }
                Some(TaskEvent::Notice { text, is_error }) => match self.format {
                    Format::Text => eprintln!("{text}"),
                    Format::Json => json_line(&json!({"type": "notice", "text": text, "error": is_error})),
                },
                Some(TaskEvent::StepProgressed { lesson, step, messages }) => {
                    // Text mode reads the same messages as log lines; JSON gets them typed.
                    if self.format == Format::Json {
                        for event in messages.iter().filter_map(to_event) {
                            json_line(&json!({
                                "type": "terraform", "lesson": lesson, "step": step, "event": event,
                            }));
                        }
                    }
                }
                None => return Err(CliError::Usage("internal: task channel closed".into())),
            },
            () = tokio::time::sleep(Duration::from_millis(TICK_INTERVAL_MS)) => self.dispatch(Msg::Tick)?,
            _ = tokio::signal::ctrl_c() => {
                if self.interrupted {
                    return Err(CliError::Usage("interrupted twice; stopping now".into()));
                }
                self.interrupted = true;
                eprintln!("interrupt: stopping the running step gracefully (Ctrl-C again to force)");
                self.cancel_running()?;
            }
        }
        Ok(())
    }

    fn cancel_running(&mut self) -> Result<(), CliError> {
        let running: Vec<(String, String)> = self
            .engine
            .session()
            .lessons
            .iter()
            .flat_map(|(l, lp)| {
                lp.steps
                    .iter()
                    .filter(|(_, s)| matches!(s.state, StepState::Running | StepState::Verifying))
                    .map(move |(s, _)| (l.clone(), s.clone()))
            })
            .collect();
        for (lesson, step) in running {
            self.dispatch(Msg::CancelStep { lesson, step })?;
        }
        Ok(())
    }

    async fn walk(&mut self, args: &RunArgs) -> Result<Exit, CliError> {
        let plan: Vec<String> = self.engine.plan().iter().map(|l| l.id.clone()).collect();
        let start = self
            .engine
            .session()
            .current_lesson
            .as_ref()
            .and_then(|c| plan.iter().position(|l| l == c))
            .unwrap_or(0);
        for lesson_id in plan.iter().skip(start) {
            if self.engine.session().current_lesson.as_deref() != Some(lesson_id.as_str()) {
                self.dispatch(Msg::EnterLesson {
                    lesson: lesson_id.clone(),
                })?;
            }
            if let Some(exit) = self.walk_lesson(lesson_id, args).await? {
                return Ok(exit);
            }
            if args.to.as_deref() == Some(lesson_id.as_str()) {
                break;
            }
        }
        if self.format == Format::Text {
            println!("\nAll done. `cdc-workshop status` shows the whole run.");
        }
        Ok(Exit::Success)
    }

    /// Returns an exit status when the run must stop in this lesson.
    async fn walk_lesson(
        &mut self,
        lesson_id: &str,
        args: &RunArgs,
    ) -> Result<Option<Exit>, CliError> {
        let Some(lesson) = self.engine.course().lesson(lesson_id).cloned() else {
            return Ok(None);
        };
        if self.format == Format::Text {
            println!(
                "\n▶ {} — {} (about {})",
                lesson.id,
                lesson.title,
                humantime::format_duration(lesson.estimate)
            );
        }
        // Let objectives be evaluated first: a lesson whose end state holds needs no steps.
        if !lesson.objectives.is_empty() && !self.engine.session().is_completed(lesson_id) {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while !self.entry_evaluated(lesson_id)
                && tokio::time::Instant::now() < deadline
                && !self.interrupted
            {
                self.pump().await?;
            }
        }
        for step in lesson.steps() {
            if self.engine.session().is_completed(lesson_id) {
                break;
            }
            let state = self.engine.session().step_state(lesson_id, &step.id);
            if state == StepState::Done {
                continue;
            }
            if state != StepState::Verifying {
                if let StepKind::Manual(m) = &step.kind {
                    if !self.confirm_manual(&step.title, &m.confirm, args.yes).await {
                        eprintln!(
                            "step `{}` needs you: {}\n  confirm it in the guide, or re-run with --yes once done",
                            step.id, m.confirm
                        );
                        return Ok(Some(Exit::Failure));
                    }
                    self.dispatch(Msg::ConfirmStep {
                        lesson: lesson_id.to_string(),
                        step: step.id.clone(),
                    })?;
                } else {
                    self.dispatch(Msg::StartStep {
                        lesson: lesson_id.to_string(),
                        step: step.id.clone(),
                    })?;
                }
            }
            while matches!(
                self.engine.session().step_state(lesson_id, &step.id),
                StepState::Running | StepState::Verifying
            ) {
                self.pump().await?;
            }
            if self.interrupted {
                return Ok(Some(Exit::Interrupted));
            }
            if self.engine.session().step_state(lesson_id, &step.id) != StepState::Done {
                self.explain_failure(lesson_id, &step.id);
                return Ok(Some(Exit::Failure));
            }
        }
        // Lesson-level checks keep polling until they settle.
        while !self.engine.session().is_completed(lesson_id)
            && self.lesson_checks_polling(lesson_id)
        {
            self.pump().await?;
            if self.interrupted {
                return Ok(Some(Exit::Interrupted));
            }
        }
        if !self.engine.session().is_completed(lesson_id) {
            eprintln!(
                "lesson `{lesson_id}` is not complete: a lesson-level check did not pass (see above)"
            );
            return Ok(Some(Exit::Failure));
        }
        Ok(None)
    }

    fn entry_evaluated(&self, lesson: &str) -> bool {
        self.engine.session().is_completed(lesson) || self.engine.entry_seen(lesson)
    }

    fn lesson_checks_polling(&self, lesson: &str) -> bool {
        self.engine.session().lesson(lesson).is_some_and(|l| {
            l.checks
                .values()
                .any(|c| c.step.is_none() && c.state == crate::engine::CheckState::Polling)
        })
    }

    async fn confirm_manual(&mut self, title: &str, confirm: &str, yes: bool) -> bool {
        let snapshot = self.values.snapshot(self.engine.session());
        let confirm = &crate::lesson::template::Template::parse(confirm)
            .map_or_else(|_| confirm.to_string(), |t| t.display(snapshot.as_ref()));
        if yes {
            if self.format == Format::Text {
                println!("  ✓ {title}: {confirm} (confirmed by --yes)");
            }
            return true;
        }
        if !std::io::stdin().is_terminal() {
            return false;
        }
        let prompt = format!("  ? {title}: {confirm} [y/N] ");
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            print!("{prompt}");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).is_ok()
                && answer.trim().eq_ignore_ascii_case("y")
        })
        .await
        .unwrap_or(false)
    }

    fn explain_failure(&self, lesson_id: &str, step_id: &str) {
        let session = self.engine.session();
        let Some(p) = session.step(lesson_id, step_id) else {
            return;
        };
        let Some(lesson) = self.engine.course().lesson(lesson_id) else {
            return;
        };
        if self.format == Format::Json {
            return;
        }
        eprintln!(
            "\n✗ step `{step_id}` did not complete: {}",
            p.last_message.clone().unwrap_or_default()
        );
        for hint in lesson.hints_for(step_id).take(p.hints_shown as usize) {
            eprintln!("  hint: {}", hint.text.trim());
        }
        if p.solution_revealed
            && let Some(s) = lesson.solution_for(step_id)
        {
            eprintln!("  solution: {}", s.explain.trim());
        }
        eprintln!("  fix it and run `cdc-workshop run` again: it resumes at this step");
    }

    fn print_record(&self, r: &Record) {
        if self.format == Format::Json {
            if let Ok(v) = serde_json::to_value(r) {
                json_line(&v);
            }
            return;
        }
        let course = self.engine.course();
        match &r.event {
            Event::StepStarted {
                lesson,
                step,
                purpose,
                ..
            } => {
                let title = course
                    .lesson(lesson)
                    .and_then(|l| l.step(step))
                    .map_or(step.as_str(), |s| s.title.as_str());
                let why = match purpose {
                    crate::journal::RunPurpose::Run => "",
                    crate::journal::RunPurpose::Skip => " (running the solution)",
                    crate::journal::RunPurpose::Reset => " (cleaning up)",
                };
                println!("  ▶ {title}{why}");
            }
            Event::StepFinished {
                outcome,
                duration_ms: d,
                ..
            } => {
                let ok = matches!(outcome, StepOutcome::Succeeded { .. });
                println!(
                    "  {} {} in {}",
                    mark(Some(ok)),
                    outcome_line(outcome),
                    duration_ms(*d)
                );
            }
            Event::CheckAttempted {
                check,
                attempt,
                observation,
                ..
            } if observation.verdict != Verdict::Pass => {
                println!(
                    "    … {check}: {} (attempt {attempt}): {}",
                    observation.verdict.label(),
                    observation.observed
                );
            }
            Event::CheckFinished { check, report, .. } => {
                let ok = report.verdict.is_satisfied();
                println!("    {} {check}: {}", mark(Some(ok)), report.message);
            }
            Event::HintShown {
                lesson,
                step,
                index,
            } => {
                if let Some(h) = course
                    .lesson(lesson)
                    .and_then(|l| l.hints_for(step).nth(*index as usize))
                {
                    println!("    hint: {}", h.text.trim());
                }
            }
            Event::LessonCompleted { lesson, via } => {
                let how = match via {
                    crate::journal::Completion::Steps => "",
                    crate::journal::Completion::Objectives => " (its end state already held)",
                };
                println!("✓ lesson {lesson} complete{how}");
            }
            _ => {}
        }
    }
}
