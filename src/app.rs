//! The interactive guide: one loop owns the model and the terminal.
//!
//! Sources (input, task results, ticks, signals) become `Action`s; `update` changes the model
//! and returns effects; this loop performs them and draws at most once per frame budget.

pub mod editor;
pub mod keymap;
pub mod live;
pub mod model;
pub mod provision;
pub mod setup;
pub mod update;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, MouseEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::cli::{CliError, Exit, TuiArgs};
use crate::config::{EnvLookup, Overrides};
use crate::credentials::validate::Validity;
use crate::engine::Msg;
use crate::live::{Live, LiveCommand};
use crate::runner::confluent::edited_statement_path;
use crate::tasks::{TaskEvent, TaskManager};
use crate::tui::{TerminalGuard, copy_to_clipboard};
use crate::ui::theme::Theme;
use crate::workspace::Workspace;
use model::CredentialState;
use model::Model;
use update::{Action, AppEffect, update};

/// Spinners, elapsed timers and hints by time advance on this tick.
pub const TICK_INTERVAL_MS: u64 = 250;
/// At most one frame per budget (~60 fps); bursts of actions coalesce into one draw.
pub const FRAME_BUDGET_MS: u64 = 16;
const INPUT_CHANNEL_LEN: usize = 64;
const SHUTDOWN_GRACE: Duration = Duration::from_secs(12);

pub fn run_tui(overrides: &Overrides, env: EnvLookup, args: &TuiArgs) -> Result<Exit, CliError> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "the guide needs an interactive terminal; in scripts use `cdc-workshop run`, `check` or `status`"
                .to_string(),
        ));
    }
    let (ws, log) = Workspace::open_logged(overrides, env)?;
    tracing::info!(lessons = %ws.source.describe(), data = %ws.settings.dirs.data.display(), "guide starting");
    let result = crate::cli::runtime()?.block_on(run_loop(&ws, args, env));
    match &result {
        Ok(_) => {
            if ws.runs.current().is_some() {
                eprintln!("Progress saved. Run `cdc-workshop` to continue where you left off.");
            }
            let ledger_file = crate::ledger::file_in(&ws.settings.dirs.terraform());
            if let Ok(ledger) = crate::ledger::Ledger::load(&ledger_file)
                && let Some(alive) = still_provisioned(&ledger)
            {
                eprintln!(
                    "{alive} still provisioned: `cdc-workshop status` lists them, `cdc-workshop teardown` removes them when you are done."
                );
            }
        }
        Err(_) => eprintln!("log: {}", log.path.display()),
    }
    result
}

/// `2 terraform module(s) (7 resource(s)) and 3 resource(s) created through the Confluent API
/// (connectors, Flink statements and connections) are` — what the ledger still holds, for the
/// goodbye line; `None` when it holds nothing.
fn still_provisioned(ledger: &crate::ledger::Ledger) -> Option<String> {
    let mut parts = Vec::new();
    if !ledger.modules.is_empty() {
        parts.push(format!(
            "{} terraform module(s) ({} resource(s))",
            ledger.modules.len(),
            ledger.resource_count()
        ));
    }
    if !ledger.api_resources.is_empty() {
        let mut kinds: Vec<&str> = ledger
            .api_resources
            .iter()
            .map(|r| r.kind.label())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        parts.push(format!(
            "{} resource(s) created through the Confluent API ({})",
            ledger.api_resources.len(),
            kinds.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| format!("{} are", parts.join(" and ")))
}

async fn run_loop(ws: &Workspace, args: &TuiArgs, env: EnvLookup<'_>) -> Result<Exit, CliError> {
    let clock = ws.clock();
    let theme = Theme::from_env_lookup(env);
    let mut guard = TerminalGuard::enter().map_err(CliError::Terminal)?;
    let size = guard.terminal.size().map_err(CliError::Terminal)?;
    let mut model = Model::new(
        Arc::clone(&ws.course),
        ws.values.clone(),
        theme,
        size.width,
        size.height,
    );
    model.now_ms = clock.wall_ms();
    if let Some(notice) = &ws.credential_notice {
        model.warning = Some(notice.clone());
    }

    let (live_tx, mut live_rx) = mpsc::channel(crate::live::LIVE_CHANNEL_LEN);
    let live = match crate::backend::confluent::client::ConfluentClient::new() {
        Ok(client) => Some(Live::start(client, live_tx, ws.redactor.clone())),
        Err(e) => {
            tracing::warn!(error = %e, "live panels off: no Confluent client");
            None
        }
    };
    let mut scope_sync = ScopeSync::default();
    let mut live_events = Vec::with_capacity(crate::live::LIVE_CHANNEL_LEN);
    let mut tasks: Option<TaskManager> = None;
    let mut task_rx: Option<mpsc::Receiver<TaskEvent>> = None;
    let mut edits: Vec<EditRequest> = Vec::new();
    let (checked_tx, mut checked_rx) = mpsc::channel(CHECKED_CHANNEL_LEN);
    let checks = CredentialChecks {
        env,
        tx: checked_tx,
    };
    checks.start(ws);
    if !args.new
        && let Some(mut opened) = ws.open_current()?
    {
        if let Some(d) = &opened.damage {
            model.warning = Some(d.to_string());
        }
        let effects = opened.engine.update(Msg::Resume, clock.wall_ms());
        let (manager, rx) = TaskManager::new(
            ws.services()?,
            ws.values.clone(),
            ws.work_dir(&opened.id),
            opened.journal,
        );
        tasks = Some(manager);
        task_rx = Some(rx);
        let fx = update(
            &mut model,
            Action::RunOpened {
                id: opened.id,
                engine: Box::new(opened.engine),
                effects,
            },
        );
        perform(
            &mut model,
            fx,
            ws,
            &mut tasks,
            &mut task_rx,
            &mut LoopIo {
                edits: &mut edits,
                checks: &checks,
                live: live.as_ref(),
            },
        )?;
    }

    let (input_tx, mut input_rx) = mpsc::channel::<TermEvent>(INPUT_CHANNEL_LEN);
    let mut input = spawn_input(input_tx.clone());
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_INTERVAL_MS));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate());
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup());
    let mut last_draw: Option<Instant> = None;
    // For the start-up benchmark (README, "Budgets"): leave as soon as the first frame is out.
    let exit_after_first_frame = env("CDC_WORKSHOP_BENCH_EXIT_AFTER_FIRST_FRAME").is_some();
    let mut inputs = Vec::with_capacity(INPUT_CHANNEL_LEN);
    let mut results = Vec::with_capacity(crate::tasks::TASK_CHANNEL_LEN);

    loop {
        let mut actions: Vec<Action> = Vec::new();
        let frame_due = last_draw.map_or(Instant::now(), |t| {
            t + Duration::from_millis(FRAME_BUDGET_MS)
        });
        tokio::select! {
            biased;
            n = input_rx.recv_many(&mut inputs, INPUT_CHANNEL_LEN) => {
                if n == 0 {
                    actions.push(Action::Terminate);
                }
                actions.extend(inputs.drain(..).filter_map(to_action));
            }
            n = recv_tasks(&mut task_rx, &mut results) => {
                if n > 0 {
                    actions.extend(results.drain(..).map(Action::Task));
                }
            }
            Some(states) = checked_rx.recv() => actions.push(Action::CredentialsChecked(states)),
            n = live_rx.recv_many(&mut live_events, crate::live::LIVE_CHANNEL_LEN), if live.is_some() => {
                if n > 0 {
                    actions.extend(live_events.drain(..).map(Action::Live));
                }
            }
            _ = tick.tick() => actions.push(Action::Tick(clock.wall_ms())),
            () = recv_signal(&mut terminate) => actions.push(Action::Terminate),
            () = recv_signal(&mut hangup) => actions.push(Action::Terminate),
            () = tokio::time::sleep_until(frame_due), if model.dirty => {}
        }
        // Only results, keys and runs can change the scope; ticks (4 a second) cannot.
        let scope_may_change = actions
            .iter()
            .any(|a| !matches!(a, Action::Tick(_) | Action::Live(_)));
        for action in actions {
            let fx = update(&mut model, action);
            perform(
                &mut model,
                fx,
                ws,
                &mut tasks,
                &mut task_rx,
                &mut LoopIo {
                    edits: &mut edits,
                    checks: &checks,
                    live: live.as_ref(),
                },
            )?;
        }
        if let Some(l) = live.as_ref().filter(|_| scope_may_change) {
            scope_sync.sync(&model, ws, l);
        }
        for request in edits.drain(..) {
            // The editor owns the terminal meanwhile: no key may reach the guide.
            input.abort();
            crate::tui::restore();
            let result = editor::seed_file(&request.path, &request.seed)
                .and_then(|()| editor::run_editor(&editor::editor_command(env), &request.path));
            guard.resume().map_err(CliError::Terminal)?;
            input = spawn_input(input_tx.clone());
            match result {
                Ok(()) => model.notify(
                    format!(
                        "saved your edit of `{}`; run the step to submit it",
                        request.step
                    ),
                    false,
                ),
                Err(e) => model.notify(e.to_string(), true),
            }
            model.dirty = true;
        }
        if model.quit {
            break;
        }
        if model.dirty
            && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(FRAME_BUDGET_MS))
        {
            let hyperlinks = ws.settings.hyperlinks;
            guard
                .terminal
                .draw(|f| {
                    crate::ui::render(&model, f);
                    if hyperlinks {
                        crate::ui::apply_hyperlinks(&model, f.buffer_mut());
                    }
                })
                .map_err(CliError::Terminal)?;
            model.dirty = false;
            last_draw = Some(Instant::now());
            if exit_after_first_frame {
                break;
            }
        }
    }

    input.abort();
    if let Some(manager) = tasks.as_mut() {
        if let Some(run) = &model.run {
            manager.snapshot(run.engine.session());
        }
        manager.shutdown(SHUTDOWN_GRACE).await;
    }
    // Results of steps interrupted by the shutdown: journal them so resume is exact.
    if let (Some(rx), Some(manager), Some(run)) =
        (task_rx.as_mut(), tasks.as_mut(), model.run.as_mut())
    {
        while let Ok(event) = rx.try_recv() {
            if let TaskEvent::Engine(msg) = event {
                let effects = run.engine.update(msg, clock.wall_ms());
                // On the way out only the journal matters; no new work starts.
                let records = effects
                    .into_iter()
                    .filter(|e| matches!(e, crate::engine::Effect::Record(_)))
                    .collect();
                manager.perform(records, run.engine.session())?;
            }
        }
        manager.snapshot(run.engine.session());
    }
    drop(guard);
    Ok(Exit::Success)
}

/// Results of credential checks queued for the loop; a full queue drops a result (the next
/// check repeats it).
const CHECKED_CHANNEL_LEN: usize = 8;

/// The setup screen's key for the Azure CLI login (not a stored credential).
pub const AZURE_LOGIN: &str = "azure_login";

/// Starts credential checks: where each credential is (at once), then what its service says.
struct CredentialChecks<'a> {
    env: EnvLookup<'a>,
    tx: mpsc::Sender<std::collections::BTreeMap<String, CredentialState>>,
}

impl CredentialChecks<'_> {
    fn start(&self, ws: &Workspace) {
        let mut states = std::collections::BTreeMap::new();
        let mut values = std::collections::BTreeMap::new();
        for decl in ws.course.secrets.iter().filter(|d| d.provided_by.is_none()) {
            let state = match crate::credentials::lookup(
                ws.credentials.as_ref(),
                &decl.name,
                decl.env.as_deref(),
                self.env,
            ) {
                Ok(Some((value, from))) => {
                    values.insert(decl.name.clone(), value);
                    CredentialState::Present(from.label())
                }
                Ok(None) => CredentialState::Missing,
                Err(e) => CredentialState::Unverified(e.to_string()),
            };
            states.insert(decl.name.clone(), state);
        }
        let _ = self.tx.try_send(states);
        let region = ws.values.vars().get("aws_region").cloned();
        let mut endpoints = ws.settings.endpoints.validation(region.as_deref());
        endpoints.gcp_key_file = crate::cli::gcp_key_file(ws);
        // The Azure login is asked of `az` only where it is there to ask.
        let az_here = ws.settings.endpoints.az_command.is_some()
            || (self.env)("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("az").is_file()));
        if values.is_empty() && endpoints.gcp_key_file.is_none() && !az_here {
            return;
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut verdicts = crate::credentials::validate::check_all(&values, &endpoints).await;
            if az_here {
                verdicts.insert(
                    AZURE_LOGIN.to_string(),
                    crate::credentials::validate::azure(&endpoints).await,
                );
            }
            let states = verdicts
                .into_iter()
                .map(|(name, v)| {
                    let state = match v {
                        Validity::Valid(m) => CredentialState::Valid(m),
                        Validity::Rejected(m) => CredentialState::Rejected(m),
                        Validity::Unknown(m) => CredentialState::Unverified(m),
                    };
                    (name, state)
                })
                .collect();
            let _ = tx.send(states).await;
        });
    }
}

/// What `perform` hands work to besides the task manager.
struct LoopIo<'a, 'b> {
    edits: &'a mut Vec<EditRequest>,
    checks: &'a CredentialChecks<'b>,
    live: Option<&'a Live>,
}

/// Tells the live service when the rendered `[confluent]` scope changes (a step created the
/// cluster, a key was stored), and only then.
#[derive(Default)]
struct ScopeSync {
    last: Option<String>,
}

impl ScopeSync {
    fn sync(&mut self, model: &Model, ws: &Workspace, live: &Live) {
        if model.run.is_none() {
            return;
        }
        let values = model.values_now();
        let resolved = crate::runner::confluent::resolve(
            &ws.course.confluent,
            &ws.confluent_endpoints(),
            values.as_ref(),
        );
        // Keys print masked, so a changed secret alone is not noticed; ids and URLs are.
        let fingerprint = format!("{:?}", resolved.scope);
        if self.last.as_deref() != Some(fingerprint.as_str()) {
            self.last = Some(fingerprint);
            for key in resolved.scope.keys.values() {
                ws.redactor.add_basic_auth(&key.key, &key.secret);
            }
            live.send(LiveCommand::UseScope(Box::new(resolved)));
        }
    }
}

/// A statement the participant asked to edit, handled by the loop (it owns the terminal).
struct EditRequest {
    path: std::path::PathBuf,
    seed: String,
    step: String,
}

fn spawn_input(tx: mpsc::Sender<TermEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            if tx.send(event).await.is_err() {
                break;
            }
        }
    })
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Option<tokio::signal::unix::Signal> {
    // Without a handler the default action applies; that only loses the graceful path.
    tokio::signal::unix::signal(kind)
        .inspect_err(|e| tracing::warn!(error = %e, "no signal handler"))
        .ok()
}

async fn recv_signal(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

async fn recv_tasks(rx: &mut Option<mpsc::Receiver<TaskEvent>>, buf: &mut Vec<TaskEvent>) -> usize {
    match rx {
        Some(rx) => rx.recv_many(buf, crate::tasks::TASK_CHANNEL_LEN).await,
        None => std::future::pending().await,
    }
}

fn to_action(event: TermEvent) -> Option<Action> {
    match event {
        TermEvent::Key(key) => Some(Action::Key(key)),
        TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
            _ => None,
        },
        _ => None,
    }
}

fn perform(
    model: &mut Model,
    effects: Vec<AppEffect>,
    ws: &Workspace,
    tasks: &mut Option<TaskManager>,
    task_rx: &mut Option<mpsc::Receiver<TaskEvent>>,
    io: &mut LoopIo<'_, '_>,
) -> Result<(), CliError> {
    let mut engine_effects = Vec::new();
    for effect in effects {
        match effect {
            AppEffect::Engine(e) => engine_effects.push(e),
            AppEffect::Copy(text) => {
                if ws.settings.clipboard
                    && let Err(e) = copy_to_clipboard(&text)
                {
                    model.notify(format!("could not copy: {e}"), true);
                }
            }
            AppEffect::Quit => model.quit = true,
            AppEffect::RefreshLive => {
                if let Some(l) = io.live {
                    l.send(LiveCommand::Refresh);
                }
            }
            AppEffect::WatchTopic(topic) => match io.live {
                Some(l) => l.send(LiveCommand::WatchTopic(topic)),
                None => model.notify(
                    "live panels are off: the Confluent client could not start (see the log)",
                    true,
                ),
            },
            AppEffect::SaveCredential { name, value } => match ws.credentials.set(&name, &value) {
                Ok(()) => {
                    ws.values.secrets().insert(&name, value.expose());
                    model.notify(
                        format!("stored {name} in the {}", ws.credentials.kind().label()),
                        false,
                    );
                }
                Err(e) => model.notify(e.to_string(), true),
            },
            AppEffect::CheckCredentials => io.checks.start(ws),
            AppEffect::EditStatement {
                run,
                lesson,
                step,
                original,
            } => io.edits.push(EditRequest {
                path: edited_statement_path(&ws.work_dir(&run), &lesson, &step),
                seed: original,
                step,
            }),
            AppEffect::ForceUnlock { module, lock_id } => match tasks.as_mut() {
                Some(manager) => manager.force_unlock(module, lock_id),
                None => model.notify("no run is open", true),
            },
            AppEffect::StartRun { track, components } => {
                let clock = ws.clock();
                let mut opened = ws.create_run(clock.wall_ms())?;
                let effects = opened
                    .engine
                    .start_run(&track, &components, clock.wall_ms());
                if let Some(old) = tasks.as_mut() {
                    old.cancel_all();
                }
                let (manager, rx) = TaskManager::new(
                    ws.services()?,
                    ws.values.clone(),
                    ws.work_dir(&opened.id),
                    opened.journal,
                );
                *tasks = Some(manager);
                *task_rx = Some(rx);
                let fx = update(
                    model,
                    Action::RunOpened {
                        id: opened.id,
                        engine: Box::new(opened.engine),
                        effects,
                    },
                );
                perform(model, fx, ws, tasks, task_rx, io)?;
            }
        }
    }
    if let (Some(manager), Some(run)) = (tasks.as_mut(), model.run.as_ref())
        && !engine_effects.is_empty()
    {
        manager.perform(engine_effects, run.engine.session())?;
    }
    Ok(())
}

#[cfg(test)]
mod goodbye_tests {
    use super::still_provisioned;
    use crate::ledger::{ApiKind, ApiResource, ApiScopeIds, Ledger};

    #[test]
    fn the_goodbye_line_names_api_resources_next_to_modules() {
        let mut ledger = Ledger::default();
        assert_eq!(still_provisioned(&ledger), None);
        for (kind, name) in [
            (ApiKind::FlinkStatement, "a"),
            (ApiKind::FlinkStatement, "b"),
            (ApiKind::Connector, "pg"),
        ] {
            ledger.record_api(ApiResource {
                kind,
                name: name.into(),
                ids: ApiScopeIds::default(),
                lesson: "l".into(),
                step: "s".into(),
                at_ms: 1,
                owner: "ann@laptop".into(),
            });
        }
        assert_eq!(
            still_provisioned(&ledger).as_deref(),
            Some(
                "3 resource(s) created through the Confluent API (Flink statement, connector) are"
            )
        );
    }
}
