//! Evaluates the parsed subset over decoded records: a record is a row of named values (the
//! top-level fields of its decoded JSON), a query turns one input record into zero or more
//! output rows. `ROW_NUMBER()` keeps its counts in the query, as a streaming job keeps state.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;
use thiserror::Error;

use super::sql::{CmpOp, Expr, From, Item, Query, Select, SqlType};

#[derive(Debug, Clone, PartialEq, Error)]
pub(crate) enum EvalError {
    #[error("no column {0} in the input")]
    NoColumn(String),
    #[error("the stand-in does not evaluate {0}")]
    Unsupported(String),
    #[error("{name} takes {wanted} arguments")]
    Arity { name: String, wanted: &'static str },
    #[error("the pattern {pattern:?} does not compile: {reason}")]
    Regex { pattern: String, reason: String },
}

/// One value of a row. Decimals keep their scale so prices keep their cents.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Dec {
        unscaled: i128,
        scale: u32,
    },
    Str(String),
    /// A nested row or array, read further by a dotted path.
    Json(Value),
}

pub(crate) type Row = Vec<(String, Val)>;

impl Val {
    pub fn from_json(v: &Value) -> Self {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map(Val::Int)
                .unwrap_or_else(|| Val::Double(n.as_f64().unwrap_or(f64::NAN))),
            Value::String(s) => Val::Str(s.clone()),
            other => Val::Json(other.clone()),
        }
    }

    /// The value as Flink casts it to STRING; `None` for NULL.
    pub fn text(&self) -> Option<String> {
        Some(match self {
            Val::Null => return None,
            Val::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Val::Int(n) => n.to_string(),
            Val::Double(f) if f.fract() == 0.0 && f.is_finite() => format!("{f:.1}"),
            Val::Double(f) => f.to_string(),
            Val::Dec { unscaled, scale } => decimal_text(*unscaled, *scale),
            Val::Str(s) => s.clone(),
            Val::Json(v) => v.to_string(),
        })
    }

    fn number(&self) -> Option<f64> {
        match self {
            Val::Int(n) => Some(*n as f64),
            Val::Double(f) => Some(*f),
            Val::Dec { unscaled, scale } => Some(*unscaled as f64 / 10f64.powi(*scale as i32)),
            Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as DECIMAL(precision, scale), rounded half up; `None` when it does not fit
    /// (Flink casts an overflow to NULL).
    pub fn decimal(&self, precision: u32, scale: u32) -> Option<i128> {
        let text = match self {
            Val::Int(n) => n.to_string(),
            // The shortest text that reads back as the double, as Java's BigDecimal.valueOf.
            Val::Double(f) if f.is_finite() => f.to_string(),
            Val::Dec { unscaled, scale } => decimal_text(*unscaled, *scale),
            Val::Str(s) => s.trim().to_string(),
            _ => return None,
        };
        let unscaled = parse_decimal(&text, scale)?;
        (unscaled.unsigned_abs() < 10u128.checked_pow(precision)?).then_some(unscaled)
    }
}

/// `unscaled × 10^-scale` as text: `1999, 2` → `19.99`.
pub(crate) fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = format!(
        "{:0>width$}",
        unscaled.unsigned_abs(),
        width = scale as usize + 1
    );
    let sign = if unscaled < 0 { "-" } else { "" };
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Decimal text (`-12.345`) as an unscaled integer with `scale` digits, rounded half up.
pub(crate) fn parse_decimal(text: &str, scale: u32) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut n: i128 = 0;
    let kept = frac.chars().chain(std::iter::repeat('0'));
    for c in int.chars().chain(kept.take(scale as usize)) {
        n = n
            .checked_mul(10)?
            .checked_add(i128::from(c.to_digit(10)?))?;
    }
    if frac.chars().nth(scale as usize).is_some_and(|d| d >= '5') {
        n = n.checked_add(1)?;
    }
    Some(if negative { -n } else { n })
}

fn cast(v: Val, ty: SqlType) -> Val {
    if v == Val::Null {
        return Val::Null;
    }
    match ty {
        SqlType::String => v.text().map_or(Val::Null, Val::Str),
        SqlType::Int | SqlType::BigInt => match &v {
            Val::Int(_) => v,
            Val::Bool(b) => Val::Int(i64::from(*b)),
            other => other
                .number()
                .map_or(Val::Null, |f| Val::Int(f.trunc() as i64)),
        },
        SqlType::Double | SqlType::Float => v.number().map_or(Val::Null, Val::Double),
        SqlType::Decimal { precision, scale } => v
            .decimal(precision, scale)
            .map_or(Val::Null, |unscaled| Val::Dec { unscaled, scale }),
        SqlType::Boolean => match &v {
            Val::Bool(_) => v,
            Val::Int(n) => Val::Bool(*n != 0),
            Val::Str(s) if s.eq_ignore_ascii_case("true") => Val::Bool(true),
            Val::Str(s) if s.eq_ignore_ascii_case("false") => Val::Bool(false),
            _ => Val::Null,
        },
        // Timestamps, dates and bytes travel as the decoder renders them; the writer converts.
        SqlType::Timestamp | SqlType::Date | SqlType::Bytes => v,
    }
}

/// Compiled patterns, so REGEXP_REPLACE compiles each once per job.
#[derive(Default)]
pub(crate) struct Patterns(HashMap<String, Regex>);

impl Patterns {
    fn get(&mut self, pattern: &str) -> Result<&Regex, EvalError> {
        if !self.0.contains_key(pattern) {
            let re = Regex::new(pattern).map_err(|e| EvalError::Regex {
                pattern: pattern.to_string(),
                reason: e.to_string(),
            })?;
            self.0.insert(pattern.to_string(), re);
        }
        self.0
            .get(pattern)
            .ok_or_else(|| EvalError::Unsupported(format!("the pattern {pattern}")))
    }
}

fn column(row: &Row, path: &[String]) -> Result<Val, EvalError> {
    let find = |name: &str| row.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    // `c.FIRST_NAME` names a column through its table's alias when `c` is no column.
    let (first, rest) = match path {
        [first, rest @ ..] if find(first).is_some() => (first, rest),
        [_, second, rest @ ..] if find(second).is_some() => (second, rest),
        _ => return Err(EvalError::NoColumn(path.join("."))),
    };
    let mut v = find(first).cloned().unwrap_or(Val::Null);
    for part in rest {
        v = match v {
            Val::Json(Value::Object(m)) => m.get(part).map_or(Val::Null, Val::from_json),
            _ => Val::Null,
        };
    }
    Ok(v)
}

fn strings(name: &str, args: &[Val], n: usize) -> Result<Option<Vec<String>>, EvalError> {
    if args.len() != n {
        return Err(EvalError::Arity {
            name: name.to_string(),
            wanted: ["0", "1", "2", "3"].get(n).copied().unwrap_or("more"),
        });
    }
    Ok(args.iter().map(Val::text).collect())
}

fn call(name: &str, args: Vec<Val>, patterns: &mut Patterns) -> Result<Val, EvalError> {
    let s = |v: Option<String>| v.map_or(Val::Null, Val::Str);
    Ok(match name {
        "CONCAT" => s(args.iter().map(Val::text).collect::<Option<String>>()),
        "COALESCE" => args
            .into_iter()
            .find(|v| *v != Val::Null)
            .unwrap_or(Val::Null),
        "LOWER" => s(strings(name, &args, 1)?.map(|a| a[0].to_lowercase())),
        "UPPER" => s(strings(name, &args, 1)?.map(|a| a[0].to_uppercase())),
        "REPLACE" => s(strings(name, &args, 3)?.map(|a| a[0].replace(&a[1], &a[2]))),
        "SPLIT_INDEX" => s(strings(name, &args, 3)?.and_then(|a| {
            let i: usize = a[2].parse().ok()?;
            a[0].split(a[1].as_str()).nth(i).map(String::from)
        })),
        "REGEXP_REPLACE" => match strings(name, &args, 3)? {
            Some(a) => Val::Str(
                patterns
                    .get(&a[1])?
                    .replace_all(&a[0], a[2].as_str())
                    .into(),
            ),
            None => Val::Null,
        },
        other => return Err(EvalError::Unsupported(format!("the function {other}"))),
    })
}

fn compare(a: &Val, op: CmpOp, b: &Val) -> Val {
    if *a == Val::Null || *b == Val::Null {
        return Val::Null;
    }
    let ord = match (a, b) {
        (Val::Str(x), Val::Str(y)) => x.partial_cmp(y),
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => a.text().partial_cmp(&b.text()),
        },
    };
    let Some(ord) = ord else {
        return Val::Null;
    };
    Val::Bool(match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    })
}

/// Three-valued logic: `None` is SQL's UNKNOWN.
fn truth(v: &Val) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        _ => None,
    }
}

fn logic(v: Option<bool>) -> Val {
    v.map_or(Val::Null, Val::Bool)
}

/// The value of `e` in `row`. `seen` holds the `ROW_NUMBER()` counts of the enclosing SELECT.
pub(crate) fn eval(
    e: &Expr,
    row: &Row,
    seen: &mut HashMap<String, i64>,
    patterns: &mut Patterns,
) -> Result<Val, EvalError> {
    let mut go = |e: &Expr| eval(e, row, &mut *seen, &mut *patterns);
    Ok(match e {
        Expr::Column(path) => column(row, path)?,
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Num(n) => match n.parse::<i64>() {
            Ok(i) => Val::Int(i),
            Err(_) => {
                let scale = n.split_once('.').map_or(0, |(_, f)| f.len() as u32);
                parse_decimal(n, scale)
                    .map(|unscaled| Val::Dec { unscaled, scale })
                    .ok_or_else(|| EvalError::Unsupported(format!("the number {n}")))?
            }
        },
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Null => Val::Null,
        Expr::Cast(inner, ty) => cast(go(inner)?, *ty),
        Expr::Call(name, args) => {
            let values = args.iter().map(&mut go).collect::<Result<Vec<_>, _>>()?;
            return call(name, values, patterns);
        }
        Expr::RowNumber(partition) => {
            let key = partition
                .iter()
                .map(|p| go(p).map(|v| v.text()))
                .collect::<Result<Vec<_>, _>>()?;
            let key = serde_json::to_string(&key).unwrap_or_default();
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            Val::Int(*n)
        }
        Expr::IsNull { expr, negated } => Val::Bool((go(expr)? == Val::Null) != *negated),
        Expr::Cmp(a, op, b) => compare(&go(a)?, *op, &go(b)?),
        Expr::And(a, b) => match (truth(&go(a)?), truth(&go(b)?)) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Null,
        },
        Expr::Or(a, b) => match (truth(&go(a)?), truth(&go(b)?)) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Null,
        },
        Expr::Not(a) => logic(truth(&go(a)?).map(|b| !b)),
    })
}

/// The output name of an unaliased item: a column's last part, else `EXPR$i` as Flink names it.
pub(crate) fn item_name(expr: &Expr, alias: Option<&String>, index: usize) -> String {
    match (alias, expr) {
        (Some(a), _) => a.clone(),
        (None, Expr::Column(path)) => path.last().cloned().unwrap_or_default(),
        _ => format!("EXPR${index}"),
    }
}

fn eval_select(
    select: &mut Select,
    topic: &str,
    record: &Row,
    patterns: &mut Patterns,
) -> Result<Vec<Row>, EvalError> {
    let inputs = match &mut select.from {
        From::Table(name) if name == topic => vec![record.clone()],
        From::Table(_) => return Ok(vec![]),
        From::Query(q) => eval_query(q, topic, record, patterns)?,
    };
    let mut out = Vec::new();
    for input in inputs {
        if let Some(filter) = &select.filter
            && eval(filter, &input, &mut select.seen, patterns)? != Val::Bool(true)
        {
            continue;
        }
        let mut row = Row::new();
        for (i, item) in select.items.iter().enumerate() {
            match item {
                Item::Star => row.extend(input.iter().cloned()),
                Item::Expr { expr, alias } => {
                    let v = eval(expr, &input, &mut select.seen, patterns)?;
                    row.push((item_name(expr, alias.as_ref(), i), v));
                }
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// The rows `query` makes of one record read from `topic` (every UNION ALL branch reading it).
pub(crate) fn eval_query(
    query: &mut Query,
    topic: &str,
    record: &Row,
    patterns: &mut Patterns,
) -> Result<Vec<Row>, EvalError> {
    let mut out = Vec::new();
    for branch in &mut query.branches {
        out.extend(eval_select(branch, topic, record, patterns)?);
    }
    Ok(out)
}

/// A decoded record value as a row: its top-level fields (a non-record value is no row).
pub(crate) fn record_row(value: &Value) -> Option<Row> {
    match value {
        Value::Object(m) => Some(
            m.iter()
                .map(|(k, v)| (k.clone(), Val::from_json(v)))
                .collect(),
        ),
        _ => None,
    }
}

/// The topics a query reads, in order of appearance.
pub(crate) fn sources(query: &Query) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in &query.branches {
        match &b.from {
            From::Table(t) if !out.contains(t) => out.push(t.clone()),
            From::Table(_) => {}
            From::Query(q) => {
                for t in sources(q) {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::super::sql::{Statement, parse};
    use super::*;
    use serde_json::json;

    fn run(sql: &str, topic: &str, records: &[Value]) -> Vec<Vec<Option<String>>> {
        let Statement::Query(mut q) = parse(sql).unwrap() else {
            panic!()
        };
        let mut patterns = Patterns::default();
        let mut out = Vec::new();
        for r in records {
            let row = record_row(r).unwrap();
            for row in eval_query(&mut q, topic, &row, &mut patterns).unwrap() {
                out.push(row.into_iter().map(|(_, v)| v.text()).collect());
            }
        }
        out
    }

    fn one(expr: &str, record: Value) -> Option<String> {
        run(&format!("SELECT {expr} FROM t"), "t", &[record])
            .remove(0)
            .remove(0)
    }

    #[test]
    fn columns_nested_fields_and_literals() {
        let r = json!({"after": {"first_name": "Carsten", "n": 3}, "X": "upper", "x": "lower"});
        assert_eq!(one("`after`.first_name", r.clone()).unwrap(), "Carsten");
        assert_eq!(one("after.n", r.clone()).unwrap(), "3");
        assert_eq!(
            one("a.after.n", r.clone()).unwrap(),
            "3",
            "through an alias"
        );
        assert_eq!(one("after.missing", r.clone()), None);
        assert_eq!(one("X", r.clone()).unwrap(), "upper", "case-sensitive");
        assert_eq!(one("x", r.clone()).unwrap(), "lower");
        assert_eq!(one("'Mrs./Mr.'", r.clone()).unwrap(), "Mrs./Mr.");
        assert_eq!(one("42", r.clone()).unwrap(), "42");
        assert_eq!(one("1.50", r.clone()).unwrap(), "1.50");
        let Statement::Query(mut q) = parse("SELECT Nope FROM t").unwrap() else {
            panic!()
        };
        let err = eval_query(
            &mut q,
            "t",
            &record_row(&r).unwrap(),
            &mut Patterns::default(),
        );
        assert_eq!(err, Err(EvalError::NoColumn("Nope".into())));
    }

    #[test]
    fn casts_keep_cents_and_overflow_to_null() {
        let r = json!({"p": 19.99, "q": 2.005, "s": "7.5", "i": 12, "big": 123456789.0});
        assert_eq!(one("CAST(p AS DECIMAL(9, 2))", r.clone()).unwrap(), "19.99");
        assert_eq!(one("CAST(q AS DECIMAL(9, 2))", r.clone()).unwrap(), "2.01");
        assert_eq!(one("CAST(s AS DECIMAL(9, 2))", r.clone()).unwrap(), "7.50");
        assert_eq!(one("CAST(0 AS DECIMAL(9, 2))", r.clone()).unwrap(), "0.00");
        assert_eq!(one("CAST(p AS DECIMAL)", r.clone()).unwrap(), "20");
        assert_eq!(one("CAST(big AS DECIMAL(5, 2))", r.clone()), None);
        assert_eq!(one("CAST(i AS STRING)", r.clone()).unwrap(), "12");
        assert_eq!(one("CAST(s AS DOUBLE)", r.clone()).unwrap(), "7.5");
        assert_eq!(one("CAST(p AS INT)", r.clone()).unwrap(), "19");
        assert_eq!(one("CAST(i AS BOOLEAN)", r.clone()).unwrap(), "TRUE");
        assert_eq!(one("CAST(nothing AS INT)", json!({"nothing": null})), None);
    }

    #[test]
    fn string_functions() {
        let r = json!({"name": "User 7", "email": "Ann.Lee@mail-1.example.com", "n": null});
        assert_eq!(
            one(
                "CONCAT(LOWER(REPLACE(name, ' ', '.')), '@example.com')",
                r.clone()
            )
            .unwrap(),
            "user.7@example.com"
        );
        assert_eq!(one("UPPER(name)", r.clone()).unwrap(), "USER 7");
        assert_eq!(one("SPLIT_INDEX(name, ' ', 0)", r.clone()).unwrap(), "User");
        assert_eq!(one("SPLIT_INDEX(name, ' ', 1)", r.clone()).unwrap(), "7");
        assert_eq!(one("SPLIT_INDEX(name, ' ', 2)", r.clone()), None);
        assert_eq!(
            one("REGEXP_REPLACE(email, '[A-Za-z0-9]', '*')", r.clone()).unwrap(),
            "***.***@****-*.*******.***"
        );
        assert_eq!(one("CONCAT(name, n)", r.clone()), None, "NULL in, NULL out");
        assert_eq!(one("name || '!'", r.clone()).unwrap(), "User 7!");
        assert_eq!(one("COALESCE(n, name, 'x')", r.clone()).unwrap(), "User 7");
        let Statement::Query(mut q) = parse("SELECT SOUNDEX(name) FROM t").unwrap() else {
            panic!()
        };
        let err = eval_query(
            &mut q,
            "t",
            &record_row(&r).unwrap(),
            &mut Patterns::default(),
        );
        assert!(matches!(err, Err(EvalError::Unsupported(_))), "{err:?}");
    }

    #[test]
    fn conditions_union_all_and_dedup() {
        let records = [
            json!({"after": {"n": "a"}, "op": "c"}),
            json!({"after": null, "op": "d"}),
            json!({"after": {"n": "a"}, "op": "u"}),
            json!({"after": {"n": "b"}, "op": "c"}),
        ];
        let sql = "SELECT after.n FROM t WHERE `after` IS NOT NULL AND op = 'c'";
        assert_eq!(run(sql, "t", &records).len(), 2);
        let sql = "SELECT op FROM t WHERE after IS NULL OR op <> 'c'";
        assert_eq!(
            run(sql, "t", &records),
            [[Some("d".into())], [Some("u".into())]]
        );
        let sql = "SELECT op FROM t WHERE NOT op = 'c'";
        assert_eq!(run(sql, "t", &records).len(), 2);
        let sql = "SELECT op FROM t UNION ALL SELECT op FROM u UNION ALL SELECT op FROM t";
        assert_eq!(run(sql, "t", &records).len(), 8, "both branches reading t");
        assert!(run(sql, "other", &records).is_empty());
        let sql = "SELECT n FROM (SELECT after.n AS n, ROW_NUMBER() OVER (PARTITION BY after.n \
                   ORDER BY `$rowtime` ASC) AS rownum FROM t WHERE after IS NOT NULL) WHERE rownum = 1";
        assert_eq!(
            run(sql, "t", &records),
            [[Some("a".into())], [Some("b".into())]]
        );
        let Statement::Query(q) = parse(sql).unwrap() else {
            panic!()
        };
        assert_eq!(sources(&q), ["t"]);
    }
}
