//! A newcomer with an upstream `.accounts` file: `credentials import`, then `credentials list`
//! and `doctor` against local stand-ins of Confluent, AWS STS and OpenAI; values never appear on
//! screen or on disk outside the store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use cli::{Home, Ran};

const CONFLUENT_KEY: &str = "ABCDEFGH12345678";
const CONFLUENT_SECRET: &str = "s3cr3t-Confluent-Value-0001";
const AWS_KEY: &str = "AKIAEXAMPLE12345";
const AWS_SECRET: &str = "wJalrXUtnFEMIEXAMPLEKEY0001";
const OPENAI_KEY: &str = "sk-test-abcdef123456";

const ACCOUNTS: &str = r#"# my workshop accounts
export TF_VAR_confluent_cloud_api_key="ABCDEFGH12345678"
export TF_VAR_confluent_cloud_api_secret='s3cr3t-Confluent-Value-0001'
export TF_VAR_cc_cloud_region="eu-central-1"
export TF_VAR_cloud_provider="AWS"

export aws_access_key=AKIAEXAMPLE12345
export aws_secret_key="wJalrXUtnFEMIEXAMPLEKEY0001"
export aws_region="eu-central-1"
export OPENAI_API_KEY="sk-test-abcdef123456"   # optional
export TF_VAR_publicsshkey=="~/keys/sshkeycdcworkshop.pub"
"#;

/// Confluent accepts one Cloud key, OpenAI one key, STS any SigV4-signed request for the AWS
/// key in eu-central-1; an echo service answers with an IP.
async fn services() -> SocketAddr {
    let basic = format!(
        "Basic {}",
        base64_of(&format!("{CONFLUENT_KEY}:{CONFLUENT_SECRET}"))
    );
    let app = Router::new()
        .route(
            "/org/v2/environments",
            get(move |h: HeaderMap| {
                let ok = h.get("authorization").and_then(|v| v.to_str().ok()) == Some(basic.as_str());
                async move {
                    if ok {
                        (StatusCode::OK, r#"{"api_version":"org/v2","kind":"EnvironmentList","metadata":{},"data":[]}"#)
                    } else {
                        (StatusCode::UNAUTHORIZED, r#"{"errors":[{"status":"401","detail":"Unauthorized"}]}"#)
                    }
                }
            })
            .head(|| async { (StatusCode::OK, [("date", httpdate_now())]) }),
        )
        .route(
            "/v1/models",
            get(|h: HeaderMap| async move {
                let ok = h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {OPENAI_KEY}"));
                if ok { (StatusCode::OK, r#"{"data":[]}"#) } else { (StatusCode::UNAUTHORIZED, r#"{"error":{}}"#) }
            }),
        )
        .route(
            "/",
            post(|h: HeaderMap, body: String| async move {
                let auth = h.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                let signed = auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={AWS_KEY}/"))
                    && auth.contains("/eu-central-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=")
                    && body == "Action=GetCallerIdentity&Version=2011-06-15";
                if signed {
                    (StatusCode::OK, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/workshop</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>")
                } else {
                    (StatusCode::FORBIDDEN, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>")
                }
            }),
        )
        .route("/ip", get(|| async { "203.0.113.7\n" }))
        .route(
            "/token",
            post(|body: String| async move {
                let jwt = body.strip_prefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=").unwrap_or("");
                if jwt.split('.').count() == 3 && jwt.split('.').all(|p| !p.is_empty()) {
                    (StatusCode::OK, r#"{"access_token":"ya29.test","expires_in":3599,"token_type":"Bearer"}"#)
                } else {
                    (StatusCode::BAD_REQUEST, r#"{"error":"invalid_grant"}"#)
                }
            }),
        )
        .route("/slow/v1/models", get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            "{}"
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn httpdate_now() -> String {
    // The same clock as the machine: formatted as an HTTP date.
    let t = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let (date, time) = t.trim_end_matches('Z').split_once('T').unwrap();
    let mut parts = date.split('-');
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m.parse::<usize>().unwrap() - 1];
    format!("Mon, {d} {month} {y} {time} GMT")
}

fn point_at(cmd: &mut Command, addr: SocketAddr) {
    let url = format!("http://{addr}");
    cmd.env("CDC_WORKSHOP_CONFLUENT_API_URL", &url)
        .env("CDC_WORKSHOP_AWS_STS_URL", &url)
        .env("CDC_WORKSHOP_OPENAI_URL", &url)
        .env("CDC_WORKSHOP_IP_ECHO_URL", format!("{url}/ip"))
        .env("CDC_WORKSHOP_CREDENTIAL_STORE", "file")
        .env_remove("CONFLUENT_CLOUD_API_KEY")
        .env_remove("CONFLUENT_CLOUD_API_SECRET")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("OPENAI_API_KEY");
}

async fn run(home: &Home, addr: SocketAddr, args: &[&str], stdin: Option<&str>) -> Ran {
    let mut cmd = home.command(args);
    point_at(&mut cmd, addr);
    let input = stdin.map(String::from);
    let out = tokio::task::spawn_blocking(move || {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = input {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    Ran(out)
}

fn shipped_lessons() -> Home {
    Home::with_lessons(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons"))
}

fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_list_doctor_fix_and_no_secret_anywhere_but_the_store() {
    let addr = services().await;
    let home = shipped_lessons();
    let accounts = home.path().join(".accounts");
    std::fs::write(&accounts, ACCOUNTS).unwrap();

    let imported = run(
        &home,
        addr,
        &["credentials", "import", accounts.to_str().unwrap()],
        None,
    )
    .await;
    imported.assert_code(0);
    let out = imported.stdout();
    assert!(
        out.contains("✓ confluent_cloud_api_key ← TF_VAR_confluent_cloud_api_key (line 2)"),
        "{out}"
    );
    assert!(
        out.contains("✓ aws_secret_access_key ← aws_secret_key (line 8)"),
        "{out}"
    );
    assert!(out.contains("• setting aws_region = eu-central-1"), "{out}");
    assert!(
        out.contains("– ignored TF_VAR_cloud_provider (line 5): an upstream typo"),
        "{out}"
    );
    assert!(
        out.contains("! line 11: `TF_VAR_publicsshkey==` has one `=` too many"),
        "{out}"
    );
    assert!(
        out.contains("5 credential(s) imported, 1 setting(s) found, 3 ignored"),
        "{out}"
    );
    assert!(
        imported.stderr().contains("readable only by you (0600)"),
        "the fallback is announced: {}",
        imported.stderr()
    );

    let listed = run(&home, addr, &["credentials", "list"], None).await;
    listed.assert_code(0);
    let out = listed.stdout();
    assert!(
        out.contains("Confluent Cloud accepted the Cloud API key"),
        "{out}"
    );
    assert!(
        out.contains("AWS knows the key as arn:aws:iam::123456789012:user/workshop"),
        "{out}"
    );
    assert!(out.contains("OpenAI accepted the key"), "{out}");
    assert!(out.contains("✗ salesforce_password"), "{out}");
    assert!(
        !listed.stderr().contains("0600"),
        "announced once only: {}",
        listed.stderr()
    );

    // A wrong Confluent secret: doctor names the service and what to run, and exits 1.
    let set = run(
        &home,
        addr,
        &["credentials", "set", "confluent_cloud_api_secret"],
        Some("not-the-right-secret\n"),
    )
    .await;
    set.assert_code(0);
    assert!(
        set.stdout()
            .contains("stored confluent_cloud_api_secret (20 characters)"),
        "{}",
        set.stdout()
    );
    let doctor = run(&home, addr, &["doctor"], None).await;
    doctor.assert_code(1);
    let out = doctor.stdout();
    assert!(
        out.contains("✓ public IP                            203.0.113.7"),
        "{out}"
    );
    assert!(
        out.contains("✓ terraform") || out.contains("✗ terraform"),
        "{out}"
    );
    assert!(
        out.contains("✗ credential confluent_cloud_api_secret"),
        "{out}"
    );
    assert!(
        out.contains("Confluent Cloud rejected the Cloud API key (401)"),
        "{out}"
    );
    assert!(
        out.contains("→ cdc-workshop credentials set confluent_cloud_api_secret"),
        "{out}"
    );
    assert!(out.contains("Not ready yet"), "{out}");

    // Fixed: doctor passes (terraform permitting), JSON says so per item.
    run(
        &home,
        addr,
        &["credentials", "set", "confluent_cloud_api_secret"],
        Some(&format!("{CONFLUENT_SECRET}\n")),
    )
    .await
    .assert_code(0);
    let json = run(&home, addr, &["doctor", "--format", "json"], None).await;
    let items = json.json_lines();
    let confluent = items
        .iter()
        .find(|i| i["item"] == "credential confluent_cloud_api_secret")
        .unwrap();
    assert_eq!(confluent["ok"], true, "{confluent}");
    assert!(items.iter().any(|i| i["item"] == "free disk"));

    // No value anywhere but the store file.
    let store = home.path().join("credentials.toml");
    assert_eq!(
        std::fs::metadata(&store).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for f in all_files(home.path()) {
        if f == store || f == accounts {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        for secret in [
            CONFLUENT_SECRET,
            AWS_SECRET,
            OPENAI_KEY,
            "not-the-right-secret",
        ] {
            assert!(!text.contains(secret), "{secret} found in {}", f.display());
        }
    }
    for ran in [&imported, &listed, &doctor, &json] {
        for secret in [CONFLUENT_SECRET, AWS_SECRET, AWS_KEY, OPENAI_KEY] {
            assert!(
                !ran.stdout().contains(secret) && !ran.stderr().contains(secret),
                "{secret} on screen"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_file_line_or_the_command_to_run() {
    let addr = services().await;
    let home = shipped_lessons();
    let accounts = home.path().join(".accounts");
    std::fs::write(&accounts, "export GOOD=\"x\"\nexport OPEN=\"never closed\n").unwrap();
    let ran = run(
        &home,
        addr,
        &["credentials", "import", accounts.to_str().unwrap()],
        None,
    )
    .await;
    ran.assert_code(2);
    assert!(
        ran.stderr().contains(&format!(
            "{}:2: the value of `OPEN` opens a double quote that never closes",
            accounts.display()
        )),
        "{}",
        ran.stderr()
    );

    run(
        &home,
        addr,
        &["credentials", "set", "openai_api_key"],
        Some("sk-1234567890\n"),
    )
    .await
    .assert_code(0);
    let store = home.path().join("credentials.toml");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ran = run(&home, addr, &["credentials", "list", "--no-check"], None).await;
    assert_ne!(ran.code(), 0);
    assert!(
        ran.stderr()
            .contains(&format!("run `chmod 600 {}`", store.display())),
        "{}",
        ran.stderr()
    );

    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ran = run(
        &home,
        addr,
        &["credentials", "set", "no_such_thing"],
        Some("x\n"),
    )
    .await;
    ran.assert_code(2);
    assert!(
        ran.stderr()
            .contains("the course has no credential `no_such_thing`"),
        "{}",
        ran.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_does_not_answer_in_time_is_not_a_verdict_on_the_key() {
    let addr = services().await;
    let home = shipped_lessons();
    run(
        &home,
        addr,
        &["credentials", "set", "openai_api_key"],
        Some("sk-1234567890\n"),
    )
    .await
    .assert_code(0);
    let mut cmd = home.command(&["credentials", "list"]);
    point_at(&mut cmd, addr);
    cmd.env("CDC_WORKSHOP_OPENAI_URL", format!("http://{addr}/slow"))
        .env("CDC_WORKSHOP_VALIDATION_TIMEOUT", "300ms");
    let ran = Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap());
    ran.assert_code(0);
    assert!(
        ran.stdout().contains("✓ openai_api_key"),
        "{}",
        ran.stdout()
    );
    assert!(
        ran.stdout().contains("OpenAI did not answer in time"),
        "{}",
        ran.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_a_gcp_key_file_through_the_token_exchange() {
    let addr = services().await;
    let home = shipped_lessons();
    let pem = home.path().join("k.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .is_ok_and(|o| o.status.success());
    if !made {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is needed under CI"
        );
        eprintln!("skipping: openssl is not available to make a test key");
        return;
    }
    let key = home.path().join("gcp-key.json");
    let body = serde_json::json!({
        "type": "service_account", "project_id": "cdc-ws", "client_email": "ws@cdc-ws.iam.gserviceaccount.com",
        "private_key": std::fs::read_to_string(&pem).unwrap(), "token_uri": "https://oauth2.googleapis.com/token",
    });
    std::fs::write(&key, body.to_string()).unwrap();
    let mut cmd = home.command(&["doctor", "--format", "json"]);
    point_at(&mut cmd, addr);
    let az = home.path().join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\necho '{\"name\": \"Workshop subscription\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    cmd.env("CDC_WORKSHOP_GCP_CREDENTIALS_FILE", &key)
        .env("CDC_WORKSHOP_GCP_TOKEN_URL", format!("http://{addr}/token"))
        .env("CDC_WORKSHOP_AZ_COMMAND", &az);
    let ran = Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap());
    let items = ran.json_lines();
    let gcp = items
        .iter()
        .find(|i| i["item"] == "GCP service-account key")
        .expect("a GCP item");
    assert_eq!(gcp["ok"], true, "{gcp}");
    assert!(
        gcp["detail"].as_str().unwrap().starts_with(
            "Google accepted the key of ws@cdc-ws.iam.gserviceaccount.com (project cdc-ws)"
        ),
        "{gcp}"
    );
    let azure = items
        .iter()
        .find(|i| i["item"] == "Azure login")
        .expect("an Azure item");
    assert_eq!(
        azure["detail"], "logged in to Azure (Workshop subscription)",
        "{azure}"
    );
    let reach = items
        .iter()
        .find(|i| i["item"] == "reach Confluent Cloud API")
        .expect("reachability");
    assert_eq!(reach["ok"], true, "{reach}");
    assert!(!ran.stdout().contains("PRIVATE KEY"));
}
