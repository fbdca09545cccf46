//! [`ConfluentApi`] for [`ConfluentClient`]: each call's URL, key and answer.

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::json;

use std::collections::BTreeMap;

use base64::Engine as _;

use super::convert::{cluster, connector_status, pool, schema, text, topic};
use super::http::Call;
use super::{ConfluentClient, need, seg, url, wire};
use crate::backend::confluent::{
    ApiError, ApiErrorKind, ComputePool, ConfigValidation, ConfluentApi, ConnectorStatus,
    ConnectorSummary, FlinkConnection, KafkaCluster, KeyKind, NewFlinkConnection, NewStatement,
    ResultRow, ResultsPage, SchemaVersion, Scope, Statement, StatementException, TagTarget, Topic,
};

/// Catalog entity (type, qualified name) of a tag target.
async fn entity(
    client: &ConfluentClient,
    scope: &Scope,
    target: &TagTarget,
) -> Result<(&'static str, String), ApiError> {
    let cluster = need(&scope.cluster, "cluster", "Stream Catalog")?;
    let sr = client
        .schema_registry_cluster(scope)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ApiErrorKind::NotFound,
                "srcm/v3 clusters",
                "the environment has no Schema Registry",
            )
        })?;
    Ok(match target {
        TagTarget::Topic(t) => ("kafka_topic", format!("{}:{cluster}:{t}", sr.id)),
        TagTarget::Subject(s) => {
            let latest = client.latest_schema(scope, s).await?;
            ("sr_schema", format!("{}:.:{}", sr.id, latest.id))
        }
    })
}

impl ConfluentApi for ConfluentClient {
    fn kafka_cluster<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<KafkaCluster, ApiError>> {
        async move {
            let env = need(&scope.environment, "environment", "read the Kafka cluster")?;
            let id = need(&scope.cluster, "cluster", "read the Kafka cluster")?;
            let u = url(
                &scope.api_url,
                &["cmk/v2/clusters", id],
                &[("environment", env)],
            )?;
            let c: wire::Cluster = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let c = cluster(c);
            self.note_phase(
                "cluster",
                &c.phase,
                &["PROVISIONING", "PROVISIONED", "FAILED"],
            );
            Ok(c)
        }
        .boxed()
    }

    fn compute_pool<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<ComputePool, ApiError>> {
        async move {
            let env = need(&scope.environment, "environment", "read the compute pool")?;
            let id = need(&scope.compute_pool, "compute_pool", "read the compute pool")?;
            let u = url(
                &scope.api_url,
                &["fcpm/v2/compute-pools", id],
                &[("environment", env)],
            )?;
            let p: wire::ComputePool = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let p = pool(p);
            self.note_phase(
                "compute pool",
                &p.phase,
                &["PROVISIONING", "PROVISIONED", "FAILED", "DEPROVISIONING"],
            );
            Ok(p)
        }
        .boxed()
    }

    fn connector_status<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<ConnectorStatus, ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "status"], &[])?;
            let s: wire::ConnectorStatus =
                self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            let s = connector_status(s, connector);
            self.note_phase(
                "connector",
                &s.state,
                &[
                    "NONE",
                    "PROVISIONING",
                    "RUNNING",
                    "DEGRADED",
                    "FAILED",
                    "PAUSED",
                    "DELETED",
                    "RESTARTING",
                ],
            );
            Ok(s)
        }
        .boxed()
    }

    fn connectors<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<Vec<ConnectorSummary>, ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors"], &[("expand", "info,status,id")])?;
            let all: BTreeMap<String, wire::ExpandedConnector> =
                self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            Ok(all
                .into_iter()
                .map(|(name, c)| {
                    let info = c.info.unwrap_or_default();
                    ConnectorSummary {
                        id: c.id.and_then(|i| i.id),
                        kind: info.kind.clone().unwrap_or_default(),
                        config: info
                            .config
                            .iter()
                            .map(|(k, v)| (k.clone(), text(v)))
                            .collect(),
                        status: c.status.map(|s| connector_status(s, &name)),
                        name,
                    }
                })
                .collect())
        }
        .boxed()
    }

    fn create_connector<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors"], &[])?;
            // Connect wants the name inside the config too.
            let mut config = config.clone();
            config
                .entry("name".to_string())
                .or_insert_with(|| name.to_string());
            let body = json!({"name": name, "config": config});
            self.http
                .send(
                    scope,
                    &Call::with(Method::POST, u, KeyKind::Cloud, Some(body)),
                )
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn delete_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn pause_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "pause"], &[])?;
            self.http
                .send(scope, &Call::with(Method::PUT, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn resume_connector<'a>(
        &'a self,
        scope: &'a Scope,
        connector: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.connect_url(scope, &["connectors", &seg(connector), "resume"], &[])?;
            self.http
                .send(scope, &Call::with(Method::PUT, u, KeyKind::Cloud, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn validate_connector_config<'a>(
        &'a self,
        scope: &'a Scope,
        config: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<ConfigValidation, ApiError>> {
        async move {
            let class = config.get("connector.class").ok_or_else(|| {
                ApiError::new(
                    ApiErrorKind::Invalid,
                    "validate connector config",
                    "the config has no connector.class",
                )
            })?;
            let u = self.connect_url(
                scope,
                &["connector-plugins", &seg(class), "config/validate"],
                &[],
            )?;
            let call = Call::with(Method::PUT, u, KeyKind::Cloud, Some(json!(config)));
            let v: wire::Validation = self.get_json(scope, call).await?;
            Ok(ConfigValidation {
                error_count: v.error_count,
                errors: v
                    .configs
                    .into_iter()
                    .flat_map(|c| {
                        let name = c.value.name.unwrap_or_default();
                        c.value
                            .errors
                            .into_iter()
                            .map(move |e| format!("{name}: {e}"))
                    })
                    .collect(),
            })
        }
        .boxed()
    }

    fn topic<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Topic>, ApiError>> {
        async move {
            let u = self.kafka_url(scope, &["topics", &seg(name)])?;
            match self
                .get_json::<wire::Topic>(scope, Call::get(u, KeyKind::Kafka))
                .await
            {
                Ok(t) => Ok(Some(topic(t))),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn subject_versions<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u32>>, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["subjects", &seg(subject), "versions"],
                &[],
                None,
            )?;
            match self.get_json::<Vec<u32>>(scope, call).await {
                Ok(mut v) => {
                    v.sort_unstable();
                    Ok(Some(v))
                }
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn schema_by_id<'a>(
        &'a self,
        scope: &'a Scope,
        id: u32,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>> {
        ConfluentClient::schema_by_id(self, scope, id).boxed()
    }

    fn latest_schema<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<SchemaVersion, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["subjects", &seg(subject), "versions/latest"],
                &[],
                None,
            )?;
            let v: wire::SchemaVersion = self.get_json(scope, call).await?;
            Ok(schema(v, subject, None))
        }
        .boxed()
    }

    fn subject_compatibility<'a>(
        &'a self,
        scope: &'a Scope,
        subject: &'a str,
    ) -> BoxFuture<'a, Result<String, ApiError>> {
        async move {
            let call = self.sr_call(
                scope,
                Method::GET,
                &["config", &seg(subject)],
                &[("defaultToGlobal", "true")],
                None,
            )?;
            let c: wire::SrConfig = self.get_json(scope, call).await?;
            Ok(c.compatibility_level
                .or(c.compatibility)
                .unwrap_or_else(|| "BACKWARD".to_string()))
        }
        .boxed()
    }

    fn statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Statement>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name)], &[])?;
            match self
                .get_json::<wire::Statement>(scope, Call::get(u, KeyKind::Flink))
                .await
            {
                Ok(s) => Ok(Some(self.statement_of(s))),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn create_statement<'a>(
        &'a self,
        scope: &'a Scope,
        statement: &'a NewStatement,
    ) -> BoxFuture<'a, Result<Statement, ApiError>> {
        async move {
            let pool = need(&scope.compute_pool, "compute_pool", "submit a statement")?;
            let u = self.flink_url(scope, &["statements"], &[])?;
            let mut properties = statement.properties.clone();
            if let Some(catalog) = &scope.flink_catalog {
                properties.insert("sql.current-catalog".into(), catalog.clone());
            }
            if let Some(database) = &scope.flink_database {
                properties.insert("sql.current-database".into(), database.clone());
            }
            let mut spec = json!({
                "statement": statement.sql,
                "properties": properties,
                "compute_pool_id": pool,
                "stopped": false,
            });
            if let (Some(principal), Some(obj)) = (&scope.principal, spec.as_object_mut()) {
                obj.insert("principal".into(), json!(principal));
            }
            let body = json!({"name": statement.name, "spec": spec});
            let call = Call::with(Method::POST, u, KeyKind::Flink, Some(body));
            let s: wire::Statement = self.get_json(scope, call).await?;
            Ok(self.statement_of(s))
        }
        .boxed()
    }

    fn statement_results<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        page: Option<&'a str>,
    ) -> BoxFuture<'a, Result<ResultsPage, ApiError>> {
        async move {
            // `next` is an absolute URL; the first page is built from the scope.
            let u = match page {
                Some(next) => next.to_string(),
                None => self.flink_url(scope, &["statements", &seg(name), "results"], &[])?,
            };
            let r: wire::StatementResult =
                self.get_json(scope, Call::get(u, KeyKind::Flink)).await?;
            Ok(ResultsPage {
                rows: r
                    .results
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| ResultRow {
                        op: row.op.unwrap_or(0),
                        cells: row.row,
                    })
                    .collect(),
                next: r.metadata.next.filter(|n| !n.is_empty()),
            })
        }
        .boxed()
    }

    fn statement_exceptions<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StatementException>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name), "exceptions"], &[])?;
            let page: wire::Page<wire::StatementException> =
                self.get_json(scope, Call::get(u, KeyKind::Flink)).await?;
            Ok(page
                .data
                .into_iter()
                .map(|e| StatementException {
                    name: e.name.unwrap_or_default(),
                    message: e.message.unwrap_or_default(),
                    timestamp: e.timestamp,
                })
                .collect())
        }
        .boxed()
    }

    fn delete_statement<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.flink_url(scope, &["statements", &seg(name)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Flink, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<FlinkConnection>, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections", &seg(name)], &[])?;
            match self
                .get_json::<wire::Connection>(scope, Call::get(u, KeyKind::Flink))
                .await
            {
                Ok(c) => Ok(Some(FlinkConnection {
                    name: c.name,
                    connection_type: c.spec.connection_type.unwrap_or_default(),
                    endpoint: c.spec.endpoint.unwrap_or_default(),
                    phase: c.status.and_then(|s| s.phase),
                })),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn create_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        connection: &'a NewFlinkConnection,
    ) -> BoxFuture<'a, Result<FlinkConnection, ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections"], &[])?;
            // The provider's key travels as opaque base64 bytes of a JSON token, as the spec says.
            let token = json!({"api_key": connection.api_key}).to_string();
            let body = json!({
                "name": connection.name,
                "spec": {
                    "connection_type": connection.connection_type,
                    "endpoint": connection.endpoint,
                    "auth_data": {
                        "kind": "PlaintextProvider",
                        "data": base64::engine::general_purpose::STANDARD.encode(token),
                    },
                },
            });
            let call = Call::with(Method::POST, u, KeyKind::Flink, Some(body));
            let c: wire::Connection = self.get_json(scope, call).await?;
            Ok(FlinkConnection {
                name: c.name,
                connection_type: c.spec.connection_type.unwrap_or_default(),
                endpoint: c.spec.endpoint.unwrap_or_default(),
                phase: c.status.and_then(|s| s.phase),
            })
        }
        .boxed()
    }

    fn delete_flink_connection<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let u = self.flink_url(scope, &["connections", &seg(name)], &[])?;
            self.http
                .send(scope, &Call::with(Method::DELETE, u, KeyKind::Flink, None))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn tag<'a>(
        &'a self,
        scope: &'a Scope,
        tag: &'a str,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let defined = self.sr_call(scope, Method::GET, &["catalog/v1/types/tagdefs", &seg(tag)], &[], None)?;
            match self.http.send(scope, &defined).await {
                Ok(_) => {}
                Err(e) if e.kind == ApiErrorKind::NotFound => {
                    let body = json!([{"name": tag, "description": format!("{tag} (created by cdc-workshop)"), "entityTypes": ["cf_entity"]}]);
                    let create = self.sr_call(scope, Method::POST, &["catalog/v1/types/tagdefs"], &[], Some(body))?;
                    self.http.send(scope, &create).await?;
                }
                Err(e) => return Err(e),
            }
            let (entity_type, entity_name) = entity(self, scope, target).await?;
            let body = json!([{"typeName": tag, "entityType": entity_type, "entityName": entity_name}]);
            let bind = self.sr_call(scope, Method::POST, &["catalog/v1/entity/tags"], &[], Some(body))?;
            self.http.send(scope, &bind).await.map(|_| ())
        }
        .boxed()
    }

    fn tags_of<'a>(
        &'a self,
        scope: &'a Scope,
        target: &'a TagTarget,
    ) -> BoxFuture<'a, Result<Vec<String>, ApiError>> {
        async move {
            let (entity_type, entity_name) = entity(self, scope, target).await?;
            let call = self.sr_call(
                scope,
                Method::GET,
                &[
                    "catalog/v1/entity/type",
                    entity_type,
                    "name",
                    &seg(&entity_name),
                    "tags",
                ],
                &[],
                None,
            )?;
            match self.get_json::<Vec<wire::TagBinding>>(scope, call).await {
                Ok(tags) => Ok(tags.into_iter().filter_map(|t| t.type_name).collect()),
                Err(e) if e.kind == ApiErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn environment<'a>(
        &'a self,
        scope: &'a Scope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(String, String), ApiError>> {
        async move {
            let u = url(&scope.api_url, &["org/v2/environments", id], &[])?;
            let e: wire::Environment = self.get_json(scope, Call::get(u, KeyKind::Cloud)).await?;
            Ok((e.id, e.display_name.unwrap_or_default()))
        }
        .boxed()
    }
}
