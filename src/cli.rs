//! The command line (a stable contract: DESIGN §3). Parsing here, each command in `cli/`.

mod check;
mod credentials;
pub(crate) use credentials::gcp_key_file;
mod doctor;
mod lint;
mod output;
mod run;
mod sample;
mod standin;
mod status;
mod teardown;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Overrides, real_env};

pub use output::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0    success (every step and check passed, or nothing to report)
  1    a step, check or lesson failed (details on stderr / in the output)
  2    bad usage or configuration (unknown flag, track, variable, unreadable config)
  130  interrupted with Ctrl-C

Environment:
  CDC_WORKSHOP_HOME        one folder for config, journal and logs (default: the platform's dirs)
  CDC_WORKSHOP_CONFIG      config file (default: <config dir>/config.toml)
  CDC_WORKSHOP_LESSONS     lessons folder instead of the built-in course
  CDC_WORKSHOP_ASSETS      assets folder (terraform modules) instead of the built-in ones
  CDC_WORKSHOP_TERRAFORM   the terraform binary to use (default: terraform on PATH)
  CDC_WORKSHOP_LOG_LEVEL   error | warn | info | debug | trace
  CDC_WORKSHOP_<VARIABLE>  any course variable, e.g. CDC_WORKSHOP_CONFLUENT_API_URL
  NO_COLOR                 monochrome output";

#[derive(Debug, Parser)]
#[command(
    name = "cdc-workshop",
    version,
    about = "A hands-on terminal guide through the Confluent change-data-capture workshop",
    long_about = "A hands-on terminal guide through the Confluent change-data-capture workshop.\n\n\
        Run without a command to open the interactive guide. Every step runs the real \
        provisioning and is verified against the live systems; progress is journaled so you \
        can quit at any time and resume where you were.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read lessons from DIR instead of the built-in course (for lesson authors).
    #[arg(long, global = true, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Read assets (terraform modules…) from DIR; default: `assets/` beside `--lessons`, else
    /// the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// Config file to read (default: <config dir>/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log level for the log file in the data dir (error, warn, info, debug, trace).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Set a course variable, e.g. --set confluent_api_url=http://127.0.0.1:8080 (repeatable).
    #[arg(long = "set", global = true, value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

impl GlobalArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            lessons: self.lessons.clone(),
            assets: self.assets.clone(),
            log_level: self.log_level.clone(),
            set: self.set.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The interactive guide (the default when no command is given).
    Tui(TuiArgs),
    /// Parse and validate every lesson; print problems as file:line: message.
    Lint,
    /// Run steps and checks in order without the TUI (automation, pre-provisioning, tests).
    Run(RunArgs),
    /// Run checks once and print pass/warn/fail/pending with what was observed.
    Check(CheckArgs),
    /// Show progress per lesson and step of the current run, and the provisioned resources.
    Status(StatusArgs),
    /// Delete what steps created through the Confluent API, then destroy every provisioned
    /// module (newest first), proving nothing is left.
    Teardown(TeardownArgs),
    /// Serve a local stand-in of Confluent Cloud with a ready workshop environment (rehearsals
    /// and tests); its ids and keys go to an env file to source.
    Standin(StandinArgs),
    /// Is this machine ready? Terraform, credentials (present and accepted), public IP, clock,
    /// disk; one line per item with what to do; exit 1 when something required fails.
    Doctor {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// A few records of a topic, decoded through Schema Registry (Avro, JSON, text); reads
    /// without a consumer group and without committing.
    Sample(SampleArgs),
    /// Manage the credentials the course needs: set, list, delete, import an upstream .accounts.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The topic to read.
    #[arg(long)]
    pub topic: String,
    /// How many records to print.
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    /// `beginning` (oldest first), `end` (new records only) or `last` (the newest `count` of
    /// each partition).
    #[arg(long, value_enum, default_value_t = SampleFrom::Last)]
    pub from: SampleFrom,
    /// `text` (one line per record, changes summarised) or `json` (one object per line).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleFrom {
    Beginning,
    End,
    Last,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Names, where each is kept and whether its service accepts it (never the values).
    List {
        /// Do not ask the services whether the credentials are valid.
        #[arg(long)]
        no_check: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Store one credential; the value is typed without echo (or read from a pipe).
    Set { name: String },
    /// Forget one credential.
    Delete { name: String },
    /// Import the upstream workshop's `.accounts` file of `export NAME="value"` lines.
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Args)]
pub struct StandinArgs {
    /// Where to write the `export` lines for the guide's shell (created 0600).
    #[arg(long, value_name = "FILE")]
    pub env_file: std::path::PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Take as long as Confluent Cloud does (minutes to provision) instead of moments.
    #[arg(long)]
    pub realistic: bool,
    /// Also run an in-process Kafka (librdkafka's mock cluster) that running source connectors
    /// write change events to, so topic samples and `topic_messages` checks have records; a
    /// PostgreSQL or MySQL CDC source whose database can be reached streams that database's
    /// real rows and changes.
    #[arg(long)]
    pub kafka: bool,
    /// Rehearse the shipped course: write what the `confluent-cloud` module's apply would
    /// output into DIR (0600) for the Terraform test seam, create the topic and schema the
    /// module creates, and point the env file's guide at them (implies --kafka).
    #[arg(long, value_name = "DIR")]
    pub replay_dir: Option<std::path::PathBuf>,
    /// An S3 endpoint (moto, for instance) that running S3 sink connectors write their Avro
    /// files to, with the key and region of their config; the env file points the guide's AWS
    /// calls at it too (CDC_WORKSHOP_AWS_ENDPOINT_URL). Needs --kafka or --replay-dir.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    /// Destroy without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args, Default)]
pub struct TuiArgs {
    /// Start a new run on the welcome screen instead of resuming the current one.
    #[arg(long)]
    pub new: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Track to run (aws, gcp, azure); required when starting a new run.
    #[arg(long, value_name = "TRACK")]
    pub track: Option<String>,
    /// Components to include, comma-separated (default: the track's defaults).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub components: Option<Vec<String>>,
    /// Stop after this lesson is complete.
    #[arg(long, value_name = "LESSON")]
    pub to: Option<String>,
    /// Confirm manual steps without asking.
    #[arg(long)]
    pub yes: bool,
    /// Start a new run instead of resuming the current one.
    #[arg(long)]
    pub new: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check ids (`check` or `lesson/check`); default: every check of the current lesson.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Poll each check until it passes or its deadline passes, instead of probing once.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Exit statuses, documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Exit {
    Success,
    Failure,
    Usage,
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::Usage => ExitCode::from(2),
            Exit::Interrupted => ExitCode::from(130),
        }
    }
}

/// Parse the command line and run. All reporting of errors happens here, at the edge.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = cli.global.overrides();
    let env = real_env;
    let result = match cli.command {
        None => crate::app::run_tui(&overrides, &env, &TuiArgs::default()),
        Some(Command::Tui(args)) => crate::app::run_tui(&overrides, &env, &args),
        Some(Command::Lint) => lint::run(&overrides, &env),
        Some(Command::Run(args)) => run::run(&overrides, &env, &args),
        Some(Command::Check(args)) => check::run(&overrides, &env, &args),
        Some(Command::Status(args)) => status::run(&overrides, &env, &args),
        Some(Command::Teardown(args)) => teardown::run(&overrides, &env, &args),
        Some(Command::Standin(args)) => standin::run(&args),
        Some(Command::Credentials(command)) => credentials::run(&overrides, &env, &command),
        Some(Command::Doctor { format }) => doctor::run(&overrides, &env, format),
        Some(Command::Sample(args)) => sample::run(&overrides, &env, &args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            e.exit().into()
        }
    }
}

/// Errors that end a command, with the exit status they map to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Log(#[from] crate::logging::LogError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialError),
}

impl CliError {
    pub fn exit(&self) -> Exit {
        use crate::workspace::WorkspaceError as W;
        match self {
            CliError::Usage(_) | CliError::Log(_) => Exit::Usage,
            CliError::Workspace(
                W::Config(_) | W::UnknownTrack { .. } | W::UnknownComponent { .. } | W::NoRun,
            ) => Exit::Usage,
            _ => Exit::Failure,
        }
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}
