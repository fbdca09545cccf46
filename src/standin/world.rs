//! The stand-in's state: everything a workshop creates in Confluent Cloud, with the times that
//! drive its state machines (PROVISIONING → PROVISIONED, PENDING → RUNNING, …).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::backend::confluent::KeyKind;

/// How long each thing takes. Defaults are short, for tests; [`Timings::realistic`] is what a
/// rehearsal shows.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub cluster: Duration,
    pub schema_registry: Duration,
    pub compute_pool: Duration,
    pub connector: Duration,
    pub statement: Duration,
    /// A new API key is rejected (401) for this long, as real keys need to sync.
    pub api_key_sync: Duration,
    pub pause_resume: Duration,
    /// Tags and tag bindings show up in the catalog only after this.
    pub tag_visibility: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        let ms = Duration::from_millis;
        Self {
            cluster: ms(300),
            schema_registry: ms(300),
            compute_pool: ms(300),
            connector: ms(500),
            statement: ms(300),
            api_key_sync: ms(200),
            pause_resume: ms(200),
            tag_visibility: ms(200),
        }
    }
}

impl Timings {
    /// Roughly what Confluent Cloud takes.
    pub fn realistic() -> Self {
        let s = Duration::from_secs;
        Self {
            cluster: s(60),
            schema_registry: s(30),
            compute_pool: s(60),
            connector: s(120),
            statement: s(5),
            api_key_sync: s(20),
            pause_resume: s(5),
            tag_visibility: s(5),
        }
    }

    /// Everything at once.
    pub fn instant() -> Self {
        let zero = Duration::ZERO;
        Self {
            cluster: zero,
            schema_registry: zero,
            compute_pool: zero,
            connector: zero,
            statement: zero,
            api_key_sync: zero,
            pause_resume: zero,
            tag_visibility: zero,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub id: String,
    pub display_name: String,
    pub package: Option<String>,
    pub created: Instant,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: String,
    pub env: String,
    pub display_name: String,
    pub cloud: String,
    pub region: String,
    pub created: Instant,
    /// A cluster forced into a phase (tests of FAILED and unknown phases).
    pub phase: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    pub id: String,
    pub env: String,
    pub package: String,
    pub created: Instant,
}

#[derive(Debug, Clone)]
pub struct ComputePool {
    pub id: String,
    pub env: String,
    pub display_name: String,
    pub cloud: String,
    pub region: String,
    pub max_cfu: u32,
    pub created: Instant,
}

#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub id: String,
    pub display_name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: String,
    pub secret: String,
    pub kind: KeyKind,
    pub owner: String,
    /// The cluster, SR cluster or Flink region the key is for (none for a Cloud key).
    pub resource: Option<String>,
    pub env: Option<String>,
    pub display_name: String,
    /// When the key starts working.
    pub usable_from: Instant,
}

#[derive(Debug, Clone)]
pub struct RoleBinding {
    pub id: String,
    pub principal: String,
    pub role_name: String,
    pub crn_pattern: String,
}

/// One step of a scripted connector life: a state (with a trace when failed) held for a while.
#[derive(Debug, Clone)]
pub struct ConnectorPhase {
    pub state: String,
    pub trace: String,
    pub lasts: Duration,
}

#[derive(Debug, Clone)]
pub struct Connector {
    pub id: String,
    pub env: String,
    pub cluster: String,
    pub name: String,
    pub kind: &'static str,
    pub config: BTreeMap<String, String>,
    pub created: Instant,
    /// Why validation failed: the connector ends FAILED with these in its trace.
    pub errors: Vec<String>,
    /// A scripted life instead of the default one; the last phase lasts forever.
    pub script: Option<Vec<ConnectorPhase>>,
    /// Asked to pause (true) or resume (false) at this time.
    pub pause: Option<(bool, Instant)>,
    /// Topics (and subjects) appear once it runs; set when that happened.
    pub materialised: bool,
}

#[derive(Debug, Clone)]
pub struct TopicRecord {
    pub cluster: String,
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
}

#[derive(Debug, Clone)]
pub struct SchemaRecord {
    pub id: u32,
    pub version: u32,
    pub schema: String,
    pub schema_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TagDef {
    pub name: String,
    pub description: String,
    pub created: Instant,
}

#[derive(Debug, Clone)]
pub struct TagBinding {
    pub tag: String,
    pub entity_type: String,
    pub entity_name: String,
    pub created: Instant,
}

/// What a statement does once it leaves PENDING.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementFate {
    /// DDL and bounded queries.
    Completes,
    /// Continuous queries.
    Runs,
    /// Fails with this detail.
    Fails(String),
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub env: String,
    pub name: String,
    pub sql: String,
    pub compute_pool: String,
    pub principal: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub created: Instant,
    pub fate: StatementFate,
    pub stopped: bool,
    pub sql_kind: String,
    pub bounded: bool,
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Option<String>>>,
    pub page_size: usize,
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub env: String,
    pub name: String,
    pub connection_type: String,
    pub endpoint: String,
}

/// Rows a test wants a statement (matched by name, or by a fragment of its SQL) to return.
#[derive(Debug, Clone)]
pub struct ScriptedResults {
    pub matches: String,
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Option<String>>>,
    pub page_size: usize,
}

/// A failure the next matching requests get instead of their answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `Retry-After` and `X-RateLimit-*` (seconds from now).
    RateLimited { retry_after_secs: u32 },
    /// A server error with this status (500, 502, 503…).
    ServerError(u16),
    /// Answer only after this long (longer than the client's timeout makes a timeout).
    Delay(Duration),
}

#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub path_prefix: Option<String>,
    pub fault: Fault,
    pub remaining: u32,
}

/// One request and its answer, as recorded for contract tests and request counting.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request_content_type: Option<String>,
    pub request_body: Option<serde_json::Value>,
    pub status: u16,
    pub response_content_type: Option<String>,
    pub response_body: String,
    /// Which key family authenticated it, when one did.
    pub key: Option<KeyKind>,
}

#[derive(Debug, Default)]
pub struct World {
    pub org: String,
    pub environments: BTreeMap<String, Environment>,
    pub clusters: BTreeMap<String, Cluster>,
    pub schema_registries: BTreeMap<String, SchemaRegistry>,
    pub compute_pools: BTreeMap<String, ComputePool>,
    pub service_accounts: BTreeMap<String, ServiceAccount>,
    pub api_keys: BTreeMap<String, ApiKeyRecord>,
    pub role_bindings: BTreeMap<String, RoleBinding>,
    pub connectors: Vec<Connector>,
    pub topics: Vec<TopicRecord>,
    pub subjects: BTreeMap<String, Vec<SchemaRecord>>,
    pub next_schema_id: u32,
    pub global_compatibility: String,
    pub subject_compatibility: BTreeMap<String, String>,
    pub tag_defs: BTreeMap<String, TagDef>,
    pub tag_bindings: Vec<TagBinding>,
    pub statements: Vec<Statement>,
    pub connections: Vec<Connection>,
    pub scripted_results: Vec<ScriptedResults>,
    /// Ids of deleted resources: reads of them answer 403, as Confluent does.
    pub deleted: Vec<String>,
    pub(crate) faults: VecDeque<FaultRule>,
    pub exchanges: Vec<Exchange>,
    pub counter: u64,
    /// Scripted lives for connectors created later, by name.
    pub connector_scripts: BTreeMap<String, Vec<ConnectorPhase>>,
    /// Records per topic the Metrics API reports.
    pub metrics: BTreeMap<String, f64>,
}

impl World {
    /// A fresh id with a prefix, e.g. `env-k3x9p`: deterministic, short, lower case.
    pub fn id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        let mut n = self.counter * 7919 + 104_729;
        let mut tail = String::new();
        for _ in 0..5 {
            let d = (n % 36) as u8;
            tail.push(char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 }));
            n /= 36;
        }
        format!("{prefix}-{tail}")
    }

    /// Upper-case alphanumerics, like Confluent's key ids.
    pub fn key_id(&mut self) -> String {
        self.counter += 1;
        let mut n = self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (0..16)
            .map(|_| {
                let d = (n % 36) as u8;
                n /= 36;
                if n == 0 {
                    n = self.counter.wrapping_mul(2_654_435_761);
                }
                char::from(if d < 10 { b'0' + d } else { b'A' + d - 10 })
            })
            .collect()
    }

    pub fn metric(&self, topic: &str) -> f64 {
        self.metrics.get(topic).copied().unwrap_or(0.0)
    }

    pub fn env_named(&self, id: &str) -> Option<&Environment> {
        self.environments.get(id)
    }

    pub fn topic(&self, cluster: &str, name: &str) -> Option<&TopicRecord> {
        self.topics
            .iter()
            .find(|t| t.cluster == cluster && t.name == name)
    }

    pub fn ensure_topic(&mut self, cluster: &str, name: &str, partitions: u32) {
        if self.topic(cluster, name).is_none() {
            self.topics.push(TopicRecord {
                cluster: cluster.to_string(),
                name: name.to_string(),
                partitions,
                replication_factor: 3,
            });
        }
    }

    /// Register `schema` under `subject` unless the latest version already is that schema.
    pub fn register(&mut self, subject: &str, schema: &str, schema_type: Option<&str>) -> u32 {
        if let Some(existing) = self
            .subjects
            .values()
            .flatten()
            .find(|s| s.schema == schema)
            .map(|s| s.id)
            && self
                .subjects
                .get(subject)
                .and_then(|v| v.last())
                .is_some_and(|l| l.id == existing)
        {
            return existing;
        }
        let id = match self
            .subjects
            .values()
            .flatten()
            .find(|s| s.schema == schema)
        {
            Some(s) => s.id,
            None => {
                self.next_schema_id += 1;
                self.next_schema_id
            }
        };
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let version = versions.last().map_or(1, |l| l.version + 1);
        versions.push(SchemaRecord {
            id,
            version,
            schema: schema.to_string(),
            schema_type: schema_type.map(String::from),
        });
        id
    }
}
