//! The S3 sink connector (`S3_SINK`), played for real when the stand-in's in-process Kafka runs
//! and an S3 endpoint is configured ([`super::StandIn::with_s3_endpoint`]; moto in tests).
//!
//! A supervisor thread watches the connectors; each RUNNING `S3_SINK` gets a job thread that
//! reads every topic of `topics` from the beginning and writes Avro object container files,
//! laid out as the real connector does:
//! `<topics.dir>/<topic>/<path.format of the record time>/<topic>+<partition>+<start offset>.avro`.
//! A file is closed after `flush.size` records or `rotate.schedule.interval.ms` after its first
//! record, whichever comes first, and written with the connector's own key and region. Offsets
//! written are kept in memory, so a paused and resumed connector never writes a record twice; a
//! write S3 refuses (AccessDenied, NoSuchBucket, a rejected key) turns the connector FAILED with
//! S3's error in its trace. Nothing here waits on Kafka or S3 while holding the world's lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use thiserror::Error;

mod layout;

use layout::{SinkConfig, encode_path, object_key};

use super::world::{ConnectorPhase, World};
use super::{Ctx, Shared, connect};
use crate::backend::aws::{AwsClient, AwsError, AwsScope};
use crate::backend::kafka::decode::frame;
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, Start};
use crate::credentials::Secret;

/// The connector class this module plays.
pub(super) const CLASS: &str = "S3_SINK";
/// A transient S3 failure (throttling, 5xx, no answer) is retried after this long.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Why a file could not be made or written.
#[derive(Debug, Error)]
enum SinkError {
    #[error("the Avro container could not be written: {0}")]
    Avro(#[from] apache_avro::Error),
    #[error(transparent)]
    S3(#[from] AwsError),
}

/// Records of one topic partition waiting to become a file.
struct OpenFile {
    schema_id: u32,
    path: String,
    start: i64,
    last: i64,
    opened: Instant,
    values: Vec<Avro>,
}

/// Where a job writes its files.
struct Out<'a> {
    rt: &'a tokio::runtime::Runtime,
    client: &'a AwsClient,
    scope: &'a AwsScope,
    control: &'a Control,
}

struct Source {
    topic: String,
    reader: Option<Reader>,
    next_try: Instant,
}

#[derive(Default)]
struct Control {
    cancel: AtomicBool,
    paused: AtomicBool,
}

/// Start the supervisor that gives RUNNING S3 sinks their jobs on the Kafka at `bootstrap`,
/// writing to the S3 at `endpoint`.
pub(crate) fn start(
    shared: Weak<Shared>,
    bootstrap: String,
    endpoint: String,
) -> Result<(), String> {
    std::thread::Builder::new()
        .name("standin-s3-sink".into())
        .spawn(move || supervise(&shared, &bootstrap, &endpoint))
        .map(|_| ())
        .map_err(|e| format!("cannot start the stand-in's S3 sink: {e}"))
}

fn supervise(shared: &Weak<Shared>, bootstrap: &str, endpoint: &str) {
    let mut jobs: HashMap<String, Arc<Control>> = HashMap::new();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let Some(strong) = shared.upgrade() else {
            break;
        };
        // Each S3 sink by id, whether it runs now, and the config of those that need a job.
        let mut present: HashMap<String, bool> = HashMap::new();
        let mut new_jobs = Vec::new();
        {
            let mut w = strong.world.lock().unwrap_or_else(PoisonError::into_inner);
            let ctx = Ctx {
                base_url: strong.base_url.clone(),
                now: tokio::time::Instant::now(),
                timings: strong.timings,
            };
            connect::tick(&mut w, &ctx);
            for c in w
                .connectors
                .iter()
                .filter(|c| c.config.get("connector.class").map(String::as_str) == Some(CLASS))
            {
                let running = connect::state(&ctx, c).0 == "RUNNING";
                present.insert(c.id.clone(), running);
                if running && !jobs.contains_key(&c.id) {
                    new_jobs.push((c.id.clone(), c.name.clone(), SinkConfig::of(&c.config)));
                }
            }
        }
        drop(strong);
        jobs.retain(|id, control| match present.get(id) {
            Some(running) => {
                control.paused.store(!running, Ordering::Relaxed);
                true
            }
            None => {
                control.cancel.store(true, Ordering::Relaxed);
                false
            }
        });
        for (id, name, config) in new_jobs {
            let control = Arc::new(Control::default());
            let job = Job {
                shared: shared.clone(),
                connector: id.clone(),
                config,
                bootstrap: bootstrap.to_string(),
                endpoint: endpoint.to_string(),
            };
            let c = control.clone();
            let started = std::thread::Builder::new()
                .name(format!("standin-s3-{name}"))
                .spawn(move || job.run(&c));
            match started {
                Ok(_) => {
                    jobs.insert(id, control);
                }
                Err(e) => {
                    tracing::warn!(connector = %name, error = %e, "the stand-in could not start an S3 sink")
                }
            }
        }
    }
    for control in jobs.values() {
        control.cancel.store(true, Ordering::Relaxed);
    }
}

struct Job {
    shared: Weak<Shared>,
    connector: String,
    config: SinkConfig,
    bootstrap: String,
    endpoint: String,
}

/// A job's state between polls: what is buffered and what is already in S3.
#[derive(Default)]
struct Progress {
    open: HashMap<(String, i32), OpenFile>,
    /// The next offset to write per topic partition: everything before it is in S3.
    committed: HashMap<(String, i32), i64>,
    schemas: HashMap<u32, Option<Schema>>,
}

impl Job {
    fn run(&self, control: &Control) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::warn!(error = %e, "an S3 sink has no runtime for its requests");
                return;
            }
        };
        let client = match AwsClient::new() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "an S3 sink has no AWS client");
                return;
            }
        };
        let scope = AwsScope {
            region: self.config.region.clone(),
            access_key_id: self.config.access_key_id.clone(),
            secret_access_key: Secret::new(self.config.secret_access_key.clone()),
            session_token: None,
            endpoint: Some(self.endpoint.clone()),
        };
        let settings = KafkaSettings {
            bootstrap: self.bootstrap.clone(),
            security_protocol: "plaintext".into(),
            sasl: None,
        };
        let mut sources: Vec<Source> = self
            .config
            .topics
            .iter()
            .map(|t| Source {
                topic: t.clone(),
                reader: None,
                next_try: Instant::now(),
            })
            .collect();
        let mut progress = Progress::default();
        while !control.cancel.load(Ordering::Relaxed) && self.shared.strong_count() > 0 {
            if control.paused.load(Ordering::Relaxed) {
                // A paused task drops what it had not written and reads it again on resume,
                // from the offsets written so far.
                progress.open.clear();
                for s in &mut sources {
                    s.reader = None;
                }
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            let records = poll(&settings, &mut sources);
            if records.is_empty() {
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Err(e) = self.take(&rt, &client, &scope, control, &mut progress, records) {
                self.fail(&e);
                return;
            }
        }
    }

    /// Buffer a round of records and write the files that are due: full ones, ones a record
    /// of another schema or hour rolls (the real connector rolls a file on either), and ones
    /// open for `rotate.schedule.interval.ms`.
    fn take(
        &self,
        rt: &tokio::runtime::Runtime,
        client: &AwsClient,
        scope: &AwsScope,
        control: &Control,
        p: &mut Progress,
        records: Vec<(String, RawRecord)>,
    ) -> Result<(), SinkError> {
        let out = Out {
            rt,
            client,
            scope,
            control,
        };
        for (topic, raw) in records {
            let Some((key, id, path, value)) = self.decode(p, topic, &raw) else {
                continue;
            };
            if p.open
                .get(&key)
                .is_some_and(|f| f.schema_id != id || f.path != path)
                && !self.close(&out, p, &key)?
            {
                // Paused or cancelled while S3 was unreachable: the rest is read again.
                return Ok(());
            }
            let file = p.open.entry(key.clone()).or_insert_with(|| OpenFile {
                schema_id: id,
                path,
                start: raw.offset,
                last: raw.offset,
                opened: Instant::now(),
                values: Vec::new(),
            });
            file.last = raw.offset;
            file.values.push(value);
            if file.values.len() >= self.config.flush_size && !self.close(&out, p, &key)? {
                return Ok(());
            }
        }
        if let Some(rotate) = self.config.rotate {
            let now = Instant::now();
            let due: Vec<(String, i32)> = p
                .open
                .iter()
                .filter(|(_, f)| now >= f.opened + rotate)
                .map(|(k, _)| k.clone())
                .collect();
            for key in due {
                if !self.close(&out, p, &key)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// A record not yet written, decoded through its writer schema: its topic partition,
    /// schema id, folder (`path.format` of its time) and value.
    fn decode(
        &self,
        p: &mut Progress,
        topic: String,
        raw: &RawRecord,
    ) -> Option<((String, i32), u32, String, Avro)> {
        let key = (topic, raw.partition);
        if p.committed.get(&key).is_some_and(|next| raw.offset < *next)
            || p.open.get(&key).is_some_and(|f| raw.offset <= f.last)
        {
            return None;
        }
        // `behavior.on.null.values = ignore`: tombstones make no line in a file.
        let bytes = raw.value.as_deref()?;
        let Some((id, datum)) = frame(bytes) else {
            tracing::debug!(topic = %key.0, offset = raw.offset, "an S3 sink skips a record that is not Avro");
            return None;
        };
        let schema = self.schema(p, id)?;
        let value = match apache_avro::from_avro_datum(&schema, &mut &datum[..], None) {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(topic = %key.0, error = %e, "an S3 sink skips a record it cannot decode");
                return None;
            }
        };
        let ms = raw.timestamp_ms.unwrap_or_else(wall_ms);
        let path = encode_path(&self.config.path_format, ms);
        Some((key, id, path, value))
    }

    fn schema(&self, p: &mut Progress, id: u32) -> Option<Schema> {
        if let std::collections::hash_map::Entry::Vacant(slot) = p.schemas.entry(id) {
            let text = self.shared.upgrade().and_then(|s| {
                let w = s.world.lock().unwrap_or_else(PoisonError::into_inner);
                schema_text(&w, id)
            })?;
            // An id the registry does not hold yet is asked for again with the next record.
            slot.insert(Schema::parse_str(&text).ok());
        }
        p.schemas.get(&id)?.clone()
    }

    /// Write one open file to S3, retrying while S3 is unreachable or busy; its records then
    /// count as committed. `false` when the connector was paused or deleted before it could.
    fn close(
        &self,
        out: &Out<'_>,
        p: &mut Progress,
        key: &(String, i32),
    ) -> Result<bool, SinkError> {
        let Some(file) = p.open.get(key) else {
            return Ok(true);
        };
        let Some(Some(schema)) = p.schemas.get(&file.schema_id) else {
            return Ok(true);
        };
        let mut writer = apache_avro::Writer::new(schema, Vec::new());
        for v in &file.values {
            writer.append(v.clone())?;
        }
        let body = writer.into_inner()?;
        let name = object_key(&self.config, &key.0, &file.path, key.1, file.start);
        let next = file.last + 1;
        loop {
            let put = out.client.put_object(
                out.scope,
                &self.config.bucket,
                &name,
                "application/octet-stream",
                body.clone(),
            );
            match out.rt.block_on(put) {
                Ok(()) => {
                    p.committed.insert(key.clone(), next);
                    p.open.remove(key);
                    return Ok(true);
                }
                Err(e) if e.is_transient() => {
                    tracing::debug!(error = %e, "an S3 sink retries a file");
                    std::thread::sleep(RETRY_AFTER);
                    if out.control.cancel.load(Ordering::Relaxed)
                        || out.control.paused.load(Ordering::Relaxed)
                    {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The connector fails as the real one does, with S3's refusal in its trace.
    fn fail(&self, e: &SinkError) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let trace = failure_trace(&self.config.bucket, e);
        let mut w = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = w.connectors.iter_mut().find(|c| c.id == self.connector) {
            // A one-phase script is the connector's life from now on: FAILED, for good.
            c.script = Some(vec![ConnectorPhase {
                state: "FAILED".into(),
                trace,
                lasts: Duration::ZERO,
            }]);
        }
    }
}

fn failure_trace(bucket: &str, e: &SinkError) -> String {
    match e {
        SinkError::S3(aws) => format!(
            "org.apache.kafka.connect.errors.ConnectException: Unable to write to S3 bucket {bucket}: \
             com.amazonaws.services.s3.model.AmazonS3Exception: {} (Service: Amazon S3; Status Code: {}; Error Code: {})\n",
            aws.message,
            aws.status
                .map_or_else(|| "none".to_string(), |s| s.to_string()),
            aws.code.as_deref().unwrap_or("none"),
        ),
        SinkError::Avro(a) => format!(
            "org.apache.kafka.connect.errors.ConnectException: Unable to write an Avro file for S3 bucket {bucket}: {a}\n"
        ),
    }
}

fn schema_text(w: &World, id: u32) -> Option<String> {
    w.subjects
        .values()
        .flatten()
        .find(|r| r.id == id)
        .map(|r| r.schema.clone())
}

/// Records of every topic that has some, at most 500 per topic per round; a topic that does not
/// exist yet (no records yet) is looked for again a little later.
fn poll(settings: &KafkaSettings, sources: &mut [Source]) -> Vec<(String, RawRecord)> {
    let mut records = Vec::new();
    for src in sources {
        if src.reader.is_none() && Instant::now() >= src.next_try {
            match Reader::open(
                settings,
                &src.topic,
                Start::Beginning,
                Duration::from_secs(2),
            ) {
                Ok(r) => src.reader = Some(r),
                Err(_) => src.next_try = Instant::now() + Duration::from_millis(250),
            }
        }
        let Some(reader) = &mut src.reader else {
            continue;
        };
        for _ in 0..500 {
            match reader.poll(Duration::from_millis(10)) {
                Ok(Polled::Record(r)) => records.push((src.topic.clone(), r)),
                Ok(_) => break,
                Err(e) => {
                    tracing::debug!(topic = %src.topic, error = %e, "an S3 sink reopens its topic");
                    src.reader = None;
                    break;
                }
            }
        }
    }
    records
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
