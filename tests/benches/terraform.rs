//! Budget (issue 3): applying through the runner costs < 5 % wall time over running
//! `terraform apply -json` directly. Module: 50 `terraform_data` resources, no provider download.
//!
//! Run: `cargo bench --bench terraform` (needs Terraform >= 1.4 on PATH).

#![allow(
    clippy::expect_used,
    reason = "a benchmark fails loudly when its setup fails"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cdc_workshop::backend::terraform::cli::{Action, TerraformCli};
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
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), MODULE).expect("module");
    std::fs::write(dir.path().join(".cdc-workshop.tfrc"), b"").expect("cli config");
    direct(dir.path(), &["init", "-input=false", "-no-color"]);

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
                    dir.path(),
                    &[
                        "apply",
                        "-json",
                        "-input=false",
                        "-auto-approve",
                        "-lock-timeout=0s",
                    ],
                );
                total += start.elapsed();
                direct(
                    dir.path(),
                    &["destroy", "-json", "-input=false", "-auto-approve"],
                );
            }
            total
        });
    });
    group.bench_function("through the runner", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let result = runtime
                    .block_on(tf.run(
                        Action::Apply,
                        dir.path(),
                        &[],
                        &mut |_| {},
                        CancellationToken::new(),
                    ))
                    .expect("apply");
                total += start.elapsed();
                assert!(result.succeeded());
                direct(
                    dir.path(),
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
