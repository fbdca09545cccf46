//! The Confluent steps and checks of the fixture course, run by the real runner and client
//! against the stand-in: every check through its transitions, the Flink SQL step through
//! success, failure with exceptions and result paging.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::lesson::template::TemplateContext;
use cdc_workshop::lesson::{CheckKind, Course, Lesson, StepKind, load_course};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::confluent::{ConfluentEndpoints, ConfluentRunner, edited_statement_path};
use cdc_workshop::runner::outcome::{LogLine, StepOutcome, Verdict};
use cdc_workshop::runner::{LogSink, ProbeContext, StepRun, Values};
use cdc_workshop::standin::{ConnectorPhase, ScriptedResults, Timings};
use tokio_util::sync::CancellationToken;

fn course() -> Course {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-confluent/lessons");
    load_course(&LessonSource::directory(dir)).unwrap()
}

#[derive(Default, Clone)]
struct Vals(HashMap<String, String>);

impl TemplateContext for Vals {
    fn output(&self, step: &str, name: &str) -> Option<String> {
        self.0.get(&format!("outputs.{step}.{name}")).cloned()
    }
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(&format!("vars.{name}")).cloned()
    }
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(&format!("secrets.{name}")).cloned()
    }
}

struct Rig {
    world: confluent::World,
    runner: ConfluentRunner,
    values: Vals,
    course: Course,
    redactor: Redactor,
    work: tempfile::TempDir,
}

async fn rig(timings: Timings) -> Rig {
    let world = confluent::world(timings).await;
    let course = course();
    let s = &world.seeded;
    let mut values = HashMap::new();
    for (k, v) in [
        ("vars.organization", s.organization.clone()),
        ("vars.environment", s.environment.clone()),
        ("vars.environment_name", s.environment_name.clone()),
        ("vars.cluster", s.cluster.clone()),
        ("vars.cluster_name", s.cluster_name.clone()),
        ("vars.compute_pool", s.compute_pool.clone()),
        ("vars.principal", s.service_account.clone()),
        ("vars.connector_service_account", s.service_account.clone()),
        ("vars.db_host", "pg.example.internal".into()),
        ("secrets.cloud_key", s.cloud_key.key.clone()),
        ("secrets.cloud_secret", s.cloud_key.secret.clone()),
        ("secrets.kafka_key", s.kafka_key.key.clone()),
        ("secrets.kafka_secret", s.kafka_key.secret.clone()),
        ("secrets.sr_key", s.schema_registry_key.key.clone()),
        ("secrets.sr_secret", s.schema_registry_key.secret.clone()),
        ("secrets.flink_key", s.flink_key.key.clone()),
        ("secrets.flink_secret", s.flink_key.secret.clone()),
        ("secrets.db_password", "postgres-pw-123".into()),
    ] {
        values.insert(k.to_string(), v);
    }
    let url = world.standin.url();
    let endpoints = ConfluentEndpoints {
        api_url: url.clone(),
        metrics_url: url.clone(),
        kafka_rest_url: Some(url.clone()),
        schema_registry_url: Some(url.clone()),
        flink_url: Some(url),
        ..ConfluentEndpoints::default()
    };
    let redactor = Redactor::new();
    let runner = ConfluentRunner::new(
        Arc::new(ConfluentClient::new().unwrap()),
        course.confluent.clone(),
        endpoints,
        redactor.clone(),
    );
    Rig {
        world,
        runner,
        values: Vals(values),
        course,
        redactor,
        work: tempfile::tempdir().unwrap(),
    }
}

impl Rig {
    fn lesson(&self, id: &str) -> &Lesson {
        self.course.lesson(id).unwrap()
    }

    fn check(&self, lesson: &str, id: &str) -> CheckKind {
        self.lesson(lesson)
            .checks()
            .find(|c| c.id == id)
            .unwrap()
            .spec
            .kind
            .clone()
    }

    fn values(&self) -> Values {
        Arc::new(self.values.clone())
    }

    async fn probe(&self, kind: &CheckKind) -> (Verdict, String) {
        let ctx = ProbeContext {
            values: self.values(),
            redactor: self.redactor.clone(),
            work_dir: self.work.path().to_path_buf(),
        };
        let obs = self.runner.probe(kind, &ctx).await.unwrap();
        (obs.verdict, obs.observed)
    }

    async fn run(&self, lesson: &str, step: &str) -> (StepOutcome, Vec<LogLine>) {
        let s = self.lesson(lesson).step(step).unwrap();
        let run = StepRun {
            lesson: lesson.into(),
            step: step.into(),
            kind: s.kind.clone(),
            outputs: s.outputs.clone(),
            timeout: None,
            values: self.values(),
            work_dir: self.work.path().to_path_buf(),
        };
        let (sink, mut rx) = LogSink::channel(self.redactor.clone());
        let outcome = match &s.kind {
            StepKind::FlinkSql(f) => {
                self.runner
                    .execute_flink(&run, f, &sink, CancellationToken::new())
                    .await
            }
            StepKind::Confluent(c) => self.runner.execute_action(&run, c, &sink).await,
            other => panic!("not a Confluent step: {}", other.name()),
        };
        drop(sink);
        let mut lines = Vec::new();
        while let Some(l) = rx.recv().await {
            lines.push(l);
        }
        (outcome, lines)
    }
}

fn text(lines: &[LogLine]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn cluster_and_pool_checks_wait_for_provisioning_and_say_when_they_vanish() {
    let r = rig(Timings::default()).await;
    assert_eq!(
        r.probe(&r.check("capture", "cluster")).await,
        (
            Verdict::Pass,
            format!(
                "cluster cc_aws_cluster-1a2b ({}) PROVISIONED",
                r.world.seeded.cluster
            )
        )
    );
    assert_eq!(r.probe(&r.check("capture", "pool")).await.0, Verdict::Pass);

    // A cluster made just now provisions first.
    r.world.standin.with_world(|w| {
        if let Some(c) = w.clusters.get_mut(&r.world.seeded.cluster) {
            c.created = tokio::time::Instant::now();
        }
    });
    let (verdict, seen) = r.probe(&r.check("capture", "cluster")).await;
    assert_eq!(
        (verdict, seen.ends_with("PROVISIONING")),
        (Verdict::Pending, true),
        "{seen}"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        r.probe(&r.check("capture", "cluster")).await.0,
        Verdict::Pass
    );

    // A phase nobody documented is shown and waited on.
    r.world.standin.with_world(|w| {
        w.clusters.get_mut(&r.world.seeded.cluster).unwrap().phase = Some("EXPANDING".into())
    });
    let (verdict, seen) = r.probe(&r.check("capture", "cluster")).await;
    assert_eq!(verdict, Verdict::Pending);
    assert!(
        seen.ends_with("EXPANDING (unknown phase, waiting)"),
        "{seen}"
    );

    r.world.standin.with_world(|w| {
        w.clusters.clear();
        w.deleted.push(r.world.seeded.cluster.clone());
    });
    let (verdict, seen) = r.probe(&r.check("capture", "cluster")).await;
    assert_eq!(verdict, Verdict::Fail);
    assert_eq!(
        seen,
        format!(
            "cluster {} no longer exists (deleted, or the key cannot see it)",
            r.world.seeded.cluster
        )
    );
}

#[tokio::test]
async fn the_connector_step_creates_it_and_its_checks_follow_it_to_running() {
    let r = rig(Timings::default()).await;
    let running = r.check("capture", "connector-running");
    let (verdict, seen) = r.probe(&running).await;
    assert_eq!(
        (verdict, seen.as_str()),
        (
            Verdict::Fail,
            "connector pg_cc_source does not exist (not created yet, or deleted)"
        )
    );

    let (outcome, lines) = r.run("capture", "connector").await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let shown = text(&lines);
    assert!(shown.contains("database.password = ••••"), "{shown}");
    assert!(
        !shown.contains("postgres-pw-123"),
        "the password leaked: {shown}"
    );
    assert!(shown.contains("created connector pg_cc_source"), "{shown}");

    let (verdict, seen) = r.probe(&running).await;
    assert_eq!(
        (verdict, seen.as_str()),
        (Verdict::Pending, "pg_cc_source PROVISIONING (no tasks yet)")
    );
    assert_eq!(
        r.probe(&r.check("capture", "orders-topic")).await.0,
        Verdict::Pending
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        r.probe(&running).await,
        (
            Verdict::Pass,
            "pg_cc_source RUNNING (tasks 0:RUNNING)".to_string()
        )
    );
    assert_eq!(
        r.probe(&r.check("capture", "orders-topic")).await,
        (
            Verdict::Pass,
            "topic postgres.public.orders (1 partitions)".to_string()
        )
    );
    assert_eq!(
        r.probe(&r.check("capture", "orders-schema")).await,
        (
            Verdict::Pass,
            "subject postgres.public.orders-value version 1".to_string()
        )
    );

    // Running it again keeps what exists.
    let (outcome, lines) = r.run("capture", "connector").await;
    assert!(outcome.succeeded());
    assert!(text(&lines).contains("already exists (RUNNING); kept as it is"));
}

#[tokio::test]
async fn a_flap_is_tolerated_but_a_lasting_failure_fails_with_the_traces_first_line() {
    let r = rig(Timings::default()).await;
    r.world.standin.script_connector(
        "pg_cc_source",
        vec![
            ConnectorPhase {
                state: "PROVISIONING".into(),
                trace: String::new(),
                lasts: Duration::from_millis(100),
            },
            ConnectorPhase {
                state: "FAILED".into(),
                trace: "Task threw an uncaught exception\n\tat io.debezium...".into(),
                lasts: Duration::from_millis(400),
            },
            ConnectorPhase {
                state: "RUNNING".into(),
                trace: String::new(),
                lasts: Duration::ZERO,
            },
        ],
    );
    r.run("capture", "connector").await;
    let check = r.check("capture", "connector-running");
    let mut seen = Vec::new();
    for _ in 0..12 {
        let (verdict, observed) = r.probe(&check).await;
        if seen.last().map(|(v, _): &(Verdict, String)| *v) != Some(verdict) {
            seen.push((verdict, observed));
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let verdicts: Vec<Verdict> = seen.iter().map(|(v, _)| *v).collect();
    assert_eq!(verdicts, vec![Verdict::Pending, Verdict::Pass], "{seen:?}");
    assert!(
        seen.iter().all(|(v, _)| *v != Verdict::Fail),
        "a 400 ms FAILED inside a 2 s tolerance is a restart"
    );

    // Failing for longer than the tolerance fails, naming the trace's first line.
    let r = rig(Timings::default()).await;
    r.world.standin.script_connector(
        "pg_cc_source",
        vec![ConnectorPhase {
            state: "FAILED".into(),
            trace: "\nUnable to connect: connection refused\nmore".into(),
            lasts: Duration::ZERO,
        }],
    );
    r.run("capture", "connector").await;
    let (verdict, seen) = r.probe(&check).await;
    assert_eq!(verdict, Verdict::Pending, "{seen}");
    assert!(
        seen.contains("(tolerated up to 2s as a restart): Unable to connect: connection refused"),
        "{seen}"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        r.probe(&check).await,
        (
            Verdict::Fail,
            "pg_cc_source FAILED: Unable to connect: connection refused".to_string()
        )
    );
}

#[tokio::test]
async fn flink_steps_complete_run_show_results_and_find_their_statement_again() {
    let r = rig(Timings::default()).await;
    r.world
        .standin
        .seed_topic(&r.world.seeded.cluster, "postgres.public.orders", 1);
    let (outcome, lines) = r.run("process", "clean-table").await;
    let StepOutcome::Succeeded { outputs } = &outcome else {
        panic!("{outcome:?}")
    };
    let name = outputs["statement"].clone();
    assert!(name.starts_with("cdcw-process-clean-table-"), "{name}");
    let shown = text(&lines);
    assert!(
        shown.contains("  CREATE TABLE orders_clean ("),
        "the statement is shown first: {shown}"
    );
    assert!(
        shown.contains(&format!("statement {name}: PENDING → COMPLETED"))
            || shown.contains(&format!("statement {name} is COMPLETED")),
        "{shown}"
    );

    let (outcome, _) = r.run("process", "clean-insert").await;
    let StepOutcome::Succeeded { outputs } = outcome else {
        panic!()
    };
    let mut vals = r.values.clone();
    vals.0.insert(
        "outputs.clean-insert.statement".into(),
        outputs["statement"].clone(),
    );
    let check = r.check("process", "insert-running");
    let ctx = ProbeContext {
        values: Arc::new(vals),
        redactor: r.redactor.clone(),
        work_dir: r.work.path().to_path_buf(),
    };
    assert_eq!(
        r.runner.probe(&check, &ctx).await.unwrap().verdict,
        Verdict::Pass
    );

    let (outcome, lines) = r.run("process", "peek").await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let shown = text(&lines);
    assert!(
        shown.contains("id │ status\n───┼───────\n1  │ ok\n2  │ ok"),
        "{shown}"
    );

    // Again: the same statement is found, not submitted twice.
    let posts_before = r
        .world
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/statements"))
        .count();
    let (outcome, lines) = r.run("process", "clean-insert").await;
    assert!(outcome.succeeded());
    assert!(
        text(&lines).contains("was submitted before (RUNNING); following it"),
        "{}",
        text(&lines)
    );
    let posts_after = r
        .world
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/statements"))
        .count();
    assert_eq!(posts_before, posts_after);
}

#[tokio::test]
async fn a_failed_statement_shows_flinks_exceptions_and_an_edit_fixes_it() {
    let r = rig(Timings::default()).await;
    // The orders topic does not exist yet: the insert fails validation.
    r.run("process", "clean-table").await;
    let (outcome, lines) = r.run("process", "clean-insert").await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        message.contains(
            "FAILED: SQL validation failed. Table (or view) 'postgres.public.orders' does not exist"
        ),
        "{message}"
    );
    assert!(
        message.ends_with("fix the statement and press Retry (the failed one is deleted first)"),
        "{message}"
    );
    let shown = text(&lines);
    assert!(
        shown.contains("exceptions of cdcw-process-clean-insert-"),
        "{shown}"
    );
    assert!(
        shown.contains("org.apache.flink.table.api.ValidationException"),
        "{shown}"
    );

    // The participant edits the statement to read a table that exists.
    r.world
        .standin
        .seed_topic(&r.world.seeded.cluster, "orders_raw", 1);
    let edit = edited_statement_path(r.work.path(), "process", "clean-insert");
    std::fs::create_dir_all(edit.parent().unwrap()).unwrap();
    std::fs::write(
        &edit,
        "INSERT INTO orders_clean SELECT id, amount FROM orders_raw;\n",
    )
    .unwrap();
    let (outcome, lines) = r.run("process", "clean-insert").await;
    assert!(outcome.succeeded(), "{outcome:?}\n{}", text(&lines));
    assert!(
        text(&lines).contains("using your edited statement"),
        "{}",
        text(&lines)
    );
}

#[tokio::test]
async fn a_running_query_pages_through_results_up_to_the_rows_asked_for() {
    let r = rig(Timings::default()).await;
    r.world
        .standin
        .seed_topic(&r.world.seeded.cluster, "postgres.public.orders", 1);
    r.world.standin.script_results(ScriptedResults {
        matches: "VALUES (1, 'ok')".into(),
        columns: vec![
            ("id".into(), "INT".into()),
            ("status".into(), "STRING".into()),
        ],
        rows: (1..=12)
            .map(|i| {
                vec![
                    Some(i.to_string()),
                    if i % 4 == 0 { None } else { Some("ok".into()) },
                ]
            })
            .collect(),
        page_size: 3,
    });
    let (outcome, lines) = r.run("process", "peek").await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let shown = text(&lines);
    assert!(shown.contains("4  │ NULL"), "{shown}");
    assert!(shown.contains("5 rows shown, more available"), "{shown}");
    let pages = r
        .world
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.path.ends_with("/results"))
        .count();
    assert_eq!(pages, 2, "5 rows from pages of 3");
}
