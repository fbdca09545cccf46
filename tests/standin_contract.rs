//! Contract tests: the checker itself against the specs' own examples and against wrong bodies,
//! then a broad scenario through the real client and the stand-in, with every request the
//! client sent and every answer the stand-in gave checked against the official specs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;
#[path = "support/openapi.rs"]
mod openapi;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cdc_workshop::backend::confluent::{
    ConfluentApi, KeyKind, NewFlinkConnection, NewStatement, TagTarget,
};
use cdc_workshop::standin::{Exchange, Fault, ScriptedResults, Timings};
use openapi::{Contract, Dir, Violation, assert_all_valid, validate};
use serde_json::{Value, json};

fn contract() -> Option<&'static Contract> {
    static CONTRACT: OnceLock<Option<Contract>> = OnceLock::new();
    CONTRACT
        .get_or_init(|| {
            let started = Instant::now();
            let c = Contract::load();
            eprintln!("loaded the 15 OpenAPI specs in {:.2?}", started.elapsed());
            c
        })
        .as_ref()
}

/// `spec.yaml paths['/x'].get.responses['200'].content['application/json'].example` → the
/// spec file, and the tokens of the path inside it.
fn pointer_tokens(entry: &str) -> (String, Vec<String>) {
    let (file, path) = entry.split_once(' ').unwrap();
    let re = regex::Regex::new(r"\['([^']*)'\]|\.?([A-Za-z0-9_\-]+)").unwrap();
    let tokens = re
        .captures_iter(path)
        .map(|c| c.get(1).or_else(|| c.get(2)).unwrap().as_str().to_string())
        .collect();
    (file.to_string(), tokens)
}

#[test]
fn every_example_in_the_specs_fits_its_own_schema() {
    let Some(contract) = contract() else { return };
    let dir = openapi::fixtures_dir()
        .unwrap()
        .join("confluent-openapi-examples");
    let index: Vec<(String, String)> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("_index.json")).unwrap()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (file, entry) in &index {
        let (spec_file, tokens) = pointer_tokens(entry);
        let spec = contract
            .specs
            .iter()
            .find(|s| s.file == spec_file)
            .unwrap_or_else(|| panic!("{spec_file}"));
        let walk = |upto: &[String]| {
            let mut node = &spec.doc;
            for t in upto {
                node = openapi::resolve(&spec.doc, node)
                    .get(t)
                    .unwrap_or_else(|| panic!("{entry}: no {t}"));
            }
            node
        };
        let (media, schema) = match tokens.iter().position(|t| t == "content") {
            Some(at) => {
                let node = walk(&tokens[..=at + 1]);
                (
                    tokens[at + 1].clone(),
                    node.get("schema")
                        .unwrap_or_else(|| panic!("{entry}: no schema")),
                )
            }
            // An example on a component schema's property: the property is its schema.
            None => (
                "application/json".to_string(),
                walk(&tokens[..tokens.len() - 1]),
            ),
        };
        let example: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        if !media.contains("json") {
            assert!(
                example
                    .get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.contains("<html")),
                "{file}"
            );
            continue;
        }
        let dir_of = if tokens.iter().any(|t| t == "requestBody") {
            Dir::Request
        } else {
            Dir::Response
        };
        let mut v = Vec::new();
        validate(&spec.doc, schema, &example, file, dir_of, &mut v);
        if !v.is_empty() {
            failures.push(format!("{file}: {v:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 70, "only {checked} examples checked");
    // The specs' own examples are the ground truth for the checker; where one does not fit its
    // own schema, the spec is inconsistent, and the checker must not be loosened to hide it.
    assert!(
        failures.is_empty(),
        "{} examples fail their own schema:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn exchange(method: &str, path: &str, status: u16, body: Value) -> Exchange {
    Exchange {
        method: method.into(),
        path: path.into(),
        query: Some("environment=env-1".into()),
        request_content_type: None,
        request_body: None,
        status,
        response_content_type: Some("application/json".into()),
        response_body: body.to_string(),
        key: None,
    }
}

#[test]
fn the_checker_rejects_what_the_specs_do_not_allow() {
    let Some(contract) = contract() else { return };
    let ok = json!({
        "api_version": "cmk/v2", "kind": "Cluster", "id": "lkc-1",
        "metadata": {"self": "https://api.confluent.cloud/cmk/v2/clusters/lkc-1"},
        "spec": {"display_name": "c", "availability": "SINGLE_ZONE", "cloud": "AWS", "region": "eu-central-1", "config": {"kind": "Basic"}, "environment": {"id": "env-1", "related": "x", "resource_name": "y"}},
        "status": {"phase": "PROVISIONED"},
    });
    assert_eq!(
        contract.check(&exchange("GET", "/cmk/v2/clusters/lkc-1", 200, ok.clone())),
        Ok(())
    );

    let wrong_type = json!({"id": 42, "status": {"phase": "PROVISIONED"}});
    let err = contract
        .check(&exchange("GET", "/cmk/v2/clusters/lkc-1", 200, wrong_type))
        .unwrap_err();
    assert!(
        err.iter()
            .any(|v| v.at == "response/id" && v.problem.starts_with("expected string")),
        "{err:?}"
    );

    let undeclared = contract
        .check(&exchange("GET", "/cmk/v2/clusters/lkc-1", 418, ok.clone()))
        .unwrap_err();
    assert!(
        undeclared[0].problem.contains("status 418 is not declared"),
        "{undeclared:?}"
    );

    let mut no_filter = exchange(
        "GET",
        "/cmk/v2/clusters",
        200,
        json!({"api_version": "cmk/v2", "kind": "ClusterList", "metadata": {}, "data": []}),
    );
    no_filter.query = None;
    let err = contract.check(&no_filter).unwrap_err();
    assert_eq!(
        err,
        vec![Violation {
            at: "/cmk/v2/clusters query".into(),
            problem: "required query parameter `environment` is missing".into()
        }]
    );

    let failure_without_errors = json!({"nope": true});
    let err = contract
        .check(&exchange(
            "GET",
            "/cmk/v2/clusters/lkc-1",
            404,
            failure_without_errors,
        ))
        .unwrap_err();
    assert!(
        err.iter()
            .any(|v| v.problem == "required property `errors` is missing"),
        "{err:?}"
    );

    let unknown = contract
        .check(&exchange("GET", "/nowhere/v9", 200, json!({})))
        .unwrap_err();
    assert!(
        unknown[0]
            .problem
            .starts_with("no spec declares GET /nowhere/v9")
    );
}

/// Where the official specs contradict the real API (and the stand-in follows the real API):
/// (path fragment, violation fragment, why). Each is a documented fact, not a convenience.
const SPEC_DEVIATIONS: &[(&str, &str, &str)] = &[
    (
        "/connectors",
        "`kafka.api.key` is missing",
        "the workshop's connectors use kafka.auth.mode=SERVICE_ACCOUNT, which has no Kafka API key (confluent-api.md §1.7)",
    ),
    (
        "/connectors",
        "`kafka.api.secret` is missing",
        "same: SERVICE_ACCOUNT auth has no Kafka API secret",
    ),
    (
        "/results",
        "required property `data` is missing at response",
        "sql.v1.StatementResult lists `data` as required but defines `results.data`; real results carry `results.data` (confluent-api.md §1.9)",
    ),
];

fn pg_config() -> BTreeMap<String, String> {
    [
        ("connector.class", "PostgresCdcSourceV2"),
        ("kafka.auth.mode", "SERVICE_ACCOUNT"),
        ("kafka.service.account.id", "sa-1"),
        ("database.hostname", "db"),
        ("database.user", "postgres"),
        ("database.password", "pw"),
        ("database.dbname", "customers"),
        ("topic.prefix", "postgres"),
        ("table.include.list", "public.users"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn everything_the_client_sends_and_the_stand_in_answers_holds_to_the_specs() {
    let Some(contract) = contract() else { return };
    let started = Instant::now();
    let w = confluent::world(Timings::default()).await;
    let (c, _) = confluent::client();
    let s = &w.scope;

    // Control plane, with pagination over three pages.
    c.kafka_cluster(s).await.unwrap();
    c.compute_pool(s).await.unwrap();
    c.environments(s).await.unwrap();
    c.kafka_clusters(s).await.unwrap();
    c.compute_pools(s).await.unwrap();
    c.schema_registry_cluster(s).await.unwrap();
    for i in 0..25 {
        w.standin.with_world(|world| {
            let id = world.id("sa");
            world.service_accounts.insert(
                id.clone(),
                cdc_workshop::standin::world::ServiceAccount {
                    id,
                    display_name: format!("sa {i}"),
                    description: String::new(),
                },
            );
        });
    }
    let first = format!("{}/iam/v2/service-accounts?page_size=10", w.standin.url());
    let _: Vec<cdc_workshop::backend::confluent::client::wire::ServiceAccount> =
        c.list_all(s, first, KeyKind::Cloud).await.unwrap();
    c.api_keys(s, &w.seeded.service_account).await.unwrap();
    c.role_bindings(s, "crn://confluent.cloud/").await.unwrap();

    // Connect: validate, create, provision, list, pause, resume, a failure.
    c.validate_connector_config(s, &pg_config()).await.unwrap();
    c.create_connector(s, "pg", &pg_config()).await.unwrap();
    c.connector_status(s, "pg").await.unwrap();
    let mut broken = pg_config();
    broken.insert("database.hostname".into(), "db.invalid".into());
    c.create_connector(s, "broken", &broken).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.connector_status(s, "pg").await.unwrap();
    c.connector_status(s, "broken").await.unwrap();
    c.connectors(s).await.unwrap();
    c.pause_connector(s, "pg").await.unwrap();
    c.resume_connector(s, "pg").await.unwrap();
    let _ = c.connector_status(s, "ghost").await.unwrap_err();
    c.delete_connector(s, "broken").await.unwrap();
    assert!(c.delete_connector(s, "broken").await.unwrap_err().is_gone());

    // Kafka REST and Schema Registry.
    c.topics(s).await.unwrap();
    c.topic(s, "postgres.public.users").await.unwrap();
    c.topic(s, "ghost").await.unwrap();
    c.subject_versions(s, "postgres.public.users-value")
        .await
        .unwrap();
    let latest = c
        .latest_schema(s, "postgres.public.users-value")
        .await
        .unwrap();
    c.schema_by_id(s, latest.id).await.unwrap();
    c.subject_compatibility(s, "postgres.public.users-value")
        .await
        .unwrap();
    c.subject_versions(s, "ghost-value").await.unwrap();

    // Catalog tags.
    c.tag(s, "PII", &TagTarget::Topic("postgres.public.users".into()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    c.tags_of(s, &TagTarget::Topic("postgres.public.users".into()))
        .await
        .unwrap();
    c.tag(
        s,
        "Public",
        &TagTarget::Subject("postgres.public.users-value".into()),
    )
    .await
    .unwrap();

    // Flink: DDL, a continuous insert, a failure with exceptions, paged results, stop, delete,
    // a duplicate name, a connection.
    let new = |name: &str, sql: &str| NewStatement {
        name: name.into(),
        sql: sql.into(),
        properties: BTreeMap::new(),
    };
    w.standin.script_results(ScriptedResults {
        matches: "peek".into(),
        columns: vec![("id".into(), "INT".into())],
        rows: (0..7).map(|i| vec![Some(i.to_string())]).collect(),
        page_size: 3,
    });
    c.create_statement(s, &new("ddl", "CREATE TABLE clean (id INT)"))
        .await
        .unwrap();
    c.create_statement(
        s,
        &new(
            "copy",
            "INSERT INTO clean SELECT * FROM `postgres.public.users`",
        ),
    )
    .await
    .unwrap();
    c.create_statement(s, &new("broken", "SELECT * FROM ghost"))
        .await
        .unwrap();
    c.create_statement(s, &new("peek", "SELECT * FROM `postgres.public.users`"))
        .await
        .unwrap();
    let _ = c
        .create_statement(s, &new("ddl", "CREATE TABLE clean (id INT)"))
        .await
        .unwrap_err();
    tokio::time::sleep(Duration::from_millis(350)).await;
    c.statement(s, "copy").await.unwrap();
    c.statement(s, "broken").await.unwrap();
    c.statement_exceptions(s, "broken").await.unwrap();
    let mut page = None;
    for _ in 0..3 {
        let p = c
            .statement_results(s, "peek", page.as_deref())
            .await
            .unwrap();
        page = p.next;
    }
    c.statements(s).await.unwrap();
    c.stop_statement(s, "copy").await.unwrap();
    c.delete_statement(s, "copy").await.unwrap();
    c.statement(s, "copy").await.unwrap();
    let conn = NewFlinkConnection {
        name: "openai".into(),
        connection_type: "OPENAI".into(),
        endpoint: "https://api.openai.com/v1/chat/completions".into(),
        api_key: "sk-abc".into(),
    };
    c.create_flink_connection(s, &conn).await.unwrap();
    c.flink_connection(s, "openai").await.unwrap();
    c.delete_flink_connection(s, "openai").await.unwrap();
    assert_eq!(c.flink_connection(s, "openai").await.unwrap(), None);
    assert!(
        c.delete_flink_connection(s, "openai")
            .await
            .unwrap_err()
            .is_gone()
    );

    // Metrics.
    c.topic_metric(s, "io.confluent.kafka.server/received_records", 10)
        .await
        .unwrap();
    c.connector_metric(
        s,
        "lcc-abc12",
        "io.confluent.kafka.connect/sent_records",
        10,
    )
    .await
    .unwrap();

    // Errors: wrong key (401 in every shape), deleted (403), throttled (429), server (5xx).
    let mut wrong = w.scope.clone();
    for kind in [
        KeyKind::Cloud,
        KeyKind::Kafka,
        KeyKind::SchemaRegistry,
        KeyKind::Flink,
    ] {
        wrong.keys.insert(kind, w.seeded.cloud_key.clone());
    }
    wrong
        .keys
        .insert(KeyKind::Cloud, w.seeded.flink_key.clone());
    let _ = c.kafka_cluster(&wrong).await.unwrap_err();
    let _ = c.topic(&wrong, "x").await.unwrap_err();
    let _ = c.subject_versions(&wrong, "x").await.unwrap_err();
    let _ = c.statement(&wrong, "x").await.unwrap_err();
    let _ = c.connector_status(&wrong, "pg").await.unwrap_err();
    w.standin.fail_next(
        1,
        Some("/cmk/"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    w.standin
        .fail_next(1, Some("/fcpm/"), Fault::ServerError(500));
    w.standin
        .fail_next(1, Some("/kafka/"), Fault::ServerError(503));
    w.standin.fail_next(
        1,
        Some("/kafka/"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    c.kafka_cluster(s).await.unwrap();
    c.compute_pool(s).await.unwrap();
    c.topics(s).await.unwrap();
    w.standin.with_world(|world| {
        world.clusters.clear();
        world.deleted.push(w.seeded.cluster.clone());
    });
    let _ = c.kafka_cluster(s).await.unwrap_err();

    let exchanges = w.standin.exchanges();
    assert!(exchanges.len() >= 60, "{} exchanges", exchanges.len());
    let statuses: std::collections::BTreeSet<u16> = exchanges.iter().map(|e| e.status).collect();
    for expected in [200, 201, 202, 401, 403, 404, 409, 429, 500, 503] {
        assert!(
            statuses.contains(&expected),
            "no {expected} in the scenario: {statuses:?}"
        );
    }
    assert_all_valid(contract, &exchanges, SPEC_DEVIATIONS);
    eprintln!(
        "contract scenario: {} exchanges checked in {:.2?}",
        exchanges.len(),
        started.elapsed()
    );
}
