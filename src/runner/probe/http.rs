//! `http` checks: one request, classified by status (and optionally body) into a verdict.
//!
//! A service that is still starting refuses connections or answers 503, so connection errors,
//! timeouts and transient statuses are `Pending`, not `Fail`.

use std::error::Error as _;
use std::io::ErrorKind;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::lesson::{HttpCheck, HttpMethod};
use crate::runner::ProbeContext;
use crate::runner::human::short_duration;
use crate::runner::outcome::{Observation, Verdict};

/// Only this much of a body is read for `body_contains`: health endpoints are small.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub(super) async fn probe(
    client: &reqwest::Client,
    check: &HttpCheck,
    ctx: &ProbeContext,
) -> Observation {
    let values = ctx.values.as_ref();
    // Only the displayed form (secrets masked) ever reaches an observation.
    let shown_url = check.url.display(values);
    let url = match check.url.render(values) {
        Ok(u) => u,
        Err(e) => return Observation::new(Verdict::Fail, format!("{shown_url}: {e}")),
    };
    let headers = match headers(check, ctx) {
        Ok(h) => h,
        Err(why) => return Observation::new(Verdict::Fail, format!("{shown_url}: {why}")),
    };
    let method = match check.method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Head => Method::HEAD,
    };

    let response = client
        .request(method, url.as_str())
        .headers(headers)
        .timeout(check.timeout)
        .send()
        .await;
    let mut response = match response {
        Ok(r) => r,
        Err(e) => return unreachable(&e, check, &shown_url),
    };

    let status = response.status().as_u16();
    let seen = format!("HTTP {status} from {shown_url}");
    let expected = if check.expect_status.is_empty() {
        status == 200
    } else {
        check.expect_status.contains(&status)
    };
    if !expected {
        let verdict = if check.transient_status.contains(&status) {
            Verdict::Pending
        } else {
            Verdict::Fail
        };
        return Observation::new(verdict, seen);
    }
    let Some(needle) = &check.body_contains else {
        return Observation::new(Verdict::Pass, seen);
    };
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_BODY_BYTES {
                    body.truncate(MAX_BODY_BYTES);
                    break;
                }
            }
            Ok(None) => break,
            // The status was right but the body did not arrive in time: the service is busy.
            Err(e) => return unreachable(&e, check, &shown_url),
        }
    }
    if String::from_utf8_lossy(&body).contains(needle.as_str()) {
        Observation::new(Verdict::Pass, format!("{seen}, body contains '{needle}'"))
    } else {
        Observation::new(Verdict::Fail, format!("{seen}, body lacks '{needle}'"))
    }
}

/// Headers with their real values (secrets included): they go on the wire, never on screen.
fn headers(check: &HttpCheck, ctx: &ProbeContext) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, template) in &check.headers {
        let value = template
            .render(ctx.values.as_ref())
            .map_err(|e| format!("header {name}: {e}"))?;
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name `{name}` is not a valid HTTP header name"))?;
        let mut header_value = HeaderValue::from_str(&value).map_err(|_| {
            format!("header {name} has characters HTTP does not allow (a newline?)")
        })?;
        if template.has_secret() {
            header_value.set_sensitive(true);
        }
        map.insert(header_name, header_value);
    }
    Ok(map)
}

/// No status came back: say why in a few words. reqwest's own error text is not used because it
/// embeds the rendered URL, which may carry a secret the redactor does not know in that form.
fn unreachable(err: &reqwest::Error, check: &HttpCheck, shown_url: &str) -> Observation {
    let (verdict, why) = if err.is_timeout() {
        (
            Verdict::Pending,
            format!("no answer within {}", short_duration(check.timeout)),
        )
    } else if err.is_connect() {
        (Verdict::Pending, connect_failure(err).to_string())
    } else if err.is_builder() {
        (
            Verdict::Fail,
            "not a valid URL for an HTTP request".to_string(),
        )
    } else if err.is_redirect() {
        (Verdict::Fail, "too many redirects".to_string())
    } else {
        (Verdict::Pending, "the connection broke off".to_string())
    };
    Observation::new(verdict, format!("{why}: {shown_url}"))
}

fn connect_failure(err: &reqwest::Error) -> &'static str {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return "connection refused",
                ErrorKind::TimedOut => return "connection timed out",
                _ => {}
            }
        }
        if cause.to_string().to_ascii_lowercase().contains("dns") {
            return "cannot resolve the host name";
        }
        source = cause.source();
    }
    "cannot connect"
}
