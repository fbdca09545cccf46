//! The Confluent check kinds. Each turns one API read into an [`Observation`]: transient phases
//! are `Pending`, terminal failures `Fail` with the API's own reason, unknown phases are shown
//! as they came and treated as pending.

use super::{FlapTracker, ResolvedScope, explain};
use crate::backend::confluent::{ApiError, ConfluentApi, ConnectorStatus};
use crate::lesson::template::{Template, TemplateContext};
use crate::lesson::{
    ConnectorStatusCheck, FlinkStatementCheck, SchemaSubjectCheck, TopicExistsCheck,
};
use crate::runner::outcome::{Observation, Verdict};

fn render(t: &Template, values: &dyn TemplateContext) -> Result<String, Observation> {
    t.render(values)
        .map_err(|e| Observation::new(Verdict::Fail, format!("{}: {e}", t.display(values))))
}

/// A failed read: transient trouble is pending (the next poll may work), the rest fails.
fn api_failure(err: &ApiError, resolved: &ResolvedScope) -> Observation {
    let verdict = if err.is_transient() {
        Verdict::Pending
    } else {
        Verdict::Fail
    };
    Observation::new(verdict, explain(err, resolved))
}

/// The first non-empty line of a (often multi-line) trace.
pub(crate) fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn tasks_summary(status: &ConnectorStatus) -> String {
    if status.tasks.is_empty() {
        return "no tasks yet".to_string();
    }
    let states: Vec<String> = status
        .tasks
        .iter()
        .map(|t| format!("{}:{}", t.id, t.state))
        .collect();
    format!("tasks {}", states.join(" "))
}

pub(super) async fn connector_status(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    check: &ConnectorStatusCheck,
    values: &(dyn TemplateContext + Send + Sync),
    flaps: &FlapTracker<'_>,
) -> Observation {
    let name = match render(&check.connector, values) {
        Ok(n) => n,
        Err(obs) => return obs,
    };
    let status = match api.connector_status(&resolved.scope, &name).await {
        Ok(s) => s,
        Err(e) if e.is_gone() => {
            flaps.recovered(&name);
            return Observation::new(
                Verdict::Fail,
                format!("connector {name} does not exist (not created yet, or deleted)"),
            );
        }
        Err(e) => return api_failure(&e, resolved),
    };
    let state = status.state.as_str();
    if state != "FAILED" {
        flaps.recovered(&name);
    }
    let tasks = tasks_summary(&status);
    match state {
        s if s == check.expect => {
            let lagging: Vec<String> = status
                .tasks
                .iter()
                .filter(|t| {
                    t.state != check.expect && !(check.expect == "PAUSED" && t.state == "STOPPED")
                })
                .map(|t| format!("task {} is {}", t.id, t.state))
                .collect();
            if check.expect == "RUNNING" && (status.tasks.is_empty() || !lagging.is_empty()) {
                let why = if lagging.is_empty() {
                    "no tasks yet".to_string()
                } else {
                    lagging.join(", ")
                };
                return Observation::new(Verdict::Pending, format!("{name} {s}, but {why}"));
            }
            Observation::new(Verdict::Pass, format!("{name} {s} ({tasks})"))
        }
        "FAILED" => {
            let reason = match first_line(&status.trace) {
                "" => status
                    .validation_errors
                    .first()
                    .map_or("no trace given".to_string(), |v| first_line(v).to_string()),
                line => line.to_string(),
            };
            let failing = flaps.failing_for(&name);
            if failing < check.flap_tolerance {
                Observation::new(
                    Verdict::Pending,
                    format!(
                        "{name} FAILED for {}s (tolerated up to {}s as a restart): {reason}",
                        failing.as_secs(),
                        check.flap_tolerance.as_secs()
                    ),
                )
            } else {
                Observation::new(Verdict::Fail, format!("{name} FAILED: {reason}"))
            }
        }
        "PROVISIONING" | "DEGRADED" | "RESTARTING" | "NONE" => {
            Observation::new(Verdict::Pending, format!("{name} {state} ({tasks})"))
        }
        "PAUSED" | "DELETED" | "RUNNING" => Observation::new(
            Verdict::Fail,
            format!("{name} is {state}, expected {}", check.expect),
        ),
        other => {
            tracing::info!(connector = %name, state = other, "unknown connector state, treated as pending");
            Observation::new(
                Verdict::Pending,
                format!("{name} {other} (unknown state, waiting)"),
            )
        }
    }
}

pub(super) async fn flink_statement(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    check: &FlinkStatementCheck,
    values: &(dyn TemplateContext + Send + Sync),
) -> Observation {
    let name = match render(&check.statement, values) {
        Ok(n) => n,
        Err(obs) => return obs,
    };
    let statement = match api.statement(&resolved.scope, &name).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Observation::new(
                Verdict::Fail,
                format!("statement {name} does not exist (not submitted yet, or deleted)"),
            );
        }
        Err(e) => return api_failure(&e, resolved),
    };
    let phase = statement.phase.as_str();
    if check.expect.iter().any(|e| e == phase) {
        return Observation::new(Verdict::Pass, format!("statement {name} {phase}"));
    }
    match phase {
        "PENDING" => Observation::new(Verdict::Pending, format!("statement {name} PENDING")),
        "FAILED" | "FAILING" | "STOPPED" | "STOPPING" | "DELETING" | "COMPLETED" | "RUNNING"
        | "DEGRADED" => {
            let detail = first_line(&statement.detail);
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            };
            Observation::new(
                Verdict::Fail,
                format!(
                    "statement {name} {phase}{detail} (expected {})",
                    check.expect.join(" or ")
                ),
            )
        }
        other => {
            tracing::info!(statement = %name, phase = other, "unknown statement phase, treated as pending");
            Observation::new(
                Verdict::Pending,
                format!("statement {name} {other} (unknown phase, waiting)"),
            )
        }
    }
}

pub(super) async fn schema_subject(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    check: &SchemaSubjectCheck,
    values: &(dyn TemplateContext + Send + Sync),
) -> Observation {
    let subject = match render(&check.subject, values) {
        Ok(s) => s,
        Err(obs) => return obs,
    };
    let versions = match api.subject_versions(&resolved.scope, &subject).await {
        Ok(Some(v)) if !v.is_empty() => v,
        Ok(_) => {
            return Observation::new(
                Verdict::Pending,
                format!("subject {subject} is not registered yet"),
            );
        }
        Err(e) => return api_failure(&e, resolved),
    };
    let latest = versions.iter().copied().max().unwrap_or(0);
    if let Some(min) = check.min_version
        && latest < min
    {
        return Observation::new(
            Verdict::Pending,
            format!("subject {subject} is at version {latest}, waiting for version {min}"),
        );
    }
    let mut seen = format!("subject {subject} version {latest}");
    if let Some(expected) = &check.compatibility {
        match api.subject_compatibility(&resolved.scope, &subject).await {
            Ok(level) if level.eq_ignore_ascii_case(expected) => {
                seen.push_str(&format!(", compatibility {level}"));
            }
            Ok(level) => {
                return Observation::new(
                    Verdict::Fail,
                    format!("{seen}, compatibility {level} (expected {expected})"),
                );
            }
            Err(e) => return api_failure(&e, resolved),
        }
    }
    Observation::new(Verdict::Pass, seen)
}

pub(super) async fn topic_exists(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    check: &TopicExistsCheck,
    values: &(dyn TemplateContext + Send + Sync),
) -> Observation {
    let name = match render(&check.topic, values) {
        Ok(n) => n,
        Err(obs) => return obs,
    };
    match api.topic(&resolved.scope, &name).await {
        Ok(Some(topic)) => match check.min_partitions {
            Some(min) if topic.partitions < min => Observation::new(
                Verdict::Fail,
                format!(
                    "topic {name} has {} partitions, expected at least {min}",
                    topic.partitions
                ),
            ),
            _ => Observation::new(
                Verdict::Pass,
                format!("topic {name} ({} partitions)", topic.partitions),
            ),
        },
        Ok(None) => Observation::new(Verdict::Pending, format!("topic {name} does not exist yet")),
        Err(e) => api_failure(&e, resolved),
    }
}

/// PROVISIONED passes, PROVISIONING waits, FAILED fails; unknown phases wait.
fn provisioned(what: &str, phase: &str) -> Observation {
    match phase {
        "PROVISIONED" => Observation::new(Verdict::Pass, format!("{what} PROVISIONED")),
        "PROVISIONING" => Observation::new(Verdict::Pending, format!("{what} PROVISIONING")),
        "FAILED" | "DEPROVISIONING" => Observation::new(Verdict::Fail, format!("{what} {phase}")),
        other => {
            tracing::info!(
                resource = what,
                phase = other,
                "unknown phase, treated as pending"
            );
            Observation::new(
                Verdict::Pending,
                format!("{what} {other} (unknown phase, waiting)"),
            )
        }
    }
}

fn vanished(what: &str, id: Option<&String>) -> Observation {
    let id = id.map(|i| format!(" {i}")).unwrap_or_default();
    Observation::new(
        Verdict::Fail,
        format!("{what}{id} no longer exists (deleted, or the key cannot see it)"),
    )
}

pub(super) async fn cluster_ready(api: &dyn ConfluentApi, resolved: &ResolvedScope) -> Observation {
    match api.kafka_cluster(&resolved.scope).await {
        Ok(c) => provisioned(&format!("cluster {} ({})", c.display_name, c.id), &c.phase),
        Err(e) if e.is_gone() => vanished("cluster", resolved.scope.cluster.as_ref()),
        Err(e) => api_failure(&e, resolved),
    }
}

pub(super) async fn compute_pool_ready(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
) -> Observation {
    match api.compute_pool(&resolved.scope).await {
        Ok(p) => provisioned(
            &format!("compute pool {} ({})", p.display_name, p.id),
            &p.phase,
        ),
        Err(e) if e.is_gone() => vanished("compute pool", resolved.scope.compute_pool.as_ref()),
        Err(e) => api_failure(&e, resolved),
    }
}
