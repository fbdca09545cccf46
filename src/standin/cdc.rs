//! Real change data capture for the stand-in's PostgreSQL and MySQL CDC source connectors.
//!
//! When a `PostgresCdcSourceV2` or `MySqlCdcSourceV2` connector is RUNNING, the in-process Kafka
//! runs ([`super::StandIn::start_kafka`]) and the database its config names accepts a
//! connection, the stand-in plays that connector against the real database: the topics
//! `<topic.prefix>.<schema or database>.<table>` are created, each with a Debezium-shaped Avro
//! envelope registered as `<topic>-value`, a snapshot (`op = r`) is written, then every
//! committed insert, update and delete (`c`, `u`, `d`). Pausing the connector stops the
//! reading (resuming continues where it stopped); deleting it ends it. When the database
//! cannot be reached, the connector keeps the toy change stream of [`super::kafka`] (logged at
//! debug level); the reachability is probed once per connector.
//!
//! Simplifications, all documented where they live: PostgreSQL changes come from a logical
//! slot with the built-in `test_decoding` plugin (the real connector uses `pgoutput`), MySQL
//! changes from re-reading the tables (not the binlog), no tombstones follow deletes, the
//! connections are plain (no TLS) and the record key is the primary key as JSON text.

mod envelope;
mod mysql;
mod postgres;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use apache_avro::Schema;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use thiserror::Error;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use postgres::test_decoding_columns;

use super::world::{Connector, ConnectorPhase};
use super::{Ctx, Shared, connect};
use envelope::{Change, Origin, Table};

/// How often the supervisor looks at the connectors' states.
const SUPERVISE_EVERY: Duration = Duration::from_millis(200);
const PG_POLL: Duration = Duration::from_millis(500);
const MYSQL_POLL: Duration = Duration::from_secs(1);

/// What can go wrong while playing a connector.
#[derive(Debug, Error)]
pub enum CdcError {
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("the database refused {what}: {message}")]
    Database { what: String, message: String },
    #[error("column {column}: {text:?} is not a {kind}")]
    Value {
        column: String,
        text: String,
        kind: &'static str,
    },
    #[error("a change event does not fit its schema: {0}")]
    Avro(String),
    #[error("a test_decoding line was not understood: {0}")]
    Decoding(String),
    #[error("the in-process Kafka: {0}")]
    Kafka(String),
    #[error("the stand-in's CDC thread cannot start: {0}")]
    Thread(std::io::Error),
    #[error("the stand-in stopped")]
    Gone,
}

/// A request to the Kafka thread to create a topic in the mock cluster (only the thread that
/// made the cluster may touch it), answered when done.
pub(crate) type TopicRequest = (String, oneshot::Sender<Result<(), String>>);

/// Whether a connector class is played against its database when that can be reached.
fn played_class(class: &str) -> bool {
    matches!(class, "PostgresCdcSourceV2" | "MySqlCdcSourceV2")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Still connecting: neither the toy nor the real stream writes yet.
    Probing,
    Real,
    Toy,
}

/// Which connectors are played for real; the toy feed asks it before writing.
#[derive(Default)]
pub(crate) struct Plays {
    active: AtomicBool,
    modes: Mutex<HashMap<String, Mode>>,
}

impl Plays {
    /// Whether the toy feed writes for `c`: any class not played, or one whose database
    /// could not be reached (or every one when no supervisor runs).
    pub fn toy(&self, c: &Connector) -> bool {
        let class = c.config.get("connector.class").map_or("", String::as_str);
        if !played_class(class) || !self.active.load(Ordering::SeqCst) {
            return true;
        }
        self.modes().get(&c.id) == Some(&Mode::Toy)
    }

    fn modes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Mode>> {
        self.modes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, id: &str, mode: Mode) {
        self.modes().insert(id.to_string(), mode);
    }
}

/// A connector's config as the player reads it.
pub(crate) struct Settings {
    id: String,
    name: String,
    cluster: String,
    config: BTreeMap<String, String>,
}

impl Settings {
    fn of(c: &Connector) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            cluster: c.cluster.clone(),
            config: c.config.clone(),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.config
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn port(&self, default: u16) -> u16 {
        self.get("database.port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    }

    /// A comma-separated list setting.
    fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
    }

    fn class(&self) -> &str {
        self.get("connector.class").unwrap_or("")
    }
}

/// Start the supervisor on a thread of its own (with its own runtime, so the stand-in's HTTP
/// handlers and the caller's runtime never wait on a database).
pub(crate) fn start(
    shared: Weak<Shared>,
    bootstrap: &str,
    topics: std::sync::mpsc::Sender<TopicRequest>,
) -> Result<(), CdcError> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .map_err(|e| CdcError::Kafka(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CdcError::Thread)?;
    if let Some(s) = shared.upgrade() {
        s.plays.active.store(true, Ordering::SeqCst);
    }
    std::thread::Builder::new()
        .name("standin-cdc".into())
        .spawn(move || runtime.block_on(supervise(shared, producer, topics)))
        .map_err(CdcError::Thread)?;
    Ok(())
}

struct Playing {
    run: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Each played connector's settings and whether it is RUNNING now.
fn wanted(shared: &Shared) -> Vec<(Settings, bool)> {
    let w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let ctx = Ctx {
        base_url: shared.base_url.clone(),
        now: Instant::now(),
        timings: shared.timings,
    };
    w.connectors
        .iter()
        .filter(|c| {
            c.kind == "source"
                && played_class(c.config.get("connector.class").map_or("", String::as_str))
        })
        .map(|c| (Settings::of(c), connect::state(&ctx, c).0 == "RUNNING"))
        .collect()
}

/// Start a player for each connector that runs, tell players about pauses and resumes, end
/// the players of deleted connectors; ends with the stand-in.
async fn supervise(
    shared: Weak<Shared>,
    producer: FutureProducer,
    topics: std::sync::mpsc::Sender<TopicRequest>,
) {
    let mut playing: HashMap<String, Playing> = HashMap::new();
    loop {
        tokio::time::sleep(SUPERVISE_EVERY).await;
        let Some(strong) = shared.upgrade() else {
            break;
        };
        let wanted = wanted(&strong);
        playing.retain(|id, p| {
            let keep = wanted.iter().any(|(s, _)| s.id == *id);
            if !keep {
                p.task.abort();
                strong.plays.modes().remove(id);
            }
            keep
        });
        for (settings, running) in wanted {
            if let Some(p) = playing.get(&settings.id) {
                p.run.send_replace(running);
                continue;
            }
            if !running {
                continue;
            }
            strong.plays.set(&settings.id, Mode::Probing);
            let (run, run_rx) = watch::channel(true);
            let id = settings.id.clone();
            let player = Player {
                settings,
                shared: Weak::clone(&shared),
                producer: producer.clone(),
                topics: topics.clone(),
                run: run_rx,
            };
            let task = tokio::spawn(player.play());
            playing.insert(id, Playing { run, task });
        }
    }
    for p in playing.values() {
        p.task.abort();
    }
}

enum Source {
    Postgres(postgres::Postgres),
    MySql(mysql::MySql),
}

impl Source {
    async fn connect(s: &Settings) -> Result<Self, CdcError> {
        Ok(if s.class() == "PostgresCdcSourceV2" {
            Source::Postgres(postgres::Postgres::connect(s).await?)
        } else {
            Source::MySql(mysql::MySql::connect(s).await?)
        })
    }

    async fn prepare(&mut self, s: &Settings) -> Result<(), CdcError> {
        match self {
            Source::Postgres(p) => p.prepare(s).await,
            Source::MySql(m) => m.prepare(s).await,
        }
    }

    fn tables(&self) -> &[Table] {
        match self {
            Source::Postgres(p) => p.tables(),
            Source::MySql(m) => m.tables(),
        }
    }

    async fn snapshot(&mut self) -> Result<Vec<Change>, CdcError> {
        match self {
            Source::Postgres(p) => p.snapshot().await,
            Source::MySql(m) => m.snapshot().await,
        }
    }

    async fn poll(&mut self) -> Result<Vec<Change>, CdcError> {
        match self {
            Source::Postgres(p) => p.poll().await,
            Source::MySql(m) => m.poll().await,
        }
    }

    fn every(&self) -> Duration {
        match self {
            Source::Postgres(_) => PG_POLL,
            Source::MySql(_) => MYSQL_POLL,
        }
    }

    fn connector(&self) -> &'static str {
        match self {
            Source::Postgres(_) => "postgresql",
            Source::MySql(_) => "mysql",
        }
    }
}

/// A table's topic with the schema registered for it.
struct Published {
    topic: String,
    schema: Schema,
    schema_id: u32,
}

/// One connector played against its database.
struct Player {
    settings: Settings,
    shared: Weak<Shared>,
    producer: FutureProducer,
    topics: std::sync::mpsc::Sender<TopicRequest>,
    /// Whether the connector is RUNNING (false while paused).
    run: watch::Receiver<bool>,
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Player {
    async fn play(mut self) {
        let source = match Source::connect(&self.settings).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(connector = %self.settings.name, error = %e,
                    "the stand-in writes the toy change stream: the connector's database cannot be reached");
                if let Some(shared) = self.shared.upgrade() {
                    shared.plays.set(&self.settings.id, Mode::Toy);
                }
                return;
            }
        };
        if let Some(shared) = self.shared.upgrade() {
            shared.plays.set(&self.settings.id, Mode::Real);
        }
        match self.run_against(source).await {
            Ok(()) | Err(CdcError::Gone) => {}
            Err(e) => {
                tracing::warn!(connector = %self.settings.name, error = %e,
                    "the stand-in stopped playing the connector");
                self.fail(&e);
            }
        }
    }

    /// The connector ends FAILED with the error in its trace, as the real one does when its
    /// database refuses it (no publication rights, a slot of another plugin, …).
    fn fail(&self, e: &CdcError) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = w.connectors.iter_mut().find(|c| c.id == self.settings.id) {
            c.script = Some(vec![ConnectorPhase {
                state: "FAILED".into(),
                trace: format!("io.debezium.DebeziumException: {e}\n"),
                lasts: Duration::ZERO,
            }]);
        }
    }

    async fn run_against(&mut self, mut source: Source) -> Result<(), CdcError> {
        source.prepare(&self.settings).await?;
        let prefix = self
            .settings
            .get("topic.prefix")
            .unwrap_or("cdc")
            .to_string();
        let mut published = Vec::new();
        for t in source.tables() {
            published.push(self.publish(t, &prefix, source.connector()).await?);
        }
        let origin_name = prefix.clone();
        self.wait_running().await?;
        let snapshot = source.snapshot().await?;
        self.send(&source, &published, &origin_name, snapshot)
            .await?;
        loop {
            tokio::time::sleep(source.every()).await;
            self.wait_running().await?;
            let changes = source.poll().await?;
            self.send(&source, &published, &origin_name, changes)
                .await?;
        }
    }

    /// Until the connector runs (it may be paused).
    async fn wait_running(&mut self) -> Result<(), CdcError> {
        while !*self.run.borrow_and_update() {
            self.run.changed().await.map_err(|_| CdcError::Gone)?;
        }
        Ok(())
    }

    /// The table's topic (in the world and in the mock cluster) and its value schema.
    async fn publish(
        &self,
        table: &Table,
        prefix: &str,
        connector: &str,
    ) -> Result<Published, CdcError> {
        let topic = table.topic(prefix);
        let text = envelope::schema_json(&topic, connector, table);
        let schema = Schema::parse_str(&text).map_err(|e| CdcError::Avro(e.to_string()))?;
        let schema_id = {
            let shared = self.shared.upgrade().ok_or(CdcError::Gone)?;
            let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
            w.ensure_topic(&self.settings.cluster, &topic, 1);
            // The toy envelope registered when the connector started running was never the
            // real connector's: the real schema takes the subject over.
            let subject = format!("{topic}-value");
            let toy = connect::envelope_schema(&topic);
            if w.subjects
                .get(&subject)
                .is_some_and(|versions| versions.iter().all(|v| v.schema == toy))
            {
                w.subjects.remove(&subject);
            }
            w.register(&format!("{topic}-value"), &text, None)
        };
        let (tx, rx) = oneshot::channel();
        self.topics
            .send((topic.clone(), tx))
            .map_err(|_| CdcError::Gone)?;
        if let Err(e) = rx.await.map_err(|_| CdcError::Gone)? {
            // An existing topic is fine: a connector re-created with the same prefix.
            tracing::debug!(%topic, error = %e, "stand-in topic not created");
        }
        Ok(Published {
            topic,
            schema,
            schema_id,
        })
    }

    /// Produce the changes in order and wait until Kafka has them all.
    async fn send(
        &self,
        source: &Source,
        published: &[Published],
        name: &str,
        changes: Vec<Change>,
    ) -> Result<(), CdcError> {
        let origin = Origin {
            connector: source.connector(),
            name,
        };
        let mut records = Vec::with_capacity(changes.len());
        for change in &changes {
            let (Some(table), Some(p)) = (
                source.tables().get(change.table),
                published.get(change.table),
            ) else {
                continue;
            };
            let value = match envelope::encode(
                &p.schema,
                p.schema_id,
                table,
                &origin,
                change,
                wall_ms(),
            ) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(topic = %p.topic, error = %e, "stand-in change event skipped");
                    continue;
                }
            };
            let row = change.after.as_ref().or(change.before.as_ref());
            let key = row.map(|r| envelope::key(table, r)).unwrap_or_default();
            records.push((p.topic.as_str(), key, value));
        }
        let deliveries = records.iter().map(|(topic, key, value)| {
            self.producer.send(
                FutureRecord::to(topic).key(key).payload(value),
                Duration::from_secs(5),
            )
        });
        for result in futures::future::join_all(deliveries).await {
            result.map_err(|(e, _)| CdcError::Kafka(e.to_string()))?;
        }
        Ok(())
    }
}
