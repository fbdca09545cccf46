//! One error type for every AWS call, whatever protocol the body came in (S3 and query-protocol
//! XML, JSON 1.1), classified by what the participant does about it.

use thiserror::Error;

use super::xml;

/// What went wrong, in the terms the caller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The key itself was refused: unknown key id, wrong secret, expired token.
    Rejected,
    /// The key is valid but may not do this (IAM policy).
    AccessDenied,
    /// The bucket, cluster or statement does not exist.
    NotFound,
    /// The bucket lives in another region than the one signed for.
    WrongRegion(Option<String>),
    /// Slow down (SlowDown, Throttling, RequestLimitExceeded, 429): try again later.
    Throttled,
    /// 5xx: AWS had trouble; try again later.
    Server,
    /// No answer: DNS, connection, timeout.
    Unreachable,
    /// The answer did not have the documented shape.
    Decode,
    /// Anything else AWS refused (validation errors and the like).
    Other,
}

/// A failed call: the kind, AWS's own code and message when it sent them, and the request
/// (`GET https://host/path`, never a secret or a signature).
#[derive(Debug, Clone, Error)]
#[error("{}", self.describe())]
pub struct AwsError {
    pub kind: AwsErrorKind,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub request: String,
}

impl AwsError {
    pub fn new(kind: AwsErrorKind, request: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            request: request.into(),
        }
    }

    /// Worth polling again: throttling, server trouble, no answer.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            AwsErrorKind::Throttled | AwsErrorKind::Server | AwsErrorKind::Unreachable
        )
    }

    fn code_and_message(&self) -> String {
        match (&self.code, self.message.trim()) {
            (Some(c), "") => c.clone(),
            (Some(c), m) => format!("{c}: {m}"),
            (None, "") => self
                .status
                .map_or_else(|| "no details".to_string(), |s| format!("HTTP {s}")),
            (None, m) => m.to_string(),
        }
    }

    fn describe(&self) -> String {
        let what = self.code_and_message();
        let req = &self.request;
        match &self.kind {
            AwsErrorKind::Rejected => format!(
                "AWS rejected the key ({what}) on {req}; check it with `cdc-workshop credentials list` (the access key id, its secret and, for temporary keys, the session token)"
            ),
            AwsErrorKind::AccessDenied => format!(
                "AWS rejected the key for {req} ({what}); check it with `cdc-workshop credentials list`, and that its IAM user may read S3, Redshift and EC2"
            ),
            AwsErrorKind::NotFound => format!("{what} ({req})"),
            AwsErrorKind::WrongRegion(Some(region)) => format!(
                "the bucket is in region {region}, not the one of [aws] ({req}); set `region` of [aws] to {region}"
            ),
            AwsErrorKind::WrongRegion(None) => format!(
                "AWS says the resource is in another region ({what}, {req}); check `region` of [aws]"
            ),
            AwsErrorKind::Throttled => {
                format!("AWS is throttling requests ({what}, {req}); trying again")
            }
            AwsErrorKind::Server => format!("AWS had trouble ({what}, {req}); trying again"),
            AwsErrorKind::Unreachable => format!(
                "cannot reach AWS for {req}: {what}; check the network (and CDC_WORKSHOP_AWS_ENDPOINT_URL if set)"
            ),
            AwsErrorKind::Decode => {
                format!("AWS answered {req} with something unexpected: {what}")
            }
            AwsErrorKind::Other => format!("AWS refused {req}: {what}"),
        }
    }
}

/// The kind an AWS error code means; `None` when the code says nothing the status does not.
fn kind_of_code(code: &str) -> Option<AwsErrorKind> {
    Some(match code {
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "InvalidClientTokenId"
        | "AuthFailure"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidToken"
        | "MissingAuthenticationToken"
        | "TokenRefreshRequired" => AwsErrorKind::Rejected,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AllAccessDisabled" => AwsErrorKind::AccessDenied,
        "NoSuchBucket"
        | "NoSuchKey"
        | "ClusterNotFound"
        | "ClusterNotFoundFault"
        | "ResourceNotFoundException" => AwsErrorKind::NotFound,
        "PermanentRedirect" | "AuthorizationHeaderMalformed" => AwsErrorKind::WrongRegion(None),
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "ServiceUnavailable" => AwsErrorKind::Throttled,
        "InternalError" | "InternalFailure" | "InternalServerException" => AwsErrorKind::Server,
        _ => return None,
    })
}

fn kind_of_status(status: u16) -> AwsErrorKind {
    match status {
        301 | 307 => AwsErrorKind::WrongRegion(None),
        401 => AwsErrorKind::Rejected,
        403 => AwsErrorKind::AccessDenied,
        404 => AwsErrorKind::NotFound,
        429 | 503 => AwsErrorKind::Throttled,
        500..=599 => AwsErrorKind::Server,
        _ => AwsErrorKind::Other,
    }
}

/// An error answer → [`AwsError`]. `region_header` is S3's `x-amz-bucket-region`, the only
/// hint a body-less HEAD gives about a bucket in another region.
pub(crate) fn from_response(
    status: u16,
    body: &str,
    amzn_error_type: Option<&str>,
    region_header: Option<&str>,
    request: &str,
) -> AwsError {
    let (code, message) = parse_body(body, amzn_error_type);
    let mut kind = code
        .as_deref()
        .and_then(kind_of_code)
        .unwrap_or_else(|| kind_of_status(status));
    if let AwsErrorKind::WrongRegion(None) = kind {
        kind = AwsErrorKind::WrongRegion(region_header.map(str::to_string));
    }
    AwsError {
        kind,
        status: Some(status),
        code,
        message,
        request: request.to_string(),
    }
}

/// `(code, message)` from an XML `<Error><Code>…` body, a JSON `{"__type": …, "message": …}`
/// body or the `x-amzn-ErrorType` header.
fn parse_body(body: &str, amzn_error_type: Option<&str>) -> (Option<String>, String) {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        if let Ok(doc) = roxmltree::Document::parse(trimmed) {
            let root = doc.root_element();
            let code = xml::find_text(root, "Code");
            let message = xml::find_text(root, "Message").unwrap_or_default();
            return (code, message);
        }
    } else if trimmed.starts_with('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        let code = v
            .get("__type")
            .or_else(|| v.get("code"))
            .and_then(|c| c.as_str())
            .map(short_code);
        let message = v
            .get("message")
            .or_else(|| v.get("Message"))
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_string();
        return (code.or_else(|| amzn_error_type.map(short_code)), message);
    }
    (amzn_error_type.map(short_code), String::new())
}

/// `com.amazon.coral.service#UnrecognizedClientException` or `X:http://…` → the bare code.
fn short_code(raw: &str) -> String {
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_protocols_error_bodies_are_read() {
        let s3 = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message><RequestId>1</RequestId></Error>"#;
        let e = from_response(403, s3, None, None, "GET http://s3/bucket");
        assert_eq!(e.kind, AwsErrorKind::Rejected);
        assert!(
            e.to_string()
                .contains("check it with `cdc-workshop credentials list`"),
            "{e}"
        );

        let query = r#"<ErrorResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><Error><Type>Sender</Type><Code>ClusterNotFound</Code><Message>Cluster nope not found.</Message></Error></ErrorResponse>"#;
        let e = from_response(404, query, None, None, "POST https://redshift/");
        assert_eq!(e.kind, AwsErrorKind::NotFound);
        assert_eq!(e.code.as_deref(), Some("ClusterNotFound"));

        let ec2 = r#"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>"#;
        assert!(from_response(503, ec2, None, None, "POST ec2").is_transient());

        let json = r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
        let e = from_response(400, json, None, None, "POST redshift-data");
        assert_eq!(e.kind, AwsErrorKind::Rejected);
        assert!(
            e.to_string()
                .contains("UnrecognizedClientException: The security token")
        );
    }

    #[test]
    fn a_body_less_answer_is_classified_by_status_and_headers() {
        assert_eq!(
            from_response(404, "", None, None, "HEAD b").kind,
            AwsErrorKind::NotFound
        );
        let moved = from_response(301, "", None, Some("eu-west-1"), "HEAD b");
        assert_eq!(
            moved.kind,
            AwsErrorKind::WrongRegion(Some("eu-west-1".into()))
        );
        assert!(
            moved
                .to_string()
                .contains("set `region` of [aws] to eu-west-1")
        );
        assert!(from_response(503, "", None, None, "GET b").is_transient());
    }
}
