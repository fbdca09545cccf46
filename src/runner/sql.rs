//! [`SqlRunner`]: `sql` steps and `sql_rows` checks against the course's `[databases]`.

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;

use super::outcome::{LogStream, Observation, StepOutcome, Verdict};
use super::{LogSink, StepRun, table};
use crate::backend::sql::{Connection, SqlClient, SqlError, SqlOutcome};
use crate::lesson::template::{Template, TemplateContext, TemplateRef};
use crate::lesson::{DatabaseDecl, Repeat, SqlRowsCheck, SqlStep};
use crate::redact::Redactor;
use tokio_util::sync::CancellationToken;

/// The output holding the marker an sql step wrote (`{{ marker }}` in its statement).
pub const MARKER_OUTPUT: &str = "marker";
/// The output holding when that statement finished, in Unix milliseconds.
pub const MARKER_AT_OUTPUT: &str = "marker_at_ms";

/// A value no earlier run wrote: the prefix says who wrote the row, the rest is random.
fn new_marker() -> String {
    format!("cdcw-{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The run's values plus the marker this run of the step made.
struct WithMarker<'a> {
    inner: &'a dyn TemplateContext,
    marker: Option<&'a str>,
}

impl TemplateContext for WithMarker<'_> {
    fn output(&self, step: &str, name: &str) -> Option<String> {
        self.inner.output(step, name)
    }
    fn var(&self, name: &str) -> Option<String> {
        self.inner.var(name)
    }
    fn secret(&self, name: &str) -> Option<String> {
        self.inner.secret(name)
    }
    fn marker(&self) -> Option<String> {
        self.marker.map(str::to_string)
    }
}

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
        let marker = step
            .statement
            .refs()
            .any(|r| *r == TemplateRef::Marker)
            .then(new_marker);
        let rendered = render(
            &step.statement,
            &WithMarker {
                inner: values,
                marker: marker.as_deref(),
            },
        );
        let sql = match rendered {
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
        let written_at_ms = wall_ms();
        show(&outcome, step.max_rows, log);
        let mut provided = BTreeMap::from([("rows", outcome.rows.len().to_string())]);
        if let Some(m) = &marker {
            log.send(LogStream::Guide, &format!("marker: {m}"));
            provided.insert(MARKER_OUTPUT, m.clone());
            provided.insert(MARKER_AT_OUTPUT, written_at_ms.to_string());
        }
        let mut outputs = BTreeMap::new();
        for name in &run.outputs {
            match provided.get(name.as_str()) {
                Some(v) => {
                    outputs.insert(name.clone(), v.clone());
                }
                None => {
                    let offered: Vec<&str> = provided.keys().copied().collect();
                    return failed(format!(
                        "step declares output `{name}`, but this sql step provides only: {} (`marker` and `{MARKER_AT_OUTPUT}` come with a `{{{{ marker }}}}` in the statement)",
                        offered.join(", ")
                    ));
                }
            }
        }
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
