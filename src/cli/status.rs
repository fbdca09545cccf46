//! `cdc-workshop status`: progress per lesson and step of the current run, and the resource
//! ledger (Terraform modules and what steps created through the Confluent API).

use serde_json::json;

use crate::config::{EnvLookup, Overrides};
use crate::engine::{Session, StepState};
use crate::journal::Completion;
use crate::ledger::Ledger;
use crate::lesson::Course;
use crate::workspace::{Workspace, WorkspaceError};

use super::output::{Format, duration_ms, json_line};
use super::{CliError, Exit};

pub fn run(
    overrides: &Overrides,
    env: EnvLookup,
    args: &super::StatusArgs,
) -> Result<Exit, CliError> {
    let ws = Workspace::open(overrides, env)?;
    let ledger = Ledger::load(&ledger_path(&ws))?;
    let Some(opened) = ws.open_current()? else {
        if ledger.is_empty() {
            return Err(WorkspaceError::NoRun.into());
        }
        match args.format {
            Format::Json => json_line(&json!({"run": null, "ledger": ledger})),
            Format::Text => print!("{}", render_ledger(&ledger)),
        }
        return Ok(Exit::Success);
    };
    if let Some(d) = &opened.damage {
        eprintln!("warning: {d}");
    }
    let session = opened.engine.session();
    let plan = opened.engine.plan();
    match args.format {
        Format::Json => {
            let lessons: Vec<_> = plan
                .iter()
                .map(|l| {
                    let steps: Vec<_> = l
                        .steps()
                        .map(|s| {
                            let p = session.step(&l.id, &s.id).cloned().unwrap_or_default();
                            json!({
                                "id": s.id, "title": s.title, "kind": s.kind.name(),
                                "state": state_name(p.state), "skipped": p.skipped,
                                "failures": p.failures, "hints_shown": p.hints_shown,
                                "message": p.last_message,
                            })
                        })
                        .collect();
                    json!({
                        "id": l.id, "title": l.title, "state": lesson_state(session, &l.id),
                        "current": session.current_lesson.as_deref() == Some(l.id.as_str()),
                        "steps": steps,
                    })
                })
                .collect();
            json_line(&json!({
                "run": opened.id, "track": session.track, "components": session.components,
                "lessons": lessons, "ledger": ledger,
            }));
        }
        Format::Text => {
            print!("{}", render_text(&ws.course, &opened.id, session, &plan));
            print!("\n{}", render_ledger(&ledger));
        }
    }
    Ok(Exit::Success)
}

fn state_name(s: StepState) -> &'static str {
    match s {
        StepState::Pending => "pending",
        StepState::Running => "running",
        StepState::Verifying => "verifying",
        StepState::Done => "done",
        StepState::Failed => "failed",
        StepState::Interrupted => "interrupted",
    }
}

fn lesson_state(session: &Session, lesson: &str) -> &'static str {
    match session.lesson(lesson) {
        Some(l) if l.completed == Some(Completion::Objectives) => "done (objectives already held)",
        Some(l) if l.completed.is_some() => "done",
        Some(l) if l.entered_ms.is_some() => "in progress",
        _ => "not started",
    }
}

/// The text report (also what the status screen of a future facilitator view can reuse).
pub fn render_text(
    course: &Course,
    run_id: &str,
    session: &Session,
    plan: &[&crate::lesson::Lesson],
) -> String {
    let mut out = String::new();
    let track = course
        .track(&session.track)
        .map_or(session.track.as_str(), |t| t.title.as_str());
    let components = if session.components.is_empty() {
        "none".to_string()
    } else {
        session.components.join(", ")
    };
    out.push_str(&format!(
        "{} — {run_id}\ntrack: {track} · components: {components}\n\n",
        course.title
    ));
    let done = plan.iter().filter(|l| session.is_completed(&l.id)).count();
    out.push_str(&format!("{done}/{} lessons done\n", plan.len()));
    for l in plan {
        let current = session.current_lesson.as_deref() == Some(l.id.as_str());
        let mark = if session.is_completed(&l.id) {
            "✓"
        } else if current {
            "▶"
        } else {
            "·"
        };
        out.push_str(&format!(
            "{mark} {:<28} {:<40} {}\n",
            l.id,
            l.title,
            lesson_state(session, &l.id)
        ));
        if session.is_completed(&l.id) && !current {
            continue;
        }
        for s in l.steps() {
            let p = session.step(&l.id, &s.id).cloned().unwrap_or_default();
            let mark = match p.state {
                StepState::Done => "✓",
                StepState::Failed => "✗",
                StepState::Running | StepState::Verifying => "▶",
                StepState::Interrupted => "!",
                StepState::Pending => "·",
            };
            let mut detail = state_name(p.state).to_string();
            if p.skipped {
                detail.push_str(" (skipped)");
            }
            if let (Some(a), Some(b)) = (p.started_ms, p.finished_ms) {
                detail.push_str(&format!(" in {}", duration_ms(b.saturating_sub(a))));
            }
            if p.failures > 0 {
                detail.push_str(&format!(" · {} failure(s)", p.failures));
            }
            if p.hints_shown > 0 {
                detail.push_str(&format!(" · {} hint(s) shown", p.hints_shown));
            }
            if let (Some(m), StepState::Failed | StepState::Interrupted) =
                (&p.last_message, p.state)
            {
                detail.push_str(&format!(": {m}"));
            }
            out.push_str(&format!("    {mark} {:<26} {detail}\n", s.id));
        }
    }
    out
}

/// Where the ledger of this workspace lives.
pub fn ledger_path(ws: &Workspace) -> std::path::PathBuf {
    crate::ledger::file_in(&ws.settings.dirs.terraform())
}

/// The "Provisioned resources" part: what Terraform and the steps' API calls created and is
/// still recorded.
pub fn render_ledger(ledger: &Ledger) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if ledger.is_empty() {
        out.push_str("Provisioned resources: none recorded.\n");
        return out;
    }
    let api = if ledger.api_resources.is_empty() {
        String::new()
    } else {
        format!(
            ", {} created through the Confluent API",
            ledger.api_resources.len()
        )
    };
    let _ = writeln!(
        out,
        "Provisioned resources: {} module(s), {} resource(s){api} — `cdc-workshop teardown` removes them",
        ledger.modules.len(),
        ledger.resource_count()
    );
    for m in &ledger.modules {
        let _ = writeln!(
            out,
            "  {} (step {} of {}) · {} resource(s) · by {} · created {} · updated {}",
            m.module,
            m.step,
            m.lesson,
            m.resources.len(),
            m.owner,
            utc(m.created_ms),
            utc(m.updated_ms)
        );
        let _ = writeln!(out, "    workspace: {}", m.workspace.display());
        for (name, value) in &m.outputs {
            let _ = writeln!(out, "    output {name} = {value}");
        }
        for (name, secret) in &m.secret_outputs {
            let _ = writeln!(out, "    output {name} = •••• (secret {secret})");
        }
        for r in &m.resources {
            let _ = writeln!(out, "    {}  {}", r.addr, r.id.as_deref().unwrap_or("-"));
        }
    }
    if !ledger.api_resources.is_empty() {
        let _ = writeln!(
            out,
            "  Created through the Confluent API (teardown deletes these first):"
        );
    }
    for r in &ledger.api_resources {
        let _ = writeln!(
            out,
            "    {} {} (step {} of {}) · {} · by {} · created {} · updated {}",
            r.kind.label(),
            r.name,
            r.step,
            r.lesson,
            r.ids.describe(),
            r.owner,
            utc(r.created_ms),
            utc(r.updated_ms)
        );
    }
    out
}

/// `2026-11-23 10:04 UTC` from milliseconds since the epoch.
fn utc(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    // RFC 3339 (`2026-11-23T10:04:00Z`) cut to the minute, read as words.
    let stamp = humantime::format_rfc3339_seconds(at).to_string();
    format!(
        "{} UTC",
        stamp.get(..16).unwrap_or(&stamp).replace('T', " ")
    )
}

#[cfg(test)]
mod ledger_tests {
    use super::*;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_795_474_428_726), "2026-11-23 22:53 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
