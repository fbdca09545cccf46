//! Managed connectors (connect/v1): validation with `error_count`, PROVISIONING → RUNNING or
//! FAILED with a trace, scripted lives for flaps, asynchronous pause and resume; a running
//! source connector creates its topics and registers their value schemas, as the real ones do.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::respond::{Api, Resp, error};
use super::world::{Connector, World};

/// Keys each connector class needs, so validation (and the FAILED path) is realistic.
fn required_keys(class: &str) -> Option<&'static [&'static str]> {
    Some(match class {
        "PostgresCdcSourceV2" => &[
            "kafka.auth.mode",
            "database.hostname",
            "database.user",
            "database.password",
            "database.dbname",
            "topic.prefix",
        ],
        "MySqlCdcSourceV2" => &[
            "kafka.auth.mode",
            "database.hostname",
            "database.user",
            "database.password",
            "topic.prefix",
        ],
        "OracleCdcSource" => &[
            "kafka.auth.mode",
            "oracle.server",
            "oracle.username",
            "oracle.password",
            "table.inclusion.regex",
        ],
        "SalesforceCdcSource" => &[
            "kafka.auth.mode",
            "kafka.topic",
            "salesforce.username",
            "salesforce.password",
            "salesforce.cdc.name",
        ],
        "S3_SINK" => &[
            "kafka.auth.mode",
            "topics",
            "s3.bucket.name",
            "input.data.format",
        ],
        "RedshiftSink" => &[
            "kafka.auth.mode",
            "topics",
            "aws.redshift.domain",
            "aws.redshift.user",
            "aws.redshift.password",
        ],
        "GcsSink" => &["kafka.auth.mode", "topics", "gcs.bucket.name"],
        _ => return None,
    })
}

fn kind_of(class: &str) -> &'static str {
    if class.contains("Sink") || class.ends_with("_SINK") {
        "sink"
    } else {
        "source"
    }
}

/// `name: message` for every problem; a host ending in `.invalid` cannot be reached.
pub(super) fn validation_errors(config: &BTreeMap<String, String>) -> Vec<String> {
    let class = config.get("connector.class").map_or("", String::as_str);
    let mut errors = Vec::new();
    for key in required_keys(class).unwrap_or(&[]) {
        if config.get(*key).is_none_or(|v| v.trim().is_empty()) {
            errors.push(format!(
                "{key}: Missing required configuration \"{key}\" which has no default value."
            ));
        }
    }
    for host_key in ["database.hostname", "oracle.server"] {
        if let Some(host) = config.get(host_key)
            && host.ends_with(".invalid")
        {
            errors.push(format!("{host_key}: Unable to connect to the database at {host}: the host name does not resolve."));
        }
    }
    errors
}

fn trace_of(errors: &[String]) -> String {
    format!(
        "Unable to validate configuration. If an update was made to the configuration, this means that the configuration was invalid, and the connector continues to operate on a previous configuration that passed validation. Errors:\n{}\n",
        errors.join("\n")
    )
}

/// The connector's state and trace now.
pub(super) fn state(ctx: &Ctx, c: &Connector) -> (String, String) {
    let elapsed = ctx.now.saturating_duration_since(c.created);
    if let Some(script) = &c.script {
        let mut at = std::time::Duration::ZERO;
        for (i, phase) in script.iter().enumerate() {
            at += phase.lasts;
            if elapsed < at || i + 1 == script.len() {
                return (phase.state.clone(), phase.trace.clone());
            }
        }
    }
    if elapsed < ctx.timings.connector {
        return ("PROVISIONING".into(), String::new());
    }
    if !c.errors.is_empty() {
        return ("FAILED".into(), trace_of(&c.errors));
    }
    match c.pause {
        Some((true, at)) if ctx.now >= at + ctx.timings.pause_resume => {
            ("PAUSED".into(), String::new())
        }
        Some((false, at)) if ctx.now < at + ctx.timings.pause_resume => {
            ("PAUSED".into(), String::new())
        }
        _ => ("RUNNING".into(), String::new()),
    }
}

/// Topics a running source connector writes.
fn source_topics(c: &Connector) -> Vec<String> {
    let get = |k: &str| c.config.get(k).filter(|v| !v.is_empty());
    let mut topics = Vec::new();
    if let Some(t) = get("kafka.topic") {
        topics.push(t.clone());
    }
    if let (Some(prefix), Some(tables)) = (get("topic.prefix"), get("table.include.list")) {
        topics.extend(
            tables
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| format!("{prefix}.{t}")),
        );
    }
    if let Some(redo) = get("redo.log.topic.name") {
        topics.push(redo.clone());
    }
    topics
}

pub(super) fn envelope_schema(topic: &str) -> String {
    let name = topic.replace(['.', '-'], "_");
    json!({
        "type": "record",
        "name": "Envelope",
        "namespace": name,
        "fields": [
            {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": [{"name": "id", "type": "int"}]}], "default": null},
            {"name": "after", "type": ["null", "Value"], "default": null},
            {"name": "source", "type": {"type": "record", "name": "Source", "fields": [
                {"name": "schema", "type": "string"}, {"name": "table", "type": "string"}]}},
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": null},
        ],
    })
    .to_string()
}

/// The topics of every source connector that is RUNNING now (a paused one writes nothing) and
/// that `toy` lets the toy feed write for.
pub(super) fn running_source_topics(
    w: &World,
    ctx: &Ctx,
    toy: impl Fn(&Connector) -> bool,
) -> Vec<String> {
    w.connectors
        .iter()
        .filter(|c| c.kind == "source" && c.materialised && state(ctx, c).0 == "RUNNING")
        .filter(|c| toy(c))
        .flat_map(source_topics)
        .collect()
}

/// Bring connectors' side effects up to date: a source that runs has its topics and schemas.
pub(super) fn tick(w: &mut World, ctx: &Ctx) {
    let mut created: Vec<(String, String)> = Vec::new();
    for c in w.connectors.iter_mut() {
        if c.materialised || c.kind != "source" {
            continue;
        }
        if state(ctx, c).0 == "RUNNING" {
            c.materialised = true;
            created.extend(source_topics(c).into_iter().map(|t| (c.cluster.clone(), t)));
        }
    }
    for (cluster, topic) in created {
        w.ensure_topic(&cluster, &topic, 1);
        let schema = envelope_schema(&topic);
        w.register(&format!("{topic}-value"), &schema, None);
    }
}

fn status_body(ctx: &Ctx, c: &Connector) -> Value {
    let (state, trace) = state(ctx, c);
    let tasks = match state.as_str() {
        "RUNNING" => json!([{"id": 0, "state": "RUNNING", "worker_id": c.name, "msg": ""}]),
        "PAUSED" => json!([{"id": 0, "state": "STOPPED", "worker_id": c.name, "msg": ""}]),
        "DEGRADED" => json!([{"id": 0, "state": "UNASSIGNED", "worker_id": c.name, "msg": ""}]),
        _ => json!([]),
    };
    let mut body = json!({
        "name": c.name,
        "connector": {"state": state, "worker_id": c.name, "trace": trace},
        "tasks": tasks,
        "type": c.kind,
    });
    if state == "FAILED" {
        // Real responses carry these undeclared fields; clients must cope.
        body["errors_from_trace"] = json!([]);
        body["validation_errors"] = json!(c.errors);
        body["override_message"] = json!("");
    }
    body
}

fn masked(config: &BTreeMap<String, String>) -> Value {
    let out: BTreeMap<&String, String> = config
        .iter()
        .map(|(k, v)| {
            let secret = ["password", "secret", "key.id", "credentials"]
                .iter()
                .any(|w| k.contains(w));
            (
                k,
                if secret {
                    "****************".to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    json!(out)
}

/// The config as Connect reports it: the keys the service adds (environment, provider, the
/// cluster's endpoint and region, the name) plus the participant's, secrets masked.
fn reported_config(ctx: &Ctx, c: &Connector) -> Value {
    let mut config = c.config.clone();
    let host = ctx
        .base_url
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or("localhost")
        .to_string();
    config
        .entry("cloud.environment".into())
        .or_insert_with(|| "prod".into());
    config
        .entry("cloud.provider".into())
        .or_insert_with(|| "aws".into());
    config
        .entry("kafka.endpoint".into())
        .or_insert_with(|| format!("SASL_SSL://{host}:9092"));
    config
        .entry("kafka.region".into())
        .or_insert_with(|| "eu-central-1".into());
    config
        .entry("name".into())
        .or_insert_with(|| c.name.clone());
    masked(&config)
}

fn info(ctx: &Ctx, c: &Connector) -> Value {
    json!({"name": c.name, "type": c.kind, "config": reported_config(ctx, c), "tasks": [{"connector": c.name, "task": 0}]})
}

fn not_found(name: &str) -> Resp {
    error(
        Api::Connect,
        404,
        "",
        &format!("Connector {name} not found"),
    )
}

fn validation(class: &str, config: &BTreeMap<String, String>) -> Value {
    let errors = validation_errors(config);
    let mut names: Vec<String> = required_keys(class)
        .unwrap_or(&[])
        .iter()
        .map(|k| k.to_string())
        .collect();
    for k in config.keys() {
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    let configs: Vec<Value> = names
        .iter()
        .map(|name| {
            let errs: Vec<&str> = errors
                .iter()
                .filter_map(|e| e.strip_prefix(&format!("{name}: ")))
                .collect();
            json!({
                "definition": {"name": name, "type": "STRING", "required": false, "default_value": "", "importance": "HIGH", "documentation": "", "group": "", "width": "NONE", "display_name": name, "dependents": [], "order": 0},
                "value": {"name": name, "value": config.get(name).cloned().unwrap_or_default(), "recommended_values": [], "errors": errs, "visible": true},
                "metadata": {},
            })
        })
        .collect();
    json!({"name": class, "groups": [], "error_count": errors.len(), "configs": configs})
}

fn flat_config(body: &Option<Value>) -> BTreeMap<String, String> {
    body.as_ref()
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), String::from),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn handle(
    w: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &Option<Value>,
) -> Resp {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let [
        "connect",
        "v1",
        "environments",
        env,
        "clusters",
        cluster,
        rest @ ..,
    ] = segs.as_slice()
    else {
        return error(Api::Connect, 404, "", "unknown path");
    };
    if !w.environments.contains_key(*env) || !w.clusters.contains_key(*cluster) {
        return error(Api::Connect, 404, "", "account not found");
    }
    let find = |w: &World, name: &str| {
        w.connectors
            .iter()
            .position(|c| c.env == *env && c.cluster == *cluster && c.name == name)
    };
    match (method, rest) {
        ("GET", ["connectors"]) => {
            let expand = query
                .iter()
                .find(|(k, _)| k == "expand")
                .map(|(_, v)| v.clone());
            let mine = w
                .connectors
                .iter()
                .filter(|c| c.env == *env && c.cluster == *cluster);
            match expand {
                None => Resp::json(
                    200,
                    &json!(mine.map(|c| c.name.clone()).collect::<Vec<_>>()),
                ),
                Some(expand) => {
                    let mut out = serde_json::Map::new();
                    for c in mine {
                        let mut entry = serde_json::Map::new();
                        if expand.contains("id") {
                            entry.insert("id".into(), json!({"id": c.id, "id_type": "ID"}));
                        }
                        if expand.contains("info") {
                            entry.insert("info".into(), info(ctx, c));
                        }
                        if expand.contains("status") {
                            entry.insert("status".into(), status_body(ctx, c));
                        }
                        out.insert(c.name.clone(), Value::Object(entry));
                    }
                    Resp::json(200, &Value::Object(out))
                }
            }
        }
        ("POST", ["connectors"]) => {
            let Some(name) = body
                .as_ref()
                .and_then(|b| b.get("name"))
                .and_then(Value::as_str)
            else {
                return error(
                    Api::Connect,
                    400,
                    "",
                    "the request needs `name` and `config`",
                );
            };
            let config = flat_config(&body.as_ref().and_then(|b| b.get("config")).cloned());
            let class = config.get("connector.class").cloned().unwrap_or_default();
            if required_keys(&class).is_none() {
                return error(
                    Api::Connect,
                    400,
                    "",
                    &format!(
                        "Failed to find any class that implements Connector and which name matches {class}"
                    ),
                );
            }
            if find(w, name).is_some() {
                return error(
                    Api::Connect,
                    400,
                    "",
                    &format!("Connector {name} already exists"),
                );
            }
            let c = Connector {
                id: w.id("lcc"),
                env: (*env).to_string(),
                cluster: (*cluster).to_string(),
                name: name.to_string(),
                kind: kind_of(&class),
                errors: validation_errors(&config),
                config,
                created: ctx.now,
                script: w.connector_scripts.get(name).cloned(),
                pause: None,
                materialised: false,
            };
            let v = info(ctx, &c);
            w.connectors.push(c);
            Resp::json(201, &v)
        }
        ("GET", ["connectors", name]) => match find(w, name) {
            Some(i) => Resp::json(200, &info(ctx, &w.connectors[i])),
            None => not_found(name),
        },
        ("GET", ["connectors", name, "config"]) => match find(w, name) {
            Some(i) => Resp::json(200, &reported_config(ctx, &w.connectors[i])),
            None => not_found(name),
        },
        ("GET", ["connectors", name, "status"]) => match find(w, name) {
            Some(i) => Resp::json(200, &status_body(ctx, &w.connectors[i])),
            None => not_found(name),
        },
        ("GET", ["connectors", name, "tasks"]) => match find(w, name) {
            Some(i) => {
                let c = &w.connectors[i];
                Resp::json(
                    200,
                    &json!([{"id": {"connector": c.name, "task": 0}, "config": masked(&c.config)}]),
                )
            }
            None => not_found(name),
        },
        ("PUT", ["connectors", name, action @ ("pause" | "resume")]) => match find(w, name) {
            Some(i) => {
                w.connectors[i].pause = Some((*action == "pause", ctx.now));
                Resp::empty(202)
            }
            None => not_found(name),
        },
        ("DELETE", ["connectors", name]) => match find(w, name) {
            Some(i) => {
                w.connectors.remove(i);
                Resp::json(200, &json!({"error": null}))
            }
            None => not_found(name),
        },
        ("GET", ["connector-plugins"]) => {
            let plugins: Vec<Value> = [
                "PostgresCdcSourceV2",
                "MySqlCdcSourceV2",
                "OracleCdcSource",
                "SalesforceCdcSource",
                "S3_SINK",
                "RedshiftSink",
                "GcsSink",
            ]
            .iter()
            .map(|c| json!({"class": c, "type": kind_of(c)}))
            .collect();
            Resp::json(200, &json!(plugins))
        }
        ("PUT", ["connector-plugins", class, "config", "validate"]) => {
            let config = flat_config(body);
            Resp::json(200, &validation(class, &config))
        }
        _ => error(Api::Connect, 404, "", "unknown path"),
    }
}
