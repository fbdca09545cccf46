//! `no_leftovers`: proof that teardown left nothing. Every named resource is asked for at
//! once (an S3 bucket by HeadBucket, a Redshift cluster by DescribeClusters, EC2 instances by
//! tag, a Confluent environment by id) and the resource ledger must hold no module.
//!
//! Something still being deleted (a cluster `deleting`) is pending; anything that exists is a
//! leftover, named in the observation; an answer that says neither (a refused key) fails with
//! AWS's or Confluent's reason, since "cannot tell" is not "nothing left".

use std::path::Path;

use futures::future::join_all;

use super::aws::AwsRunner;
use super::confluent::ConfluentRunner;
use super::outcome::{Observation, Verdict};
use super::{ProbeContext, Values};
use crate::backend::aws::AwsScope;
use crate::ledger::Ledger;
use crate::lesson::NoLeftoversCheck;
use crate::lesson::template::{Template, TemplateRef, TemplateRenderError};

/// EC2 states that count as gone.
const GONE_STATES: &[&str] = &["terminated", "shutting-down"];

/// What one look found.
enum Finding {
    Gone(String),
    Left(String),
    Deleting(String),
    /// Could not tell; `true` when trying again may help.
    Unknown(bool, String),
}

/// What the probe may use; a part that is missing makes the looks that need it fail.
pub struct Leftovers<'a> {
    pub aws: Option<&'a AwsRunner>,
    pub confluent: Option<&'a ConfluentRunner>,
    pub ledger: Option<&'a Path>,
}

fn render(t: &Template, values: &Values, field: &str) -> Result<String, Finding> {
    t.render(values.as_ref())
        .map(|v| v.trim().to_string())
        .map_err(|e| Finding::Unknown(false, format!("`{field}`: {e}")))
}

/// A resource named by a step's output: when that step never ran (its lesson belongs to a
/// component the participant left out), the resource was never created, so it is not left.
fn render_created(t: &Template, values: &Values, field: &str) -> Result<String, Finding> {
    match t.render(values.as_ref()) {
        Ok(v) => Ok(v.trim().to_string()),
        Err(TemplateRenderError::Missing(TemplateRef::Output { step, .. })) => Err(Finding::Gone(
            format!("`{field}`: step `{step}` never ran, so it created nothing"),
        )),
        Err(e) => Err(Finding::Unknown(false, format!("`{field}`: {e}"))),
    }
}

impl Leftovers<'_> {
    pub async fn probe(&self, check: &NoLeftoversCheck, ctx: &ProbeContext) -> Observation {
        let values = &ctx.values;
        let needs_aws = !check.buckets.is_empty()
            || !check.redshift_clusters.is_empty()
            || check.instances_tagged.is_some();
        let scope = match (needs_aws, self.aws) {
            (false, _) => None,
            (true, None) => {
                return Observation::new(
                    Verdict::Fail,
                    "AWS cannot be asked here: the AWS client could not be set up (see the log)",
                );
            }
            (true, Some(aws)) => match aws.scope(values) {
                Ok(s) => Some(s),
                Err(why) => return Observation::new(Verdict::Fail, why),
            },
        };
        let mut looks = Vec::new();
        for t in &check.buckets {
            looks.push(futures::FutureExt::boxed(self.bucket(
                t,
                values,
                scope.as_ref(),
            )));
        }
        for t in &check.redshift_clusters {
            looks.push(futures::FutureExt::boxed(self.cluster(
                t,
                values,
                scope.as_ref(),
            )));
        }
        let mut findings: Vec<Finding> = join_all(looks).await;
        if let Some(tag) = &check.instances_tagged {
            findings.extend(
                self.instances(&tag.key, &tag.value, values, scope.as_ref())
                    .await,
            );
        }
        if let Some(env) = &check.confluent_environment {
            findings.push(self.environment(env, values).await);
        }
        findings.extend(self.ledger());
        verdict(findings)
    }

    async fn bucket(&self, t: &Template, values: &Values, scope: Option<&AwsScope>) -> Finding {
        let (Some(aws), Some(scope)) = (self.aws, scope) else {
            return Finding::Unknown(false, "no AWS client".into());
        };
        let name = match render_created(t, values, "buckets") {
            Ok(n) => n,
            Err(f) => return f,
        };
        match aws.api().bucket_exists(scope, &name).await {
            Ok(false) => Finding::Gone(format!("bucket {name} gone")),
            Ok(true) => Finding::Left(format!("S3 bucket {name}")),
            Err(e) => Finding::Unknown(e.is_transient(), format!("bucket {name}: {e}")),
        }
    }

    async fn cluster(&self, t: &Template, values: &Values, scope: Option<&AwsScope>) -> Finding {
        let (Some(aws), Some(scope)) = (self.aws, scope) else {
            return Finding::Unknown(false, "no AWS client".into());
        };
        let id = match render_created(t, values, "redshift_clusters") {
            Ok(n) => n,
            Err(f) => return f,
        };
        match aws.api().redshift_cluster(scope, &id).await {
            Ok(None) => Finding::Gone(format!("cluster {id} gone")),
            Ok(Some(c)) if c.status == "deleting" => {
                Finding::Deleting(format!("Redshift cluster {id} (deleting)"))
            }
            Ok(Some(c)) => Finding::Left(format!("Redshift cluster {id} ({})", c.status)),
            Err(e) => Finding::Unknown(e.is_transient(), format!("cluster {id}: {e}")),
        }
    }

    async fn instances(
        &self,
        key: &Template,
        value: &Template,
        values: &Values,
        scope: Option<&AwsScope>,
    ) -> Vec<Finding> {
        let (Some(aws), Some(scope)) = (self.aws, scope) else {
            return vec![Finding::Unknown(false, "no AWS client".into())];
        };
        let (key, value) = match (
            render(key, values, "instances_tagged.key"),
            render(value, values, "instances_tagged.value"),
        ) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(f), _) | (_, Err(f)) => return vec![f],
        };
        let found = match aws.api().instances_tagged(scope, &key, &value).await {
            Ok(f) => f,
            Err(e) => {
                return vec![Finding::Unknown(
                    e.is_transient(),
                    format!("instances tagged {key}={value}: {e}"),
                )];
            }
        };
        let live: Vec<Finding> = found
            .iter()
            .filter(|i| !GONE_STATES.contains(&i.state.as_str()))
            .map(|i| {
                let name = i
                    .name
                    .as_ref()
                    .map(|n| format!("{n}, "))
                    .unwrap_or_default();
                Finding::Left(format!("EC2 instance {} ({name}{})", i.id, i.state))
            })
            .collect();
        if live.is_empty() {
            vec![Finding::Gone(format!(
                "no live instance tagged {key}={value}"
            ))]
        } else {
            live
        }
    }

    async fn environment(&self, t: &Template, values: &Values) -> Finding {
        let Some(confluent) = self.confluent else {
            return Finding::Unknown(
                false,
                "Confluent cannot be asked here: the Confluent client could not be set up".into(),
            );
        };
        let id = match render(t, values, "confluent_environment") {
            Ok(n) => n,
            Err(f) => return f,
        };
        match confluent.environment_left(&id, values).await {
            Ok(None) => Finding::Gone(format!("environment {id} gone")),
            Ok(Some(name)) if name.is_empty() => {
                Finding::Left(format!("Confluent environment {id}"))
            }
            Ok(Some(name)) => Finding::Left(format!("Confluent environment {id} ({name})")),
            Err((transient, why)) => {
                Finding::Unknown(transient, format!("environment {id}: {why}"))
            }
        }
    }

    fn ledger(&self) -> Vec<Finding> {
        let Some(path) = self.ledger else {
            return Vec::new();
        };
        match Ledger::load(path) {
            Ok(l) if l.modules.is_empty() => vec![Finding::Gone("the ledger is empty".into())],
            Ok(l) => l
                .modules
                .iter()
                .map(|m| {
                    Finding::Left(format!(
                        "module {} in the ledger ({} resource(s))",
                        m.module,
                        m.resources.len()
                    ))
                })
                .collect(),
            Err(e) => vec![Finding::Unknown(false, e.to_string())],
        }
    }
}

fn verdict(findings: Vec<Finding>) -> Observation {
    let (mut gone, mut left, mut deleting, mut unknown) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut retry = true;
    for f in findings {
        match f {
            Finding::Gone(s) => gone.push(s),
            Finding::Left(s) => left.push(s),
            Finding::Deleting(s) => deleting.push(s),
            Finding::Unknown(transient, s) => {
                retry &= transient;
                unknown.push(s);
            }
        }
    }
    if !left.is_empty() {
        let mut text = format!("left behind: {}", left.join("; "));
        if left.iter().any(|l| l.contains("in the ledger")) {
            text.push_str("; run `cdc-workshop teardown`");
        }
        if !unknown.is_empty() {
            text.push_str(&format!("; could not check: {}", unknown.join("; ")));
        }
        return Observation::new(Verdict::Fail, text);
    }
    if !unknown.is_empty() {
        let verdict = if retry {
            Verdict::Pending
        } else {
            Verdict::Fail
        };
        return Observation::new(verdict, format!("could not check: {}", unknown.join("; ")));
    }
    if !deleting.is_empty() {
        return Observation::new(
            Verdict::Pending,
            format!("still being deleted: {}", deleting.join("; ")),
        );
    }
    Observation::new(Verdict::Pass, format!("nothing left: {}", gone.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_fail_by_name_and_deletion_in_progress_waits() {
        let obs = verdict(vec![
            Finding::Gone("bucket a".into()),
            Finding::Left("S3 bucket b".into()),
            Finding::Left("EC2 instance i-1 (oracle, running)".into()),
        ]);
        assert_eq!(obs.verdict, Verdict::Fail);
        assert_eq!(
            obs.observed,
            "left behind: S3 bucket b; EC2 instance i-1 (oracle, running)"
        );
        let obs = verdict(vec![Finding::Deleting(
            "Redshift cluster c (deleting)".into(),
        )]);
        assert_eq!(obs.verdict, Verdict::Pending);
        let obs = verdict(vec![
            Finding::Gone("bucket a gone".into()),
            Finding::Gone("the ledger is empty".into()),
        ]);
        assert_eq!(obs.verdict, Verdict::Pass);
        assert_eq!(
            obs.observed,
            "nothing left: bucket a gone, the ledger is empty"
        );
    }

    #[test]
    fn cannot_tell_is_never_nothing_left() {
        let obs = verdict(vec![
            Finding::Gone("bucket a".into()),
            Finding::Unknown(false, "bucket b: AWS rejected the key".into()),
        ]);
        assert_eq!(obs.verdict, Verdict::Fail);
        let obs = verdict(vec![Finding::Unknown(true, "throttled".into())]);
        assert_eq!(obs.verdict, Verdict::Pending);
    }
}
