//! Records decoded through their writer schemas, each schema fetched once from Schema Registry.
//!
//! One [`Decoder`] serves `sample`, the `topic_messages` check and the live topic panel, so a
//! record reads the same everywhere.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::decode::{WriterSchema, describe_change, frame, plain};
use super::sample::{RawRecord, RecordRef};
use crate::backend::confluent::{ConfluentApi, Scope};

/// Why a writer schema could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFetchError {
    pub message: String,
    /// The registry answered that the id does not exist: asking again will not help.
    pub permanent: bool,
}

/// Where writer schemas come from (Schema Registry; a map in tests).
pub trait SchemaSource: Send + Sync {
    fn writer_schema(&self, id: u32) -> BoxFuture<'_, Result<String, SchemaFetchError>>;
}

/// Schema Registry through the Confluent client, with the scope's registry URL and key.
pub struct RegistrySchemas {
    client: Arc<dyn ConfluentApi>,
    scope: Scope,
}

impl RegistrySchemas {
    pub fn new(client: Arc<dyn ConfluentApi>, scope: Scope) -> Self {
        Self { client, scope }
    }
}

impl SchemaSource for RegistrySchemas {
    fn writer_schema(&self, id: u32) -> BoxFuture<'_, Result<String, SchemaFetchError>> {
        Box::pin(async move {
            self.client
                .schema_by_id(&self.scope, id)
                .await
                .map(|s| s.schema)
                .map_err(|e| SchemaFetchError {
                    permanent: e.is_gone(),
                    message: e.to_string(),
                })
        })
    }
}

/// A record as people read it.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Value,
    /// `Null` for a tombstone (see `tombstone`).
    pub value: Value,
    pub tombstone: bool,
    pub key_schema_id: Option<u32>,
    pub value_schema_id: Option<u32>,
}

impl DecodedRecord {
    /// One line: the change summary of a CDC envelope, else the value itself.
    pub fn summary(&self) -> String {
        if self.tombstone {
            return "(tombstone)".to_string();
        }
        describe_change(&self.value).unwrap_or_else(|| match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The decoded value at a dotted path (`after.ORDER_ID`); `None` when absent.
    pub fn field(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .filter(|p| !p.is_empty())
            .try_fold(&self.value, |v, part| match v {
                Value::Object(m) => m.get(part),
                Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }

    /// Whether any scalar anywhere in the value reads exactly `text`.
    pub fn contains_text(&self, text: &str) -> bool {
        fn walk(v: &Value, text: &str) -> bool {
            match v {
                Value::String(s) => s == text,
                Value::Number(n) => n.to_string() == text,
                Value::Bool(b) => b.to_string() == text,
                Value::Array(items) => items.iter().any(|i| walk(i, text)),
                Value::Object(m) => m.values().any(|i| walk(i, text)),
                Value::Null => false,
            }
        }
        walk(&self.value, text)
    }
}

/// Writer schemas kept after the first fetch; an id the registry does not know is remembered as
/// such, a failed fetch is tried again for the next record that needs it.
///
/// Fetching is async ([`Decoder::fetch_for`]); rendering a record whose schemas are known is
/// not, so a reader thread can decode as it polls and only stops to fetch a new schema.
pub struct Decoder {
    source: Arc<dyn SchemaSource>,
    cache: HashMap<u32, Known, BuildHasherDefault<IdHasher>>,
}

/// Schema ids are small registry-assigned numbers looked up for every record: a multiplicative
/// hash is enough, and SipHash showed in the sampler's profile.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

enum Known {
    Schema(Arc<WriterSchema>),
    Failed { message: String, ask_again: bool },
}

impl Decoder {
    pub fn new(source: Arc<dyn SchemaSource>) -> Self {
        Self {
            source,
            cache: HashMap::default(),
        }
    }

    fn needs(&self, bytes: Option<&[u8]>) -> Option<u32> {
        let (id, _) = frame(bytes?)?;
        match self.cache.get(&id) {
            None
            | Some(Known::Failed {
                ask_again: true, ..
            }) => Some(id),
            Some(_) => None,
        }
    }

    /// Whether rendering this record would need a schema not fetched yet.
    pub fn needs_fetch(&self, record: RecordRef<'_>) -> bool {
        self.needs(record.key).is_some() || self.needs(record.value).is_some()
    }

    /// Fetch the schemas the record's key and value name that are not known yet.
    pub async fn fetch_for(&mut self, record: RecordRef<'_>) {
        let ids = [self.needs(record.key), self.needs(record.value)];
        for id in ids.into_iter().flatten() {
            let known = match self.source.writer_schema(id).await {
                Ok(text) => match WriterSchema::parse(&text) {
                    Ok(schema) => Known::Schema(Arc::new(schema)),
                    Err(message) => Known::Failed {
                        message,
                        ask_again: false,
                    },
                },
                Err(e) => Known::Failed {
                    message: e.message,
                    ask_again: !e.permanent,
                },
            };
            self.cache.insert(id, known);
        }
    }

    fn schema(&self, id: u32) -> Result<&WriterSchema, String> {
        match self.cache.get(&id) {
            Some(Known::Schema(s)) => Ok(s),
            Some(Known::Failed { message, .. }) => Err(message.clone()),
            None => Err("not fetched yet".to_string()),
        }
    }

    /// Bytes as JSON plus the schema id they name (if in the wire format).
    fn decode_bytes(&self, bytes: &[u8]) -> (Value, Option<u32>) {
        let Some((id, datum)) = frame(bytes) else {
            return (plain(bytes), None);
        };
        let value = match self.schema(id) {
            Ok(schema) => schema
                .decode(datum)
                .unwrap_or_else(|e| json!({"schema_id": id, "undecodable": e})),
            Err(e) => json!({
                "schema_id": id,
                "undecodable": format!("schema {id} could not be read: {e}"),
            }),
        };
        (value, Some(id))
    }

    /// The record decoded with the schemas known now (see [`Decoder::fetch_for`]).
    pub fn decoded(&self, raw: RecordRef<'_>) -> DecodedRecord {
        let (key, key_schema_id) = raw
            .key
            .map_or((Value::Null, None), |k| self.decode_bytes(k));
        let (value, value_schema_id) = raw
            .value
            .map_or((Value::Null, None), |v| self.decode_bytes(v));
        DecodedRecord {
            partition: raw.partition,
            offset: raw.offset,
            timestamp_ms: raw.timestamp_ms,
            key,
            value,
            tombstone: raw.value.is_none(),
            key_schema_id,
            value_schema_id,
        }
    }

    /// Fetch what the record needs, then decode it.
    pub async fn decode(&mut self, raw: &RawRecord) -> DecodedRecord {
        self.fetch_for(raw.as_ref()).await;
        self.decoded(raw.as_ref())
    }

    /// Bytes as JSON text appended to `out` (the same JSON as [`Decoder::decoded`] gives),
    /// without building a value first; the schema id they name, if in the wire format.
    fn write_bytes(&self, bytes: Option<&[u8]>, out: &mut Vec<u8>) -> Option<u32> {
        let Some(bytes) = bytes else {
            out.extend_from_slice(b"null");
            return None;
        };
        match frame(bytes) {
            Some((id, datum)) => {
                if let Ok(schema) = self.schema(id)
                    && schema.write_json(datum, out).is_ok()
                {
                    return Some(id);
                }
                let (value, id) = self.decode_bytes(bytes);
                let _ = serde_json::to_writer(&mut *out, &value);
                id
            }
            // Compact JSON goes through as it is; anything else is read as `plain` reads it.
            None if !bytes.contains(&b'\n')
                && std::str::from_utf8(bytes).is_ok()
                && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() =>
            {
                out.extend_from_slice(bytes);
                None
            }
            None => {
                let _ = serde_json::to_writer(&mut *out, &plain(bytes));
                None
            }
        }
    }

    /// The record as one line of `sample --format json` appended to `out` (no newline), decoded
    /// with the schemas known now (see [`Decoder::fetch_for`]).
    pub fn write_json_line(&self, topic: &str, raw: RecordRef<'_>, out: &mut Vec<u8>) {
        let number = |out: &mut Vec<u8>, n: Option<i64>| match n {
            Some(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            None => out.extend_from_slice(b"null"),
        };
        out.extend_from_slice(b"{\"topic\":");
        super::json_text::string(out, topic);
        out.extend_from_slice(b",\"partition\":");
        number(out, Some(i64::from(raw.partition)));
        out.extend_from_slice(b",\"offset\":");
        number(out, Some(raw.offset));
        out.extend_from_slice(b",\"timestamp_ms\":");
        number(out, raw.timestamp_ms);
        out.extend_from_slice(b",\"key\":");
        let key_id = self.write_bytes(raw.key, out);
        out.extend_from_slice(b",\"value\":");
        let value_id = self.write_bytes(raw.value, out);
        out.extend_from_slice(b",\"key_schema_id\":");
        number(out, key_id.map(i64::from));
        out.extend_from_slice(b",\"value_schema_id\":");
        number(out, value_id.map(i64::from));
        out.push(b'}');
    }

    /// Schemas fetched so far (successfully or not).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SCHEMA: &str =
        r#"{"type":"record","name":"R","fields":[{"name":"note","type":"string"}]}"#;

    struct Counting {
        calls: AtomicUsize,
    }

    impl SchemaSource for Counting {
        fn writer_schema(&self, id: u32) -> BoxFuture<'_, Result<String, SchemaFetchError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                match id {
                    1 => Ok(SCHEMA.to_string()),
                    2 => Err(SchemaFetchError {
                        message: "Schema 2 not found (404)".into(),
                        permanent: true,
                    }),
                    _ => Err(SchemaFetchError {
                        message: "registry busy (503)".into(),
                        permanent: false,
                    }),
                }
            })
        }
    }

    fn framed(id: u32, note: &str) -> Vec<u8> {
        let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
        let mut r = apache_avro::types::Record::new(&schema).unwrap();
        r.put("note", note);
        let mut out = vec![0];
        out.extend(id.to_be_bytes());
        out.extend(apache_avro::to_avro_datum(&schema, r).unwrap());
        out
    }

    fn raw(value: Option<Vec<u8>>) -> RawRecord {
        RawRecord {
            partition: 0,
            offset: 7,
            timestamp_ms: Some(1),
            key: Some(b"k1".to_vec()),
            value,
        }
    }

    #[tokio::test]
    async fn a_schema_is_fetched_once_and_an_unknown_id_is_remembered_but_a_busy_registry_is_asked_again()
     {
        let source = Arc::new(Counting {
            calls: AtomicUsize::new(0),
        });
        let mut d = Decoder::new(source.clone());
        for _ in 0..3 {
            let r = d.decode(&raw(Some(framed(1, "cdcw-m1")))).await;
            assert_eq!(r.value, json!({"note": "cdcw-m1"}));
            assert_eq!(r.value_schema_id, Some(1));
            assert_eq!(r.key, json!("k1"));
            assert!(r.contains_text("cdcw-m1"));
            assert_eq!(r.field("note"), Some(&json!("cdcw-m1")));
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);

        for _ in 0..2 {
            let r = d.decode(&raw(Some(framed(2, "x")))).await;
            assert!(r.value["undecodable"].as_str().unwrap().contains("404"));
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 2, "404 is cached");

        for _ in 0..2 {
            d.decode(&raw(Some(framed(3, "x")))).await;
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 4, "503 is not cached");

        let tomb = d.decode(&raw(None)).await;
        assert!(tomb.tombstone);
        assert_eq!(tomb.summary(), "(tombstone)");
    }
}
