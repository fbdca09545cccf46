//! A contract checker over the official Confluent OpenAPI 3.0 specs in
//! `../shared/fixtures/confluent-openapi/`: a recorded request/response must hit an operation
//! the specs declare, carry its required query parameters, send a body that fits the request
//! schema, and get a status and body the operation declares.
//!
//! Written for these specs rather than taken from a JSON-Schema crate: OpenAPI 3.0 has its own
//! `nullable`, `discriminator`, `readOnly` and `x-extensible-enum` rules that a draft-7
//! validator gets wrong.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cdc_workshop::standin::Exchange;
use serde_json::Value;

pub struct Spec {
    pub file: String,
    pub doc: Value,
}

/// One violation: where (a JSON pointer) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: String,
    pub problem: String,
}

pub struct Contract {
    pub specs: Vec<Spec>,
}

/// `../shared/fixtures` from the project root, or `None` (with a printed reason; a failure
/// under `CI=true`).
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "../shared/fixtures is missing; CI must check shared/ out beside the project"
    );
    eprintln!("skipping: ../shared/fixtures is not here");
    None
}

impl Contract {
    pub fn load() -> Option<Self> {
        let dir = fixtures_dir()?.join("confluent-openapi");
        let mut specs = Vec::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let doc: Value = serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            specs.push(Spec {
                file: path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                doc,
            });
        }
        Some(Self { specs })
    }

    /// The operation for `method` on `path`: spec, path template and operation object. Literal
    /// segments win over `{param}` ones when several templates match.
    pub fn operation(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Option<(&Spec, String, &Value)> {
        let method = method.to_ascii_lowercase();
        let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, &Spec, String, &Value)> = None;
        for spec in &self.specs {
            let Some(paths) = spec.doc.get("paths").and_then(Value::as_object) else {
                continue;
            };
            for (template, item) in paths {
                let Some(op) = item.get(&method) else {
                    continue;
                };
                let clean = template.split('?').next().unwrap_or(template);
                let parts: Vec<&str> = clean.trim_matches('/').split('/').collect();
                if parts.len() != actual.len() {
                    continue;
                }
                let mut literal = 0;
                let fits = parts.iter().zip(&actual).all(|(t, a)| {
                    if t.starts_with('{') && t.ends_with('}') {
                        true
                    } else if t == a {
                        literal += 1;
                        true
                    } else {
                        false
                    }
                });
                // `…/connectors?expand=…` is a separate template for the same path: it applies
                // when the request carries that query, the plain one otherwise.
                let wants_query = template.split_once('?').is_some_and(|(_, q)| {
                    query.is_some_and(|actual| actual.contains(q.split('=').next().unwrap_or(q)))
                });
                let plain = !template.contains('?');
                let score = literal * 4 + usize::from(plain) + 2 * usize::from(wants_query);
                if fits && best.as_ref().is_none_or(|(s, ..)| score > *s) {
                    best = Some((score, spec, template.clone(), op));
                }
            }
        }
        best.map(|(_, spec, t, op)| (spec, t, op))
    }

    pub fn check(&self, e: &Exchange) -> Result<(), Vec<Violation>> {
        let mut v = Vec::new();
        let Some((spec, template, op)) = self.operation(&e.method, &e.path, e.query.as_deref())
        else {
            return Err(vec![Violation {
                at: e.path.clone(),
                problem: format!("no spec declares {} {}", e.method, e.path),
            }]);
        };
        let root = &spec.doc;
        let query: Vec<(String, String)> = e
            .query
            .as_deref()
            .map(|q| {
                q.split('&')
                    .filter_map(|p| {
                        p.split_once('=')
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Required query parameters (operation-level; path-level ones too).
        let path_item = root.get("paths").and_then(|p| p.get(&template));
        let params = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                path_item
                    .and_then(|p| p.get("parameters"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for p in params {
            let p = resolve(root, p);
            if p.get("in").and_then(Value::as_str) == Some("query")
                && p.get("required").and_then(Value::as_bool) == Some(true)
            {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                if !query.iter().any(|(k, _)| k == name) && !template.contains(&format!("{name}="))
                {
                    v.push(Violation {
                        at: format!("{} query", e.path),
                        problem: format!("required query parameter `{name}` is missing"),
                    });
                }
            }
        }
        // The request body.
        if let Some(body) = &e.request_body
            && let Some(schema) = op
                .get("requestBody")
                .map(|b| resolve(root, b))
                .and_then(|b| b.get("content"))
                .and_then(json_schema)
        {
            validate(root, schema, body, "request", Dir::Request, &mut v);
        }
        // The status and the response body.
        let responses = op.get("responses");
        let status = e.status.to_string();
        let class = format!("{}XX", e.status / 100);
        let declared = responses.and_then(|r| {
            r.get(&status)
                .or_else(|| r.get(&class))
                .or_else(|| r.get("default"))
        });
        match declared {
            None => v.push(Violation {
                at: format!("{} {}", e.method, e.path),
                problem: format!(
                    "status {} is not declared by {template} in {}",
                    e.status, spec.file
                ),
            }),
            Some(resp) => {
                let resp = resolve(root, resp);
                if let Some(content) = resp.get("content").and_then(Value::as_object) {
                    let is_html = e
                        .response_content_type
                        .as_deref()
                        .is_some_and(|c| c.starts_with("text/html"));
                    if is_html {
                        if !content.keys().any(|k| k.starts_with("text/html")) {
                            v.push(Violation {
                                at: "response".into(),
                                problem: "an HTML body where the spec declares none".into(),
                            });
                        }
                    } else if let Some(schema) = json_schema(&Value::Object(content.clone())) {
                        match serde_json::from_str::<Value>(&e.response_body) {
                            Ok(body) => {
                                validate(root, schema, &body, "response", Dir::Response, &mut v)
                            }
                            Err(_) if e.response_body.is_empty() => {}
                            Err(err) => v.push(Violation {
                                at: "response".into(),
                                problem: format!("not JSON: {err}"),
                            }),
                        }
                    }
                }
            }
        }
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

/// The JSON schema of a `content` map (any JSON-like media type).
fn json_schema(content: &Value) -> Option<&Value> {
    let map = content.as_object()?;
    map.iter()
        .find(|(k, _)| k.contains("json"))
        .and_then(|(_, m)| m.get("schema"))
}

pub fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    let mut current = v;
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(next) => current = next,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Request,
    Response,
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => {
            v.as_i64().is_some()
                || v.as_u64().is_some()
                || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    }
}

/// Validate `value` against `schema` (OpenAPI 3.0), collecting violations under `at`.
pub fn validate(
    root: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    dir: Dir,
    out: &mut Vec<Violation>,
) {
    let schema = resolve(root, schema);
    if value.is_null() {
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        let untyped = schema.get("type").is_none() && schema.get("properties").is_none();
        if !nullable
            && !untyped
            && schema.get("oneOf").is_none()
            && schema.get("anyOf").is_none()
            && schema.get("allOf").is_none()
        {
            out.push(Violation {
                at: at.into(),
                problem: "null where the schema is not nullable".into(),
            });
        }
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(root, s, value, at, dir, out);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            // A discriminator names the alternative; otherwise one must fit.
            let chosen = schema.get("discriminator").and_then(|d| {
                let prop = d.get("propertyName")?.as_str()?;
                let tag = value.get(prop)?.as_str()?;
                let target = d
                    .get("mapping")
                    .and_then(|m| m.get(tag))
                    .and_then(Value::as_str);
                match target {
                    Some(r) => root.pointer(r.strip_prefix('#')?),
                    None => alts.iter().map(|a| resolve(root, a)).find(|a| {
                        a.pointer(&format!("/properties/{prop}/enum"))
                            .and_then(Value::as_array)
                            .is_some_and(|e| e.iter().any(|x| x == tag))
                    }),
                }
            });
            match chosen {
                Some(s) => validate(root, s, value, at, dir, out),
                None => {
                    let fits = alts.iter().any(|a| {
                        let mut tmp = Vec::new();
                        validate(root, a, value, at, dir, &mut tmp);
                        tmp.is_empty()
                    });
                    if !fits {
                        out.push(Violation {
                            at: at.into(),
                            problem: format!("fits none of the {key} alternatives"),
                        });
                    }
                }
            }
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str)
        && !type_ok(t, value)
    {
        out.push(Violation {
            at: at.into(),
            problem: format!("expected {t}, got {value}"),
        });
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && schema.get("x-extensible-enum").is_none()
        && !values.contains(value)
    {
        out.push(Violation {
            at: at.into(),
            problem: format!("{value} is not one of {}", Value::Array(values.clone())),
        });
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                let prop = props.and_then(|p| p.get(r)).map(|p| resolve(root, p));
                let skip = match dir {
                    Dir::Request => prop
                        .is_some_and(|p| p.get("readOnly").and_then(Value::as_bool) == Some(true)),
                    Dir::Response => prop
                        .is_some_and(|p| p.get("writeOnly").and_then(Value::as_bool) == Some(true)),
                };
                if !skip && !obj.contains_key(r) {
                    out.push(Violation {
                        at: at.into(),
                        problem: format!("required property `{r}` is missing"),
                    });
                }
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(p) => validate(root, p, v, &format!("{at}/{k}"), dir, out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(Violation {
                        at: format!("{at}/{k}"),
                        problem: "a property the schema does not allow".into(),
                    }),
                    Some(s @ Value::Object(_)) => {
                        validate(root, s, v, &format!("{at}/{k}"), dir, out)
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(root, items, v, &format!("{at}/{i}"), dir, out);
        }
    }
}

/// Every exchange must hold to the specs, except for the listed deviations (path fragment,
/// violation fragment, reason); the report lists each violation with its request.
pub fn assert_all_valid(
    contract: &Contract,
    exchanges: &[Exchange],
    deviations: &[(&str, &str, &str)],
) {
    let mut report = Vec::new();
    for e in exchanges {
        if let Err(violations) = contract.check(e) {
            for v in violations {
                let line = format!(
                    "{} {} → {}: {} at {}",
                    e.method, e.path, e.status, v.problem, v.at
                );
                let excused = deviations
                    .iter()
                    .any(|(path, problem, _)| e.path.contains(path) && line.contains(problem));
                if !excused {
                    report.push(line);
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} contract violation(s):\n{}",
        report.len(),
        report.join("\n")
    );
}
