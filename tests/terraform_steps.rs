//! `terraform` steps end to end: the built binary runs the course in
//! `tests/fixtures/course-terraform` against a real Terraform (modules use only the built-in
//! `terraform_data`, so nothing is downloaded). Under `CI=true` a missing terraform fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cli::{Home, Ran, of_type};

const TOKEN: &str = "tok-Sup3rSecret-4242";

fn lessons() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-terraform/lessons")
}

/// A home for the terraform course, or `None` (printed) when terraform is missing outside CI.
fn home() -> Option<Home> {
    if !cli::terraform_on_path("terraform is not on PATH") {
        return None;
    }
    Some(Home::with_lessons(lessons()))
}

fn run(home: &Home, extra: &[&str]) -> Ran {
    let mut args = vec!["run", "--track", "tf", "--yes", "--format", "json"];
    args.extend_from_slice(extra);
    let mut cmd = home.command(&args);
    cmd.env("CDC_WORKSHOP_DEMO_TOKEN", TOKEN);
    Ran(cmd.output().unwrap())
}

fn terraform_events<'a>(lines: &'a [serde_json::Value], step: &str) -> Vec<&'a serde_json::Value> {
    of_type(lines, "terraform")
        .into_iter()
        .filter(|e| e["step"] == step)
        .map(|e| &e["event"])
        .collect()
}

/// Every file under `dir` except Terraform's own state and the module sources, as text.
fn guide_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name != ".terraform" {
                    stack.push(path);
                }
            } else if !name.starts_with("terraform.tfstate") && !name.ends_with(".tf") {
                out.push((
                    path.clone(),
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
                ));
            }
        }
    }
    out
}

fn state_addresses(home: &Home, module: &str) -> Vec<String> {
    let out = std::process::Command::new("terraform")
        .args(["state", "list"])
        .current_dir(home.path().join("terraform").join(module))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_course_applies_two_modules_with_outputs_flowing_and_secrets_hidden() {
    let Some(home) = home() else { return };
    let ran = run(&home, &[]);
    ran.assert_code(0);
    let lines = ran.json_lines();

    // Typed progress: the plan, every resource of the network module, and the summary.
    let net = terraform_events(&lines, "network");
    let completed: Vec<&str> = net
        .iter()
        .filter(|e| e["kind"] == "resource" && e["phase"] == "complete")
        .map(|e| e["addr"].as_str().unwrap())
        .collect();
    assert_eq!(completed.len(), 5, "{net:?}");
    assert!(completed.contains(&"terraform_data.gateway"));
    assert!(
        net.iter()
            .any(|e| e["kind"] == "change_summary" && e["operation"] == "apply" && e["add"] == 5)
    );

    // The network's endpoint reached the app module, whose output the check read from state.
    let finished = of_type(&lines, "step_finished");
    let app = finished.iter().find(|e| e["step"] == "app").unwrap();
    let url = app["outcome"]["outputs"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://net-demo.example.internal:9092/app/"),
        "{url}"
    );
    let checks = of_type(&lines, "check_finished");
    assert!(
        checks.iter().all(|c| c["report"]["verdict"] == "pass"),
        "{checks:?}"
    );

    // The provisioner echoed the token Terraform got as TF_VAR_token: masked on the way out,
    // and never in the journal, the log file or any file the guide wrote.
    let stdout = ran.stdout();
    assert!(
        stdout.contains("provisioning gateway with token ••••"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN) && !ran.stderr().contains(TOKEN));
    for (path, text) in guide_files(home.path()) {
        assert!(!text.contains(TOKEN), "{} holds the token", path.display());
        assert!(
            !text.contains("apisecret-"),
            "{} holds the sensitive output",
            path.display()
        );
    }
    // The sensitive output became a secret: never among the journaled outputs.
    let network = finished.iter().find(|e| e["step"] == "network").unwrap();
    let outputs = network["outcome"]["outputs"].as_object().unwrap();
    assert_eq!(
        outputs.keys().collect::<Vec<_>>(),
        ["endpoint", "net_id"],
        "{outputs:?}"
    );
}

#[test]
fn a_failed_apply_shows_its_diagnostic_and_a_retry_resumes_with_restored_secrets() {
    let Some(home) = home() else { return };
    let failed = run(&home, &["--set", "fail_app=true"]);
    failed.assert_code(1);
    let lines = failed.json_lines();
    let app = of_type(&lines, "step_finished")
        .into_iter()
        .find(|e| e["step"] == "app")
        .cloned()
        .unwrap();
    let message = app["outcome"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("terraform apply of module `app` failed: local-exec provisioner error")
            && message.contains("(main.tf:"),
        "{message}"
    );
    let diagnostics: Vec<_> = terraform_events(&lines, "app")
        .into_iter()
        .filter(|e| e["kind"] == "diagnostic")
        .collect();
    assert_eq!(diagnostics[0]["severity"], "error");
    assert!(
        diagnostics[0]["range"]
            .as_str()
            .unwrap()
            .starts_with("main.tf:")
    );

    // A new process: the network's sensitive output is no longer in memory, so resuming the
    // app step reads it back from the network module's state.
    let again = run(&home, &[]);
    again.assert_code(0);
    let lines = again.json_lines();
    let steps: Vec<&str> = of_type(&lines, "step_started")
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["app"], "only the failed step runs again");
    assert_eq!(state_addresses(&home, "network").len(), 5);
}

#[test]
fn a_slow_resource_reports_progress_and_ctrl_c_interrupts_then_resumes_with_the_same_state() {
    let Some(home) = home() else { return };
    let mut cmd = home.command(&[
        "run",
        "--track",
        "tf",
        "--yes",
        "--format",
        "json",
        "--set",
        "slow_secs=25",
    ]);
    cmd.env("CDC_WORKSHOP_DEMO_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Wait for Terraform's first 10-second progress report of the slow gateway.
    let deadline = Instant::now() + Duration::from_secs(60);
    let journal_says = |needle: &str| {
        home.path().join("runs/current").exists()
            && std::fs::read_to_string(home.journal())
                .unwrap_or_default()
                .contains(needle)
    };
    while !journal_says("step_started") {
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(12));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = Ran(child.wait_with_output().unwrap());
    out.assert_code(130);
    let lines = out.json_lines();
    let progress: Vec<_> = terraform_events(&lines, "network")
        .into_iter()
        .filter(|e| e["kind"] == "resource" && e["phase"] == "progress")
        .collect();
    assert!(
        progress
            .iter()
            .any(|e| e["addr"] == "terraform_data.gateway" && e["elapsed_s"].as_f64() >= Some(10.0)),
        "Terraform's progress report came through: {progress:?}"
    );
    let network = of_type(&lines, "step_finished")
        .into_iter()
        .find(|e| e["step"] == "network")
        .cloned()
        .unwrap();
    assert_eq!(network["outcome"]["result"], "interrupted", "{network}");
    // Terraform stopped gracefully: no lock left behind, and the state it wrote is kept.
    let workspace = home.path().join("terraform/network");
    assert!(!workspace.join(".terraform.tfstate.lock.info").exists());

    let resumed = run(&home, &[]);
    resumed.assert_code(0);
    assert_eq!(
        state_addresses(&home, "network").len(),
        5,
        "the resumed apply completed the same state instead of starting over"
    );
}

#[test]
fn a_lock_held_by_another_terraform_names_the_holder() {
    let Some(home) = home() else { return };
    run(&home, &[]).assert_code(0);
    // Another terraform works on the network's state (a slow apply of a changed resource).
    let workspace = home.path().join("terraform/network");
    let mut other = std::process::Command::new("terraform")
        .args([
            "apply",
            "-auto-approve",
            "-input=false",
            "-replace=terraform_data.gateway",
        ])
        .current_dir(&workspace)
        .env("TF_VAR_name", "demo")
        .env("TF_VAR_token", "x")
        .env("TF_VAR_slow_secs", "20")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !workspace.join(".terraform.tfstate.lock.info").exists() {
        assert!(
            Instant::now() < deadline,
            "the other terraform never took the lock"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A new run applies the network module again and meets the lock.
    let status = home.command(&["status"]).output().unwrap();
    assert!(status.status.success());
    std::fs::remove_file(home.path().join("runs/current")).unwrap();
    let locked = run(&home, &[]);
    let _ = other.kill();
    let _ = other.wait();
    locked.assert_code(1);
    let lines = locked.json_lines();
    let network = of_type(&lines, "step_finished")
        .into_iter()
        .find(|e| e["step"] == "network")
        .cloned()
        .unwrap();
    let message = network["outcome"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the state of module `network` is locked by ")
            && message.contains("OperationTypeApply")
            && message.contains("Retrying waits up to 5 minutes"),
        "{message}"
    );
    // The other process is gone now; the retry (a new process) waits for the lock, gets it.
    let retried = run(&home, &[]);
    retried.assert_code(0);
    assert!(
        retried
            .stdout()
            .contains("Waiting up to 5m for the state lock of module `network`"),
        "{}",
        retried.stdout()
    );
}

#[test]
fn status_lists_the_ledger_and_teardown_destroys_everything_newest_first() {
    let Some(home) = home() else { return };
    run(&home, &[]).assert_code(0);
    let status = home.run(&["status"]);
    status.assert_code(0);
    let text = status.stdout();
    assert!(
        text.contains("Provisioned resources: 2 module(s), 7 resource(s)"),
        "{text}"
    );
    assert!(
        text.contains("output api_secret = •••• (secret network_secret)"),
        "{text}"
    );
    assert!(text.contains("terraform_data.gateway"), "{text}");

    // Not a terminal and no --yes: refuse, destroy nothing.
    home.run(&["teardown"]).assert_code(2);
    assert_eq!(state_addresses(&home, "network").len(), 5);

    let mut cmd = home.command(&["teardown", "--yes", "--format", "json"]);
    cmd.env("CDC_WORKSHOP_DEMO_TOKEN", TOKEN);
    let down = Ran(cmd.output().unwrap());
    down.assert_code(0);
    let lines = down.json_lines();
    let order: Vec<&str> = lines
        .iter()
        .filter(|l| {
            l["type"] == "terraform"
                && l["event"]["kind"] == "change_summary"
                && l["event"]["operation"] == "destroy"
        })
        .map(|l| l["module"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["app", "network"], "newest first");
    let finished = of_type(&lines, "teardown_finished");
    assert_eq!(finished[0]["failed"], serde_json::json!([]));
    assert!(state_addresses(&home, "network").is_empty());
    assert!(state_addresses(&home, "app").is_empty());
    assert!(!down.stdout().contains(TOKEN));
    let after = home.run(&["status"]).stdout();
    assert!(
        after.contains("Provisioned resources: none recorded."),
        "{after}"
    );
}

#[test]
fn a_destroy_that_cannot_run_is_retried_once_reported_and_kept_in_the_ledger() {
    let Some(home) = home() else { return };
    run(&home, &[]).assert_code(0);
    // Without the token the network module's variables cannot be rendered.
    let down = home.run(&["teardown", "--yes"]);
    down.assert_code(1);
    let out = down.stdout();
    assert!(
        out.contains("network: destroy failed") && out.contains("retrying once"),
        "{out}"
    );
    assert!(out.contains("✓ destroyed: app"), "{out}");
    assert!(out.contains("✗ could not destroy:\n  network: "), "{out}");
    let status = home.run(&["status"]).stdout();
    assert!(
        status.contains("Provisioned resources: 1 module(s), 5 resource(s)"),
        "{status}"
    );
}
