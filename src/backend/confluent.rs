//! Confluent Cloud behind one small interface: the control plane (environments, clusters,
//! compute pools), managed connectors, Kafka REST, Schema Registry and its catalog, Flink SQL.
//!
//! The runner's steps and checks only see [`ConfluentApi`] and the domain types below; the wire
//! types, authentication, retries and the request budget live in the real client
//! (`client`). Every call takes a [`Scope`]: which URLs, ids and keys to use, resolved by the
//! caller from the course's `[confluent]` table and the settings.

pub mod client;
pub mod error;

use std::collections::BTreeMap;
use std::fmt;

use futures::future::BoxFuture;
use serde::Serialize;

pub use error::{ApiError, ApiErrorKind};

/// Default base URL of the control plane (org, cmk, iam, srcm, fcpm, connect).
pub const DEFAULT_API_URL: &str = "https://api.confluent.cloud";
/// Default base URL of the Metrics API.
pub const DEFAULT_METRICS_URL: &str = "https://api.telemetry.confluent.cloud";

/// The four families of keys Confluent hands out; each API accepts exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Cloud resource-management key: control plane, Connect, Metrics.
    Cloud,
    /// Kafka cluster key: Kafka REST (and the Kafka protocol).
    Kafka,
    /// Schema Registry key: SR and the Stream Catalog.
    SchemaRegistry,
    /// Flink region key: SQL statements.
    Flink,
}

impl KeyKind {
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Cloud => "Cloud API key",
            KeyKind::Kafka => "Kafka cluster API key",
            KeyKind::SchemaRegistry => "Schema Registry API key",
            KeyKind::Flink => "Flink API key",
        }
    }
}

/// An API key and its secret. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key: String,
    pub secret: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &self.key)
            .field("secret", &"••••")
            .finish()
    }
}

/// Where and as whom one call talks to Confluent. Fields a call does not need may be `None`;
/// a call missing one it needs fails with [`ApiErrorKind::MissingScope`] naming it.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Control plane and Connect (default [`DEFAULT_API_URL`]).
    pub api_url: String,
    pub metrics_url: String,
    /// The cluster's REST endpoint (`https://pkc-….confluent.cloud:443`).
    pub kafka_rest_url: Option<String>,
    /// The cluster's bootstrap endpoint (`SASL_SSL://pkc-….confluent.cloud:9092`) for the sampler.
    pub kafka_bootstrap: Option<String>,
    /// `sasl_ssl` (Confluent Cloud, the default) or `plaintext` (a local broker).
    pub kafka_security_protocol: Option<String>,
    pub schema_registry_url: Option<String>,
    /// `https://flink.<region>.<cloud>.confluent.cloud`.
    pub flink_url: Option<String>,
    /// Organization UUID (Flink SQL paths need it).
    pub organization: Option<String>,
    pub environment: Option<String>,
    /// Kafka cluster id `lkc-…`.
    pub cluster: Option<String>,
    /// Flink compute pool id `lfcp-…`.
    pub compute_pool: Option<String>,
    /// Service account statements run as (`sa-…`).
    pub principal: Option<String>,
    /// `sql.current-catalog`: the environment's display name.
    pub flink_catalog: Option<String>,
    /// `sql.current-database`: the Kafka cluster's display name.
    pub flink_database: Option<String>,
    pub keys: BTreeMap<KeyKind, ApiKey>,
}

/// A phase or state string as the API sent it. Known values are matched by the callers; an
/// unknown one is kept verbatim and treated as pending.
pub type Phase = String;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KafkaCluster {
    pub id: String,
    pub display_name: String,
    /// `PROVISIONING`, `PROVISIONED`, `FAILED`, or something newer.
    pub phase: Phase,
    /// As the API gives it, possibly with the `SASL_SSL://` prefix.
    pub bootstrap_endpoint: Option<String>,
    pub rest_endpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComputePool {
    pub id: String,
    pub display_name: String,
    /// `PROVISIONING`, `PROVISIONED`, `FAILED`, `DEPROVISIONING`, …
    pub phase: Phase,
    pub current_cfu: Option<u32>,
    pub max_cfu: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorTask {
    pub id: u32,
    /// Free string: RUNNING, STOPPED, UNASSIGNED, RESTARTING, SYSTEM_ERROR, USER_ACTIONABLE_ERROR…
    pub state: String,
    pub msg: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorStatus {
    pub name: String,
    /// `source` or `sink`.
    pub kind: String,
    /// NONE, PROVISIONING, RUNNING, DEGRADED, FAILED, PAUSED, DELETED, RESTARTING, …
    pub state: Phase,
    /// The exception text when failed (may span lines); empty otherwise.
    pub trace: String,
    pub tasks: Vec<ConnectorTask>,
    /// Undeclared but real: `validation_errors` of a failed configuration.
    pub validation_errors: Vec<String>,
}

/// One connector of the expanded listing (`?expand=info,status,id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorSummary {
    pub name: String,
    /// `lcc-…`, only the expanded listing knows it.
    pub id: Option<String>,
    pub kind: String,
    /// The connector's configuration (secrets come back masked by the API).
    pub config: BTreeMap<String, String>,
    pub status: Option<ConnectorStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValidation {
    pub error_count: u32,
    /// `config name: message` for every config with errors.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaVersion {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    /// AVRO when the registry leaves it out.
    pub schema_type: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementColumn {
    pub name: String,
    /// The Flink type as text, e.g. `VARCHAR(2147483647)`, `DECIMAL(10, 2)`, `ROW<…>`.
    pub data_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub name: String,
    pub sql: String,
    pub compute_pool: Option<String>,
    /// PENDING, RUNNING, COMPLETED, DELETING, FAILING, FAILED, STOPPING, STOPPED, DEGRADED, …
    pub phase: Phase,
    /// Why it is in that phase (the error text when failed).
    pub detail: String,
    pub is_bounded: Option<bool>,
    pub sql_kind: Option<String>,
    pub stopped: bool,
    /// Result columns (from `status.traits.schema` or the older `status.result_schema`).
    pub columns: Vec<StatementColumn>,
}

/// What to submit. The name is derived by the caller so a re-run finds the same statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewStatement {
    pub name: String,
    pub sql: String,
    /// Extra `spec.properties` beyond catalog and database (which come from the scope).
    pub properties: BTreeMap<String, String>,
}

/// One row of a statement's results: the changelog op and the cells (scalars are strings or
/// null, ROW/ARRAY/MAP are nested arrays, exactly as the API sends them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// 0 = +I, 1 = -U, 2 = +U, 3 = -D.
    pub op: u8,
    pub cells: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultsPage {
    pub rows: Vec<ResultRow>,
    /// The `metadata.next` URL; `None` (sent as `""` or absent) means no more pages.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementException {
    pub name: String,
    pub message: String,
    pub timestamp: Option<String>,
}

/// A Flink connection (e.g. to OpenAI) created through `sql/v1 …/connections`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlinkConnection {
    pub name: String,
    /// `OPENAI`, `AZUREOPENAI`, …
    pub connection_type: String,
    pub endpoint: String,
    /// The provider's API key; only ever sent in the request body.
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlinkConnection {
    pub name: String,
    pub connection_type: String,
    pub endpoint: String,
    pub phase: Option<Phase>,
}

/// What a tag is attached to in the Stream Catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TagTarget {
    /// A topic of the scope's cluster.
    Topic(String),
    /// A subject's latest schema.
    Subject(String),
}

/// The calls the guide makes. Read calls never change anything; every error is an [`ApiError`]
/// whose message is fit for the participant (names the API, host and what to check).
pub trait ConfluentApi: Send + Sync {
    fn kafka_cluster<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<KafkaCluster, ApiError>>;

    fn compute_pool<'a>(&'a self, scope: &'a Scope)
    -> BoxFuture<'a, Result<ComputePool, ApiError>>;

    fn connector_status<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<ConnectorStatus, ApiError>>;

    fn connectors<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<Vec<ConnectorSummary>, ApiError>>;

    /// Create a managed connector (`config` is the flat string map, `connector.class` included).
    fn create_connector<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    /// Delete a managed connector; a connector that is not there fails with a gone error
    /// ([`ApiError::is_gone`]).
    fn delete_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    fn pause_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    fn resume_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    fn validate_connector_config<'a>(
        &'a self,
        scope: &'a Scope,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<ConfigValidation, ApiError>>;

    /// `Ok(None)` when the topic does not exist.
    fn topic<'a>(
        &'a self,
        scope: &'a Scope,
        topic: &'a str,
    ) -> BoxFuture<'a, Result<Option<Topic>, ApiError>>;

    /// Versions of a subject, ascending; `Ok(None)` when the subject does not exist.
    fn subject_versions<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u32>>, ApiError>>;

    fn latest_schema<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>>;

    /// A writer schema by its global id (the id in a record's wire-format header).
    fn schema_by_id<'a>(
        &'a self,
        scope: &'a Scope,
        id: u32,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>>;

    /// The subject's compatibility level, falling back to the registry's global default.
    fn subject_compatibility<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<String, ApiError>>;

    /// `Ok(None)` when no statement has that name.
    fn statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Statement>, ApiError>>;

    fn create_statement<'a>(
        &'a self,
        scope: &'a Scope,
        statement: &'a NewStatement,
    ) -> BoxFuture<'a, Result<Statement, ApiError>>;

    /// One page of results: `page` is `None` for the first, then the previous page's `next`.
    fn statement_results<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        page: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ResultsPage, ApiError>>;

    /// Newest first.
    fn statement_exceptions<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StatementException>, ApiError>>;

    fn delete_statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    /// `Ok(None)` when no connection has that name.
    fn flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<FlinkConnection>, ApiError>>;

    fn create_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        connection: &'a NewFlinkConnection,
    ) -> BoxFuture<'a, Result<FlinkConnection, ApiError>>;

    /// Delete a Flink connection; one that is not there fails with a gone error.
    fn delete_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    /// Define the tag (if missing) and bind it to the target. Idempotent.
    fn tag<'a>(
        &'a self,
        scope: &'a Scope,
        tag: &'a str,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<(), ApiError>>;

    /// Names of the tags bound to the target.
    fn tags_of<'a>(
        &'a self,
        scope: &'a Scope,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<Vec<String>, ApiError>>;

    /// One environment by id: `(id, display name)`; a deleted one is an error that
    /// [`ApiError::is_gone`] recognises (Confluent answers 403 or 404).
    fn environment<'a>(
        &'a self,
        scope: &'a Scope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(String, String), ApiError>>;
}
