//! Record values as people read them: the Confluent wire format (magic byte 0, a 4-byte schema
//! id, an Avro datum) decoded through the writer's schema into JSON with logical types rendered
//! (decimals with their scale, timestamps as RFC 3339); JSON and text as they are; anything
//! else as hex. A Debezium envelope gets a one-line summary of the change.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{Name, ResolvedSchema};
use serde_json::{Value, json};

use super::plan::Plan;

/// The Confluent wire format: magic byte 0, then the schema id (u32, big-endian), then the datum.
pub fn frame(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [0, a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

/// A writer schema parsed once and compiled, so each record only decodes.
#[derive(Debug, Clone)]
pub struct WriterSchema {
    plan: Plan,
}

impl WriterSchema {
    pub fn parse(schema_text: &str) -> Result<Self, String> {
        let schema = Schema::parse_str(schema_text)
            .map_err(|e| format!("the writer schema does not parse: {e}"))?;
        let resolved = ResolvedSchema::try_from(&schema)
            .map_err(|e| format!("the writer schema does not resolve: {e}"))?;
        let names: HashMap<Name, Schema> = resolved
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        let plan = Plan::compile(&schema, &names)
            .map_err(|e| format!("the writer schema cannot be read: {e}"))?;
        Ok(Self { plan })
    }

    /// One Avro datum (the bytes after the wire-format header) as JSON.
    pub fn decode(&self, datum: &[u8]) -> Result<Value, String> {
        let mut text = Vec::with_capacity(datum.len() * 4);
        self.write_json(datum, &mut text)?;
        serde_json::from_slice(&text).map_err(|e| format!("the record reads as broken JSON: {e}"))
    }

    /// One Avro datum appended to `out` as JSON text; on error `out` is left as it was.
    pub fn write_json(&self, datum: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        super::binary::write_json(&self.plan, datum, out).map_err(|e| {
            out.truncate(start);
            format!("the record does not fit its schema: {e}")
        })
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
        Err(_) => {
            let mut text = b"0x".to_vec();
            super::json_text::hex_digits(&mut text, bytes);
            Value::String(String::from_utf8_lossy(&text).into_owned())
        }
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
    use apache_avro::types::{Record, Value as Avro};

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
    }

    const EVERY_TYPE: &str = r#"{"type":"record","name":"All","namespace":"t","fields":[
        {"name":"n","type":"null"},
        {"name":"b","type":"boolean"},
        {"name":"i","type":"int"},
        {"name":"l","type":"long"},
        {"name":"f","type":"float"},
        {"name":"d","type":"double"},
        {"name":"raw","type":"bytes"},
        {"name":"s","type":"string"},
        {"name":"fx","type":{"type":"fixed","name":"Two","size":2}},
        {"name":"e","type":{"type":"enum","name":"Status","symbols":["Pending","Shipped"]}},
        {"name":"arr","type":{"type":"array","items":"string"}},
        {"name":"m","type":{"type":"map","values":"long"}},
        {"name":"opt","type":["null","string"],"default":null},
        {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":3}},
        {"name":"decfx","type":{"type":"fixed","name":"D8","size":8,"logicalType":"decimal","precision":18,"scale":2}},
        {"name":"u","type":{"type":"string","logicalType":"uuid"}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"tu","type":{"type":"long","logicalType":"time-micros"}},
        {"name":"tsm","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tsu","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"lts","type":{"type":"long","logicalType":"local-timestamp-millis"}},
        {"name":"again","type":"Status"},
        {"name":"nested","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}}]}"#;

    #[test]
    fn every_type_of_the_data_model_decodes_to_readable_json() {
        let schema = Schema::parse_str(EVERY_TYPE).unwrap();
        let Schema::Record(rs) = &schema else {
            unreachable!()
        };
        let field = |name: &str| &rs.fields.iter().find(|f| f.name == name).unwrap().schema;
        let mut r = Record::new(&schema).unwrap();
        r.put("n", Avro::Null);
        r.put("b", true);
        r.put("i", -42);
        r.put("l", 9_000_000_000i64);
        r.put("f", 1.5f32);
        r.put("d", -0.25f64);
        r.put("raw", Avro::Bytes(vec![0xca, 0xfe]));
        r.put("s", "Confluent Germany GmbH");
        r.put("fx", Avro::Fixed(2, vec![1, 2]));
        r.put("e", Avro::Enum(1, "Shipped".into()));
        r.put("arr", Avro::Array(vec!["a".into(), "b".into()]));
        r.put(
            "m",
            Avro::Map([("k".to_string(), Avro::Long(7))].into_iter().collect()),
        );
        r.put("opt", Avro::Union(1, Box::new(Avro::String("x".into()))));
        r.put(
            "dec",
            Avro::Decimal(apache_avro::Decimal::from(
                1_234_567i64.to_be_bytes().to_vec(),
            )),
        );
        r.put(
            "decfx",
            Avro::Decimal(apache_avro::Decimal::from(
                (-1999i64).to_be_bytes().to_vec(),
            )),
        );
        r.put(
            "u",
            Avro::Uuid(uuid_from("6f1c0f8e-3b1a-4c57-9a0e-2f3d4c5b6a79")),
        );
        r.put("day", Avro::Date(19_675));
        r.put("tm", Avro::TimeMillis(3_723_004));
        r.put("tu", Avro::TimeMicros(5));
        r.put("tsm", Avro::TimestampMillis(1_700_000_000_123));
        r.put("tsu", Avro::TimestampMicros(1_700_000_000_123_456));
        r.put("lts", Avro::LocalTimestampMillis(0));
        r.put("again", Avro::Enum(0, "Pending".into()));
        let mut n = Record::new(field("nested")).unwrap();
        n.put("x", 3);
        r.put("nested", Avro::from(n));
        let datum = apache_avro::to_avro_datum(&schema, r).unwrap();
        let v = avro_json(EVERY_TYPE, &datum).unwrap();
        assert_eq!(
            v,
            json!({
                "n": null, "b": true, "i": -42, "l": 9_000_000_000i64, "f": 1.5, "d": -0.25,
                "raw": "cafe", "s": "Confluent Germany GmbH", "fx": "0102", "e": "Shipped",
                "arr": ["a", "b"], "m": {"k": 7}, "opt": "x", "dec": "1234.567", "decfx": "-19.99",
                "u": "6f1c0f8e-3b1a-4c57-9a0e-2f3d4c5b6a79", "day": "2023-11-14",
                "tm": "01:02:03.004", "tu": 5,
                "tsm": "2023-11-14T22:13:20.123000Z", "tsu": "2023-11-14T22:13:20.123456Z",
                "lts": "1970-01-01T00:00:00.000000Z", "again": "Pending", "nested": {"x": 3},
            })
        );
        // Written straight to text, it is the same JSON.
        let ws = WriterSchema::parse(EVERY_TYPE).unwrap();
        let mut text = b"prefix".to_vec();
        ws.write_json(&datum, &mut text).unwrap();
        let parsed: Value = serde_json::from_slice(&text[6..]).unwrap();
        assert_eq!(parsed, v);
        let failed = ws.write_json(&datum[..4], &mut text);
        assert!(failed.is_err());
        assert_eq!(
            text.len(),
            6 + serde_json::to_vec(&v).unwrap().len(),
            "untouched on error"
        );
        // A datum cut short, or longer than its schema, is reported, not guessed at.
        let short = avro_json(EVERY_TYPE, &datum[..datum.len() - 3]).unwrap_err();
        assert!(short.contains("ends early"), "{short}");
        let mut long = datum.clone();
        long.push(0);
        let extra = avro_json(EVERY_TYPE, &long).unwrap_err();
        assert!(extra.contains("1 bytes left"), "{extra}");
    }

    #[test]
    fn a_record_that_contains_itself_decodes_to_its_depth() {
        let list = r#"{"type":"record","name":"Node","fields":[
            {"name":"v","type":"int"},{"name":"next","type":["null","Node"],"default":null}]}"#;
        let schema = Schema::parse_str(list).unwrap();
        let node = |v: i32, next: Avro| {
            let mut r = Record::new(&schema).unwrap();
            r.put("v", v);
            r.put("next", next);
            Avro::from(r)
        };
        let tail = node(2, Avro::Union(0, Box::new(Avro::Null)));
        let head = node(1, Avro::Union(1, Box::new(tail)));
        let datum = apache_avro::to_avro_datum(&schema, head).unwrap();
        assert_eq!(
            avro_json(list, &datum).unwrap(),
            json!({"v": 1, "next": {"v": 2, "next": null}})
        );
    }

    fn uuid_from(text: &str) -> apache_avro::Uuid {
        apache_avro::Uuid::parse_str(text).unwrap()
    }
}
