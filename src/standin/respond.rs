//! Answers in each API's own shapes: v2 `Failure`, Connect's `{"error":{…}}`, the
//! `{"error_code","message"}` of Kafka REST, Schema Registry and the catalog, Jetty's HTML.

use serde_json::{Value, json};

use crate::backend::confluent::KeyKind;

/// Which API a path belongs to; decides the key family and the error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// org, cmk, iam, srcm, fcpm: the v2 control plane.
    Control,
    Connect,
    Metrics,
    KafkaRest,
    SchemaRegistry,
    Catalog,
    Flink,
}

impl Api {
    pub fn of(path: &str) -> Option<Self> {
        let p = path.trim_start_matches('/');
        Some(match p.split('/').next()? {
            "org" | "cmk" | "iam" | "srcm" | "fcpm" => Api::Control,
            "connect" => Api::Connect,
            "v2" if p.starts_with("v2/metrics/") => Api::Metrics,
            "kafka" => Api::KafkaRest,
            "subjects" | "schemas" | "config" | "compatibility" | "mode" => Api::SchemaRegistry,
            "catalog" => Api::Catalog,
            "sql" => Api::Flink,
            _ => return None,
        })
    }

    pub fn key(self) -> KeyKind {
        match self {
            Api::Control | Api::Connect | Api::Metrics => KeyKind::Cloud,
            Api::KafkaRest => KeyKind::Kafka,
            Api::SchemaRegistry | Api::Catalog => KeyKind::SchemaRegistry,
            Api::Flink => KeyKind::Flink,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Resp {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    /// Schema Registry answers in its own media type.
    pub fn sr(status: u16, body: &Value) -> Self {
        Self {
            content_type: Some("application/vnd.schemaregistry.v1+json"),
            ..Self::json(status, body)
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: String::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// An error in `api`'s shape. `code` is the v2 code (`resource_not_found`) or the numeric
/// `error_code` of the others.
pub fn error(api: Api, status: u16, code: &str, detail: &str) -> Resp {
    match api {
        Api::Control | Api::Flink | Api::Metrics => Resp::json(
            status,
            &json!({"errors": [{
                "id": format!("{:032x}", u128::from(status) * 0x9e37_79b9),
                "status": status.to_string(),
                "code": code,
                "title": reason(status),
                "detail": detail,
                "source": {},
            }]}),
        ),
        Api::Connect => Resp::json(
            status,
            &json!({"error": {"code": status, "message": detail}}),
        ),
        Api::KafkaRest | Api::Catalog => {
            let numeric: i64 = code.parse().unwrap_or(i64::from(status) * 100 + 1);
            Resp::json(status, &json!({"error_code": numeric, "message": detail}))
        }
        Api::SchemaRegistry => {
            let numeric: i64 = code.parse().unwrap_or(i64::from(status) * 100 + 1);
            Resp::sr(status, &json!({"error_code": numeric, "message": detail}))
        }
    }
}

/// 401 for a key the API does not accept.
pub fn unauthorized(api: Api) -> Resp {
    let resp = match api {
        Api::Control | Api::Flink | Api::Metrics => {
            error(api, 401, "user_unauthenticated", "The API Key is invalid")
        }
        Api::Connect => error(api, 401, "", "Unauthorized"),
        Api::KafkaRest => error(api, 401, "40101", "Authentication failed"),
        Api::SchemaRegistry | Api::Catalog => error(api, 401, "40101", "Unauthorized"),
    };
    resp.with_header(
        "www-authenticate",
        "Basic error=\"invalid_key\", error_description=\"The API Key is invalid\"".to_string(),
    )
}

/// 429 as each API sends it: Jetty HTML on Kafka REST, JSON elsewhere; always with the wait.
pub fn rate_limited(api: Api, retry_after_secs: u32, path: &str) -> Resp {
    let resp = if api == Api::KafkaRest {
        Resp {
            status: 429,
            content_type: Some("text/html"),
            body: format!(
                "<html><head><title>Error 429 Too Many Requests</title></head><body><h2>HTTP ERROR 429 Too Many Requests</h2><table><tr><th>URI:</th><td>{path}</td></tr><tr><th>STATUS:</th><td>429</td></tr></table></body></html>"
            ),
            headers: Vec::new(),
        }
    } else {
        error(
            api,
            429,
            "too_many_requests",
            "Too many requests; slow down",
        )
    };
    resp.with_header("retry-after", retry_after_secs.to_string())
        .with_header("x-ratelimit-limit", "60".to_string())
        .with_header("x-ratelimit-remaining", "0".to_string())
        .with_header("x-ratelimit-reset", retry_after_secs.to_string())
}

/// A v2 list page: `metadata.next` is an absolute URL keeping the other query parameters.
pub fn page(
    base_url: &str,
    path: &str,
    query: &[(String, String)],
    kind: &str,
    api_version: &str,
    items: Vec<Value>,
) -> Value {
    let size = query
        .iter()
        .find(|(k, _)| k == "page_size")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let start = query
        .iter()
        .find(|(k, _)| k == "page_token")
        .and_then(|(_, v)| v.strip_prefix("p"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let mut metadata = json!({"first": format!("{base_url}{path}"), "total_size": total});
    if start + size < total {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "page_token")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.push(format!("page_token=p{}", start + size));
        metadata["next"] = json!(format!("{base_url}{path}?{}", pairs.join("&")));
    }
    json!({"api_version": api_version, "kind": kind, "metadata": metadata, "data": data})
}
