//! Running the `terraform` binary: locating it, checking its version, and `init`, `apply`,
//! `destroy` and `output -json` in a module's workspace, with the `-json` stream parsed as it
//! arrives.
//!
//! Non-interactive always (`TF_IN_AUTOMATION`, `TF_INPUT=0`, `-input=false`); values go in as
//! `TF_VAR_*` environment variables only, never on the command line. Ctrl-C is forwarded once
//! as SIGINT so Terraform can stop gracefully and release its state lock; it is killed only
//! after a grace period.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use super::output::{OutputError, OutputValue, VersionInfo, parse_outputs};
use super::progress::ApplyProgress;
use super::ui::{UiMessage, parse_line};

/// Terraform asks for patience after SIGINT; this is how much it gets before SIGKILL.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
/// How long an apply waits for a state lock another process holds before giving up, unless the
/// caller asks to wait ([`TerraformCli::with_lock_timeout`]).
pub const LOCK_TIMEOUT_SECS: u32 = 0;

/// An empty CLI config written into a workspace when the participant has none.
const EMPTY_CLI_CONFIG: &str = ".cdc-workshop.tfrc";

/// Variables that would change what Terraform does behind the guide's back.
const CLEARED_ENV: &[&str] = &[
    "TF_LOG",
    "TF_LOG_CORE",
    "TF_LOG_PATH",
    "TF_LOG_PROVIDER",
    "TF_CLI_ARGS",
    "TF_WORKSPACE",
    "TF_INPUT",
];

#[derive(Debug, Error)]
pub enum TerraformError {
    #[error(
        "terraform is not installed or not on PATH (looked in: {searched}); install Terraform 1.4 or newer from https://developer.hashicorp.com/terraform/install, or set its path in the config file"
    )]
    NotFound { searched: String },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed while running: {source}")]
    Wait {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` exited with {code}: {detail}")]
    Failed {
        command: String,
        code: i32,
        detail: String,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What to run in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Init,
    Plan,
    Apply,
    Destroy,
}

impl Action {
    fn args(self, json_init: bool, lock_timeout_secs: u32) -> Vec<String> {
        let mut args: Vec<String> = match self {
            Action::Init => vec!["init".into(), "-input=false".into(), "-no-color".into()],
            Action::Plan => vec!["plan".into(), "-json".into(), "-input=false".into()],
            Action::Apply => vec![
                "apply".into(),
                "-json".into(),
                "-input=false".into(),
                "-auto-approve".into(),
            ],
            Action::Destroy => vec![
                "destroy".into(),
                "-json".into(),
                "-input=false".into(),
                "-auto-approve".into(),
            ],
        };
        match self {
            Action::Init if json_init => args.push("-json".into()),
            Action::Plan | Action::Apply | Action::Destroy => {
                args.push(format!("-lock-timeout={lock_timeout_secs}s"))
            }
            Action::Init => {}
        }
        args
    }
}

/// How a run ended, with everything its stream said.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub exit_code: Option<i32>,
    pub progress: ApplyProgress,
    /// Stopped by the caller (SIGINT sent); the state stays as Terraform left it.
    pub interrupted: bool,
    pub killed: bool,
}

impl RunResult {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.interrupted
    }
}

/// Rewrites a message's text before anyone sees it (the app redacts secrets with it).
pub type TextFilter = Arc<dyn Fn(&str) -> String + Send + Sync>;

#[derive(Clone)]
pub struct TerraformCli {
    binary: PathBuf,
    grace: Duration,
    version: Option<VersionInfo>,
    plugin_cache: Option<PathBuf>,
    lock_timeout_secs: u32,
    filter: Option<TextFilter>,
}

impl std::fmt::Debug for TerraformCli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerraformCli")
            .field("binary", &self.binary)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl TerraformCli {
    /// The configured binary, or `terraform` found on `path_var` (the value of `PATH`).
    pub fn locate(
        configured: Option<&Path>,
        path_var: Option<&OsStr>,
    ) -> Result<Self, TerraformError> {
        if let Some(bin) = configured {
            if bin.is_file() {
                return Ok(Self::at(bin.to_path_buf()));
            }
            return Err(TerraformError::NotFound {
                searched: bin.display().to_string(),
            });
        }
        let dirs: Vec<PathBuf> = path_var
            .map(|p| std::env::split_paths(p).collect())
            .unwrap_or_default();
        dirs.iter()
            .map(|d| d.join("terraform"))
            .find(|candidate| candidate.is_file())
            .map(Self::at)
            .ok_or_else(|| TerraformError::NotFound {
                searched: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":"),
            })
    }

    pub fn at(binary: PathBuf) -> Self {
        Self {
            binary,
            grace: DEFAULT_GRACE_PERIOD,
            version: None,
            plugin_cache: None,
            lock_timeout_secs: LOCK_TIMEOUT_SECS,
            filter: None,
        }
    }

    /// Pass every message's text through `filter` as it is parsed, before the progress fold,
    /// the caller's callback or any error message sees it.
    pub fn with_text_filter(self, filter: TextFilter) -> Self {
        Self {
            filter: Some(filter),
            ..self
        }
    }

    pub fn with_grace_period(self, grace: Duration) -> Self {
        Self { grace, ..self }
    }

    /// Share downloaded providers between module workspaces (`TF_PLUGIN_CACHE_DIR`); the
    /// directory must exist, Terraform will not create it.
    pub fn with_plugin_cache(self, dir: PathBuf) -> Self {
        Self {
            plugin_cache: Some(dir),
            ..self
        }
    }

    /// Wait up to this long for a state lock another process holds (`-lock-timeout`).
    pub fn with_lock_timeout(self, secs: u32) -> Self {
        Self {
            lock_timeout_secs: secs,
            ..self
        }
    }

    pub fn version(&self) -> Option<&VersionInfo> {
        self.version.as_ref()
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    fn command(&self, dir: &Path, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .current_dir(dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: a Ctrl-C in the terminal reaches only the guide, which
            // forwards exactly one SIGINT. Two would make Terraform exit without cleaning up.
            .process_group(0);
        for name in CLEARED_ENV {
            cmd.env_remove(name);
        }
        if let Some(cache) = &self.plugin_cache {
            cmd.env("TF_PLUGIN_CACHE_DIR", cache);
        }
        // Without a CLI config Terraform warns on every command; an empty file (it refuses
        // /dev/null) says the same quietly. A participant's own config is left alone.
        let configured = std::env::var_os("TF_CLI_CONFIG_FILE").map(PathBuf::from);
        let would_read = configured
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".terraformrc")));
        if !would_read.is_some_and(|rc| rc.exists()) {
            let empty = dir.join(EMPTY_CLI_CONFIG);
            if empty.exists() || std::fs::write(&empty, b"").is_ok() {
                cmd.env("TF_CLI_CONFIG_FILE", empty);
            }
        }
        cmd
    }

    fn shown(&self, args: &[String]) -> String {
        format!("terraform {}", args.join(" "))
    }

    /// Run a short command in `dir` and capture its output (version, output).
    async fn capture(
        &self,
        dir: &Path,
        args: &[String],
    ) -> Result<std::process::Output, TerraformError> {
        self.command(dir, args)
            .output()
            .await
            .map_err(|source| TerraformError::Spawn {
                command: self.shown(args),
                source,
            })
    }

    /// `terraform version -json`, checked against the minimum version; remembered afterwards.
    pub async fn check_version(&mut self) -> Result<VersionInfo, TerraformError> {
        let args = vec!["version".to_string(), "-json".to_string()];
        let out = self.capture(&std::env::temp_dir(), &args).await?;
        let info = VersionInfo::parse(&String::from_utf8_lossy(&out.stdout))?;
        info.check()?;
        self.version = Some(info.clone());
        Ok(info)
    }

    /// Run `action` in `dir` with `vars` as `TF_VAR_<name>`, reporting each message as it comes.
    pub async fn run(
        &self,
        action: Action,
        dir: &Path,
        vars: &[(String, String)],
        on_message: &mut (dyn FnMut(&UiMessage) + Send),
        cancel: CancellationToken,
    ) -> Result<RunResult, TerraformError> {
        // `init -json` exists from 1.9; older versions print text, which is kept as text lines.
        let json_init = self
            .version
            .as_ref()
            .and_then(|v| v.numbers().ok())
            .is_some_and(|v| v >= (1, 9, 0));
        let args = action.args(json_init, self.lock_timeout_secs);
        let shown = self.shown(&args);
        let mut cmd = self.command(dir, &args);
        for (name, value) in vars {
            cmd.env(format!("TF_VAR_{name}"), value);
        }
        let mut child = cmd.spawn().map_err(|source| TerraformError::Spawn {
            command: shown.clone(),
            source,
        })?;

        let (tx, mut rx) = tokio::sync::mpsc::channel::<UiMessage>(256);
        let readers = [
            child
                .stdout
                .take()
                .map(|out| tokio::spawn(read_lines(out, tx.clone(), parse_line))),
            child.stderr.take().map(|err| {
                tokio::spawn(read_lines(err, tx.clone(), |l| {
                    UiMessage::Text(l.to_string())
                }))
            }),
        ];
        drop(tx);

        let mut progress = ApplyProgress::default();
        let mut interrupted = false;
        let mut killed = false;
        let mut interrupt_deadline: Option<tokio::time::Instant> = None;
        let status = loop {
            let grace_over = async {
                match interrupt_deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = rx.recv() => match message {
                    Some(mut m) => {
                        if let Some(filter) = &self.filter {
                            m.map_text(filter.as_ref());
                        }
                        progress.apply(&m);
                        on_message(&m);
                    }
                    // Both pipes closed: the process is ending; wait for it below.
                    None => break wait(&mut child, &shown).await?,
                },
                () = cancel.cancelled(), if !interrupted => {
                    interrupted = true;
                    send(&child, Signal::SIGINT);
                    interrupt_deadline = Some(tokio::time::Instant::now() + self.grace);
                }
                () = grace_over => {
                    killed = true;
                    send(&child, Signal::SIGKILL);
                    interrupt_deadline = None;
                }
            }
        };
        for reader in readers.into_iter().flatten() {
            let _ = reader.await;
        }
        Ok(RunResult {
            exit_code: status.code(),
            progress,
            interrupted,
            killed,
        })
    }

    /// `terraform state list`: the addresses still in the state (empty after a full destroy).
    pub async fn state_list(&self, dir: &Path) -> Result<Vec<String>, TerraformError> {
        let args = vec!["state".to_string(), "list".to_string()];
        let out = self.capture(dir, &args).await?;
        if !out.status.success() {
            let detail = String::from_utf8_lossy(&out.stderr).trim().to_string();
            // A workspace that never applied has no state at all: nothing is left.
            if detail.contains("No state file was found") {
                return Ok(Vec::new());
            }
            return Err(TerraformError::Failed {
                command: self.shown(&args),
                code: out.status.code().unwrap_or(-1),
                detail,
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// `terraform force-unlock -force ID`: release a lock whose holder is gone.
    pub async fn force_unlock(&self, dir: &Path, lock_id: &str) -> Result<(), TerraformError> {
        let args = vec![
            "force-unlock".to_string(),
            "-force".to_string(),
            lock_id.to_string(),
        ];
        let out = self.capture(dir, &args).await?;
        if out.status.success() {
            Ok(())
        } else {
            Err(TerraformError::Failed {
                command: self.shown(&args),
                code: out.status.code().unwrap_or(-1),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// `terraform output -json`: the only place sensitive values come from.
    pub async fn outputs(
        &self,
        dir: &Path,
    ) -> Result<std::collections::BTreeMap<String, OutputValue>, TerraformError> {
        let args = vec!["output".to_string(), "-json".to_string()];
        let out = self.capture(dir, &args).await?;
        if !out.status.success() {
            return Err(TerraformError::Failed {
                command: self.shown(&args),
                code: out.status.code().unwrap_or(-1),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(parse_outputs(&String::from_utf8_lossy(&out.stdout))?)
    }
}

async fn wait(child: &mut Child, shown: &str) -> Result<std::process::ExitStatus, TerraformError> {
    child.wait().await.map_err(|source| TerraformError::Wait {
        command: shown.to_string(),
        source,
    })
}

/// Signal Terraform itself (not its group): it relays the stop to providers and provisioners.
fn send(child: &Child, signal: Signal) {
    if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok())
        && let Err(e) = kill(Pid::from_raw(pid), signal)
    {
        tracing::warn!(%signal, error = %e, "could not signal terraform");
    }
}

async fn read_lines<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    tx: tokio::sync::mpsc::Sender<UiMessage>,
    parse: fn(&str) -> UiMessage,
) {
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        if tx.send(parse(&line)).await.is_err() {
            break;
        }
    }
}
