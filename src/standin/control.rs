//! The v2 control plane: org (environments), cmk (clusters), iam (service accounts, API keys,
//! role bindings), srcm (Schema Registry clusters and regions), fcpm (compute pools, regions).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::respond::{Api, Resp, error, page};
use super::world::{
    ApiKeyRecord, Cluster, ComputePool, Environment, RoleBinding, SchemaRegistry, ServiceAccount,
    World,
};
use crate::backend::confluent::KeyKind;

fn not_found(what: &str) -> Resp {
    error(
        Api::Control,
        404,
        "resource_not_found",
        &format!("{what} was not found"),
    )
}

/// Confluent answers 403 for resources that were deleted (the provider treats it as gone).
fn gone() -> Resp {
    error(Api::Control, 403, "forbidden_access", "Forbidden Access")
}

fn missing_filter(name: &str) -> Resp {
    error(
        Api::Control,
        400,
        "invalid_filter",
        &format!("the query parameter `{name}` is required"),
    )
}

pub(super) fn crn_env(w: &World, env: &str) -> String {
    format!(
        "crn://confluent.cloud/organization={}/environment={env}",
        w.org
    )
}

fn meta(ctx: &Ctx, path: &str, resource_name: &str) -> Value {
    json!({"self": format!("{}{path}", ctx.base_url), "resource_name": resource_name, "created_at": "2026-11-23T20:00:00Z", "updated_at": "2026-11-23T20:00:00Z"})
}

fn env_ref(ctx: &Ctx, w: &World, env: &str) -> Value {
    json!({"id": env, "related": format!("{}/org/v2/environments/{env}", ctx.base_url), "resource_name": crn_env(w, env)})
}

pub(super) fn phase(
    ctx: &Ctx,
    created: tokio::time::Instant,
    takes: std::time::Duration,
) -> &'static str {
    if ctx.now.saturating_duration_since(created) >= takes {
        "PROVISIONED"
    } else {
        "PROVISIONING"
    }
}

fn environment(ctx: &Ctx, w: &World, e: &Environment) -> Value {
    let mut v = json!({
        "api_version": "org/v2",
        "kind": "Environment",
        "id": e.id,
        "metadata": meta(ctx, &format!("/org/v2/environments/{}", e.id), &crn_env(w, &e.id)),
        "display_name": e.display_name,
    });
    if let Some(p) = &e.package {
        v["stream_governance_config"] = json!({"package": p});
    }
    v
}

pub(super) fn cluster(ctx: &Ctx, w: &World, c: &Cluster) -> Value {
    let host = ctx
        .base_url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let phase = c
        .phase
        .clone()
        .unwrap_or_else(|| phase(ctx, c.created, ctx.timings.cluster).to_string());
    json!({
        "api_version": "cmk/v2",
        "kind": "Cluster",
        "id": c.id,
        "metadata": meta(ctx, &format!("/cmk/v2/clusters/{}", c.id), &format!("{}/cloud-cluster={}/kafka={}", crn_env(w, &c.env), c.id, c.id)),
        "spec": {
            "display_name": c.display_name,
            "availability": "SINGLE_ZONE",
            "cloud": c.cloud,
            "region": c.region,
            "config": {"kind": "Basic"},
            "kafka_bootstrap_endpoint": format!("SASL_SSL://{}:9092", host.split(':').next().unwrap_or(host)),
            "http_endpoint": ctx.base_url,
            "api_endpoint": ctx.base_url,
            "environment": env_ref(ctx, w, &c.env),
        },
        "status": {"phase": phase},
    })
}

fn schema_registry(ctx: &Ctx, w: &World, s: &SchemaRegistry, version: &str) -> Value {
    let region = if version == "srcm/v2" {
        json!({"id": "sgreg-1", "related": format!("{}/srcm/v2/regions/sgreg-1", ctx.base_url), "resource_name": "crn://confluent.cloud/schema-registry-region=sgreg-1"})
    } else {
        json!("eu-central-1")
    };
    let mut spec = json!({
        "display_name": "Stream Governance Package",
        "package": s.package,
        "http_endpoint": ctx.base_url,
        "cloud": "AWS",
        "region": region,
        "environment": env_ref(ctx, w, &s.env),
    });
    if version == "srcm/v3" {
        spec["catalog_http_endpoint"] = json!(ctx.base_url);
    }
    json!({
        "api_version": version,
        "kind": "Cluster",
        "id": s.id,
        "metadata": meta(ctx, &format!("/{version}/clusters/{}", s.id), &format!("{}/schema-registry={}", crn_env(w, &s.env), s.id)),
        "spec": spec,
        "status": {"phase": phase(ctx, s.created, ctx.timings.schema_registry)},
    })
}

fn compute_pool(ctx: &Ctx, w: &World, p: &ComputePool) -> Value {
    let phase = phase(ctx, p.created, ctx.timings.compute_pool);
    json!({
        "api_version": "fcpm/v2",
        "kind": "ComputePool",
        "id": p.id,
        "metadata": meta(ctx, &format!("/fcpm/v2/compute-pools/{}", p.id), &format!("{}/flink-region={}.{}/compute-pool={}", crn_env(w, &p.env), p.cloud.to_lowercase(), p.region, p.id)),
        "spec": {
            "display_name": p.display_name,
            "cloud": p.cloud,
            "region": p.region,
            "max_cfu": p.max_cfu,
            "environment": env_ref(ctx, w, &p.env),
            "http_endpoint": format!("{}/sql/v1/organizations/{}/environments/{}", ctx.base_url, w.org, p.env),
        },
        "status": {"phase": phase, "current_cfu": if phase == "PROVISIONED" { 1 } else { 0 }},
    })
}

fn service_account(ctx: &Ctx, s: &ServiceAccount) -> Value {
    json!({
        "api_version": "iam/v2",
        "kind": "ServiceAccount",
        "id": s.id,
        "metadata": meta(ctx, &format!("/iam/v2/service-accounts/{}", s.id), &format!("crn://confluent.cloud/service-account={}", s.id)),
        "display_name": s.display_name,
        "description": s.description,
    })
}

fn api_key(ctx: &Ctx, w: &World, k: &ApiKeyRecord, with_secret: bool) -> Value {
    let mut spec = json!({
        "secret": if with_secret { k.secret.clone() } else { String::new() },
        "display_name": k.display_name,
        "description": "",
        "owner": {"id": k.owner, "related": format!("{}/iam/v2/service-accounts/{}", ctx.base_url, k.owner), "resource_name": format!("crn://confluent.cloud/service-account={}", k.owner), "api_version": "iam/v2", "kind": "ServiceAccount"},
    });
    if let Some(resource) = &k.resource {
        let (api_version, kind) = match k.kind {
            KeyKind::Kafka => ("cmk/v2", "Cluster"),
            KeyKind::SchemaRegistry => ("srcm/v2", "Cluster"),
            KeyKind::Flink => ("fcpm/v2", "Region"),
            KeyKind::Cloud => ("iam/v2", "Cloud"),
        };
        let env = k.env.clone().unwrap_or_default();
        spec["resource"] = json!({"id": resource, "related": format!("{}/{api_version}", ctx.base_url), "resource_name": format!("{}/{resource}", crn_env(w, &env)), "environment": env, "api_version": api_version, "kind": kind});
    }
    json!({"api_version": "iam/v2", "kind": "ApiKey", "id": k.id, "metadata": meta(ctx, &format!("/iam/v2/api-keys/{}", k.id), &format!("crn://confluent.cloud/api-key={}", k.id)), "spec": spec})
}

fn role_binding(ctx: &Ctx, r: &RoleBinding) -> Value {
    json!({
        "api_version": "iam/v2",
        "kind": "RoleBinding",
        "id": r.id,
        "metadata": meta(ctx, &format!("/iam/v2/role-bindings/{}", r.id), &format!("crn://confluent.cloud/role-binding={}", r.id)),
        "principal": r.principal,
        "role_name": r.role_name,
        "crn_pattern": r.crn_pattern,
    })
}

fn q<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn str_at<'a>(body: &'a Option<Value>, pointer: &str) -> Option<&'a str> {
    body.as_ref()?.pointer(pointer)?.as_str()
}

fn bad_body(field: &str) -> Resp {
    error(
        Api::Control,
        400,
        "invalid_input",
        &format!("`{field}` is required"),
    )
}

/// GET or DELETE of one resource kept in `map`: a deleted one answers 403 (as Confluent does),
/// a DELETE forgets it and remembers the id as deleted.
fn read_or_delete<T: Clone>(
    w: &mut World,
    method: &str,
    id: &str,
    what: &str,
    map: fn(&mut World) -> &mut BTreeMap<String, T>,
    render: impl Fn(&World, &T) -> Value,
) -> Resp {
    if w.deleted.iter().any(|d| d == id) {
        return gone();
    }
    if method == "DELETE" {
        return match map(w).remove(id) {
            Some(_) => {
                w.deleted.push(id.to_string());
                Resp::empty(204)
            }
            None => not_found(what),
        };
    }
    match map(w).get(id).cloned() {
        Some(item) => Resp::json(200, &render(w, &item)),
        None => not_found(what),
    }
}

pub(super) fn handle(
    w: &mut World,
    ctx: &Ctx,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &Option<Value>,
) -> Resp {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let list = |_: &World, kind: &str, api_version: &str, items: Vec<Value>| {
        Resp::json(
            200,
            &page(&ctx.base_url, path, query, kind, api_version, items),
        )
    };
    match (method, segs.as_slice()) {
        ("GET", ["org", "v2", "environments"]) => {
            let items = w
                .environments
                .values()
                .map(|e| environment(ctx, w, e))
                .collect();
            list(w, "EnvironmentList", "org/v2", items)
        }
        ("POST", ["org", "v2", "environments"]) => {
            let Some(name) = str_at(body, "/display_name") else {
                return bad_body("display_name");
            };
            let id = w.id("env");
            let e = Environment {
                id: id.clone(),
                display_name: name.to_string(),
                package: str_at(body, "/stream_governance_config/package").map(String::from),
                created: ctx.now,
            };
            let v = environment(ctx, w, &e);
            w.environments.insert(id, e);
            Resp::json(201, &v)
        }
        ("GET", ["org", "v2", "environments", id]) => match w.environments.get(*id) {
            Some(e) => Resp::json(200, &environment(ctx, w, e)),
            None if w.deleted.iter().any(|d| d == id) => gone(),
            None => not_found("the environment"),
        },
        ("DELETE", ["org", "v2", "environments", id]) => {
            if w.clusters.values().any(|c| c.env == *id) {
                return error(
                    Api::Control,
                    409,
                    "resource_conflict",
                    "the environment still holds clusters; delete them first",
                );
            }
            match w.environments.remove(*id) {
                Some(_) => {
                    w.deleted.push((*id).to_string());
                    Resp::empty(204)
                }
                None => not_found("the environment"),
            }
        }
        ("GET", ["org", "v2", "organizations"]) => {
            let org = json!({"api_version": "org/v2", "kind": "Organization", "id": w.org, "metadata": meta(ctx, &format!("/org/v2/organizations/{}", w.org), &format!("crn://confluent.cloud/organization={}", w.org)), "display_name": "cdc-workshop"});
            list(w, "OrganizationList", "org/v2", vec![org])
        }
        ("GET", ["cmk", "v2", "clusters"]) => {
            let Some(env) = q(query, "environment") else {
                return missing_filter("environment");
            };
            let items = w
                .clusters
                .values()
                .filter(|c| c.env == env)
                .map(|c| cluster(ctx, w, c))
                .collect();
            list(w, "ClusterList", "cmk/v2", items)
        }
        ("POST", ["cmk", "v2", "clusters"]) => {
            let (Some(name), Some(env)) = (
                str_at(body, "/spec/display_name"),
                str_at(body, "/spec/environment/id"),
            ) else {
                return bad_body("spec.display_name and spec.environment.id");
            };
            if !w.environments.contains_key(env) {
                return error(
                    Api::Control,
                    400,
                    "invalid_input",
                    &format!("environment {env} does not exist"),
                );
            }
            let id = w.id("lkc");
            let c = Cluster {
                id: id.clone(),
                env: env.to_string(),
                display_name: name.to_string(),
                cloud: str_at(body, "/spec/cloud").unwrap_or("AWS").to_string(),
                region: str_at(body, "/spec/region")
                    .unwrap_or("eu-central-1")
                    .to_string(),
                created: ctx.now,
                phase: None,
            };
            let v = cluster(ctx, w, &c);
            w.clusters.insert(id, c);
            Resp::json(202, &v)
        }
        ("GET" | "DELETE", ["cmk", "v2", "clusters", id]) => {
            if q(query, "environment").is_none() {
                return missing_filter("environment");
            }
            read_or_delete(
                w,
                method,
                id,
                "the cluster",
                |w| &mut w.clusters,
                |w, c| cluster(ctx, w, c),
            )
        }
        ("GET", ["srcm", version @ ("v2" | "v3"), "clusters"]) => {
            let Some(env) = q(query, "environment") else {
                return missing_filter("environment");
            };
            let api = format!("srcm/{version}");
            let items = w
                .schema_registries
                .values()
                .filter(|s| s.env == env)
                .map(|s| schema_registry(ctx, w, s, &api))
                .collect();
            list(w, "ClusterList", &api, items)
        }
        ("GET", ["srcm", version @ ("v2" | "v3"), "clusters", id]) => {
            if q(query, "environment").is_none() {
                return missing_filter("environment");
            }
            match w.schema_registries.get(*id) {
                Some(s) => Resp::json(200, &schema_registry(ctx, w, s, &format!("srcm/{version}"))),
                None if w.deleted.iter().any(|d| d == id) => gone(),
                None => not_found("the Schema Registry cluster"),
            }
        }
        ("POST", ["srcm", "v2", "clusters"]) => {
            let Some(env) = str_at(body, "/spec/environment/id") else {
                return bad_body("spec.environment.id");
            };
            let s = SchemaRegistry {
                id: w.id("lsrc"),
                env: env.to_string(),
                package: str_at(body, "/spec/package")
                    .unwrap_or("ESSENTIALS")
                    .to_string(),
                created: ctx.now,
            };
            let v = schema_registry(ctx, w, &s, "srcm/v2");
            w.schema_registries.insert(s.id.clone(), s);
            Resp::json(202, &v)
        }
        ("GET", ["srcm", "v2", "regions"]) => {
            let region = json!({"api_version": "srcm/v2", "kind": "Region", "id": "sgreg-1", "metadata": meta(ctx, "/srcm/v2/regions/sgreg-1", "crn://confluent.cloud/schema-registry-region=sgreg-1"), "spec": {"display_name": "Frankfurt (eu-central-1)", "cloud": "AWS", "region_name": "eu-central-1", "packages": ["ESSENTIALS", "ADVANCED"]}});
            list(w, "RegionList", "srcm/v2", vec![region])
        }
        ("GET", ["fcpm", "v2", "compute-pools"]) => {
            let Some(env) = q(query, "environment") else {
                return missing_filter("environment");
            };
            let items = w
                .compute_pools
                .values()
                .filter(|p| p.env == env)
                .map(|p| compute_pool(ctx, w, p))
                .collect();
            list(w, "ComputePoolList", "fcpm/v2", items)
        }
        ("POST", ["fcpm", "v2", "compute-pools"]) => {
            let (Some(name), Some(env)) = (
                str_at(body, "/spec/display_name"),
                str_at(body, "/spec/environment/id"),
            ) else {
                return bad_body("spec.display_name and spec.environment.id");
            };
            let p = ComputePool {
                id: w.id("lfcp"),
                env: env.to_string(),
                display_name: name.to_string(),
                cloud: str_at(body, "/spec/cloud").unwrap_or("AWS").to_string(),
                region: str_at(body, "/spec/region")
                    .unwrap_or("eu-central-1")
                    .to_string(),
                max_cfu: body
                    .as_ref()
                    .and_then(|b| b.pointer("/spec/max_cfu"))
                    .and_then(Value::as_u64)
                    .map_or(10, |m| m as u32),
                created: ctx.now,
            };
            let v = compute_pool(ctx, w, &p);
            w.compute_pools.insert(p.id.clone(), p);
            Resp::json(202, &v)
        }
        ("GET" | "DELETE", ["fcpm", "v2", "compute-pools", id]) => {
            if q(query, "environment").is_none() {
                return missing_filter("environment");
            }
            read_or_delete(
                w,
                method,
                id,
                "the compute pool",
                |w| &mut w.compute_pools,
                |w, p| compute_pool(ctx, w, p),
            )
        }
        ("GET", ["fcpm", "v2", "regions"]) => {
            let cloud = q(query, "cloud").unwrap_or("AWS");
            let region_name = q(query, "region_name").unwrap_or("eu-central-1");
            let id = format!("{}.{region_name}", cloud.to_lowercase());
            let region = json!({"api_version": "fcpm/v2", "kind": "Region", "id": id, "metadata": {"self": format!("{}/fcpm/v2/regions/{id}", ctx.base_url)}, "display_name": region_name, "cloud": cloud, "region_name": region_name, "http_endpoint": ctx.base_url, "private_http_endpoint": ctx.base_url});
            list(w, "RegionList", "fcpm/v2", vec![region])
        }
        ("GET", ["iam", "v2", "service-accounts"]) => {
            let items = w
                .service_accounts
                .values()
                .map(|s| service_account(ctx, s))
                .collect();
            list(w, "ServiceAccountList", "iam/v2", items)
        }
        ("POST", ["iam", "v2", "service-accounts"]) => {
            let Some(name) = str_at(body, "/display_name") else {
                return bad_body("display_name");
            };
            let s = ServiceAccount {
                id: w.id("sa"),
                display_name: name.to_string(),
                description: str_at(body, "/description").unwrap_or("").to_string(),
            };
            let v = service_account(ctx, &s);
            w.service_accounts.insert(s.id.clone(), s);
            Resp::json(201, &v)
        }
        ("GET" | "DELETE", ["iam", "v2", "service-accounts", id]) => read_or_delete(
            w,
            method,
            id,
            "the service account",
            |w| &mut w.service_accounts,
            |_, s| service_account(ctx, s),
        ),
        ("GET", ["iam", "v2", "api-keys"]) => {
            let owner = q(query, "spec.owner");
            let items = w
                .api_keys
                .values()
                .filter(|k| owner.is_none_or(|o| k.owner == o))
                .map(|k| api_key(ctx, w, k, false))
                .collect();
            list(w, "ApiKeyList", "iam/v2", items)
        }
        ("POST", ["iam", "v2", "api-keys"]) => {
            let Some(owner) = str_at(body, "/spec/owner/id") else {
                return bad_body("spec.owner.id");
            };
            let resource = str_at(body, "/spec/resource/id").map(String::from);
            let kind = match resource.as_deref() {
                None => KeyKind::Cloud,
                Some(r) if r.starts_with("lkc-") => KeyKind::Kafka,
                Some(r) if r.starts_with("lsrc-") => KeyKind::SchemaRegistry,
                Some(_) => KeyKind::Flink,
            };
            let id = w.key_id();
            let record = ApiKeyRecord {
                secret: format!("{id}{}", "s3cr3t".repeat(8)),
                id: id.clone(),
                kind,
                owner: owner.to_string(),
                resource,
                env: str_at(body, "/spec/resource/environment").map(String::from),
                display_name: str_at(body, "/spec/display_name").unwrap_or("").to_string(),
                usable_from: ctx.now + ctx.timings.api_key_sync,
            };
            let v = api_key(ctx, w, &record, true);
            w.api_keys.insert(id, record);
            Resp::json(202, &v)
        }
        ("GET" | "DELETE", ["iam", "v2", "api-keys", id]) => read_or_delete(
            w,
            method,
            id,
            "the API key",
            |w| &mut w.api_keys,
            |w, k| api_key(ctx, w, k, false),
        ),
        ("GET", ["iam", "v2", "role-bindings"]) => {
            let Some(pattern) = q(query, "crn_pattern") else {
                return missing_filter("crn_pattern");
            };
            let items = w
                .role_bindings
                .values()
                .filter(|r| r.crn_pattern.starts_with(pattern))
                .map(|r| role_binding(ctx, r))
                .collect();
            list(w, "RoleBindingList", "iam/v2", items)
        }
        ("POST", ["iam", "v2", "role-bindings"]) => {
            let (Some(principal), Some(role), Some(crn)) = (
                str_at(body, "/principal"),
                str_at(body, "/role_name"),
                str_at(body, "/crn_pattern"),
            ) else {
                return bad_body("principal, role_name and crn_pattern");
            };
            if !(principal.starts_with("User:") || principal.starts_with("Group:")) {
                return error(
                    Api::Control,
                    400,
                    "invalid_input",
                    "principal must look like User:sa-…",
                );
            }
            let r = RoleBinding {
                id: w.id("rb"),
                principal: principal.to_string(),
                role_name: role.to_string(),
                crn_pattern: crn.to_string(),
            };
            let v = role_binding(ctx, &r);
            w.role_bindings.insert(r.id.clone(), r);
            Resp::json(201, &v)
        }
        ("GET" | "DELETE", ["iam", "v2", "role-bindings", id]) => {
            match w.role_bindings.get(*id).cloned() {
                Some(r) => {
                    if method == "DELETE" {
                        w.role_bindings.remove(*id);
                    }
                    Resp::json(200, &role_binding(ctx, &r))
                }
                None => Resp::json(
                    403,
                    &json!({"error_code": 40301, "message": "Either unauthorized to access role binding or role binding does not exist"}),
                ),
            }
        }
        _ => not_found("the path"),
    }
}
