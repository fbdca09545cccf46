//! One request to Confluent: auth for the API's key family, the request budget, retries with
//! backoff that honour `Retry-After`/`X-RateLimit-Reset`, and every error shape mapped to one
//! [`ApiError`].

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::budget::Budget;
use crate::backend::confluent::{ApiError, ApiErrorKind, KeyKind, Scope};

/// Attempts of one call, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// First backoff; doubled per attempt, with jitter.
pub const BACKOFF_BASE_MS: u64 = 500;
/// No single wait is longer than this, whatever the server asks for.
pub const MAX_RETRY_WAIT_MS: u64 = 60_000;
/// Per-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Waiting as a seam, so tests can record waits instead of sleeping.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// One request as the caller describes it.
pub(crate) struct Call {
    pub method: Method,
    pub url: String,
    pub key: KeyKind,
    pub body: Option<Value>,
    pub accept: Option<&'static str>,
}

impl Call {
    pub fn get(url: String, key: KeyKind) -> Self {
        Self {
            method: Method::GET,
            url,
            key,
            body: None,
            accept: None,
        }
    }

    pub fn with(method: Method, url: String, key: KeyKind, body: Option<Value>) -> Self {
        Self {
            method,
            url,
            key,
            body,
            accept: None,
        }
    }

    /// `METHOD URL` without the query (page tokens and filters are noise in messages).
    pub fn describe(&self) -> String {
        let url = self.url.split('?').next().unwrap_or(&self.url);
        format!("{} {url}", self.method)
    }

    /// GET, PUT and DELETE may be sent again after a timeout; a POST may have been applied.
    fn idempotent(&self) -> bool {
        self.method != Method::POST
    }
}

/// A successful response.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: serde::de::DeserializeOwned>(&self, call: &Call) -> Result<T, ApiError> {
        let text = if self.body.is_empty() {
            b"null".as_slice()
        } else {
            &self.body
        };
        serde_json::from_slice(text).map_err(|e| ApiError {
            kind: ApiErrorKind::Decode,
            status: Some(self.status.as_u16()),
            code: None,
            message: format!("the answer did not have the documented shape ({e})"),
            request: call.describe(),
        })
    }
}

pub(crate) struct Http {
    pub client: reqwest::Client,
    pub timeout: Duration,
    pub budget: Arc<Budget>,
    pub sleeper: Arc<dyn Sleeper>,
}

/// Seconds to wait that the server asked for: `Retry-After` (seconds), else
/// `X-RateLimit-Reset` (seconds from now, not an epoch, per the v2 specs).
pub(crate) fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    let seconds = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
    };
    seconds("retry-after")
        .or_else(|| seconds("x-ratelimit-reset"))
        .map(|s| {
            Duration::from_millis((s * 1000.0) as u64).min(Duration::from_millis(MAX_RETRY_WAIT_MS))
        })
}

fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE_MS.saturating_mul(1 << attempt.min(10));
    // Up to a quarter more, so a room of fifty does not retry in lockstep.
    let jitter = rand::random::<u64>() % (base / 4 + 1);
    Duration::from_millis((base + jitter).min(MAX_RETRY_WAIT_MS))
}

impl Http {
    pub async fn send(&self, scope: &Scope, call: &Call) -> Result<Reply, ApiError> {
        let Some(key) = scope.keys.get(&call.key) else {
            return Err(ApiError::new(
                ApiErrorKind::MissingScope(missing_key_field(call.key)),
                call.describe(),
                "",
            ));
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(wait) = self.budget.take(&call.url) {
                if attempt >= MAX_ATTEMPTS {
                    return Err(ApiError::new(
                        ApiErrorKind::BudgetExhausted,
                        call.describe(),
                        "",
                    ));
                }
                self.sleeper.sleep(wait).await;
                continue;
            }
            let mut request = self
                .client
                .request(call.method.clone(), &call.url)
                .basic_auth(&key.key, Some(&key.secret))
                .timeout(self.timeout)
                .header(ACCEPT, call.accept.unwrap_or("application/json"));
            if let Some(body) = &call.body {
                request = request.header(CONTENT_TYPE, "application/json").json(body);
            }
            let outcome = request.send().await;
            let response = match outcome {
                Ok(r) => r,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        ApiErrorKind::Timeout
                    } else {
                        ApiErrorKind::Transport
                    };
                    if call.idempotent() && attempt < MAX_ATTEMPTS {
                        self.sleeper.sleep(backoff(attempt)).await;
                        continue;
                    }
                    let reason = if kind == ApiErrorKind::Timeout {
                        format!("no answer within {}s", self.timeout.as_secs_f32())
                    } else {
                        transport_reason(&e)
                    };
                    return Err(ApiError::new(kind, call.describe(), reason));
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            let body = match response.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    if call.idempotent() && attempt < MAX_ATTEMPTS {
                        self.sleeper.sleep(backoff(attempt)).await;
                        continue;
                    }
                    return Err(ApiError::new(
                        ApiErrorKind::Transport,
                        call.describe(),
                        transport_reason(&e),
                    ));
                }
            };
            if status.is_success() {
                return Ok(Reply { status, body });
            }
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
                || (status.is_server_error() && call.idempotent());
            if retryable && attempt < MAX_ATTEMPTS {
                let wait = server_wait(&headers).unwrap_or_else(|| backoff(attempt));
                tracing::debug!(request = %call.describe(), status = status.as_u16(), wait_ms = wait.as_millis() as u64, "retrying");
                self.sleeper.sleep(wait).await;
                continue;
            }
            return Err(map_error(call, status, &headers, &body));
        }
    }
}

fn missing_key_field(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Cloud => "cloud_api_key",
        KeyKind::Kafka => "kafka_api_key",
        KeyKind::SchemaRegistry => "schema_registry_api_key",
        KeyKind::Flink => "flink_api_key",
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    reason
}

/// The API's own code and message from any of the shapes Confluent uses.
pub fn error_details(body: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(body);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        // Jetty's HTML error pages carry the reason in <title>.
        if let Some(start) = text.find("<title>")
            && let Some(end) = text[start..].find("</title>")
        {
            return (None, text[start + 7..start + end].trim().to_string());
        }
        return (None, text.trim().chars().take(200).collect());
    };
    let s = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(first) = value
        .get("errors")
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
    {
        let message = first
            .get("detail")
            .and_then(s)
            .or_else(|| first.get("title").and_then(s))
            .unwrap_or_default();
        return (first.get("code").and_then(s), message);
    }
    if let Some(error) = value.get("error").filter(|e| e.is_object()) {
        return (
            error.get("code").and_then(s),
            error.get("message").and_then(s).unwrap_or_default(),
        );
    }
    (
        value.get("error_code").and_then(s),
        value.get("message").and_then(s).unwrap_or_default(),
    )
}

pub(crate) fn map_error(
    call: &Call,
    status: StatusCode,
    _headers: &HeaderMap,
    body: &[u8],
) -> ApiError {
    let (code, message) = error_details(body);
    let kind = match status.as_u16() {
        401 => ApiErrorKind::Unauthorized(call.key),
        403 => ApiErrorKind::Forbidden,
        404 => ApiErrorKind::NotFound,
        409 => ApiErrorKind::Conflict,
        400 | 422 => ApiErrorKind::Invalid,
        429 => ApiErrorKind::RateLimited,
        500..=599 => ApiErrorKind::Server,
        _ => ApiErrorKind::Other,
    };
    ApiError {
        kind,
        status: Some(status.as_u16()),
        code,
        message,
        request: call.describe(),
    }
}
