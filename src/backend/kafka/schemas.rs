//! Records decoded through their writer schemas, each schema fetched once from Schema Registry.
//!
//! One [`Decoder`] serves `sample`, the `topic_messages` check and the live topic panel, so a
//! record reads the same everywhere.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::decode::{WriterSchema, describe_change, frame, plain};
use super::sample::RawRecord;
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
/// such, a failed fetch is tried again on the next record that needs it.
pub struct Decoder {
    source: Arc<dyn SchemaSource>,
    cache: HashMap<u32, Result<Arc<WriterSchema>, String>>,
}

impl Decoder {
    pub fn new(source: Arc<dyn SchemaSource>) -> Self {
        Self {
            source,
            cache: HashMap::new(),
        }
    }

    async fn schema(&mut self, id: u32) -> Result<Arc<WriterSchema>, String> {
        if let Some(known) = self.cache.get(&id) {
            return known.clone();
        }
        let fetched = match self.source.writer_schema(id).await {
            Ok(text) => WriterSchema::parse(&text).map(Arc::new),
            Err(e) if !e.permanent => return Err(e.message),
            Err(e) => Err(e.message),
        };
        self.cache.insert(id, fetched.clone());
        fetched
    }

    /// Bytes as JSON plus the schema id they name (if in the wire format).
    pub async fn decode_bytes(&mut self, bytes: &[u8]) -> (Value, Option<u32>) {
        let Some((id, datum)) = frame(bytes) else {
            return (plain(bytes), None);
        };
        let value = match self.schema(id).await {
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

    pub async fn decode(&mut self, raw: &RawRecord) -> DecodedRecord {
        let (key, key_schema_id) = match &raw.key {
            Some(k) => self.decode_bytes(k).await,
            None => (Value::Null, None),
        };
        let (value, value_schema_id) = match &raw.value {
            Some(v) => self.decode_bytes(v).await,
            None => (Value::Null, None),
        };
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

    /// Bytes as JSON text appended to `out` (the same JSON as [`Decoder::decode_bytes`]),
    /// without building a value first; the schema id they name, if in the wire format.
    async fn write_bytes(&mut self, bytes: Option<&[u8]>, out: &mut Vec<u8>) -> Option<u32> {
        let Some(bytes) = bytes else {
            out.extend_from_slice(b"null");
            return None;
        };
        match frame(bytes) {
            Some((id, datum)) => {
                if let Ok(schema) = self.schema(id).await
                    && schema.write_json(datum, out).is_ok()
                {
                    return Some(id);
                }
                let (value, id) = self.decode_bytes(bytes).await;
                let _ = serde_json::to_writer(&mut *out, &value);
                id
            }
            // Compact JSON goes through as it is; anything else is read as `plain` reads it.
            None if !bytes.contains(&b'\n')
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

    /// The record as one line of `sample --format json` appended to `out` (no newline).
    pub async fn write_json_line(&mut self, topic: &str, raw: &RawRecord, out: &mut Vec<u8>) {
        use std::io::Write;
        out.extend_from_slice(b"{\"topic\":");
        let _ = serde_json::to_writer(&mut *out, topic);
        let _ = write!(
            out,
            ",\"partition\":{},\"offset\":{},\"timestamp_ms\":",
            raw.partition, raw.offset
        );
        match raw.timestamp_ms {
            Some(t) => {
                let _ = write!(out, "{t}");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"key\":");
        let key_id = self.write_bytes(raw.key.as_deref(), out).await;
        out.extend_from_slice(b",\"value\":");
        let value_id = self.write_bytes(raw.value.as_deref(), out).await;
        let id = |i: Option<u32>| i.map_or_else(|| "null".to_string(), |i| i.to_string());
        let _ = write!(
            out,
            ",\"key_schema_id\":{},\"value_schema_id\":{}}}",
            id(key_id),
            id(value_id)
        );
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
