//! [`ProcessExecutor`]: runs steps as child processes (and confirms manual ones).
//!
//! A shell step runs as `sh -c <command>` in its own process group, so an interrupt reaches the
//! programs the script started, not just the shell. No stdin (a prompt would hang forever);
//! stdout and stderr are read concurrently so neither pipe fills up and stalls the child.

mod outputs;
mod pump;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use thiserror::Error;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::human::short_duration;
use super::outcome::{LogStream, StepOutcome};
use super::{LogSink, StepExecutor, StepRun};
use crate::lesson::template::{Template, TemplateRenderError};
use crate::lesson::{ShellStep, StepKind};

pub use outputs::parse as parse_outputs;
pub use pump::MAX_LINE_BYTES;

/// How long an interrupted step gets between SIGINT and SIGKILL: enough for terraform to
/// release its state lock, short enough that "stop" still feels like stop.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);

/// The variable naming the file a step writes its `name=value` outputs into.
pub const OUTPUT_ENV: &str = "CDC_WORKSHOP_OUTPUT";
/// The guide's own executable, for commands that call it (the teardown lesson).
pub const GUIDE_EXE_ENV: &str = "CDC_WORKSHOP_EXE";

/// How long to keep reading output after the shell exited. A background process the script
/// left running may hold the pipes open forever; we stop listening rather than wait for it.
pub const OUTPUT_DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a shell step failed. Every message names the (displayed, secret-free) command.
#[derive(Debug, Error)]
pub enum ShellError {
    #[error("cannot run `{command}`: {source}")]
    Render {
        command: String,
        source: TemplateRenderError,
    },
    #[error(
        "`{command}` puts {{{{ secrets.{name} }}}} in its {place}, where other programs can read it: pass it through the step's `env` table and use the variable instead"
    )]
    SecretOutsideEnv {
        command: String,
        name: String,
        place: &'static str,
    },
    #[error("cannot run `{command}`: environment variable {name}: {source}")]
    EnvRender {
        command: String,
        name: String,
        source: TemplateRenderError,
    },
    #[error(
        "cannot create the working directory {} for `{command}`: {source}; check that its parent exists and is writable",
        path.display()
    )]
    WorkDir {
        command: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot create the output file in {} for `{command}`: {source}; check that the directory is writable",
        dir.display()
    )]
    OutputFile {
        command: String,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start `{command}`: {source}; check that `sh` is installed and on PATH")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("lost track of `{command}` while it ran: {source}")]
    Wait {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` exited with code {code}{detail}")]
    Exit {
        command: String,
        code: i32,
        detail: String,
    },
    #[error("`{command}` was killed by signal {signal} ({}){detail}", signal_name(*signal))]
    Killed {
        command: String,
        signal: i32,
        detail: String,
    },
    #[error(
        "cannot read the outputs of `{command}` from {}: {source}",
        path.display()
    )]
    ReadOutputs {
        command: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{command}` finished but did not provide output `{name}`: the step must write `{name}=<value>` to the file named by ${OUTPUT_ENV}, e.g. echo \"{name}=...\" >> \"${OUTPUT_ENV}\""
    )]
    MissingOutput { command: String, name: String },
    #[error(
        "`{command}` wrote a secret into output `{name}`: outputs are shown and saved, so keep secrets in the credential store and refer to them as {{{{ secrets.NAME }}}}"
    )]
    SecretOutput { command: String, name: String },
}

impl ShellError {
    fn exit_code(&self) -> Option<i32> {
        match self {
            ShellError::Exit { code, .. } => Some(*code),
            ShellError::MissingOutput { .. } | ShellError::SecretOutput { .. } => Some(0),
            _ => None,
        }
    }
}

/// Runs steps as processes. One executor serves every step of a session.
#[derive(Debug, Clone)]
pub struct ProcessExecutor {
    grace_period: Duration,
    /// What a command needs to call the guide itself (`"$CDC_WORKSHOP_EXE" teardown --yes`)
    /// with the same course, assets and config: the executable and the folders in use.
    guide_env: Vec<(&'static str, std::ffi::OsString)>,
}

impl Default for ProcessExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessExecutor {
    pub fn new() -> Self {
        Self {
            grace_period: DEFAULT_GRACE_PERIOD,
            guide_env: Vec::new(),
        }
    }

    /// Time between SIGINT and SIGKILL when a step is interrupted.
    pub fn with_grace_period(self, grace_period: Duration) -> Self {
        Self {
            grace_period,
            ..self
        }
    }

    /// Environment every command gets so it can run the guide again (see `GUIDE_EXE_ENV`).
    pub fn with_guide_env(self, guide_env: Vec<(&'static str, std::ffi::OsString)>) -> Self {
        Self { guide_env, ..self }
    }

    pub fn grace_period(&self) -> Duration {
        self.grace_period
    }
}

impl StepExecutor for ProcessExecutor {
    fn execute<'a>(
        &'a self,
        run: &'a StepRun,
        log: LogSink,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, StepOutcome> {
        async move {
            // One arm per step kind; later kinds (terraform, confluent, sql…) slot in here.
            match &run.kind {
                StepKind::Shell(step) => self.shell(run, step, &log, cancel).await,
                // The participant confirmed before we were called; there is nothing to run.
                StepKind::Manual(_) => StepOutcome::Succeeded {
                    outputs: BTreeMap::new(),
                },
                // The dispatcher sends terraform steps to their own runner; reaching here means
                // the executor was wired without one.
                StepKind::Terraform(_)
                | StepKind::FlinkSql(_)
                | StepKind::Confluent(_)
                | StepKind::Sql(_) => StepOutcome::Failed {
                    message: format!("this executor does not run {} steps", run.kind.name()),
                    exit_code: None,
                },
            }
        }
        .boxed()
    }
}

/// How the child's run ended, before outputs are looked at.
enum Ending {
    Exited(ExitStatus),
    Interrupted(String),
}

/// How a shell step ended when nothing went wrong.
enum Finished {
    Outputs(BTreeMap<String, String>),
    Interrupted(String),
}

/// A shell step with every template rendered and its directories in place.
struct Prepared {
    command: String,
    env: Vec<(String, String)>,
    cwd: PathBuf,
}

impl ProcessExecutor {
    async fn shell(
        &self,
        run: &StepRun,
        step: &ShellStep,
        log: &LogSink,
        cancel: CancellationToken,
    ) -> StepOutcome {
        match self.try_shell(run, step, log, cancel).await {
            Ok(Finished::Outputs(outputs)) => StepOutcome::Succeeded { outputs },
            Ok(Finished::Interrupted(reason)) => StepOutcome::Interrupted { reason },
            Err(e) => StepOutcome::Failed {
                message: log.redactor().redact(&e.to_string()),
                exit_code: e.exit_code(),
            },
        }
    }

    async fn try_shell(
        &self,
        run: &StepRun,
        step: &ShellStep,
        log: &LogSink,
        cancel: CancellationToken,
    ) -> Result<Finished, ShellError> {
        let shown = step.command.display(run.values.as_ref());
        let prepared = prepare(run, step, &shown, log).await?;
        let output_file = outputs::OutputFile::create(&run.work_dir, &run.step)
            .await
            .map_err(|source| ShellError::OutputFile {
                command: shown.clone(),
                dir: run.work_dir.clone(),
                source,
            })?;

        log.send(LogStream::Guide, &format!("$ {shown}"));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&prepared.command)
            .current_dir(&prepared.cwd)
            .envs(self.guide_env.iter().map(|(k, v)| (*k, v)))
            .envs(prepared.env)
            .env(OUTPUT_ENV, output_file.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .map_err(|source| ShellError::Spawn {
                command: shown.clone(),
                source,
            })?;

        let stdout = child
            .stdout
            .take()
            .map(|out| tokio::spawn(pump::pump(out, LogStream::Stdout, log.clone())));
        let stderr = child
            .stderr
            .take()
            .map(|err| tokio::spawn(pump::pump(err, LogStream::Stderr, log.clone())));
        let ending = self
            .supervise(&mut child, run.timeout, cancel, log, &shown)
            .await
            .map_err(|source| ShellError::Wait {
                command: shown.clone(),
                source,
            })?;
        let last_stderr = drain(stdout, stderr, log).await;

        match ending {
            Ending::Interrupted(reason) => Ok(Finished::Interrupted(reason)),
            Ending::Exited(status) => {
                check_exit(status, &shown, last_stderr)?;
                collect_outputs(run, &output_file, &shown, log)
                    .await
                    .map(Finished::Outputs)
            }
        }
    }

    /// Waits for the child, interrupting it on timeout or cancel: SIGINT to its process group,
    /// then SIGKILL after the grace period.
    async fn supervise(
        &self,
        child: &mut Child,
        timeout: Option<Duration>,
        cancel: CancellationToken,
        log: &LogSink,
        shown: &str,
    ) -> std::io::Result<Ending> {
        // The child leads its own group (process_group(0)), so its pid is the group id. It
        // stays valid until we reap the child, and we only signal before that.
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        let timed_out = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        let reason = tokio::select! {
            status = child.wait() => return status.map(Ending::Exited),
            () = cancel.cancelled() => "cancelled by you".to_string(),
            () = timed_out => format!(
                "timed out after {}",
                short_duration(timeout.unwrap_or_default())
            ),
        };
        // It may have finished in the same instant; then its own result stands.
        if let Some(status) = child.try_wait()? {
            return Ok(Ending::Exited(status));
        }

        let grace = short_duration(self.grace_period);
        log.send(
            LogStream::Guide,
            &format!("Stopping `{shown}` ({reason}): sent SIGINT, waiting up to {grace}"),
        );
        signal(child, group, Signal::SIGINT);
        match tokio::time::timeout(self.grace_period, child.wait()).await {
            Ok(status) => {
                status?;
                log.send(LogStream::Guide, &format!("`{shown}` stopped ({reason})"));
            }
            Err(_) => {
                log.send(
                    LogStream::Guide,
                    &format!("`{shown}` still running after {grace}: sent SIGKILL"),
                );
                signal(child, group, Signal::SIGKILL);
                child.wait().await?;
            }
        }
        Ok(Ending::Interrupted(reason))
    }
}

/// Signals the whole group; falls back to the child alone if the group cannot be reached.
fn signal(child: &mut Child, group: Option<Pid>, sig: Signal) {
    let delivered = group.is_some_and(|pgid| killpg(pgid, sig).is_ok());
    if !delivered && sig == Signal::SIGKILL {
        // Nothing gentler exists at this point; tokio's kill sends SIGKILL to the child itself.
        let _ = child.start_kill();
    }
}

/// Renders the command, its environment and its directory, and creates the directories.
async fn prepare(
    run: &StepRun,
    step: &ShellStep,
    shown: &str,
    log: &LogSink,
) -> Result<Prepared, ShellError> {
    let values = run.values.as_ref();
    refuse_secret(&step.command, shown, "command")?;
    if let Some(cwd) = &step.cwd {
        refuse_secret(cwd, shown, "working directory")?;
    }
    let render_error = |source| ShellError::Render {
        command: shown.to_string(),
        source,
    };
    let command = step.command.render(values).map_err(render_error)?;
    let mut env = Vec::with_capacity(step.env.len());
    for (name, template) in &step.env {
        let value = template
            .render(values)
            .map_err(|source| ShellError::EnvRender {
                command: shown.to_string(),
                name: name.clone(),
                source,
            })?;
        template.teach_secrets(values, log.redactor());
        env.push((name.clone(), value));
    }
    let cwd = match &step.cwd {
        // `join` keeps an absolute cwd as it is and puts a relative one under the work dir.
        Some(t) => run.work_dir.join(t.render(values).map_err(render_error)?),
        None => run.work_dir.clone(),
    };
    for dir in [&run.work_dir, &cwd] {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| ShellError::WorkDir {
                command: shown.to_string(),
                path: dir.clone(),
                source,
            })?;
    }
    Ok(Prepared { command, env, cwd })
}

/// Waits for the output readers to reach end of file, but not forever: something the script
/// left running in the background may hold the pipes open. Returns the last stderr line.
async fn drain(
    stdout: Option<JoinHandle<Option<String>>>,
    stderr: Option<JoinHandle<Option<String>>>,
    log: &LogSink,
) -> Option<String> {
    let mut handles = [stdout, stderr];
    let drained = tokio::time::timeout(OUTPUT_DRAIN_TIMEOUT, async {
        let mut last = None;
        for handle in handles.iter_mut().flatten() {
            // Only stderr's last line is wanted; it is the second handle, so it wins.
            last = handle.await.ok().flatten();
        }
        last
    })
    .await;
    match drained {
        Ok(last) => last,
        Err(_) => {
            for handle in handles.into_iter().flatten() {
                handle.abort();
            }
            log.send(
                LogStream::Guide,
                "The step finished but something it started still holds its output open; \
                 no longer showing that output.",
            );
            None
        }
    }
}

/// A zero exit passes; anything else becomes an error naming the command and what it said last.
fn check_exit(
    status: ExitStatus,
    shown: &str,
    last_stderr: Option<String>,
) -> Result<(), ShellError> {
    let detail = last_stderr
        .map(|line| format!(": {}", line.trim()))
        .unwrap_or_default();
    let command = shown.to_string();
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(()),
        (_, Some(signal)) => Err(ShellError::Killed {
            command,
            signal,
            detail,
        }),
        // Unix reports either a code or a signal; -1 stands in if it ever reports neither.
        (code, None) => Err(ShellError::Exit {
            command,
            code: code.unwrap_or(-1),
            detail,
        }),
    }
}

/// The declared outputs, exactly: a missing one or one holding a secret is an error.
async fn collect_outputs(
    run: &StepRun,
    file: &outputs::OutputFile,
    shown: &str,
    log: &LogSink,
) -> Result<BTreeMap<String, String>, ShellError> {
    let text = tokio::fs::read_to_string(file.path())
        .await
        .map_err(|source| ShellError::ReadOutputs {
            command: shown.to_string(),
            path: file.path().to_path_buf(),
            source,
        })?;
    let mut written = outputs::parse(&text);
    let mut declared = BTreeMap::new();
    for name in &run.outputs {
        let Some(value) = written.remove(name) else {
            return Err(ShellError::MissingOutput {
                command: shown.to_string(),
                name: name.clone(),
            });
        };
        if log.redactor().redact(&value) != value {
            return Err(ShellError::SecretOutput {
                command: shown.to_string(),
                name: name.clone(),
            });
        }
        declared.insert(name.clone(), value);
    }
    Ok(declared)
}

fn signal_name(signal: i32) -> &'static str {
    Signal::try_from(signal).map_or("unknown signal", Signal::as_str)
}

fn refuse_secret(template: &Template, shown: &str, place: &'static str) -> Result<(), ShellError> {
    match template.secret_names().next() {
        Some(name) => Err(ShellError::SecretOutsideEnv {
            command: shown.to_string(),
            name: name.to_string(),
            place,
        }),
        None => Ok(()),
    }
}
