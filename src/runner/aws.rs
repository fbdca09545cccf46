//! [`AwsRunner`]: the AWS check kinds (`object_store`, `warehouse_rows`) and the AWS half of
//! `no_leftovers`, on top of the [`AwsApi`] seam.
//!
//! Every probe renders the course's `[aws]` table first (a key stored after the course was
//! loaded is used); the endpoint from the settings (`CDC_WORKSHOP_AWS_ENDPOINT_URL`) replaces
//! every real AWS host, which is how tests point the guide at an emulator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use regex::Regex;

use super::dispatch::WithSecrets;
use super::outcome::{Observation, Verdict};
use super::{ProbeContext, Values};
use crate::backend::aws::{AwsApi, AwsError, AwsScope, RedshiftTarget, S3Object};
use crate::credentials::Secret;
use crate::lesson::template::{Template, TemplateContext, TemplateRef, TemplateRenderError};
use crate::lesson::{AwsContext, CheckKind, ObjectStoreCheck, WarehouseRowsCheck};
use crate::redact::Redactor;
use crate::values::Secrets;

/// Keys of the newest objects an `object_store` observation names.
const NEWEST_SHOWN: usize = 3;
/// How often, and how many times, one attempt asks a fresh statement whether it finished,
/// before leaving it running for the next attempt.
const STATEMENT_WAIT_STEP: Duration = Duration::from_millis(400);
const STATEMENT_WAIT_STEPS: u32 = 5;

pub struct AwsRunner {
    api: Arc<dyn AwsApi>,
    context: AwsContext,
    endpoint: Option<String>,
    redactor: Redactor,
    secrets: Option<Secrets>,
    /// Statements an earlier attempt left running, by what they run: the next attempt follows
    /// the same statement instead of submitting the query again.
    running: Mutex<HashMap<String, String>>,
}

/// A failed read as an observation: transient trouble is pending, the rest fails.
pub(crate) fn failure(err: &AwsError) -> Observation {
    let verdict = if err.is_transient() {
        Verdict::Pending
    } else {
        Verdict::Fail
    };
    Observation::new(verdict, err.to_string())
}

fn render(t: &Template, values: &dyn TemplateContext, field: &str) -> Result<String, String> {
    t.render(values).map_err(|e| match e {
        TemplateRenderError::Missing(TemplateRef::Secret(name)) => format!(
            "`{field}` needs the secret `{name}`, which is not set; set it with `cdc-workshop credentials set {name}`"
        ),
        other => format!("`{field}`: {other}"),
    })
}

fn described(objects: &[&S3Object]) -> String {
    let mut newest: Vec<&&S3Object> = objects.iter().collect();
    newest.sort_by(|a, b| {
        b.last_modified
            .cmp(&a.last_modified)
            .then(a.key.cmp(&b.key))
    });
    newest
        .iter()
        .take(NEWEST_SHOWN)
        .map(|o| o.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl AwsRunner {
    pub fn new(
        api: Arc<dyn AwsApi>,
        context: AwsContext,
        endpoint: Option<String>,
        redactor: Redactor,
    ) -> Self {
        Self {
            api,
            context,
            endpoint: endpoint.filter(|e| !e.trim().is_empty()),
            redactor,
            secrets: None,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Fall back to the live secret store for keys the run's snapshot lacks.
    pub fn with_secrets(self, secrets: Secrets) -> Self {
        Self {
            secrets: Some(secrets),
            ..self
        }
    }

    fn values(&self, values: &Values) -> Values {
        match &self.secrets {
            Some(secrets) => Arc::new(WithSecrets {
                base: Arc::clone(values),
                secrets: secrets.clone(),
            }),
            None => Arc::clone(values),
        }
    }

    /// `[aws]` rendered into the scope of one call, or why it cannot be.
    pub(crate) fn scope(&self, values: &Values) -> Result<AwsScope, String> {
        let values = self.values(values);
        let values = values.as_ref();
        let field = |t: &Option<Template>, key: &str| -> Result<String, String> {
            let t = t.as_ref().ok_or_else(|| {
                format!("course.toml has no `{key}` in [aws]; add it (see lessons/README.md)")
            })?;
            let v = render(t, values, &format!("{key} of [aws]"))?;
            if v.trim().is_empty() {
                return Err(format!("`{key}` of [aws] renders empty"));
            }
            Ok(v.trim().to_string())
        };
        let region = field(&self.context.region, "region")?;
        let access_key_id = field(&self.context.access_key_id, "access_key_id")?;
        let secret = field(&self.context.secret_access_key, "secret_access_key")?;
        let token = match &self.context.session_token {
            Some(_) => Some(field(&self.context.session_token, "session_token")?),
            None => None,
        };
        self.redactor.add(&secret);
        if let Some(t) = &token {
            self.redactor.add(t);
        }
        Ok(AwsScope {
            region,
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
            endpoint: self.endpoint.clone(),
        })
    }

    pub(crate) fn api(&self) -> &dyn AwsApi {
        self.api.as_ref()
    }

    /// Probe one AWS check kind; `None` when `kind` is not one of them.
    pub async fn probe(&self, kind: &CheckKind, ctx: &ProbeContext) -> Option<Observation> {
        let obs = match kind {
            CheckKind::ObjectStore(c) => self.object_store(c, &ctx.values).await,
            CheckKind::WarehouseRows(c) => self.warehouse_rows(c, &ctx.values).await,
            _ => return None,
        };
        Some(obs)
    }

    async fn object_store(&self, check: &ObjectStoreCheck, values: &Values) -> Observation {
        let scope = match self.scope(values) {
            Ok(s) => s,
            Err(why) => return Observation::new(Verdict::Fail, why),
        };
        let (bucket, prefix) = match (
            render(&check.bucket, values.as_ref(), "bucket"),
            render(&check.prefix, values.as_ref(), "prefix"),
        ) {
            (Ok(b), Ok(p)) => (b, p),
            (Err(e), _) | (_, Err(e)) => return Observation::new(Verdict::Fail, e),
        };
        let listing = match self.api.list_objects(&scope, &bucket, &prefix).await {
            Ok(l) => l,
            Err(e) => return failure(&e),
        };
        let objects: Vec<&S3Object> = listing
            .objects
            .iter()
            .filter(|o| check.suffix.as_ref().is_none_or(|s| o.key.ends_with(s)))
            .collect();
        let count = objects.len() as u64;
        let what = match &check.suffix {
            Some(s) => format!("`*{s}` object(s) under s3://{bucket}/{prefix}"),
            None => format!("object(s) under s3://{bucket}/{prefix}"),
        };
        let more = if listing.truncated { "at least " } else { "" };
        if count == 0 {
            // `min_objects = 0` asks only that the bucket answers (an empty one included).
            if check.min_objects == 0 {
                return Observation::new(
                    Verdict::Pass,
                    format!("the bucket answers; no {what} yet"),
                );
            }
            return Observation::new(
                Verdict::Pending,
                format!("no {what} yet, waiting for {}", check.min_objects),
            );
        }
        let newest = described(&objects);
        if count < check.min_objects {
            return Observation::new(
                Verdict::Pending,
                format!(
                    "{more}{count} {what}, waiting for {}; newest: {newest}",
                    check.min_objects
                ),
            );
        }
        Observation::new(
            Verdict::Pass,
            format!("{more}{count} {what}; newest: {newest}"),
        )
    }

    async fn warehouse_rows(&self, check: &WarehouseRowsCheck, values: &Values) -> Observation {
        let scope = match self.scope(values) {
            Ok(s) => s,
            Err(why) => return Observation::new(Verdict::Fail, why),
        };
        let v = values.as_ref();
        let rendered = (
            render(&check.cluster, v, "cluster"),
            render(&check.database, v, "database"),
            render(&check.db_user, v, "db_user"),
            render(&check.query, v, "query"),
        );
        let (target, sql) = match rendered {
            (Ok(cluster), Ok(database), Ok(db_user), Ok(sql)) => (
                RedshiftTarget {
                    cluster,
                    database,
                    db_user,
                },
                sql,
            ),
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                return Observation::new(Verdict::Fail, e);
            }
        };
        let key = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{sql}",
            target.cluster, target.database, target.db_user
        );
        let earlier = self.running_statement(&key, None);
        let (id, fresh) = match earlier {
            Some(id) => (id, false),
            None => match self.api.execute_statement(&scope, &target, &sql).await {
                Ok(id) => (id, true),
                Err(e) => return failure(&e),
            },
        };
        let mut info = match self.api.describe_statement(&scope, &id).await {
            Ok(i) => i,
            Err(e) => {
                // An expired or unknown statement: the next attempt submits the query again.
                self.running_statement(&key, Some(None));
                return failure(&e);
            }
        };
        let mut steps = 0;
        while fresh && is_running(&info.status) && steps < STATEMENT_WAIT_STEPS {
            tokio::time::sleep(STATEMENT_WAIT_STEP).await;
            steps += 1;
            match self.api.describe_statement(&scope, &id).await {
                Ok(i) => info = i,
                Err(e) => return failure(&e),
            }
        }
        let at = format!("{}/{}", target.cluster, target.database);
        if is_running(&info.status) {
            self.running_statement(&key, Some(Some(id)));
            return Observation::new(
                Verdict::Pending,
                format!("the query on {at} is {} (still running)", info.status),
            );
        }
        self.running_statement(&key, Some(None));
        match info.status.as_str() {
            "FINISHED" => {}
            "FAILED" => {
                let why = info.error.unwrap_or_else(|| "no reason given".to_string());
                return Observation::new(Verdict::Fail, format!("the query on {at} FAILED: {why}"));
            }
            "ABORTED" => {
                return Observation::new(
                    Verdict::Fail,
                    format!("the query on {at} was ABORTED (cancelled)"),
                );
            }
            other => {
                tracing::info!(
                    status = other,
                    "unknown statement status, treated as pending"
                );
                return Observation::new(
                    Verdict::Pending,
                    format!("the query on {at} is {other} (unknown status, waiting)"),
                );
            }
        }
        if !info.has_result_set {
            return Observation::new(
                Verdict::Fail,
                format!("the query on {at} returned no rows at all (no result set); use a SELECT"),
            );
        }
        let rows = match self.api.statement_result(&scope, &id).await {
            Ok(r) => r,
            Err(e) => return failure(&e),
        };
        let count = rows.total_rows;
        if count < check.min_rows {
            return Observation::new(
                Verdict::Pending,
                format!("{count} row(s) from {at}, waiting for {}", check.min_rows),
            );
        }
        match &check.matches {
            Some(pattern) => {
                let value = rows
                    .first_row
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "NULL".to_string());
                let matched = Regex::new(pattern).is_ok_and(|re| re.is_match(&value));
                let verdict = if matched {
                    Verdict::Pass
                } else {
                    Verdict::Pending
                };
                let tail = if matched {
                    String::new()
                } else {
                    format!(", waiting for one matching {pattern}")
                };
                Observation::new(
                    verdict,
                    format!("{count} row(s) from {at}, first value {value}{tail}"),
                )
            }
            None => Observation::new(Verdict::Pass, format!("{count} row(s) from {at}")),
        }
    }

    /// Read (`set = None`), remember (`Some(Some(id))`) or forget (`Some(None)`) the statement
    /// still running for `key`.
    fn running_statement(&self, key: &str, set: Option<Option<String>>) -> Option<String> {
        let mut map = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        match set {
            None => map.get(key).cloned(),
            Some(Some(id)) => map.insert(key.to_string(), id),
            Some(None) => map.remove(key),
        }
    }
}

/// Statuses of a statement that has not ended yet.
fn is_running(status: &str) -> bool {
    matches!(status, "SUBMITTED" | "PICKED" | "STARTED")
}
