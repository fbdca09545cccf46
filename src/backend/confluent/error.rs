//! One error type for every Confluent API, whatever shape the body came in.

use thiserror::Error;

use super::KeyKind;

/// What went wrong, in the terms the caller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// 401: the key of this kind was rejected by the host.
    Unauthorized(KeyKind),
    /// 403 on something that existed, or a deleted resource (Confluent answers 403 for those).
    Forbidden,
    /// 404.
    NotFound,
    /// 409: the name is taken.
    Conflict,
    /// 400/422: the request was refused as invalid.
    Invalid,
    /// 429 after the retries ran out.
    RateLimited,
    /// 5xx after the retries ran out.
    Server,
    /// No answer within the timeout.
    Timeout,
    /// Could not connect (DNS, TLS, refused).
    Transport,
    /// The body did not have the documented shape.
    Decode,
    /// The call needs a scope field (`environment`, `flink_url`, a key…) that is not set.
    MissingScope(&'static str),
    /// The per-process request budget is spent for now.
    BudgetExhausted,
    /// Any other status.
    Other,
}

/// A failed call: what happened, the HTTP status and the API's own code and message when it
/// sent them, and the request (`GET https://host/path`, never a secret) that failed.
#[derive(Debug, Clone, Error)]
#[error("{}", self.describe())]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub status: Option<u16>,
    /// The API's error code (`user_unauthenticated`, `40403`, …) when it sent one.
    pub code: Option<String>,
    pub message: String,
    /// Method and URL without query secrets, e.g. `GET https://api.confluent.cloud/cmk/v2/clusters/lkc-1`.
    pub request: String,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, request: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            request: request.into(),
        }
    }

    /// The resource is not there (any more): 404, or the 403 Confluent returns for deleted ones.
    pub fn is_gone(&self) -> bool {
        matches!(self.kind, ApiErrorKind::NotFound | ApiErrorKind::Forbidden)
    }

    /// Worth polling again: throttled, server trouble, timeouts, connection problems.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ApiErrorKind::RateLimited
                | ApiErrorKind::Server
                | ApiErrorKind::Timeout
                | ApiErrorKind::Transport
                | ApiErrorKind::BudgetExhausted
        )
    }

    fn host(&self) -> &str {
        let url = self
            .request
            .split_once(' ')
            .map_or(self.request.as_str(), |(_, u)| u);
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split(['/', '?']).next().unwrap_or(rest)
    }

    fn describe(&self) -> String {
        let status = self.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let detail = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        match &self.kind {
            ApiErrorKind::Unauthorized(key) => format!(
                "the {} was rejected{status} by {}; check it with `cdc-workshop credentials`",
                key.label(),
                self.host()
            ),
            ApiErrorKind::MissingScope(field) => format!(
                "{} needs `{field}`, which is not known yet; set it in the course's [confluent] table or run the step that provides it",
                self.request
            ),
            ApiErrorKind::BudgetExhausted => format!(
                "{} was not sent: the guide's request budget for {} is spent for this minute; it will try again",
                self.request,
                self.host()
            ),
            ApiErrorKind::Timeout => format!(
                "{} timed out; check the network and try again",
                self.request
            ),
            ApiErrorKind::Transport => format!(
                "cannot reach {}{detail}; check the network, proxy and URL",
                self.host()
            ),
            _ => format!("{}{status}{detail}", self.request),
        }
    }
}
