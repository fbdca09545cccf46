//! The `confluent` step: one named API action, shown before it runs, idempotent on re-run.
//! What it created (or deleted) is handed back for the resource ledger.

use std::collections::BTreeMap;

use super::{LedgerChange, ResolvedScope, explain};
use crate::backend::confluent::{ConfluentApi, NewFlinkConnection, TagTarget};
use crate::ledger::ApiKind;
use crate::lesson::template::Template;
use crate::lesson::{ConfluentAction, ConfluentStep, TagTargetSpec};
use crate::runner::outcome::{LogStream, StepOutcome};
use crate::runner::{LogSink, StepRun};

fn failed(message: impl Into<String>) -> StepOutcome {
    StepOutcome::Failed {
        message: message.into(),
        exit_code: None,
    }
}

pub(super) async fn execute(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    run: &StepRun,
    step: &ConfluentStep,
    log: &LogSink,
) -> (StepOutcome, Option<LedgerChange>) {
    let values = run.values.as_ref();
    for line in step.action.display(values).lines() {
        log.send(LogStream::Guide, line);
    }
    let render = |t: &Template| {
        t.render(values)
            .map_err(|e| format!("{}: {e}", t.display(values)))
    };
    let scope = &resolved.scope;
    let result: Result<(String, Option<LedgerChange>), String> = async {
        match &step.action {
            ConfluentAction::CreateConnector { connector, config } => {
                let name = render(connector)?;
                match api.connector_status(scope, &name).await {
                    Ok(status) => {
                        let message = format!(
                            "connector {name} already exists ({}); kept as it is",
                            status.state
                        );
                        return Ok((message, Some(LedgerChange::Exists(ApiKind::Connector, name))));
                    }
                    Err(e) if e.is_gone() => {}
                    Err(e) => return Err(explain(&e, resolved)),
                }
                let mut rendered = BTreeMap::new();
                for (key, t) in config {
                    let value = render(t)?;
                    if t.has_secret() {
                        log.redactor().add(&value);
                    }
                    rendered.insert(key.clone(), value);
                }
                rendered.entry("name".to_string()).or_insert_with(|| name.clone());
                let validation = api
                    .validate_connector_config(scope, &rendered)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                if validation.error_count > 0 {
                    for error in &validation.errors {
                        log.send(LogStream::Stderr, error);
                    }
                    return Err(format!(
                        "Confluent rejected the configuration of {name} ({} error(s), listed above); fix them and press Retry",
                        validation.error_count
                    ));
                }
                api.create_connector(scope, &name, &rendered)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                let message =
                    format!("created connector {name}; it provisions for a while before it runs");
                Ok((message, Some(LedgerChange::Exists(ApiKind::Connector, name))))
            }
            ConfluentAction::PauseConnector { connector } => {
                let name = render(connector)?;
                api.pause_connector(scope, &name)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                Ok((
                    format!("asked {name} to pause; Confluent applies it within a few seconds"),
                    None,
                ))
            }
            ConfluentAction::ResumeConnector { connector } => {
                let name = render(connector)?;
                api.resume_connector(scope, &name)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                Ok((
                    format!("asked {name} to resume; Confluent applies it within a few seconds"),
                    None,
                ))
            }
            ConfluentAction::CreateFlinkConnection {
                name,
                connection_type,
                endpoint,
                api_key,
            } => {
                let name = render(name)?;
                if let Some(found) = api
                    .flink_connection(scope, &name)
                    .await
                    .map_err(|e| explain(&e, resolved))?
                {
                    let message = format!(
                        "connection {name} already exists ({} at {}); kept as it is",
                        found.connection_type, found.endpoint
                    );
                    return Ok((message, Some(LedgerChange::Exists(ApiKind::FlinkConnection, name))));
                }
                let connection = NewFlinkConnection {
                    name: name.clone(),
                    connection_type: connection_type.clone(),
                    endpoint: render(endpoint)?,
                    api_key: render(api_key)?,
                };
                log.redactor().add(&connection.api_key);
                api.create_flink_connection(scope, &connection)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                let message = format!("created connection {name}");
                Ok((message, Some(LedgerChange::Exists(ApiKind::FlinkConnection, name))))
            }
            ConfluentAction::Tag { tag, target } => {
                let target = match target {
                    TagTargetSpec::Topic(t) => TagTarget::Topic(render(t)?),
                    TagTargetSpec::Subject(s) => TagTarget::Subject(render(s)?),
                };
                api.tag(scope, tag, &target)
                    .await
                    .map_err(|e| explain(&e, resolved))?;
                let what = match &target {
                    TagTarget::Topic(t) => format!("topic {t}"),
                    TagTarget::Subject(s) => format!("subject {s}"),
                };
                Ok((
                    format!("tagged {what} with {tag} (the catalog shows it after a few seconds)"),
                    None,
                ))
            }
            ConfluentAction::DeleteStatement { statement } => {
                let name = render(statement)?;
                let message = match api.delete_statement(scope, &name).await {
                    Ok(()) => format!("deleted statement {name}"),
                    Err(e) if e.is_gone() => format!("statement {name} was already gone"),
                    Err(e) => return Err(explain(&e, resolved)),
                };
                Ok((message, Some(LedgerChange::Gone(ApiKind::FlinkStatement, name))))
            }
        }
    }
    .await;
    match result {
        Ok((done, change)) => {
            log.send(LogStream::Stdout, &done);
            if let Some(extra) = run.outputs.first() {
                let message =
                    format!("step declares output `{extra}`, but a confluent step provides none");
                return (failed(message), change);
            }
            let outputs = BTreeMap::new();
            (StepOutcome::Succeeded { outputs }, change)
        }
        Err(message) => (failed(message), None),
    }
}
