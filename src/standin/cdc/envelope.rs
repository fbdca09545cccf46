//! Debezium-shaped change events for the tables a stand-in connector plays: the Avro envelope
//! schema built from a table's catalog columns, and rows (the database's own text rendering of
//! each value) encoded into it in the Confluent wire format.

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use serde_json::{Value, json};

use super::CdcError;

/// How a column is written in Avro (`decimal.handling.mode = precise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Long,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    Text,
    Bool,
    /// PostgreSQL timestamps (microsecond precision).
    TimestampMicros,
    /// MySQL timestamps and datetimes.
    TimestampMillis,
    Date,
}

impl Kind {
    fn avro(self) -> Value {
        match self {
            Kind::Int => json!("int"),
            Kind::Long => json!("long"),
            Kind::Double => json!("double"),
            Kind::Text => json!("string"),
            Kind::Bool => json!("boolean"),
            Kind::Decimal { precision, scale } => {
                json!({"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale})
            }
            Kind::TimestampMicros => json!({"type": "long", "logicalType": "timestamp-micros"}),
            Kind::TimestampMillis => json!({"type": "long", "logicalType": "timestamp-millis"}),
            Kind::Date => json!({"type": "int", "logicalType": "date"}),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Double => "double",
            Kind::Decimal { .. } => "decimal",
            Kind::Text => "string",
            Kind::Bool => "boolean",
            Kind::TimestampMicros | Kind::TimestampMillis => "timestamp",
            Kind::Date => "date",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
    pub key: bool,
}

/// A captured table: PostgreSQL has a schema inside the database, MySQL does not.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub db: String,
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    /// `prefix.schema.table` (PostgreSQL) or `prefix.database.table` (MySQL).
    pub fn topic(&self, prefix: &str) -> String {
        let middle = self.schema.as_deref().unwrap_or(&self.db);
        format!("{prefix}.{middle}.{}", self.name)
    }
}

/// One value per column in catalog order, as text; `None` for NULL or not sent.
pub(crate) type Row = Vec<Option<String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Create,
    Update,
    Delete,
}

impl Op {
    fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
        }
    }
}

/// One change of one row of `tables[table]`.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub table: usize,
    pub op: Op,
    pub before: Option<Row>,
    pub after: Option<Row>,
}

/// Avro names allow `[A-Za-z0-9_]`, not starting with a digit.
fn avro_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The envelope schema of `table` on `topic`, as Debezium writes it: `before`/`after` nullable
/// records of the columns, `source`, `op`, `ts_ms`. `connector` is `postgresql` or `mysql`.
pub(crate) fn schema_json(topic: &str, connector: &str, table: &Table) -> String {
    let namespace: Vec<String> = topic.split('.').map(avro_name).collect();
    let fields: Vec<Value> = table
        .columns
        .iter()
        .map(|c| {
            let name = avro_name(&c.name);
            if c.nullable {
                json!({"name": name, "type": ["null", c.kind.avro()], "default": null})
            } else {
                json!({"name": name, "type": c.kind.avro()})
            }
        })
        .collect();
    let mut source = vec![
        json!({"name": "version", "type": "string"}),
        json!({"name": "connector", "type": "string"}),
        json!({"name": "name", "type": "string"}),
        json!({"name": "ts_ms", "type": "long"}),
        json!({"name": "db", "type": "string"}),
    ];
    if table.schema.is_some() {
        source.push(json!({"name": "schema", "type": "string"}));
    }
    source.push(json!({"name": "table", "type": "string"}));
    json!({
        "type": "record",
        "name": "Envelope",
        "namespace": namespace.join("."),
        "fields": [
            {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": fields}], "default": null},
            {"name": "after", "type": ["null", "Value"], "default": null},
            {"name": "source", "type": {"type": "record", "name": "Source",
                "namespace": format!("io.debezium.connector.{connector}"), "fields": source}},
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": null},
        ],
    })
    .to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn epoch_days(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM]]` → microseconds since the epoch (UTC); the
/// sessions run in UTC, so an offset shows up only for PostgreSQL's `timestamptz`.
pub(crate) fn epoch_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = text.get(..10)?;
    let days = epoch_days(date)?;
    let rest = text.get(10..)?.trim_start_matches([' ', 'T']);
    let mut micros = days * 86_400_000_000;
    if rest.is_empty() {
        return Some(micros);
    }
    let tz_at = rest.find(['+', '-', 'Z']).unwrap_or(rest.len());
    let (time, tz) = rest.split_at(tz_at);
    let mut hms = time.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let seconds = hms.next().unwrap_or("0");
    let (s, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
    let s: i64 = s.parse().ok()?;
    let frac: String = frac.chars().chain("000000".chars()).take(6).collect();
    let frac: i64 = frac.parse().ok()?;
    micros += ((h * 60 + m) * 60 + s) * 1_000_000 + frac;
    if let Some(sign) = tz.chars().next().filter(|c| *c != 'Z') {
        let digits: String = tz[1..].chars().filter(char::is_ascii_digit).collect();
        let oh: i64 = digits.get(..2)?.parse().ok()?;
        let om: i64 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
        let offset = (oh * 60 + om) * 60_000_000;
        micros -= if sign == '-' { -offset } else { offset };
    }
    Some(micros)
}

/// `-12.345` at `scale` → the unscaled value as minimal big-endian two's complement.
fn decimal_bytes(text: &str, scale: u32) -> Option<Vec<u8>> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let scale = usize::try_from(scale).ok()?;
    let frac: String = frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(scale)
        .collect();
    let unscaled: i128 = format!("0{int}{frac}").parse().ok()?;
    let unscaled = if negative { -unscaled } else { unscaled };
    let bytes = unscaled.to_be_bytes();
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    Some(bytes[start..].to_vec())
}

fn avro_value(kind: Kind, text: &str) -> Option<Avro> {
    Some(match kind {
        Kind::Int => Avro::Int(text.trim().parse().ok()?),
        Kind::Long => Avro::Long(text.trim().parse().ok()?),
        Kind::Double => Avro::Double(text.trim().parse().ok()?),
        Kind::Text => Avro::String(text.to_string()),
        Kind::Bool => Avro::Boolean(matches!(
            text.trim().to_ascii_lowercase().as_str(),
            "t" | "true" | "1" | "y" | "yes" | "on"
        )),
        Kind::Decimal { scale, .. } => {
            Avro::Decimal(apache_avro::Decimal::from(decimal_bytes(text, scale)?))
        }
        Kind::TimestampMicros => Avro::TimestampMicros(epoch_micros(text)?),
        Kind::TimestampMillis => Avro::TimestampMillis(epoch_micros(text)? / 1000),
        Kind::Date => Avro::Date(i32::try_from(epoch_days(text.trim().get(..10)?)?).ok()?),
    })
}

/// What a NOT NULL column holds when the change does not carry it (a key-only `before`).
fn zero(kind: Kind) -> Avro {
    match kind {
        Kind::Int => Avro::Int(0),
        Kind::Long => Avro::Long(0),
        Kind::Double => Avro::Double(0.0),
        Kind::Text => Avro::String(String::new()),
        Kind::Bool => Avro::Boolean(false),
        Kind::Decimal { .. } => Avro::Decimal(apache_avro::Decimal::from(vec![0u8])),
        Kind::TimestampMicros => Avro::TimestampMicros(0),
        Kind::TimestampMillis => Avro::TimestampMillis(0),
        Kind::Date => Avro::Date(0),
    }
}

fn row_value(table: &Table, row: &Row) -> Result<Avro, CdcError> {
    let mut fields = Vec::with_capacity(table.columns.len());
    for (i, c) in table.columns.iter().enumerate() {
        let text = row.get(i).and_then(Option::as_deref);
        let value = match text {
            Some(t) => Some(avro_value(c.kind, t).ok_or_else(|| CdcError::Value {
                column: c.name.clone(),
                text: t.to_string(),
                kind: c.kind.name(),
            })?),
            None => None,
        };
        let value = match (c.nullable, value) {
            (true, Some(v)) => Avro::Union(1, Box::new(v)),
            (true, None) => Avro::Union(0, Box::new(Avro::Null)),
            (false, Some(v)) => v,
            (false, None) => zero(c.kind),
        };
        fields.push((avro_name(&c.name), value));
    }
    Ok(Avro::Record(fields))
}

fn optional_row(table: &Table, row: Option<&Row>) -> Result<Avro, CdcError> {
    Ok(match row {
        Some(r) => Avro::Union(1, Box::new(row_value(table, r)?)),
        None => Avro::Union(0, Box::new(Avro::Null)),
    })
}

/// Where an event comes from, for its `source` block.
pub(crate) struct Origin<'a> {
    /// `postgresql` or `mysql`.
    pub connector: &'a str,
    /// The logical name: the topic prefix.
    pub name: &'a str,
}

/// The change in the Confluent wire format under `schema` (registered as `schema_id`).
pub(crate) fn encode(
    schema: &Schema,
    schema_id: u32,
    table: &Table,
    origin: &Origin<'_>,
    change: &Change,
    ts_ms: i64,
) -> Result<Vec<u8>, CdcError> {
    let mut source = vec![
        ("version".to_string(), Avro::String("stand-in".into())),
        (
            "connector".to_string(),
            Avro::String(origin.connector.into()),
        ),
        ("name".to_string(), Avro::String(origin.name.into())),
        ("ts_ms".to_string(), Avro::Long(ts_ms)),
        ("db".to_string(), Avro::String(table.db.clone())),
    ];
    if let Some(s) = &table.schema {
        source.push(("schema".to_string(), Avro::String(s.clone())));
    }
    source.push(("table".to_string(), Avro::String(table.name.clone())));
    let envelope = Avro::Record(vec![
        (
            "before".to_string(),
            optional_row(table, change.before.as_ref())?,
        ),
        (
            "after".to_string(),
            optional_row(table, change.after.as_ref())?,
        ),
        ("source".to_string(), Avro::Record(source)),
        ("op".to_string(), Avro::String(change.op.code().into())),
        (
            "ts_ms".to_string(),
            Avro::Union(1, Box::new(Avro::Long(ts_ms))),
        ),
    ]);
    let datum =
        apache_avro::to_avro_datum(schema, envelope).map_err(|e| CdcError::Avro(e.to_string()))?;
    let mut out = Vec::with_capacity(datum.len() + 5);
    out.push(0);
    out.extend(schema_id.to_be_bytes());
    out.extend(datum);
    Ok(out)
}

/// The record key: the primary key columns as a JSON object (numbers stay numbers).
pub(crate) fn key(table: &Table, row: &Row) -> String {
    let mut key = serde_json::Map::new();
    for (i, c) in table.columns.iter().enumerate().filter(|(_, c)| c.key) {
        let text = row.get(i).and_then(Option::as_deref);
        let value = match (c.kind, text) {
            (_, None) => Value::Null,
            (Kind::Int | Kind::Long, Some(t)) => t
                .trim()
                .parse::<i64>()
                .map_or_else(|_| json!(t), |n| json!(n)),
            (_, Some(t)) => json!(t),
        };
        key.insert(c.name.clone(), value);
    }
    Value::Object(key).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn timestamps_and_dates_count_from_the_epoch_in_utc() {
        assert_eq!(epoch_micros("1970-01-01 00:00:00"), Some(0));
        assert_eq!(
            epoch_micros("2023-11-14 22:13:20.5"),
            Some(1_700_000_000_500_000)
        );
        assert_eq!(
            epoch_micros("2023-11-15 00:13:20+02"),
            Some(1_700_000_000_000_000)
        );
        assert_eq!(epoch_days("2000-03-01"), Some(11_017));
        assert_eq!(epoch_days("1969-12-31"), Some(-1));
        assert_eq!(epoch_micros("infinity"), None);
    }

    #[test]
    fn decimals_keep_their_scale_in_minimal_twos_complement() {
        assert_eq!(decimal_bytes("1.5", 2), Some(vec![0, 150]));
        assert_eq!(decimal_bytes("-0.01", 2), Some(vec![0xff]));
        assert_eq!(decimal_bytes("127", 0), Some(vec![127]));
        assert_eq!(decimal_bytes("NaN", 2), None);
    }

    #[test]
    fn an_event_encodes_into_its_own_schema() {
        let table = Table {
            db: "customers".into(),
            schema: Some("public".into()),
            name: "sale".into(),
            columns: vec![
                Column {
                    name: "sale_id".into(),
                    kind: Kind::Text,
                    nullable: false,
                    key: true,
                },
                Column {
                    name: "amount".into(),
                    kind: Kind::Decimal {
                        precision: 20,
                        scale: 3,
                    },
                    nullable: true,
                    key: false,
                },
                Column {
                    name: "date_sale".into(),
                    kind: Kind::TimestampMicros,
                    nullable: true,
                    key: false,
                },
            ],
        };
        let topic = table.topic("postgres");
        assert_eq!(topic, "postgres.public.sale");
        let schema = Schema::parse_str(&schema_json(&topic, "postgresql", &table)).unwrap();
        let change = Change {
            table: 0,
            op: Op::Delete,
            before: Some(vec![Some("s1".into()), None, None]),
            after: None,
        };
        let origin = Origin {
            connector: "postgresql",
            name: "postgres",
        };
        let bytes = encode(&schema, 7, &table, &origin, &change, 1).unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 0, 7]);
        let row = vec![
            Some("s2".into()),
            Some("12.5".into()),
            Some("2024-01-02 03:04:05".into()),
        ];
        assert_eq!(key(&table, &row), r#"{"sale_id":"s2"}"#);
        let insert = Change {
            op: Op::Create,
            before: None,
            after: Some(row),
            ..change
        };
        assert!(encode(&schema, 7, &table, &origin, &insert, 1).is_ok());
        let bad = Change {
            after: Some(vec![Some("s3".into()), Some("x".into()), None]),
            ..insert
        };
        assert!(matches!(
            encode(&schema, 7, &table, &origin, &bad, 1),
            Err(CdcError::Value { .. })
        ));
    }
}
