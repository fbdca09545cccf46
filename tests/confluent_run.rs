//! The fixture course end to end with the built binary against the stand-in: `run --format
//! json` creates a connector and Flink statements, and the checks move from pending to pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/confluent.rs"]
mod confluent;

use std::path::Path;
use std::process::Command;

use cdc_workshop::standin::Timings;
use cli::{Home, Ran, of_type};

fn course_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-confluent/lessons")
}

/// The binary's environment for a seeded stand-in: endpoints, ids as course variables, keys
/// as secrets.
pub fn point_at(cmd: &mut Command, w: &confluent::World) {
    cmd.envs(w.seeded.guide_env(&w.standin.url()));
    cmd.env("CDC_WORKSHOP_SECRET_DB_PASSWORD", "pg-Password-4711");
}

async fn run(home: &Home, w: &confluent::World, args: &[&str]) -> Ran {
    let mut cmd = home.command(args);
    point_at(&mut cmd, w);
    Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap())
}

/// Every file under `dir`, for the "no secret on disk" check.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_creates_the_connector_and_statements_and_every_check_passes() {
    let w = confluent::world(Timings::default()).await;
    let home = Home::with_lessons(course_dir());
    let ran = run(
        &home,
        &w,
        &["run", "--track", "cc", "--yes", "--format", "json"],
    )
    .await;
    ran.assert_code(0);
    let lines = ran.json_lines();

    // The connector check was pending while the connector provisioned, then passed.
    let attempts: Vec<(String, String)> = of_type(&lines, "check_attempted")
        .iter()
        .filter(|v| v["check"] == "connector-running")
        .map(|v| {
            (
                v["observation"]["verdict"].as_str().unwrap().to_string(),
                v["observation"]["observed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        attempts.first().map(|a| a.0.as_str()),
        Some("pending"),
        "{attempts:?}"
    );
    assert!(attempts[0].1.contains("PROVISIONING"), "{attempts:?}");
    let finished = of_type(&lines, "check_finished");
    for check in [
        "cluster",
        "pool",
        "connector-running",
        "orders-topic",
        "orders-schema",
        "insert-running",
    ] {
        let f = finished
            .iter()
            .find(|v| v["check"] == check)
            .unwrap_or_else(|| panic!("{check} did not finish"));
        assert_eq!(f["report"]["verdict"], "pass", "{check}: {f}");
    }
    let logs: Vec<&str> = of_type(&lines, "log")
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    assert!(
        logs.contains(&"id │ status"),
        "the bounded query's table is in the log"
    );
    assert!(logs.contains(&"1  │ ok"), "{logs:?}");
    assert_eq!(of_type(&lines, "lesson_completed").len(), 2);

    // The secrets never left the store: not on stdout, not in the data dir.
    let secrets = [
        w.seeded.cloud_key.secret.as_str(),
        w.seeded.flink_key.secret.as_str(),
        "pg-Password-4711",
    ];
    for s in secrets {
        assert!(!ran.stdout().contains(s), "a secret on stdout");
        for f in files(home.path()) {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(s),
                "a secret in {}",
                f.display()
            );
        }
    }

    // A second run finds everything done and creates nothing new.
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
        &["run", "--track", "cc", "--yes", "--format", "json"],
    )
    .await
    .assert_code(0);
    assert_eq!(posts(), before, "nothing was created twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_cloud_key_is_named_with_what_to_do() {
    let w = confluent::world(Timings::default()).await;
    let home = Home::with_lessons(course_dir());
    let mut cmd = home.command(&["check", "cluster"]);
    point_at(&mut cmd, &w);
    cmd.env("CDC_WORKSHOP_SECRET_CLOUD_SECRET", "not-the-secret-at-all");
    let ran = Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap());
    let out = format!("{}{}", ran.stdout(), ran.stderr());
    let host = w.standin.url().trim_start_matches("http://").to_string();
    assert!(
        out.contains(&format!("the Cloud API key was rejected (401) by {host}; check it with `cdc-workshop credentials`")),
        "{out}"
    );
    assert!(!out.contains("not-the-secret-at-all"));
}
