//! `cdc-workshop check [ID…]`: probe checks and print what was observed.

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::{EnvLookup, Overrides};
use crate::engine::Session;
use crate::lesson::{Check, Course};
use crate::runner::ProbeContext;
use crate::runner::check::run_check;
use crate::runner::outcome::{CheckReport, Verdict};
use crate::tasks::probe_once;
use crate::workspace::Workspace;

use super::output::{Format, json_line};
use super::{CheckArgs, CliError, Exit};

pub fn run(overrides: &Overrides, env: EnvLookup, args: &CheckArgs) -> Result<Exit, CliError> {
    let (ws, _log) = Workspace::open_logged(overrides, env)?;
    let opened = ws.open_current()?;
    let (session, run_id) = match &opened {
        Some(o) => (o.engine.session().clone(), Some(o.id.clone())),
        None => (Session::default(), None),
    };
    let selected = select(&ws.course, &session, &args.ids)?;
    if selected.is_empty() {
        eprintln!(
            "no checks to run: name check ids, or start a run so the current lesson is known"
        );
        return Ok(Exit::Success);
    }
    let ctx = ProbeContext {
        values: ws.values.snapshot(&session),
        redactor: ws.redactor.clone(),
        work_dir: run_id.map_or_else(|| ws.settings.dirs.work(), |id| ws.work_dir(&id)),
    };
    let services = ws.services()?;
    let reports: Vec<(String, String, CheckReport)> = super::runtime()?.block_on(async {
        let mut out = Vec::new();
        for (lesson, check) in &selected {
            let report = if args.wait {
                let mut quiet = |_| {};
                run_check(
                    &check.spec,
                    services.prober.as_ref(),
                    &ctx,
                    services.clock.as_ref(),
                    CancellationToken::new(),
                    &mut quiet,
                )
                .await
            } else {
                probe_once(services.prober.as_ref(), &ctx, &check.spec).await
            };
            out.push((lesson.clone(), check.id.clone(), report));
        }
        out
    });
    let mut all_ok = true;
    for (lesson, check, r) in &reports {
        all_ok &= r.verdict.is_satisfied();
        match args.format {
            Format::Json => json_line(&json!({
                "lesson": lesson, "check": check, "verdict": r.verdict,
                "observed": r.observed, "message": r.message, "attempts": r.attempts,
            })),
            Format::Text => {
                let label = match r.verdict {
                    Verdict::Pass => "PASS",
                    Verdict::Warn => "WARN",
                    Verdict::Fail => "FAIL",
                    Verdict::Pending => "PEND",
                };
                let message = if r.message.is_empty() || r.message == r.observed {
                    String::new()
                } else {
                    format!(" — {}", r.message)
                };
                println!("{label}  {lesson}/{check}: {}{message}", r.observed);
            }
        }
    }
    Ok(if all_ok { Exit::Success } else { Exit::Failure })
}

/// The checks named by `ids` (`check` or `lesson/check`), or every check of the current lesson.
fn select(
    course: &Course,
    session: &Session,
    ids: &[String],
) -> Result<Vec<(String, Check)>, CliError> {
    let all: Vec<(String, Check)> = course
        .lessons
        .iter()
        .flat_map(|l| l.checks().map(move |c| (l.id.clone(), c.clone())))
        .collect();
    if ids.is_empty() {
        let Some(current) = &session.current_lesson else {
            return Ok(Vec::new());
        };
        return Ok(all.into_iter().filter(|(l, _)| l == current).collect());
    }
    let mut out = Vec::new();
    for id in ids {
        let found: Vec<(String, Check)> = all
            .iter()
            .filter(|(l, c)| match id.split_once('/') {
                Some((lesson, check)) => l == lesson && c.id == check,
                None => c.id == *id,
            })
            .cloned()
            .collect();
        if found.is_empty() {
            let known: Vec<String> = all.iter().map(|(l, c)| format!("{l}/{}", c.id)).collect();
            return Err(CliError::Usage(format!(
                "no check `{id}`; known checks: {}",
                known.join(", ")
            )));
        }
        out.extend(found);
    }
    Ok(out)
}
