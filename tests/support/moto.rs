//! A real moto server (the AWS emulator from PyPI) for tests, on a free loopback port, stopped
//! when dropped. It runs through `moto_server.py` beside this file, which adds the one control
//! moto lacks (Redshift Data API results). A missing moto skips the test with a printed reason,
//! except under `CI=true`, where it fails it (`.ci/run` installs `moto[server]`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cdc_workshop::backend::aws::client::RawRequest;
use cdc_workshop::backend::aws::{AwsClient, AwsScope};
use cdc_workshop::credentials::Secret;
use reqwest::Method;

pub const REGION: &str = "eu-central-1";
/// moto accepts any key until auth is switched on.
pub const ANY_KEY_ID: &str = "AKIAMOTOEXAMPLE00001";
pub const ANY_SECRET: &str = "moto-Secret-Example-Value-0001";
/// An image moto knows without being told.
const AMI: &str = "ami-12c6146b";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn on_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
}

/// A Python that can import moto's server: the interpreter of `moto_server` on PATH (a venv's
/// or pip's script), else `python3`/`python` on PATH.
fn python_with_moto() -> Option<PathBuf> {
    let shebang = on_path("moto_server").and_then(|script| {
        let text = std::fs::read_to_string(script).ok()?;
        let first = text.lines().next()?.strip_prefix("#!")?.trim().to_string();
        (!first.contains(' ')).then(|| PathBuf::from(first))
    });
    let candidates = shebang
        .into_iter()
        .chain(on_path("python3"))
        .chain(on_path("python"));
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import moto.server, flask"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub struct Moto {
    pub url: String,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// moto as released: every key is accepted.
    pub fn start() -> Option<Self> {
        Self::launch(None)
    }

    /// moto checking keys and signatures after the first `free_actions` requests (which create
    /// the IAM user and key the test then uses).
    pub fn start_with_auth(free_actions: u32) -> Option<Self> {
        Self::launch(Some(free_actions))
    }

    fn launch(free_actions: Option<u32>) -> Option<Self> {
        let Some(python) = python_with_moto() else {
            assert!(
                !in_ci(),
                "moto (moto[server] from PyPI) is required under CI=true; .ci/run installs it"
            );
            eprintln!("skipping: moto is not installed here (pip install 'moto[server]')");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("moto.log");
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_server.py");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("moto.err")).unwrap());
        if let Some(n) = free_actions {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = cmd.spawn().unwrap();
        let moto = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log: dir.path().join("moto.err"),
            _dir: dir,
        };
        moto.wait_ready();
        Some(moto)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = self.url.trim_start_matches("http://");
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("moto did not listen within 30s; its log:\n{text}");
    }

    /// A scope with `key`/`secret` at this moto.
    pub fn scope_with(&self, key: &str, secret: &str) -> AwsScope {
        AwsScope {
            region: REGION.into(),
            access_key_id: key.into(),
            secret_access_key: Secret::new(secret),
            session_token: None,
            endpoint: Some(self.url.clone()),
        }
    }

    pub fn scope(&self) -> AwsScope {
        self.scope_with(ANY_KEY_ID, ANY_SECRET)
    }

    /// Queue Redshift Data API results (see moto_server.py): each ends the next statement
    /// described while running.
    pub async fn seed_statement_results(&self, results: serde_json::Value) {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/moto-api/static/redshift-data/statement-results",
                self.url
            ))
            .json(&serde_json::json!({"region": REGION, "results": results}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "seeding statement results");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seeding and cleaning an account through the project's own signed client.
pub struct Account {
    pub client: AwsClient,
    pub scope: AwsScope,
}

impl Account {
    pub fn new(scope: AwsScope) -> Self {
        Self {
            client: AwsClient::new().unwrap(),
            scope,
        }
    }

    async fn send(
        &self,
        service: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
    ) -> String {
        let (status, text) = self
            .client
            .send_signed(
                &self.scope,
                RawRequest {
                    service,
                    method: method.clone(),
                    path,
                    query,
                    headers: &[],
                    body,
                },
            )
            .await
            .unwrap();
        assert!(
            (200..300).contains(&status),
            "{method} {service} {path}: {status} {text}"
        );
        text
    }

    async fn form(&self, service: &str, params: &[(&str, &str)]) -> String {
        let (status, text) = self
            .client
            .send_signed(
                &self.scope,
                RawRequest {
                    service,
                    method: Method::POST,
                    path: "/",
                    query: &[],
                    headers: &[(
                        "content-type",
                        "application/x-www-form-urlencoded; charset=utf-8",
                    )],
                    body: form_body(params),
                },
            )
            .await
            .unwrap();
        assert!(
            (200..300).contains(&status),
            "{service} {params:?}: {status} {text}"
        );
        text
    }

    pub async fn create_bucket(&self, bucket: &str) {
        let body = format!(
            "<CreateBucketConfiguration><LocationConstraint>{REGION}</LocationConstraint></CreateBucketConfiguration>"
        );
        self.send(
            "s3",
            Method::PUT,
            &format!("/{bucket}"),
            &[],
            body.into_bytes(),
        )
        .await;
    }

    pub async fn put_object(&self, bucket: &str, key: &str) {
        self.send(
            "s3",
            Method::PUT,
            &format!("/{bucket}/{key}"),
            &[],
            b"Obj\x01avro-bytes".to_vec(),
        )
        .await;
    }

    pub async fn delete_object(&self, bucket: &str, key: &str) {
        self.send(
            "s3",
            Method::DELETE,
            &format!("/{bucket}/{key}"),
            &[],
            Vec::new(),
        )
        .await;
    }

    pub async fn delete_bucket(&self, bucket: &str) {
        self.send("s3", Method::DELETE, &format!("/{bucket}"), &[], Vec::new())
            .await;
    }

    /// Launch one instance with a `Name` tag; its id.
    pub async fn run_instance(&self, name: &str) -> String {
        let xml = self
            .form(
                "ec2",
                &[
                    ("Action", "RunInstances"),
                    ("Version", "2016-11-15"),
                    ("ImageId", AMI),
                    ("MinCount", "1"),
                    ("MaxCount", "1"),
                    ("TagSpecification.1.ResourceType", "instance"),
                    ("TagSpecification.1.Tag.1.Key", "Name"),
                    ("TagSpecification.1.Tag.1.Value", name),
                ],
            )
            .await;
        between(&xml, "<instanceId>", "</instanceId>")
    }

    pub async fn terminate_instance(&self, id: &str) {
        self.form(
            "ec2",
            &[
                ("Action", "TerminateInstances"),
                ("Version", "2016-11-15"),
                ("InstanceId.1", id),
            ],
        )
        .await;
    }

    pub async fn create_cluster(&self, id: &str) {
        self.form(
            "redshift",
            &[
                ("Action", "CreateCluster"),
                ("Version", "2012-12-01"),
                ("ClusterIdentifier", id),
                ("ClusterType", "single-node"),
                ("NodeType", "dc2.large"),
                ("MasterUsername", "admin"),
                ("MasterUserPassword", "Cdcworkshop4Confluent"),
                ("DBName", "cdcworkshop_rsdb_1a2b"),
            ],
        )
        .await;
    }

    pub async fn delete_cluster(&self, id: &str) {
        self.form(
            "redshift",
            &[
                ("Action", "DeleteCluster"),
                ("Version", "2012-12-01"),
                ("ClusterIdentifier", id),
                ("SkipFinalClusterSnapshot", "true"),
            ],
        )
        .await;
    }

    /// An IAM user allowed everything, and its key: `(key id, secret)`.
    pub async fn iam_user_with_key(&self, user: &str) -> (String, String) {
        self.form(
            "iam",
            &[
                ("Action", "CreateUser"),
                ("Version", "2010-05-08"),
                ("UserName", user),
            ],
        )
        .await;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        self.form(
            "iam",
            &[
                ("Action", "PutUserPolicy"),
                ("Version", "2010-05-08"),
                ("UserName", user),
                ("PolicyName", "workshop"),
                ("PolicyDocument", policy),
            ],
        )
        .await;
        let xml = self
            .form(
                "iam",
                &[
                    ("Action", "CreateAccessKey"),
                    ("Version", "2010-05-08"),
                    ("UserName", user),
                ],
            )
            .await;
        (
            between(&xml, "<AccessKeyId>", "</AccessKeyId>"),
            between(&xml, "<SecretAccessKey>", "</SecretAccessKey>"),
        )
    }
}

fn form_body(params: &[(&str, &str)]) -> Vec<u8> {
    cdc_workshop::backend::aws::sigv4::canonical_query(params).into_bytes()
}

fn between(text: &str, open: &str, close: &str) -> String {
    let start = text
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in {text}"))
        + open.len();
    let end = text[start..].find(close).unwrap() + start;
    text[start..end].to_string()
}
