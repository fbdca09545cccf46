//! [`ConfluentClient`]: the real [`ConfluentApi`] over HTTPS with one configured reqwest client.

mod budget;
mod http;
pub mod wire;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::{Method, Url};
use serde_json::{Value, json};

pub use budget::{Budget, DEFAULT_REQUESTS_PER_MIN, METRICS_REQUESTS_PER_MIN};
use http::{Call, Http};
pub use http::{MAX_ATTEMPTS, Sleeper, TokioSleeper, error_details};

use super::{
    ApiError, ApiErrorKind, ComputePool, ConfigValidation, ConfluentApi, ConnectorStatus,
    ConnectorSummary, ConnectorTask, FlinkConnection, KafkaCluster, KeyKind, NewFlinkConnection,
    NewStatement, ResultRow, ResultsPage, SchemaVersion, Scope, Statement, StatementColumn,
    StatementException, TagTarget, Topic,
};

/// What every request says it is.
pub const USER_AGENT: &str = concat!("cdc-workshop/", env!("CARGO_PKG_VERSION"));
/// Accept header Schema Registry prefers.
const SR_ACCEPT: &str =
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";
/// Pages a listing follows at most (a runaway `next` must not loop forever).
const MAX_PAGES: usize = 100;

#[derive(Clone)]
pub struct ConfluentClient {
    http: Arc<Http>,
    /// Phase strings seen that the guide does not know, each logged once.
    unknown: Arc<Mutex<HashSet<String>>>,
}

fn missing(field: &'static str, what: &str) -> ApiError {
    ApiError::new(ApiErrorKind::MissingScope(field), what.to_string(), "")
}

fn need<'a>(
    value: &'a Option<String>,
    field: &'static str,
    what: &str,
) -> Result<&'a str, ApiError> {
    value.as_deref().ok_or_else(|| missing(field, what))
}

/// `base` + encoded path segments + query.
fn url(base: &str, segments: &[&str], query: &[(&str, &str)]) -> Result<String, ApiError> {
    let mut u = Url::parse(base).map_err(|e| {
        ApiError::new(
            ApiErrorKind::Transport,
            base.to_string(),
            format!("not a URL ({e}); check the configured endpoint"),
        )
    })?;
    {
        let mut path = u.path_segments_mut().map_err(|()| {
            ApiError::new(
                ApiErrorKind::Transport,
                base.to_string(),
                "this URL cannot have a path",
            )
        })?;
        path.pop_if_empty();
        for s in segments {
            for part in s.split('/') {
                path.push(&part.replace(LITERAL_SLASH, "/"));
            }
        }
    }
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query);
    }
    Ok(u.to_string())
}

/// Stands for a `/` inside a name while [`url`] splits its segments on `/`; pushed back as
/// `/`, which the URL encoder then writes as `%2F`.
const LITERAL_SLASH: char = '\u{1f}';

/// A name as one path segment, even when it holds a `/`.
fn seg(s: &str) -> String {
    s.replace('/', &LITERAL_SLASH.to_string())
}

impl ConfluentClient {
    pub fn new() -> Result<Self, ApiError> {
        Self::with_parts(Budget::new(), Arc::new(TokioSleeper))
    }

    /// A client with its own budget and sleeper (tests).
    pub fn with_parts(budget: Budget, sleeper: Arc<dyn Sleeper>) -> Result<Self, ApiError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(http::CONNECT_TIMEOUT)
            .build()
            .map_err(|e| {
                ApiError::new(ApiErrorKind::Transport, "setting up HTTPS", e.to_string())
            })?;
        Ok(Self {
            http: Arc::new(Http {
                client,
                timeout: http::REQUEST_TIMEOUT,
                budget: Arc::new(budget),
                sleeper,
            }),
            unknown: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    /// Give up on one request after `timeout` (the default is 30 s).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Self {
        let http = Http {
            client: self.http.client.clone(),
            timeout,
            budget: Arc::clone(&self.http.budget),
            sleeper: Arc::clone(&self.http.sleeper),
        };
        Self {
            http: Arc::new(http),
            ..self
        }
    }

    fn note_phase(&self, what: &str, phase: &str, known: &[&str]) {
        if phase.is_empty() || known.contains(&phase) {
            return;
        }
        let mut seen = self.unknown.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.insert(format!("{what}:{phase}")) {
            tracing::warn!(
                resource = what,
                phase,
                "unknown phase from the API, treated as pending"
            );
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        scope: &Scope,
        call: Call,
    ) -> Result<T, ApiError> {
        let reply = self.http.send(scope, &call).await?;
        reply.json(&call)
    }

    /// Every item of a v2 list, following `metadata.next`.
    pub async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        scope: &Scope,
        first: String,
        key: KeyKind,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(u) = next.take() {
            pages += 1;
            let page: wire::Page<T> = self.get_json(scope, Call::get(u, key)).await?;
            next = page.next().map(str::to_string);
            out.extend(page.data);
            if pages >= MAX_PAGES {
                break;
            }
        }
        Ok(out)
    }

    fn connect_url(
        &self,
        scope: &Scope,
        tail: &[&str],
        query: &[(&str, &str)],
    ) -> Result<String, ApiError> {
        let env = need(&scope.environment, "environment", "Connect")?;
        let cluster = need(&scope.cluster, "cluster", "Connect")?;
        let mut segments = vec!["connect/v1/environments", env, "clusters", cluster];
        segments.extend_from_slice(tail);
        url(&scope.api_url, &segments, query)
    }

    fn flink_url(
        &self,
        scope: &Scope,
        tail: &[&str],
        query: &[(&str, &str)],
    ) -> Result<String, ApiError> {
        let base = need(&scope.flink_url, "flink_url", "Flink SQL")?;
        let org = need(&scope.organization, "organization", "Flink SQL")?;
        let env = need(&scope.environment, "environment", "Flink SQL")?;
        let mut segments = vec!["sql/v1/organizations", org, "environments", env];
        segments.extend_from_slice(tail);
        url(base, &segments, query)
    }

    fn kafka_url(&self, scope: &Scope, tail: &[&str]) -> Result<String, ApiError> {
        let base = need(&scope.kafka_rest_url, "kafka_rest_url", "Kafka REST")?;
        let cluster = need(&scope.cluster, "cluster", "Kafka REST")?;
        let mut segments = vec!["kafka/v3/clusters", cluster];
        segments.extend_from_slice(tail);
        url(base, &segments, &[])
    }

    fn sr_call(
        &self,
        scope: &Scope,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Call, ApiError> {
        let base = need(
            &scope.schema_registry_url,
            "schema_registry_url",
            "Schema Registry",
        )?;
        let mut call = Call::with(
            method,
            url(base, segments, query)?,
            KeyKind::SchemaRegistry,
            body,
        );
        call.accept = Some(SR_ACCEPT);
        Ok(call)
    }

    /// Environments the Cloud key can see (first page; a cheap "is the key valid" call).
    pub async fn environments(&self, scope: &Scope) -> Result<Vec<(String, String)>, ApiError> {
        let u = url(
            &scope.api_url,
            &["org/v2/environments"],
            &[("page_size", "100")],
        )?;
        let envs: Vec<wire::Environment> = self.list_all(scope, u, KeyKind::Cloud).await?;
        Ok(envs
            .into_iter()
            .map(|e| (e.id, e.display_name.unwrap_or_default()))
            .collect())
    }

    pub async fn kafka_clusters(&self, scope: &Scope) -> Result<Vec<KafkaCluster>, ApiError> {
        let env = need(&scope.environment, "environment", "list clusters")?;
        let u = url(
            &scope.api_url,
            &["cmk/v2/clusters"],
            &[("environment", env), ("page_size", "100")],
        )?;
        let all: Vec<wire::Cluster> = self.list_all(scope, u, KeyKind::Cloud).await?;
        Ok(all.into_iter().map(cluster).collect())
    }

    pub async fn compute_pools(&self, scope: &Scope) -> Result<Vec<ComputePool>, ApiError> {
        let env = need(&scope.environment, "environment", "list compute pools")?;
        let u = url(
            &scope.api_url,
            &["fcpm/v2/compute-pools"],
            &[("environment", env), ("page_size", "100")],
        )?;
        let all: Vec<wire::ComputePool> = self.list_all(scope, u, KeyKind::Cloud).await?;
        Ok(all.into_iter().map(pool).collect())
    }

    /// The environment's Schema Registry (srcm/v3, whichever way it was created).
    pub async fn schema_registry_cluster(
        &self,
        scope: &Scope,
    ) -> Result<Option<wire::SchemaRegistryCluster>, ApiError> {
        let env = need(&scope.environment, "environment", "Schema Registry cluster")?;
        let u = url(
            &scope.api_url,
            &["srcm/v3/clusters"],
            &[("environment", env)],
        )?;
        let all: Vec<wire::SchemaRegistryCluster> = self.list_all(scope, u, KeyKind::Cloud).await?;
        Ok(all.into_iter().next())
    }

    pub async fn service_accounts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<wire::ServiceAccount>, ApiError> {
        let u = url(
            &scope.api_url,
            &["iam/v2/service-accounts"],
            &[("page_size", "100")],
        )?;
        self.list_all(scope, u, KeyKind::Cloud).await
    }

    pub async fn api_keys(
        &self,
        scope: &Scope,
        owner: &str,
    ) -> Result<Vec<wire::ApiKey>, ApiError> {
        let u = url(
            &scope.api_url,
            &["iam/v2/api-keys"],
            &[("spec.owner", owner), ("page_size", "100")],
        )?;
        self.list_all(scope, u, KeyKind::Cloud).await
    }

    pub async fn role_bindings(
        &self,
        scope: &Scope,
        crn_pattern: &str,
    ) -> Result<Vec<wire::RoleBinding>, ApiError> {
        let u = url(
            &scope.api_url,
            &["iam/v2/role-bindings"],
            &[("crn_pattern", crn_pattern), ("page_size", "100")],
        )?;
        self.list_all(scope, u, KeyKind::Cloud).await
    }

    pub async fn topics(&self, scope: &Scope) -> Result<Vec<Topic>, ApiError> {
        let u = self.kafka_url(scope, &["topics"])?;
        let page: wire::Page<wire::Topic> =
            self.get_json(scope, Call::get(u, KeyKind::Kafka)).await?;
        Ok(page.data.into_iter().map(topic).collect())
    }

    /// A topic's partitions (how many a sampler reads).
    pub async fn partitions(
        &self,
        scope: &Scope,
        topic_name: &str,
    ) -> Result<Vec<wire::Partition>, ApiError> {
        let u = self.kafka_url(scope, &["topics", &seg(topic_name), "partitions"])?;
        let page: wire::Page<wire::Partition> =
            self.get_json(scope, Call::get(u, KeyKind::Kafka)).await?;
        Ok(page.data)
    }

    pub async fn schema_by_id(&self, scope: &Scope, id: u32) -> Result<SchemaVersion, ApiError> {
        let id_text = id.to_string();
        let call = self.sr_call(scope, Method::GET, &["schemas/ids", &id_text], &[], None)?;
        let v: wire::SchemaVersion = self.get_json(scope, call).await?;
        Ok(schema(v, "", Some(id)))
    }

    pub async fn statements(&self, scope: &Scope) -> Result<Vec<Statement>, ApiError> {
        let pool = scope.compute_pool.clone().unwrap_or_default();
        let mut query = vec![("page_size", "100")];
        if !pool.is_empty() {
            query.push(("spec.compute_pool_id", pool.as_str()));
        }
        let u = self.flink_url(scope, &["statements"], &query)?;
        let all: Vec<wire::Statement> = self.list_all(scope, u, KeyKind::Flink).await?;
        Ok(all.into_iter().map(|s| self.statement_of(s)).collect())
    }

    /// Stop a running statement (`spec.stopped = true`); it can be resumed later.
    pub async fn stop_statement(&self, scope: &Scope, name: &str) -> Result<(), ApiError> {
        let u = self.flink_url(scope, &["statements", &seg(name)], &[])?;
        let mut current: Value = self
            .get_json(scope, Call::get(u.clone(), KeyKind::Flink))
            .await?;
        if let Some(spec) = current.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("stopped".into(), Value::Bool(true));
        }
        if let Some(obj) = current.as_object_mut() {
            obj.remove("status");
        }
        self.http
            .send(
                scope,
                &Call::with(Method::PUT, u, KeyKind::Flink, Some(current)),
            )
            .await
            .map(|_| ())
    }

    /// Records (or bytes) per topic over the last `minutes`, from the Metrics API
    /// (`io.confluent.kafka.server/received_records`, `…/sent_bytes`, …).
    pub async fn topic_metric(
        &self,
        scope: &Scope,
        metric: &str,
        minutes: u32,
    ) -> Result<BTreeMap<String, f64>, ApiError> {
        let cluster = need(&scope.cluster, "cluster", "Metrics")?;
        self.metric_by(
            scope,
            metric,
            minutes,
            ("resource.kafka.id", cluster),
            "metric.topic",
        )
        .await
    }

    /// A connector's records (or bytes) over the last `minutes`
    /// (`io.confluent.kafka.connect/sent_records`, `…/received_records`, …); `connector_id` is
    /// the `lcc-` id.
    pub async fn connector_metric(
        &self,
        scope: &Scope,
        connector_id: &str,
        metric: &str,
        minutes: u32,
    ) -> Result<f64, ApiError> {
        let filter = ("resource.connector.id", connector_id);
        let by = self
            .metric_by(scope, metric, minutes, filter, "resource.connector.id")
            .await?;
        Ok(by.values().sum())
    }

    /// One Metrics API query: `metric` over the last `minutes`, filtered on a resource and
    /// summed per value of `group_by` (FLAT points and GROUPED series alike).
    async fn metric_by(
        &self,
        scope: &Scope,
        metric: &str,
        minutes: u32,
        filter: (&str, &str),
        group_by: &str,
    ) -> Result<BTreeMap<String, f64>, ApiError> {
        let u = url(&scope.metrics_url, &["v2/metrics/cloud/query"], &[])?;
        // Metrics lag about five minutes: the window ends then, so it is complete.
        let now = chrono_like_now_minus(5);
        let start = chrono_like_now_minus(5 + u64::from(minutes));
        let body = json!({
            "aggregations": [{"metric": metric}],
            "filter": {"field": filter.0, "op": "EQ", "value": filter.1},
            "group_by": [group_by],
            "granularity": "ALL",
            "intervals": [format!("{start}/{now}")],
            "limit": 1000,
        });
        let call = Call::with(Method::POST, u, KeyKind::Cloud, Some(body));
        let response: wire::MetricsResponse = self.http.send(scope, &call).await?.json(&call)?;
        let mut out = BTreeMap::new();
        for point in response.data {
            let Some(Value::String(key)) = point.labels.get(group_by) else {
                continue;
            };
            let grouped: f64 = point.points.iter().flatten().filter_map(|p| p.value).sum();
            *out.entry(key.clone()).or_insert(0.0) += point.value.unwrap_or(0.0) + grouped;
        }
        Ok(out)
    }

    fn statement_of(&self, s: wire::Statement) -> Statement {
        let phase = s.status.phase.unwrap_or_default();
        self.note_phase(
            "statement",
            &phase,
            &[
                "PENDING",
                "RUNNING",
                "COMPLETED",
                "DELETING",
                "FAILING",
                "FAILED",
                "STOPPING",
                "STOPPED",
                "DEGRADED",
            ],
        );
        let traits = s.status.traits.unwrap_or_default();
        let columns = traits
            .schema
            .or(s.status.result_schema)
            .map(|schema| schema.columns.into_iter().map(column).collect())
            .unwrap_or_default();
        Statement {
            name: s.name,
            sql: s.spec.statement.unwrap_or_default(),
            compute_pool: s.spec.compute_pool_id,
            phase,
            detail: s.status.detail.unwrap_or_default(),
            is_bounded: traits.is_bounded,
            sql_kind: traits.sql_kind,
            stopped: s.spec.stopped.unwrap_or(false),
            columns,
        }
    }
}

/// RFC 3339 UTC time `minutes` ago, whole minutes (what the Metrics API intervals want).
fn chrono_like_now_minus(minutes: u64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(minutes * 60);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs - secs % 60);
    humantime::format_rfc3339_seconds(t).to_string()
}

fn cluster(c: wire::Cluster) -> KafkaCluster {
    KafkaCluster {
        display_name: c.spec.display_name.unwrap_or_default(),
        phase: c.status.phase.unwrap_or_default(),
        bootstrap_endpoint: c.spec.kafka_bootstrap_endpoint,
        rest_endpoint: c.spec.http_endpoint,
        id: c.id,
    }
}

fn pool(p: wire::ComputePool) -> ComputePool {
    ComputePool {
        display_name: p.spec.display_name.unwrap_or_default(),
        phase: p.status.phase.unwrap_or_default(),
        current_cfu: p.status.current_cfu,
        max_cfu: p.spec.max_cfu,
        id: p.id,
    }
}

fn topic(t: wire::Topic) -> Topic {
    Topic {
        name: t.topic_name,
        partitions: t.partitions_count.unwrap_or(0),
        replication_factor: t.replication_factor.unwrap_or(0),
        internal: t.is_internal.unwrap_or(false),
    }
}

fn schema(v: wire::SchemaVersion, subject: &str, id: Option<u32>) -> SchemaVersion {
    SchemaVersion {
        subject: v.subject.unwrap_or_else(|| subject.to_string()),
        version: v.version.unwrap_or(0),
        id: v.id.or(id).unwrap_or(0),
        schema_type: v.schema_type.unwrap_or_else(|| "AVRO".to_string()),
        schema: v.schema.unwrap_or_default(),
    }
}

fn column(c: wire::Column) -> StatementColumn {
    let t = c.data_type;
    let base = t.kind.unwrap_or_default();
    let data_type = match (t.precision, t.scale, t.length) {
        (Some(p), Some(s), _) => format!("{base}({p}, {s})"),
        (_, _, Some(l)) => format!("{base}({l})"),
        _ => base,
    };
    StatementColumn {
        name: c.name,
        data_type,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn connector_status(s: wire::ConnectorStatus, name: &str) -> ConnectorStatus {
    ConnectorStatus {
        name: s.name.unwrap_or_else(|| name.to_string()),
        kind: s.kind.unwrap_or_default(),
        state: s.connector.state.unwrap_or_default(),
        trace: s.connector.trace.unwrap_or_default(),
        tasks: s
            .tasks
            .unwrap_or_default()
            .into_iter()
            .map(|t| ConnectorTask {
                id: t
                    .id
                    .as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .unwrap_or(0),
                state: t.state.unwrap_or_default(),
                msg: t.msg.filter(|m| !m.is_empty()),
            })
            .collect(),
        validation_errors: s
            .validation_errors
            .unwrap_or_default()
            .iter()
            .map(text)
            .collect(),
    }
}

/// Catalog entity (type, qualified name) of a tag target.
async fn entity(
    client: &ConfluentClient,
    scope: &Scope,
    target: &TagTarget,
) -> Result<(&'static str, String), ApiError> {
    let cluster = need(&scope.cluster, "cluster", "Stream Catalog")?;
    let sr = client
        .schema_registry_cluster(scope)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ApiErrorKind::NotFound,
                "srcm/v3 clusters",
                "the environment has no Schema Registry",
            )
        })?;
    Ok(match target {
        TagTarget::Topic(t) => ("kafka_topic", format!("{}:{cluster}:{t}", sr.id)),
        TagTarget::Subject(s) => {
            let latest = client.latest_schema(scope, s).await?;
            ("sr_schema", format!("{}:.:{}", sr.id, latest.id))
        }
    })
}

impl ConfluentApi for ConfluentClient {
    fn kafka_cluster<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<KafkaCluster, ApiError>> {
        async move {
            let env = need(&scope.environment, "environment", "read the Kafka cluster")?;
            let id = need(&scope.cluster, "cluster", "read the Kafka cluster")?;
            let u = url(
                &scope.api_url,
                &["cmk/v2/clusters", id],
                &[("environment", env)],
            )?;
            let c: wire::Cluster = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let c = cluster(c);
            self.note_phase(
                "cluster",
                &c.phase,
                &["PROVISIONING", "PROVISIONED", "FAILED"],
            );
            Ok(c)
        }
        .boxed()
    }

    fn compute_pool<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<ComputePool, ApiError>> {
        async move {
            let env = need(&scope.environment, "environment", "read the compute pool")?;
            let id = need(&scope.compute_pool, "compute_pool", "read the compute pool")?;
            let u = url(
                &scope.api_url,
                &["fcpm/v2/compute-pools", id],
                &[("environment", env)],
            )?;
            let p: wire::ComputePool = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let p = pool(p);
            self.note_phase(
                "compute pool",
                &p.phase,
                &["PROVISIONING", "PROVISIONED", "FAILED", "DEPROVISIONING"],
            );
            Ok(p)
        }
        .boxed()
    }

    fn connector_status<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<ConnectorStatus, ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "status"], &[])?;
            let s: wire::ConnectorStatus =
                self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let s = connector_status(s, connector);
            self.note_phase(
                "connector",
                &s.state,
                &[
                    "NONE",
                    "PROVISIONING",
                    "RUNNING",
                    "DEGRADED",
                    "FAILED",
                    "PAUSED",
                    "DELETED",
                    "RESTARTING",
                ],
            );
            Ok(s)
        }
        .boxed()
    }

    fn connectors<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<Vec<ConnectorSummary>, ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors"], &[("expand", "info,status,id")])?;
            let all: BTreeMap<String, wire::ExpandedConnector> =
                self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            Ok(all
                .into_iter()
                .map(|(name, c)| {
                    let info = c.info.unwrap_or_default();
                    ConnectorSummary {
                        id: c.id.and_then(|i| i.id),
                        kind: info.kind.clone().unwrap_or_default(),
                        config: info
                            .config
                            .iter()
                            .map(|(k, v)| (k.clone(), text(v)))
                            .collect(),
                        status: c.status.map(|s| connector_status(s, &name)),
                        name,
                    }
                })
                .collect())
        }
        .boxed()
    }

    fn create_connector<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors"], &[])?;
            // Connect wants the name inside the config too.
            let mut config = config.clone();
            config
                .entry("name".to_string())
                .or_insert_with(|| name.to_string());
            let body = json!({"name": name, "config": config});
            self.http
                .send(
                    scope,
                    &Call::with(Method::POST, u, KeyKind::Cloud, Some(body)),
                )
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn delete_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn pause_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "pause"], &[])?;
            self.http
                .send(scope, &Call::with(Method::PUT, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn resume_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "resume"], &[])?;
            self.http
                .send(scope, &Call::with(Method::PUT, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn validate_connector_config<'a>(
        &'a self,
        scope: &'a Scope,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<ConfigValidation, ApiError>> {
        async move {
            let class = config.get("connector.class").ok_or_else(|| {
                ApiError::new(
                    ApiErrorKind::Invalid,
                    "validate connector config",
                    "the config has no connector.class",
                )
            })?;
            let u = self.connect_url(
                scope,
                &["connector-plugins", &seg(class), "config/validate"],
                &[],
            )?;
            let call = Call::with(Method::PUT, u, KeyKind::Cloud, Some(json!(config)));
            let v: wire::Validation = self.get_json(scope, call).await?;
            Ok(ConfigValidation {
                error_count: v.error_count,
                errors: v
                    .configs
                    .into_iter()
                    .flat_map(|c| {
                        let name = c.value.name.unwrap_or_default();
                        c.value
                            .errors
                            .into_iter()
                            .map(move |e| format!("{name}: {e}"))
                    })
                    .collect(),
            })
        }
        .boxed()
    }

    fn topic<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Topic>, ApiError>> {
        async move {
            let u = self.kafka_url(scope, &["topics", &seg(name)])?;
            match self
                .get_json::<wire::Topic>(scope, Call::get(u, KeyKind::Kafka))
                .await
            {
                Ok(t) => Ok(Some(topic(t))),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn subject_versions<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u32>>, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["subjects", &seg(subject), "versions"],
                &[],
                None,
            )?;
            match self.get_json::<Vec<u32>>(scope, call).await {
                Ok(mut v) => {
                    v.sort_unstable();
                    Ok(Some(v))
                }
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn schema_by_id<'a>(
        &'a self,
        scope: &'a Scope,
        id: u32,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>> {
        ConfluentClient::schema_by_id(self, scope, id).boxed()
    }

    fn latest_schema<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["subjects", &seg(subject), "versions/latest"],
                &[],
                None,
            )?;
            let v: wire::SchemaVersion = self.get_json(scope, call).await?;
            Ok(schema(v, subject, None))
        }
        .boxed()
    }

    fn subject_compatibility<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<String, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["config", &seg(subject)],
                &[("defaultToGlobal", "true")],
                None,
            )?;
            let c: wire::SrConfig = self.get_json(scope, call).await?;
            Ok(c.compatibility_level
                .or(c.compatibility)
                .unwrap_or_else(|| "BACKWARD".to_string()))
        }
        .boxed()
    }

    fn statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Statement>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name)], &[])?;
            match self
                .get_json::<wire::Statement>(scope, Call::get(u, KeyKind::Flink))
                .await
            {
                Ok(s) => Ok(Some(self.statement_of(s))),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn create_statement<'a>(
        &'a self,
        scope: &'a Scope,
        statement: &'a NewStatement,
    ) -> BoxFuture<'a, Result<Statement, ApiError>> {
        async move {
            let pool = need(&scope.compute_pool, "compute_pool", "submit a statement")?;
            let u = self.flink_url(scope, &["statements"], &[])?;
            let mut properties = statement.properties.clone();
            if let Some(catalog) = &scope.flink_catalog {
                properties.insert("sql.current-catalog".into(), catalog.clone());
            }
            if let Some(database) = &scope.flink_database {
                properties.insert("sql.current-database".into(), database.clone());
            }
            let mut spec = json!({
                "statement": statement.sql,
                "properties": properties,
                "compute_pool_id": pool,
                "stopped": false,
            });
            if let (Some(principal), Some(obj)) = (&scope.principal, spec.as_object_mut()) {
                obj.insert("principal".into(), json!(principal));
            }
            let body = json!({"name": statement.name, "spec": spec});
            let call = Call::with(Method::POST, u, KeyKind::Flink, Some(body));
            let s: wire::Statement = self.get_json(scope, call).await?;
            Ok(self.statement_of(s))
        }
        .boxed()
    }

    fn statement_results<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        page: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ResultsPage, ApiError>> {
        async move {
            // `next` is an absolute URL; the first page is built from the scope.
            let u = match page {
                Some(next) => next.to_string(),
                None => self.flink_url(scope, &["statements", &seg(name), "results"], &[])?,
            };
            let r: wire::StatementResult =
                self.get_json(scope, Call::get(u, KeyKind::Flink)).await?;
            Ok(ResultsPage {
                rows: r
                    .results
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| ResultRow {
                        op: row.op.unwrap_or(0),
                        cells: row.row,
                    })
                    .collect(),
                next: r.metadata.next.filter(|n| !n.is_empty()),
            })
        }
        .boxed()
    }

    fn statement_exceptions<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StatementException>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name), "exceptions"], &[])?;
            let page: wire::Page<wire::StatementException> =
                self.get_json(scope, Call::get(u, KeyKind::Flink)).await?;
            Ok(page
                .data
                .into_iter()
                .map(|e| StatementException {
                    name: e.name.unwrap_or_default(),
                    message: e.message.unwrap_or_default(),
                    timestamp: e.timestamp,
                })
                .collect())
        }
        .boxed()
    }

    fn delete_statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Flink, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<FlinkConnection>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections", &seg(name)], &[])?;
            match self
                .get_json::<wire::Connection>(scope, Call::get(u, KeyKind::Flink))
                .await
            {
                Ok(c) => Ok(Some(FlinkConnection {
                    name: c.name,
                    connection_type: c.spec.connection_type.unwrap_or_default(),
                    endpoint: c.spec.endpoint.unwrap_or_default(),
                    phase: c.status.and_then(|s| s.phase),
                })),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn create_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        connection: &'a NewFlinkConnection,
    ) -> BoxFuture<'a, Result<FlinkConnection, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections"], &[])?;
            // The provider's key travels as opaque base64 bytes of a JSON token, as the spec says.
            let token = json!({"api_key": connection.api_key}).to_string();
            let body = json!({
                "name": connection.name,
                "spec": {
                    "connection_type": connection.connection_type,
                    "endpoint": connection.endpoint,
                    "auth_data": {
                        "kind": "PlaintextProvider",
                        "data": base64::engine::general_purpose::STANDARD.encode(token),
                    },
                },
            });
            let call = Call::with(Method::POST, u, KeyKind::Flink, Some(body));
            let c: wire::Connection = self.get_json(scope, call).await?;
            Ok(FlinkConnection {
                name: c.name,
                connection_type: c.spec.connection_type.unwrap_or_default(),
                endpoint: c.spec.endpoint.unwrap_or_default(),
                phase: c.status.and_then(|s| s.phase),
            })
        }
        .boxed()
    }

    fn delete_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections", &seg(name)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Flink, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn tag<'a>(
        &'a self,
        scope: &'a Scope,
        tag: &'a str,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let defined = self.sr_call(scope, Method::GET, &["catalog/v1/types/tagdefs", &seg(tag)], &[], None)?;
            match self.http.send(scope, &defined).await {
                Ok(_) => {}
                Err(e) if e.kind == ApiErrorKind::NotFound => {
                    let body = json!([{"name": tag, "description": format!("{tag} (created by cdc-workshop)"), "entityTypes": ["cf_entity"]}]);
                    let create = self.sr_call(scope, Method::POST, &["catalog/v1/types/tagdefs"], &[], Some(body))?;
                    self.http.send(scope, &create).await?;
                }
                Err(e) => return Err(e),
            }
            let (entity_type, entity_name) = entity(self, scope, target).await?;
            let body = json!([{"typeName": tag, "entityType": entity_type, "entityName": entity_name}]);
            let bind = self.sr_call(scope, Method::POST, &["catalog/v1/entity/tags"], &[], Some(body))?;
            self.http.send(scope, &bind).await.map(|_| ())
        }
        .boxed()
    }

    fn tags_of<'a>(
        &'a self,
        scope: &'a Scope,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<Vec<String>, ApiError>> {
        async move {
            let (entity_type, entity_name) = entity(self, scope, target).await?;
            let call = self.sr_call(
                scope,
                Method::GET,
                &[
                    "catalog/v1/entity/type",
                    entity_type,
                    "name",
                    &seg(&entity_name),
                    "tags",
                ],
                &[],
                None,
            )?;
            match self.get_json::<Vec<wire::TagBinding>>(scope, call).await {
                Ok(tags) => Ok(tags.into_iter().filter_map(|t| t.type_name).collect()),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn environment<'a>(
        &'a self,
        scope: &'a Scope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(String, String), ApiError>> {
        async move {
            let u = url(&scope.api_url, &["org/v2/environments", id], &[])?;
            let e: wire::Environment = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            Ok((e.id, e.display_name.unwrap_or_default()))
        }
        .boxed()
    }
}
