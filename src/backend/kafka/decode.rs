//! Record values as people read them: the Confluent wire format (magic byte 0, a 4-byte schema
//! id, an Avro datum) decoded through the writer's schema into JSON with logical types rendered
//! (decimals with their scale, timestamps as RFC 3339); JSON and text as they are; anything
//! else as hex. A Debezium envelope gets a one-line summary of the change.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{Name, ResolvedSchema};
use apache_avro::types::Value as Avro;
use serde_json::{Value, json};

/// The Confluent wire format: magic byte 0, then the schema id (u32, big-endian), then the datum.
pub fn frame(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [0, a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

/// An unscaled big-endian two's-complement integer with `scale` digits after the point.
fn decimal_text(bytes: &[u8], scale: usize) -> String {
    if bytes.len() > 16 {
        return format!("0x{}", hex(bytes));
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut buf = [if negative { 0xff } else { 0 }; 16];
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    let n = i128::from_be_bytes(buf);
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn timestamp(micros: i64) -> Value {
    let secs = micros.div_euclid(1_000_000);
    let sub = micros.rem_euclid(1_000_000);
    match u64::try_from(secs) {
        Ok(s) => {
            let t = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(s)
                + std::time::Duration::from_micros(sub as u64);
            json!(humantime::format_rfc3339_micros(t).to_string())
        }
        Err(_) => json!(micros),
    }
}

/// `value` as JSON, with `schema` telling the logical types (and `names` the named ones).
fn to_json(value: &Avro, schema: &Schema, names: &HashMap<Name, Schema>) -> Value {
    let schema = match schema {
        Schema::Ref { name } => names.get(name).unwrap_or(schema),
        s => s,
    };
    match (value, schema) {
        (Avro::Null, _) => Value::Null,
        (Avro::Boolean(b), _) => json!(b),
        (Avro::Int(i), _) => json!(i),
        (Avro::Long(l), _) => json!(l),
        (Avro::Float(f), _) => json!(f),
        (Avro::Double(d), _) => json!(d),
        (Avro::String(s), _) | (Avro::Enum(_, s), _) => json!(s),
        (Avro::Uuid(u), _) => json!(u.to_string()),
        (Avro::Decimal(d), Schema::Decimal(ds)) => {
            let bytes: Vec<u8> = Vec::try_from(d).unwrap_or_default();
            json!(decimal_text(&bytes, ds.scale))
        }
        (Avro::Decimal(d), _) => json!(hex(&Vec::<u8>::try_from(d).unwrap_or_default())),
        (Avro::BigDecimal(d), _) => json!(d.to_string()),
        (Avro::Bytes(b), Schema::Decimal(ds)) | (Avro::Fixed(_, b), Schema::Decimal(ds)) => {
            json!(decimal_text(b, ds.scale))
        }
        (Avro::Bytes(b), _) | (Avro::Fixed(_, b), _) => json!(hex(b)),
        (Avro::Date(days), _) => {
            let t = i64::from(*days) * 86_400_000_000;
            timestamp(t)
                .as_str()
                .map_or(json!(days), |s| json!(s.split('T').next().unwrap_or(s)))
        }
        (Avro::TimestampMillis(ms), _) | (Avro::LocalTimestampMillis(ms), _) => {
            timestamp(ms.saturating_mul(1000))
        }
        (Avro::TimestampMicros(us), _) | (Avro::LocalTimestampMicros(us), _) => timestamp(*us),
        (Avro::TimestampNanos(ns), _) | (Avro::LocalTimestampNanos(ns), _) => timestamp(ns / 1000),
        (Avro::TimeMillis(ms), _) => json!(format!(
            "{:02}:{:02}:{:02}.{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )),
        (Avro::TimeMicros(us), _) => json!(us),
        (Avro::Duration(d), _) => json!(format!("{d:?}")),
        (Avro::Union(i, inner), Schema::Union(u)) => match u.variants().get(*i as usize) {
            Some(branch) => to_json(inner, branch, names),
            None => to_json(inner, &Schema::Null, names),
        },
        (Avro::Union(_, inner), s) => to_json(inner, s, names),
        (Avro::Array(items), Schema::Array(a)) => {
            Value::Array(items.iter().map(|v| to_json(v, &a.items, names)).collect())
        }
        (Avro::Array(items), _) => Value::Array(
            items
                .iter()
                .map(|v| to_json(v, &Schema::Null, names))
                .collect(),
        ),
        (Avro::Map(m), Schema::Map(ms)) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json(v, &ms.types, names)))
                .collect(),
        ),
        (Avro::Map(m), _) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json(v, &Schema::Null, names)))
                .collect(),
        ),
        (Avro::Record(fields), Schema::Record(rs)) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| {
                    let fs = rs
                        .fields
                        .iter()
                        .find(|f| &f.name == k)
                        .map_or(&Schema::Null, |f| &f.schema);
                    (k.clone(), to_json(v, fs, names))
                })
                .collect(),
        ),
        (Avro::Record(fields), _) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, &Schema::Null, names)))
                .collect(),
        ),
    }
}

/// A writer schema parsed once, with its named types resolved, so each record only decodes.
#[derive(Debug, Clone)]
pub struct WriterSchema {
    schema: Schema,
    names: HashMap<Name, Schema>,
}

impl WriterSchema {
    pub fn parse(schema_text: &str) -> Result<Self, String> {
        let schema = Schema::parse_str(schema_text)
            .map_err(|e| format!("the writer schema does not parse: {e}"))?;
        let names = ResolvedSchema::try_from(&schema)
            .map_err(|e| format!("the writer schema does not resolve: {e}"))?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(Self { schema, names })
    }

    /// One Avro datum (the bytes after the wire-format header) as JSON.
    pub fn decode(&self, datum: &[u8]) -> Result<Value, String> {
        let mut reader = datum;
        let value = apache_avro::from_avro_datum(&self.schema, &mut reader, None)
            .map_err(|e| format!("the record does not fit its schema: {e}"))?;
        Ok(to_json(&value, &self.schema, &self.names))
    }
}

/// Decode an Avro datum written with `schema_text` into JSON.
pub fn avro_json(schema_text: &str, datum: &[u8]) -> Result<Value, String> {
    WriterSchema::parse(schema_text)?.decode(datum)
}

/// A value that is not in the wire format: JSON, text, or hex.
pub fn plain(bytes: &[u8]) -> Value {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return v;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => json!(s),
        Err(_) => json!(format!("0x{}", hex(bytes))),
    }
}

/// A Debezium change event in one line: `c public.orders → {…}`, `u … {before} → {after}`,
/// `d … {before}`; `None` when the value is not an envelope.
pub fn describe_change(v: &Value) -> Option<String> {
    let op = v.get("op")?.as_str()?;
    let before = v.get("before").filter(|b| !b.is_null());
    let after = v.get("after").filter(|a| !a.is_null());
    if before.is_none() && after.is_none() {
        return None;
    }
    let source = v.get("source");
    let table = source
        .and_then(|s| {
            let schema = s
                .get("schema")
                .or_else(|| s.get("db"))
                .and_then(Value::as_str)?;
            let table = s.get("table").and_then(Value::as_str)?;
            Some(format!("{schema}.{table}"))
        })
        .unwrap_or_default();
    let label = match op {
        "c" => "insert",
        "u" => "update",
        "d" => "delete",
        "r" => "snapshot",
        other => other,
    };
    let changed = match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let diffs: Vec<String> = a
                .iter()
                .filter(|(k, v)| b.get(*k) != Some(*v))
                .map(|(k, v)| format!("{k}: {} → {v}", b.get(k).cloned().unwrap_or(Value::Null)))
                .collect();
            format!("{{{}}}", diffs.join(", "))
        }
        (None, Some(a)) => a.to_string(),
        (Some(b), None) => b.to_string(),
        _ => String::new(),
    };
    Some(format!("{label} {table} {changed}").replace("  ", " "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use apache_avro::types::Record;

    const ORDERS: &str = r#"{"type":"record","name":"Envelope","namespace":"postgres.public.orders","fields":[
        {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
            {"name":"id","type":"int"},
            {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
            {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}}]}],"default":null},
        {"name":"after","type":["null","Value"],"default":null},
        {"name":"op","type":"string"}]}"#;

    fn row(schema: &Schema, id: i32, cents: i64, placed_ms: i64) -> Avro {
        let Schema::Record(env) = schema else {
            unreachable!()
        };
        let Schema::Union(u) = &env.fields[0].schema else {
            unreachable!()
        };
        let mut r = Record::new(&u.variants()[1]).unwrap();
        r.put("id", id);
        r.put(
            "amount",
            Avro::Decimal(apache_avro::Decimal::from(cents.to_be_bytes().to_vec())),
        );
        r.put("placed", Avro::TimestampMillis(placed_ms));
        r.into()
    }

    #[test]
    fn an_update_event_decodes_with_cents_and_timestamps_and_summarises_the_change() {
        let schema = Schema::parse_str(ORDERS).unwrap();
        let mut env = Record::new(&schema).unwrap();
        env.put(
            "before",
            Avro::Union(1, Box::new(row(&schema, 7, 1050, 1_700_000_000_000))),
        );
        env.put(
            "after",
            Avro::Union(1, Box::new(row(&schema, 7, -1999, 1_700_000_000_000))),
        );
        env.put("op", "u");
        let datum = apache_avro::to_avro_datum(&schema, env).unwrap();
        let mut framed = vec![0, 0, 1, 0x86, 0xa1];
        framed.extend(&datum);
        let (id, rest) = frame(&framed).unwrap();
        assert_eq!(id, 100_001);
        let v = avro_json(ORDERS, rest).unwrap();
        assert_eq!(v["before"]["amount"], "10.50");
        assert_eq!(v["after"]["amount"], "-19.99");
        assert_eq!(v["after"]["placed"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(
            describe_change(&v).unwrap(),
            r#"update {amount: "10.50" → "-19.99"}"#
        );
    }

    #[test]
    fn values_outside_the_wire_format_stay_readable() {
        assert_eq!(frame(b"{\"a\":1}"), None);
        assert_eq!(plain(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(plain(b"hello"), json!("hello"));
        assert_eq!(plain(&[0xff, 0xfe]), json!("0xfffe"));
        assert!(
            avro_json("not a schema", b"")
                .unwrap_err()
                .starts_with("the writer schema does not parse")
        );
        assert_eq!(decimal_text(&[0x01], 3), "0.001");
    }
}
