//! Budget (issue 3): applying a module through the guide's terraform step runner costs < 5 %
//! wall time over running `terraform apply -json` directly. Module: 50 `terraform_data` resources, no provider download.
//!
//! Run: `cargo bench --bench terraform` (needs Terraform >= 1.4 on PATH).

#![allow(
    clippy::expect_used,
    reason = "a benchmark fails loudly when its setup fails"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;
use std::sync::Arc;

use cdc_workshop::assets::Assets;
use cdc_workshop::backend::terraform::cli::TerraformCli;
use cdc_workshop::lesson::{StepKind, TerraformAction, TerraformStep};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::clock::SystemClock;
use cdc_workshop::runner::terraform::TerraformRunner;
use cdc_workshop::runner::{LogSink, PROGRESS_CHANNEL_LEN, StepRun};
use cdc_workshop::values::{Secrets, ValueSnapshot};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio_util::sync::CancellationToken;

const MODULE: &str = r#"
resource "terraform_data" "r" {
  count = 50
  input = "resource-${count.index}"
}
"#;

fn direct(dir: &Path, args: &[&str]) {
    let status = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", dir.join(".cdc-workshop.tfrc"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .expect("terraform runs")
        .status;
    assert!(status.success(), "terraform {args:?} failed");
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Ok(mut tf) = TerraformCli::locate(None, std::env::var_os("PATH").as_deref()) else {
        eprintln!("terraform is not on PATH: nothing to measure");
        return;
    };
    runtime
        .block_on(tf.check_version())
        .expect("terraform >= 1.4");
    let assets = tempfile::tempdir().expect("temp dir");
    let module_dir = assets.path().join("terraform/bench");
    std::fs::create_dir_all(&module_dir).expect("module dir");
    std::fs::write(module_dir.join("main.tf"), MODULE).expect("module");
    let root = tempfile::tempdir().expect("temp dir");
    let runner = TerraformRunner::new(
        root.path().to_path_buf(),
        Assets::Directory(assets.path().to_path_buf()),
        Some(tf.binary().to_path_buf()),
        Secrets::new(Redactor::new()),
        Redactor::new(),
        Arc::new(SystemClock),
    );
    let step = TerraformStep {
        module: "bench".into(),
        action: TerraformAction::Apply,
        vars: BTreeMap::new(),
        secret_outputs: BTreeMap::new(),
    };
    let step_run = StepRun {
        lesson: "bench".into(),
        step: "bench".into(),
        kind: StepKind::Terraform(step.clone()),
        outputs: Vec::new(),
        timeout: None,
        values: Arc::new(ValueSnapshot::default()),
        work_dir: root.path().to_path_buf(),
    };
    // One run through the guide materialises and initialises the workspace both sides share.
    let first = runtime.block_on(runner.execute(
        &step_run,
        &step,
        &LogSink::channel(Redactor::new()).0,
        CancellationToken::new(),
    ));
    assert!(first.succeeded(), "{first:?}");
    let workspace = runner.workspace("bench");
    direct(
        &workspace,
        &["destroy", "-json", "-input=false", "-auto-approve"],
    );
    let dir = &workspace;

    let mut group = c.benchmark_group("apply 50 terraform_data");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("terraform directly", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                direct(
                    dir,
                    &[
                        "apply",
                        "-json",
                        "-input=false",
                        "-auto-approve",
                        "-lock-timeout=0s",
                    ],
                );
                total += start.elapsed();
                direct(dir, &["destroy", "-json", "-input=false", "-auto-approve"]);
            }
            total
        });
    });
    // The guide's own path: the terraform step runner (materialise, redaction, typed progress
    // to a reader, outputs, ledger), exactly as a lesson step runs it.
    group.bench_function("through the guide's step runner", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let outcome = runtime.block_on(async {
                    let (sink, mut lines) = LogSink::channel(Redactor::new());
                    let (tx, mut progress) = tokio::sync::mpsc::channel(PROGRESS_CHANNEL_LEN);
                    let sink = sink.with_progress(tx);
                    let reader = tokio::spawn(async move {
                        loop {
                            tokio::select! {
                                l = lines.recv() => if l.is_none() { break },
                                p = progress.recv() => if p.is_none() { break },
                            }
                        }
                    });
                    let outcome = runner
                        .execute(&step_run, &step, &sink, CancellationToken::new())
                        .await;
                    drop(sink);
                    let _ = reader.await;
                    outcome
                });
                total += start.elapsed();
                assert!(outcome.succeeded(), "{outcome:?}");
                direct(
                    &workspace,
                    &["destroy", "-json", "-input=false", "-auto-approve"],
                );
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
