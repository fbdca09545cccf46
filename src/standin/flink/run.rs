//! Moves data for RUNNING statements when the stand-in's in-process Kafka runs: a supervisor
//! thread watches the statements, and each one of the subset ([`super::sql`]) gets a job thread
//! that reads its source topics from the beginning, follows new records, evaluates the query and
//! writes the rows (Avro, the table's registered schema) or, for a query, appends them to the
//! statement's results. A stopped statement's job pauses where it is; a deleted one's ends.
//! Nothing here holds the world's lock while waiting on Kafka, so the HTTP handlers never block.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, Weak};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value;
use thiserror::Error;

use super::eval::{Patterns, eval_query, record_row, sources};
use super::sql::{Query, SqlError, Statement as Sql, parse};
use super::table::{TableWriter, WriteError, value_schema};
use crate::backend::kafka::decode::{WriterSchema, frame, plain};
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, Start};
use crate::standin::world::{Statement, StatementFate, World};
use crate::standin::{Ctx, Shared};

/// Rows an unbounded query keeps as results (a screen's worth many times over).
const MAX_RESULT_ROWS: usize = 1000;

/// Why a statement runs without moving data.
#[derive(Debug, Error)]
enum JobError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("table {0} has no value schema `{0}-value` in the registry")]
    NoSchema(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("a CREATE TABLE has no job")]
    NoJob,
}

/// A statement's identity: a statement deleted and submitted again is another job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct JobKey {
    env: String,
    name: String,
    created: tokio::time::Instant,
}

impl JobKey {
    fn of(s: &Statement) -> Self {
        Self {
            env: s.env.clone(),
            name: s.name.clone(),
            created: s.created,
        }
    }

    fn find<'a>(&self, w: &'a mut World) -> Option<&'a mut Statement> {
        w.statements
            .iter_mut()
            .find(|s| s.env == self.env && s.name == self.name && s.created == self.created)
    }
}

enum Sink {
    Table {
        topic: String,
        writer: Box<TableWriter>,
    },
    Results {
        limit: Option<usize>,
    },
}

struct Job {
    key: JobKey,
    query: Query,
    sink: Sink,
}

#[derive(Default)]
struct Control {
    cancel: AtomicBool,
    paused: AtomicBool,
}

fn job_for(w: &World, s: &Statement) -> Result<Job, JobError> {
    let (target, query) = match parse(&s.sql)? {
        Sql::CreateTable { .. } => return Err(JobError::NoJob),
        Sql::Insert { target, query } => (target, query),
        Sql::CreateTableAs { name, query } => (name, query),
        Sql::Query(query) => {
            let limit = query.limit;
            return Ok(Job {
                key: JobKey::of(s),
                query,
                sink: Sink::Results { limit },
            });
        }
    };
    let (id, text) = value_schema(w, &target).ok_or_else(|| JobError::NoSchema(target.clone()))?;
    Ok(Job {
        key: JobKey::of(s),
        query,
        sink: Sink::Table {
            writer: Box::new(TableWriter::new(id, &text)?),
            topic: target,
        },
    })
}

/// Start the supervisor that gives RUNNING statements their jobs on the Kafka at `bootstrap`.
pub(crate) fn start(shared: Weak<Shared>, bootstrap: String) -> Result<(), String> {
    std::thread::Builder::new()
        .name("standin-flink".into())
        .spawn(move || supervise(&shared, &bootstrap))
        .map(|_| ())
        .map_err(|e| format!("cannot start the stand-in's Flink jobs: {e}"))
}

/// The table a statement creates or writes to.
fn written_table(sql: &str) -> Option<String> {
    match parse(sql).ok()? {
        Sql::CreateTable { name, .. }
        | Sql::CreateTableAs { name, .. }
        | Sql::Insert { target: name, .. } => Some(name),
        Sql::Query(_) => None,
    }
}

/// Confluent Cloud creates a table's topic with the table, so a reader finds an empty table
/// rather than no topic. The mock cluster has no admin API; a producer's metadata request for
/// the topic creates it (`allow.auto.create.topics`). Whether it worked.
fn create_topic(creator: &mut Option<BaseProducer>, bootstrap: &str, topic: &str) -> bool {
    if creator.is_none() {
        *creator = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("allow.auto.create.topics", "true")
            .create()
            .map_err(|e| tracing::debug!(error = %e, "no producer to create table topics"))
            .ok();
    }
    let Some(p) = creator else {
        return false;
    };
    match p
        .client()
        .fetch_metadata(Some(topic), Duration::from_secs(2))
    {
        Ok(_) => true,
        Err(e) => {
            tracing::debug!(%topic, error = %e, "the table's topic was not created yet");
            false
        }
    }
}

fn supervise(shared: &Weak<Shared>, bootstrap: &str) {
    let mut jobs: HashMap<JobKey, Arc<Control>> = HashMap::new();
    let mut idle: HashSet<JobKey> = HashSet::new();
    let mut created: HashSet<String> = HashSet::new();
    let mut creator: Option<BaseProducer> = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let Some(strong) = shared.upgrade() else {
            break;
        };
        let mut present = HashMap::new();
        let mut new_jobs = Vec::new();
        let mut to_create = Vec::new();
        {
            let w = strong.world.lock().unwrap_or_else(PoisonError::into_inner);
            let ctx = Ctx {
                base_url: strong.base_url.clone(),
                now: tokio::time::Instant::now(),
                timings: strong.timings,
            };
            for s in &w.statements {
                let key = JobKey::of(s);
                present.insert(key.clone(), s.stopped);
                if jobs.contains_key(&key) || idle.contains(&key) {
                    continue;
                }
                let phase = super::phase(&ctx, s);
                if phase == "PENDING" || phase == "FAILED" {
                    continue;
                }
                if let Some(table) = written_table(&s.sql) {
                    to_create.push(table);
                }
                if phase != "RUNNING" {
                    // DDL is done for good; a stopped statement may still be resumed.
                    if phase == "COMPLETED" {
                        idle.insert(key);
                    }
                    continue;
                }
                // Scripted results stand for the query's rows; the job would add its own.
                let scripted = w
                    .scripted_results
                    .iter()
                    .any(|r| s.name == r.matches || s.sql.contains(&r.matches));
                match job_for(&w, s) {
                    Ok(job) if !scripted => new_jobs.push(job),
                    Ok(_) => {
                        idle.insert(key);
                    }
                    Err(e) => {
                        tracing::debug!(statement = %s.name, error = %e, "the stand-in runs this statement without moving data");
                        idle.insert(key);
                    }
                }
            }
        }
        drop(strong);
        for table in to_create {
            if created.insert(table.clone()) && !create_topic(&mut creator, bootstrap, &table) {
                created.remove(&table);
            }
        }
        jobs.retain(|key, control| match present.get(key) {
            Some(stopped) => {
                control.paused.store(*stopped, Ordering::Relaxed);
                true
            }
            None => {
                control.cancel.store(true, Ordering::Relaxed);
                false
            }
        });
        idle.retain(|key| present.contains_key(key));
        for job in new_jobs {
            let control = Arc::new(Control::default());
            let key = job.key.clone();
            let (shared, bootstrap, c) = (shared.clone(), bootstrap.to_string(), control.clone());
            let started = std::thread::Builder::new()
                .name(format!("standin-flink-{}", key.name))
                .spawn(move || run(&shared, &bootstrap, job, &c));
            match started {
                Ok(_) => {
                    jobs.insert(key, control);
                }
                Err(e) => {
                    tracing::warn!(statement = %key.name, error = %e, "the stand-in could not start a Flink job");
                    idle.insert(key);
                }
            }
        }
    }
    for control in jobs.values() {
        control.cancel.store(true, Ordering::Relaxed);
    }
}

struct Source {
    topic: String,
    reader: Option<Reader>,
    next_try: std::time::Instant,
}

/// A job's reading side: its sources and the writer schemas seen so far.
struct Input {
    settings: KafkaSettings,
    sources: Vec<Source>,
    /// Writer schemas by id; `None` for one that does not parse.
    schemas: HashMap<u32, Option<WriterSchema>>,
}

impl Input {
    /// The record's value as JSON, decoded through the writer schema the registry holds.
    fn decode(&mut self, shared: &Weak<Shared>, raw: &RawRecord) -> Option<Value> {
        let bytes = raw.value.as_deref()?;
        let Some((id, datum)) = frame(bytes) else {
            return Some(plain(bytes));
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = self.schemas.entry(id) {
            let text = shared.upgrade().and_then(|s| {
                let w = s.world.lock().unwrap_or_else(PoisonError::into_inner);
                w.subjects
                    .values()
                    .flatten()
                    .find(|r| r.id == id)
                    .map(|r| r.schema.clone())
            })?;
            // An id the registry does not hold yet is asked for again with the next record.
            slot.insert(WriterSchema::parse(&text).ok());
        }
        self.schemas.get(&id)?.as_ref()?.decode(datum).ok()
    }
}

/// Writes or keeps one job's rows, counting what it had to drop.
struct Output {
    sink: Sink,
    producer: Option<BaseProducer>,
    dropped: u64,
    done: bool,
}

impl Output {
    fn emit(&mut self, shared: &Weak<Shared>, key: &JobKey, row: Vec<super::eval::Val>) {
        match &self.sink {
            Sink::Table { topic, writer } => match writer.encode(&row) {
                Ok(bytes) => {
                    let Some(producer) = &self.producer else {
                        return;
                    };
                    let mut record = BaseRecord::<(), [u8]>::to(topic).payload(&bytes);
                    for _ in 0..100 {
                        match producer.send(record) {
                            Ok(()) => return,
                            Err((
                                KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                                r,
                            )) => {
                                producer.poll(Duration::from_millis(50));
                                record = r;
                            }
                            Err((e, _)) => {
                                tracing::debug!(statement = %key.name, error = %e, "a row was not produced");
                                return;
                            }
                        }
                    }
                }
                Err(e) => {
                    // Flink would fail the job or drop the row; the stand-in drops and counts.
                    self.dropped += 1;
                    tracing::debug!(statement = %key.name, error = %e, dropped = self.dropped, "a row was dropped");
                }
            },
            Sink::Results { limit } => {
                let Some(strong) = shared.upgrade() else {
                    return;
                };
                let mut w = strong.world.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(s) = key.find(&mut w) else {
                    self.done = true;
                    return;
                };
                if s.rows.len() < limit.unwrap_or(MAX_RESULT_ROWS) {
                    s.rows
                        .push(row.iter().map(super::eval::Val::text).collect());
                }
                // A bounded query is done when it has its rows, like Flink's LIMIT.
                if let Some(limit) = limit
                    && s.rows.len() >= *limit
                {
                    s.fate = StatementFate::Completes;
                    s.bounded = true;
                    self.done = true;
                }
            }
        }
    }
}

fn run(shared: &Weak<Shared>, bootstrap: &str, job: Job, control: &Control) {
    let Job {
        key,
        mut query,
        sink,
    } = job;
    let producer = match &sink {
        Sink::Table { .. } => match ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("linger.ms", "5")
            .create::<BaseProducer>()
        {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(statement = %key.name, error = %e, "a Flink job cannot produce");
                return;
            }
        },
        Sink::Results { .. } => None,
    };
    let now = std::time::Instant::now();
    let mut input = Input {
        settings: KafkaSettings {
            bootstrap: bootstrap.to_string(),
            security_protocol: "plaintext".into(),
            sasl: None,
        },
        sources: sources(&query)
            .into_iter()
            .map(|topic| Source {
                topic,
                reader: None,
                next_try: now,
            })
            .collect(),
        schemas: HashMap::new(),
    };
    let mut output = Output {
        sink,
        producer,
        dropped: 0,
        done: false,
    };
    let mut patterns = Patterns::default();
    let mut reported: HashSet<String> = HashSet::new();
    while !control.cancel.load(Ordering::Relaxed) && shared.strong_count() > 0 && !output.done {
        if control.paused.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let mut records = Vec::new();
        for src in &mut input.sources {
            if src.reader.is_none() && std::time::Instant::now() >= src.next_try {
                // A source that has no records yet has no topic in the mock cluster yet.
                match Reader::open(
                    &input.settings,
                    &src.topic,
                    Start::Beginning,
                    Duration::from_secs(2),
                ) {
                    Ok(r) => src.reader = Some(r),
                    Err(_) => src.next_try = std::time::Instant::now() + Duration::from_millis(250),
                }
            }
            let Some(reader) = &mut src.reader else {
                continue;
            };
            while records.len() < 500 {
                match reader.poll(Duration::from_millis(10)) {
                    Ok(Polled::Record(r)) => records.push((src.topic.clone(), r)),
                    Ok(_) => break,
                    Err(e) => {
                        tracing::debug!(topic = %src.topic, error = %e, "a Flink job reopens its source");
                        src.reader = None;
                        break;
                    }
                }
            }
        }
        if records.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
        for (topic, raw) in records {
            let Some(row) = input.decode(shared, &raw).as_ref().and_then(record_row) else {
                continue;
            };
            match eval_query(&mut query, &topic, &row, &mut patterns) {
                Ok(rows) => {
                    for r in rows {
                        if !output.done {
                            output.emit(shared, &key, r.into_iter().map(|(_, v)| v).collect());
                        }
                    }
                }
                Err(e) => {
                    if reported.insert(e.to_string()) {
                        tracing::debug!(statement = %key.name, error = %e, "a record could not be evaluated");
                    }
                }
            }
        }
        if let Some(p) = &output.producer {
            p.poll(Duration::ZERO);
        }
    }
    if let Some(p) = &output.producer {
        let _ = p.flush(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn statement(sql: &str) -> Statement {
        Statement {
            env: "env-1".into(),
            name: "s".into(),
            sql: sql.into(),
            compute_pool: "lfcp-1".into(),
            principal: None,
            properties: Default::default(),
            created: tokio::time::Instant::now(),
            fate: StatementFate::Runs,
            stopped: false,
            sql_kind: "INSERT".into(),
            bounded: false,
            columns: vec![],
            rows: vec![],
            page_size: 100,
        }
    }

    #[test]
    fn a_job_needs_the_subset_and_the_target_tables_schema() {
        let mut w = World::default();
        let insert = statement("INSERT INTO t SELECT a FROM s;");
        assert!(matches!(job_for(&w, &insert), Err(JobError::NoSchema(t)) if t == "t"));
        w.register(
            "t-value",
            r#"{"type":"record","name":"t_value","fields":[{"name":"a","type":"string"}]}"#,
            None,
        );
        let job = job_for(&w, &insert).unwrap();
        assert!(matches!(&job.sink, Sink::Table { topic, .. } if topic == "t"));
        assert_eq!(sources(&job.query), ["s"]);
        let limited = job_for(&w, &statement("SELECT a FROM s LIMIT 5")).unwrap();
        assert!(matches!(limited.sink, Sink::Results { limit: Some(5) }));
        assert!(matches!(
            job_for(&w, &statement("CREATE TABLE u (a INT)")),
            Err(JobError::NoJob)
        ));
        let unsupported = job_for(
            &w,
            &statement("SELECT ML_PREDICT('m', a) FROM s, LATERAL TABLE(x)"),
        );
        assert!(matches!(unsupported, Err(JobError::Sql(_))));
    }
}
