//! Tables as the stand-in's Flink sees them: a topic plus its value schema `<table>-value` in the
//! registry, as Confluent Cloud keeps them. `CREATE TABLE` registers the schema from its
//! columns, CTAS infers it from its SELECT list, and jobs write rows into it by position.

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use serde_json::{Value, json};
use thiserror::Error;

use super::eval::{Val, item_name};
use super::sql::{ColumnDef, Expr, From, Item, Query, SqlType};
use crate::standin::world::World;

#[derive(Debug, Clone, PartialEq, Error)]
pub(crate) enum WriteError {
    #[error("the query gives {got} columns, the table has {expected}")]
    Width { expected: usize, got: usize },
    #[error("column {0} is NOT NULL and the row has NULL")]
    NotNull(String),
    #[error("the table's schema cannot be used: {0}")]
    Schema(String),
    #[error("the row does not encode: {0}")]
    Encode(String),
}

/// Avro names allow letters, digits and `_` only.
fn avro_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn avro_type(ty: SqlType) -> Value {
    match ty {
        SqlType::String => json!("string"),
        SqlType::Boolean => json!("boolean"),
        SqlType::Int => json!("int"),
        SqlType::BigInt => json!("long"),
        SqlType::Double => json!("double"),
        SqlType::Float => json!("float"),
        SqlType::Decimal { precision, scale } => {
            json!({"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale})
        }
        SqlType::Timestamp => json!({"type": "long", "logicalType": "timestamp-millis"}),
        SqlType::Date => json!({"type": "int", "logicalType": "date"}),
        SqlType::Bytes => json!("bytes"),
    }
}

/// The value schema Confluent Cloud's Flink registers for a table: a record named after it,
/// nullable columns as `["null", T]` with a null default.
pub(crate) fn schema_text(table: &str, columns: &[ColumnDef]) -> String {
    let fields: Vec<Value> = columns
        .iter()
        .map(|c| {
            let t = avro_type(c.ty);
            if c.nullable {
                json!({"name": avro_name(&c.name), "type": ["null", t], "default": null})
            } else {
                json!({"name": avro_name(&c.name), "type": t})
            }
        })
        .collect();
    json!({
        "type": "record",
        "name": format!("{}_value", avro_name(table)),
        "namespace": "org.apache.flink.avro.generated.record",
        "fields": fields,
    })
    .to_string()
}

/// A field's Avro type as a column type and nullability; nested records, arrays and maps are
/// read as their JSON text.
fn column_type(t: &Value) -> (SqlType, bool) {
    match t {
        Value::Array(branches) => {
            let nullable = branches.iter().any(|b| b == "null");
            let inner = branches
                .iter()
                .find(|b| *b != "null")
                .unwrap_or(&Value::Null);
            (column_type(inner).0, nullable)
        }
        Value::Object(o) => {
            let logical = o.get("logicalType").and_then(Value::as_str);
            let ty = match (logical, o.get("type")) {
                (Some("decimal"), _) => SqlType::Decimal {
                    precision: o.get("precision").and_then(Value::as_u64).unwrap_or(10) as u32,
                    scale: o.get("scale").and_then(Value::as_u64).unwrap_or(0) as u32,
                },
                (Some(l), _) if l.starts_with("timestamp") || l.starts_with("local-timestamp") => {
                    SqlType::Timestamp
                }
                (Some("date"), _) => SqlType::Date,
                (_, Some(inner @ Value::String(_))) => column_type(inner).0,
                _ => SqlType::String,
            };
            (ty, false)
        }
        Value::String(s) => (
            match s.as_str() {
                "boolean" => SqlType::Boolean,
                "int" => SqlType::Int,
                "long" => SqlType::BigInt,
                "double" => SqlType::Double,
                "float" => SqlType::Float,
                "bytes" => SqlType::Bytes,
                _ => SqlType::String,
            },
            s == "null",
        ),
        _ => (SqlType::String, true),
    }
}

/// The columns of a record schema (its top-level fields, in order).
pub(crate) fn columns_of(schema: &str) -> Option<Vec<ColumnDef>> {
    let v: Value = serde_json::from_str(schema).ok()?;
    let fields = v.get("fields")?.as_array()?;
    Some(
        fields
            .iter()
            .filter_map(|f| {
                let (ty, nullable) = column_type(f.get("type")?);
                Some(ColumnDef {
                    name: f.get("name")?.as_str()?.to_string(),
                    ty,
                    nullable,
                })
            })
            .collect(),
    )
}

/// The latest value schema of `table`: its id and text.
pub(crate) fn value_schema(w: &World, table: &str) -> Option<(u32, String)> {
    w.subjects
        .get(&format!("{table}-value"))
        .and_then(|v| v.last())
        .map(|s| (s.id, s.schema.clone()))
}

/// How Flink names a column type in a statement's result schema.
pub(crate) fn flink_type_name(ty: SqlType) -> String {
    match ty {
        SqlType::String => "VARCHAR(2147483647)".into(),
        SqlType::Boolean => "BOOLEAN".into(),
        SqlType::Int => "INTEGER".into(),
        SqlType::BigInt => "BIGINT".into(),
        SqlType::Double => "DOUBLE".into(),
        SqlType::Float => "FLOAT".into(),
        SqlType::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        SqlType::Timestamp => "TIMESTAMP(3)".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Bytes => "VARBINARY(2147483647)".into(),
    }
}

fn expr_type(e: &Expr, input: &[ColumnDef]) -> (SqlType, bool) {
    let find = |n: &str| input.iter().find(|c| c.name == n);
    match e {
        Expr::Column(path) => match path.as_slice() {
            [c] => find(c).map_or((SqlType::String, true), |c| (c.ty, c.nullable)),
            [a, b] if find(a).is_none() => {
                find(b).map_or((SqlType::String, true), |c| (c.ty, c.nullable))
            }
            _ => (SqlType::String, true),
        },
        Expr::Str(_) => (SqlType::String, false),
        Expr::Num(n) => match n.split_once('.') {
            None => (SqlType::Int, false),
            Some((i, f)) => (
                SqlType::Decimal {
                    precision: (i.trim_start_matches('-').len() + f.len()) as u32,
                    scale: f.len() as u32,
                },
                false,
            ),
        },
        Expr::Bool(_) => (SqlType::Boolean, false),
        Expr::Null => (SqlType::String, true),
        Expr::Cast(inner, ty) => (*ty, expr_type(inner, input).1),
        Expr::Call(name, args) => {
            let any_null = args.iter().any(|a| expr_type(a, input).1);
            match name.as_str() {
                "COALESCE" => (
                    args.first()
                        .map_or(SqlType::String, |a| expr_type(a, input).0),
                    args.iter().all(|a| expr_type(a, input).1),
                ),
                "SPLIT_INDEX" => (SqlType::String, true),
                _ => (SqlType::String, any_null),
            }
        }
        Expr::RowNumber(_) => (SqlType::BigInt, false),
        _ => (SqlType::Boolean, true),
    }
}

/// The columns a query writes (a CTAS table's, a result's): names and types from its first
/// SELECT over the source tables' columns (`lookup`); unknown sources give nullable strings.
pub(crate) fn infer(
    query: &Query,
    lookup: &dyn Fn(&str) -> Option<Vec<ColumnDef>>,
) -> Vec<ColumnDef> {
    let Some(select) = query.branches.first() else {
        return vec![];
    };
    let input = match &select.from {
        From::Table(t) => lookup(t).unwrap_or_default(),
        From::Query(q) => infer(q, lookup),
    };
    let mut out = Vec::new();
    for (i, item) in select.items.iter().enumerate() {
        match item {
            Item::Star => out.extend(input.iter().cloned()),
            Item::Expr { expr, alias } => {
                let (ty, nullable) = expr_type(expr, &input);
                out.push(ColumnDef {
                    name: item_name(expr, alias.as_ref(), i),
                    ty,
                    nullable,
                });
            }
        }
    }
    out
}

/// The shortest big-endian two's complement of `n`, as Avro decimals are written.
fn decimal_bytes(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let mut start = 0;
    while start < bytes.len() - 1 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

fn millis(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// One value as Avro for a column of type `ty`; `None` for NULL (or a value that cannot be one).
fn avro_value(v: &Val, ty: SqlType) -> Option<Avro> {
    if *v == Val::Null {
        return None;
    }
    Some(match ty {
        SqlType::String => Avro::String(v.text()?),
        SqlType::Boolean => match v {
            Val::Bool(b) => Avro::Boolean(*b),
            _ => return None,
        },
        SqlType::Int => Avro::Int(i32::try_from(v.decimal(19, 0)?).ok()?),
        SqlType::BigInt => Avro::Long(i64::try_from(v.decimal(19, 0)?).ok()?),
        SqlType::Double => Avro::Double(v.text()?.parse().ok()?),
        SqlType::Float => Avro::Float(v.text()?.parse().ok()?),
        SqlType::Decimal { precision, scale } => Avro::Decimal(apache_avro::Decimal::from(
            decimal_bytes(v.decimal(precision, scale)?),
        )),
        SqlType::Timestamp => match v {
            Val::Int(ms) => Avro::TimestampMillis(*ms),
            other => Avro::TimestampMillis(millis(&other.text()?)?),
        },
        SqlType::Date => match v {
            Val::Int(days) => Avro::Date(i32::try_from(*days).ok()?),
            other => {
                let days = millis(&format!("{}T00:00:00", other.text()?))? / 86_400_000;
                Avro::Date(i32::try_from(days).ok()?)
            }
        },
        SqlType::Bytes => Avro::Bytes(v.text()?.into_bytes()),
    })
}

/// Writes rows into one table in the Confluent wire format with the table's schema.
pub(crate) struct TableWriter {
    schema: Schema,
    schema_id: u32,
    columns: Vec<ColumnDef>,
}

impl TableWriter {
    pub fn new(schema_id: u32, schema_text: &str) -> Result<Self, WriteError> {
        let schema =
            Schema::parse_str(schema_text).map_err(|e| WriteError::Schema(e.to_string()))?;
        let columns = columns_of(schema_text)
            .ok_or_else(|| WriteError::Schema("not a record schema".into()))?;
        Ok(Self {
            schema,
            schema_id,
            columns,
        })
    }

    /// The row's values by position as one record value (magic byte, schema id, datum).
    pub fn encode(&self, row: &[Val]) -> Result<Vec<u8>, WriteError> {
        if row.len() != self.columns.len() {
            return Err(WriteError::Width {
                expected: self.columns.len(),
                got: row.len(),
            });
        }
        let mut fields = Vec::with_capacity(row.len());
        for (c, v) in self.columns.iter().zip(row) {
            let value = match (avro_value(v, c.ty), c.nullable) {
                (Some(a), true) => Avro::Union(1, Box::new(a)),
                (Some(a), false) => a,
                (None, true) => Avro::Union(0, Box::new(Avro::Null)),
                (None, false) => return Err(WriteError::NotNull(c.name.clone())),
            };
            fields.push((c.name.clone(), value));
        }
        let datum = apache_avro::to_avro_datum(&self.schema, Avro::Record(fields))
            .map_err(|e| WriteError::Encode(e.to_string()))?;
        let mut out = Vec::with_capacity(datum.len() + 5);
        out.push(0);
        out.extend(self.schema_id.to_be_bytes());
        out.extend(datum);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::super::sql::{Statement, parse};
    use super::*;
    use crate::backend::kafka::decode::{WriterSchema, frame};

    fn create(sql: &str) -> Vec<ColumnDef> {
        match parse(sql).unwrap() {
            Statement::CreateTable { columns, .. } => columns,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_created_table_writes_records_the_project_decodes() {
        let columns = create(
            "CREATE TABLE p (name STRING NOT NULL, price DECIMAL(9, 2), n INT, big BIGINT, \
             ok BOOLEAN, d DOUBLE, at TIMESTAMP(3), day DATE)",
        );
        let text = schema_text("all-products", &columns);
        assert!(text.contains("\"name\":\"all_products_value\""), "{text}");
        assert_eq!(columns_of(&text).unwrap(), columns, "the schema reads back");
        let w = TableWriter::new(7, &text).unwrap();
        let row = [
            Val::Str("Chair".into()),
            Val::Double(19.99),
            Val::Str("3".into()),
            Val::Int(-5),
            Val::Bool(true),
            Val::Dec {
                unscaled: 125,
                scale: 2,
            },
            Val::Str("2026-11-23T20:00:00.000000Z".into()),
            Val::Str("2026-11-23".into()),
        ];
        let bytes = w.encode(&row).unwrap();
        let (id, datum) = frame(&bytes).unwrap();
        assert_eq!(id, 7);
        let v = WriterSchema::parse(&text).unwrap().decode(datum).unwrap();
        assert_eq!(
            v,
            json!({"name": "Chair", "price": "19.99", "n": 3, "big": -5, "ok": true, "d": 1.25,
                   "at": "2026-11-23T20:00:00.000000Z", "day": "2026-11-23"})
        );
        let mut nulls = row.clone();
        nulls[1..].fill(Val::Null);
        let v = WriterSchema::parse(&text)
            .unwrap()
            .decode(frame(&w.encode(&nulls).unwrap()).unwrap().1)
            .unwrap();
        assert_eq!(v["price"], Value::Null);
        nulls[0] = Val::Null;
        assert_eq!(w.encode(&nulls), Err(WriteError::NotNull("name".into())));
        assert!(matches!(w.encode(&row[..2]), Err(WriteError::Width { .. })));
        let neg = [Val::Str("x".into()), Val::Str("-0.01".into())];
        let two = TableWriter::new(1, &schema_text("t", &columns[..2])).unwrap();
        let v = WriterSchema::parse(&schema_text("t", &columns[..2]))
            .unwrap()
            .decode(frame(&two.encode(&neg).unwrap()).unwrap().1)
            .unwrap();
        assert_eq!(v["price"], "-0.01");
    }

    #[test]
    fn ctas_columns_are_inferred_from_the_select_list() {
        let source = create("CREATE TABLE s (a STRING NOT NULL, p DECIMAL(9, 2), e STRING)");
        let lookup = |t: &str| (t == "s").then(|| source.clone());
        let Statement::CreateTableAs { query, .. } = parse(
            "CREATE TABLE m AS SELECT a, CAST(p AS DOUBLE), 'x' AS lit, REGEXP_REPLACE(e, 'a', '*') AS e, \
             s.p FROM s",
        )
        .unwrap() else {
            panic!()
        };
        let cols: Vec<_> = infer(&query, &lookup)
            .into_iter()
            .map(|c| (c.name, c.ty, c.nullable))
            .collect();
        let dec = SqlType::Decimal {
            precision: 9,
            scale: 2,
        };
        assert_eq!(
            cols,
            [
                ("a".to_string(), SqlType::String, false),
                ("EXPR$1".to_string(), SqlType::Double, true),
                ("lit".to_string(), SqlType::String, false),
                ("e".to_string(), SqlType::String, true),
                ("p".to_string(), dec, true),
            ]
        );
        let Statement::Query(q) = parse(
            "SELECT a FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY `$rowtime`) AS r FROM s) WHERE r = 1",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(infer(&q, &lookup)[0].name, "a");
        assert_eq!(flink_type_name(dec), "DECIMAL(9, 2)");
        assert_eq!(decimal_bytes(-1), [0xff]);
        assert_eq!(decimal_bytes(128), [0x00, 0x80]);
    }
}
