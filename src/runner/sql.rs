//! [`SqlRunner`]: `sql` steps and `sql_rows` checks against the course's `[databases]`.

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;

use super::outcome::{LogStream, Observation, StepOutcome, Verdict};
use super::{LogSink, StepRun, table};
use crate::backend::sql::{Connection, SqlClient, SqlError, SqlOutcome};
use crate::lesson::template::{Template, TemplateContext};
use crate::lesson::{DatabaseDecl, Repeat, SqlRowsCheck, SqlStep};
use crate::redact::Redactor;
use tokio_util::sync::CancellationToken;

pub struct SqlRunner {
    client: Arc<dyn SqlClient>,
    databases: Vec<DatabaseDecl>,
    redactor: Redactor,
}

fn render(t: &Template, values: &dyn TemplateContext) -> Result<String, String> {
    t.render(values)
        .map_err(|e| format!("{}: {e}", t.display(values)))
}

impl SqlRunner {
    pub fn new(
        client: Arc<dyn SqlClient>,
        databases: Vec<DatabaseDecl>,
        redactor: Redactor,
    ) -> Self {
        Self {
            client,
            databases,
            redactor,
        }
    }

    fn connection(&self, name: &str, values: &dyn TemplateContext) -> Result<Connection, String> {
        let decl = self
            .databases
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| format!("no database `{name}` in course.toml's [databases]"))?;
        let port = match &decl.port {
            Some(p) => {
                let text = render(p, values)?;
                text.trim().parse::<u16>().map_err(|_| {
                    format!("port of database `{name}` is `{text}`, not a port number")
                })?
            }
            None => decl.engine.default_port(),
        };
        let password = match &decl.password {
            Some(p) => {
                let value = render(p, values)?;
                self.redactor.add(&value);
                Some(value)
            }
            None => None,
        };
        Ok(Connection {
            engine: decl.engine,
            host: render(&decl.host, values)?.trim().to_string(),
            port,
            user: render(&decl.user, values)?,
            password,
            database: render(&decl.database, values)?,
            tls: decl.tls,
        })
    }

    pub async fn execute(
        &self,
        run: &StepRun,
        step: &SqlStep,
        log: &LogSink,
        cancel: CancellationToken,
    ) -> StepOutcome {
        let values = run.values.as_ref();
        let failed = |message: String| StepOutcome::Failed {
            message,
            exit_code: None,
        };
        let conn = match self.connection(&step.database, values) {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let sql = match render(&step.statement, values) {
            Ok(s) => s.trim().to_string(),
            Err(e) => return failed(e),
        };
        log.send(LogStream::Guide, &format!("{}:", conn.describe()));
        for line in sql.lines() {
            log.send(LogStream::Guide, &format!("  {line}"));
        }
        let outcome = match step.repeat {
            None => match self.client.run(&conn, &sql).await {
                Ok(o) => o,
                Err(e) => return failed(e.to_string()),
            },
            Some(repeat) => match self.repeat(&conn, &sql, repeat, log, &cancel).await {
                Ok(o) => o,
                Err(outcome) => return outcome,
            },
        };
        show(&outcome, step.max_rows, log);
        if let Some(extra) = run.outputs.iter().find(|o| o.as_str() != "rows") {
            return failed(format!(
                "step declares output `{extra}`, but an sql step provides only: rows"
            ));
        }
        let outputs: BTreeMap<String, String> = run
            .outputs
            .iter()
            .map(|o| (o.clone(), outcome.rows.len().to_string()))
            .collect();
        StepOutcome::Succeeded { outputs }
    }

    pub async fn probe(
        &self,
        check: &SqlRowsCheck,
        values: &(dyn TemplateContext + Send + Sync),
    ) -> Observation {
        let conn = match self.connection(&check.database, values) {
            Ok(c) => c,
            Err(e) => return Observation::new(Verdict::Fail, e),
        };
        let query = match render(&check.query, values) {
            Ok(q) => q,
            Err(e) => return Observation::new(Verdict::Fail, e),
        };
        let outcome = match self.client.run(&conn, &query).await {
            Ok(o) => o,
            Err(e) => {
                let verdict = if e.is_transient() {
                    Verdict::Pending
                } else {
                    Verdict::Fail
                };
                return Observation::new(verdict, short(&e));
            }
        };
        let count = outcome.rows.len() as u64;
        let first = outcome
            .rows
            .first()
            .and_then(|r| r.first().cloned().flatten());
        if count < check.min_rows {
            return Observation::new(
                Verdict::Pending,
                format!(
                    "{count} row(s) from {}, waiting for {}",
                    conn.database, check.min_rows
                ),
            );
        }
        match (&check.matches, first) {
            (Some(pattern), value) => {
                let value = value.unwrap_or_else(|| "NULL".to_string());
                let matched = Regex::new(pattern).is_ok_and(|re| re.is_match(&value));
                let verdict = if matched {
                    Verdict::Pass
                } else {
                    Verdict::Pending
                };
                Observation::new(verdict, format!("{count} row(s), first value {value}"))
            }
            (None, _) => Observation::new(
                Verdict::Pass,
                format!("{count} row(s) from {}", conn.database),
            ),
        }
    }
}

impl SqlRunner {
    /// Run `sql` `repeat.times` times, `repeat.every` apart, reporting progress now and then.
    async fn repeat(
        &self,
        conn: &Connection,
        sql: &str,
        repeat: Repeat,
        log: &LogSink,
        cancel: &CancellationToken,
    ) -> Result<SqlOutcome, StepOutcome> {
        let mut total = SqlOutcome::default();
        let mut ticker = tokio::time::interval(repeat.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // About ten progress lines whatever the count, so the log stays readable.
        let report_every = (repeat.times / 10).max(1);
        for n in 1..=repeat.times {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    return Err(StepOutcome::Interrupted {
                        reason: format!("stopped after {} of {} runs ({} row(s) changed)", n - 1, repeat.times, total.affected),
                    });
                }
                _ = ticker.tick() => {}
            }
            match self.client.run(conn, sql).await {
                Ok(o) => {
                    total.affected += o.affected;
                    total.columns = o.columns;
                    total.rows = o.rows;
                }
                Err(e) => {
                    return Err(StepOutcome::Failed {
                        message: format!("run {n} of {}: {e}", repeat.times),
                        exit_code: None,
                    });
                }
            }
            if n % report_every == 0 || n == repeat.times {
                log.send(
                    LogStream::Guide,
                    &format!(
                        "run {n}/{}: {} row(s) changed so far",
                        repeat.times, total.affected
                    ),
                );
            }
        }
        Ok(total)
    }
}

/// The error's first line: observations are one line.
fn short(e: &SqlError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn show(outcome: &SqlOutcome, max_rows: usize, log: &LogSink) {
    if !outcome.columns.is_empty() {
        let rows: Vec<Vec<String>> = outcome
            .rows
            .iter()
            .take(max_rows)
            .map(|r| {
                r.iter()
                    .map(|c| c.clone().unwrap_or_else(|| "NULL".to_string()))
                    .collect()
            })
            .collect();
        for line in table::render(&outcome.columns, &rows) {
            log.send(LogStream::Stdout, &line);
        }
        let more = outcome.rows.len().saturating_sub(max_rows);
        let tail = if more > 0 {
            format!(" ({more} more not shown)")
        } else {
            String::new()
        };
        log.send(
            LogStream::Guide,
            &format!("{} row(s){tail}", outcome.rows.len()),
        );
    } else {
        log.send(
            LogStream::Guide,
            &format!("{} row(s) changed", outcome.affected),
        );
    }
}
