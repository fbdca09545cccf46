//! Avro's binary encoding read straight into JSON text, driven by a compiled [`Plan`].
//!
//! The generic route (a datum into `apache_avro::types::Value`, then into JSON) resolves names
//! and allocates several times per record; a topic sample of 100,000 change events spent most
//! of its time there. This reader walks the plan once per datum and writes the JSON as it goes.

use super::json_text;
use super::plan::{MAX_DEPTH, Node, NodeId, Plan, TimeUnit};

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
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

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    /// A zig-zag varint (Avro `int` and `long`).
    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err("a varint longer than 10 bytes".into())
    }

    fn sized(&mut self) -> Result<&'a [u8], String> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| format!("a negative length ({n})"))?;
        self.take(n)
    }

    fn string(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.sized()?).map_err(|_| "a string that is not UTF-8".to_string())
    }

    /// The item a varint picks out of `items` (a union's branch, an enum's symbol).
    fn index_into<'t, T>(&mut self, items: &'t [T], what: &str) -> Result<&'t T, String> {
        let i = self.long()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| items.get(i))
            .ok_or_else(|| format!("{what} {i} out of range"))
    }

    /// Array and map items come in blocks: a count (negative: followed by the block's size in
    /// bytes), ending with a zero count.
    fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self, bool) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut first = true;
        loop {
            let count = self.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                self.long()?;
            }
            for _ in 0..count.unsigned_abs() {
                item(self, first)?;
                first = false;
            }
        }
    }
}

/// One datum as JSON text appended to `out`; the whole datum must be read, no byte left over
/// (left-over bytes mean the schema is not the writer's).
pub(super) fn write_json(plan: &Plan, datum: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut cursor = Cursor {
        bytes: datum,
        at: 0,
    };
    write(plan, plan.root(), &mut cursor, out, 0)?;
    match datum.len() - cursor.at {
        0 => Ok(()),
        n => Err(format!("{n} bytes left after the datum")),
    }
}

fn write(
    plan: &Plan,
    id: NodeId,
    cur: &mut Cursor<'_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("the data nests too deeply".into());
    }
    let next = depth + 1;
    match plan.node(id) {
        Node::Record(fields) => {
            out.push(b'{');
            for (i, (key, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                write(plan, *field, cur, out, next)?;
            }
            out.push(b'}');
        }
        Node::Union(branches) => {
            let branch = cur.index_into(branches, "union branch")?;
            write(plan, *branch, cur, out, next)?;
        }
        Node::Null => out.extend_from_slice(b"null"),
        Node::Boolean => {
            let b = cur.byte()? != 0;
            out.extend_from_slice(if b { b"true" } else { b"false" });
        }
        Node::Long => json_text::integer(out, cur.long()?),
        Node::Float => {
            let b = cur.take(4)?;
            let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let _ = serde_json::to_writer(&mut *out, &f64::from(f));
        }
        Node::Double => {
            let mut a = [0u8; 8];
            a.copy_from_slice(cur.take(8)?);
            let _ = serde_json::to_writer(&mut *out, &f64::from_le_bytes(a));
        }
        Node::Bytes => json_text::hex_string(out, cur.sized()?),
        Node::Sized(n) => json_text::hex_string(out, cur.take(*n)?),
        Node::String => json_text::string_from_bytes(out, cur.sized()?)
            .map_err(|()| "a string that is not UTF-8".to_string())?,
        Node::Decimal { fixed, scale } => {
            let raw = match fixed {
                Some(n) => cur.take(*n)?,
                None => cur.sized()?,
            };
            json_text::decimal(out, raw, *scale);
        }
        Node::Date => json_text::date(out, cur.long()?),
        Node::TimeMillis => json_text::time_millis(out, cur.long()?),
        Node::Timestamp(unit) => {
            let n = cur.long()?;
            let micros = match unit {
                TimeUnit::Millis => n.saturating_mul(1000),
                TimeUnit::Micros => n,
                TimeUnit::Nanos => n / 1000,
            };
            json_text::timestamp_micros(out, micros);
        }
        Node::Enum(symbols) => {
            let symbol = cur.index_into(symbols, "enum index")?;
            out.extend_from_slice(symbol);
        }
        Node::Array(items) => {
            out.push(b'[');
            cur.blocks(|cur, first| {
                if !first {
                    out.push(b',');
                }
                write(plan, *items, cur, out, next)
            })?;
            out.push(b']');
        }
        Node::Map(values) => {
            out.push(b'{');
            cur.blocks(|cur, first| {
                if !first {
                    out.push(b',');
                }
                json_text::string(out, cur.string()?);
                out.push(b':');
                write(plan, *values, cur, out, next)
            })?;
            out.push(b'}');
        }
    }
    Ok(())
}
