//! [`Dispatcher`]: the app's [`StepExecutor`], sending each step kind to what runs it.
//!
//! Before a step runs, secrets it names that this process does not know yet (sensitive outputs
//! of modules applied before a restart) are read back from Terraform state.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::confluent::ConfluentRunner;
use super::outcome::StepOutcome;
use super::process::ProcessExecutor;
use super::sql::SqlRunner;
use super::terraform::TerraformRunner;
use super::{LogSink, StepExecutor, StepRun, Values};
use crate::lesson::StepKind;
use crate::lesson::template::{Template, TemplateContext};
use crate::values::Secrets;

pub struct Dispatcher {
    process: ProcessExecutor,
    terraform: Arc<TerraformRunner>,
    confluent: Option<Arc<ConfluentRunner>>,
    sql: Option<Arc<SqlRunner>>,
    secrets: Secrets,
}

impl Dispatcher {
    pub fn new(
        process: ProcessExecutor,
        terraform: Arc<TerraformRunner>,
        secrets: Secrets,
    ) -> Self {
        Self {
            process,
            terraform,
            confluent: None,
            sql: None,
            secrets,
        }
    }

    /// Run `sql` steps through this runner.
    pub fn with_sql(self, sql: Arc<SqlRunner>) -> Self {
        Self {
            sql: Some(sql),
            ..self
        }
    }

    /// Run `flink_sql` and `confluent` steps through this runner.
    pub fn with_confluent(self, confluent: Arc<ConfluentRunner>) -> Self {
        Self {
            confluent: Some(confluent),
            ..self
        }
    }
}

impl StepExecutor for Dispatcher {
    fn execute<'a>(
        &'a self,
        run: &'a StepRun,
        log: LogSink,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, StepOutcome> {
        async move {
            let mut wanted = secret_refs(&run.kind);
            if let (Some(c), StepKind::FlinkSql(_) | StepKind::Confluent(_)) =
                (&self.confluent, &run.kind)
            {
                wanted.extend(c.secret_names());
            }
            let missing = wanted.iter().any(|s| run.values.secret(s).is_none());
            let restored;
            let run = if missing {
                self.terraform.restore_secrets(&wanted).await;
                restored = StepRun {
                    values: Arc::new(WithSecrets {
                        base: Arc::clone(&run.values),
                        secrets: self.secrets.clone(),
                    }) as Values,
                    ..run.clone()
                };
                &restored
            } else {
                run
            };
            match &run.kind {
                StepKind::Terraform(step) => self.terraform.execute(run, step, &log, cancel).await,
                StepKind::Shell(_) | StepKind::Manual(_) => {
                    self.process.execute(run, log, cancel).await
                }
                StepKind::FlinkSql(step) => match &self.confluent {
                    Some(c) => c.execute_flink(run, step, &log, cancel).await,
                    None => no_confluent(),
                },
                StepKind::Sql(step) => match &self.sql {
                    Some(s) => s.execute(run, step, &log, cancel).await,
                    None => StepOutcome::Failed {
                        message: "sql steps cannot run here (no database runner set up)"
                            .to_string(),
                        exit_code: None,
                    },
                },
                StepKind::Confluent(step) => match &self.confluent {
                    Some(c) => c.execute_action(run, step, &log).await,
                    None => no_confluent(),
                },
            }
        }
        .boxed()
    }
}

fn no_confluent() -> StepOutcome {
    StepOutcome::Failed {
        message: "Confluent steps cannot run here: the Confluent client could not be set up (see the log)".to_string(),
        exit_code: None,
    }
}

/// Secret names a step's templates use.
fn secret_refs(kind: &StepKind) -> BTreeSet<String> {
    let templates: Vec<&Template> = match kind {
        StepKind::Shell(s) => s.env.values().collect(),
        StepKind::Terraform(t) => t.vars.values().collect(),
        StepKind::FlinkSql(f) => f.properties.values().collect(),
        StepKind::Sql(_) => Vec::new(),
        StepKind::Confluent(c) => c.action.templates().into_iter().map(|(_, t)| t).collect(),
        StepKind::Manual(_) => Vec::new(),
    };
    templates
        .into_iter()
        .flat_map(Template::secret_names)
        .map(str::to_string)
        .collect()
}

/// A snapshot whose missing secrets fall back to the live store (values restored after it was
/// taken).
pub(crate) struct WithSecrets {
    pub(crate) base: Values,
    pub(crate) secrets: Secrets,
}

impl TemplateContext for WithSecrets {
    fn output(&self, step: &str, name: &str) -> Option<String> {
        self.base.output(step, name)
    }

    fn var(&self, name: &str) -> Option<String> {
        self.base.var(name)
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.base.secret(name).or_else(|| self.secrets.get(name))
    }
}
