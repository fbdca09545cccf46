//! [`TerraformRunner`]: runs `terraform` steps. A step names a module of the assets; the module
//! gets its own workspace under `<data>/terraform/<module>` (its files, its state, `.terraform`),
//! is initialised when needed, applied (or destroyed, or planned) with the `-json` stream folded
//! into typed progress, and its outputs become the step's outputs — sensitive ones secrets.
//!
//! Every message passes the redactor before anything sees it; values reach Terraform only as
//! `TF_VAR_*` environment variables.

mod failure;
mod outputs;
pub mod replay;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::human::short_duration;
use super::outcome::{LogStream, Observation, StepOutcome, Verdict};
use super::{LogSink, StepRun};
use crate::assets::{AssetError, Assets};
use crate::backend::terraform::cli::{Action, RunResult, TerraformCli, TerraformError};
use crate::backend::terraform::output::OutputValue;
use crate::backend::terraform::ui::UiMessage;
use crate::backend::terraform::workspace::{WorkspaceError, mark_initialised, materialise};
use crate::ledger::{self, AppliedModule, LedgerError, ResourceChange, VarEntry};
use crate::lesson::template::TemplateRenderError;
use crate::lesson::{TerraformAction, TerraformOutputCheck, TerraformStep};
use crate::redact::Redactor;
use crate::values::Secrets;

pub use failure::describe_failure;

/// How long a retry after a lock failure waits for the lock before giving up.
pub const LOCK_WAIT_SECS: u32 = 300;
/// Left in a module's workspace when a run met a held lock: the next run waits for the lock.
const LOCK_WAIT_MARKER: &str = ".cdc-workshop-wait-for-lock";
/// Folder (inside the terraform root) where providers are downloaded once for all modules.
pub const PLUGIN_CACHE_DIR: &str = ".plugin-cache";

#[derive(Debug, Error)]
pub enum TerraformStepError {
    #[error(transparent)]
    Terraform(#[from] TerraformError),
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error("cannot prepare the workspace of module `{module}`: {source}")]
    Workspace {
        module: String,
        source: WorkspaceError,
    },
    #[error("cannot create {}: {source}; check that the data folder is writable", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("variable `{name}` of module `{module}`: {source}")]
    Var {
        module: String,
        name: String,
        source: TemplateRenderError,
    },
    #[error(
        "module `{module}` has no output `{name}` (it has: {have}); add the output to the module or remove it from the step's `outputs`"
    )]
    MissingOutput {
        module: String,
        name: String,
        have: String,
    },
    #[error(
        "output `{name}` of module `{module}` is sensitive, so it cannot be a shown output: list it under `secret_outputs` with the secret to store it as"
    )]
    SensitiveOutput { module: String, name: String },
    #[error("the applied resources could not be recorded in the ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Replay(String),
}

/// Runs terraform steps and reads module outputs for checks.
pub struct TerraformRunner {
    root: PathBuf,
    assets: Assets,
    configured: Option<PathBuf>,
    path_var: Option<OsString>,
    secrets: Secrets,
    redactor: Redactor,
    clock: Arc<dyn Clock>,
    grace: Option<Duration>,
    /// Found and version-checked once; a failure is not cached, so installing Terraform and
    /// pressing Retry works without restarting the guide.
    cli: tokio::sync::Mutex<Option<TerraformCli>>,
    /// The test seam: recorded outputs instead of Terraform (see [`replay`]).
    replay: Option<replay::Replay>,
}

/// Variables for Terraform, and what the ledger keeps of them (templates instead of secrets).
type RenderedVars = (Vec<(String, String)>, BTreeMap<String, VarEntry>);

/// What a finished terraform command left behind.
enum Ran {
    Finished(Box<RunResult>),
    Interrupted,
}

impl TerraformRunner {
    pub fn new(
        root: PathBuf,
        assets: Assets,
        configured: Option<PathBuf>,
        secrets: Secrets,
        redactor: Redactor,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            root,
            assets,
            configured,
            path_var: std::env::var_os("PATH"),
            secrets,
            redactor,
            clock,
            grace: None,
            cli: tokio::sync::Mutex::new(None),
            replay: None,
        }
    }

    /// Replay recorded outputs instead of running Terraform (the test seam, [`replay`]).
    pub fn with_replay(self, replay: Option<replay::Replay>) -> Self {
        Self { replay, ..self }
    }

    /// SIGINT-to-SIGKILL grace for interrupted runs (Terraform's default is generous).
    pub fn with_grace_period(self, grace: Duration) -> Self {
        Self {
            grace: Some(grace),
            ..self
        }
    }

    pub fn workspace(&self, module: &str) -> PathBuf {
        self.root.join(module)
    }

    pub fn ledger_path(&self) -> PathBuf {
        ledger::file_in(&self.root)
    }

    /// The located, version-checked CLI, set up to share providers and redact every message.
    pub async fn cli(&self) -> Result<TerraformCli, TerraformStepError> {
        let mut cached = self.cli.lock().await;
        if let Some(cli) = cached.as_ref() {
            return Ok(cli.clone());
        }
        let mut cli = TerraformCli::locate(self.configured.as_deref(), self.path_var.as_deref())?;
        cli.check_version().await?;
        let cache = self.root.join(PLUGIN_CACHE_DIR);
        std::fs::create_dir_all(&cache).map_err(|source| TerraformStepError::CreateDir {
            path: cache.clone(),
            source,
        })?;
        let redactor = self.redactor.clone();
        let mut cli = cli
            .with_plugin_cache(cache)
            .with_text_filter(Arc::new(move |t: &str| redactor.redact(t)));
        if let Some(grace) = self.grace {
            cli = cli.with_grace_period(grace);
        }
        *cached = Some(cli.clone());
        Ok(cli)
    }

    pub async fn execute(
        &self,
        run: &StepRun,
        step: &TerraformStep,
        log: &LogSink,
        cancel: CancellationToken,
    ) -> StepOutcome {
        match self.try_execute(run, step, log, cancel).await {
            Ok(outcome) => outcome,
            Err(e) => StepOutcome::Failed {
                message: self.redactor.redact(&e.to_string()),
                exit_code: None,
            },
        }
    }

    async fn try_execute(
        &self,
        run: &StepRun,
        step: &TerraformStep,
        log: &LogSink,
        parent: CancellationToken,
    ) -> Result<StepOutcome, TerraformStepError> {
        let module = step.module.as_str();
        if let Some(replay) = &self.replay {
            return self.replayed(replay, run, step, log);
        }
        let cli = self.cli().await?;
        let dir = self.workspace(module);
        let files = self.assets.module_files(module)?;
        let placed = materialise(&dir, files.iter().map(|(p, c)| (p.as_str(), c.as_slice())))
            .map_err(|source| TerraformStepError::Workspace {
                module: module.to_string(),
                source,
            })?;
        if placed.changed() && dir.join("terraform.tfstate").is_file() {
            log.send(
                LogStream::Guide,
                &format!(
                    "Module `{module}` changed ({}); re-initialising, the state is kept",
                    placed.written.join(", ")
                ),
            );
        }
        let (vars, recorded_vars) = self.render_vars(run, step, log)?;
        let (cancel, stop_timer) = with_timeout(parent.clone(), run.timeout);
        let ran = async {
            if placed.needs_init {
                log.send(
                    LogStream::Guide,
                    &format!("$ terraform init  (module {module})"),
                );
                match self
                    .run(&cli, Action::Init, &dir, &[], log, &cancel)
                    .await?
                {
                    Ran::Finished(r) if r.succeeded() => {
                        mark_initialised(&dir).map_err(|source| TerraformStepError::Workspace {
                            module: module.to_string(),
                            source,
                        })?;
                    }
                    Ran::Finished(r) => {
                        return Ok(Err(describe_failure(module, "init", &r)));
                    }
                    Ran::Interrupted => return Ok(Ok(Ran::Interrupted)),
                }
            }
            let waits = self.take_lock_wait(module);
            let cli = if waits {
                log.send(
                    LogStream::Guide,
                    &format!(
                        "Waiting up to {} for the state lock of module `{module}`",
                        short_duration(Duration::from_secs(u64::from(LOCK_WAIT_SECS)))
                    ),
                );
                cli.clone().with_lock_timeout(LOCK_WAIT_SECS)
            } else {
                cli.clone()
            };
            let action = match step.action {
                TerraformAction::Apply => Action::Apply,
                TerraformAction::Destroy => Action::Destroy,
                TerraformAction::Plan => Action::Plan,
            };
            log.send(
                LogStream::Guide,
                &format!("$ terraform {}  (module {module})", step.action.name()),
            );
            self.run(&cli, action, &dir, &vars, log, &cancel)
                .await
                .map(Ok)
        }
        .await;
        stop_timer.cancel();
        let result = match ran? {
            Err(message) => {
                return Ok(StepOutcome::Failed {
                    message,
                    exit_code: None,
                });
            }
            Ok(Ran::Interrupted) => {
                let reason = if parent.is_cancelled() {
                    "cancelled by you".to_string()
                } else {
                    format!(
                        "timed out after {}",
                        short_duration(run.timeout.unwrap_or_default())
                    )
                };
                log.send(
                    LogStream::Guide,
                    &format!("Terraform stopped ({reason}); the state is kept and a new run continues from it"),
                );
                return Ok(StepOutcome::Interrupted { reason });
            }
            Ok(Ran::Finished(result)) => result,
        };
        if !result.succeeded() {
            if result.progress.lock.is_some() {
                self.remember_lock_wait(module);
            }
            return Ok(StepOutcome::Failed {
                message: describe_failure(module, step.action.name(), &result),
                exit_code: result.exit_code,
            });
        }
        match step.action {
            TerraformAction::Plan => Ok(StepOutcome::Succeeded {
                outputs: BTreeMap::new(),
            }),
            TerraformAction::Destroy => {
                // Proof, not trust: the state must be empty before the ledger forgets it.
                let left = cli.state_list(&dir).await?;
                if !left.is_empty() {
                    return Ok(StepOutcome::Failed {
                        message: format!(
                            "terraform destroy of module `{module}` finished but {} resource(s) remain in its state: {}",
                            left.len(),
                            left.join(", ")
                        ),
                        exit_code: None,
                    });
                }
                ledger::update(&self.ledger_path(), |l| l.record_destroyed(module))?;
                Ok(StepOutcome::Succeeded {
                    outputs: BTreeMap::new(),
                })
            }
            TerraformAction::Apply => {
                let all = match outputs::from_stream(&run.outputs, step, &result.progress) {
                    Some(streamed) => streamed,
                    None => cli.outputs(&dir).await?,
                };
                let shown = outputs::collect(module, &run.outputs, step, &all, &self.secrets)?;
                let applied = AppliedModule {
                    module: module.to_string(),
                    lesson: run.lesson.clone(),
                    step: run.step.clone(),
                    workspace: dir.clone(),
                    at_ms: self.clock.wall_ms(),
                    owner: ledger::owner(),
                    resources: changes(&result),
                    outputs: shown.clone(),
                    secret_outputs: step.secret_outputs.clone(),
                    vars: recorded_vars,
                };
                ledger::update(&self.ledger_path(), |l| l.record_apply(applied))?;
                Ok(StepOutcome::Succeeded { outputs: shown })
            }
        }
    }

    /// The test seam's stand-in for a run: everything but Terraform itself.
    fn replayed(
        &self,
        replay: &replay::Replay,
        run: &StepRun,
        step: &TerraformStep,
        log: &LogSink,
    ) -> Result<StepOutcome, TerraformStepError> {
        let module = step.module.as_str();
        let (_, recorded_vars) = self.render_vars(run, step, log)?;
        log.send(
            LogStream::Guide,
            &format!(
                "test seam: replaying the recorded `terraform {}` of module `{module}` from {} (Terraform does not run)",
                step.action.name(),
                replay.dir().display()
            ),
        );
        // The progress view reads Terraform's own summary; give it the replay's.
        let operation = match step.action {
            TerraformAction::Apply => "apply",
            TerraformAction::Destroy => "destroy",
            TerraformAction::Plan => "plan",
        };
        log.progress(crate::backend::terraform::ui::parse_line(&format!(
            r#"{{"@level":"info","@message":"Replayed {operation} of module {module}.","type":"change_summary","changes":{{"add":0,"change":0,"import":0,"remove":0,"operation":"{operation}"}}}}"#
        )));
        match step.action {
            TerraformAction::Plan => Ok(StepOutcome::Succeeded {
                outputs: BTreeMap::new(),
            }),
            TerraformAction::Destroy => {
                ledger::update(&self.ledger_path(), |l| l.record_destroyed(module))?;
                Ok(StepOutcome::Succeeded {
                    outputs: BTreeMap::new(),
                })
            }
            TerraformAction::Apply => {
                let all = replay.outputs(module).map_err(TerraformStepError::Replay)?;
                let shown = outputs::collect(module, &run.outputs, step, &all, &self.secrets)?;
                let applied = AppliedModule {
                    module: module.to_string(),
                    lesson: run.lesson.clone(),
                    step: run.step.clone(),
                    workspace: self.workspace(module),
                    at_ms: self.clock.wall_ms(),
                    owner: ledger::owner(),
                    resources: Vec::new(),
                    outputs: shown.clone(),
                    secret_outputs: step.secret_outputs.clone(),
                    vars: recorded_vars,
                };
                ledger::update(&self.ledger_path(), |l| l.record_apply(applied))?;
                Ok(StepOutcome::Succeeded { outputs: shown })
            }
        }
    }

    /// All outputs of a module: from its state, or from the recording under the test seam.
    async fn module_outputs(
        &self,
        module: &str,
        workspace: &Path,
    ) -> Result<BTreeMap<String, OutputValue>, String> {
        if let Some(replay) = &self.replay {
            return replay.outputs(module);
        }
        let cli = self.cli().await.map_err(|e| e.to_string())?;
        cli.outputs(workspace).await.map_err(|e| e.to_string())
    }

    /// Runs one command, logging each message as a line and reporting it as typed progress.
    async fn run(
        &self,
        cli: &TerraformCli,
        action: Action,
        dir: &Path,
        vars: &[(String, String)],
        log: &LogSink,
        cancel: &CancellationToken,
    ) -> Result<Ran, TerraformStepError> {
        let mut on_message = |m: &UiMessage| {
            if shows_as_line(m) {
                log.send(LogStream::Stdout, &m.text());
            }
            log.progress(m.clone());
        };
        let result = cli
            .run(action, dir, vars, &mut on_message, cancel.clone())
            .await?;
        Ok(if result.interrupted {
            Ran::Interrupted
        } else {
            Ran::Finished(Box::new(result))
        })
    }

    /// Renders the variables; a secret a var uses is taught to the redactor. Returns the values
    /// for Terraform and what the ledger may keep (templates instead of secret values).
    fn render_vars(
        &self,
        run: &StepRun,
        step: &TerraformStep,
        log: &LogSink,
    ) -> Result<RenderedVars, TerraformStepError> {
        let values = run.values.as_ref();
        let mut vars = Vec::with_capacity(step.vars.len());
        let mut recorded = BTreeMap::new();
        for (name, template) in &step.vars {
            let value = template
                .render(values)
                .map_err(|source| TerraformStepError::Var {
                    module: step.module.clone(),
                    name: name.clone(),
                    source,
                })?;
            template.teach_secrets(values, log.redactor());
            let entry = if template.has_secret() {
                VarEntry::Template {
                    template: template.raw().to_string(),
                }
            } else {
                VarEntry::Value {
                    value: value.clone(),
                }
            };
            recorded.insert(name.clone(), entry);
            vars.push((name.clone(), value));
        }
        Ok((vars, recorded))
    }

    /// Whether the last run of `module` met a held lock (so this one should wait for it);
    /// forgets it. Kept as a file so a retry from a new process (`run` again) waits too.
    fn take_lock_wait(&self, module: &str) -> bool {
        std::fs::remove_file(self.workspace(module).join(LOCK_WAIT_MARKER)).is_ok()
    }

    fn remember_lock_wait(&self, module: &str) {
        let marker = self.workspace(module).join(LOCK_WAIT_MARKER);
        if let Err(e) = std::fs::write(&marker, b"") {
            tracing::warn!(path = %marker.display(), error = %e, "could not remember to wait for the lock");
        }
    }

    /// Release a lock whose holder is gone (the participant confirmed first).
    pub async fn force_unlock(&self, module: &str, lock_id: &str) -> Result<(), String> {
        let cli = self.cli().await.map_err(|e| e.to_string())?;
        cli.force_unlock(&self.workspace(module), lock_id)
            .await
            .map_err(|e| self.redactor.redact(&e.to_string()))?;
        self.take_lock_wait(module);
        Ok(())
    }

    /// Sensitive outputs recorded in the ledger whose secrets this process does not know yet
    /// (a restart): read them back from each module's state.
    pub async fn restore_secrets(&self, wanted: &BTreeSet<String>) {
        let missing: BTreeSet<&String> = wanted
            .iter()
            .filter(|s| !self.secrets.contains(s))
            .collect();
        if missing.is_empty() {
            return;
        }
        let Ok(ledger) = ledger::Ledger::load(&self.ledger_path()) else {
            return;
        };
        for entry in &ledger.modules {
            let needed: Vec<(&String, &String)> = entry
                .secret_outputs
                .iter()
                .filter(|(_, secret)| missing.contains(secret))
                .collect();
            if needed.is_empty() {
                continue;
            }
            match self.module_outputs(&entry.module, &entry.workspace).await {
                Ok(all) => {
                    for (output, secret) in needed {
                        if let Some(v) = all.get(output) {
                            self.secrets.insert(secret, &v.as_text());
                        }
                    }
                }
                Err(e) => tracing::warn!(
                    module = %entry.module,
                    error = %self.redactor.redact(&e),
                    "could not read saved outputs back from terraform state"
                ),
            }
        }
    }

    /// The `terraform_output` check: read one output from a module's state, no plan.
    pub async fn probe_output(&self, check: &TerraformOutputCheck) -> Observation {
        let dir = self.workspace(&check.module);
        if self.replay.is_none() && !dir.join("terraform.tfstate").is_file() {
            return Observation::new(
                Verdict::Fail,
                format!(
                    "module `{}` has not been applied yet (no state)",
                    check.module
                ),
            );
        }
        let all = match self.module_outputs(&check.module, &dir).await {
            Ok(all) => all,
            Err(e) => return Observation::new(Verdict::Fail, self.redactor.redact(&e)),
        };
        observe_output(check, all.get(&check.output), &self.redactor)
    }
}

fn observe_output(
    check: &TerraformOutputCheck,
    value: Option<&OutputValue>,
    redactor: &Redactor,
) -> Observation {
    let Some(value) = value else {
        return Observation::new(
            Verdict::Fail,
            format!("module `{}` has no output `{}`", check.module, check.output),
        );
    };
    let text = value.as_text();
    let shown = if value.sensitive {
        format!(
            "{} is set (sensitive, {} characters)",
            check.output,
            text.chars().count()
        )
    } else {
        format!("{} = {}", check.output, redactor.redact(&text))
    };
    match &check.matches {
        None => Observation::new(Verdict::Pass, shown),
        Some(pattern) => match regex::Regex::new(pattern) {
            Ok(re) if re.is_match(&text) => Observation::new(Verdict::Pass, shown),
            Ok(_) => Observation::new(
                Verdict::Fail,
                format!("{shown}, which does not match /{pattern}/"),
            ),
            Err(e) => Observation::new(Verdict::Fail, format!("invalid pattern /{pattern}/: {e}")),
        },
    }
}

/// Lines worth reading in the log (progress every 10 s is, outputs' count is not).
fn shows_as_line(m: &UiMessage) -> bool {
    !matches!(m, UiMessage::Outputs(_) | UiMessage::PlannedChange(_))
}

/// What the ledger learns from a run: every resource that finished, with its action and id.
fn changes(result: &RunResult) -> Vec<ResourceChange> {
    use crate::backend::terraform::progress::ResourceState;
    result
        .progress
        .order
        .iter()
        .filter_map(|addr| result.progress.resources.get(addr))
        .filter(|r| r.state == ResourceState::Done)
        .map(|r| ResourceChange {
            addr: r.addr.clone(),
            action: r.action.clone(),
            id: r.id.clone(),
        })
        .collect()
}

/// A child token cancelled by the parent or when `timeout` passes; the second token stops the
/// timer when the run ends first.
fn with_timeout(
    parent: CancellationToken,
    timeout: Option<Duration>,
) -> (CancellationToken, CancellationToken) {
    let child = parent.child_token();
    let stop = CancellationToken::new();
    if let Some(t) = timeout {
        let (fire, stop_wait) = (child.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(t) => fire.cancel(),
                () = stop_wait.cancelled() => {}
            }
        });
    }
    (child, stop)
}
