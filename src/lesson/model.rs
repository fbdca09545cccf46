//! The typed, position-tagged course model.
//!
//! Lessons are parsed once (by `lesson::parse` and `lesson::course`) into these types; nothing
//! downstream ever looks at raw markdown events or TOML again. Every element that can be wrong
//! carries a [`SourcePos`] so lint, the runner and the UI can all point at `file:line`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::confluent::{
    ConfluentContext, ConfluentStep, ConnectorStatusCheck, FlinkSqlStep, FlinkStatementCheck,
    SchemaSubjectCheck, TopicExistsCheck,
};
use super::database::{DatabaseDecl, SqlRowsCheck, SqlStep};
use super::template::{Template, TemplateContext};

/// Where an element was written: a path relative to the lessons root and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePos {
    pub file: PathBuf,
    pub line: usize,
}

impl SourcePos {
    pub fn new(file: impl Into<PathBuf>, line: usize) -> Self {
        Self {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// The whole course: `course.toml` plus every lesson file it names.
#[derive(Debug, Clone)]
pub struct Course {
    pub format_version: u32,
    pub id: String,
    pub title: String,
    /// Tracks in the order the welcome screen offers them (aws, gcp, azure).
    pub tracks: Vec<Track>,
    /// Every lesson, in the order they first appear across tracks.
    pub lessons: Vec<Lesson>,
    /// Variables lessons may reference as `{{ vars.NAME }}`, with defaults the settings override.
    pub variables: Vec<VariableDecl>,
    /// Secret names lessons may reference as `{{ secrets.NAME }}`; values never live in a lesson.
    pub secrets: Vec<SecretDecl>,
    /// Where Confluent calls go and as whom (`[confluent]`); empty when the course has none.
    pub confluent: ConfluentContext,
    /// Region and key of AWS checks (`[aws]`); empty when the course has none.
    pub aws: super::aws::AwsContext,
    /// Source databases lessons name in `sql` steps and `sql_rows` checks (`[databases.*]`).
    pub databases: Vec<DatabaseDecl>,
    pub pos: SourcePos,
}

impl Course {
    pub fn track(&self, id: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }

    /// The lessons a participant on `track` with `components` chosen walks through, in order.
    ///
    /// A lesson that belongs to no component is always included; a lesson that belongs to
    /// components is included when at least one of them is chosen.
    pub fn plan<'a>(&'a self, track: &Track, components: &[String]) -> Vec<&'a Lesson> {
        track
            .lessons
            .iter()
            .filter(|id| {
                let owners: Vec<&Component> = track
                    .components
                    .iter()
                    .filter(|c| c.lessons.contains(id))
                    .collect();
                owners.is_empty() || owners.iter().any(|c| components.contains(&c.id))
            })
            .filter_map(|id| self.lesson(id))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Lesson ids in the order the participant takes them.
    pub lessons: Vec<String>,
    /// Optional parts (sources, sinks) the participant can choose.
    pub components: Vec<Component>,
    pub pos: SourcePos,
}

impl Track {
    /// Components switched on unless the participant switches them off.
    pub fn default_components(&self) -> Vec<String> {
        self.components
            .iter()
            .filter(|c| c.default)
            .map(|c| c.id.clone())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Source,
    Sink,
    Processing,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    pub title: String,
    pub kind: ComponentKind,
    pub default: bool,
    /// Lessons (of this track) that only run when this component is chosen.
    pub lessons: Vec<String>,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub struct VariableDecl {
    pub name: String,
    pub default: Option<String>,
    pub description: String,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub struct SecretDecl {
    pub name: String,
    pub description: String,
    /// Environment variable the value may come from (e.g. `CONFLUENT_CLOUD_API_KEY`).
    pub env: Option<String>,
    /// Where to get it (shown on the setup screen).
    pub url: Option<String>,
    /// Tracks that need it; empty means every track.
    pub tracks: Vec<String>,
    /// Components that need it; empty means it does not depend on a component.
    pub components: Vec<String>,
    /// The step whose output it is (a terraform step's `secret_outputs`): the participant is
    /// never asked for it, and it exists only once that step has run.
    pub provided_by: Option<String>,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub estimate: Duration,
    /// Tracks this lesson belongs to (must agree with `course.toml`).
    pub tracks: Vec<String>,
    pub depends: Vec<String>,
    /// Preconditions checked when the lesson is entered.
    pub requires: Vec<CheckSpec>,
    /// When all of these pass on entry the lesson is already done (resume, pre-provisioning).
    pub objectives: Vec<CheckSpec>,
    /// Prose and machine blocks in document order.
    pub blocks: Vec<Block>,
    pub pos: SourcePos,
}

impl Lesson {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Step(s) => Some(s),
            _ => None,
        })
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().find(|s| s.id == id)
    }

    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Check(c) => Some(c),
            _ => None,
        })
    }

    /// Checks that verify `step`, in document order.
    pub fn checks_for<'a>(&'a self, step: &'a str) -> impl Iterator<Item = &'a Check> + 'a {
        self.checks()
            .filter(move |c| c.step.as_deref() == Some(step))
    }

    /// Hints for `step`, in the order they are revealed.
    pub fn hints_for<'a>(&'a self, step: &'a str) -> impl Iterator<Item = &'a Hint> + 'a {
        self.blocks.iter().filter_map(move |b| match b {
            Block::Hint(h) if h.step == step => Some(h),
            _ => None,
        })
    }

    pub fn solution_for(&self, step: &str) -> Option<&Solution> {
        self.blocks.iter().find_map(|b| match b {
            Block::Solution(s) if s.step == step => Some(s),
            _ => None,
        })
    }

    pub fn cleanup_for(&self, step: &str) -> Option<&Cleanup> {
        self.blocks.iter().find_map(|b| match b {
            Block::Cleanup(c) if c.step == step => Some(c),
            _ => None,
        })
    }
}

// Blocks are built once at load time and only read afterwards; boxing the larger variants would
// cost every match a deref for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Block {
    Prose(Prose),
    Step(Step),
    Check(Check),
    Hint(Hint),
    Solution(Solution),
    Cleanup(Cleanup),
}

/// Markdown between machine blocks, kept verbatim for the renderer.
#[derive(Debug, Clone)]
pub struct Prose {
    pub markdown: String,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    /// Output names this step provides to later templates as `{{ outputs.<step>.<name> }}`.
    pub outputs: Vec<String>,
    /// Hard limit for one run; the process is interrupted when it passes.
    pub timeout: Option<Duration>,
    /// Typical duration shown next to the step.
    pub estimate: Option<Duration>,
    pub pos: SourcePos,
}

/// What a step does. Each issue adds kinds here and in the runner; lint rejects unknown kinds.
#[derive(Debug, Clone)]
pub enum StepKind {
    Shell(ShellStep),
    Manual(ManualStep),
    Terraform(TerraformStep),
    FlinkSql(FlinkSqlStep),
    Confluent(ConfluentStep),
    Sql(SqlStep),
}

impl StepKind {
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Shell(_) => "shell",
            StepKind::Manual(_) => "manual",
            StepKind::Terraform(_) => "terraform",
            StepKind::FlinkSql(_) => "flink_sql",
            StepKind::Confluent(_) => "confluent",
            StepKind::Sql(_) => "sql",
        }
    }

    /// What the step does, as the participant reads it (secrets masked, missing values shown
    /// as their reference): the command, the sentence to confirm, the module, the statement.
    pub fn display(&self, values: &dyn TemplateContext) -> String {
        match self {
            StepKind::Shell(s) => s.command.display(values),
            StepKind::Manual(m) => m.confirm.clone(),
            StepKind::Terraform(t) => t.display(),
            StepKind::FlinkSql(f) => f.statement.display(values).trim().to_string(),
            StepKind::Confluent(c) => c.action.display(values),
            StepKind::Sql(s) => s.statement.display(values).trim().to_string(),
        }
    }
}

/// A Terraform module under `assets/terraform/<module>` applied (or destroyed) in its own
/// workspace in the data dir.
#[derive(Debug, Clone)]
pub struct TerraformStep {
    pub module: String,
    pub action: TerraformAction,
    /// Input variables, passed to Terraform only as `TF_VAR_<name>` environment variables.
    pub vars: BTreeMap<String, Template>,
    /// Sensitive module outputs and the secret each is stored as (`output name` → `secret name`),
    /// so later steps use them as `{{ secrets.<name> }}` and they are never shown.
    pub secret_outputs: BTreeMap<String, String>,
}

impl TerraformStep {
    /// The command line the participant would type for this step (values travel separately).
    pub fn display(&self) -> String {
        format!("terraform {} · module {}", self.action.name(), self.module)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerraformAction {
    Apply,
    Destroy,
    /// Show what an apply would change, without changing anything.
    Plan,
}

impl TerraformAction {
    pub fn name(self) -> &'static str {
        match self {
            TerraformAction::Apply => "apply",
            TerraformAction::Destroy => "destroy",
            TerraformAction::Plan => "plan",
        }
    }
}

/// A command run by `sh -c`, shown in full before it runs.
#[derive(Debug, Clone)]
pub struct ShellStep {
    pub command: Template,
    pub cwd: Option<Template>,
    /// Extra environment; the only place a `{{ secrets.* }}` may appear in a shell step.
    pub env: BTreeMap<String, Template>,
}

/// Something the participant does outside the guide (a console click), confirmed with a key.
#[derive(Debug, Clone)]
pub struct ManualStep {
    /// The sentence the participant confirms, e.g. "I have created a Cloud API key".
    pub confirm: String,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub title: String,
    /// The step this check verifies; `None` for a lesson-level check started on entry.
    pub step: Option<String>,
    pub spec: CheckSpec,
    /// The live panel shown while this check's step is selected.
    pub panel: Option<PanelPin>,
    pub pos: SourcePos,
}

/// A live panel a check brings to the front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelPin {
    /// Records of this topic.
    Topic(super::template::Template),
    Connectors,
    Lineage,
}

/// A read-only probe plus how long and how often to try it.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub kind: CheckKind,
    /// Give up (fail) when nothing passed within this time.
    pub deadline: Duration,
    pub poll: PollPolicy,
    pub messages: Messages,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    Env(EnvCheck),
    File(FileCheck),
    Http(HttpCheck),
    TerraformOutput(TerraformOutputCheck),
    ConnectorStatus(ConnectorStatusCheck),
    FlinkStatement(FlinkStatementCheck),
    SchemaSubject(SchemaSubjectCheck),
    TopicExists(TopicExistsCheck),
    /// The course's Kafka cluster is PROVISIONED.
    ClusterReady,
    /// The course's Flink compute pool is PROVISIONED.
    ComputePoolReady,
    SqlRows(SqlRowsCheck),
    TopicMessages(super::topics::TopicMessagesCheck),
    ObjectStore(super::aws::ObjectStoreCheck),
    // Boxed: the biggest check bodies, and every CheckSpec carries a CheckKind.
    WarehouseRows(Box<super::aws::WarehouseRowsCheck>),
    NoLeftovers(Box<super::aws::NoLeftoversCheck>),
    All(Vec<CheckSpec>),
    Any(Vec<CheckSpec>),
}

impl CheckKind {
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Env(_) => "env",
            CheckKind::File(_) => "file",
            CheckKind::Http(_) => "http",
            CheckKind::TerraformOutput(_) => "terraform_output",
            CheckKind::ConnectorStatus(_) => "connector_status",
            CheckKind::FlinkStatement(_) => "flink_statement",
            CheckKind::SchemaSubject(_) => "schema_subject",
            CheckKind::TopicExists(_) => "topic_exists",
            CheckKind::ClusterReady => "cluster_ready",
            CheckKind::ComputePoolReady => "compute_pool_ready",
            CheckKind::SqlRows(_) => "sql_rows",
            CheckKind::TopicMessages(_) => "topic_messages",
            CheckKind::ObjectStore(_) => "object_store",
            CheckKind::WarehouseRows(_) => "warehouse_rows",
            CheckKind::NoLeftovers(_) => "no_leftovers",
            CheckKind::All(_) => "all",
            CheckKind::Any(_) => "any",
        }
    }
}

/// An environment variable of the guide's own process is set (and optionally matches).
#[derive(Debug, Clone)]
pub struct EnvCheck {
    pub name: String,
    /// Regular expression the value must match.
    pub matches: Option<String>,
    /// The value is never shown, only whether it is set and its length.
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct FileCheck {
    pub path: Template,
    /// `false` asserts the file is absent.
    pub exists: bool,
    pub contains: Option<String>,
    /// Regular expression some part of the content must match.
    pub matches: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HttpCheck {
    pub url: Template,
    pub method: HttpMethod,
    pub headers: BTreeMap<String, Template>,
    /// Statuses that pass (default `[200]`).
    pub expect_status: Vec<u16>,
    /// Statuses that mean "not yet" rather than "wrong" (default 502, 503, 504 and 429).
    pub transient_status: Vec<u16>,
    pub body_contains: Option<String>,
    /// Per-attempt request timeout.
    pub timeout: Duration,
}

/// A module's output, read from its state (`terraform output -json`, no plan, no provider calls).
#[derive(Debug, Clone)]
pub struct TerraformOutputCheck {
    pub module: String,
    pub output: String,
    /// Regular expression the value (as text) must match; sensitive values are never shown.
    pub matches: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Head,
}

/// Exponential backoff with jitter between attempts of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub factor: f64,
    /// Fraction (0..=1) of each delay randomised, so a room of fifty does not poll in lockstep.
    pub jitter: f64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.2,
        }
    }
}

/// Default deadline of a check that names none.
pub const DEFAULT_CHECK_DEADLINE: Duration = Duration::from_secs(120);

/// What the participant reads for each outcome; `{{ observed }}` is replaced by the observation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    pub pass: Option<String>,
    pub warn: Option<String>,
    pub fail: Option<String>,
    pub pending: Option<String>,
}

/// A progressive hint for a step: shown after N failures or M seconds, whichever comes first.
#[derive(Debug, Clone)]
pub struct Hint {
    pub step: String,
    pub after_failures: Option<u32>,
    pub after: Option<Duration>,
    pub text: String,
    pub pos: SourcePos,
}

/// The worked answer for a step; `run` is also what Skip executes before verifying.
#[derive(Debug, Clone)]
pub struct Solution {
    pub step: String,
    /// Revealed automatically after this many failures (always available on request).
    pub reveal_after_failures: Option<u32>,
    pub explain: String,
    pub run: Option<StepKind>,
    pub pos: SourcePos,
}

/// How to undo a step (Reset, and later teardown).
#[derive(Debug, Clone)]
pub struct Cleanup {
    pub step: String,
    pub run: StepKind,
    pub pos: SourcePos,
}
