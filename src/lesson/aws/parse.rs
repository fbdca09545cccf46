//! `[aws]` in `course.toml` and the bodies of the `object_store`, `warehouse_rows` and
//! `no_leftovers` checks. Same rules as every other block: unknown keys are errors with a
//! suggestion, every message names its line, and nothing a check shows may name a secret.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    AwsContext, NoLeftoversCheck, ObjectStore, ObjectStoreCheck, TagFilter, Warehouse,
    WarehouseRowsCheck,
};
use crate::lesson::check_spec::{check_regex, template};
use crate::lesson::template::Template;
use crate::lesson::toml_body::{Body, closest, from_table, one_of};
use crate::lesson::{CheckKind, Diagnostic, DiagnosticKind, SourcePos};

pub(crate) const OBJECT_STORE_KEYS: &[&str] =
    &["store", "bucket", "prefix", "suffix", "min_objects"];
pub(crate) const WAREHOUSE_ROWS_KEYS: &[&str] = &[
    "warehouse",
    "cluster",
    "database",
    "db_user",
    "query",
    "min_rows",
    "matches",
];
pub(crate) const NO_LEFTOVERS_KEYS: &[&str] = &[
    "confluent_environment",
    "buckets",
    "redshift_clusters",
    "instances_tagged",
];
const CONTEXT_KEYS: &[&str] = &[
    "region",
    "access_key_id",
    "secret_access_key",
    "session_token",
];
const REQUIRED_CONTEXT_KEYS: &[&str] = &["region", "access_key_id", "secret_access_key"];
/// Keys of `[aws]` whose value is a credential, so must be a `{{ secrets.* }}` reference.
const SECRET_CONTEXT_KEYS: &[&str] = &["secret_access_key", "session_token"];
const STORES: &[&str] = &["s3"];
const WAREHOUSES: &[&str] = &["redshift"];

/// The `[aws]` table of `course.toml`.
pub(crate) fn context(
    body: &Body<'_>,
    value: Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> AwsContext {
    let pos = body.pos(value.span().start);
    let what = "[aws] in course.toml";
    let DeValue::Table(table) = value.into_inner() else {
        diags.push(Diagnostic::new(
            pos,
            DiagnosticKind::InvalidValue,
            format!("{what} must be a table of `key = \"template\"` lines"),
        ));
        return AwsContext::default();
    };
    let mut ctx = AwsContext {
        pos: Some(pos.clone()),
        ..AwsContext::default()
    };
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in table {
        let name = key.get_ref().to_string();
        let at = key.span().start;
        seen.push(name.clone());
        if !CONTEXT_KEYS.contains(&name.as_str()) {
            let hint = closest(&name, CONTEXT_KEYS)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            diags.push(Diagnostic::new(
                body.pos(at),
                DiagnosticKind::UnknownKey,
                format!(
                    "unknown key `{name}` in {what}; {hint}expected one of: {}",
                    CONTEXT_KEYS.join(", ")
                ),
            ));
            continue;
        }
        let span = value.span();
        let Some(text) = value.get_ref().as_str() else {
            diags.push(Diagnostic::new(
                body.pos(span.start),
                DiagnosticKind::InvalidValue,
                format!("`{name}` of {what} must be a string"),
            ));
            continue;
        };
        let spanned = Spanned::new(span.clone(), text.to_string());
        let Some(t) = template(body, &spanned, &name, what, diags) else {
            continue;
        };
        if SECRET_CONTEXT_KEYS.contains(&name.as_str()) && t.secret_names().next().is_none() {
            diags.push(Diagnostic::new(
                body.pos(span.start),
                DiagnosticKind::SecretLiteral,
                format!(
                    "`{name}` of {what} must name a secret, e.g. `{name} = \"{{{{ secrets.aws_{name} }}}}\"`; credentials are never written into lessons"
                ),
            ));
            continue;
        }
        let slot = match name.as_str() {
            "region" => &mut ctx.region,
            "access_key_id" => &mut ctx.access_key_id,
            "secret_access_key" => &mut ctx.secret_access_key,
            _ => &mut ctx.session_token,
        };
        *slot = Some(t);
    }
    for key in REQUIRED_CONTEXT_KEYS {
        // A key that is there but wrong already has its own diagnostic.
        if !seen.iter().any(|s| s == key) {
            diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::MissingKey,
                format!("{what} is missing `{key}`; add a `{key} = \"...\"` line"),
            ));
        }
    }
    ctx
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectStoreRaw {
    store: Option<Spanned<String>>,
    bucket: Spanned<String>,
    prefix: Option<Spanned<String>>,
    suffix: Option<String>,
    min_objects: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseRowsRaw {
    warehouse: Spanned<String>,
    cluster: Spanned<String>,
    database: Spanned<String>,
    db_user: Spanned<String>,
    query: Spanned<String>,
    min_rows: Option<u64>,
    matches: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoLeftoversRaw {
    confluent_environment: Option<Spanned<String>>,
    #[serde(default)]
    buckets: Vec<Spanned<String>>,
    #[serde(default)]
    redshift_clusters: Vec<Spanned<String>>,
    instances_tagged: Option<TagRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagRaw {
    key: Spanned<String>,
    value: Spanned<String>,
}

/// An AWS check kind's own keys; `None` when `kind` is not one of them.
pub(crate) fn check_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "object_store" => OBJECT_STORE_KEYS,
        "warehouse_rows" => WAREHOUSE_ROWS_KEYS,
        "no_leftovers" => NO_LEFTOVERS_KEYS,
        _ => return None,
    })
}

/// A template a check shows: names of objects, never credentials.
fn shown(
    body: &Body<'_>,
    value: &Spanned<String>,
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Template> {
    let t = template(body, value, field, what, diags)?;
    if t.secret_names().next().is_some() {
        diags.push(Diagnostic::new(
            body.pos(value.span().start),
            DiagnosticKind::SecretLiteral,
            format!(
                "`{field}` of {what} names a secret; checks show what they look at, so name objects here and keep credentials in [aws]"
            ),
        ));
        return None;
    }
    Some(t)
}

pub(crate) fn check_body(
    body: &Body<'_>,
    kind: &str,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    macro_rules! raw {
        ($ty:ty) => {
            from_table::<$ty>(table, span)
                .map_err(|e| diags.push(body.de_error(&e, what, pos)))
                .ok()?
        };
    }
    let before = diags.len();
    let kind = match kind {
        "object_store" => {
            let raw = raw!(ObjectStoreRaw);
            if let Some(s) = &raw.store {
                one_of(body, s, STORES, "store", what, diags)?;
            }
            let bucket = shown(body, &raw.bucket, "bucket", what, diags);
            let prefix = match &raw.prefix {
                Some(p) => shown(body, p, "prefix", what, diags),
                None => Some(Template::literal(String::new())),
            };
            CheckKind::ObjectStore(ObjectStoreCheck {
                store: ObjectStore::S3,
                bucket: bucket?,
                prefix: prefix?,
                suffix: raw.suffix.filter(|s| !s.is_empty()),
                min_objects: raw.min_objects.unwrap_or(1),
            })
        }
        "warehouse_rows" => {
            let raw = raw!(WarehouseRowsRaw);
            one_of(body, &raw.warehouse, WAREHOUSES, "warehouse", what, diags)?;
            let mut t = |v: &Spanned<String>, f: &str| shown(body, v, f, what, diags);
            let (cluster, database, db_user, query) = (
                t(&raw.cluster, "cluster"),
                t(&raw.database, "database"),
                t(&raw.db_user, "db_user"),
                t(&raw.query, "query"),
            );
            let matches = match raw.matches {
                Some(m) if !check_regex(body, &m, what, "", diags) => return None,
                m => m.map(Spanned::into_inner),
            };
            CheckKind::WarehouseRows(Box::new(WarehouseRowsCheck {
                warehouse: Warehouse::Redshift,
                cluster: cluster?,
                database: database?,
                db_user: db_user?,
                query: query?,
                min_rows: raw.min_rows.unwrap_or(1),
                matches,
            }))
        }
        "no_leftovers" => {
            let raw = raw!(NoLeftoversRaw);
            let mut t = |v: &Spanned<String>, f: &str| shown(body, v, f, what, diags);
            let confluent_environment = raw
                .confluent_environment
                .as_ref()
                .map(|e| t(e, "confluent_environment"));
            let buckets: Vec<Option<Template>> =
                raw.buckets.iter().map(|b| t(b, "buckets")).collect();
            let clusters: Vec<Option<Template>> = raw
                .redshift_clusters
                .iter()
                .map(|c| t(c, "redshift_clusters"))
                .collect();
            let tag = raw.instances_tagged.as_ref().map(|tag| {
                (
                    t(&tag.key, "instances_tagged.key"),
                    t(&tag.value, "instances_tagged.value"),
                )
            });
            if diags.len() > before {
                return None;
            }
            CheckKind::NoLeftovers(Box::new(NoLeftoversCheck {
                confluent_environment: confluent_environment.flatten(),
                buckets: buckets.into_iter().flatten().collect(),
                redshift_clusters: clusters.into_iter().flatten().collect(),
                instances_tagged: match tag {
                    Some((Some(key), Some(value))) => Some(TagFilter { key, value }),
                    _ => None,
                },
            }))
        }
        _ => return None,
    };
    (diags.len() == before).then_some(kind)
}
