//! The `flink_sql` step: submit (or find) a statement, follow it to RUNNING or COMPLETED, show
//! a bounded query's results and a failed statement's exceptions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::checks::first_line;
use super::{ResolvedScope, STATEMENT_POLL_INTERVAL_MS, explain};
use crate::backend::confluent::{ApiErrorKind, ConfluentApi, NewStatement, ResultRow, Statement};
use crate::lesson::template::Template;
use crate::lesson::{FlinkSqlStep, FlinkWait};
use crate::runner::outcome::{LogStream, StepOutcome};
use crate::runner::table;
use crate::runner::{LogSink, StepRun};

/// Empty result pages a running query may return before the step stops waiting for rows.
pub const MAX_EMPTY_RESULT_POLLS: u32 = 10;
/// Exceptions shown for a failed statement (newest first).
pub const MAX_EXCEPTIONS_SHOWN: usize = 3;
/// How long a failed statement may take to disappear after its delete before resubmitting.
const DELETE_WAIT_POLLS: u32 = 15;
/// Outputs a `flink_sql` step provides.
pub const FLINK_OUTPUTS: &[&str] = &["statement", "phase"];

fn slug(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `cdcw-<lesson>-<step>-<hash of the statement>`: the same statement text in the same step
/// always gets the same name, so a re-run finds it; an edited statement gets a new one. Kept
/// within one DNS label (63 characters).
pub fn statement_name(lesson: &str, step: &str, sql: &str) -> String {
    let normalised: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let hash = format!("{:08x}", fnv1a(&normalised) & 0xffff_ffff);
    let mut middle = format!("{}-{}", slug(lesson), slug(step));
    let room = 63 - "cdcw-".len() - 1 - hash.len();
    if middle.len() > room {
        middle.truncate(room);
    }
    let middle = middle.trim_matches('-');
    format!("cdcw-{middle}-{hash}")
}

/// Where the participant's edited version of a step's statement lives, inside the run's work
/// dir: it survives restarts, and deleting it goes back to the lesson's statement.
pub fn edited_statement_path(work_dir: &Path, lesson: &str, step: &str) -> PathBuf {
    work_dir
        .join("edits")
        .join(lesson)
        .join(format!("{step}.sql"))
}

/// The statement to submit: the participant's edit when there is one, else the lesson's.
fn statement_template(
    run: &StepRun,
    step: &FlinkSqlStep,
    log: &LogSink,
) -> Result<Template, String> {
    let path = edited_statement_path(&run.work_dir, &run.lesson, &run.step);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            log.send(
                LogStream::Guide,
                &format!(
                    "using your edited statement ({}; delete it to go back to the lesson's)",
                    path.display()
                ),
            );
            Template::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        Ok(_) => Ok(step.statement.clone()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(step.statement.clone()),
        Err(e) => Err(format!(
            "cannot read your edited statement {}: {e}",
            path.display()
        )),
    }
}

fn failed(message: impl Into<String>) -> StepOutcome {
    StepOutcome::Failed {
        message: message.into(),
        exit_code: None,
    }
}

fn is_select(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    head.starts_with("SELECT") || head.starts_with("WITH")
}

enum Followed {
    Done(Statement),
    Failed(Statement),
    Cancelled,
    Error(String),
}

/// Runs the step. `exists` is set to the statement's name once a statement was submitted or
/// found, whatever happens next: a failed or still-pending statement lives in Confluent Cloud
/// too, and the resource ledger must know it.
pub(super) async fn execute(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    run: &StepRun,
    step: &FlinkSqlStep,
    log: &LogSink,
    cancel: CancellationToken,
    exists: &mut Option<String>,
) -> StepOutcome {
    let values = run.values.as_ref();
    let statement = match statement_template(run, step, log) {
        Ok(t) => t,
        Err(message) => return failed(message),
    };
    let sql = match statement.render(values) {
        Ok(s) => s.trim().to_string(),
        Err(e) => return failed(format!("the statement cannot be written yet: {e}")),
    };
    let mut properties = BTreeMap::new();
    for (key, t) in &step.properties {
        match t.render(values) {
            Ok(v) => properties.insert(key.clone(), v),
            Err(e) => return failed(format!("property `{key}` has no value yet: {e}")),
        };
    }
    let name = step
        .name
        .clone()
        .unwrap_or_else(|| statement_name(&run.lesson, &run.step, &sql));
    log.send(LogStream::Guide, &format!("Flink SQL statement {name}:"));
    for line in sql.lines() {
        log.send(LogStream::Guide, &format!("  {line}"));
    }

    let scope = &resolved.scope;
    let existing = match api.statement(scope, &name).await {
        Ok(s) => s,
        Err(e) => return failed(explain(&e, resolved)),
    };
    let current = match existing {
        Some(s) if matches!(s.phase.as_str(), "FAILED" | "FAILING" | "STOPPED") => {
            log.send(
                LogStream::Guide,
                &format!(
                    "statement {name} exists but is {}; deleting it to submit it again",
                    s.phase
                ),
            );
            if let Err(e) = delete_and_wait(api, resolved, &name, &cancel).await {
                return failed(e);
            }
            None
        }
        other => other,
    };
    let statement = match current {
        Some(s) => {
            log.send(
                LogStream::Guide,
                &format!(
                    "statement {name} was submitted before ({}); following it",
                    s.phase
                ),
            );
            s
        }
        None => {
            let new = NewStatement {
                name: name.clone(),
                sql: sql.clone(),
                properties,
            };
            match api.create_statement(scope, &new).await {
                Ok(s) => {
                    log.send(LogStream::Guide, &format!("submitted {name} ({})", s.phase));
                    s
                }
                Err(e) if e.kind == ApiErrorKind::Conflict => {
                    match api.statement(scope, &name).await {
                        Ok(Some(s)) => s,
                        Ok(None) => return failed(explain(&e, resolved)),
                        Err(e) => return failed(explain(&e, resolved)),
                    }
                }
                Err(e) => return failed(explain(&e, resolved)),
            }
        }
    };
    *exists = Some(statement.name.clone());

    let statement = match follow(api, resolved, statement, step.wait, log, &cancel).await {
        Followed::Done(s) => s,
        Followed::Failed(s) => return report_failure(api, resolved, &s, log).await,
        Followed::Cancelled => {
            return StepOutcome::Interrupted {
                reason: format!(
                    "stopped waiting; statement {name} keeps running in Confluent Cloud until it is deleted"
                ),
            };
        }
        Followed::Error(message) => return failed(message),
    };

    if is_select(&sql)
        || statement.is_bounded == Some(true) && statement.sql_kind.as_deref() == Some("SELECT")
    {
        show_results(api, resolved, &statement, step.max_rows, log, &cancel).await;
    }
    let mut outputs = BTreeMap::new();
    for wanted in &run.outputs {
        let value = match wanted.as_str() {
            "statement" => statement.name.clone(),
            "phase" => statement.phase.clone(),
            other => {
                return failed(format!(
                    "step declares output `{other}`, but a flink_sql step provides only: {}",
                    FLINK_OUTPUTS.join(", ")
                ));
            }
        };
        outputs.insert(wanted.clone(), value);
    }
    StepOutcome::Succeeded { outputs }
}

fn reached(wait: FlinkWait, phase: &str) -> bool {
    match wait {
        FlinkWait::Started => phase == "RUNNING" || phase == "COMPLETED",
        FlinkWait::Completed => phase == "COMPLETED",
        FlinkWait::Running => phase == "RUNNING",
    }
}

async fn follow(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    mut statement: Statement,
    wait: FlinkWait,
    log: &LogSink,
    cancel: &CancellationToken,
) -> Followed {
    let name = statement.name.clone();
    let mut last_phase = statement.phase.clone();
    loop {
        let phase = statement.phase.as_str();
        if reached(wait, phase) {
            log.send(LogStream::Guide, &format!("statement {name} is {phase}"));
            return Followed::Done(statement);
        }
        match phase {
            "FAILED" | "FAILING" => return Followed::Failed(statement),
            "STOPPED" | "STOPPING" | "DELETING" => {
                return Followed::Error(format!(
                    "statement {name} is {phase}; it was stopped or deleted"
                ));
            }
            "COMPLETED" | "RUNNING" => {
                return Followed::Error(format!(
                    "statement {name} is {phase}, but the step waits for it to be {}",
                    wait.name()
                ));
            }
            _ => {}
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => return Followed::Cancelled,
            () = tokio::time::sleep(Duration::from_millis(STATEMENT_POLL_INTERVAL_MS)) => {}
        }
        statement = match api.statement(&resolved.scope, &name).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Followed::Error(format!(
                    "statement {name} disappeared (deleted by someone else?)"
                ));
            }
            Err(e) if e.is_transient() => continue,
            Err(e) => return Followed::Error(explain(&e, resolved)),
        };
        if statement.phase != last_phase {
            log.send(
                LogStream::Guide,
                &format!("statement {name}: {last_phase} → {}", statement.phase),
            );
            last_phase = statement.phase.clone();
        }
    }
}

async fn report_failure(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    statement: &Statement,
    log: &LogSink,
) -> StepOutcome {
    let name = &statement.name;
    match api.statement_exceptions(&resolved.scope, name).await {
        Ok(exceptions) if !exceptions.is_empty() => {
            log.send(
                LogStream::Stderr,
                &format!("exceptions of {name} (newest first):"),
            );
            for ex in exceptions.iter().take(MAX_EXCEPTIONS_SHOWN) {
                let when = ex.timestamp.as_deref().unwrap_or("");
                log.send(
                    LogStream::Stderr,
                    format!("  {when} {}", ex.name).trim_end(),
                );
                for line in ex.message.lines().take(5) {
                    log.send(LogStream::Stderr, &format!("    {line}"));
                }
            }
        }
        Ok(_) => {}
        Err(e) => log.send(
            LogStream::Guide,
            &format!("(could not read the exceptions: {})", explain(&e, resolved)),
        ),
    }
    let detail = first_line(&statement.detail);
    let detail = if detail.is_empty() {
        "no detail given"
    } else {
        detail
    };
    failed(format!(
        "statement {name} {}: {detail}; fix the statement and press Retry (the failed one is deleted first)",
        statement.phase
    ))
}

async fn delete_and_wait(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    name: &str,
    cancel: &CancellationToken,
) -> Result<(), String> {
    match api.delete_statement(&resolved.scope, name).await {
        Ok(()) => {}
        Err(e) if e.is_gone() => return Ok(()),
        Err(e) => return Err(explain(&e, resolved)),
    }
    for _ in 0..DELETE_WAIT_POLLS {
        match api.statement(&resolved.scope, name).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) => {}
            Err(e) if e.is_gone() => return Ok(()),
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(explain(&e, resolved)),
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => return Err("interrupted while deleting the old statement".to_string()),
            () = tokio::time::sleep(Duration::from_millis(STATEMENT_POLL_INTERVAL_MS)) => {}
        }
    }
    Err(format!(
        "statement {name} was deleted but is still listed; try again in a minute"
    ))
}

/// Page through results until `max_rows` rows, the last page, or a quiet running query.
async fn show_results(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    statement: &Statement,
    max_rows: usize,
    log: &LogSink,
    cancel: &CancellationToken,
) {
    let name = &statement.name;
    let mut rows: Vec<ResultRow> = Vec::new();
    let mut page: Option<String> = None;
    let mut empty_polls = 0;
    let mut more = false;
    loop {
        let result = api
            .statement_results(&resolved.scope, name, page.as_deref())
            .await;
        let got = match result {
            Ok(p) => p,
            Err(e) => {
                log.send(
                    LogStream::Guide,
                    &format!("(could not read the results: {})", explain(&e, resolved)),
                );
                return;
            }
        };
        let empty = got.rows.is_empty();
        rows.extend(got.rows);
        if rows.len() >= max_rows {
            more = rows.len() > max_rows || got.next.is_some();
            rows.truncate(max_rows);
            break;
        }
        let Some(next) = got.next else { break };
        page = Some(next);
        if empty {
            empty_polls += 1;
            if empty_polls >= MAX_EMPTY_RESULT_POLLS {
                more = true;
                break;
            }
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(STATEMENT_POLL_INTERVAL_MS)) => {}
            }
        }
    }
    if rows.is_empty() {
        log.send(LogStream::Stdout, "(no rows yet)");
        return;
    }
    for line in table::render_statement(&statement.columns, &rows) {
        log.send(LogStream::Stdout, &line);
    }
    let tail = if more { ", more available" } else { "" };
    log.send(
        LogStream::Guide,
        &format!("{} rows shown{tail}", rows.len()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_statement_text_gets_the_same_valid_name_and_an_edit_gets_a_new_one() {
        let a = statement_name(
            "08_flink",
            "union_orders",
            "INSERT INTO x\n  SELECT * FROM y;",
        );
        let b = statement_name(
            "08_flink",
            "union_orders",
            "INSERT INTO x SELECT *   FROM y;",
        );
        let c = statement_name("08_flink", "union_orders", "INSERT INTO x SELECT * FROM z;");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("cdcw-08-flink-union-orders-"), "{a}");
        assert!(
            crate::lesson::confluent::parse::is_statement_name(&a),
            "{a}"
        );
    }

    #[test]
    fn long_lesson_and_step_ids_still_give_a_name_within_one_dns_label() {
        let name = statement_name(&"lesson_".repeat(20), &"Step_".repeat(20), "SELECT 1");
        assert!(name.len() <= 63, "{} chars: {name}", name.len());
        assert!(
            crate::lesson::confluent::parse::is_statement_name(&name),
            "{name}"
        );
    }
}
