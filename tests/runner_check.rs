//! The check engine against a scripted prober, in virtual time.

// Test helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runner.rs"]
mod support;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use cdc_workshop::lesson::{CheckKind, CheckSpec, EnvCheck, Messages, PollPolicy, SourcePos};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::backoff::FixedJitter;
use cdc_workshop::runner::check::{CheckRunner, run_check};
use cdc_workshop::runner::clock::SystemClock;
use cdc_workshop::runner::outcome::{CheckAttempt, Observation, Verdict};
use cdc_workshop::runner::{ProbeContext, Prober};
use futures::FutureExt;
use futures::future::BoxFuture;
use support::values;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn ctx(redactor: Redactor) -> ProbeContext {
    ProbeContext {
        values: values(&[]),
        redactor,
        work_dir: PathBuf::from("/nonexistent"),
    }
}

/// Answers from a script, repeating the last answer forever; remembers when it was asked.
struct Scripted {
    script: Mutex<VecDeque<Observation>>,
    last: Mutex<Option<Observation>>,
    asked_at: Mutex<Vec<Instant>>,
}

impl Scripted {
    fn new(script: &[(Verdict, &str)]) -> Self {
        Self {
            script: Mutex::new(
                script
                    .iter()
                    .map(|(v, o)| Observation::new(*v, *o))
                    .collect(),
            ),
            last: Mutex::new(None),
            asked_at: Mutex::new(Vec::new()),
        }
    }

    fn asked_at(&self) -> Vec<Instant> {
        self.asked_at.lock().unwrap().clone()
    }
}

impl Prober for Scripted {
    fn probe<'a>(&'a self, _: &'a CheckKind, _: &'a ProbeContext) -> BoxFuture<'a, Observation> {
        self.asked_at.lock().unwrap().push(Instant::now());
        let next = self.script.lock().unwrap().pop_front();
        let obs = match next {
            Some(o) => {
                *self.last.lock().unwrap() = Some(o.clone());
                o
            }
            None => self.last.lock().unwrap().clone().unwrap(),
        };
        futures::future::ready(obs).boxed()
    }
}

/// Never answers: a probe stuck on the network.
struct Hanging;

impl Prober for Hanging {
    fn probe<'a>(&'a self, _: &'a CheckKind, _: &'a ProbeContext) -> BoxFuture<'a, Observation> {
        futures::future::pending().boxed()
    }
}

fn spec(deadline_s: u64, messages: Messages) -> CheckSpec {
    CheckSpec {
        kind: CheckKind::Env(EnvCheck {
            name: "UNUSED".into(),
            matches: None,
            secret: false,
        }),
        deadline: Duration::from_secs(deadline_s),
        poll: PollPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.2,
        },
        messages,
        pos: SourcePos::new("lessons/test.md", 1),
    }
}

async fn run(
    spec: &CheckSpec,
    prober: &dyn Prober,
    ctx: &ProbeContext,
    jitter: FixedJitter,
    cancel: CancellationToken,
) -> (
    cdc_workshop::runner::outcome::CheckReport,
    Vec<CheckAttempt>,
) {
    let mut attempts = Vec::new();
    let report = CheckRunner::new(prober, &SystemClock)
        .with_jitter(&jitter)
        .run(spec, ctx, cancel, &mut |a| attempts.push(a))
        .await;
    (report, attempts)
}

fn secs(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[tokio::test(start_paused = true)]
async fn pending_pending_pass_waits_exactly_the_backoff() {
    let prober = Scripted::new(&[
        (Verdict::Pending, "HTTP 503"),
        (Verdict::Pending, "HTTP 503"),
        (Verdict::Pass, "HTTP 200"),
    ]);
    let start = Instant::now();
    let (report, attempts) = run(
        &spec(120, Messages::default()),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;

    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.attempts, 3);
    assert_eq!(report.observed, "HTTP 200");
    assert_eq!(report.message, "Passed: HTTP 200");
    // 1 s after the first attempt, 2 s after the second: nothing more, nothing less.
    assert_eq!(start.elapsed(), secs(3000));
    let offsets: Vec<Duration> = prober.asked_at().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [secs(0), secs(1000), secs(3000)]);

    let seen: Vec<(u32, Verdict, Option<Duration>, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a.attempt,
                a.observation.verdict,
                a.next_in,
                a.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                1,
                Verdict::Pending,
                Some(secs(1000)),
                "Still waiting: HTTP 503 (attempt 1, next in 1s)"
            ),
            (
                2,
                Verdict::Pending,
                Some(secs(2000)),
                "Still waiting: HTTP 503 (attempt 2, next in 2s)"
            ),
            (3, Verdict::Pass, None, "Passed: HTTP 200"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn jitter_is_applied_to_every_wait() {
    let prober = Scripted::new(&[
        (Verdict::Pending, "starting"),
        (Verdict::Fail, "wrong"),
        (Verdict::Pass, "ok"),
    ]);
    let start = Instant::now();
    // 0.75 → +10 % with jitter 0.2: 1.1 s then 2.2 s.
    let (report, attempts) = run(
        &spec(120, Messages::default()),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter(0.75),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(start.elapsed(), secs(3300));
    assert_eq!(
        attempts[1].message,
        "Not right yet: wrong (attempt 2, next in 2s)"
    );
}

#[tokio::test(start_paused = true)]
async fn failing_until_the_deadline_fails_exactly_at_the_deadline() {
    let prober = Scripted::new(&[(Verdict::Fail, "HTTP 404")]);
    let start = Instant::now();
    let (report, attempts) = run(
        &spec(10, Messages::default()),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;

    // Attempts at 0, 1, 3 and 7 s; the 8 s wait is cut to 3 s so the last one lands on 10 s.
    let offsets: Vec<Duration> = prober.asked_at().iter().map(|t| *t - start).collect();
    assert_eq!(
        offsets,
        [secs(0), secs(1000), secs(3000), secs(7000), secs(10_000)]
    );
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.attempts, 5);
    assert_eq!(report.observed, "HTTP 404");
    assert_eq!(
        report.message,
        "Failed after 10s (5 attempt(s)); last seen: HTTP 404"
    );
    let waits: Vec<Option<Duration>> = attempts.iter().map(|a| a.next_in).collect();
    assert_eq!(
        waits,
        [
            Some(secs(1000)),
            Some(secs(2000)),
            Some(secs(4000)),
            Some(secs(3000)),
            None
        ]
    );
    assert_eq!(attempts.last().unwrap().observation.verdict, Verdict::Fail);
    assert_eq!(attempts.last().unwrap().message, report.message);
}

#[tokio::test(start_paused = true)]
async fn pending_at_the_deadline_is_a_failure_with_the_authors_message() {
    let prober = Scripted::new(&[(Verdict::Pending, "connector PROVISIONING")]);
    let messages = Messages {
        fail: Some("The connector never started ({{ observed }}).".into()),
        pending: Some("Waiting for the connector: {{observed}}".into()),
        ..Messages::default()
    };
    let (report, attempts) = run(
        &spec(5, messages),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(
        report.message,
        "The connector never started (connector PROVISIONING)."
    );
    assert_eq!(
        attempts[0].message,
        "Waiting for the connector: connector PROVISIONING"
    );
}

#[tokio::test(start_paused = true)]
async fn zero_deadline_means_exactly_one_attempt() {
    let prober = Scripted::new(&[(Verdict::Pending, "not yet"), (Verdict::Pass, "ok")]);
    let (report, attempts) = run(
        &spec(0, Messages::default()),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.attempts, 1);
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        report.message,
        "Failed after 0ms (1 attempt(s)); last seen: not yet"
    );
}

#[tokio::test(start_paused = true)]
async fn warn_stops_polling_with_the_warn_message() {
    let prober = Scripted::new(&[(Verdict::Warn, "terraform 1.3 (1.5+ recommended)")]);
    let messages = Messages {
        warn: Some("Works, but upgrade: {{ observed }}".into()),
        ..Messages::default()
    };
    let start = Instant::now();
    let (report, attempts) = run(
        &spec(60, messages),
        &prober,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Warn);
    assert_eq!(report.attempts, 1);
    assert_eq!(
        report.message,
        "Works, but upgrade: terraform 1.3 (1.5+ recommended)"
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(prober.asked_at().len(), 1);
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].next_in, None);
}

#[tokio::test(start_paused = true)]
async fn custom_pass_message_gets_the_observation() {
    let prober = Scripted::new(&[(Verdict::Pass, "3 topics")]);
    let messages = Messages {
        pass: Some("Found {{ observed }}, well done".into()),
        ..Messages::default()
    };
    let mut count = 0;
    let report = run_check(
        &spec(60, messages),
        &prober,
        &ctx(Redactor::new()),
        &SystemClock,
        CancellationToken::new(),
        &mut |_| count += 1,
    )
    .await;
    assert_eq!(report.message, "Found 3 topics, well done");
    assert_eq!(count, 1);
}

#[tokio::test(start_paused = true)]
async fn cancel_during_the_wait_returns_at_once() {
    let prober = Scripted::new(&[(Verdict::Pending, "HTTP 503")]);
    let cancel = CancellationToken::new();
    let start = Instant::now();
    let mut attempts = Vec::new();
    let canceller = cancel.clone();
    let report = CheckRunner::new(&prober, &SystemClock)
        .with_jitter(&FixedJitter::NONE)
        .run(
            &spec(120, Messages::default()),
            &ctx(Redactor::new()),
            cancel,
            &mut |a| {
                // Cancel while the engine is about to sleep 2 s after the second attempt.
                if a.attempt == 2 {
                    canceller.cancel();
                }
                attempts.push(a);
            },
        )
        .await;
    assert_eq!(report.verdict, Verdict::Pending);
    assert_eq!(report.attempts, 2);
    assert_eq!(
        report.message,
        "Cancelled by you after 2 attempt(s); last seen: HTTP 503"
    );
    // The second attempt happened at 1 s; the 2 s sleep after it never ran.
    assert_eq!(start.elapsed(), secs(1000));
    assert_eq!(prober.asked_at().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn cancel_interrupts_a_probe_that_hangs() {
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    let start = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        canceller.cancel();
    });
    let (report, attempts) = run(
        &spec(120, Messages::default()),
        &Hanging,
        &ctx(Redactor::new()),
        FixedJitter::NONE,
        cancel,
    )
    .await;
    assert_eq!(report.verdict, Verdict::Pending);
    assert_eq!(report.attempts, 0);
    assert!(
        report.message.starts_with("Cancelled by you"),
        "{}",
        report.message
    );
    assert!(attempts.is_empty());
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn secrets_in_observations_and_messages_are_redacted() {
    let redactor = Redactor::new();
    redactor.add("sk-live-0123456789");
    let prober = Scripted::new(&[
        (Verdict::Pending, "token sk-live-0123456789 rejected"),
        (Verdict::Pass, "accepted sk-live-0123456789"),
    ]);
    let (report, attempts) = run(
        &spec(60, Messages::default()),
        &prober,
        &ctx(redactor),
        FixedJitter::NONE,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(attempts[0].observation.observed, "token •••• rejected");
    assert_eq!(
        attempts[0].message,
        "Still waiting: token •••• rejected (attempt 1, next in 1s)"
    );
    assert_eq!(report.observed, "accepted ••••");
    assert_eq!(report.message, "Passed: accepted ••••");
    for a in &attempts {
        assert!(!format!("{a:?}").contains("sk-live"));
    }
}

/// The request rate of a polling check with the default policy (1 s, doubling, at most 30 s),
/// for a resource that stays pending: a burst while things usually change, then two a minute.
/// Each Confluent check attempt is one API call (two for a subject with a compatibility).
#[tokio::test(start_paused = true)]
async fn a_pending_check_polls_six_times_in_its_first_minute_then_twice_a_minute() {
    let mut s = spec(600, Messages::default());
    s.poll = PollPolicy::default();
    let prober = Scripted::new(&[(Verdict::Pending, "PROVISIONING")]);
    let start = Instant::now();
    let (report, _) = run(
        &s,
        &prober,
        &ctx(Redactor::new()),
        FixedJitter(0.5),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Fail);
    let per_minute = |m: u64| {
        prober
            .asked_at()
            .iter()
            .filter(|t| {
                t.duration_since(start) >= Duration::from_secs(m * 60)
                    && t.duration_since(start) < Duration::from_secs((m + 1) * 60)
            })
            .count()
    };
    assert_eq!(
        per_minute(0),
        6,
        "t = 0, 1, 3, 7, 15 and 31 s; the next comes at 61 s"
    );
    for m in 2..9 {
        assert_eq!(per_minute(m), 2, "minute {m}");
    }
}
