//! `LiveProber` http checks (and `all`/`any` over real probes) against a local axum server.

// Test helpers outside #[test] fns are not covered by clippy's allow-*-in-tests settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/runner.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use cdc_workshop::lesson::{CheckKind, CheckSpec, HttpCheck, HttpMethod};
use cdc_workshop::runner::backoff::FixedJitter;
use cdc_workshop::runner::check::CheckRunner;
use cdc_workshop::runner::clock::SystemClock;
use cdc_workshop::runner::outcome::{Observation, Verdict};
use cdc_workshop::runner::probe::LiveProber;
use cdc_workshop::runner::{ProbeContext, Prober};
use support::{env_check, fast_spec, file_check, probe_ctx, prober_with_env, tpl};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "tok-SECRET-4711";

async fn probe_once(kind: CheckKind, ctx: &ProbeContext) -> Observation {
    LiveProber::new().unwrap().probe(&kind, ctx).await
}

// ---------------------------------------------------------------------------------------------
// http

#[derive(Default)]
struct Server {
    health_hits: AtomicU32,
    unavailable_for: u32,
    auth_seen: Mutex<Vec<String>>,
}

async fn health(State(s): State<Arc<Server>>) -> (StatusCode, &'static str) {
    let hit = s.health_hits.fetch_add(1, Ordering::SeqCst);
    if hit < s.unavailable_for {
        (StatusCode::SERVICE_UNAVAILABLE, "starting")
    } else {
        (StatusCode::OK, "{\"status\":\"ok\"}")
    }
}

async fn secure(State(s): State<Arc<Server>>, headers: HeaderMap) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.auth_seen.lock().unwrap().push(auth.clone());
    if auth == format!("Bearer {TOKEN}") {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "late"
}

async fn serve(unavailable_for: u32) -> (SocketAddr, Arc<Server>) {
    let state = Arc::new(Server {
        unavailable_for,
        ..Server::default()
    });
    let app = Router::new()
        .route("/health", get(health))
        .route("/secure", get(secure))
        .route("/slow", get(slow))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, state)
}

fn http(url: &str) -> HttpCheck {
    HttpCheck {
        url: tpl(url),
        method: HttpMethod::Get,
        headers: BTreeMap::new(),
        expect_status: vec![200],
        transient_status: vec![429, 502, 503, 504],
        body_contains: None,
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn http_check_polls_through_503s_until_200() {
    let (addr, server) = serve(3).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = probe_ctx(&[("vars.base", &format!("http://{addr}"))], dir.path());
    let mut check = http("{{ vars.base }}/health");
    check.body_contains = Some("\"ok\"".into());
    let prober = LiveProber::new().unwrap();
    let mut attempts = Vec::new();
    let report = CheckRunner::new(&prober, &SystemClock)
        .with_jitter(&FixedJitter::NONE)
        .run(
            &fast_spec(CheckKind::Http(check)),
            &ctx,
            CancellationToken::new(),
            &mut |a| attempts.push(a),
        )
        .await;

    let url = format!("http://{addr}/health");
    let seen: Vec<(Verdict, String)> = attempts
        .iter()
        .map(|a| (a.observation.verdict, a.observation.observed.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (Verdict::Pending, format!("HTTP 503 from {url}")),
            (Verdict::Pending, format!("HTTP 503 from {url}")),
            (Verdict::Pending, format!("HTTP 503 from {url}")),
            (
                Verdict::Pass,
                format!("HTTP 200 from {url}, body contains '\"ok\"'")
            ),
        ]
    );
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.attempts, 4);
    assert_eq!(server.health_hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn connection_refused_is_pending() {
    // Bind and release a port so nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let obs = probe_once(CheckKind::Http(http(&url)), &probe_ctx(&[], dir.path())).await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Pending, format!("connection refused: {url}"))
    );
}

#[tokio::test]
async fn a_slow_server_is_pending_after_the_timeout() {
    let (addr, _) = serve(0).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/slow");
    let mut check = http(&url);
    check.timeout = Duration::from_millis(200);
    let obs = probe_once(CheckKind::Http(check), &probe_ctx(&[], dir.path())).await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Pending, format!("no answer within 200ms: {url}"))
    );
}

#[tokio::test]
async fn unexpected_status_fails_and_transient_list_is_respected() {
    let (addr, _) = serve(100).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = probe_ctx(&[], dir.path());
    let missing = format!("http://{addr}/nope");
    let obs = probe_once(CheckKind::Http(http(&missing)), &ctx).await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Fail, format!("HTTP 404 from {missing}"))
    );

    // 503 that the author did not list as transient is a plain failure.
    let health = format!("http://{addr}/health");
    let mut check = http(&health);
    check.transient_status = vec![];
    let obs = probe_once(CheckKind::Http(check), &ctx).await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Fail, format!("HTTP 503 from {health}"))
    );

    // And a status the author expects passes, whatever it is.
    let mut check = http(&missing);
    check.expect_status = vec![404];
    check.method = HttpMethod::Head;
    let obs = probe_once(CheckKind::Http(check), &ctx).await;
    assert_eq!(obs.verdict, Verdict::Pass);
}

#[tokio::test]
async fn body_contains_must_hold() {
    let (addr, _) = serve(0).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/health");
    let mut check = http(&url);
    check.body_contains = Some("RUNNING".into());
    let obs = probe_once(CheckKind::Http(check), &probe_ctx(&[], dir.path())).await;
    assert_eq!(
        obs,
        Observation::new(
            Verdict::Fail,
            format!("HTTP 200 from {url}, body lacks 'RUNNING'")
        )
    );
}

#[tokio::test]
async fn secret_header_is_sent_but_never_observed() {
    let (addr, server) = serve(0).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = probe_ctx(
        &[
            ("vars.base", &format!("http://{addr}")),
            ("secrets.token", TOKEN),
        ],
        dir.path(),
    );
    let mut check = http("{{ vars.base }}/secure?key={{ secrets.token }}");
    check
        .headers
        .insert("Authorization".into(), tpl("Bearer {{ secrets.token }}"));
    let obs = probe_once(CheckKind::Http(check), &ctx).await;

    assert_eq!(
        server.auth_seen.lock().unwrap().as_slice(),
        [format!("Bearer {TOKEN}")]
    );
    assert_eq!(
        obs,
        Observation::new(
            Verdict::Pass,
            format!("HTTP 200 from http://{addr}/secure?key=••••")
        )
    );
    assert!(!obs.observed.contains(TOKEN));
}

#[tokio::test]
async fn a_missing_template_value_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let obs = probe_once(
        CheckKind::Http(http("{{ outputs.vm.url }}/health")),
        &probe_ctx(&[], dir.path()),
    )
    .await;
    assert_eq!(obs.verdict, Verdict::Fail);
    assert!(obs.observed.contains("outputs.vm.url"), "{}", obs.observed);
    assert!(
        obs.observed.contains("run the step that provides it"),
        "{}",
        obs.observed
    );
}

// ---------------------------------------------------------------------------------------------
// all / any

#[tokio::test]
async fn all_and_any_combine_real_probes() {
    let (addr, _) = serve(1000).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("marker.txt"), "hello\n").unwrap();
    let ctx = probe_ctx(&[], dir.path());
    let prober = prober_with_env(&[("CLOUD", "aws")]);
    let url = format!("http://{addr}/health");
    let env_ok = fast_spec(env_check("CLOUD", None, false));
    let env_missing = fast_spec(env_check("CONFLUENT_CLOUD_API_KEY", None, true));
    let file_ok = fast_spec(file_check("marker.txt", true, None, None));
    let http_pending = fast_spec(CheckKind::Http(http(&url)));

    let obs = prober
        .probe(
            &CheckKind::All(vec![env_ok.clone(), env_missing.clone(), file_ok.clone()]),
            &ctx,
        )
        .await;
    assert_eq!(
        obs,
        Observation::new(
            Verdict::Fail,
            "2/3 passed; env: CONFLUENT_CLOUD_API_KEY is not set"
        )
    );

    let obs = prober
        .probe(
            &CheckKind::All(vec![env_ok.clone(), http_pending.clone()]),
            &ctx,
        )
        .await;
    assert_eq!(
        obs,
        Observation::new(
            Verdict::Pending,
            format!("1/2 passed; http: HTTP 503 from {url}")
        )
    );

    let obs = prober
        .probe(&CheckKind::All(vec![env_ok.clone(), file_ok.clone()]), &ctx)
        .await;
    assert_eq!(obs, Observation::new(Verdict::Pass, "2/2 passed"));

    let obs = prober
        .probe(
            &CheckKind::Any(vec![
                env_missing.clone(),
                http_pending.clone(),
                file_ok.clone(),
            ]),
            &ctx,
        )
        .await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Pass, "1/3 passed; file: marker.txt: 6 bytes")
    );

    let obs = prober
        .probe(
            &CheckKind::Any(vec![env_missing.clone(), http_pending.clone()]),
            &ctx,
        )
        .await;
    assert_eq!(
        obs,
        Observation::new(
            Verdict::Pending,
            format!(
                "0/2 passed; env: CONFLUENT_CLOUD_API_KEY is not set; http: HTTP 503 from {url}"
            )
        )
    );

    // Nested: any(all(env, file), env missing) passes through the inner all.
    let inner = fast_spec(CheckKind::All(vec![env_ok, file_ok]));
    let obs = prober
        .probe(&CheckKind::Any(vec![env_missing, inner]), &ctx)
        .await;
    assert_eq!(
        obs,
        Observation::new(Verdict::Pass, "1/2 passed; all: 2/2 passed")
    );
}

#[tokio::test]
async fn all_probes_children_concurrently() {
    // The server answers /gate only once three requests are waiting at once, so probing the
    // children one after another would time every one of them out.
    let barrier = Arc::new(tokio::sync::Barrier::new(3));
    let app = Router::new().route(
        "/gate",
        get(move || {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                "open"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let gate = http(&format!("http://{addr}/gate"));
    let children: Vec<CheckSpec> = (0..3)
        .map(|_| fast_spec(CheckKind::Http(gate.clone())))
        .collect();
    let obs = probe_once(CheckKind::All(children), &probe_ctx(&[], dir.path())).await;
    assert_eq!(obs, Observation::new(Verdict::Pass, "3/3 passed"));
}
