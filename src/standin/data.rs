//! The data-plane APIs on the cluster and Schema Registry endpoints: Kafka REST v3 topics,
//! Schema Registry subjects and schemas, Stream Catalog tags, and the Metrics API.

use serde_json::{Value, json};

use super::Ctx;
use super::respond::{Api, Resp, error};
use super::world::{TagBinding, TagDef, TopicRecord, World};

fn topic_json(ctx: &Ctx, t: &TopicRecord) -> Value {
    let base = format!(
        "{}/kafka/v3/clusters/{}/topics/{}",
        ctx.base_url, t.cluster, t.name
    );
    json!({
        "kind": "KafkaTopic",
        "metadata": {"self": base, "resource_name": format!("crn:///kafka={}/topic={}", t.cluster, t.name)},
        "cluster_id": t.cluster,
        "topic_name": t.name,
        "is_internal": false,
        "replication_factor": t.replication_factor,
        "partitions_count": t.partitions,
        "partitions": {"related": format!("{base}/partitions")},
        "configs": {"related": format!("{base}/configs")},
        "partition_reassignments": {"related": format!("{base}/partitions/-/reassignment")},
    })
}

pub(super) fn kafka_rest(
    w: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    body: &Option<Value>,
) -> Resp {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ["kafka", "v3", "clusters", cluster, rest @ ..] = segs.as_slice() else {
        return error(Api::KafkaRest, 404, "40403", "endpoint not found");
    };
    if !w.clusters.contains_key(*cluster) {
        return error(
            Api::KafkaRest,
            404,
            "40402",
            &format!("Cluster {cluster} cannot be found."),
        );
    }
    match (method, rest) {
        ("GET", ["topics"]) => {
            let data: Vec<Value> = w
                .topics
                .iter()
                .filter(|t| t.cluster == *cluster)
                .map(|t| topic_json(ctx, t))
                .collect();
            Resp::json(
                200,
                &json!({"kind": "KafkaTopicList", "metadata": {"self": format!("{}{path}", ctx.base_url), "next": null}, "data": data}),
            )
        }
        ("POST", ["topics"]) => {
            let Some(name) = body
                .as_ref()
                .and_then(|b| b.get("topic_name"))
                .and_then(Value::as_str)
            else {
                return error(Api::KafkaRest, 400, "40002", "topic_name is required");
            };
            if w.topic(cluster, name).is_some() {
                return error(
                    Api::KafkaRest,
                    400,
                    "40002",
                    &format!("Topic '{name}' already exists."),
                );
            }
            let partitions = body
                .as_ref()
                .and_then(|b| b.get("partitions_count"))
                .and_then(Value::as_u64)
                .map_or(6, |p| p as u32);
            w.ensure_topic(cluster, name, partitions);
            let t = w.topic(cluster, name).cloned();
            match t {
                Some(t) => Resp::json(201, &topic_json(ctx, &t)),
                None => error(Api::KafkaRest, 500, "50001", "the topic vanished"),
            }
        }
        ("GET" | "DELETE", ["topics", name]) => match w
            .topics
            .iter()
            .position(|t| t.cluster == *cluster && t.name == *name)
        {
            Some(i) if method == "DELETE" => {
                w.topics.remove(i);
                Resp::empty(204)
            }
            Some(i) => Resp::json(200, &topic_json(ctx, &w.topics[i])),
            None => error(
                Api::KafkaRest,
                404,
                "40403",
                "This server does not host this topic-partition.",
            ),
        },
        _ => error(Api::KafkaRest, 404, "40403", "endpoint not found"),
    }
}

fn version_json(subject: &str, v: &super::world::SchemaRecord) -> Value {
    let mut out = json!({"subject": subject, "version": v.version, "id": v.id, "schema": v.schema});
    // Schema Registry leaves schemaType out for AVRO.
    if let Some(t) = &v.schema_type
        && t != "AVRO"
    {
        out["schemaType"] = json!(t);
    }
    out
}

pub(super) fn schema_registry(
    w: &mut World,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &Option<Value>,
) -> Resp {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let no_subject = |s: &str| {
        error(
            Api::SchemaRegistry,
            404,
            "40401",
            &format!("Subject '{s}' not found."),
        )
    };
    match (method, segs.as_slice()) {
        ("GET", ["subjects"]) => {
            let prefix = query
                .iter()
                .find(|(k, _)| k == "subjectPrefix")
                .map_or("", |(_, v)| v.as_str());
            let names: Vec<&String> = w
                .subjects
                .keys()
                .filter(|s| s.starts_with(prefix))
                .collect();
            Resp::sr(200, &json!(names))
        }
        ("GET", ["subjects", subject, "versions"]) => match w.subjects.get(*subject) {
            Some(v) => Resp::sr(200, &json!(v.iter().map(|s| s.version).collect::<Vec<_>>())),
            None => no_subject(subject),
        },
        ("GET", ["subjects", subject, "versions", version]) => {
            let Some(versions) = w.subjects.get(*subject) else {
                return no_subject(subject);
            };
            let found = if *version == "latest" {
                versions.last()
            } else {
                version
                    .parse::<u32>()
                    .ok()
                    .and_then(|n| versions.iter().find(|v| v.version == n))
            };
            match found {
                Some(v) => Resp::sr(200, &version_json(subject, v)),
                None => error(
                    Api::SchemaRegistry,
                    404,
                    "40402",
                    &format!("Version {version} not found."),
                ),
            }
        }
        ("POST", ["subjects", subject, "versions"]) => {
            let Some(schema) = body
                .as_ref()
                .and_then(|b| b.get("schema"))
                .and_then(Value::as_str)
            else {
                return error(
                    Api::SchemaRegistry,
                    422,
                    "42201",
                    "Invalid schema: `schema` is required",
                );
            };
            if serde_json::from_str::<Value>(schema).is_err() {
                return error(
                    Api::SchemaRegistry,
                    422,
                    "42201",
                    "Invalid schema: not valid JSON",
                );
            }
            let schema_type = body
                .as_ref()
                .and_then(|b| b.get("schemaType"))
                .and_then(Value::as_str)
                .map(String::from);
            let id = w.register(subject, schema, schema_type.as_deref());
            Resp::sr(200, &json!({"id": id}))
        }
        ("GET", ["schemas", "ids", id]) => {
            let id: u32 = id.parse().unwrap_or(0);
            match w.subjects.values().flatten().find(|s| s.id == id) {
                Some(s) => Resp::sr(200, &json!({"schema": s.schema})),
                None => error(Api::SchemaRegistry, 404, "40403", "Schema not found"),
            }
        }
        ("GET", ["config"]) => {
            Resp::sr(200, &json!({"compatibilityLevel": w.global_compatibility}))
        }
        ("GET", ["config", subject]) => {
            let default = query
                .iter()
                .any(|(k, v)| k == "defaultToGlobal" && v == "true");
            match w.subject_compatibility.get(*subject) {
                Some(level) => Resp::sr(200, &json!({"compatibilityLevel": level})),
                None if default => {
                    Resp::sr(200, &json!({"compatibilityLevel": w.global_compatibility}))
                }
                None => error(
                    Api::SchemaRegistry,
                    404,
                    "40408",
                    &format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                ),
            }
        }
        ("PUT", ["config", subject]) => {
            let Some(level) = body
                .as_ref()
                .and_then(|b| b.get("compatibility"))
                .and_then(Value::as_str)
            else {
                return error(
                    Api::SchemaRegistry,
                    422,
                    "42203",
                    "Invalid compatibility level",
                );
            };
            w.subject_compatibility
                .insert((*subject).to_string(), level.to_string());
            Resp::sr(200, &json!({"compatibility": level}))
        }
        _ => error(Api::SchemaRegistry, 404, "404", "unknown path"),
    }
}

fn tagdef_json(t: &TagDef) -> Value {
    json!({"category": "CLASSIFICATION", "name": t.name, "description": t.description, "version": 1, "createdBy": "cdc-workshop", "createTime": 1_763_900_000_000_u64, "entityTypes": ["cf_entity"], "attributeDefs": []})
}

pub(super) fn catalog(
    w: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    body: &Option<Value>,
) -> Resp {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let visible = |created: tokio::time::Instant| {
        ctx.now.saturating_duration_since(created) >= ctx.timings.tag_visibility
    };
    match (method, segs.as_slice()) {
        ("GET", ["catalog", "v1", "types", "tagdefs"]) => {
            let defs: Vec<Value> = w
                .tag_defs
                .values()
                .filter(|t| visible(t.created))
                .map(tagdef_json)
                .collect();
            Resp::json(200, &json!(defs))
        }
        ("POST", ["catalog", "v1", "types", "tagdefs"]) => {
            let items = body
                .as_ref()
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = Vec::new();
            for item in items {
                let Some(name) = item.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let def = TagDef {
                    name: name.to_string(),
                    description: item
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    created: ctx.now,
                };
                out.push(tagdef_json(&def));
                w.tag_defs.entry(name.to_string()).or_insert(def);
            }
            Resp::json(200, &json!(out))
        }
        ("GET" | "DELETE", ["catalog", "v1", "types", "tagdefs", name]) => {
            match w.tag_defs.get(*name) {
                Some(t) if method == "DELETE" => {
                    let _ = t;
                    w.tag_defs.remove(*name);
                    Resp::empty(204)
                }
                Some(t) if visible(t.created) => Resp::json(200, &tagdef_json(t)),
                _ => error(
                    Api::Catalog,
                    404,
                    "4040",
                    &format!("Tag definition {name} not found"),
                ),
            }
        }
        ("POST", ["catalog", "v1", "entity", "tags"]) => {
            let items = body
                .as_ref()
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = Vec::new();
            for item in items {
                let field = |k: &str| {
                    item.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                let (tag, entity_type, entity_name) =
                    (field("typeName"), field("entityType"), field("entityName"));
                if !w.tag_defs.contains_key(&tag) {
                    out.push(json!({"typeName": tag, "entityType": entity_type, "entityName": entity_name, "error": {"error_code": 40404, "message": format!("Tag {tag} not found")}}));
                    continue;
                }
                if !w.tag_bindings.iter().any(|b| {
                    b.tag == tag && b.entity_name == entity_name && b.entity_type == entity_type
                }) {
                    w.tag_bindings.push(TagBinding {
                        tag: tag.clone(),
                        entity_type: entity_type.clone(),
                        entity_name: entity_name.clone(),
                        created: ctx.now,
                    });
                }
                out.push(
                    json!({"typeName": tag, "entityType": entity_type, "entityName": entity_name}),
                );
            }
            Resp::json(200, &json!(out))
        }
        (
            "GET",
            [
                "catalog",
                "v1",
                "entity",
                "type",
                entity_type,
                "name",
                name,
                "tags",
            ],
        ) => {
            let tags: Vec<Value> = w
                .tag_bindings
                .iter()
                .filter(|b| b.entity_type == *entity_type && b.entity_name == *name && visible(b.created))
                .map(|b| json!({"typeName": b.tag, "entityStatus": "ACTIVE", "propagate": false, "entityType": b.entity_type, "entityName": b.entity_name}))
                .collect();
            Resp::json(200, &json!(tags))
        }
        (
            "DELETE",
            [
                "catalog",
                "v1",
                "entity",
                "type",
                entity_type,
                "name",
                name,
                "tags",
                tag,
            ],
        ) => {
            w.tag_bindings.retain(|b| {
                !(b.entity_type == *entity_type && b.entity_name == *name && b.tag == *tag)
            });
            Resp::empty(204)
        }
        _ => error(Api::Catalog, 404, "404", "unknown path"),
    }
}

pub(super) fn metrics(w: &World, path: &str, body: &Option<Value>) -> Resp {
    if path.trim_matches('/') != "v2/metrics/cloud/query" {
        return error(Api::Metrics, 404, "not_found", "unknown path");
    }
    let filter = body
        .as_ref()
        .and_then(|b| b.get("filter"))
        .cloned()
        .unwrap_or(Value::Null);
    let text = filter.to_string();
    if !text.contains("resource.") {
        return error(
            Api::Metrics,
            400,
            "invalid_filter",
            "a resource filter (resource.kafka.id, resource.connector.id, …) is required",
        );
    }
    if filter.get("field").and_then(Value::as_str) == Some("resource.connector.id") {
        let id = filter.get("value").and_then(Value::as_str).unwrap_or("");
        let data = vec![
            json!({"timestamp": "2026-11-23T20:00:00Z", "value": w.metric(id), "resource.connector.id": id}),
        ];
        return Resp::json(200, &json!({"data": data}));
    }
    let cluster = filter
        .get("value")
        .and_then(Value::as_str)
        .or_else(|| {
            filter
                .get("filters")
                .and_then(Value::as_array)
                .and_then(|fs| {
                    fs.iter()
                        .find(|f| {
                            f.get("field").and_then(Value::as_str) == Some("resource.kafka.id")
                        })
                        .and_then(|f| f.get("value"))
                        .and_then(Value::as_str)
                })
        })
        .unwrap_or("");
    let data: Vec<Value> = w
        .topics
        .iter()
        .filter(|t| t.cluster == cluster)
        .map(|t| json!({"timestamp": "2026-11-23T20:00:00Z", "value": w.metric(&t.name), "metric.topic": t.name}))
        .collect();
    Resp::json(200, &json!({"data": data}))
}
