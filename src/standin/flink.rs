//! Flink SQL (sql/v1): statements PENDING → RUNNING/COMPLETED/FAILED decided from their SQL
//! against the world's tables, results paging, exceptions, stop and delete; connections.
//!
//! Tables are topics with a value schema `<table>-value`: `CREATE TABLE t (…)` registers one
//! from its columns (nullable unless NOT NULL, DECIMAL as bytes with the decimal logical type),
//! `CREATE TABLE t AS SELECT …` one inferred from its SELECT list. With the in-process Kafka, the
//! table's topic is created there too, empty until a job writes to it.
//!
//! When the in-process Kafka runs ([`crate::standin::StandIn::start_kafka`]), RUNNING statements
//! of a small subset also move data ([`run`]): `INSERT INTO t SELECT … FROM s [WHERE …]
//! [UNION ALL …]`, CTAS, the `ROW_NUMBER() … WHERE rownum = 1` de-duplication, and queries whose
//! rows become results (`LIMIT n` completes after n rows). Expressions: columns and nested
//! fields (`after.x`, case-sensitive), literals, CAST, CONCAT, LOWER, UPPER, REPLACE,
//! SPLIT_INDEX, REGEXP_REPLACE, COALESCE; conditions IS [NOT] NULL, comparisons, AND, OR, NOT.
//! Rows are written by position into the target's schema; a NULL for a NOT NULL column drops
//! the row (counted and logged). Anything else — joins, aggregates, windows, `ML_PREDICT`,
//! `LATERAL TABLE` — still runs as a statement but moves no data, logged at debug level.

mod eval;
mod run;
mod sql;
mod table;

pub(super) use run::start as start_jobs;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::respond::{Api, Resp, error};
use super::world::{Connection, Statement, StatementFate, World};
use crate::lineage::flink_sql::table_flow;

/// Result rows as text cells, `None` for NULL.
type Rows = Vec<Vec<Option<String>>>;

/// What a new statement will do: its fate, SQL kind, boundedness, columns and rows.
struct Plan {
    fate: StatementFate,
    sql_kind: String,
    bounded: bool,
    columns: Vec<(String, String)>,
    rows: Rows,
}

impl Plan {
    fn fails(detail: String, sql_kind: String) -> Self {
        Self {
            fate: StatementFate::Fails(detail),
            sql_kind,
            bounded: false,
            columns: vec![],
            rows: vec![],
        }
    }
}

/// Statement names: lower-case DNS labels (the spec's pattern).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// `VALUES (1, 'a'), (2, NULL) AS t(id, name)` → columns and rows, for bounded queries.
fn values_rows(sql: &str) -> Option<(Vec<String>, Rows)> {
    let upper = sql.to_ascii_uppercase();
    let start = upper.find("VALUES")? + "VALUES".len();
    let bytes: Vec<char> = sql[start..].chars().collect();
    let mut rows = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i].is_whitespace() || bytes[i] == ',') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != '(' {
            break;
        }
        i += 1;
        let mut row = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        while i < bytes.len() {
            let c = bytes[i];
            i += 1;
            if quoted {
                if c == '\'' {
                    quoted = false;
                } else {
                    cell.push(c);
                }
                continue;
            }
            match c {
                '\'' => {
                    quoted = true;
                    was_quoted = true;
                }
                ',' | ')' => {
                    let text = cell.trim().to_string();
                    row.push(if !was_quoted && text.eq_ignore_ascii_case("NULL") {
                        None
                    } else {
                        Some(text)
                    });
                    cell.clear();
                    was_quoted = false;
                    if c == ')' {
                        break;
                    }
                }
                _ => cell.push(c),
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return None;
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let rest: String = bytes[i.min(bytes.len())..].iter().collect();
    let names = rest
        .find('(')
        .and_then(|a| rest[a..].find(')').map(|b| (a, a + b)))
        .filter(|(a, _)| rest[..*a].to_ascii_uppercase().contains("AS"))
        .map(|(a, b)| {
            rest[a + 1..b]
                .split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        });
    let columns = match names {
        Some(n) if n.len() == width => n,
        _ => (0..width).map(|k| format!("EXPR${k}")).collect(),
    };
    Some((columns, rows))
}

fn phase(ctx: &Ctx, s: &Statement) -> String {
    if ctx.now.saturating_duration_since(s.created) < ctx.timings.statement {
        return "PENDING".into();
    }
    if s.stopped {
        return "STOPPED".into();
    }
    match &s.fate {
        StatementFate::Completes => "COMPLETED".into(),
        StatementFate::Runs => "RUNNING".into(),
        StatementFate::Fails(_) => "FAILED".into(),
    }
}

fn statement_json(ctx: &Ctx, w: &World, s: &Statement) -> Value {
    let phase = phase(ctx, s);
    let detail = match (&s.fate, phase.as_str()) {
        (StatementFate::Fails(d), "FAILED") => d.clone(),
        (_, "PENDING") => "Statement is being scheduled.".to_string(),
        (_, p) => format!("Statement is {}.", p.to_ascii_lowercase()),
    };
    let columns: Vec<Value> = s
        .columns
        .iter()
        .map(|(n, t)| json!({"name": n, "type": {"type": t, "nullable": true}}))
        .collect();
    json!({
        "api_version": "sql/v1",
        "kind": "Statement",
        "organization_id": w.org,
        "environment_id": s.env,
        "name": s.name,
        "metadata": {
            "self": format!("{}/sql/v1/organizations/{}/environments/{}/statements/{}", ctx.base_url, w.org, s.env, s.name),
            "created_at": "2026-11-23T20:00:00Z",
            "updated_at": "2026-11-23T20:00:00Z",
            "uid": format!("{:032x}", s.name.len() as u128 * 0x1234_5678_9abc),
            "resource_version": "1",
        },
        "spec": {
            // The spec's create and read responses list `statement_name` as required.
            "statement_name": s.name,
            "statement": s.sql,
            "properties": s.properties,
            "compute_pool_id": s.compute_pool,
            "principal": s.principal,
            "stopped": s.stopped,
        },
        "status": {
            "phase": phase,
            "detail": detail,
            "traits": {
                "sql_kind": s.sql_kind,
                "is_bounded": s.bounded,
                "is_append_only": true,
                "schema": {"columns": columns},
            },
        },
    })
}

/// Decide a new statement's fate and effects from its SQL and the world's tables.
fn plan(w: &mut World, env: &str, sql: &str, properties: &BTreeMap<String, String>) -> Plan {
    let database = properties
        .get("sql.current-database")
        .cloned()
        .unwrap_or_default();
    let cluster = w
        .clusters
        .values()
        .find(|c| c.env == env && (c.display_name == database || c.id == database))
        .map(|c| c.id.clone());
    let head = sql.trim_start().to_ascii_uppercase();
    let kind = head.split_whitespace().next().unwrap_or("").to_string();
    let flow = table_flow(sql);
    let Some(cluster) = cluster else {
        return Plan::fails(
            format!(
                "Database '{database}' does not exist in catalog of environment {env}; set sql.current-database to the cluster's display name"
            ),
            kind,
        );
    };
    for table in &flow.reads {
        if w.topic(&cluster, table).is_none() {
            return Plan::fails(
                format!(
                    "SQL validation failed. Table (or view) '{table}' does not exist in database '{database}'."
                ),
                kind,
            );
        }
    }
    for table in &flow.writes {
        w.ensure_topic(&cluster, table, 6);
    }
    let parsed = sql::parse(sql);
    let known = |w: &World, t: &str| {
        table::value_schema(w, t).and_then(|(_, schema)| table::columns_of(&schema))
    };
    match &parsed {
        // Confluent Cloud registers the table's value schema with the topic.
        Ok(sql::Statement::CreateTable {
            name,
            if_not_exists,
            columns,
        }) if !*if_not_exists || table::value_schema(w, name).is_none() => {
            w.register(
                &format!("{name}-value"),
                &table::schema_text(name, columns),
                None,
            );
        }
        Ok(sql::Statement::CreateTableAs { name, query }) => {
            let columns = table::infer(query, &|t| known(w, t));
            w.register(
                &format!("{name}-value"),
                &table::schema_text(name, &columns),
                None,
            );
        }
        Ok(_) => {}
        Err(e) => {
            tracing::debug!(error = %e, "the stand-in's Flink cannot evaluate this statement")
        }
    }
    let simple = |fate: StatementFate, sql_kind: String, bounded: bool| Plan {
        fate,
        sql_kind,
        bounded,
        columns: vec![],
        rows: vec![],
    };
    if kind == "SELECT" || kind == "WITH" {
        if flow.reads.is_empty() {
            let (columns, rows) = values_rows(sql).unwrap_or_default();
            return Plan {
                fate: StatementFate::Completes,
                sql_kind: "SELECT".into(),
                bounded: true,
                columns: columns
                    .into_iter()
                    .map(|c| (c, "VARCHAR(2147483647)".to_string()))
                    .collect(),
                rows,
            };
        }
        let columns = match &parsed {
            Ok(sql::Statement::Query(q)) => table::infer(q, &|t| known(w, t))
                .into_iter()
                .map(|c| (c.name, table::flink_type_name(c.ty)))
                .collect(),
            _ => vec![],
        };
        return Plan {
            columns,
            ..simple(StatementFate::Runs, "SELECT".into(), false)
        };
    }
    if kind == "INSERT" || (head.starts_with("CREATE TABLE") && !flow.reads.is_empty()) {
        return simple(StatementFate::Runs, kind, false);
    }
    simple(StatementFate::Completes, kind, true)
}

fn results(ctx: &Ctx, w: &World, s: &Statement, token: usize) -> Value {
    let size = s.page_size.max(1);
    let page: Vec<Value> = s
        .rows
        .iter()
        .skip(token * size)
        .take(size)
        .map(|r| json!({"op": 0, "row": r}))
        .collect();
    let base = format!(
        "{}/sql/v1/organizations/{}/environments/{}/statements/{}/results",
        ctx.base_url, w.org, s.env, s.name
    );
    let more_rows = (token + 1) * size < s.rows.len();
    let running = phase(ctx, s) == "RUNNING";
    // A running query with nothing more yet says "poll again" with a next page; a finished one
    // ends with an empty `next`.
    let next = if more_rows {
        format!("{base}?page_token={}", token + 1)
    } else if running {
        format!(
            "{base}?page_token={}",
            token + usize::from(!page.is_empty())
        )
    } else {
        String::new()
    };
    json!({"api_version": "sql/v1", "kind": "StatementResult", "metadata": {"self": format!("{base}?page_token={token}"), "next": next}, "results": {"data": page}})
}

fn connection_json(ctx: &Ctx, w: &World, c: &Connection) -> Value {
    json!({
        "api_version": "sql/v1",
        "kind": "Connection",
        "metadata": {"self": format!("{}/sql/v1/organizations/{}/environments/{}/connections/{}", ctx.base_url, w.org, c.env, c.name), "created_at": "2026-11-23T20:00:00Z"},
        "name": c.name,
        "spec": {"connection_type": c.connection_type, "endpoint": c.endpoint, "auth_data": {"kind": "PlaintextProvider"}},
        "status": {"phase": "ACTIVE"},
    })
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
    let [
        "sql",
        "v1",
        "organizations",
        org,
        "environments",
        env,
        rest @ ..,
    ] = segs.as_slice()
    else {
        return error(Api::Flink, 404, "not_found", "unknown path");
    };
    if *org != w.org || !w.environments.contains_key(*env) {
        return error(
            Api::Flink,
            404,
            "not_found",
            &format!("environment {env} of organization {org} does not exist"),
        );
    }
    let find = |w: &World, name: &str| {
        w.statements
            .iter()
            .position(|s| s.env == *env && s.name == name)
    };
    let missing = |name: &str| {
        error(
            Api::Flink,
            404,
            "not_found",
            &format!("Statement resource={name} does not exist"),
        )
    };
    match (method, rest) {
        ("GET", ["statements"]) => {
            let pool = query
                .iter()
                .find(|(k, _)| k == "spec.compute_pool_id")
                .map(|(_, v)| v.clone());
            let data: Vec<Value> = w
                .statements
                .iter()
                .filter(|s| s.env == *env && pool.as_ref().is_none_or(|p| &s.compute_pool == p))
                .map(|s| statement_json(ctx, w, s))
                .collect();
            Resp::json(
                200,
                &json!({"api_version": "sql/v1", "kind": "StatementList", "metadata": {"self": format!("{}{path}", ctx.base_url), "next": ""}, "data": data}),
            )
        }
        ("POST", ["statements"]) => {
            let get = |p: &str| {
                body.as_ref()
                    .and_then(|b| b.pointer(p))
                    .and_then(Value::as_str)
                    .map(String::from)
            };
            let (Some(name), Some(sql)) = (get("/name"), get("/spec/statement")) else {
                return error(
                    Api::Flink,
                    400,
                    "invalid_input",
                    "`name` and `spec.statement` are required",
                );
            };
            if !valid_name(&name) {
                return error(
                    Api::Flink,
                    400,
                    "invalid_input",
                    "the name must be lower-case letters, digits and '-' (a DNS label)",
                );
            }
            if find(w, &name).is_some() {
                return error(
                    Api::Flink,
                    409,
                    "resource_already_exists",
                    &format!("Statement {name} already exists"),
                );
            }
            let pool = get("/spec/compute_pool_id").unwrap_or_default();
            if w.compute_pools.get(&pool).is_none_or(|p| p.env != *env) {
                return error(
                    Api::Flink,
                    400,
                    "invalid_input",
                    &format!("compute pool '{pool}' does not exist in environment {env}"),
                );
            }
            let properties: BTreeMap<String, String> = body
                .as_ref()
                .and_then(|b| b.pointer("/spec/properties"))
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let Plan {
                fate,
                sql_kind,
                bounded,
                mut columns,
                mut rows,
            } = plan(w, env, &sql, &properties);
            let mut page_size = 100;
            if let Some(script) = w
                .scripted_results
                .iter()
                .find(|r| name == r.matches || sql.contains(&r.matches))
            {
                columns = script.columns.clone();
                rows = script.rows.clone();
                page_size = script.page_size;
            }
            let s = Statement {
                env: (*env).to_string(),
                name: name.clone(),
                sql,
                compute_pool: pool,
                principal: get("/spec/principal"),
                properties,
                created: ctx.now,
                fate,
                stopped: false,
                sql_kind,
                bounded,
                columns,
                rows,
                page_size,
            };
            let v = statement_json(ctx, w, &s);
            w.statements.push(s);
            Resp::json(201, &v).with_header("location", format!("{}{path}/{name}", ctx.base_url))
        }
        ("GET", ["statements", name]) => match find(w, name) {
            Some(i) => Resp::json(200, &statement_json(ctx, w, &w.statements[i])),
            None => missing(name),
        },
        ("PUT", ["statements", name]) => match find(w, name) {
            Some(i) => {
                let stopped = body
                    .as_ref()
                    .and_then(|b| b.pointer("/spec/stopped"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                w.statements[i].stopped = stopped;
                Resp::json(202, &statement_json(ctx, w, &w.statements[i]))
            }
            None => missing(name),
        },
        ("DELETE", ["statements", name]) => match find(w, name) {
            Some(i) => {
                w.statements.remove(i);
                Resp::empty(202)
            }
            None => missing(name),
        },
        ("GET", ["statements", name, "results"]) => match find(w, name) {
            Some(i) => {
                let token = query
                    .iter()
                    .find(|(k, _)| k == "page_token")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                Resp::json(200, &results(ctx, w, &w.statements[i], token))
            }
            None => missing(name),
        },
        ("GET", ["statements", name, "exceptions"]) => match find(w, name) {
            Some(i) => {
                let s = &w.statements[i];
                let data = match (&s.fate, phase(ctx, s).as_str()) {
                    (StatementFate::Fails(detail), "FAILED") => vec![
                        json!({"kind": "StatementException", "name": "org.apache.flink.table.api.ValidationException", "message": detail, "timestamp": "2026-11-23T20:00:01Z"}),
                    ],
                    _ => vec![],
                };
                Resp::json(
                    200,
                    &json!({"api_version": "sql/v1", "kind": "StatementExceptionList", "metadata": {"self": format!("{}{path}", ctx.base_url), "next": ""}, "data": data}),
                )
            }
            None => missing(name),
        },
        ("GET", ["connections"]) => {
            let data: Vec<Value> = w
                .connections
                .iter()
                .filter(|c| c.env == *env)
                .map(|c| connection_json(ctx, w, c))
                .collect();
            Resp::json(
                200,
                &json!({"api_version": "sql/v1", "kind": "ConnectionList", "metadata": {"self": format!("{}{path}", ctx.base_url), "next": ""}, "data": data}),
            )
        }
        ("POST", ["connections"]) => {
            let get = |p: &str| {
                body.as_ref()
                    .and_then(|b| b.pointer(p))
                    .and_then(Value::as_str)
                    .map(String::from)
            };
            let (Some(name), Some(kind), Some(endpoint)) = (
                get("/name"),
                get("/spec/connection_type"),
                get("/spec/endpoint"),
            ) else {
                return error(
                    Api::Flink,
                    400,
                    "invalid_input",
                    "`name`, `spec.connection_type` and `spec.endpoint` are required",
                );
            };
            if get("/spec/auth_data/data").is_none() {
                return error(
                    Api::Flink,
                    400,
                    "invalid_input",
                    "`spec.auth_data` with the provider's key is required",
                );
            }
            if w.connections
                .iter()
                .any(|c| c.env == *env && c.name == name)
            {
                return error(
                    Api::Flink,
                    409,
                    "resource_already_exists",
                    &format!("Connection {name} already exists"),
                );
            }
            let c = Connection {
                env: (*env).to_string(),
                name,
                connection_type: kind,
                endpoint,
            };
            let v = connection_json(ctx, w, &c);
            w.connections.push(c);
            Resp::json(201, &v)
        }
        ("GET" | "DELETE", ["connections", name]) => match w
            .connections
            .iter()
            .position(|c| c.env == *env && c.name == *name)
        {
            Some(i) if method == "DELETE" => {
                w.connections.remove(i);
                Resp::empty(200)
            }
            Some(i) => Resp::json(200, &connection_json(ctx, w, &w.connections[i])),
            None => error(
                Api::Flink,
                404,
                "not_found",
                &format!("Connection {name} does not exist"),
            ),
        },
        _ => error(Api::Flink, 404, "not_found", "unknown path"),
    }
}
