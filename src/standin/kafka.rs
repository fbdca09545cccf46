//! Change events for the stand-in's running source connectors, produced to a real Kafka
//! protocol endpoint (librdkafka's mock cluster, started here): when a source starts
//! running, a snapshot of three rows per table (`op = r`), then one insert per interval while it
//! keeps running. Values are Avro in the Confluent wire format with the schema the stand-in's
//! registry holds, so the guide decodes them exactly as it would Confluent Cloud's. PostgreSQL
//! and MySQL CDC sources whose database can be reached are played for real instead (module
//! `cdc`); this thread also creates their topics, as only it may touch the mock cluster.

use std::collections::HashMap;
use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::{Record, Value as Avro};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};

/// Rows of the snapshot a source sends when it starts running.
pub const SNAPSHOT_ROWS: i32 = 3;

/// One topic a running source writes to: its name, value schema and that schema's id.
pub(crate) struct SourceTopic {
    pub topic: String,
    pub schema: String,
    pub schema_id: u32,
}

/// An envelope `{before, after: {id}, source, op, ts_ms}` in the wire format; the source's
/// schema and table are the topic's last two parts (`prefix.schema.table`).
fn change_event(
    schema: &Schema,
    topic: &str,
    schema_id: u32,
    id: i32,
    op: &str,
    ts_ms: i64,
) -> Option<Vec<u8>> {
    let Schema::Record(env) = schema else {
        return None;
    };
    let Some(Schema::Union(u)) = env.fields.first().map(|f| &f.schema) else {
        return None;
    };
    let mut row = Record::new(u.variants().get(1)?)?;
    row.put("id", id);
    let mut parts = topic.rsplit('.');
    let table = parts.next().unwrap_or(topic);
    let db_schema = parts.next().unwrap_or("public");
    let mut source = Record::new(&env.fields.get(2)?.schema)?;
    source.put("schema", db_schema);
    source.put("table", table);
    let mut e = Record::new(schema)?;
    e.put("before", Avro::Union(0, Box::new(Avro::Null)));
    e.put("after", Avro::Union(1, Box::new(row.into())));
    e.put("source", Avro::from(source));
    e.put("op", op);
    e.put("ts_ms", Avro::Union(1, Box::new(Avro::Long(ts_ms))));
    let datum = apache_avro::to_avro_datum(schema, e).ok()?;
    let mut out = Vec::with_capacity(datum.len() + 5);
    out.push(0);
    out.extend(schema_id.to_be_bytes());
    out.extend(datum);
    Some(out)
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Produces for the sources the stand-in reports as running, into a mock cluster it owns.
/// librdkafka's mock cluster is tied to the thread-unsafe client that made it, so the feed lives
/// on one thread of its own.
pub(crate) struct ChangeFeed {
    mock: MockCluster<'static, DefaultProducerContext>,
    producer: BaseProducer,
    /// Next row id per topic already announced.
    next_id: HashMap<String, i32>,
}

impl ChangeFeed {
    pub fn start() -> Result<Self, String> {
        let mock =
            MockCluster::new(1).map_err(|e| format!("cannot start the in-process Kafka: {e}"))?;
        let producer = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .create()
            .map_err(|e| format!("cannot produce to the in-process Kafka: {e}"))?;
        Ok(Self {
            mock,
            producer,
            next_id: HashMap::new(),
        })
    }

    /// A topic of one partition, for a source the stand-in plays against a real database.
    pub fn create_topic(&self, name: &str) -> Result<(), String> {
        self.mock
            .create_topic(name, 1, 1)
            .map_err(|e| e.to_string())
    }

    pub fn bootstrap(&self) -> String {
        self.mock.bootstrap_servers()
    }

    fn send(&self, topic: &str, schema: &Schema, schema_id: u32, id: i32, op: &str) {
        let Some(value) = change_event(schema, topic, schema_id, id, op, wall_ms()) else {
            tracing::warn!(%topic, "stand-in change event could not be encoded");
            return;
        };
        let key = format!("{{\"id\":{id}}}");
        if let Err((e, _)) = self
            .producer
            .send(BaseRecord::to(topic).key(&key).payload(&value))
        {
            tracing::warn!(%topic, error = %e, "stand-in change event not produced");
        }
    }

    /// One round: a snapshot for sources seen for the first time, an insert for the others.
    pub fn round(&mut self, running: Vec<SourceTopic>) {
        for t in running {
            let Ok(schema) = Schema::parse_str(&t.schema) else {
                continue;
            };
            match self.next_id.get(&t.topic).copied() {
                None => {
                    if let Err(e) = self.mock.create_topic(&t.topic, 1, 1) {
                        tracing::warn!(topic = %t.topic, error = %e, "stand-in topic not created");
                    }
                    for id in 1..=SNAPSHOT_ROWS {
                        self.send(&t.topic, &schema, t.schema_id, id, "r");
                    }
                    self.next_id.insert(t.topic.clone(), SNAPSHOT_ROWS + 1);
                }
                Some(id) => {
                    self.send(&t.topic, &schema, t.schema_id, id, "c");
                    self.next_id.insert(t.topic.clone(), id + 1);
                }
            }
        }
        let _ = self.producer.flush(Duration::from_secs(5));
    }
}
