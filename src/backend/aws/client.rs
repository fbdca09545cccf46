//! [`AwsClient`]: SigV4-signed requests over reqwest, the endpoint of each service, and the
//! [`AwsApi`] calls (each protocol's requests and parsing live in `s3`, `redshift`, `ec2`).

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Method;

use super::error::{AwsError, AwsErrorKind, from_response};
use super::sigv4::{amz_now, canonical_query, payload_hash, sigv4_authorization, uri_encode};
use super::{
    AwsApi, AwsScope, Ec2Instance, ObjectListing, RedshiftCluster, RedshiftTarget, StatementInfo,
    StatementRows,
};

/// Pages of 1,000 objects read at most per listing: a workshop bucket holds a few files, and a
/// check must stay cheap however full a bucket is.
pub const MAX_LIST_PAGES: usize = 50;
/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The real AWS client (one connection pool for every service).
#[derive(Clone)]
pub struct AwsClient {
    http: reqwest::Client,
}

/// One request before signing. `path` starts with `/`; for S3 it is the part after the bucket.
pub(crate) struct Call<'a> {
    pub service: &'a str,
    pub method: Method,
    pub bucket: Option<&'a str>,
    pub path: String,
    /// Already canonical ([`canonical_query`]).
    pub query: String,
    /// Extra headers, signed too (`content-type`, `x-amz-target`), names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl<'a> Call<'a> {
    pub fn new(service: &'a str, method: Method) -> Self {
        Self {
            service,
            method,
            bucket: None,
            path: "/".to_string(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A query-protocol call (EC2, Redshift): the parameters as a form body.
    pub fn form(service: &'a str, params: &[(&str, &str)]) -> Self {
        let mut call = Self::new(service, Method::POST);
        call.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ));
        call.body = canonical_query(params).into_bytes();
        call
    }
}

/// Whatever came back, error statuses included.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub error_type: Option<String>,
    pub bucket_region: Option<String>,
    /// `METHOD url` without the query, for messages.
    pub request: String,
}

impl Answer {
    /// A 2xx answer as is; anything else as the error it describes.
    pub fn ok(self) -> Result<Self, AwsError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(from_response(
                self.status,
                &self.body,
                self.error_type.as_deref(),
                self.bucket_region.as_deref(),
                &self.request,
            ))
        }
    }

    pub fn decode_error(&self, detail: impl std::fmt::Display) -> AwsError {
        AwsError::new(AwsErrorKind::Decode, &self.request, detail.to_string())
    }
}

/// `amazonaws.com`, or the China partition's suffix.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

impl AwsClient {
    pub fn new() -> Result<Self, AwsError> {
        let http = reqwest::Client::builder()
            .user_agent(crate::backend::confluent::client::USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // S3 answers a bucket in another region with 301 and the region in a header; that
            // answer is the information, so redirects are never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                AwsError::new(
                    AwsErrorKind::Unreachable,
                    "AWS",
                    format!("cannot set up HTTPS ({e}); check this machine's TLS certificates"),
                )
            })?;
        Ok(Self { http })
    }

    /// Base URL and path of a call: the configured endpoint (path-style S3) or the real
    /// regional host (virtual-hosted S3).
    fn locate(scope: &AwsScope, call: &Call<'_>) -> (String, String) {
        let bucket_path = |b: &str| format!("/{}", uri_encode(b, false));
        match (&scope.endpoint, call.bucket) {
            (Some(e), Some(b)) => (
                e.trim_end_matches('/').to_string(),
                format!("{}{}", bucket_path(b), call.path.trim_end_matches('/')),
            ),
            (Some(e), None) => (e.trim_end_matches('/').to_string(), call.path.clone()),
            (None, Some(b)) => (
                format!(
                    "https://{b}.s3.{}.{}",
                    scope.region,
                    dns_suffix(&scope.region)
                ),
                call.path.clone(),
            ),
            (None, None) => (
                format!(
                    "https://{}.{}.{}",
                    call.service,
                    scope.region,
                    dns_suffix(&scope.region)
                ),
                call.path.clone(),
            ),
        }
    }

    /// Sign and send; only a request that got no answer is an error here.
    pub(crate) async fn send(&self, scope: &AwsScope, call: Call<'_>) -> Result<Answer, AwsError> {
        let (base, path) = Self::locate(scope, &call);
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        let request = format!("{} {base}{path}", call.method);
        let mut url = reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| {
            AwsError::new(
                AwsErrorKind::Other,
                &request,
                format!("not a valid URL ({e}); check CDC_WORKSHOP_AWS_ENDPOINT_URL and `region` of [aws]"),
            )
        })?;
        if !call.query.is_empty() {
            url.set_query(Some(&call.query));
        }
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        let amz_date = amz_now();
        let content_hash = payload_hash(&call.body);
        let mut signed: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("x-amz-content-sha256".into(), content_hash),
            ("x-amz-date".into(), amz_date.clone()),
        ];
        if let Some(token) = &scope.session_token {
            signed.push(("x-amz-security-token".into(), token.expose().to_string()));
        }
        signed.extend(call.headers.iter().cloned());
        signed.sort();
        let pairs: Vec<(&str, &str)> = signed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let auth = sigv4_authorization(
            &scope.access_key_id,
            scope.secret_access_key.expose(),
            &amz_date,
            &scope.region,
            call.service,
            call.method.as_str(),
            url.path(),
            &call.query,
            &pairs,
            &call.body,
        );
        let mut builder = self.http.request(call.method.clone(), url);
        for (name, value) in signed.iter().filter(|(k, _)| k != "host") {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let sent = builder
            .header("authorization", auth)
            .body(call.body)
            .send()
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    format!("no answer within {}s", REQUEST_TIMEOUT.as_secs())
                } else if e.is_connect() {
                    "connection failed".to_string()
                } else {
                    "the request failed".to_string()
                };
                AwsError::new(AwsErrorKind::Unreachable, &request, why)
            })?;
        let status = sent.status().as_u16();
        let header = |name: &str| {
            sent.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let error_type = header("x-amzn-errortype");
        let bucket_region = header("x-amz-bucket-region");
        let body = sent.text().await.unwrap_or_default();
        Ok(Answer {
            status,
            body,
            error_type,
            bucket_region,
            request,
        })
    }

    /// Any signed request, for what the typed calls do not cover (tests seed an emulator with
    /// it); returns the status and the body.
    pub async fn send_signed(
        &self,
        scope: &AwsScope,
        request: RawRequest<'_>,
    ) -> Result<(u16, String), AwsError> {
        let mut call = Call::new(request.service, request.method);
        call.path = request.path.to_string();
        call.query = canonical_query(request.query);
        call.headers = request
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_string()))
            .collect();
        call.body = request.body;
        let answer = self.send(scope, call).await?;
        Ok((answer.status, answer.body))
    }
}

/// A request for [`AwsClient::send_signed`]. `path` is absolute, the bucket included for S3.
pub struct RawRequest<'a> {
    pub service: &'a str,
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Vec<u8>,
}

impl AwsApi for AwsClient {
    fn list_objects<'a>(
        &'a self,
        scope: &'a AwsScope,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<ObjectListing, AwsError>> {
        self.s3_list(scope, bucket, prefix).boxed()
    }

    fn bucket_exists<'a>(
        &'a self,
        scope: &'a AwsScope,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<bool, AwsError>> {
        self.s3_head_bucket(scope, bucket).boxed()
    }

    fn execute_statement<'a>(
        &'a self,
        scope: &'a AwsScope,
        target: &'a RedshiftTarget,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<String, AwsError>> {
        self.data_execute(scope, target, sql).boxed()
    }

    fn describe_statement<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<StatementInfo, AwsError>> {
        self.data_describe(scope, id).boxed()
    }

    fn statement_result<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<StatementRows, AwsError>> {
        self.data_result(scope, id).boxed()
    }

    fn instances_tagged<'a>(
        &'a self,
        scope: &'a AwsScope,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Ec2Instance>, AwsError>> {
        self.ec2_instances_tagged(scope, key, value).boxed()
    }

    fn redshift_cluster<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<RedshiftCluster>, AwsError>> {
        self.redshift_describe_cluster(scope, id).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;

    fn scope(endpoint: Option<&str>) -> AwsScope {
        AwsScope {
            region: "eu-central-1".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalr-very-private"),
            session_token: None,
            endpoint: endpoint.map(String::from),
        }
    }

    #[test]
    fn real_endpoints_are_regional_and_one_configured_endpoint_serves_every_service() {
        let mut list = Call::new("s3", Method::GET);
        list.bucket = Some("cmcdc-workshop-1a2b");
        assert_eq!(
            AwsClient::locate(&scope(None), &list),
            (
                "https://cmcdc-workshop-1a2b.s3.eu-central-1.amazonaws.com".into(),
                "/".into()
            )
        );
        assert_eq!(
            AwsClient::locate(&scope(Some("http://127.0.0.1:5000/")), &list),
            (
                "http://127.0.0.1:5000".into(),
                "/cmcdc-workshop-1a2b".into()
            )
        );
        let data = Call::new("redshift-data", Method::POST);
        assert_eq!(
            AwsClient::locate(&scope(None), &data).0,
            "https://redshift-data.eu-central-1.amazonaws.com"
        );
        assert_eq!(
            AwsClient::locate(&scope(Some("http://127.0.0.1:5000")), &data),
            ("http://127.0.0.1:5000".into(), "/".into())
        );
    }

    #[test]
    fn the_scope_never_shows_its_secrets() {
        let mut s = scope(None);
        s.session_token = Some(Secret::new("token-value"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(!shown.contains("token-value"), "{shown}");
    }
}
