//! [`ConfluentClient`]: the real [`ConfluentApi`] over HTTPS with one configured reqwest client.

mod api;
mod budget;
mod convert;
mod http;
pub mod wire;

use convert::{chrono_like_now_minus, cluster, column, pool, schema, topic};

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{Method, Url};
use serde_json::{Value, json};

pub use budget::{Budget, DEFAULT_REQUESTS_PER_MIN, METRICS_REQUESTS_PER_MIN};
use http::{Call, Http};
pub use http::{MAX_ATTEMPTS, Sleeper, TokioSleeper, error_details};

use super::{
    ApiError, ApiErrorKind, ComputePool, KafkaCluster, KeyKind, SchemaVersion, Scope, Statement,
    Topic,
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
