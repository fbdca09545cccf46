//! The AWS fixture course through the built binary against moto: `check` reports the sink
//! checks passing and the teardown check naming what is left, `run --format json` takes the
//! sinks lesson through its checks, and the key never reaches the output or the data folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Command;

use cli::{Home, Ran, of_type};
use moto::{Account, Moto};
use serde_json::json;

const BUCKET: &str = "cmcdc-workshop-1a2b";
const SECRET: &str = moto::ANY_SECRET;

fn course_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-aws/lessons")
}

fn point_at(cmd: &mut Command, moto: &Moto) {
    cmd.env("CDC_WORKSHOP_AWS_ENDPOINT_URL", &moto.url)
        .env("CDC_WORKSHOP_SECRET_AWS_ACCESS_KEY_ID", moto::ANY_KEY_ID)
        .env("CDC_WORKSHOP_SECRET_AWS_SECRET_ACCESS_KEY", SECRET);
}

async fn run(home: &Home, moto: &Moto, args: &[&str]) -> Ran {
    let mut cmd = home.command(args);
    point_at(&mut cmd, moto);
    Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap())
}

fn report<'a>(lines: &'a [serde_json::Value], check: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|v| v["check"] == check || v["id"] == check)
        .unwrap_or_else(|| panic!("no report for {check}: {lines:#?}"))
}

async fn seed_sinks(moto: &Moto) -> Account {
    let account = Account::new(moto.scope());
    account.create_bucket(BUCKET).await;
    account
        .put_object(BUCKET, "topics/all_products/year=2026/part-0.avro")
        .await;
    account
        .put_object(BUCKET, "topics/all_products/year=2026/part-1.avro")
        .await;
    let rows = json!({"status": "FINISHED", "records": [[{"longValue": 1}], [{"longValue": 2}]]});
    moto.seed_statement_results(json!([rows.clone(), rows.clone(), rows]))
        .await;
    account
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_the_sinks_passing_and_the_leftovers_by_name_until_teardown() {
    let Some(moto) = Moto::start() else { return };
    let account = seed_sinks(&moto).await;
    let home = Home::with_lessons(course_dir());

    let ran = run(
        &home,
        &moto,
        &[
            "check",
            "sinks/objects",
            "sinks/rows",
            "--wait",
            "--format",
            "json",
        ],
    )
    .await;
    ran.assert_code(0);
    let lines = ran.json_lines();
    for check in ["objects", "rows"] {
        let r = report(&lines, check);
        assert_eq!(r["verdict"], "pass", "{check}: {r}");
    }
    assert!(
        ran.stdout()
            .contains("2 `*.avro` object(s) under s3://cmcdc-workshop-1a2b/topics/all_products/")
    );
    assert!(
        ran.stdout()
            .contains("2 row(s) from cdcworkshop-cluster-1a2b/cdcworkshop_rsdb_1a2b")
    );

    let ran = run(
        &home,
        &moto,
        &["check", "teardown/nothing-left", "--format", "json"],
    )
    .await;
    ran.assert_code(1);
    let out = ran.stdout();
    assert!(
        out.contains(&format!("left behind: S3 bucket {BUCKET}")),
        "{out}"
    );

    for key in ["part-0", "part-1"] {
        account
            .delete_object(BUCKET, &format!("topics/all_products/year=2026/{key}.avro"))
            .await;
    }
    account.delete_bucket(BUCKET).await;
    let ran = run(&home, &moto, &["check", "teardown/nothing-left"]).await;
    ran.assert_code(0);
    assert!(
        ran.stdout()
            .contains("nothing left: bucket cmcdc-workshop-1a2b gone"),
        "{}",
        ran.stdout()
    );
    assert!(!ran.stdout().contains(SECRET) && !ran.stderr().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_takes_the_sinks_lesson_through_its_aws_checks() {
    let Some(moto) = Moto::start() else { return };
    seed_sinks(&moto).await;
    let home = Home::with_lessons(course_dir());
    let ran = run(
        &home,
        &moto,
        &[
            "run", "--track", "aws", "--to", "sinks", "--yes", "--format", "json",
        ],
    )
    .await;
    ran.assert_code(0);
    let lines = ran.json_lines();
    let finished = of_type(&lines, "check_finished");
    for check in ["objects", "rows"] {
        let f = finished
            .iter()
            .find(|v| v["check"] == check)
            .unwrap_or_else(|| panic!("{check} did not finish: {lines:#?}"));
        assert_eq!(f["report"]["verdict"], "pass", "{check}: {f}");
    }
    assert!(!ran.stdout().contains(SECRET), "the secret key on stdout");
    for file in files(home.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(
            !text.contains(SECRET),
            "the secret key in {}",
            file.display()
        );
    }
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
