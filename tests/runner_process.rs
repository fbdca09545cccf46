//! `ProcessExecutor` running real `sh` processes.

// Test helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runner.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use cdc_workshop::lesson::{ManualStep, ShellStep, StepKind};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::outcome::{LogLine, LogStream, StepOutcome};
use cdc_workshop::runner::process::{OUTPUT_ENV, ProcessExecutor};
use cdc_workshop::runner::{LogSink, StepExecutor, StepRun};
use support::{tpl, values};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "tok-SECRET-4711";

fn shell(command: &str) -> ShellStep {
    ShellStep {
        command: tpl(command),
        cwd: None,
        env: BTreeMap::new(),
    }
}

fn step_run(kind: ShellStep, outputs: &[&str], work_dir: &Path) -> StepRun {
    StepRun {
        lesson: "lesson-1".into(),
        step: "make-cluster".into(),
        kind: StepKind::Shell(kind),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        timeout: None,
        values: values(&[
            ("vars.greeting", "hello"),
            ("secrets.token", TOKEN),
            ("outputs.net.cidr", "10.0.0.0/16"),
        ]),
        work_dir: work_dir.to_path_buf(),
    }
}

/// Runs to the end and returns the outcome with every log line (nobody reads while it runs;
/// the default channel is large enough for these scripts).
async fn run(executor: &ProcessExecutor, run: &StepRun) -> (StepOutcome, Vec<LogLine>) {
    let (sink, mut rx) = LogSink::channel(Redactor::new());
    let outcome = executor.execute(run, sink, CancellationToken::new()).await;
    let mut lines = Vec::new();
    while let Ok(line) = rx.try_recv() {
        lines.push(line);
    }
    (outcome, lines)
}

fn texts(lines: &[LogLine], stream: LogStream) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.stream == stream)
        .map(|l| l.text.clone())
        .collect()
}

/// Runs while a watcher reads the log; the watcher cancels once it sees `trigger` on stdout.
async fn run_and_cancel_on(
    executor: &ProcessExecutor,
    run: &StepRun,
    trigger: &str,
) -> (StepOutcome, Vec<LogLine>) {
    let (sink, mut rx) = LogSink::channel(Redactor::new());
    let cancel = CancellationToken::new();
    let watcher = async {
        let mut lines = Vec::new();
        // Ends when every sender is gone: the executor and its output readers have finished.
        while let Some(line) = rx.recv().await {
            if line.stream == LogStream::Stdout && line.text == trigger {
                cancel.cancel();
            }
            lines.push(line);
        }
        lines
    };
    let (outcome, lines) = tokio::join!(executor.execute(run, sink, cancel.clone()), watcher);
    (outcome, lines)
}

#[tokio::test]
async fn declared_outputs_are_returned_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "echo cluster_id=lkc-123 >> \"${OUTPUT_ENV}\"; \
         echo 'url=http://x/?a=b' >> \"${OUTPUT_ENV}\"; \
         echo undeclared=1 >> \"${OUTPUT_ENV}\""
    );
    let r = step_run(shell(&script), &["cluster_id", "url"], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    let want: BTreeMap<String, String> = [("cluster_id", "lkc-123"), ("url", "http://x/?a=b")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(outcome, StepOutcome::Succeeded { outputs: want });
    // The output file was a throwaway: nothing is left in the work dir.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn the_displayed_command_comes_first_then_both_streams_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo {{ vars.greeting }}; for i in $(seq 1 300); do echo \"out $i\"; echo \"err $i\" >&2; done";
    let r = step_run(shell(script), &[], dir.path());
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(
        lines[0],
        LogLine {
            stream: LogStream::Guide,
            text:
                "$ echo hello; for i in $(seq 1 300); do echo \"out $i\"; echo \"err $i\" >&2; done"
                    .into()
        }
    );
    let mut want_out = vec!["hello".to_string()];
    want_out.extend((1..=300).map(|i| format!("out {i}")));
    let want_err: Vec<String> = (1..=300).map(|i| format!("err {i}")).collect();
    assert_eq!(texts(&lines, LogStream::Stdout), want_out);
    assert_eq!(texts(&lines, LogStream::Stderr), want_err);
}

#[tokio::test]
async fn non_zero_exit_names_the_command_and_the_last_stderr_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo working; echo 'boom: disk full' >&2; echo '' >&2; exit 3";
    let r = step_run(shell(script), &[], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    assert_eq!(
        outcome,
        StepOutcome::Failed {
            message: format!("`{script}` exited with code 3: boom: disk full"),
            exit_code: Some(3),
        }
    );
}

#[tokio::test]
async fn death_by_signal_is_a_failure_naming_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let r = step_run(shell("kill -TERM $$"), &[], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    assert_eq!(
        outcome,
        StepOutcome::Failed {
            message: "`kill -TERM $$` was killed by signal 15 (SIGTERM)".into(),
            exit_code: None,
        }
    );
}

#[tokio::test]
async fn a_missing_declared_output_tells_the_author_how_to_provide_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!("echo other=1 >> \"${OUTPUT_ENV}\"");
    let r = step_run(shell(&script), &["cluster_id", "other"], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    let StepOutcome::Failed { message, exit_code } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(exit_code, Some(0));
    assert!(
        message.contains("did not provide output `cluster_id`"),
        "{message}"
    );
    assert!(message.contains("`cluster_id=<value>`"), "{message}");
    assert!(message.contains("$CDC_WORKSHOP_OUTPUT"), "{message}");
}

#[tokio::test]
async fn a_secret_written_as_an_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut step = shell(&format!("echo \"key=$TOKEN\" >> \"${OUTPUT_ENV}\""));
    step.env.insert("TOKEN".into(), tpl("{{ secrets.token }}"));
    let r = step_run(step, &["key"], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(
        message.contains("wrote a secret into output `key`"),
        "{message}"
    );
    assert!(!message.contains(TOKEN));
}

#[tokio::test]
async fn a_secret_passed_through_env_and_echoed_is_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let mut step = shell("echo \"token is $TOKEN\"; echo \"$AUTH\" >&2");
    step.env.insert("TOKEN".into(), tpl("{{ secrets.token }}"));
    step.env
        .insert("AUTH".into(), tpl("Bearer {{ secrets.token }}"));
    let r = step_run(step, &[], dir.path());
    // The sink's redactor starts empty: the executor itself must teach it the secret.
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(texts(&lines, LogStream::Stdout), ["token is ••••"]);
    assert_eq!(texts(&lines, LogStream::Stderr), ["Bearer ••••"]);
    assert!(lines.iter().all(|l| !l.text.contains(TOKEN)));
}

#[tokio::test]
async fn a_secret_on_the_command_line_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let r = step_run(
        shell("touch ran; curl -u {{ secrets.token }} https://example.invalid"),
        &[],
        dir.path(),
    );
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    let StepOutcome::Failed { message, exit_code } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(exit_code, None);
    assert!(message.contains("{{ secrets.token }}"), "{message}");
    assert!(message.contains("`env`"), "{message}");
    assert!(!message.contains(TOKEN));
    assert!(lines.is_empty());
    assert!(!dir.path().join("ran").exists());
}

#[tokio::test]
async fn a_missing_template_value_fails_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let r = step_run(shell("ssh {{ outputs.vm.ip }}"), &[], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    assert_eq!(
        outcome,
        StepOutcome::Failed {
            message: "cannot run `ssh {{ outputs.vm.ip }}`: `{{ outputs.vm.ip }}` has no value \
                      yet: run the step that provides it first"
                .into(),
            exit_code: None,
        }
    );
}

#[tokio::test]
async fn cwd_is_rendered_relative_to_the_work_dir_and_created() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("run");
    let mut step = shell("pwd; echo \"$NET\"");
    step.cwd = Some(tpl("modules/{{ vars.greeting }}"));
    step.env.insert("NET".into(), tpl("{{ outputs.net.cidr }}"));
    let r = step_run(step, &[], &work);
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let cwd = work.join("modules/hello").canonicalize().unwrap();
    assert_eq!(
        texts(&lines, LogStream::Stdout),
        [cwd.to_str().unwrap(), "10.0.0.0/16"]
    );
}

#[tokio::test]
async fn an_uncreatable_work_dir_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let r = step_run(shell("true"), &[], &blocker.join("sub"));
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    let StepOutcome::Failed { message, .. } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(
        message.contains(blocker.join("sub").to_str().unwrap()),
        "{message}"
    );
    assert!(message.contains("`true`"), "{message}");
}

#[tokio::test]
async fn manual_steps_succeed_without_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = step_run(shell("true"), &[], dir.path());
    r.kind = StepKind::Manual(ManualStep {
        confirm: "I have created a Cloud API key".into(),
    });
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    assert_eq!(
        outcome,
        StepOutcome::Succeeded {
            outputs: BTreeMap::new()
        }
    );
    assert!(lines.is_empty());
}

#[tokio::test]
async fn a_timeout_interrupts_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = step_run(shell("echo ready; sleep 30"), &[], dir.path());
    r.timeout = Some(Duration::from_millis(300));
    let (outcome, lines) = run(&ProcessExecutor::new(), &r).await;
    assert_eq!(
        outcome,
        StepOutcome::Interrupted {
            reason: "timed out after 300ms".into()
        }
    );
    let guide = texts(&lines, LogStream::Guide);
    assert!(
        guide
            .iter()
            .any(|l| l.contains("timed out after 300ms") && l.contains("SIGINT")),
        "{guide:?}"
    );
}

#[tokio::test]
async fn cancel_sends_sigint_and_the_scripts_trap_runs() {
    let dir = tempfile::tempdir().unwrap();
    // The wait happens in the `wait` builtin, which a trapped SIGINT interrupts whenever it
    // arrives; a foreground `sleep` forked just after the signal would instead delay the trap.
    let script = "trap 'kill $pid; echo cleaning up; exit 130' INT; \
                  sleep 30 >/dev/null 2>&1 & pid=$!; echo ready; wait $pid";
    let r = step_run(shell(script), &[], dir.path());
    // A long grace period: only SIGINT can make the trap print before the step ends.
    let executor = ProcessExecutor::new().with_grace_period(Duration::from_secs(20));
    let (outcome, lines) = run_and_cancel_on(&executor, &r, "ready").await;
    assert_eq!(
        outcome,
        StepOutcome::Interrupted {
            reason: "cancelled by you".into()
        }
    );
    assert_eq!(texts(&lines, LogStream::Stdout), ["ready", "cleaning up"]);
    let guide = texts(&lines, LogStream::Guide);
    assert!(
        guide
            .iter()
            .any(|l| l.contains("cancelled by you") && l.contains("SIGINT"))
    );
    assert!(guide.iter().all(|l| !l.contains("SIGKILL")), "{guide:?}");
}

#[tokio::test]
async fn a_script_ignoring_sigint_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    // `sleep` inherits the ignored SIGINT and keeps the output pipes open: only a SIGKILL to the
    // whole group ends both, so no "still holds its output open" notice may appear.
    let script = "trap '' INT; echo ready; sleep 30; echo survived";
    let r = step_run(shell(script), &[], dir.path());
    let executor = ProcessExecutor::new().with_grace_period(Duration::from_millis(200));
    let (outcome, lines) = run_and_cancel_on(&executor, &r, "ready").await;
    assert_eq!(
        outcome,
        StepOutcome::Interrupted {
            reason: "cancelled by you".into()
        }
    );
    assert_eq!(texts(&lines, LogStream::Stdout), ["ready"]);
    let guide = texts(&lines, LogStream::Guide);
    assert!(
        guide
            .iter()
            .any(|l| l.contains("still running after 200ms") && l.contains("SIGKILL")),
        "{guide:?}"
    );
    assert!(
        guide.iter().all(|l| !l.contains("output open")),
        "{guide:?}"
    );
}

#[tokio::test]
async fn a_flood_of_output_is_counted_as_dropped_not_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let r = step_run(shell("seq 1 20000; seq 1 5000 >&2"), &[], dir.path());
    let (tx, mut rx) = mpsc::channel(4);
    let sink = LogSink::new(tx, Redactor::new());
    let counter = sink.clone();
    // Nobody reads while the step runs: with a blocking sink this would never finish.
    let outcome = ProcessExecutor::new()
        .execute(&r, sink, CancellationToken::new())
        .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let mut received = 0;
    while rx.try_recv().is_ok() {
        received += 1;
    }
    assert_eq!(received, 4);
    // One guide line plus 25 000 output lines were offered; all but four were dropped.
    assert_eq!(counter.dropped(), 1 + 20_000 + 5_000 - 4);
}

#[tokio::test]
async fn a_spawn_failure_names_the_command_and_the_io_error() {
    let dir = tempfile::tempdir().unwrap();
    // The step's own PATH is where `sh` is looked up, so an empty one makes the spawn fail.
    let mut step = shell("true");
    step.env.insert("PATH".into(), tpl("/nonexistent"));
    let r = step_run(step, &[], dir.path());
    let (outcome, _) = run(&ProcessExecutor::new(), &r).await;
    let StepOutcome::Failed { message, exit_code } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(exit_code, None);
    assert!(message.starts_with("cannot start `true`: "), "{message}");
    assert!(message.contains("No such file or directory"), "{message}");
    assert!(
        message.contains("`sh` is installed and on PATH"),
        "{message}"
    );
}
