//! The real client against the stand-in: every resource, pagination, retries, errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use cdc_workshop::backend::confluent::{
    ApiErrorKind, ConfluentApi, KeyKind, NewFlinkConnection, NewStatement, TagTarget,
};
use cdc_workshop::standin::{ConnectorPhase, Fault, ScriptedResults, Timings};
use support::{client, pg_config, world};

#[tokio::test]
async fn the_control_plane_reads_cluster_pool_environments_and_lists_across_pages() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    let cluster = c.kafka_cluster(&w.scope).await.unwrap();
    assert_eq!(cluster.phase, "PROVISIONED");
    assert_eq!(cluster.display_name, "cc_aws_cluster-1a2b");
    assert!(
        cluster
            .bootstrap_endpoint
            .unwrap()
            .starts_with("SASL_SSL://")
    );
    let pool = c.compute_pool(&w.scope).await.unwrap();
    assert_eq!(
        (pool.phase.as_str(), pool.max_cfu),
        ("PROVISIONED", Some(10))
    );
    let envs = c.environments(&w.scope).await.unwrap();
    assert_eq!(
        envs,
        vec![(
            w.seeded.environment.clone(),
            "cdc-workshop-1a2b".to_string()
        )]
    );

    // 25 service accounts, pages of 10 (the client asks for 100; the stand-in caps nothing
    // below that, so force small pages by listing with the raw first URL).
    w.standin.with_world(|world| {
        for i in 0..24 {
            let id = world.id("sa");
            world.service_accounts.insert(
                id.clone(),
                cdc_workshop::standin::world::ServiceAccount {
                    id,
                    display_name: format!("sa {i}"),
                    description: String::new(),
                },
            );
        }
    });
    let first = format!("{}/iam/v2/service-accounts?page_size=10", w.standin.url());
    let all: Vec<cdc_workshop::backend::confluent::client::wire::ServiceAccount> =
        c.list_all(&w.scope, first, KeyKind::Cloud).await.unwrap();
    assert_eq!(all.len(), 25);
    let pages = w
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.path == "/iam/v2/service-accounts")
        .count();
    assert_eq!(pages, 3, "three pages followed through metadata.next");
}

#[tokio::test]
async fn a_connector_validates_provisions_runs_and_pauses() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    let bad = c
        .validate_connector_config(&w.scope, &{
            let mut cfg = pg_config("db");
            cfg.remove("database.password");
            cfg
        })
        .await
        .unwrap();
    assert_eq!(bad.error_count, 1);
    assert!(
        bad.errors[0].starts_with("database.password: Missing required configuration"),
        "{bad:?}"
    );

    c.create_connector(&w.scope, "pg", &pg_config("db"))
        .await
        .unwrap();
    assert_eq!(
        c.connector_status(&w.scope, "pg").await.unwrap().state,
        "PROVISIONING"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let running = c.connector_status(&w.scope, "pg").await.unwrap();
    assert_eq!(running.state, "RUNNING");
    assert_eq!(running.tasks[0].state, "RUNNING");

    let listed = c.connectors(&w.scope).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].id.as_deref().unwrap().starts_with("lcc-"));
    assert_eq!(
        listed[0].config["database.password"], "****************",
        "secrets come back masked"
    );

    // A running source made its topic and registered the value schema.
    let topic = c
        .topic(&w.scope, "postgres.public.users")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(topic.partitions, 1);
    assert_eq!(
        c.subject_versions(&w.scope, "postgres.public.users-value")
            .await
            .unwrap(),
        Some(vec![1])
    );
    let latest = c
        .latest_schema(&w.scope, "postgres.public.users-value")
        .await
        .unwrap();
    assert_eq!(latest.schema_type, "AVRO");
    assert_eq!(
        c.schema_by_id(&w.scope, latest.id).await.unwrap().schema,
        latest.schema
    );
    assert_eq!(
        c.subject_compatibility(&w.scope, "postgres.public.users-value")
            .await
            .unwrap(),
        "BACKWARD"
    );
    assert_eq!(c.topic(&w.scope, "nope").await.unwrap(), None);
    assert_eq!(
        c.subject_versions(&w.scope, "nope-value").await.unwrap(),
        None
    );

    c.pause_connector(&w.scope, "pg").await.unwrap();
    assert_eq!(
        c.connector_status(&w.scope, "pg").await.unwrap().state,
        "RUNNING",
        "pause takes effect later"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paused = c.connector_status(&w.scope, "pg").await.unwrap();
    assert_eq!(
        (paused.state.as_str(), paused.tasks[0].state.as_str()),
        ("PAUSED", "STOPPED")
    );
    c.resume_connector(&w.scope, "pg").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        c.connector_status(&w.scope, "pg").await.unwrap().state,
        "RUNNING"
    );
}

#[tokio::test]
async fn a_failed_connector_carries_its_trace_and_a_flap_can_be_scripted() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    c.create_connector(&w.scope, "broken", &pg_config("db.invalid"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let failed = c.connector_status(&w.scope, "broken").await.unwrap();
    assert_eq!(failed.state, "FAILED");
    assert!(
        failed
            .trace
            .starts_with("Unable to validate configuration."),
        "{failed:?}"
    );
    assert!(
        failed.validation_errors[0].contains("db.invalid"),
        "{failed:?}"
    );

    w.standin.script_connector(
        "flappy",
        vec![
            ConnectorPhase {
                state: "PROVISIONING".into(),
                trace: String::new(),
                lasts: Duration::from_millis(100),
            },
            ConnectorPhase {
                state: "FAILED".into(),
                trace: "Task restarted".into(),
                lasts: Duration::from_millis(200),
            },
            ConnectorPhase {
                state: "RUNNING".into(),
                trace: String::new(),
                lasts: Duration::ZERO,
            },
        ],
    );
    c.create_connector(&w.scope, "flappy", &pg_config("db"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..8 {
        let s = c.connector_status(&w.scope, "flappy").await.unwrap().state;
        if seen.last() != Some(&s) {
            seen.push(s);
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    assert_eq!(seen, vec!["PROVISIONING", "FAILED", "RUNNING"]);
}

#[tokio::test]
async fn flink_statements_run_complete_fail_and_page_their_results() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    w.standin.seed_topic(&w.seeded.cluster, "orders", 6);
    let new = |name: &str, sql: &str| NewStatement {
        name: name.into(),
        sql: sql.into(),
        properties: BTreeMap::new(),
    };

    let ddl = c
        .create_statement(&w.scope, &new("ddl", "CREATE TABLE clean (id INT)"))
        .await
        .unwrap();
    assert_eq!(ddl.phase, "PENDING");
    let insert = c
        .create_statement(
            &w.scope,
            &new("copy", "INSERT INTO clean SELECT id FROM orders"),
        )
        .await
        .unwrap();
    let broken = c
        .create_statement(
            &w.scope,
            &new("broken", "INSERT INTO clean SELECT id FROM ordres"),
        )
        .await
        .unwrap();
    w.standin.script_results(ScriptedResults {
        matches: "peek".into(),
        columns: vec![("id".into(), "INT".into())],
        rows: (1..=7).map(|i| vec![Some(i.to_string())]).collect(),
        page_size: 3,
    });
    c.create_statement(&w.scope, &new("peek", "SELECT id FROM orders"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;

    assert_eq!(
        c.statement(&w.scope, "ddl").await.unwrap().unwrap().phase,
        "COMPLETED"
    );
    assert_eq!(
        c.statement(&w.scope, &insert.name)
            .await
            .unwrap()
            .unwrap()
            .phase,
        "RUNNING"
    );
    let failed = c.statement(&w.scope, &broken.name).await.unwrap().unwrap();
    assert_eq!(failed.phase, "FAILED");
    assert!(
        failed.detail.contains("'ordres' does not exist"),
        "{failed:?}"
    );
    let exceptions = c.statement_exceptions(&w.scope, "broken").await.unwrap();
    assert!(exceptions[0].message.contains("ordres"));
    assert_eq!(c.statement(&w.scope, "ghost").await.unwrap(), None);

    let mut rows = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let p = c
            .statement_results(&w.scope, "peek", page.as_deref())
            .await
            .unwrap();
        pages += 1;
        let empty = p.rows.is_empty();
        rows.extend(p.rows);
        match p.next {
            Some(next) if !(empty && rows.len() == 7) => page = Some(next),
            _ => break,
        }
        if rows.len() == 7 {
            break;
        }
    }
    assert_eq!(rows.len(), 7);
    assert_eq!(pages, 3, "7 rows in pages of 3");

    let dup = c
        .create_statement(&w.scope, &new("ddl", "CREATE TABLE clean (id INT)"))
        .await
        .unwrap_err();
    assert_eq!(dup.kind, ApiErrorKind::Conflict);
    c.stop_statement(&w.scope, "copy").await.unwrap();
    assert_eq!(
        c.statement(&w.scope, "copy").await.unwrap().unwrap().phase,
        "STOPPED"
    );
    c.delete_statement(&w.scope, "copy").await.unwrap();
    assert_eq!(c.statement(&w.scope, "copy").await.unwrap(), None);
    assert_eq!(c.statements(&w.scope).await.unwrap().len(), 3);
}

#[tokio::test]
async fn connections_tags_and_metrics() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    let conn = NewFlinkConnection {
        name: "openai".into(),
        connection_type: "OPENAI".into(),
        endpoint: "https://api.openai.com/v1/chat/completions".into(),
        api_key: "sk-test-1234567890".into(),
    };
    c.create_flink_connection(&w.scope, &conn).await.unwrap();
    let found = c
        .flink_connection(&w.scope, "openai")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.connection_type.as_str(), found.phase.as_deref()),
        ("OPENAI", Some("ACTIVE"))
    );
    assert!(
        c.flink_connection(&w.scope, "other")
            .await
            .unwrap()
            .is_none()
    );
    let sent = w
        .standin
        .exchanges()
        .into_iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/connections"))
        .unwrap();
    assert!(
        !sent
            .request_body
            .unwrap()
            .to_string()
            .contains("sk-test-1234567890"),
        "the key travels base64-encoded in auth_data, never as text"
    );

    w.standin
        .seed_topic(&w.seeded.cluster, "salesforce_contacts", 1);
    let target = TagTarget::Topic("salesforce_contacts".into());
    c.tag(&w.scope, "PII", &target).await.unwrap();
    assert!(
        c.tags_of(&w.scope, &target).await.unwrap().is_empty(),
        "bindings show up only after a while"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        c.tags_of(&w.scope, &target).await.unwrap(),
        vec!["PII".to_string()]
    );

    w.standin
        .with_world(|world| world.metrics.insert("salesforce_contacts".into(), 42.0));
    let metrics = c
        .topic_metric(&w.scope, "io.confluent.kafka.server/received_records", 10)
        .await
        .unwrap();
    assert_eq!(metrics.get("salesforce_contacts"), Some(&42.0));
    w.standin
        .with_world(|world| world.metrics.insert("lcc-abc12".into(), 7.0));
    let sent = c
        .connector_metric(
            &w.scope,
            "lcc-abc12",
            "io.confluent.kafka.connect/sent_records",
            10,
        )
        .await
        .unwrap();
    assert_eq!(sent, 7.0);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_with_the_servers_wait() {
    let w = world(Timings::default()).await;
    let (c, sleeper) = client();
    w.standin.fail_next(
        2,
        Some("/cmk/"),
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    assert_eq!(
        c.kafka_cluster(&w.scope).await.unwrap().phase,
        "PROVISIONED"
    );
    assert_eq!(
        sleeper.waits(),
        vec![Duration::from_secs(7), Duration::from_secs(7)]
    );

    w.standin
        .fail_next(3, Some("/fcpm/"), Fault::ServerError(503));
    assert_eq!(c.compute_pool(&w.scope).await.unwrap().phase, "PROVISIONED");
    assert_eq!(sleeper.waits().len(), 5, "three backoffs for the 503 burst");

    w.standin
        .fail_next(10, Some("/cmk/"), Fault::ServerError(500));
    let err = c.kafka_cluster(&w.scope).await.unwrap_err();
    assert_eq!(
        (err.kind.clone(), err.status),
        (ApiErrorKind::Server, Some(500))
    );
    assert!(err.to_string().starts_with("GET http://"), "{err}");

    w.standin.fail_next(
        10,
        Some("/kafka/"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let err = c.topic(&w.scope, "x").await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::RateLimited);
    assert_eq!(
        err.message, "Error 429 Too Many Requests",
        "Jetty's HTML title becomes the message"
    );
}

#[tokio::test]
async fn wrong_keys_deleted_resources_and_missing_scope_say_what_to_do() {
    let w = world(Timings::default()).await;
    let (c, _) = client();
    let mut wrong = w.scope.clone();
    wrong
        .keys
        .insert(KeyKind::Cloud, w.seeded.kafka_key.clone());
    let err = c.kafka_cluster(&wrong).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Unauthorized(KeyKind::Cloud));
    let host = w.standin.url().trim_start_matches("http://").to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "the Cloud API key was rejected (401) by {host}; check it with `cdc-workshop credentials`"
        )
    );

    let mut kafka_wrong = w.scope.clone();
    kafka_wrong
        .keys
        .insert(KeyKind::Kafka, w.seeded.cloud_key.clone());
    let err = c.topic(&kafka_wrong, "x").await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Unauthorized(KeyKind::Kafka));

    w.standin.with_world(|world| {
        world.clusters.clear();
        world.deleted.push(w.seeded.cluster.clone());
    });
    let err = c.kafka_cluster(&w.scope).await.unwrap_err();
    assert!(err.is_gone(), "a deleted cluster answers 403: {err:?}");

    let mut no_flink = w.scope.clone();
    no_flink.flink_url = None;
    let before = w.standin.exchanges().len();
    let err = c.statement(&no_flink, "s").await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::MissingScope("flink_url"));
    assert_eq!(w.standin.exchanges().len(), before, "nothing was sent");
}

#[tokio::test]
async fn a_request_that_outlives_its_timeout_is_retried_then_reported() {
    let w = world(Timings::default()).await;
    let (c, sleeper) = client();
    let c = c.with_timeout(Duration::from_millis(100));
    w.standin
        .fail_next(4, Some("/cmk/"), Fault::Delay(Duration::from_millis(400)));
    let err = c.kafka_cluster(&w.scope).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Timeout);
    assert!(
        err.to_string()
            .ends_with("timed out; check the network and try again"),
        "{err}"
    );
    assert_eq!(
        sleeper.waits().len(),
        3,
        "three retries of an idempotent GET"
    );

    let mut dead = w.scope.clone();
    dead.api_url = "http://127.0.0.1:9".into();
    let err = c.kafka_cluster(&dead).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Transport);
    assert!(
        err.to_string().starts_with("cannot reach 127.0.0.1:9"),
        "{err}"
    );
}
