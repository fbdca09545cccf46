//! The JSON shapes the client reads, as lenient serde types: only the fields the guide uses,
//! unknown fields ignored, every field optional where real responses have been seen without it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListMeta {
    pub next: Option<String>,
}

/// Any v2 list: `{"metadata":{"next":…},"data":[…]}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub metadata: Option<ListMeta>,
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

impl<T> Page<T> {
    /// The next page's absolute URL; missing, null and "" all mean "no more".
    pub fn next(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.next.as_deref())
            .filter(|n| !n.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Phase {
    pub phase: Option<String>,
    pub current_cfu: Option<u32>,
    pub detail: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Environment {
    pub id: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClusterSpec {
    pub display_name: Option<String>,
    pub kafka_bootstrap_endpoint: Option<String>,
    pub http_endpoint: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cluster {
    pub id: String,
    pub spec: ClusterSpec,
    pub status: Phase,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PoolSpec {
    pub display_name: Option<String>,
    pub max_cfu: Option<u32>,
    pub http_endpoint: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComputePool {
    pub id: String,
    pub spec: PoolSpec,
    pub status: Phase,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SrSpec {
    pub http_endpoint: Option<String>,
    pub catalog_http_endpoint: Option<String>,
    pub package: Option<String>,
}

/// srcm/v3 (and v2) Schema Registry cluster.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SchemaRegistryCluster {
    pub id: String,
    pub spec: SrSpec,
    pub status: Phase,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceAccount {
    pub id: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiKeyOwner {
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiKeySpec {
    pub display_name: Option<String>,
    pub owner: Option<ApiKeyOwner>,
    pub resource: Option<ApiKeyOwner>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiKey {
    pub id: String,
    pub spec: ApiKeySpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleBinding {
    pub id: String,
    pub principal: Option<String>,
    pub role_name: Option<String>,
    pub crn_pattern: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorState {
    pub state: Option<String>,
    pub trace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorTask {
    pub id: Value,
    pub state: Option<String>,
    pub msg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorStatus {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub connector: ConnectorState,
    pub tasks: Option<Vec<ConnectorTask>>,
    pub validation_errors: Option<Vec<Value>>,
    pub errors_from_trace: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorId {
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectorInfo {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub config: BTreeMap<String, Value>,
}

/// One entry of `GET …/connectors?expand=info,status,id` (an object keyed by name).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExpandedConnector {
    pub id: Option<ConnectorId>,
    pub info: Option<ConnectorInfo>,
    pub status: Option<ConnectorStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ValidateValue {
    pub name: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ValidateConfig {
    pub value: ValidateValue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Validation {
    pub error_count: u32,
    pub configs: Vec<ValidateConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Topic {
    pub topic_name: String,
    pub partitions_count: Option<u32>,
    pub replication_factor: Option<u32>,
    pub is_internal: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SchemaVersion {
    pub subject: Option<String>,
    pub version: Option<u32>,
    pub id: Option<u32>,
    pub schema_type: Option<String>,
    pub schema: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SrConfig {
    pub compatibility_level: Option<String>,
    /// Some registries answer with the request's name for the field.
    pub compatibility: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementSpec {
    pub statement: Option<String>,
    pub compute_pool_id: Option<String>,
    pub stopped: Option<bool>,
    pub properties: Option<BTreeMap<String, String>>,
    pub principal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ColumnType {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub length: Option<u64>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: ColumnType,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultSchema {
    pub columns: Vec<Column>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Traits {
    pub sql_kind: Option<String>,
    pub is_bounded: Option<bool>,
    pub schema: Option<ResultSchema>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementStatus {
    pub phase: Option<String>,
    pub detail: Option<String>,
    pub traits: Option<Traits>,
    /// Older responses carry the schema here instead of under `traits`.
    pub result_schema: Option<ResultSchema>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Statement {
    pub name: String,
    pub spec: StatementSpec,
    pub status: StatementStatus,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultRow {
    pub op: Option<u8>,
    pub row: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultData {
    pub data: Option<Vec<ResultRow>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementResult {
    pub metadata: ListMeta,
    pub results: ResultData,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementException {
    pub name: Option<String>,
    pub message: Option<String>,
    pub timestamp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionSpec {
    pub connection_type: Option<String>,
    pub endpoint: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Connection {
    pub name: String,
    pub spec: ConnectionSpec,
    pub status: Option<Phase>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TagBinding {
    pub type_name: Option<String>,
    pub entity_type: Option<String>,
    pub entity_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Partition {
    pub topic_name: Option<String>,
    pub partition_id: Option<u32>,
}

/// A point of a FLAT metrics answer, or a group of points of a GROUPED one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricsPoint {
    pub timestamp: Option<String>,
    pub value: Option<f64>,
    pub points: Option<Vec<MetricsPoint>>,
    #[serde(flatten)]
    pub labels: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricsResponse {
    pub data: Vec<MetricsPoint>,
}
