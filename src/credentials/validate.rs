//! Is a credential accepted by its service? One cheap authenticated call each, against an
//! endpoint the settings can move (tests use local servers): Confluent lists environments, AWS
//! asks STS who the key belongs to, OpenAI lists models, Azure asks `az account show`.

use std::time::Duration;

use super::Secret;
use crate::backend::aws::sigv4::{amz_now, sigv4_authorization};

/// How long one validation may take.
pub const VALIDATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Where each validation goes.
#[derive(Debug, Clone)]
pub struct ValidationEndpoints {
    pub confluent_api: String,
    pub aws_sts: String,
    pub aws_region: String,
    pub openai: String,
    /// The Azure CLI (`az`), or a stand-in for tests.
    pub az_command: String,
    /// How long one validation may take.
    pub timeout: Duration,
    /// The GCP service-account key file to check, when the course has one set.
    pub gcp_key_file: Option<std::path::PathBuf>,
    /// Where to exchange the GCP key's JWT instead of the key's own `token_uri`.
    pub gcp_token_url: Option<String>,
}

impl Default for ValidationEndpoints {
    fn default() -> Self {
        Self {
            confluent_api: crate::backend::confluent::DEFAULT_API_URL.to_string(),
            aws_sts: "https://sts.amazonaws.com".to_string(),
            aws_region: "us-east-1".to_string(),
            openai: "https://api.openai.com".to_string(),
            az_command: "az".to_string(),
            timeout: VALIDATION_TIMEOUT,
            gcp_key_file: None,
            gcp_token_url: None,
        }
    }
}

/// The verdict on one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    Valid(String),
    /// Rejected by the service: which one, and what to check.
    Rejected(String),
    /// Could not ask (network, tool missing): not a verdict on the credential.
    Unknown(String),
}

impl Validity {
    pub fn is_valid(&self) -> bool {
        matches!(self, Validity::Valid(_))
    }

    pub fn describe(&self) -> &str {
        match self {
            Validity::Valid(s) | Validity::Rejected(s) | Validity::Unknown(s) => s,
        }
    }
}

fn client(endpoints: &ValidationEndpoints) -> Result<reqwest::Client, Validity> {
    reqwest::Client::builder()
        .user_agent(crate::backend::confluent::client::USER_AGENT)
        .timeout(endpoints.timeout)
        .build()
        .map_err(|e| Validity::Unknown(format!("cannot set up HTTPS: {e}")))
}

fn unreachable(service: &str, url: &str, e: &reqwest::Error) -> Validity {
    if e.is_timeout() {
        Validity::Unknown(format!("{service} did not answer in time at {url}"))
    } else {
        Validity::Unknown(format!(
            "cannot reach {service} at {url}; check the network"
        ))
    }
}

/// Credentials validated together (key and secret), and alone.
pub const CONFLUENT_PAIR: (&str, &str) = ("confluent_cloud_api_key", "confluent_cloud_api_secret");
pub const AWS_PAIR: (&str, &str) = ("aws_access_key_id", "aws_secret_access_key");
pub const OPENAI_KEY: &str = "openai_api_key";
/// The course variable naming the GCP service-account key file.
pub const GCP_KEY_FILE: &str = "gcp_credentials_file";

/// Ask every service whose credentials are among `values` (name → value); the verdict per name.
pub async fn check_all(
    values: &std::collections::BTreeMap<String, Secret>,
    endpoints: &ValidationEndpoints,
) -> std::collections::BTreeMap<String, Validity> {
    let mut out = std::collections::BTreeMap::new();
    let get = |n: &str| values.get(n);
    let confluent = async {
        match (get(CONFLUENT_PAIR.0), get(CONFLUENT_PAIR.1)) {
            (Some(k), Some(s)) => Some(confluent(endpoints, k, s).await),
            _ => None,
        }
    };
    let aws = async {
        match (get(AWS_PAIR.0), get(AWS_PAIR.1)) {
            (Some(k), Some(s)) => Some(aws(endpoints, k, s).await),
            _ => None,
        }
    };
    let openai = async {
        match get(OPENAI_KEY) {
            Some(k) => Some(openai(endpoints, k).await),
            None => None,
        }
    };
    let gcp = async {
        match &endpoints.gcp_key_file {
            Some(path) => Some(
                super::gcp::validate(path, endpoints.gcp_token_url.as_deref(), endpoints).await,
            ),
            None => None,
        }
    };
    let (c, a, o, g) = tokio::join!(confluent, aws, openai, gcp);
    if let Some(v) = g {
        out.insert(GCP_KEY_FILE.to_string(), v);
    }
    for (pair, verdict) in [(CONFLUENT_PAIR, c), (AWS_PAIR, a)] {
        if let Some(v) = verdict {
            out.insert(pair.0.to_string(), v.clone());
            out.insert(pair.1.to_string(), v);
        }
    }
    if let Some(v) = o {
        out.insert(OPENAI_KEY.to_string(), v);
    }
    out
}

/// The Cloud API key: `GET /org/v2/environments?page_size=1`.
pub async fn confluent(endpoints: &ValidationEndpoints, key: &Secret, secret: &Secret) -> Validity {
    let http = match client(endpoints) {
        Ok(c) => c,
        Err(v) => return v,
    };
    let url = format!(
        "{}/org/v2/environments?page_size=1",
        endpoints.confluent_api.trim_end_matches('/')
    );
    match http.get(&url).basic_auth(key.expose(), Some(secret.expose())).send().await {
        Ok(r) if r.status().is_success() => Validity::Valid("Confluent Cloud accepted the Cloud API key".into()),
        Ok(r) if r.status().as_u16() == 401 => Validity::Rejected(
            "Confluent Cloud rejected the Cloud API key (401); check that it is a Cloud resource-management key (not a cluster key) and that the secret belongs to it".into(),
        ),
        Ok(r) => Validity::Unknown(format!("Confluent Cloud answered {}", r.status().as_u16())),
        Err(e) => unreachable("Confluent Cloud", &endpoints.confluent_api, &e),
    }
}

/// The AWS key pair: STS `GetCallerIdentity` (works with any permissions).
pub async fn aws(
    endpoints: &ValidationEndpoints,
    access_key: &Secret,
    secret_key: &Secret,
) -> Validity {
    let http = match client(endpoints) {
        Ok(c) => c,
        Err(v) => return v,
    };
    let base = endpoints.aws_sts.trim_end_matches('/');
    let host = base.split_once("://").map_or(base, |(_, h)| h).to_string();
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let amz_date = amz_now();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let auth = sigv4_authorization(
        access_key.expose(),
        secret_key.expose(),
        &amz_date,
        &endpoints.aws_region,
        "sts",
        "POST",
        "/",
        "",
        &[
            ("content-type", content_type),
            ("host", &host),
            ("x-amz-date", &amz_date),
        ],
        body.as_bytes(),
    );
    let sent = http
        .post(format!("{base}/"))
        .header("content-type", content_type)
        .header("x-amz-date", &amz_date)
        .header("authorization", auth)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            let text = r.text().await.unwrap_or_default();
            let arn = text
                .split_once("<Arn>")
                .and_then(|(_, rest)| rest.split_once("</Arn>"))
                .map_or("the caller", |(arn, _)| arn);
            Validity::Valid(format!("AWS knows the key as {arn}"))
        }
        Ok(r) if matches!(r.status().as_u16(), 401 | 403) => Validity::Rejected(
            "AWS STS rejected the access key (403); check the access key id and its secret, and that the IAM user is active".into(),
        ),
        Ok(r) => Validity::Unknown(format!("AWS STS answered {}", r.status().as_u16())),
        Err(e) => unreachable("AWS STS", base, &e),
    }
}

/// An OpenAI key: `GET /v1/models`.
pub async fn openai(endpoints: &ValidationEndpoints, key: &Secret) -> Validity {
    let http = match client(endpoints) {
        Ok(c) => c,
        Err(v) => return v,
    };
    let url = format!("{}/v1/models", endpoints.openai.trim_end_matches('/'));
    match http.get(&url).bearer_auth(key.expose()).send().await {
        Ok(r) if r.status().is_success() => Validity::Valid("OpenAI accepted the key".into()),
        Ok(r) if r.status().as_u16() == 401 => {
            Validity::Rejected("OpenAI rejected the key (401); create a new one at https://platform.openai.com/api-keys".into())
        }
        Ok(r) => Validity::Unknown(format!("OpenAI answered {}", r.status().as_u16())),
        Err(e) => unreachable("OpenAI", &endpoints.openai, &e),
    }
}

/// An Azure login: `az account show` succeeds.
pub async fn azure(endpoints: &ValidationEndpoints) -> Validity {
    let run = tokio::process::Command::new(&endpoints.az_command)
        .args(["account", "show", "--output", "json"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(endpoints.timeout, run).await {
        Ok(Ok(out)) if out.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            let name = v
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("a subscription");
            Validity::Valid(format!("logged in to Azure ({name})"))
        }
        Ok(Ok(_)) => Validity::Rejected("`az account show` failed: log in with `az login`".into()),
        Ok(Err(e)) => Validity::Unknown(format!(
            "cannot run `{}` ({e}); install the Azure CLI",
            endpoints.az_command
        )),
        Err(_) => Validity::Unknown("`az account show` did not answer in time".into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn an_azure_login_is_asked_of_the_az_cli() {
        let dir = tempfile::tempdir().unwrap();
        let script = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p.display().to_string()
        };
        let logged_in = ValidationEndpoints {
            az_command: script("az-ok", r#"echo '{"name": "Workshop subscription"}'"#),
            ..Default::default()
        };
        assert_eq!(
            azure(&logged_in).await,
            Validity::Valid("logged in to Azure (Workshop subscription)".into())
        );
        let logged_out = ValidationEndpoints {
            az_command: script("az-no", "echo 'Please run az login' >&2; exit 1"),
            ..Default::default()
        };
        assert_eq!(
            azure(&logged_out).await,
            Validity::Rejected("`az account show` failed: log in with `az login`".into())
        );
        let missing = ValidationEndpoints {
            az_command: dir.path().join("nope").display().to_string(),
            ..Default::default()
        };
        assert!(
            matches!(azure(&missing).await, Validity::Unknown(m) if m.contains("install the Azure CLI"))
        );
    }
}
