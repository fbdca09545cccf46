//! Read a few records from a topic without joining a consumer group and without committing:
//! the partitions are assigned directly, so the participant's own consumers never rebalance.

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use thiserror::Error;

use crate::credentials::Secret;

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap: String,
    /// `plaintext` (local brokers) or `sasl_ssl` (Confluent Cloud).
    pub security_protocol: String,
    /// The cluster API key and secret (SASL/PLAIN).
    pub sasl: Option<(String, Secret)>,
}

/// Protocol used when nothing says otherwise: Confluent Cloud's.
pub const DEFAULT_SECURITY_PROTOCOL: &str = "sasl_ssl";

impl KafkaSettings {
    /// The sampler's settings from a resolved scope: its bootstrap endpoint and protocol, and the
    /// cluster key unless the protocol is plaintext.
    pub fn from_scope(scope: &crate::backend::confluent::Scope) -> Result<Self, String> {
        let bootstrap = scope.kafka_bootstrap.clone().ok_or_else(|| {
            "no Kafka bootstrap address: set CDC_WORKSHOP_KAFKA_BOOTSTRAP, or kafka_bootstrap in course.toml's [confluent] table".to_string()
        })?;
        let security_protocol = scope
            .kafka_security_protocol
            .clone()
            .unwrap_or_else(|| DEFAULT_SECURITY_PROTOCOL.to_string());
        let sasl = if security_protocol.eq_ignore_ascii_case("plaintext") {
            None
        } else {
            let key = scope
                .keys
                .get(&crate::backend::confluent::KeyKind::Kafka)
                .ok_or_else(|| {
                    format!("reading Kafka over {security_protocol} needs the cluster API key (kafka_api_key and kafka_api_secret in [confluent])")
                })?;
            Some((key.key.clone(), Secret::new(key.secret.clone())))
        };
        Ok(Self {
            bootstrap,
            security_protocol,
            sasl,
        })
    }
}

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Beginning,
    /// New records only.
    End,
    /// The last N records of each partition.
    LastPerPartition(i64),
}

/// One record as read (bytes; decoding is the caller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// One record as librdkafka holds it, borrowed: decoding straight from here saves copying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

impl RecordRef<'_> {
    pub fn to_raw(self) -> RawRecord {
        RawRecord {
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.map(<[u8]>::to_vec),
        }
    }
}

impl RawRecord {
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
        }
    }
}

/// Records copied out of librdkafka into one buffer: a batch costs two allocations however
/// many records it holds, and can be emptied and filled again.
#[derive(Debug, Default)]
pub struct RecordBatch {
    bytes: Vec<u8>,
    records: Vec<Slot>,
}

#[derive(Debug, Clone)]
struct Slot {
    partition: i32,
    offset: i64,
    timestamp_ms: Option<i64>,
    key: Option<std::ops::Range<usize>>,
    value: Option<std::ops::Range<usize>>,
}

impl RecordBatch {
    pub fn push(&mut self, record: RecordRef<'_>) {
        let mut copy = |part: Option<&[u8]>| {
            part.map(|b| {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                start..self.bytes.len()
            })
        };
        let key = copy(record.key);
        let value = copy(record.value);
        self.records.push(Slot {
            partition: record.partition,
            offset: record.offset,
            timestamp_ms: record.timestamp_ms,
            key,
            value,
        });
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of keys and values held.
    pub fn payload_bytes(&self) -> usize {
        self.bytes.len()
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = RecordRef<'_>> {
        let part =
            |r: &Option<std::ops::Range<usize>>| r.as_ref().and_then(|r| self.bytes.get(r.clone()));
        self.records.iter().map(move |s| RecordRef {
            partition: s.partition,
            offset: s.offset,
            timestamp_ms: s.timestamp_ms,
            key: part(&s.key),
            value: part(&s.value),
        })
    }
}

#[derive(Debug, Error)]
pub enum SampleError {
    #[error(
        "cannot connect to Kafka at {bootstrap}: {reason}; check the bootstrap address and the cluster key"
    )]
    Connect { bootstrap: String, reason: String },
    #[error("topic {topic} does not exist on {bootstrap}")]
    NoTopic { topic: String, bootstrap: String },
    #[error("reading {topic} failed: {reason}")]
    Read { topic: String, reason: String },
}

/// The bootstrap endpoint as librdkafka accepts it: Confluent writes `SASL_SSL://host:9092`,
/// and librdkafka refuses a scheme that differs from `security.protocol`.
pub fn bootstrap_for(endpoint: &str, protocol: &str) -> String {
    endpoint
        .split(',')
        .map(|b| match b.trim().split_once("://") {
            Some((scheme, rest)) if !scheme.eq_ignore_ascii_case(protocol) => rest.to_string(),
            _ => b.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn consumer(settings: &KafkaSettings) -> Result<BaseConsumer, SampleError> {
    let mut config = ClientConfig::new();
    config
        .set(
            "bootstrap.servers",
            bootstrap_for(&settings.bootstrap, &settings.security_protocol),
        )
        .set("security.protocol", &settings.security_protocol)
        // A group id is required by the client, but nothing joins it: partitions are assigned
        // and offsets never committed.
        .set("group.id", "cdc-workshop-sampler")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        // librdkafka prefetches up to 100,000 records or 64 MiB per partition by default. A
        // sampler reads at the speed of a screen or a pipe, and records fetched far ahead are
        // each held in fresh memory: a short queue keeps memory flat and small, and reading a
        // 100,000-record backlog went from 10,000 page faults to 2,000 (a third faster). The
        // fetcher then looks again after 2 ms instead of the default second, so a short queue
        // does not stall it.
        .set("queued.max.messages.kbytes", "2048")
        .set("queued.min.messages", "5000")
        .set("fetch.queue.backoff.ms", "2")
        .set("fetch.max.bytes", "8388608")
        .set("client.id", "cdc-workshop-sampler");
    if let Some((user, password)) = &settings.sasl {
        config
            .set("sasl.mechanisms", "PLAIN")
            .set("sasl.username", user)
            .set("sasl.password", password.expose());
    }
    config.create().map_err(|e| SampleError::Connect {
        bootstrap: settings.bootstrap.clone(),
        reason: e.to_string(),
    })
}

/// What one poll of a [`Reader`] gave: a record (or what the caller made of it), or why none.
#[derive(Debug)]
pub enum Polled<T = RawRecord> {
    Record(T),
    /// Nothing arrived within the timeout.
    Idle,
    /// Every assigned partition has been read to its end (records may still arrive later).
    AtEnd,
}

/// A consumer assigned to every partition of one topic, read record by record so memory stays
/// flat however many records pass through.
pub struct Reader {
    consumer: BaseConsumer,
    topic: String,
    partitions: usize,
    at_end: std::collections::HashSet<i32>,
}

impl Reader {
    /// Assign every partition of `topic` from `start`; `wait` bounds the metadata requests.
    pub fn open(
        settings: &KafkaSettings,
        topic: &str,
        start: Start,
        wait: Duration,
    ) -> Result<Self, SampleError> {
        let c = consumer(settings)?;
        let read_err = |e: rdkafka::error::KafkaError| SampleError::Read {
            topic: topic.to_string(),
            reason: e.to_string(),
        };
        let metadata = c
            .fetch_metadata(Some(topic), wait)
            .map_err(|e| SampleError::Connect {
                bootstrap: settings.bootstrap.clone(),
                reason: e.to_string(),
            })?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(SampleError::NoTopic {
                topic: topic.to_string(),
                bootstrap: settings.bootstrap.clone(),
            });
        }
        let mut assignment = TopicPartitionList::new();
        let mut at_end = std::collections::HashSet::new();
        for p in &partitions {
            let (low, high) = c.fetch_watermarks(topic, *p, wait).map_err(read_err)?;
            let from = match start {
                Start::Beginning => low,
                Start::End => high,
                Start::LastPerPartition(n) => (high - n).max(low),
            };
            // An empty range sends no end-of-partition event; it is at its end already.
            if from >= high {
                at_end.insert(*p);
            }
            assignment
                .add_partition_offset(topic, *p, Offset::Offset(from))
                .map_err(read_err)?;
        }
        c.assign(&assignment).map_err(read_err)?;
        Ok(Self {
            consumer: c,
            topic: topic.to_string(),
            partitions: partitions.len(),
            at_end,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The next record, or why there is none yet.
    pub fn poll(&mut self, timeout: Duration) -> Result<Polled, SampleError> {
        self.poll_with(timeout, |r| r.to_raw())
    }

    /// The next record handed to `take` while librdkafka still holds it, or why there is none.
    pub fn poll_with<T>(
        &mut self,
        timeout: Duration,
        take: impl FnOnce(RecordRef<'_>) -> T,
    ) -> Result<Polled<T>, SampleError> {
        match self.consumer.poll(timeout) {
            Some(Ok(m)) => {
                // Usually empty while a backlog is read: no hashing per record then.
                if !self.at_end.is_empty() {
                    self.at_end.remove(&m.partition());
                }
                Ok(Polled::Record(take(RecordRef {
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp_ms: m.timestamp().to_millis(),
                    key: m.key(),
                    value: m.payload(),
                })))
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                self.at_end.insert(p);
                Ok(self.end_or_idle())
            }
            None => Ok(self.end_or_idle()),
            Some(Err(e)) => Err(SampleError::Read {
                topic: self.topic.clone(),
                reason: e.to_string(),
            }),
        }
    }

    fn end_or_idle<T>(&self) -> Polled<T> {
        if self.at_end.len() >= self.partitions {
            Polled::AtEnd
        } else {
            Polled::Idle
        }
    }
}

/// Up to `count` records of `topic` from `start`, waiting at most `wait` for them.
pub fn sample(
    settings: &KafkaSettings,
    topic: &str,
    start: Start,
    count: usize,
    wait: Duration,
) -> Result<Vec<RawRecord>, SampleError> {
    let mut reader = Reader::open(settings, topic, start, wait)?;
    let deadline = Instant::now() + wait;
    let mut out = Vec::new();
    while out.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match reader.poll(left.min(Duration::from_millis(200)))? {
            Polled::Record(r) => out.push(r),
            Polled::Idle | Polled::AtEnd => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    #[test]
    fn a_batch_gives_back_what_was_copied_in_even_after_reuse() {
        let mut batch = RecordBatch::default();
        for round in 0..2 {
            batch.clear();
            batch.push(RecordRef {
                partition: 1,
                offset: 7 + round,
                timestamp_ms: Some(5),
                key: Some(b"k"),
                value: None,
            });
            batch.push(RecordRef {
                partition: 0,
                offset: 3,
                timestamp_ms: None,
                key: None,
                value: Some(b"{\"a\":1}"),
            });
            let got: Vec<RawRecord> = batch.iter().map(RecordRef::to_raw).collect();
            assert_eq!(batch.len(), 2);
            assert_eq!(batch.payload_bytes(), 8);
            assert_eq!(got[0].offset, 7 + round);
            assert_eq!(got[0].key.as_deref(), Some(&b"k"[..]));
            assert_eq!(got[0].value, None, "a tombstone stays a tombstone");
            assert_eq!(got[1].key, None);
            assert_eq!(got[1].value.as_deref(), Some(&b"{\"a\":1}"[..]));
        }
    }

    #[test]
    fn a_scheme_that_differs_from_the_protocol_is_dropped() {
        assert_eq!(
            bootstrap_for("SASL_SSL://pkc-1.confluent.cloud:9092", "plaintext"),
            "pkc-1.confluent.cloud:9092"
        );
        assert_eq!(
            bootstrap_for("SASL_SSL://pkc-1.confluent.cloud:9092", "SASL_SSL"),
            "SASL_SSL://pkc-1.confluent.cloud:9092"
        );
        assert_eq!(bootstrap_for("a:1, b:2", "plaintext"), "a:1,b:2");
    }

    #[test]
    fn records_are_read_from_the_beginning_or_the_last_per_partition_without_a_group() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("orders", 2, 1).unwrap();
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .create()
            .unwrap();
        for i in 0..10 {
            let value = format!("{{\"id\":{i}}}");
            let key = format!("k{i}");
            producer
                .send(
                    BaseRecord::to("orders")
                        .partition(i % 2)
                        .key(&key)
                        .payload(&value),
                )
                .unwrap();
        }
        producer.flush(Duration::from_secs(5)).unwrap();
        let settings = KafkaSettings {
            bootstrap: mock.bootstrap_servers(),
            security_protocol: "plaintext".into(),
            sasl: None,
        };

        let all = sample(
            &settings,
            "orders",
            Start::Beginning,
            10,
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(all.len(), 10);
        let mut ids: Vec<String> = all
            .iter()
            .map(|r| String::from_utf8(r.value.clone().unwrap()).unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids[0], "{\"id\":0}");

        let last = sample(
            &settings,
            "orders",
            Start::LastPerPartition(2),
            10,
            Duration::from_secs(3),
        )
        .unwrap();
        assert_eq!(last.len(), 4, "two from each of the two partitions");
        assert!(last.iter().all(|r| r.offset >= 3), "{last:?}");

        let err = sample(
            &settings,
            "nope",
            Start::Beginning,
            1,
            Duration::from_secs(3),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
