//! `sql` steps and `sql_rows` checks against real PostgreSQL and MariaDB servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/databases.rs"]
mod databases;
#[path = "support/runner.rs"]
mod support;

use std::sync::Arc;

use cdc_workshop::backend::sql::NativeSql;
use cdc_workshop::lesson::{
    DatabaseDecl, DbEngine, Repeat, SourcePos, SqlRowsCheck, SqlStep, TlsMode,
};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::outcome::{LogLine, StepOutcome, Verdict};
use cdc_workshop::runner::sql::SqlRunner;
use cdc_workshop::runner::{LogSink, StepRun};
use databases::{DATABASE, MariaDb, PASSWORD, Postgres, USER};
use support::{tpl, values};
use tokio_util::sync::CancellationToken;

fn decl(name: &str, engine: DbEngine, port: u16, tls: TlsMode) -> DatabaseDecl {
    DatabaseDecl {
        name: name.into(),
        engine,
        host: tpl("127.0.0.1"),
        port: Some(tpl(&port.to_string())),
        user: tpl("{{ vars.db_user }}"),
        password: Some(tpl("{{ secrets.db_password }}")),
        database: tpl(DATABASE),
        tls,
        pos: SourcePos::new("course.toml", 1),
    }
}

fn runner(decls: Vec<DatabaseDecl>, redactor: &Redactor) -> SqlRunner {
    SqlRunner::new(Arc::new(NativeSql), decls, redactor.clone())
}

fn good_values() -> cdc_workshop::runner::Values {
    values(&[("vars.db_user", USER), ("secrets.db_password", PASSWORD)])
}

/// Run one `sql` step and return its outcome and every log line it wrote.
async fn run_step(
    runner: &SqlRunner,
    db: &str,
    sql: &str,
    vals: cdc_workshop::runner::Values,
) -> (StepOutcome, Vec<LogLine>) {
    run_repeated(runner, db, sql, vals, None, CancellationToken::new()).await
}

async fn run_repeated(
    runner: &SqlRunner,
    db: &str,
    sql: &str,
    vals: cdc_workshop::runner::Values,
    repeat: Option<Repeat>,
    cancel: CancellationToken,
) -> (StepOutcome, Vec<LogLine>) {
    let redactor = Redactor::new();
    let (sink, mut rx) = LogSink::channel(redactor);
    let step = SqlStep {
        database: db.into(),
        statement: tpl(sql),
        max_rows: 20,
        repeat,
    };
    let run = StepRun {
        lesson: "l".into(),
        step: "s".into(),
        kind: cdc_workshop::lesson::StepKind::Sql(step.clone()),
        outputs: vec!["rows".into()],
        timeout: None,
        values: vals,
        work_dir: std::env::temp_dir(),
    };
    let outcome = runner.execute(&run, &step, &sink, cancel).await;
    drop(sink);
    let mut lines = Vec::new();
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    (outcome, lines)
}

fn text(lines: &[LogLine]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn rows_check(db: &str, query: &str, min_rows: u64, matches: Option<&str>) -> SqlRowsCheck {
    SqlRowsCheck {
        database: db.into(),
        query: tpl(query),
        min_rows,
        matches: matches.map(String::from),
    }
}

#[tokio::test]
async fn postgres_steps_show_their_sql_and_results_and_checks_see_new_rows() {
    let Some(pg) = Postgres::start() else { return };
    pg.seed();
    let redactor = Redactor::new();
    let runner = runner(
        vec![decl("pg", DbEngine::Postgres, pg.port, TlsMode::Prefer)],
        &redactor,
    );

    let (outcome, lines) = run_step(
        &runner,
        "pg",
        "SELECT id, item, amount FROM orders ORDER BY id",
        good_values(),
    )
    .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let shown = text(&lines);
    assert!(
        shown.contains(&format!(
            "postgres://{USER}@127.0.0.1:{}/{DATABASE}",
            pg.port
        )),
        "{shown}"
    );
    assert!(
        shown.contains("  SELECT id, item, amount FROM orders ORDER BY id"),
        "{shown}"
    );
    assert!(shown.contains("id │ item  │ amount"), "{shown}");
    assert!(shown.contains("3  │ NULL  │ 10.00"), "{shown}");
    assert!(shown.contains("3 row(s)"), "{shown}");
    assert!(
        !shown.contains(PASSWORD),
        "the password leaked into the log"
    );
    assert_eq!(
        outcome,
        StepOutcome::Succeeded {
            outputs: [("rows".to_string(), "3".to_string())].into()
        }
    );

    let waiting = runner
        .probe(
            &rows_check(
                "pg",
                "SELECT id FROM orders WHERE item = 'marker-42'",
                1,
                None,
            ),
            good_values().as_ref(),
        )
        .await;
    assert_eq!(waiting.verdict, Verdict::Pending, "{waiting:?}");
    assert!(waiting.observed.contains("0 row(s)"), "{waiting:?}");

    let (outcome, lines) = run_step(&runner, "pg", "INSERT INTO orders VALUES (4, 'marker-42', 4.20); UPDATE orders SET amount = 2.00 WHERE id = 1", good_values()).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert!(
        text(&lines).contains("2 row(s) changed"),
        "{}",
        text(&lines)
    );

    let found = runner
        .probe(
            &rows_check(
                "pg",
                "SELECT amount FROM orders WHERE item = 'marker-42'",
                1,
                Some(r"^4\.20$"),
            ),
            good_values().as_ref(),
        )
        .await;
    assert_eq!(found.verdict, Verdict::Pass, "{found:?}");
    assert_eq!(found.observed, "1 row(s), first value 4.20");
}

#[tokio::test]
async fn postgres_problems_say_what_to_check() {
    let Some(pg) = Postgres::start() else { return };
    pg.seed();
    let redactor = Redactor::new();
    let runner = runner(
        vec![
            decl("pg", DbEngine::Postgres, pg.port, TlsMode::Prefer),
            decl("pg-tls", DbEngine::Postgres, pg.port, TlsMode::Require),
        ],
        &redactor,
    );

    let wrong = values(&[
        ("vars.db_user", USER),
        ("secrets.db_password", "not-the-password"),
    ]);
    let (outcome, _) = run_step(&runner, "pg", "SELECT 1", wrong).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("refused the login"), "{message}");
    assert!(message.contains("check the user and password"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");

    let (outcome, _) = run_step(&runner, "pg-tls", "SELECT 1", good_values()).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("does not offer TLS"), "{message}");
    assert!(message.contains("tls = \"prefer\""), "{message}");

    let (outcome, _) = run_step(&runner, "pg", "SELECT * FROM no_such_table", good_values()).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("no_such_table"), "{message}");
    assert!(
        message.contains(&format!("postgres://{USER}@127.0.0.1")),
        "{message}"
    );

    let missing_output = values(&[("vars.db_user", USER)]);
    let (outcome, _) = run_step(&runner, "pg", "SELECT 1", missing_output).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("secrets.db_password"), "{message}");
}

#[tokio::test]
async fn a_database_that_is_not_up_yet_is_pending_not_failed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redactor = Redactor::new();
    let runner = runner(
        vec![decl("pg", DbEngine::Postgres, port, TlsMode::Prefer)],
        &redactor,
    );
    let obs = runner
        .probe(
            &rows_check("pg", "SELECT 1", 1, None),
            good_values().as_ref(),
        )
        .await;
    assert_eq!(obs.verdict, Verdict::Pending, "{obs:?}");
    assert!(obs.observed.contains("cannot connect"), "{obs:?}");
}

#[tokio::test]
async fn mariadb_steps_and_checks_work_the_same_way() {
    let Some(db) = MariaDb::start() else { return };
    db.seed();
    let redactor = Redactor::new();
    let runner = runner(
        vec![decl("my", DbEngine::Mysql, db.port, TlsMode::Prefer)],
        &redactor,
    );

    let (outcome, lines) = run_step(
        &runner,
        "my",
        "SELECT id, name, balance FROM accounts ORDER BY id",
        good_values(),
    )
    .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let shown = text(&lines);
    assert!(
        shown.contains(&format!("mysql://{USER}@127.0.0.1:{}/{DATABASE}", db.port)),
        "{shown}"
    );
    assert!(shown.contains("id │ name │ balance"), "{shown}");
    assert!(shown.contains("1  │ ada  │ 12.50"), "{shown}");
    assert!(shown.contains("2  │ bob  │ NULL"), "{shown}");

    let (outcome, lines) = run_step(&runner, "my", "INSERT INTO accounts VALUES (3, 'marker-7', 1.00); UPDATE accounts SET balance = 0 WHERE id = 2", good_values()).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert!(
        text(&lines).contains("2 row(s) changed"),
        "{}",
        text(&lines)
    );

    let found = runner
        .probe(
            &rows_check(
                "my",
                "SELECT name FROM accounts WHERE id = 3",
                1,
                Some("^marker-7$"),
            ),
            good_values().as_ref(),
        )
        .await;
    assert_eq!(found.verdict, Verdict::Pass, "{found:?}");

    let wrong = values(&[("vars.db_user", USER), ("secrets.db_password", "nope-nope")]);
    let obs = runner
        .probe(&rows_check("my", "SELECT 1", 1, None), wrong.as_ref())
        .await;
    assert_eq!(obs.verdict, Verdict::Fail, "{obs:?}");
    assert!(obs.observed.contains("refused the login"), "{obs:?}");
}

#[tokio::test]
async fn generating_changes_repeats_a_statement_and_stops_when_asked() {
    let Some(pg) = Postgres::start() else { return };
    pg.seed();
    let redactor = Redactor::new();
    let runner = runner(
        vec![decl("pg", DbEngine::Postgres, pg.port, TlsMode::Prefer)],
        &redactor,
    );
    let insert = "INSERT INTO orders SELECT coalesce(max(id), 0) + 1, 'generated', round((random() * 100)::numeric, 2) FROM orders";

    let every_20ms = Repeat {
        every: std::time::Duration::from_millis(20),
        times: 20,
    };
    let (outcome, lines) = run_repeated(
        &runner,
        "pg",
        insert,
        good_values(),
        Some(every_20ms),
        CancellationToken::new(),
    )
    .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let progress: Vec<&str> = lines
        .iter()
        .map(|l| l.text.as_str())
        .filter(|t| t.starts_with("run "))
        .collect();
    assert_eq!(progress.len(), 10, "{progress:?}");
    assert_eq!(
        progress.last().copied(),
        Some("run 20/20: 20 row(s) changed so far")
    );
    let count = runner
        .probe(
            &rows_check(
                "pg",
                "SELECT id FROM orders WHERE item = 'generated'",
                20,
                None,
            ),
            good_values().as_ref(),
        )
        .await;
    assert_eq!(count.verdict, Verdict::Pass, "{count:?}");

    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stopper.cancel();
    });
    let slow = Repeat {
        every: std::time::Duration::from_millis(100),
        times: 1000,
    };
    let (outcome, _) = run_repeated(&runner, "pg", insert, good_values(), Some(slow), cancel).await;
    let StepOutcome::Interrupted { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.starts_with("stopped after "), "{reason}");
    assert!(reason.contains("of 1000 runs"), "{reason}");
}
