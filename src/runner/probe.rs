//! [`LiveProber`]: the real look at the participant's machine and services for every check kind.
//!
//! Each kind lives in its own file; this one dispatches and combines `all`/`any`. A probe never
//! panics and never hangs past its own timeout: every failure becomes an [`Observation`].

mod env;
mod file;
mod http;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use thiserror::Error;

use super::aws::AwsRunner;
use super::confluent::ConfluentRunner;
use super::outcome::{Observation, Verdict};
use super::sql::SqlRunner;
use super::terraform::TerraformRunner;
use super::{ProbeContext, Prober};
use crate::lesson::{CheckKind, CheckSpec};

pub use env::{EnvLookup, process_env};

/// How long an HTTP check may take to open a connection, whatever its own timeout.
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What every request says it is.
pub const USER_AGENT: &str = concat!("cdc-workshop/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Error)]
pub enum ProbeError {
    #[error(
        "cannot set up the HTTP client for checks: {0}; check this machine's TLS certificates and proxy settings"
    )]
    HttpClient(#[source] reqwest::Error),
}

/// The prober the app uses: one HTTP client for every check, the guide's own environment.
#[derive(Clone)]
pub struct LiveProber {
    client: reqwest::Client,
    env: Arc<EnvLookup>,
    terraform: Option<Arc<TerraformRunner>>,
    confluent: Option<Arc<ConfluentRunner>>,
    sql: Option<Arc<SqlRunner>>,
    aws: Option<Arc<AwsRunner>>,
}

impl LiveProber {
    pub fn new() -> Result<Self, ProbeError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(HTTP_CONNECT_TIMEOUT)
            .build()
            .map_err(ProbeError::HttpClient)?;
        Ok(Self {
            client,
            env: Arc::new(process_env),
            terraform: None,
            confluent: None,
            sql: None,
            aws: None,
        })
    }

    /// Read `terraform_output` checks through this runner (its workspaces and binary).
    pub fn with_terraform(self, terraform: Arc<TerraformRunner>) -> Self {
        Self {
            terraform: Some(terraform),
            ..self
        }
    }

    /// Probe `sql_rows` checks through this runner.
    pub fn with_sql(self, sql: Arc<SqlRunner>) -> Self {
        Self {
            sql: Some(sql),
            ..self
        }
    }

    /// Probe the AWS check kinds (and the AWS part of `no_leftovers`) through this runner.
    pub fn with_aws(self, aws: Arc<AwsRunner>) -> Self {
        Self {
            aws: Some(aws),
            ..self
        }
    }

    /// Probe the Confluent check kinds through this runner.
    pub fn with_confluent(self, confluent: Arc<ConfluentRunner>) -> Self {
        Self {
            confluent: Some(confluent),
            ..self
        }
    }

    /// Looks environment variables up with `lookup` instead of the process environment. The
    /// crate forbids `unsafe`, and changing the process environment is unsafe in Rust 2024, so
    /// this is how tests (and a future "pretend these are set" mode) provide variables.
    pub fn with_env(self, lookup: Arc<EnvLookup>) -> Self {
        Self {
            env: lookup,
            ..self
        }
    }
}

impl Prober for LiveProber {
    fn probe<'a>(
        &'a self,
        kind: &'a CheckKind,
        ctx: &'a ProbeContext,
    ) -> BoxFuture<'a, Observation> {
        async move {
            let obs = match kind {
                CheckKind::Env(check) => env::probe(check, self.env.as_ref()),
                CheckKind::File(check) => file::probe(check, ctx).await,
                CheckKind::Http(check) => http::probe(&self.client, check, ctx).await,
                CheckKind::TerraformOutput(check) => match &self.terraform {
                    Some(tf) => tf.probe_output(check).await,
                    None => Observation::new(
                        Verdict::Fail,
                        "terraform outputs cannot be read here (no terraform set up)",
                    ),
                },
                CheckKind::ConnectorStatus(_)
                | CheckKind::FlinkStatement(_)
                | CheckKind::SchemaSubject(_)
                | CheckKind::TopicExists(_)
                | CheckKind::TopicMessages(_)
                | CheckKind::ClusterReady
                | CheckKind::ComputePoolReady => match &self.confluent {
                    Some(c) => c.probe(kind, ctx).await.unwrap_or_else(|| {
                        Observation::new(Verdict::Fail, "not a Confluent check kind")
                    }),
                    None => Observation::new(
                        Verdict::Fail,
                        "Confluent checks cannot run here: the Confluent client could not be set up (see the log)",
                    ),
                },
                CheckKind::SqlRows(check) => match &self.sql {
                    Some(s) => s.probe(check, ctx.values.as_ref()).await,
                    None => Observation::new(Verdict::Fail, "sql checks cannot run here (no database runner set up)"),
                },
                CheckKind::ObjectStore(_) | CheckKind::WarehouseRows(_) => match &self.aws {
                    Some(a) => a.probe(kind, ctx).await.unwrap_or_else(|| {
                        Observation::new(Verdict::Fail, "not an AWS check kind")
                    }),
                    None => Observation::new(
                        Verdict::Fail,
                        "AWS checks cannot run here: the AWS client could not be set up (see the log)",
                    ),
                },
                CheckKind::NoLeftovers(check) => {
                    let ledger = self.terraform.as_ref().map(|t| t.ledger_path());
                    let leftovers = super::leftovers::Leftovers {
                        aws: self.aws.as_deref(),
                        confluent: self.confluent.as_deref(),
                        ledger: ledger.as_deref(),
                    };
                    leftovers.probe(check, ctx).await
                }
                CheckKind::All(children) => all(self.probe_children(children, ctx).await),
                CheckKind::Any(children) => any(self.probe_children(children, ctx).await),
            };
            Observation::new(obs.verdict, ctx.redactor.redact(&obs.observed))
        }
        .boxed()
    }
}

impl LiveProber {
    /// Probes children concurrently. Their own deadlines and poll policies do not apply here:
    /// the enclosing check's policy drives the polling of the whole group.
    async fn probe_children(
        &self,
        children: &[CheckSpec],
        ctx: &ProbeContext,
    ) -> Vec<(&'static str, Observation)> {
        let probes = children.iter().map(|child| {
            self.probe(&child.kind, ctx)
                .map(move |obs| (child.kind.name(), obs))
        });
        join_all(probes).await
    }
}

/// Worst first: the order in which `all` picks its verdict.
fn badness(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Warn => 1,
        Verdict::Pending => 2,
        Verdict::Fail => 3,
    }
}

fn passed_count(results: &[(&str, Observation)]) -> usize {
    results
        .iter()
        .filter(|(_, o)| o.verdict.is_satisfied())
        .count()
}

fn describe<'a>(results: impl Iterator<Item = &'a (&'a str, Observation)>) -> String {
    results
        .map(|(kind, o)| format!("{kind}: {}", o.observed))
        .collect::<Vec<_>>()
        .join("; ")
}

fn summary(passed: usize, total: usize, details: &str) -> String {
    if details.is_empty() {
        format!("{passed}/{total} passed")
    } else {
        format!("{passed}/{total} passed; {details}")
    }
}

/// Every child must pass: the worst verdict wins. The summary names what is not a clean pass.
/// An empty `all` fails rather than passing vacuously, since it can only be an authoring slip.
fn all(results: Vec<(&'static str, Observation)>) -> Observation {
    let Some(verdict) = results
        .iter()
        .map(|(_, o)| o.verdict)
        .max_by_key(|v| badness(*v))
    else {
        return Observation::new(Verdict::Fail, "`all` has no checks to run");
    };
    let details = describe(results.iter().filter(|(_, o)| o.verdict != Verdict::Pass));
    Observation::new(
        verdict,
        summary(passed_count(&results), results.len(), &details),
    )
}

/// One child is enough: the best verdict wins. The summary names the child that satisfied it,
/// or every child when none did.
fn any(results: Vec<(&'static str, Observation)>) -> Observation {
    let Some(best) = results.iter().min_by_key(|(_, o)| badness(o.verdict)) else {
        return Observation::new(Verdict::Fail, "`any` has no checks to run");
    };
    let verdict = best.1.verdict;
    let details = if verdict.is_satisfied() {
        describe(std::iter::once(best))
    } else {
        describe(results.iter())
    };
    Observation::new(
        verdict,
        summary(passed_count(&results), results.len(), &details),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(kind: &'static str, v: Verdict, text: &str) -> (&'static str, Observation) {
        (kind, Observation::new(v, text))
    }

    #[test]
    fn all_takes_the_worst_verdict() {
        use Verdict::*;
        let cases = [
            (vec![Pass, Pass], Pass),
            (vec![Pass, Warn], Warn),
            (vec![Warn, Pending, Pass], Pending),
            (vec![Pending, Fail, Warn], Fail),
            (vec![Fail, Pass], Fail),
        ];
        for (verdicts, want) in cases {
            let results = verdicts.iter().map(|v| obs("env", *v, "x")).collect();
            assert_eq!(all(results).verdict, want, "{verdicts:?}");
        }
    }

    #[test]
    fn any_takes_the_best_verdict() {
        use Verdict::*;
        let cases = [
            (vec![Fail, Pass], Pass),
            (vec![Fail, Warn], Warn),
            (vec![Fail, Pending], Pending),
            (vec![Fail, Fail], Fail),
            (vec![Warn, Pass], Pass),
        ];
        for (verdicts, want) in cases {
            let results = verdicts.iter().map(|v| obs("env", *v, "x")).collect();
            assert_eq!(any(results).verdict, want, "{verdicts:?}");
        }
    }

    #[test]
    fn summaries_name_what_is_not_passing() {
        let got = all(vec![
            obs("env", Verdict::Pass, "HOME=/root"),
            obs("env", Verdict::Fail, "CONFLUENT_CLOUD_API_KEY is not set"),
            obs("file", Verdict::Pass, "marker.txt: 6 bytes"),
        ]);
        assert_eq!(
            got.observed,
            "2/3 passed; env: CONFLUENT_CLOUD_API_KEY is not set"
        );
        let got = all(vec![obs("env", Verdict::Pass, "A=1")]);
        assert_eq!(got.observed, "1/1 passed");

        let got = any(vec![
            obs("http", Verdict::Pending, "connection refused"),
            obs("file", Verdict::Pass, "up.txt: 2 bytes"),
        ]);
        assert_eq!(got.observed, "1/2 passed; file: up.txt: 2 bytes");
        let got = any(vec![
            obs("http", Verdict::Pending, "connection refused"),
            obs("file", Verdict::Fail, "up.txt does not exist"),
        ]);
        assert_eq!(
            got.observed,
            "0/2 passed; http: connection refused; file: up.txt does not exist"
        );
    }

    #[test]
    fn empty_groups_fail() {
        assert_eq!(all(vec![]).verdict, Verdict::Fail);
        assert_eq!(any(vec![]).verdict, Verdict::Fail);
    }
}
