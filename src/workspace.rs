//! Everything a command needs before it can do anything: settings, the course, values, runs.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::aws::{AwsApi, AwsClient};
use crate::backend::confluent::ConfluentApi;
use crate::backend::confluent::client::ConfluentClient;
use crate::backend::sql::NativeSql;
use crate::runner::aws::AwsRunner;
use crate::runner::confluent::{ConfluentEndpoints, ConfluentRunner};
use crate::runner::sql::SqlRunner;

use thiserror::Error;

use crate::assets::Assets;
use crate::config::{ConfigError, EnvLookup, Overrides, Settings};
use crate::engine::{Engine, Session};
use crate::journal::{Damage, Journal, JournalError, Runs};
use crate::lesson::source::LessonSource;
use crate::lesson::{Course, Diagnostic, load_course};
use crate::redact::Redactor;
use crate::runner::clock::{Clock, SystemClock};
use crate::runner::dispatch::Dispatcher;
use crate::runner::probe::LiveProber;
use crate::runner::process::ProcessExecutor;
use crate::runner::terraform::TerraformRunner;
use crate::tasks::Services;
use crate::values::Values;

#[derive(Debug, Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the lessons in {source_desc} have {} problem(s):\n{}\n  run `cdc-workshop lint` for the full list", problems.len(), render(problems))]
    Lessons {
        source_desc: String,
        problems: Vec<Diagnostic>,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("unknown track `{given}`; choose one of: {known}")]
    UnknownTrack { given: String, known: String },
    #[error("unknown component `{given}` for track `{track}`; choose from: {known}")]
    UnknownComponent {
        given: String,
        track: String,
        known: String,
    },
    #[error(transparent)]
    Probe(#[from] crate::runner::probe::ProbeError),
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialError),
    #[error(
        "no workshop run yet: start one with `cdc-workshop` (the guide) or `cdc-workshop run --track aws`"
    )]
    NoRun,
}

fn render(problems: &[Diagnostic]) -> String {
    let shown: Vec<String> = problems.iter().take(10).map(|d| format!("  {d}")).collect();
    shown.join("\n")
}

pub struct Workspace {
    pub settings: Settings,
    pub source: LessonSource,
    pub assets: Assets,
    pub course: Arc<Course>,
    pub redactor: Redactor,
    pub values: Values,
    pub runs: Runs,
    /// Where credentials are kept (the OS keyring, else the owner-only file).
    pub credentials: Arc<dyn crate::credentials::CredentialStore>,
    /// The one-time note that the keyring was unavailable and the file is used instead.
    pub credential_notice: Option<String>,
}

/// An opened run: the engine rebuilt from its journal.
pub struct OpenedRun {
    pub id: String,
    pub engine: Engine,
    pub journal: Journal,
    pub damage: Option<Damage>,
    /// True when this run was just created.
    pub fresh: bool,
}

impl Workspace {
    /// The executable and the folders this guide uses, for commands that call it again.
    fn guide_env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let mut env = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            env.push((crate::runner::process::GUIDE_EXE_ENV, exe.into_os_string()));
        }
        let folders = [
            ("CDC_WORKSHOP_LESSONS", &self.settings.lessons),
            ("CDC_WORKSHOP_ASSETS", &self.settings.assets),
            ("CDC_WORKSHOP_CONFIG", &self.settings.config_file),
        ];
        for (name, path) in folders {
            if let Some(path) = path {
                // Commands run in the run's work folder, where a relative path means nothing.
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                env.push((name, path.into_os_string()));
            }
        }
        env
    }

    pub fn lesson_source(settings: &Settings) -> LessonSource {
        match &settings.lessons {
            Some(dir) => LessonSource::Directory(dir.clone()),
            None => LessonSource::embedded(),
        }
    }

    pub fn open(overrides: &Overrides, env: EnvLookup) -> Result<Self, WorkspaceError> {
        let settings = Settings::load(overrides, env)?;
        let source = Self::lesson_source(&settings);
        let course = load_course(&source).map_err(|problems| WorkspaceError::Lessons {
            source_desc: source.describe(),
            problems,
        })?;
        let vars = settings.resolve_vars(&course, env)?;
        let redactor = Redactor::new();
        let opened = crate::credentials::open(&settings.dirs, env);
        let values = Values::load_with(&course, vars, env, &redactor, opened.store.as_ref())?;
        let runs = Runs::new(&settings.dirs.data);
        let assets = Assets::choose(settings.assets.as_deref(), settings.lessons.as_deref());
        Ok(Self {
            settings,
            source,
            assets,
            course: Arc::new(course),
            redactor,
            values,
            runs,
            credentials: Arc::from(opened.store),
            credential_notice: opened.announcement,
        })
    }

    /// Open the workspace and start logging to its log folder (through its redactor).
    pub fn open_logged(
        overrides: &Overrides,
        env: EnvLookup,
    ) -> Result<(Self, crate::logging::LogGuard), crate::cli::CliError> {
        let ws = Self::open(overrides, env)?;
        let log = crate::logging::init(
            &ws.settings.dirs.logs(),
            &ws.settings.log_level,
            ws.redactor.clone(),
        )?;
        if let Some(notice) = &ws.credential_notice {
            tracing::warn!("{notice}");
            eprintln!("note: {notice}");
        }
        Ok((ws, log))
    }

    /// The runner of terraform steps over this workspace's modules and data dir.
    pub fn terraform(&self, clock: Arc<dyn Clock>) -> Arc<TerraformRunner> {
        Arc::new(
            TerraformRunner::new(
                self.settings.dirs.terraform(),
                self.assets.clone(),
                self.settings.terraform.clone(),
                self.values.secrets().clone(),
                self.redactor.clone(),
                clock,
            )
            .with_replay(
                self.settings
                    .terraform_replay
                    .clone()
                    .map(crate::runner::terraform::replay::Replay::new),
            ),
        )
    }

    pub fn services(&self) -> Result<Services, WorkspaceError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let terraform = self.terraform(Arc::clone(&clock));
        let confluent = self.confluent(Arc::clone(&clock));
        let sql = Arc::new(SqlRunner::new(
            Arc::new(NativeSql),
            self.course.databases.clone(),
            self.redactor.clone(),
        ));
        let mut executor = Dispatcher::new(
            ProcessExecutor::new().with_guide_env(self.guide_env()),
            Arc::clone(&terraform),
            self.values.secrets().clone(),
        )
        .with_sql(Arc::clone(&sql));
        let mut prober = LiveProber::new()?
            .with_terraform(Arc::clone(&terraform))
            .with_sql(sql);
        if let Some(confluent) = confluent {
            executor = executor.with_confluent(Arc::clone(&confluent));
            prober = prober.with_confluent(confluent);
        }
        if let Some(aws) = self.aws() {
            prober = prober.with_aws(aws);
        }
        Ok(Services {
            executor: Arc::new(executor),
            prober: Arc::new(prober),
            clock,
            redactor: self.redactor.clone(),
            terraform: Some(terraform),
        })
    }

    /// Confluent steps and checks through the real client, pointed where the settings say,
    /// recording what steps create in the resource ledger; `None` when no HTTPS client can be
    /// built (those steps and checks then say so).
    pub fn confluent(&self, clock: Arc<dyn Clock>) -> Option<Arc<ConfluentRunner>> {
        let endpoints = self.confluent_endpoints();
        let api: Arc<dyn ConfluentApi> = match ConfluentClient::new() {
            Ok(client) => Arc::new(client),
            Err(e) => {
                tracing::error!(error = %e, "no Confluent client; Confluent steps and checks will fail");
                return None;
            }
        };
        Some(Arc::new(
            ConfluentRunner::new(
                api,
                self.course.confluent.clone(),
                endpoints,
                self.redactor.clone(),
            )
            .with_secrets(self.values.secrets().clone())
            .with_ledger(
                crate::ledger::file_in(&self.settings.dirs.terraform()),
                clock,
            ),
        ))
    }

    /// AWS checks through the real client, at the endpoint the settings name (every service)
    /// or the real regional hosts; `None` when no HTTPS client can be built.
    fn aws(&self) -> Option<Arc<AwsRunner>> {
        let api: Arc<dyn AwsApi> = match AwsClient::new() {
            Ok(client) => Arc::new(client),
            Err(e) => {
                tracing::error!(error = %e, "no AWS client; AWS checks will fail");
                return None;
            }
        };
        Some(Arc::new(
            AwsRunner::new(
                api,
                self.course.aws.clone(),
                self.settings.endpoints.aws_endpoint_url.clone(),
                self.redactor.clone(),
            )
            .with_secrets(self.values.secrets().clone()),
        ))
    }

    /// The Confluent endpoints the settings name (defaults for the public services).
    pub fn confluent_endpoints(&self) -> ConfluentEndpoints {
        let e = &self.settings.endpoints;
        let defaults = ConfluentEndpoints::default();
        ConfluentEndpoints {
            api_url: e.confluent_api_url.clone().unwrap_or(defaults.api_url),
            metrics_url: e.metrics_url.clone().unwrap_or(defaults.metrics_url),
            kafka_rest_url: e.kafka_rest_url.clone(),
            kafka_bootstrap: e.kafka_bootstrap.clone(),
            kafka_security_protocol: e.kafka_security_protocol.clone(),
            schema_registry_url: e.schema_registry_url.clone(),
            flink_url: e.flink_url.clone(),
        }
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    /// Check a track id and component ids against the course.
    pub fn validate_choice(
        &self,
        track: &str,
        components: &[String],
    ) -> Result<(), WorkspaceError> {
        let Some(t) = self.course.track(track) else {
            return Err(WorkspaceError::UnknownTrack {
                given: track.to_string(),
                known: self
                    .course
                    .tracks
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        for c in components {
            if !t.components.iter().any(|k| &k.id == c) {
                return Err(WorkspaceError::UnknownComponent {
                    given: c.clone(),
                    track: track.to_string(),
                    known: t
                        .components
                        .iter()
                        .map(|k| k.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }

    /// Open the current run (replaying its journal), if there is one.
    pub fn open_current(&self) -> Result<Option<OpenedRun>, WorkspaceError> {
        let Some(id) = self.runs.current() else {
            return Ok(None);
        };
        let dir = self.runs.dir(&id);
        let opened = Journal::open(&dir)?;
        // A snapshot saves replay time; it is only trusted when the journal covers it.
        let last_seq = opened.records.last().map_or(0, |r| r.seq);
        let base = Journal::read_snapshot::<Session>(&dir)
            .filter(|(seq, _)| *seq <= last_seq && opened.damage.is_none())
            .map(|(_, s)| s)
            .unwrap_or_default();
        let session = base.replay(&opened.records);
        if let Some(d) = &opened.damage {
            tracing::warn!(damage = %d, "journal damaged");
        }
        Ok(Some(OpenedRun {
            id,
            engine: Engine::new(Arc::clone(&self.course), session),
            journal: opened.journal,
            damage: opened.damage,
            fresh: false,
        }))
    }

    /// Create a new run and make it current. The caller records `RunStarted` via the engine.
    pub fn create_run(&self, wall_ms: u64) -> Result<OpenedRun, WorkspaceError> {
        let id = self.runs.new_id(wall_ms);
        let opened = Journal::open(&self.runs.dir(&id))?;
        self.runs.set_current(&id)?;
        Ok(OpenedRun {
            id,
            engine: Engine::new(Arc::clone(&self.course), Session::default()),
            journal: opened.journal,
            damage: None,
            fresh: true,
        })
    }

    pub fn work_dir(&self, run_id: &str) -> PathBuf {
        self.runs.dir(run_id).join("work")
    }
}
