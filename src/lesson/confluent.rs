//! The Confluent part of the course model: the course's `[confluent]` table (where calls go and
//! as whom), the `confluent` and `flink_sql` step kinds, and the Confluent check kinds.
//!
//! Everything here is a template over outputs, variables and secrets; the runner renders it
//! when a step runs or a check probes, so a later lesson can use ids an earlier one created.

pub(crate) mod parse;

use std::collections::BTreeMap;
use std::time::Duration;

use super::SourcePos;
use super::template::{Template, TemplateContext};

/// One entry of the course's `[confluent]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextField {
    Organization,
    Environment,
    Cluster,
    ComputePool,
    Principal,
    KafkaRestUrl,
    KafkaBootstrap,
    SchemaRegistryUrl,
    FlinkUrl,
    FlinkCatalog,
    FlinkDatabase,
    CloudApiKey,
    CloudApiSecret,
    KafkaApiKey,
    KafkaApiSecret,
    SchemaRegistryApiKey,
    SchemaRegistryApiSecret,
    FlinkApiKey,
    FlinkApiSecret,
}

impl ContextField {
    pub const ALL: [ContextField; 19] = [
        ContextField::Organization,
        ContextField::Environment,
        ContextField::Cluster,
        ContextField::ComputePool,
        ContextField::Principal,
        ContextField::KafkaRestUrl,
        ContextField::KafkaBootstrap,
        ContextField::SchemaRegistryUrl,
        ContextField::FlinkUrl,
        ContextField::FlinkCatalog,
        ContextField::FlinkDatabase,
        ContextField::CloudApiKey,
        ContextField::CloudApiSecret,
        ContextField::KafkaApiKey,
        ContextField::KafkaApiSecret,
        ContextField::SchemaRegistryApiKey,
        ContextField::SchemaRegistryApiSecret,
        ContextField::FlinkApiKey,
        ContextField::FlinkApiSecret,
    ];

    /// The key as written in `course.toml`.
    pub fn key(self) -> &'static str {
        match self {
            ContextField::Organization => "organization",
            ContextField::Environment => "environment",
            ContextField::Cluster => "cluster",
            ContextField::ComputePool => "compute_pool",
            ContextField::Principal => "principal",
            ContextField::KafkaRestUrl => "kafka_rest_url",
            ContextField::KafkaBootstrap => "kafka_bootstrap",
            ContextField::SchemaRegistryUrl => "schema_registry_url",
            ContextField::FlinkUrl => "flink_url",
            ContextField::FlinkCatalog => "flink_catalog",
            ContextField::FlinkDatabase => "flink_database",
            ContextField::CloudApiKey => "cloud_api_key",
            ContextField::CloudApiSecret => "cloud_api_secret",
            ContextField::KafkaApiKey => "kafka_api_key",
            ContextField::KafkaApiSecret => "kafka_api_secret",
            ContextField::SchemaRegistryApiKey => "schema_registry_api_key",
            ContextField::SchemaRegistryApiSecret => "schema_registry_api_secret",
            ContextField::FlinkApiKey => "flink_api_key",
            ContextField::FlinkApiSecret => "flink_api_secret",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Fields that hold a credential: they may (and the `*_secret` ones must) name secrets.
    pub fn is_credential(self) -> bool {
        self.key().ends_with("_api_key") || self.is_secret()
    }

    pub fn is_secret(self) -> bool {
        self.key().ends_with("_api_secret")
    }
}

/// Where Confluent calls go and as whom, as templates. A field nobody set stays absent; a call
/// that needs it says which one is missing.
#[derive(Debug, Clone, Default)]
pub struct ConfluentContext {
    pub fields: BTreeMap<ContextField, Template>,
    pub pos: Option<SourcePos>,
}

/// Submit a Flink SQL statement and follow it until it runs (or completes).
#[derive(Debug, Clone)]
pub struct FlinkSqlStep {
    pub statement: Template,
    /// An explicit statement name; by default it is derived from lesson, step and text, so a
    /// re-run finds the statement it created instead of submitting a duplicate.
    pub name: Option<String>,
    pub wait: FlinkWait,
    /// Rows of a bounded query's results shown in the step's output.
    pub max_rows: usize,
    /// Extra `spec.properties` (e.g. `sql.local-time-zone`).
    pub properties: BTreeMap<String, Template>,
}

/// Default number of result rows a `flink_sql` step shows.
pub const DEFAULT_FLINK_MAX_ROWS: usize = 20;

/// What a `flink_sql` step waits for before it counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlinkWait {
    /// RUNNING or COMPLETED, whichever the statement reaches (the default).
    Started,
    /// Only COMPLETED (DDL, bounded queries).
    Completed,
    /// Only RUNNING (continuous `INSERT INTO … SELECT`).
    Running,
}

impl FlinkWait {
    pub fn name(self) -> &'static str {
        match self {
            FlinkWait::Started => "started",
            FlinkWait::Completed => "completed",
            FlinkWait::Running => "running",
        }
    }
}

/// A named Confluent API action.
#[derive(Debug, Clone)]
pub struct ConfluentStep {
    pub action: ConfluentAction,
}

#[derive(Debug, Clone)]
pub enum ConfluentAction {
    /// Validate a connector's configuration, then create it (kept when it already exists).
    CreateConnector {
        connector: Template,
        /// The flat configuration; values may name secrets (passwords travel only in the body).
        config: BTreeMap<String, Template>,
    },
    PauseConnector {
        connector: Template,
    },
    ResumeConnector {
        connector: Template,
    },
    /// A Flink connection to an external model endpoint (the OpenAI enrichment).
    CreateFlinkConnection {
        name: Template,
        connection_type: String,
        endpoint: Template,
        /// Must be a `{{ secrets.* }}` reference.
        api_key: Template,
    },
    /// Bind a catalog tag (defining it when missing) to a topic or a subject.
    Tag {
        tag: String,
        target: TagTargetSpec,
    },
    /// Stop and delete a Flink statement (cleanup).
    DeleteStatement {
        statement: Template,
    },
}

impl ConfluentAction {
    pub fn name(&self) -> &'static str {
        match self {
            ConfluentAction::CreateConnector { .. } => "create_connector",
            ConfluentAction::PauseConnector { .. } => "pause_connector",
            ConfluentAction::ResumeConnector { .. } => "resume_connector",
            ConfluentAction::CreateFlinkConnection { .. } => "create_flink_connection",
            ConfluentAction::Tag { .. } => "tag",
            ConfluentAction::DeleteStatement { .. } => "delete_statement",
        }
    }

    /// What the participant reads before the action runs (secrets masked).
    pub fn display(&self, values: &dyn TemplateContext) -> String {
        let mut fields: Vec<String> = match self {
            ConfluentAction::CreateConnector { connector, config } => {
                let mut lines = vec![format!("connector={}", connector.display(values))];
                lines.extend(
                    config
                        .iter()
                        .map(|(k, t)| format!("\n  {k} = {}", t.display(values))),
                );
                lines
            }
            _ => self
                .templates()
                .into_iter()
                .map(|(field, t)| format!("{field}={}", t.display(values)))
                .collect(),
        };
        match self {
            ConfluentAction::Tag { tag, .. } => fields.push(format!("tag={tag}")),
            ConfluentAction::CreateFlinkConnection {
                connection_type, ..
            } => {
                fields.push(format!("type={connection_type}"));
            }
            _ => {}
        }
        format!("confluent {} {}", self.name(), fields.join(" "))
    }

    /// Every template the action renders, with the field it came from.
    pub fn templates(&self) -> Vec<(&'static str, &Template)> {
        match self {
            ConfluentAction::CreateConnector { connector, config } => {
                let mut all = vec![("connector", connector)];
                all.extend(config.values().map(|t| ("config", t)));
                all
            }
            ConfluentAction::PauseConnector { connector }
            | ConfluentAction::ResumeConnector { connector } => vec![("connector", connector)],
            ConfluentAction::CreateFlinkConnection {
                name,
                endpoint,
                api_key,
                ..
            } => vec![("name", name), ("endpoint", endpoint), ("api_key", api_key)],
            ConfluentAction::Tag { target, .. } => match target {
                TagTargetSpec::Topic(t) => vec![("topic", t)],
                TagTargetSpec::Subject(s) => vec![("subject", s)],
            },
            ConfluentAction::DeleteStatement { statement } => vec![("statement", statement)],
        }
    }
}

#[derive(Debug, Clone)]
pub enum TagTargetSpec {
    Topic(Template),
    Subject(Template),
}

/// The connector is in the expected state with every task RUNNING.
#[derive(Debug, Clone)]
pub struct ConnectorStatusCheck {
    pub connector: Template,
    /// RUNNING (default) or PAUSED.
    pub expect: String,
    /// How long an uninterrupted FAILED is taken for a flap (Confluent reports FAILED while a
    /// connector restarts) before the check fails.
    pub flap_tolerance: Duration,
}

/// Default `flap_tolerance` of a `connector_status` check.
pub const DEFAULT_FLAP_TOLERANCE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct FlinkStatementCheck {
    pub statement: Template,
    /// Phases that pass (default RUNNING and COMPLETED).
    pub expect: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SchemaSubjectCheck {
    pub subject: Template,
    pub min_version: Option<u32>,
    pub compatibility: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TopicExistsCheck {
    pub topic: Template,
    pub min_partitions: Option<u32>,
}
