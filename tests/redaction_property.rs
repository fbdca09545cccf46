//! Property: whatever the secret and wherever it stands, in whichever encoding a tool prints it,
//! no secret survives the redactor; and a secret a process writes in several chunks of one line
//! is masked in the step's log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runner.rs"]
mod support;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cdc_workshop::lesson::{ShellStep, StepKind};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::process::ProcessExecutor;
use cdc_workshop::runner::{LogSink, StepExecutor, StepRun};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{tpl, values};
use tokio_util::sync::CancellationToken;

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.~!@#$%^&*() :;,?";

fn random_string(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn url_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn no_secret_survives_in_any_encoding_anywhere_in_the_text() {
    let mut rng = StdRng::seed_from_u64(0x5EC2E7);
    for round in 0..2000 {
        let redactor = Redactor::new();
        let len = rng.random_range(8..48);
        let secret = random_string(&mut rng, len);
        let user = random_string(&mut rng, 16).replace(':', "x");
        redactor.add(&secret);
        redactor.add_basic_auth(&user, &secret);
        let forms = [
            secret.clone(),
            BASE64.encode(&secret),
            url_encoded(&secret),
            BASE64.encode(format!("{user}:{secret}")),
        ];
        let form = &forms[round % forms.len()];
        let (b, a) = (rng.random_range(0..60), rng.random_range(0..60));
        let before = random_string(&mut rng, b);
        let after = random_string(&mut rng, a);
        let text = format!("{before}{form}{after} and again: {form}");
        let shown = redactor.redact(&text);
        for f in &forms {
            assert!(
                !shown.contains(f.as_str()),
                "round {round}: {f:?} survived in {shown:?}"
            );
        }
        assert!(
            shown.contains('•'),
            "round {round}: nothing was masked in {shown:?}"
        );
    }
}

#[tokio::test]
async fn a_secret_written_in_pieces_on_one_line_is_masked_in_the_log() {
    let secret = "Pieces-0f-a-Secret-Value";
    let redactor = Redactor::new();
    redactor.add(secret);
    // The process writes the secret in three chunks with pauses, so the reader sees partial
    // lines; lines are only emitted whole, and only then redacted.
    let command = "printf '%s' 'key=Pieces-0f'; sleep 0.1; printf '%s' '-a-Secret'; sleep 0.1; printf '%s\\n' '-Value done'";
    let step = StepKind::Shell(ShellStep {
        command: tpl(command),
        cwd: None,
        env: BTreeMap::new(),
    });
    let dir = tempfile::tempdir().unwrap();
    let run = StepRun {
        lesson: "l".into(),
        step: "s".into(),
        kind: step,
        outputs: vec![],
        timeout: None,
        values: values(&[]),
        work_dir: dir.path().to_path_buf(),
    };
    let (sink, mut rx) = LogSink::channel(redactor);
    let outcome = ProcessExecutor::new()
        .execute(&run, sink, CancellationToken::new())
        .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l.text);
    }
    let output: Vec<&String> = lines.iter().filter(|l| l.starts_with("key=")).collect();
    assert_eq!(output, vec!["key=•••• done"], "{lines:?}");
}
