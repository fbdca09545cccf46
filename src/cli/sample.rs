//! `cdc-workshop sample --topic T`: a few records of a topic, decoded through Schema Registry,
//! for scripts and facilitators. Reads without a consumer group and without committing.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::backend::confluent::client::ConfluentClient;
use crate::backend::kafka::decode::{avro_json, describe_change, frame, plain};
use crate::backend::kafka::sample::{KafkaSettings, Start, sample};
use crate::config::{EnvLookup, Overrides};
use crate::credentials::Secret;
use crate::lesson::ContextField;
use crate::runner::confluent::resolve;
use crate::workspace::Workspace;

use super::output::{Format, json_line};
use super::{CliError, Exit, SampleArgs, SampleFrom};

/// How long `sample` waits for records before printing what it has.
pub const WAIT: Duration = Duration::from_secs(10);

/// Writer schemas by id, fetched once each.
struct Schemas<'a> {
    client: ConfluentClient,
    scope: &'a crate::backend::confluent::Scope,
    cache: HashMap<u32, Result<String, String>>,
}

impl Schemas<'_> {
    async fn decode(&mut self, bytes: &[u8]) -> (Value, Option<u32>) {
        let Some((id, datum)) = frame(bytes) else {
            return (plain(bytes), None);
        };
        if !self.cache.contains_key(&id) {
            let fetched = self
                .client
                .schema_by_id(self.scope, id)
                .await
                .map(|s| s.schema)
                .map_err(|e| e.to_string());
            self.cache.insert(id, fetched);
        }
        let decoded = match self.cache.get(&id) {
            Some(Ok(schema)) => {
                avro_json(schema, datum).unwrap_or_else(|e| json!({"undecodable": e}))
            }
            Some(Err(e)) => {
                json!({"schema_id": id, "undecodable": format!("the schema could not be read: {e}")})
            }
            None => Value::Null,
        };
        (decoded, Some(id))
    }
}

pub fn run(overrides: &Overrides, env: EnvLookup, args: &SampleArgs) -> Result<Exit, CliError> {
    let ws = Workspace::open(overrides, env)?;
    let values = ws.values.snapshot(&Default::default());
    let resolved = resolve(
        &ws.course.confluent,
        &ws.confluent_endpoints(),
        values.as_ref(),
    );
    let Some(bootstrap) = ws.settings.endpoints.kafka_bootstrap.clone() else {
        return Err(CliError::Usage(
            "no Kafka bootstrap address: set CDC_WORKSHOP_KAFKA_BOOTSTRAP (the cluster's bootstrap endpoint) or kafka_bootstrap under [endpoints] in config.toml".into(),
        ));
    };
    let protocol = ws
        .settings
        .endpoints
        .kafka_security_protocol
        .clone()
        .unwrap_or_else(|| "sasl_ssl".into());
    let render = |f: ContextField| {
        ws.course
            .confluent
            .fields
            .get(&f)
            .and_then(|t| t.render(values.as_ref()).ok())
    };
    let sasl = match (
        render(ContextField::KafkaApiKey),
        render(ContextField::KafkaApiSecret),
    ) {
        (Some(k), Some(s)) if !protocol.eq_ignore_ascii_case("plaintext") => {
            ws.redactor.add(&s);
            Some((k, Secret::new(s)))
        }
        _ => None,
    };
    let settings = KafkaSettings {
        bootstrap,
        security_protocol: protocol,
        sasl,
    };
    let start = match args.from {
        SampleFrom::Beginning => Start::Beginning,
        SampleFrom::End => Start::End,
        SampleFrom::Last => Start::LastPerPartition(i64::try_from(args.count).unwrap_or(i64::MAX)),
    };
    let topic = args.topic.clone();
    let count = args.count;
    let records = super::runtime()?
        .block_on(async {
            tokio::task::spawn_blocking(move || sample(&settings, &topic, start, count, WAIT)).await
        })
        .map_err(|e| CliError::Usage(format!("the sampler stopped: {e}")))?
        .map_err(|e| CliError::Usage(ws.redactor.redact(&e.to_string())))?;
    let client = ConfluentClient::new().map_err(|e| CliError::Usage(e.to_string()))?;
    let mut schemas = Schemas {
        client,
        scope: &resolved.scope,
        cache: HashMap::new(),
    };
    let rt = super::runtime()?;
    for r in records.iter().take(args.count) {
        let (key, key_schema) = match &r.key {
            Some(k) => rt.block_on(schemas.decode(k)),
            None => (Value::Null, None),
        };
        let (value, value_schema) = match &r.value {
            Some(v) => rt.block_on(schemas.decode(v)),
            None => (Value::Null, None),
        };
        match args.format {
            Format::Json => json_line(&json!({
                "topic": args.topic, "partition": r.partition, "offset": r.offset, "timestamp_ms": r.timestamp_ms,
                "key": key, "value": value, "key_schema_id": key_schema, "value_schema_id": value_schema,
            })),
            Format::Text => {
                let shown = if r.value.is_none() {
                    "(tombstone)".to_string()
                } else {
                    describe_change(&value).unwrap_or_else(|| value.to_string())
                };
                println!(
                    "{}@{}  {}  {}",
                    r.partition,
                    r.offset,
                    key,
                    ws.redactor.redact(&shown)
                );
            }
        }
    }
    if records.is_empty() && args.format == Format::Text {
        println!("no records in {} within {}s", args.topic, WAIT.as_secs());
    }
    Ok(Exit::Success)
}
