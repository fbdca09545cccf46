//! `LiveProber` env and file checks: an injected environment, the real one, temp dirs.

// Test helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runner.rs"]
mod support;

use cdc_workshop::lesson::CheckKind;
use cdc_workshop::runner::outcome::{Observation, Verdict};
use cdc_workshop::runner::probe::LiveProber;
use cdc_workshop::runner::{ProbeContext, Prober};
use support::{env_check, file_check, probe_ctx, prober_with_env};

async fn probe_once(kind: CheckKind, ctx: &ProbeContext) -> Observation {
    LiveProber::new().unwrap().probe(&kind, ctx).await
}

// ---------------------------------------------------------------------------------------------
// env

#[tokio::test]
async fn env_checks() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = probe_ctx(&[], dir.path());
    let key = "ABCDEFGHIJKLMNOP";
    let secret = "0123456789abcdef0123456789abcdef01234567";
    let prober = prober_with_env(&[
        ("CONFLUENT_CLOUD_API_KEY", key),
        ("CONFLUENT_CLOUD_API_SECRET", secret),
        ("EMPTY_ONE", ""),
        ("CLOUD", "aws"),
    ]);
    let cases = [
        (
            env_check("RUNNER_TEST_NEVER_SET", None, false),
            Verdict::Fail,
            "RUNNER_TEST_NEVER_SET is not set".to_string(),
        ),
        (
            env_check("EMPTY_ONE", None, false),
            Verdict::Fail,
            "EMPTY_ONE is set but empty".to_string(),
        ),
        (
            env_check("CLOUD", Some("^(aws|gcp|azure)$"), false),
            Verdict::Pass,
            "CLOUD=aws, matches /^(aws|gcp|azure)$/".to_string(),
        ),
        (
            env_check("CLOUD", Some("^gcp$"), false),
            Verdict::Fail,
            "CLOUD=aws, does not match /^gcp$/".to_string(),
        ),
        (
            env_check("CONFLUENT_CLOUD_API_SECRET", None, true),
            Verdict::Pass,
            "CONFLUENT_CLOUD_API_SECRET is set (40 chars)".to_string(),
        ),
        (
            env_check("CONFLUENT_CLOUD_API_SECRET", Some("^[A-Z]+$"), true),
            Verdict::Fail,
            "CONFLUENT_CLOUD_API_SECRET is set (40 chars), does not match /^[A-Z]+$/".to_string(),
        ),
        (
            env_check("CONFLUENT_CLOUD_API_KEY", Some("^[A-Z0-9]{16}$"), false),
            Verdict::Pass,
            format!("CONFLUENT_CLOUD_API_KEY={key}, matches /^[A-Z0-9]{{16}}$/"),
        ),
        (
            env_check("CLOUD", Some("(unclosed"), false),
            Verdict::Fail,
            String::new(),
        ),
    ];
    for (kind, verdict, observed) in cases {
        let obs = prober.probe(&kind, &ctx).await;
        assert_eq!(obs.verdict, verdict, "{kind:?}: {}", obs.observed);
        if observed.is_empty() {
            assert!(obs.observed.contains("is invalid"), "{}", obs.observed);
        } else {
            assert_eq!(obs.observed, observed);
        }
        assert!(!obs.observed.contains(secret));
    }
}

#[tokio::test]
async fn env_reads_the_real_process_environment_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = probe_ctx(&[], dir.path());
    let path = std::env::var("PATH").unwrap();
    let obs = probe_once(env_check("PATH", None, false), &ctx).await;
    assert_eq!(obs, Observation::new(Verdict::Pass, format!("PATH={path}")));
    let obs = probe_once(env_check("PATH", None, true), &ctx).await;
    assert_eq!(
        obs.observed,
        format!("PATH is set ({} chars)", path.chars().count())
    );
    let obs = probe_once(
        env_check("CDC_WORKSHOP_RUNNER_TEST_UNSET_91f3", None, false),
        &ctx,
    )
    .await;
    assert_eq!(obs.verdict, Verdict::Fail);
}

// ---------------------------------------------------------------------------------------------
// file

#[tokio::test]
async fn file_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("marker.txt"), "hello\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/cluster.env"), "CLUSTER_ID=lkc-12ab\n").unwrap();
    let ctx = probe_ctx(&[("outputs.cluster.file", "sub/cluster.env")], dir.path());
    let abs = dir.path().join("marker.txt");
    let abs = abs.to_str().unwrap();
    let cases = [
        (
            file_check("marker.txt", true, None, None),
            Verdict::Pass,
            "marker.txt: 6 bytes".to_string(),
        ),
        (
            file_check(abs, true, None, None),
            Verdict::Pass,
            format!("{abs}: 6 bytes"),
        ),
        (
            file_check("marker.txt", true, Some("hello"), None),
            Verdict::Pass,
            "marker.txt: 6 bytes, contains 'hello'".to_string(),
        ),
        (
            file_check("marker.txt", true, Some("goodbye"), None),
            Verdict::Fail,
            "marker.txt: 6 bytes, no 'goodbye'".to_string(),
        ),
        (
            file_check(
                "{{ outputs.cluster.file }}",
                true,
                None,
                Some(r"CLUSTER_ID=lkc-\w+"),
            ),
            Verdict::Pass,
            r"sub/cluster.env: 20 bytes, matches /CLUSTER_ID=lkc-\w+/".to_string(),
        ),
        (
            file_check(
                "{{ outputs.cluster.file }}",
                true,
                Some("CLUSTER"),
                Some("^lsrc"),
            ),
            Verdict::Fail,
            "sub/cluster.env: 20 bytes, contains 'CLUSTER', no match for /^lsrc/".to_string(),
        ),
        (
            file_check("missing.txt", true, None, None),
            Verdict::Fail,
            "missing.txt does not exist".to_string(),
        ),
        (
            file_check("missing.txt", false, None, None),
            Verdict::Pass,
            "missing.txt is absent".to_string(),
        ),
        (
            file_check("marker.txt", false, None, None),
            Verdict::Fail,
            "marker.txt exists but should not".to_string(),
        ),
        (
            file_check("sub", true, None, None),
            Verdict::Pass,
            "sub: directory".to_string(),
        ),
        (
            file_check("sub", true, Some("x"), None),
            Verdict::Fail,
            "sub is a directory, not a file".to_string(),
        ),
    ];
    for (kind, verdict, observed) in cases {
        let obs = probe_once(kind, &ctx).await;
        assert_eq!(obs, Observation::new(verdict, observed));
    }
}

#[tokio::test]
async fn file_path_with_a_missing_output_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let obs = probe_once(
        file_check("{{ outputs.vm.key_file }}", true, None, None),
        &probe_ctx(&[], dir.path()),
    )
    .await;
    assert_eq!(obs.verdict, Verdict::Fail);
    assert!(
        obs.observed.starts_with("{{ outputs.vm.key_file }}: "),
        "{}",
        obs.observed
    );
}
