//! Avro's binary encoding read straight into JSON, driven by the writer schema.
//!
//! The generic route (a datum into `apache_avro::types::Value`, then into JSON) resolves the
//! schema's names and allocates twice per record; a topic sample of 100,000 change events spends
//! most of its time there. This reader walks the parsed schema once per datum and builds the
//! JSON as it goes, with logical types rendered as people read them.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::Name;
use serde_json::{Map, Value, json};

use super::decode::{date_text, decimal_text, hex, time_millis_text, timestamp};

/// Nesting deeper than this is a malformed (or hostile) schema, not a change event.
const MAX_DEPTH: usize = 64;

pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    names: &'a HashMap<Name, Schema>,
}

type Decoded = Result<Value, String>;

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], names: &'a HashMap<Name, Schema>) -> Self {
        Self {
            bytes,
            at: 0,
            names,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "the record ends early (byte {} of {})",
                    self.at,
                    self.bytes.len()
                )
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    /// A zig-zag varint (Avro `int` and `long`).
    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.take(1)?.first().unwrap_or(&0);
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err("a varint longer than 10 bytes".into())
    }

    fn len(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        usize::try_from(n).map_err(|_| format!("a negative length ({n})"))
    }

    fn bytes_value(&mut self) -> Result<&'a [u8], String> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        let b = self.bytes_value()?;
        String::from_utf8(b.to_vec()).map_err(|_| "a string that is not UTF-8".to_string())
    }

    /// Array and map items come in blocks: a count (negative: followed by the block's size in
    /// bytes), ending with a zero count.
    fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let count = self.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                self.long()?;
            }
            for _ in 0..count.unsigned_abs() {
                item(self)?;
            }
        }
    }

    /// The union branch the next datum is written in.
    fn branch<'s>(
        &mut self,
        u: &'s apache_avro::schema::UnionSchema,
    ) -> Result<&'s Schema, String> {
        let i = self.long()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| u.variants().get(i))
            .ok_or_else(|| format!("union branch {i} out of range"))
    }

    /// The definition a named reference points to.
    fn named(&self, name: &Name) -> Result<&'a Schema, String> {
        let names: &'a HashMap<Name, Schema> = self.names;
        names
            .get(name)
            .ok_or_else(|| format!("the schema names `{}` but never defines it", name.name))
    }

    pub fn value(&mut self, schema: &Schema) -> Decoded {
        self.value_at(schema, 0)
    }

    fn value_at(&mut self, schema: &Schema, depth: usize) -> Decoded {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply".into());
        }
        let next = depth + 1;
        Ok(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => json!(self.take(1)?.first().is_some_and(|b| *b != 0)),
            Schema::Int | Schema::Long => json!(self.long()?),
            Schema::Float => {
                let b = self.take(4)?;
                json!(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            Schema::Double => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                json!(f64::from_le_bytes(a))
            }
            Schema::Bytes => json!(hex(self.bytes_value()?)),
            Schema::String | Schema::Uuid => json!(self.string()?),
            Schema::Fixed(f) => json!(hex(self.take(f.size)?)),
            Schema::Duration => json!(hex(self.take(12)?)),
            Schema::BigDecimal => json!(hex(self.bytes_value()?)),
            Schema::Decimal(d) => {
                let raw = match d.inner.as_ref() {
                    Schema::Fixed(f) => self.take(f.size)?,
                    _ => self.bytes_value()?,
                };
                json!(decimal_text(raw, d.scale))
            }
            Schema::Date => date_text(self.long()?),
            Schema::TimeMillis => json!(time_millis_text(self.long()?)),
            Schema::TimeMicros => json!(self.long()?),
            Schema::TimestampMillis | Schema::LocalTimestampMillis => {
                timestamp(self.long()?.saturating_mul(1000))
            }
            Schema::TimestampMicros | Schema::LocalTimestampMicros => timestamp(self.long()?),
            Schema::TimestampNanos | Schema::LocalTimestampNanos => timestamp(self.long()? / 1000),
            Schema::Enum(e) => {
                let i = self.long()?;
                let symbol = usize::try_from(i).ok().and_then(|i| e.symbols.get(i));
                json!(symbol.ok_or_else(|| format!("enum index {i} out of range"))?)
            }
            Schema::Union(u) => {
                let branch = self.branch(u)?;
                self.value_at(branch, next)?
            }
            Schema::Array(a) => {
                let mut items = Vec::new();
                self.blocks(|r| {
                    items.push(r.value_at(&a.items, next)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Schema::Map(m) => {
                let mut out = Map::new();
                self.blocks(|r| {
                    let k = r.string()?;
                    let v = r.value_at(&m.types, next)?;
                    out.insert(k, v);
                    Ok(())
                })?;
                Value::Object(out)
            }
            Schema::Record(rec) => {
                let mut out = Map::new();
                for f in &rec.fields {
                    let v = self.value_at(&f.schema, next)?;
                    out.insert(f.name.clone(), v);
                }
                Value::Object(out)
            }
            Schema::Ref { name } => {
                let target = self.named(name)?;
                self.value_at(target, next)?
            }
        })
    }

    /// The datum as JSON text appended to `out`: the same JSON as [`Reader::value`] without
    /// building it first (what `sample --format json` prints, 100,000 records at a time).
    pub fn write_json(&mut self, schema: &Schema, out: &mut Vec<u8>) -> Result<(), String> {
        self.write_at(schema, out, 0)
    }

    fn write_at(&mut self, schema: &Schema, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        use std::io::Write;
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply".into());
        }
        let next = depth + 1;
        let text =
            |out: &mut Vec<u8>, s: &str| serde_json::to_writer(out, s).map_err(|e| e.to_string());
        match schema {
            Schema::Record(rec) => {
                out.push(b'{');
                for (i, f) in rec.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    text(out, &f.name)?;
                    out.push(b':');
                    self.write_at(&f.schema, out, next)?;
                }
                out.push(b'}');
            }
            Schema::Union(u) => {
                let branch = self.branch(u)?;
                self.write_at(branch, out, next)?;
            }
            Schema::Ref { name } => {
                let names = self.names;
                let target = names.get(name).ok_or_else(|| {
                    format!("the schema names `{}` but never defines it", name.name)
                })?;
                self.write_at(target, out, next)?;
            }
            Schema::Null => out.extend_from_slice(b"null"),
            Schema::Boolean => {
                let b = self.take(1)?.first().is_some_and(|b| *b != 0);
                out.extend_from_slice(if b { b"true" } else { b"false" });
            }
            Schema::Int | Schema::Long | Schema::TimeMicros => {
                write!(out, "{}", self.long()?).map_err(|e| e.to_string())?;
            }
            Schema::String | Schema::Uuid => {
                let b = self.bytes_value()?;
                let s =
                    std::str::from_utf8(b).map_err(|_| "a string that is not UTF-8".to_string())?;
                text(out, s)?;
            }
            Schema::Decimal(d) => {
                let raw = match d.inner.as_ref() {
                    Schema::Fixed(f) => self.take(f.size)?,
                    _ => self.bytes_value()?,
                };
                out.push(b'"');
                out.extend_from_slice(decimal_text(raw, d.scale).as_bytes());
                out.push(b'"');
            }
            // The rest are rare in change events: build the value and print it.
            other => {
                let v = self.value_at(other, depth)?;
                serde_json::to_writer(out, &v).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Bytes left over after the datum (a sign the schema is not the writer's).
    pub fn left(&self) -> usize {
        self.bytes.len() - self.at
    }
}
