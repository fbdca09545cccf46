//! `cdc-workshop teardown [--yes]`: first delete what steps created through the Confluent API
//! (connectors, Flink statements and connections live inside the environment, whose destroy
//! fails while they exist; see [`api`]), then destroy every module in the ledger, newest first
//! (a later module may use an earlier one's outputs). Each failure is retried once; each state
//! must be empty afterwards; the end lists what could not be removed and why.

mod api;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::backend::terraform::event::to_event;
use crate::config::{EnvLookup, Overrides};
use crate::ledger::{ApiResourceEntry, Ledger, ModuleEntry, VarEntry};
use crate::lesson::template::Template;
use crate::lesson::{StepKind, TerraformAction, TerraformStep};
use crate::runner::confluent::Removed;
use crate::runner::outcome::{LogStream, StepOutcome};
use crate::runner::terraform::TerraformRunner;
use crate::runner::{LogSink, PROGRESS_CHANNEL_LEN, StepRun};
use crate::values::ValueSnapshot;
use crate::workspace::Workspace;

use super::output::{Format, json_line};
use super::status::ledger_path;
use super::{CliError, Exit, TeardownArgs};

pub fn run(overrides: &Overrides, env: EnvLookup, args: &TeardownArgs) -> Result<Exit, CliError> {
    let (ws, _log) = Workspace::open_logged(overrides, env)?;
    let ledger = Ledger::load(&ledger_path(&ws))?;
    if ledger.is_empty() {
        say(
            args.format,
            "Nothing to tear down: no provisioned module or API resource is recorded.",
        );
        return Ok(Exit::Success);
    }
    if !args.yes && !confirm(&ledger)? {
        eprintln!("Nothing was destroyed.");
        return Ok(Exit::Success);
    }
    super::runtime()?.block_on(destroy_all(&ws, ledger, args.format))
}

fn say(format: Format, text: &str) {
    match format {
        Format::Text => println!("{text}"),
        Format::Json => json_line(&json!({"type": "notice", "text": text})),
    }
}

fn confirm(ledger: &Ledger) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "teardown destroys cloud resources: pass --yes to destroy without asking".into(),
        ));
    }
    eprintln!("This removes, newest first:");
    for r in ledger.api_teardown_order() {
        eprintln!("  {} (step {})", api::describe(&r), r.step);
    }
    for m in ledger.modules.iter().rev() {
        eprintln!(
            "  {} ({} resource(s), step {})",
            m.module,
            m.resources.len(),
            m.step
        );
    }
    eprint!("Destroy all of it? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn destroy_all(ws: &Workspace, ledger: Ledger, format: Format) -> Result<Exit, CliError> {
    let runner = ws.terraform(ws.clock());
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupt: stopping Terraform gracefully after this module");
            on_ctrl_c.cancel();
        }
    });
    // Outputs of every recorded module, by the step that produced them, for var templates.
    let outputs: BTreeMap<String, BTreeMap<String, String>> = ledger
        .modules
        .iter()
        .map(|m| (m.step.clone(), m.outputs.clone()))
        .collect();
    let api::Removals {
        removed,
        mut failed,
    } = api::remove_all(ws, &runner, &ledger, format, &cancel).await;
    let mut destroyed = Vec::new();
    for entry in ledger.modules.iter().rev() {
        if cancel.is_cancelled() {
            failed.push(Failure::module(entry, "not attempted: interrupted"));
            continue;
        }
        let mut outcome = destroy(ws, &runner, entry, &outputs, format, cancel.clone()).await;
        if let StepOutcome::Failed { message, .. } = &outcome
            && !cancel.is_cancelled()
        {
            say(
                format,
                &format!(
                    "{}: destroy failed ({message}); retrying once",
                    entry.module
                ),
            );
            outcome = destroy(ws, &runner, entry, &outputs, format, cancel.clone()).await;
        }
        match outcome {
            StepOutcome::Succeeded { .. } => {
                say(
                    format,
                    &format!("{}: destroyed, its state is empty", entry.module),
                );
                destroyed.push(entry.module.clone());
            }
            StepOutcome::Failed { message, .. } => failed.push(Failure::module(entry, &message)),
            StepOutcome::Interrupted { reason } => failed.push(Failure::module(entry, &reason)),
        }
    }
    summary(format, &removed, &destroyed, &failed);
    Ok(if cancel.is_cancelled() {
        Exit::Interrupted
    } else if failed.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// One destroy through the same runner a lesson step uses (redaction, progress, ledger).
async fn destroy(
    ws: &Workspace,
    runner: &Arc<TerraformRunner>,
    entry: &ModuleEntry,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
    format: Format,
    cancel: CancellationToken,
) -> StepOutcome {
    let mut vars = BTreeMap::new();
    for (name, var) in &entry.vars {
        let template = match var {
            VarEntry::Value { value } => Template::literal(value.clone()),
            VarEntry::Template { template } => match Template::parse(template) {
                Ok(t) => t,
                Err(e) => {
                    return StepOutcome::Failed {
                        message: format!("variable `{name}` in the ledger: {e}"),
                        exit_code: None,
                    };
                }
            },
        };
        vars.insert(name.clone(), template);
    }
    let wanted: BTreeSet<String> = vars
        .values()
        .flat_map(Template::secret_names)
        .map(str::to_string)
        .collect();
    runner.restore_secrets(&wanted).await;
    let step = TerraformStep {
        module: entry.module.clone(),
        action: TerraformAction::Destroy,
        vars,
        secret_outputs: BTreeMap::new(),
    };
    let run = StepRun {
        lesson: entry.lesson.clone(),
        step: entry.step.clone(),
        kind: StepKind::Terraform(step.clone()),
        outputs: Vec::new(),
        timeout: None,
        values: Arc::new(ValueSnapshot::from_parts(
            outputs.clone(),
            ws.values.vars().clone(),
            ws.values.secrets(),
        )),
        work_dir: entry.workspace.clone(),
    };
    say(
        format,
        &format!(
            "{}: destroying {} resource(s)…",
            entry.module,
            entry.resources.len()
        ),
    );
    let (sink, mut lines) = LogSink::channel(ws.redactor.clone());
    let (tx, mut progress) = tokio::sync::mpsc::channel(PROGRESS_CHANNEL_LEN);
    let sink = sink.with_progress(tx);
    let module = entry.module.clone();
    let printer = tokio::spawn(async move {
        let (mut lines_open, mut progress_open) = (true, true);
        while lines_open || progress_open {
            tokio::select! {
                line = lines.recv(), if lines_open => match line {
                    Some(l) if format == Format::Text && l.stream != LogStream::Guide => {
                        println!("  {module}: {}", l.text);
                    }
                    Some(_) => {}
                    None => lines_open = false,
                },
                msg = progress.recv(), if progress_open => match msg {
                    Some(m) if format == Format::Json => {
                        if let Some(event) = to_event(&m) {
                            json_line(&json!({"type": "terraform", "module": module, "event": event}));
                        }
                    }
                    Some(_) => {}
                    None => progress_open = false,
                },
            }
        }
    });
    let outcome = runner.execute(&run, &step, &sink, cancel).await;
    drop(sink);
    let _ = printer.await;
    outcome
}

/// What teardown removes: a Terraform module, or a resource a step created through the API.
enum Item {
    Module(String),
    Api(ApiResourceEntry),
}

/// Something that could not be removed, and why.
struct Failure {
    item: Item,
    reason: String,
}

impl Failure {
    fn module(entry: &ModuleEntry, reason: &str) -> Self {
        Self {
            item: Item::Module(entry.module.clone()),
            reason: reason.to_string(),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match &self.item {
            Item::Module(m) => json!({"module": m, "reason": self.reason}),
            Item::Api(r) => json!({"kind": r.kind.name(), "name": r.name, "reason": self.reason}),
        }
    }
}

fn summary(
    format: Format,
    removed: &[(ApiResourceEntry, Removed)],
    destroyed: &[String],
    failed: &[Failure],
) {
    match format {
        Format::Json => json_line(&json!({
            "type": "teardown_finished",
            "deleted": removed
                .iter()
                .map(|(r, how)| json!({"kind": r.kind.name(), "name": r.name, "result": how.name()}))
                .collect::<Vec<_>>(),
            "destroyed": destroyed,
            "failed": failed.iter().map(Failure::to_json).collect::<Vec<_>>(),
        })),
        Format::Text => {
            println!();
            if !removed.is_empty() {
                let names: Vec<String> = removed.iter().map(|(r, _)| api::describe(r)).collect();
                println!("✓ deleted: {}", names.join(", "));
            }
            if !destroyed.is_empty() {
                println!("✓ destroyed: {}", destroyed.join(", "));
            }
            if failed.is_empty() {
                println!("Nothing is left: every recorded module and API resource was removed.");
            } else {
                println!("✗ could not destroy:");
                for f in failed {
                    let what = match &f.item {
                        Item::Module(m) => m.clone(),
                        Item::Api(r) => api::describe(r),
                    };
                    println!("  {what}: {}", f.reason);
                }
                println!(
                    "They stay in the ledger; fix the cause and run `cdc-workshop teardown` again."
                );
            }
        }
    }
}
