//! Every recorded and example body of the Confluent APIs reads into the client's types: the
//! provider's test responses, the specs' examples and the synthesized edge cases. A body that
//! is an error maps to a code and message; nothing is skipped without a stated reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/openapi.rs"]
mod openapi;

use std::collections::BTreeMap;
use std::path::Path;

use cdc_workshop::backend::confluent::client::{error_details, wire};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Request bodies the client never sends, with why.
const NOT_SENT: &[(&str, &str)] = &[
    (
        "kafka-rest-v3.create-topic.request",
        "topics come from Terraform and connectors, not from the guide",
    ),
    (
        "kafka-rest-v3.produce.request",
        "Kafka REST cannot produce Avro; markers go through the databases",
    ),
    (
        "metrics-v2.query.request",
        "the client builds its own query (checked against the spec by the contract test)",
    ),
];

fn read<T: DeserializeOwned>(file: &Path) -> T {
    let text = std::fs::read_to_string(file).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn is_error(v: &Value) -> bool {
    v.get("errors").is_some_and(Value::is_array)
        || v.get("error").is_some_and(Value::is_object)
        || (v.get("error_code").is_some()
            && v.get("cluster_id").is_none()
            && v.get("typeName").is_none())
}

/// Read `file` as what its name says it is; returns a short description of what was read.
fn decode(file: &Path) -> String {
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let group = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let key = format!("{group}/{name}");
    let raw: Value = read(file);
    if raw.get("value").is_some_and(Value::is_string) && raw.get("description").is_some() {
        // Jetty HTML wrapped as an example.
        let html = raw["value"].as_str().unwrap();
        let (_, message) = error_details(html.as_bytes());
        assert!(message.starts_with("Error 429"), "{key}: {message}");
        return format!("html: {message}");
    }
    if raw == serde_json::json!({"error": null}) {
        return "deleted".into();
    }
    if is_error(&raw) {
        let (code, message) = error_details(raw.to_string().as_bytes());
        assert!(
            !message.is_empty() || code.is_some(),
            "{key}: an error with neither code nor message"
        );
        return format!("error {code:?}: {message}");
    }
    let k = |s: &str| key.contains(s);
    let out: String = if k("results") || k("statement-result") {
        if raw.is_array() {
            let rows: Vec<wire::ResultRow> = read(file);
            assert!(
                !rows.is_empty() && rows.iter().all(|r| !r.row.is_empty()),
                "{key}"
            );
            format!("{} rows", rows.len())
        } else {
            let r: wire::StatementResult = read(file);
            let rows = r.results.data.unwrap_or_default();
            format!("{} rows, next {:?}", rows.len(), r.metadata.next)
        }
    } else if k("flink-sql") || k("statement") {
        let s: wire::Statement = read(file);
        assert!(!s.name.is_empty() && s.status.phase.is_some(), "{key}");
        format!(
            "statement {} {}",
            s.name,
            s.status.phase.unwrap_or_default()
        )
    } else if k("list-expanded") || k("read_created_connectors") {
        let m: BTreeMap<String, wire::ExpandedConnector> = read(file);
        let first = m.values().next().unwrap_or_else(|| panic!("{key}: empty"));
        assert!(
            first.id.as_ref().and_then(|i| i.id.as_ref()).is_some(),
            "{key}: no lcc id"
        );
        format!("{} connectors", m.len())
    } else if k("list-names") {
        let names: Vec<String> = read(file);
        format!("{} names", names.len())
    } else if k("validate") && !k("schema") {
        let v: wire::Validation = read(file);
        assert!(!v.configs.is_empty(), "{key}");
        format!("validation, {} errors", v.error_count)
    } else if k("status")
        || k("connector.json")
        || k("running_connector")
        || k("provisioning_connector")
    {
        let s: wire::ConnectorStatus = read(file);
        assert!(s.connector.state.is_some(), "{key}: no state");
        format!("connector {}", s.connector.state.unwrap_or_default())
    } else if k("connect-v1.create") {
        let c: wire::ConnectorInfo = read(file);
        assert!(c.name.is_some() && !c.config.is_empty(), "{key}");
        format!("connector {}", c.name.unwrap_or_default())
    } else if k("partitions") {
        let p: wire::Page<wire::Partition> = read(file);
        assert!(
            !p.data.is_empty() && p.data.iter().all(|x| x.partition_id.is_some()),
            "{key}"
        );
        format!("{} partitions", p.data.len())
    } else if k("produce.200") {
        // A 200 whose `error_code` inside tells success from failure (confluent-api.md §1.10).
        format!("produce error_code {}", raw["error_code"])
    } else if k("kafka-rest") && (k("list") || k("topics_200")) {
        let p: wire::Page<wire::Topic> = read(file);
        assert!(p.data.iter().all(|t| !t.topic_name.is_empty()), "{key}");
        format!("{} topics", p.data.len())
    } else if k("kafka-rest") || k("kafka_topic") {
        let t: wire::Topic = read(file);
        assert!(!t.topic_name.is_empty(), "{key}");
        format!("topic {}", t.topic_name)
    } else if k("metrics") {
        let m: wire::MetricsResponse = read(file);
        assert!(
            m.data
                .iter()
                .all(|p| p.value.is_some() || p.points.is_some()),
            "{key}"
        );
        format!("{} metric rows", m.data.len())
    } else if k("schema-registry") {
        if raw.is_array() {
            let all: Vec<wire::SchemaVersion> = read(file);
            format!("{} schemas", all.len())
        } else if raw.get("is_compatible").is_some() {
            format!("compatible: {}", raw["is_compatible"])
        } else {
            let s: wire::SchemaVersion = read(file);
            assert!(s.id.is_some(), "{key}");
            format!("schema {:?} v{:?}", s.id, s.version)
        }
    } else if k("catalog") {
        if raw.is_array() {
            let tags: Vec<wire::TagBinding> = read(file);
            format!("{} catalog entries", tags.len())
        } else {
            format!(
                "catalog {}",
                raw.get("name")
                    .or_else(|| raw.get("typeName"))
                    .cloned()
                    .unwrap_or_default()
            )
        }
    } else if k("srcm") {
        if raw.get("data").is_some() {
            let p: wire::Page<wire::SchemaRegistryCluster> = read(file);
            assert!(p.data.iter().all(|s| !s.id.is_empty()), "{key}");
            format!("{} SR clusters", p.data.len())
        } else {
            let s: wire::SchemaRegistryCluster = read(file);
            assert!(!s.id.is_empty(), "{key}");
            format!("sr {}", s.id)
        }
    } else if k("fcpm") && k("regions") {
        let p: wire::Page<Value> = read(file);
        format!("{} regions", p.data.len())
    } else if k("fcpm") {
        if raw.get("data").is_some() {
            let p: wire::Page<wire::ComputePool> = read(file);
            format!("{} pools", p.data.len())
        } else {
            let p: wire::ComputePool = read(file);
            assert!(!p.id.is_empty() && p.status.phase.is_some(), "{key}");
            format!("pool {}", p.id)
        }
    } else if k("api-keys") || k("api_key") {
        let a: wire::ApiKey = read(file);
        assert!(!a.id.is_empty(), "{key}");
        format!("key {}", a.id)
    } else if k("role-bindings") || k("role_binding") {
        let r: wire::RoleBinding = read(file);
        assert!(!r.id.is_empty() && r.role_name.is_some(), "{key}");
        format!("role binding {}", r.id)
    } else if k("service-accounts") {
        if raw.get("data").is_some() {
            let p: wire::Page<wire::ServiceAccount> = read(file);
            format!("{} service accounts", p.data.len())
        } else {
            let s: wire::ServiceAccount = read(file);
            assert!(!s.id.is_empty(), "{key}");
            format!("sa {}", s.id)
        }
    } else if k("org-v2") {
        if raw.get("data").is_some() {
            let p: wire::Page<wire::Environment> = read(file);
            format!("{} environments, next {:?}", p.data.len(), p.next())
        } else {
            let e: wire::Environment = read(file);
            assert!(!e.id.is_empty(), "{key}");
            format!("env {}", e.id)
        }
    } else if k("cmk") || k("kafka") {
        if raw.get("data").is_some() {
            let p: wire::Page<wire::Cluster> = read(file);
            assert!(p.data.iter().all(|c| !c.id.is_empty()), "{key}");
            format!("{} clusters, next {:?}", p.data.len(), p.next())
        } else {
            let c: wire::Cluster = read(file);
            assert!(!c.id.is_empty() && c.status.phase.is_some(), "{key}");
            format!("cluster {} {}", c.id, c.status.phase.unwrap_or_default())
        }
    } else {
        panic!("{key}: no reading for this file; add one (or a stated reason in NOT_SENT)")
    };
    out
}

#[test]
fn every_fixture_body_reads_into_the_clients_types() {
    let Some(root) = openapi::fixtures_dir() else {
        return;
    };
    let mut files = Vec::new();
    for dir in ["confluent-openapi-examples", "synthesized"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    for group in std::fs::read_dir(root.join("confluent-responses")).unwrap() {
        for e in std::fs::read_dir(group.unwrap().path()).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    let mut read_count = 0;
    let mut excused = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('_') || !name.ends_with(".json") {
            continue;
        }
        if f.parent().unwrap().ends_with("synthesized")
            && !(name.starts_with("connect") || name.starts_with("flink"))
        {
            continue;
        }
        if let Some((_, why)) = NOT_SENT.iter().find(|(prefix, _)| name.starts_with(prefix)) {
            excused.push(format!("{name}: {why}"));
            continue;
        }
        if name.contains(".request") {
            // Requests the client does send: connector create and validate.
            let body: Value = read(f);
            let config = body.get("config").unwrap_or(&body);
            let flat: BTreeMap<String, String> =
                serde_json::from_value(config.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(flat.contains_key("connector.class"), "{name}");
            read_count += 1;
            continue;
        }
        let what = decode(f);
        assert!(!what.is_empty());
        read_count += 1;
    }
    assert!(read_count >= 130, "only {read_count} bodies read");
    assert_eq!(excused.len(), 6, "{excused:#?}");
}
