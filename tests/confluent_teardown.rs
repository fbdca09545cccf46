//! What steps create through the Confluent API is recorded in the resource ledger, listed by
//! `status` and deleted by `teardown` — with the built binary against the stand-in: the
//! fixture course's connector, Flink statements and Flink connection.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/confluent.rs"]
mod confluent;

use std::path::Path;

use cdc_workshop::backend::confluent::client::MAX_ATTEMPTS;
use cdc_workshop::standin::{Fault, Timings};
use cli::{Home, Ran, of_type};
use serde_json::{Value, json};

const DB_PASSWORD: &str = "pg-Password-4711";
const OPENAI_KEY: &str = "sk-proj-teardown-0123456789abcdef";

fn course_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-confluent/lessons")
}

async fn run(home: &Home, w: &confluent::World, args: &[&str]) -> Ran {
    let mut cmd = home.command(args);
    cmd.envs(w.seeded.guide_env(&w.standin.url()));
    cmd.env("CDC_WORKSHOP_SECRET_DB_PASSWORD", DB_PASSWORD);
    cmd.env("CDC_WORKSHOP_SECRET_OPENAI_KEY", OPENAI_KEY);
    Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap())
}

/// The ledger as `status --format json` shows it.
async fn ledger(home: &Home, w: &confluent::World) -> Value {
    let status = run(home, w, &["status", "--format", "json"]).await;
    status.assert_code(0);
    status.json_lines()[0]["ledger"].clone()
}

/// `(kind, name)` of every API resource in the ledger, in recorded order.
fn api_resources(ledger: &Value) -> Vec<(String, String)> {
    ledger["api_resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(kind, name, status)` of the teardown's `api_delete` events, in order.
fn deletes(lines: &[Value]) -> Vec<(String, String, String)> {
    of_type(lines, "api_delete")
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().unwrap().to_string(),
                v["name"].as_str().unwrap().to_string(),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_resources_are_recorded_once_listed_and_deleted_by_teardown() {
    let w = confluent::world(Timings::default()).await;
    let home = Home::with_lessons(course_dir());
    run(
        &home,
        &w,
        &["run", "--track", "cc-ai", "--yes", "--format", "json"],
    )
    .await
    .assert_code(0);

    // Every connector, statement and connection the steps created, with where it lives.
    let recorded = ledger(&home, &w).await;
    let kinds: Vec<(String, String)> = api_resources(&recorded);
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    assert_eq!(
        kinds[0],
        ("connector".to_string(), "pg_cc_source".to_string())
    );
    for (i, step) in ["clean-table", "clean-insert", "peek"].iter().enumerate() {
        assert_eq!(kinds[i + 1].0, "flink_statement");
        assert!(
            kinds[i + 1].1.starts_with(&format!("cdcw-process-{step}-")),
            "{kinds:?}"
        );
    }
    assert_eq!(
        kinds[4],
        (
            "flink_connection".to_string(),
            "openai-connection".to_string()
        )
    );
    let s = &w.seeded;
    let connector = &recorded["api_resources"][0];
    assert_eq!(connector["environment"], json!(s.environment));
    assert_eq!(connector["cluster"], json!(s.cluster));
    assert_eq!(connector["lesson"], "capture");
    assert_eq!(connector["step"], "connector");
    let insert = &recorded["api_resources"][2];
    assert_eq!(insert["organization"], json!(s.organization));
    assert_eq!(insert["compute_pool"], json!(s.compute_pool));
    assert_eq!(recorded["api_resources"][4]["step"], "openai-connection");

    // The text status lists them next to the (here absent) modules.
    let text = run(&home, &w, &["status"]).await;
    text.assert_code(0);
    let text = text.stdout();
    assert!(
        text.contains(
            "Provisioned resources: 0 module(s), 0 resource(s), 5 created through the Confluent API"
        ),
        "{text}"
    );
    assert!(
        text.contains("Created through the Confluent API (teardown deletes these first):"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "connector pg_cc_source (step connector of capture) · environment {}, cluster {}",
            s.environment, s.cluster
        )),
        "{text}"
    );
    assert!(
        text.contains("Flink connection openai-connection"),
        "{text}"
    );

    // A new run of the whole course finds everything and records nothing twice.
    let posts = || {
        w.standin
            .exchanges()
            .iter()
            .filter(|e| e.method == "POST")
            .count()
    };
    let before = posts();
    run(
        &home,
        &w,
        &[
            "run", "--new", "--track", "cc-ai", "--yes", "--format", "json",
        ],
    )
    .await
    .assert_code(0);
    assert_eq!(posts(), before, "nothing was created twice");
    let again = ledger(&home, &w).await;
    assert_eq!(
        api_resources(&again),
        kinds,
        "the same entries, no duplicates"
    );
    let (first, now) = (&recorded["api_resources"][0], &again["api_resources"][0]);
    assert_eq!(first["created_ms"], now["created_ms"]);
    assert!(now["updated_ms"].as_u64() >= first["updated_ms"].as_u64());

    // No secret reached the ledger.
    let file = std::fs::read_to_string(home.path().join("terraform/ledger.json")).unwrap();
    for secret in [
        OPENAI_KEY,
        DB_PASSWORD,
        s.cloud_key.secret.as_str(),
        s.flink_key.secret.as_str(),
    ] {
        assert!(!file.contains(secret), "a secret in the ledger");
    }

    // One statement was deleted behind the guide's back: already gone counts as deleted.
    let peek = kinds[3].1.clone();
    w.standin
        .with_world(|world| world.statements.retain(|st| st.name != peek));

    let down = run(&home, &w, &["teardown", "--yes", "--format", "json"]).await;
    down.assert_code(0);
    let lines = down.json_lines();
    let order = deletes(&lines);
    let expect = |k: usize, status: &str| (kinds[k].0.clone(), kinds[k].1.clone(), status.into());
    assert_eq!(
        order,
        vec![
            expect(3, "already_gone"),
            expect(2, "deleted"),
            expect(1, "deleted"),
            expect(4, "deleted"),
            expect(0, "deleted"),
        ],
        "statements newest first, then the connection, then the connector"
    );
    let finished = of_type(&lines, "teardown_finished");
    assert_eq!(finished[0]["failed"], json!([]));
    assert_eq!(finished[0]["deleted"].as_array().unwrap().len(), 5);
    assert!(!down.stdout().contains(OPENAI_KEY));

    // Gone in Confluent (the stand-in), gone from the ledger.
    w.standin.with_world(|world| {
        assert!(world.connectors.is_empty(), "connectors left");
        assert!(world.statements.is_empty(), "statements left");
        assert!(world.connections.is_empty(), "connections left");
    });
    assert_eq!(ledger(&home, &w).await["api_resources"], json!([]));
    let status = run(&home, &w, &["status"]).await.stdout();
    assert!(
        status.contains("Provisioned resources: none recorded."),
        "{status}"
    );
    let nothing = run(&home, &w, &["teardown", "--yes"]).await;
    nothing.assert_code(0);
    assert!(
        nothing.stdout().contains("Nothing to tear down"),
        "{}",
        nothing.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_keeps_failing_is_retried_once_reported_and_kept_in_the_ledger() {
    let w = confluent::world(Timings::default()).await;
    let home = Home::with_lessons(course_dir());
    run(
        &home,
        &w,
        &["run", "--track", "cc", "--yes", "--format", "json"],
    )
    .await
    .assert_code(0);
    let s = &w.seeded;
    let path = format!(
        "/connect/v1/environments/{}/clusters/{}/connectors/pg_cc_source",
        s.environment, s.cluster
    );
    // Confluent throttles every delete of the connector, through the client's own retries
    // and the teardown's one retry.
    w.standin.fail_next(
        2 * MAX_ATTEMPTS,
        Some(&path),
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    );

    let down = run(&home, &w, &["teardown", "--yes", "--format", "json"]).await;
    down.assert_code(1);
    let lines = down.json_lines();
    let connector: Vec<&Value> = of_type(&lines, "api_delete")
        .into_iter()
        .filter(|v| v["name"] == "pg_cc_source")
        .collect();
    let statuses: Vec<&str> = connector
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["retrying", "failed"], "{connector:?}");
    let reason = connector[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("DELETE {}{path} (429)", w.standin.url())),
        "{reason}"
    );
    let sent = w
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.method == "DELETE" && e.path == path)
        .count();
    assert_eq!(
        sent,
        2 * MAX_ATTEMPTS as usize,
        "one teardown retry of the client's attempts"
    );
    let finished = of_type(&lines, "teardown_finished");
    assert_eq!(
        finished[0]["failed"],
        json!([{"kind": "connector", "name": "pg_cc_source", "reason": reason}])
    );
    assert_eq!(
        finished[0]["deleted"].as_array().unwrap().len(),
        3,
        "the statements went"
    );

    // The connector is still there, and so is its entry.
    w.standin.with_world(|world| {
        assert_eq!(world.connectors.len(), 1);
        assert!(world.statements.is_empty());
    });
    assert_eq!(
        api_resources(&ledger(&home, &w).await),
        [("connector".to_string(), "pg_cc_source".to_string())]
    );

    // Once Confluent lets it, the next teardown deletes it (text this time).
    let again = run(&home, &w, &["teardown", "--yes"]).await;
    again.assert_code(0);
    let out = again.stdout();
    assert!(out.contains("connector pg_cc_source: deleted"), "{out}");
    assert!(out.contains("✓ deleted: connector pg_cc_source"), "{out}");
    assert!(
        out.contains("Nothing is left: every recorded module and API resource was removed."),
        "{out}"
    );
    w.standin
        .with_world(|world| assert!(world.connectors.is_empty()));
    assert_eq!(ledger(&home, &w).await["api_resources"], json!([]));
}

/// Whether `terraform` is on PATH; outside CI a missing one skips (printed).
fn have_terraform() -> bool {
    cli::terraform_on_path("terraform is not on PATH")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teardown_deletes_api_resources_before_destroying_the_module_they_live_in() {
    if !have_terraform() {
        return;
    }
    let w = confluent::world(Timings::default()).await;
    let home = Home::with_lessons(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-cloud-env/lessons"),
    );
    run(
        &home,
        &w,
        &["run", "--track", "env", "--yes", "--format", "json"],
    )
    .await
    .assert_code(0);
    let recorded = ledger(&home, &w).await;
    assert_eq!(recorded["modules"].as_array().unwrap().len(), 1);
    let api = api_resources(&recorded);
    assert_eq!(api.len(), 2, "{api:?}");
    assert_eq!(
        recorded["api_resources"][0]["environment"],
        json!(w.seeded.environment),
        "the id came from the module's output"
    );

    // Teardown needs no run: the journal is gone, the ledger and the state remain. The
    // `[confluent]` ids come from the ledger's module outputs, the Flink secret from the
    // module's state (it is a sensitive output), never from the ledger.
    std::fs::remove_dir_all(home.path().join("runs")).unwrap();
    let down = run(&home, &w, &["teardown", "--yes", "--format", "json"]).await;
    down.assert_code(0);
    let lines = down.json_lines();
    let last_delete = lines
        .iter()
        .rposition(|l| l["type"] == "api_delete")
        .unwrap();
    let first_destroy = lines
        .iter()
        .position(|l| l["type"] == "terraform" && l["module"] == "ccloud")
        .unwrap();
    assert!(last_delete < first_destroy, "API resources go first");
    let statuses: Vec<(String, String, String)> = deletes(&lines);
    assert_eq!(
        statuses
            .iter()
            .map(|(k, _, s)| (k.as_str(), s.as_str()))
            .collect::<Vec<_>>(),
        [("flink_statement", "deleted"), ("connector", "deleted")]
    );
    let finished = of_type(&lines, "teardown_finished");
    assert_eq!(finished[0]["failed"], json!([]));
    assert_eq!(finished[0]["destroyed"], json!(["ccloud"]));
    assert!(!down.stdout().contains(&w.seeded.flink_key.secret));
    w.standin.with_world(|world| {
        assert!(world.connectors.is_empty());
        assert!(world.statements.is_empty());
    });
    let status = run(&home, &w, &["status"]).await;
    assert!(
        status
            .stdout()
            .contains("Provisioned resources: none recorded.")
            || status.stderr().contains("no workshop run yet"),
        "{}{}",
        status.stdout(),
        status.stderr()
    );
    let file = std::fs::read_to_string(home.path().join("terraform/ledger.json")).unwrap();
    let left: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(left, json!({"modules": [], "api_resources": []}));
}
