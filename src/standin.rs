//! A stand-in for Confluent Cloud: one local HTTP server speaking the control plane, Connect,
//! Kafka REST, Schema Registry, the Stream Catalog, Flink SQL and the Metrics API, with the
//! state machines, error shapes, pagination and rate limiting of the real services. Tests run
//! against it; a rehearsal mode can serve it to the guide.
//!
//! Its answers are built from the official OpenAPI specs and checked against them by the
//! contract tests (`tests/standin_contract.rs`).
//!
//! With [`StandIn::start_kafka`] running source connectors write change events to an
//! in-process Kafka: a toy stream (module `kafka`), or, for the PostgreSQL and MySQL CDC
//! sources whose database can be reached, the real rows and changes of that database (module
//! `cdc`, tested against real PostgreSQL and MariaDB in `tests/standin_cdc.rs`). With an S3
//! endpoint as well ([`StandIn::with_s3_endpoint`]), a running `S3_SINK` connector writes the
//! Avro files of its topics to that S3 (module `s3_sink`, tested against moto in
//! `tests/standin_s3.rs`).

mod cdc;
mod connect;
mod control;
mod data;
mod flink;
mod module;
pub use module::CONFLUENT_MODULE;
mod respond;
mod s3_sink;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, Uri};
use base64::Engine as _;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::backend::confluent::{ApiKey, KeyKind};
use respond::{Api, Resp};
mod kafka;

pub use cdc::{CdcError, test_decoding_columns};
pub use kafka::SNAPSHOT_ROWS;
pub use world::{ConnectorPhase, Exchange, Fault, ScriptedResults, Timings, World};

/// Each running source's topics with the value schema the registry holds for them.
fn running_sources(shared: &Shared) -> Vec<kafka::SourceTopic> {
    let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let ctx = Ctx {
        base_url: shared.base_url.clone(),
        now: Instant::now(),
        timings: shared.timings,
    };
    connect::tick(&mut w, &ctx);
    connect::running_source_topics(&w, &ctx, |c| shared.plays.toy(c))
        .into_iter()
        .map(|topic| {
            let schema = connect::envelope_schema(&topic);
            let schema_id = w.register(&format!("{topic}-value"), &schema, None);
            kafka::SourceTopic {
                topic,
                schema,
                schema_id,
            }
        })
        .collect()
}

/// What a handler needs besides the world.
pub(crate) struct Ctx {
    pub base_url: String,
    pub now: Instant,
    pub timings: Timings,
}

struct Shared {
    world: Mutex<World>,
    base_url: String,
    timings: Timings,
    /// The CDC sources played against real databases (the toy feed leaves them alone).
    plays: cdc::Plays,
}

/// A running stand-in. Dropping it stops the server.
pub struct StandIn {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    /// Where a running S3 sink connector writes (moto, for tests and rehearsals).
    s3_endpoint: Option<String>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The ids of a ready-made workshop environment ([`StandIn::seed_workshop`]).
#[derive(Debug, Clone)]
pub struct SeededWorkshop {
    pub organization: String,
    pub environment: String,
    pub environment_name: String,
    pub cluster: String,
    pub cluster_name: String,
    pub schema_registry: String,
    pub compute_pool: String,
    pub service_account: String,
    pub cloud_key: ApiKey,
    pub kafka_key: ApiKey,
    pub schema_registry_key: ApiKey,
    pub flink_key: ApiKey,
}

impl SeededWorkshop {
    /// The guide's environment for this workshop served at `url`: every endpoint, the ids as
    /// the course variables the fixture course and rehearsals use, and the keys as
    /// `CDC_WORKSHOP_SECRET_*` values. Holds secrets: for env files and child processes only.
    pub fn guide_env(&self, url: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = [
            "CONFLUENT_API_URL",
            "METRICS_URL",
            "KAFKA_REST_URL",
            "SCHEMA_REGISTRY_URL",
            "FLINK_URL",
        ]
        .iter()
        .map(|n| (format!("CDC_WORKSHOP_{n}"), url.to_string()))
        .collect();
        for (name, value) in [
            ("ORGANIZATION", &self.organization),
            ("ENVIRONMENT", &self.environment),
            ("ENVIRONMENT_NAME", &self.environment_name),
            ("CLUSTER", &self.cluster),
            ("CLUSTER_NAME", &self.cluster_name),
            ("COMPUTE_POOL", &self.compute_pool),
            ("PRINCIPAL", &self.service_account),
            ("CONNECTOR_SERVICE_ACCOUNT", &self.service_account),
            ("SECRET_CLOUD_KEY", &self.cloud_key.key),
            ("SECRET_CLOUD_SECRET", &self.cloud_key.secret),
            ("SECRET_KAFKA_KEY", &self.kafka_key.key),
            ("SECRET_KAFKA_SECRET", &self.kafka_key.secret),
            ("SECRET_SR_KEY", &self.schema_registry_key.key),
            ("SECRET_SR_SECRET", &self.schema_registry_key.secret),
            ("SECRET_FLINK_KEY", &self.flink_key.key),
            ("SECRET_FLINK_SECRET", &self.flink_key.secret),
        ] {
            out.push((format!("CDC_WORKSHOP_{name}"), value.clone()));
        }
        out
    }
}

impl StandIn {
    /// Serve on 127.0.0.1 on a free port.
    pub async fn start(timings: Timings) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), timings).await
    }

    pub async fn start_on(addr: SocketAddr, timings: Timings) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let world = World {
            org: "a1b2c3d4-0000-4000-8000-00000000cafe".to_string(),
            global_compatibility: "BACKWARD".to_string(),
            next_schema_id: 100_000,
            ..World::default()
        };
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            base_url,
            timings,
            plays: cdc::Plays::default(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "the stand-in stopped");
            }
        });
        Ok(Self {
            shared,
            addr,
            stop: Some(stop),
            s3_endpoint: None,
        })
    }

    /// `http://127.0.0.1:<port>`: every API lives under it.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Let RUNNING `S3_SINK` connectors write their files to the S3 at `url` (path-style, with
    /// the connector's own key and region) once [`StandIn::start_kafka`] runs; without it they
    /// run and write nothing.
    pub fn with_s3_endpoint(mut self, url: impl Into<String>) -> Self {
        self.s3_endpoint = Some(url.into());
        self
    }

    /// Start an in-process Kafka (librdkafka's mock cluster) that running source connectors
    /// write change events to, one toy round every `every`, until the stand-in is dropped; a
    /// PostgreSQL or MySQL CDC source whose database can be reached is played against it
    /// instead (see the `cdc` module). Returns its bootstrap address.
    pub fn start_kafka(&self, every: Duration) -> Result<String, String> {
        let shared = Arc::downgrade(&self.shared);
        let (tx, rx) = std::sync::mpsc::channel();
        let (topic_tx, topic_rx) = std::sync::mpsc::channel::<cdc::TopicRequest>();
        std::thread::Builder::new()
            .name("standin-kafka".into())
            .spawn(move || {
                let mut feed = match kafka::ChangeFeed::start() {
                    Ok(f) => {
                        let _ = tx.send(Ok(f.bootstrap()));
                        f
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    // Topic requests of the played sources are served between rounds: only
                    // this thread may touch the mock cluster.
                    let due = std::time::Instant::now() + every;
                    loop {
                        let left = due.saturating_duration_since(std::time::Instant::now());
                        match topic_rx.recv_timeout(left) {
                            Ok((topic, reply)) => {
                                let _ = reply.send(feed.create_topic(&topic));
                            }
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                                std::thread::sleep(left);
                                break;
                            }
                        }
                    }
                    let Some(shared) = shared.upgrade() else {
                        break;
                    };
                    let running = running_sources(&shared);
                    drop(shared);
                    feed.round(running);
                }
            })
            .map_err(|e| format!("cannot start the in-process Kafka: {e}"))?;
        let bootstrap = rx
            .recv()
            .map_err(|_| "the in-process Kafka did not start".to_string())??;
        if let Err(e) = cdc::start(Arc::downgrade(&self.shared), &bootstrap, topic_tx) {
            // The toy stream still runs for every source.
            tracing::warn!(error = %e, "the stand-in cannot play CDC sources against databases");
        }
        // RUNNING Flink statements of the supported subset move data on it.
        flink::start_jobs(Arc::downgrade(&self.shared), bootstrap.clone())?;
        if let Some(endpoint) = &self.s3_endpoint {
            s3_sink::start(
                Arc::downgrade(&self.shared),
                bootstrap.clone(),
                endpoint.clone(),
            )?;
        }
        Ok(bootstrap)
    }

    /// Look at or change the world directly (seeding, assertions).
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut w = self
            .shared
            .world
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut w)
    }

    pub fn org_id(&self) -> String {
        self.with_world(|w| w.org.clone())
    }

    /// A key of `kind` owned by `owner`, for `resource`, usable at once.
    pub fn seed_api_key(
        &self,
        kind: KeyKind,
        owner: &str,
        resource: Option<&str>,
        env: Option<&str>,
    ) -> ApiKey {
        self.with_world(|w| {
            let id = w.key_id();
            let secret = format!("{}{}", id.to_lowercase(), "Zq9".repeat(16));
            w.api_keys.insert(
                id.clone(),
                world::ApiKeyRecord {
                    id: id.clone(),
                    secret: secret.clone(),
                    kind,
                    owner: owner.to_string(),
                    resource: resource.map(String::from),
                    env: env.map(String::from),
                    display_name: format!("{kind:?} key"),
                    usable_from: Instant::now(),
                },
            );
            ApiKey { key: id, secret }
        })
    }

    /// An environment with a PROVISIONED Basic cluster, an ADVANCED Schema Registry, a compute
    /// pool, a service account and one key of each family: what the ccloud-cluster module makes.
    pub fn seed_workshop(&self) -> SeededWorkshop {
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(3600))
            .unwrap_or_else(Instant::now);
        let (org, env, cluster, sr, pool, sa) = self.with_world(|w| {
            let env = w.id("env");
            let cluster = w.id("lkc");
            let sr = w.id("lsrc");
            let pool = w.id("lfcp");
            let sa = w.id("sa");
            w.environments.insert(
                env.clone(),
                world::Environment {
                    id: env.clone(),
                    display_name: "cdc-workshop-1a2b".into(),
                    package: Some("ADVANCED".into()),
                    created: long_ago,
                },
            );
            w.clusters.insert(
                cluster.clone(),
                world::Cluster {
                    id: cluster.clone(),
                    env: env.clone(),
                    display_name: "cc_aws_cluster-1a2b".into(),
                    cloud: "AWS".into(),
                    region: "eu-central-1".into(),
                    created: long_ago,
                    phase: None,
                },
            );
            w.schema_registries.insert(
                sr.clone(),
                world::SchemaRegistry {
                    id: sr.clone(),
                    env: env.clone(),
                    package: "ADVANCED".into(),
                    created: long_ago,
                },
            );
            w.compute_pools.insert(
                pool.clone(),
                world::ComputePool {
                    id: pool.clone(),
                    env: env.clone(),
                    display_name: "cdc_flink_pool-1a2b".into(),
                    cloud: "AWS".into(),
                    region: "eu-central-1".into(),
                    max_cfu: 10,
                    created: long_ago,
                },
            );
            w.service_accounts.insert(
                sa.clone(),
                world::ServiceAccount {
                    id: sa.clone(),
                    display_name: "cmapp-manager-1a2b".into(),
                    description: "runs the workshop".into(),
                },
            );
            (w.org.clone(), env, cluster, sr, pool, sa)
        });
        SeededWorkshop {
            cloud_key: self.seed_api_key(KeyKind::Cloud, &sa, None, None),
            kafka_key: self.seed_api_key(KeyKind::Kafka, &sa, Some(&cluster), Some(&env)),
            schema_registry_key: self.seed_api_key(
                KeyKind::SchemaRegistry,
                &sa,
                Some(&sr),
                Some(&env),
            ),
            flink_key: self.seed_api_key(KeyKind::Flink, &sa, Some("aws.eu-central-1"), Some(&env)),
            organization: org,
            environment_name: "cdc-workshop-1a2b".into(),
            cluster_name: "cc_aws_cluster-1a2b".into(),
            environment: env,
            cluster,
            schema_registry: sr,
            compute_pool: pool,
            service_account: sa,
        }
    }

    pub fn seed_topic(&self, cluster: &str, name: &str, partitions: u32) {
        self.with_world(|w| w.ensure_topic(cluster, name, partitions));
    }

    /// Give a connector (created later, by name) this life instead of the default one.
    pub fn script_connector(&self, name: &str, phases: Vec<ConnectorPhase>) {
        self.with_world(|w| {
            if let Some(c) = w.connectors.iter_mut().find(|c| c.name == name) {
                c.script = Some(phases.clone());
                c.created = Instant::now();
            }
            w.connector_scripts.insert(name.to_string(), phases);
        });
    }

    /// Rows for the statement whose name equals, or whose SQL contains, `matches`.
    pub fn script_results(&self, script: ScriptedResults) {
        self.with_world(|w| w.scripted_results.push(script));
    }

    /// The next `times` requests (to paths starting with `path_prefix`, if given) get `fault`.
    pub fn fail_next(&self, times: u32, path_prefix: Option<&str>, fault: Fault) {
        self.with_world(|w| {
            w.faults.push_back(world::FaultRule {
                path_prefix: path_prefix.map(String::from),
                fault,
                remaining: times,
            });
        });
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.with_world(|w| w.exchanges.clone())
    }

    pub fn clear_exchanges(&self) {
        self.with_world(|w| w.exchanges.clear());
    }
}

fn decode_basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (key, secret) = text.split_once(':')?;
    Some((key.to_string(), secret.to_string()))
}

/// Which key family authenticated the request, or the 401 to answer.
fn authenticate(
    w: &World,
    api: Api,
    path: &str,
    headers: &HeaderMap,
    now: Instant,
) -> Result<KeyKind, Resp> {
    let (key, secret) = decode_basic(headers).ok_or_else(|| respond::unauthorized(api))?;
    let record = w
        .api_keys
        .get(&key)
        .filter(|k| k.secret == secret)
        .ok_or_else(|| respond::unauthorized(api))?;
    if record.kind != api.key() || now < record.usable_from {
        return Err(respond::unauthorized(api));
    }
    // A Kafka key works only on its own cluster.
    if api == Api::KafkaRest {
        let cluster = path.trim_matches('/').split('/').nth(3).unwrap_or("");
        if record.resource.as_deref() != Some(cluster) {
            return Err(respond::error(
                api,
                403,
                "40301",
                "Request is not authorized",
            ));
        }
    }
    Ok(record.kind)
}

fn take_fault(w: &mut World, path: &str) -> Option<Fault> {
    let i = w.faults.iter().position(|f| {
        f.remaining > 0 && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
    })?;
    let rule = w.faults.get_mut(i)?;
    rule.remaining -= 1;
    let fault = rule.fault.clone();
    if rule.remaining == 0 {
        w.faults.remove(i);
    }
    Some(fault)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let query_text = uri.query().map(String::from);
    let query: Vec<(String, String)> = query_text.as_deref().map(url_pairs).unwrap_or_default();
    let request_body: Option<serde_json::Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let api = Api::of(&path);
    let fault = {
        let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        take_fault(&mut w, &path)
    };
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let now = Instant::now();
    let ctx = Ctx {
        base_url: shared.base_url.clone(),
        now,
        timings: shared.timings,
    };
    let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let mut key = None;
    let resp = match (api, fault) {
        (None, _) => Resp::json(
            404,
            &serde_json::json!({"error_code": 404, "message": format!("no API serves {path}")}),
        ),
        (Some(api), Some(Fault::RateLimited { retry_after_secs })) => {
            respond::rate_limited(api, retry_after_secs, &path)
        }
        (Some(api), Some(Fault::ServerError(status))) => respond::error(
            api,
            status,
            "internal_error",
            "the service is temporarily unavailable",
        ),
        (Some(api), _) => match authenticate(&w, api, &path, &headers, now) {
            Err(resp) => resp,
            Ok(kind) => {
                key = Some(kind);
                connect::tick(&mut w, &ctx);
                let m = method.as_str();
                match api {
                    Api::Control => control::handle(&mut w, &ctx, m, &path, &query, &request_body),
                    Api::Connect => connect::handle(&mut w, &ctx, m, &path, &query, &request_body),
                    Api::KafkaRest => data::kafka_rest(&mut w, &ctx, m, &path, &request_body),
                    Api::SchemaRegistry => {
                        data::schema_registry(&mut w, m, &path, &query, &request_body)
                    }
                    Api::Catalog => data::catalog(&mut w, &ctx, m, &path, &request_body),
                    Api::Metrics => data::metrics(&w, &path, &request_body),
                    Api::Flink => flink::handle(&mut w, &ctx, m, &path, &query, &request_body),
                }
            }
        },
    };
    w.exchanges.push(Exchange {
        method: method.to_string(),
        path: path.clone(),
        query: query_text,
        request_content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        request_body,
        status: resp.status,
        response_content_type: resp.content_type.map(String::from),
        response_body: resp.body.clone(),
        key,
    });
    drop(w);
    let mut builder = Response::builder().status(resp.status);
    if let Some(ct) = resp.content_type {
        builder = builder.header("content-type", ct);
    }
    for (name, value) in &resp.headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Body::from(resp.body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// `a=1&b=x%2Cy` → pairs, percent-decoded.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://q/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}
