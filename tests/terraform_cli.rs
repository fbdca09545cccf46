//! The runner against a real Terraform (PATH, or the one `.ci/run` installs) on modules that
//! need no provider download: `terraform_data`, variables, outputs, provisioners.

#![allow(clippy::expect_used, clippy::panic, reason = "test setup fails loudly")]

use std::path::Path;
use std::time::Duration;

use cdc_workshop::backend::terraform::cli::{Action, TerraformCli};
use cdc_workshop::backend::terraform::progress::ResourceState;
use cdc_workshop::backend::terraform::ui::UiMessage;
use tokio_util::sync::CancellationToken;

/// Terraform from PATH, or `None` with the reason printed; under CI its absence fails.
async fn terraform() -> Option<TerraformCli> {
    match TerraformCli::locate(None, std::env::var_os("PATH").as_deref()) {
        Ok(mut tf) => {
            let version = tf
                .check_version()
                .await
                .expect("terraform ≥ 1.4 answers version -json");
            eprintln!(
                "using terraform {} at {}",
                version.terraform_version,
                tf.binary().display()
            );
            Some(tf.with_grace_period(Duration::from_secs(20)))
        }
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "CI=true but {e}");
            eprintln!("skipped: {e}");
            None
        }
    }
}

fn module(dir: &Path, main_tf: &str) {
    std::fs::write(dir.join("main.tf"), main_tf).expect("write main.tf");
}

const OK_MODULE: &str = r#"
variable "env_name" { type = string }
variable "api_secret" {
  type      = string
  sensitive = true
}
resource "terraform_data" "environment" {
  input = "env-${var.env_name}"
}
resource "terraform_data" "cluster" {
  input      = { id = "lkc-00000", bootstrap = "SASL_SSL://pkc-00000.local:9092" }
  depends_on = [terraform_data.environment]
  provisioner "local-exec" {
    command = "echo provisioning cluster"
  }
}
output "env" { value = terraform_data.environment.output }
output "bootstrap" { value = terraform_data.cluster.output.bootstrap }
output "secret" {
  value     = var.api_secret
  sensitive = true
}
"#;

async fn run(
    tf: &TerraformCli,
    action: Action,
    dir: &Path,
    vars: &[(String, String)],
) -> (
    cdc_workshop::backend::terraform::cli::RunResult,
    Vec<UiMessage>,
) {
    let mut seen = Vec::new();
    let result = tf
        .run(
            action,
            dir,
            vars,
            &mut |m| seen.push(m.clone()),
            CancellationToken::new(),
        )
        .await
        .expect("terraform runs");
    (result, seen)
}

#[tokio::test]
async fn init_apply_outputs_and_destroy_a_module() {
    let Some(tf) = terraform().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    module(dir.path(), OK_MODULE);
    let vars = vec![
        ("env_name".to_string(), "cdc-workshop".to_string()),
        ("api_secret".to_string(), "s3cr3t-value".to_string()),
    ];

    let (init, _) = run(&tf, Action::Init, dir.path(), &[]).await;
    assert!(init.succeeded(), "{init:?}");

    let (apply, seen) = run(&tf, Action::Apply, dir.path(), &vars).await;
    assert!(
        apply.succeeded() && apply.progress.succeeded(),
        "{:?}",
        apply.progress.diagnostics
    );
    assert_eq!((apply.progress.finished(), apply.progress.total()), (2, 2));
    assert!(
        apply
            .progress
            .resources
            .values()
            .all(|r| r.state == ResourceState::Done)
    );
    assert!(
        apply.progress.resources["terraform_data.cluster"]
            .provision_output
            .iter()
            .any(|l| l == "provisioning cluster")
    );
    assert!(
        matches!(seen.first(), Some(UiMessage::Version { .. })),
        "{:?}",
        &seen[..seen.len().min(3)]
    );
    // The stream never carries the sensitive value; `output -json` does.
    assert!(apply.progress.outputs["secret"].value.is_none());
    let outputs = tf.outputs(dir.path()).await.expect("outputs");
    assert_eq!(outputs["env"].as_text(), "env-cdc-workshop");
    assert_eq!(
        outputs["bootstrap"].as_text(),
        "SASL_SSL://pkc-00000.local:9092"
    );
    assert_eq!(
        (
            outputs["secret"].sensitive,
            outputs["secret"].as_text().as_str()
        ),
        (true, "s3cr3t-value")
    );

    // A second apply finds everything in place: the state was kept.
    let (again, _) = run(&tf, Action::Apply, dir.path(), &vars).await;
    assert!(again.succeeded());
    assert_eq!(again.progress.total(), 0, "nothing to change");

    let (destroy, _) = run(&tf, Action::Destroy, dir.path(), &vars).await;
    assert!(destroy.succeeded());
    assert_eq!(destroy.progress.result.map(|(_, c)| c.remove), Some(2));
    assert!(tf.outputs(dir.path()).await.expect("outputs").is_empty());
}

#[tokio::test]
async fn a_failing_provisioner_fails_the_apply_with_its_diagnostic() {
    let Some(tf) = terraform().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    module(
        dir.path(),
        r#"
resource "terraform_data" "connector" {
  provisioner "local-exec" {
    command = "echo validating; echo broken config >&2; exit 3"
  }
}
"#,
    );
    run(&tf, Action::Init, dir.path(), &[]).await;
    let (apply, _) = run(&tf, Action::Apply, dir.path(), &[]).await;
    assert_eq!(apply.exit_code, Some(1));
    assert!(!apply.progress.succeeded());
    assert_eq!(
        apply.progress.resources["terraform_data.connector"].state,
        ResourceState::Failed
    );
    let error = apply.progress.errors().next().expect("an error");
    assert_eq!(error.summary, "local-exec provisioner error");
    assert!(error.detail.contains("exit status 3"), "{}", error.detail);
}

#[tokio::test]
async fn a_missing_variable_is_a_diagnostic_not_a_prompt() {
    let Some(tf) = terraform().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    module(dir.path(), OK_MODULE);
    run(&tf, Action::Init, dir.path(), &[]).await;
    let (apply, _) = tokio::time::timeout(
        Duration::from_secs(60),
        run(&tf, Action::Apply, dir.path(), &[]),
    )
    .await
    .expect("no prompt: it ends");
    assert_eq!(apply.exit_code, Some(1));
    assert!(
        apply
            .progress
            .errors()
            .any(|d| d.summary == "No value for required variable"),
        "{:?}",
        apply.progress.diagnostics
    );
}

#[tokio::test]
async fn cancelling_sends_sigint_and_terraform_stops_gracefully() {
    let Some(tf) = terraform().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    module(
        dir.path(),
        r#"
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 60"
  }
}
"#,
    );
    run(&tf, Action::Init, dir.path(), &[]).await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    let result = tf
        .run(
            Action::Apply,
            dir.path(),
            &[],
            &mut |m| {
                if matches!(m, UiMessage::ProvisionStart(_)) {
                    trigger.cancel();
                }
                seen.push(m.clone());
            },
            cancel,
        )
        .await
        .expect("runs");
    assert!(
        result.interrupted && !result.killed,
        "stopped by SIGINT alone: {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "it did not wait for the 60 s sleep"
    );
    assert!(
        result.progress.interrupted,
        "terraform acknowledged the interrupt"
    );
    assert_eq!(result.exit_code, Some(1));
    // The lock was released: a new apply can start (and is interrupted the same way).
    let (plan_again, _) = run(&tf, Action::Destroy, dir.path(), &[]).await;
    assert!(plan_again.progress.lock.is_none(), "no lock left behind");
}

#[tokio::test]
async fn a_missing_binary_says_how_to_install_it() {
    let err = TerraformCli::locate(
        None,
        Some(std::ffi::OsStr::new("/nonexistent-a:/nonexistent-b")),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent-a:/nonexistent-b"), "{err}");
    assert!(
        err.contains("https://developer.hashicorp.com/terraform/install"),
        "{err}"
    );
}
