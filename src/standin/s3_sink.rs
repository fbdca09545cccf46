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

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use thiserror::Error;

use super::world::{ConnectorPhase, World};
use super::{Ctx, Shared, connect};
use crate::backend::aws::{AwsClient, AwsError, AwsScope};
use crate::backend::kafka::decode::frame;
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, Start};
use crate::credentials::Secret;

/// The connector class this module plays.
pub(super) const CLASS: &str = "S3_SINK";
/// The connector's defaults when the config leaves them out.
const DEFAULT_FLUSH_SIZE: usize = 1000;
const DEFAULT_PATH_FORMAT: &str = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
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

/// What the job needs of the connector's config.
#[derive(Debug, Clone, PartialEq)]
struct SinkConfig {
    topics: Vec<String>,
    bucket: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    topics_dir: String,
    path_format: String,
    flush_size: usize,
    rotate: Option<Duration>,
}

impl SinkConfig {
    fn of(config: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| {
            config
                .get(k)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let or = |k: &str, default: &str| {
            Some(get(k))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Self {
            topics: get("topics")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
            bucket: get("s3.bucket.name"),
            region: or("s3.region", "us-west-2"),
            access_key_id: get("aws.access.key.id"),
            secret_access_key: get("aws.secret.access.key"),
            topics_dir: or("topics.dir", "topics").trim_matches('/').to_string(),
            path_format: or("path.format", DEFAULT_PATH_FORMAT),
            flush_size: get("flush.size")
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_FLUSH_SIZE),
            // -1 (the default) switches the scheduled rotation off.
            rotate: get("rotate.schedule.interval.ms")
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
        }
    }
}

/// `path.format` (Joda-style: `'literal'`, `YYYY`/`yyyy`, `MM`, `dd`, `HH`, `mm`) for a time in
/// milliseconds since the epoch, in UTC as the lesson configures `timezone`.
fn encode_path(format: &str, ms: i64) -> String {
    let secs = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    // `2026-12-02T13:05:09Z`: fixed positions for every field.
    let t = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string();
    let field = |from: usize, to: usize| t.get(from..to).unwrap_or("00").to_string();
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            let body = &rest[1..];
            let end = body.find('\'').unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 1..).unwrap_or("");
            continue;
        }
        let tokens: [(&str, String); 6] = [
            ("YYYY", field(0, 4)),
            ("yyyy", field(0, 4)),
            ("MM", field(5, 7)),
            ("dd", field(8, 10)),
            ("HH", field(11, 13)),
            ("mm", field(14, 16)),
        ];
        match tokens.iter().find(|(tok, _)| rest.starts_with(tok)) {
            Some((tok, value)) => {
                out.push_str(value);
                rest = &rest[tok.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The object key of a file, as the real connector names it.
fn object_key(config: &SinkConfig, topic: &str, path: &str, partition: i32, start: i64) -> String {
    let name = format!("{topic}+{partition}+{start:010}.avro");
    let folder = [config.topics_dir.as_str(), topic, path]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    format!("{folder}/{name}")
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lesson() -> BTreeMap<String, String> {
        [
            ("connector.class", "S3_SINK"),
            ("topics", "all_products"),
            ("s3.bucket.name", "cmcdc-workshop-1a2b"),
            ("s3.region", "eu-central-1"),
            ("aws.access.key.id", "AKIAEXAMPLE"),
            ("aws.secret.access.key", "secret"),
            ("topics.dir", "topics"),
            ("path.format", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"),
            ("flush.size", "100"),
            ("rotate.schedule.interval.ms", "60000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_lessons_config_gives_hourly_folders_and_the_real_connectors_file_names() {
        let config = SinkConfig::of(&lesson());
        assert_eq!(config.topics, ["all_products"]);
        assert_eq!(config.flush_size, 100);
        assert_eq!(config.rotate, Some(Duration::from_secs(60)));
        // 2026-12-02T13:05:09.123Z
        let path = encode_path(&config.path_format, 1_796_216_709_123);
        assert_eq!(path, "year=2026/month=12/day=02/hour=13");
        assert_eq!(
            object_key(&config, "all_products", &path, 0, 200),
            "topics/all_products/year=2026/month=12/day=02/hour=13/all_products+0+0000000200.avro"
        );
    }

    #[test]
    fn defaults_fill_what_the_config_leaves_out() {
        let mut raw = lesson();
        raw.remove("flush.size");
        raw.insert("rotate.schedule.interval.ms".into(), "-1".into());
        raw.insert("topics".into(), "a, b,".into());
        let config = SinkConfig::of(&raw);
        assert_eq!(config.flush_size, DEFAULT_FLUSH_SIZE);
        assert_eq!(config.rotate, None);
        assert_eq!(config.topics, ["a", "b"]);
        assert_eq!(
            encode_path("'dt'=yyyy-MM-dd/'hm'=HHmm", 0),
            "dt=1970-01-01/hm=0000"
        );
    }
}
