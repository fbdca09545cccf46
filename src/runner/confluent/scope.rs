//! `[confluent]` + settings + values → the [`Scope`] one call uses.

use std::collections::BTreeMap;

use crate::backend::confluent::{ApiKey, DEFAULT_API_URL, DEFAULT_METRICS_URL, KeyKind, Scope};
use crate::lesson::ConfluentContext;
use crate::lesson::ContextField;
use crate::lesson::template::TemplateContext;

/// Endpoints from the settings (`CDC_WORKSHOP_CONFLUENT_API_URL`, …). A URL set here wins over
/// the course's `[confluent]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfluentEndpoints {
    pub api_url: String,
    pub metrics_url: String,
    pub kafka_rest_url: Option<String>,
    pub kafka_bootstrap: Option<String>,
    pub kafka_security_protocol: Option<String>,
    pub schema_registry_url: Option<String>,
    pub flink_url: Option<String>,
}

impl Default for ConfluentEndpoints {
    fn default() -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_string(),
            metrics_url: DEFAULT_METRICS_URL.to_string(),
            kafka_rest_url: None,
            kafka_bootstrap: None,
            kafka_security_protocol: None,
            schema_registry_url: None,
            flink_url: None,
        }
    }
}

/// A scope plus why each field that has a template but no value yet is missing.
#[derive(Debug, Clone, Default)]
pub struct ResolvedScope {
    pub scope: Scope,
    /// Scope field name (as in `ApiErrorKind::MissingScope`) → why it has no value.
    pub unresolved: BTreeMap<&'static str, String>,
}

/// The scope field an API error names for each context entry.
fn scope_name(field: ContextField) -> &'static str {
    match field {
        ContextField::CloudApiKey | ContextField::CloudApiSecret => "cloud_api_key",
        ContextField::KafkaApiKey | ContextField::KafkaApiSecret => "kafka_api_key",
        ContextField::SchemaRegistryApiKey | ContextField::SchemaRegistryApiSecret => {
            "schema_registry_api_key"
        }
        ContextField::FlinkApiKey | ContextField::FlinkApiSecret => "flink_api_key",
        other => other.key(),
    }
}

pub fn resolve(
    context: &ConfluentContext,
    endpoints: &ConfluentEndpoints,
    values: &dyn TemplateContext,
) -> ResolvedScope {
    let mut unresolved = BTreeMap::new();
    let mut get = |field: ContextField| -> Option<String> {
        let t = context.fields.get(&field)?;
        match t.render(values) {
            Ok(v) if !v.trim().is_empty() => Some(v.trim().to_string()),
            Ok(_) => {
                unresolved.insert(scope_name(field), format!("`{}` renders empty", t.raw()));
                None
            }
            Err(e) => {
                unresolved.insert(scope_name(field), e.to_string());
                None
            }
        }
    };
    let mut keys = BTreeMap::new();
    for (kind, key, secret) in [
        (
            KeyKind::Cloud,
            ContextField::CloudApiKey,
            ContextField::CloudApiSecret,
        ),
        (
            KeyKind::Kafka,
            ContextField::KafkaApiKey,
            ContextField::KafkaApiSecret,
        ),
        (
            KeyKind::SchemaRegistry,
            ContextField::SchemaRegistryApiKey,
            ContextField::SchemaRegistryApiSecret,
        ),
        (
            KeyKind::Flink,
            ContextField::FlinkApiKey,
            ContextField::FlinkApiSecret,
        ),
    ] {
        if let (Some(key), Some(secret)) = (get(key), get(secret)) {
            keys.insert(kind, ApiKey { key, secret });
        }
    }
    let url = |configured: &Option<String>, from_course: Option<String>| {
        configured
            .clone()
            .or(from_course)
            .map(|u| u.trim_end_matches('/').to_string())
    };
    let scope = Scope {
        api_url: endpoints.api_url.trim_end_matches('/').to_string(),
        metrics_url: endpoints.metrics_url.trim_end_matches('/').to_string(),
        kafka_rest_url: url(&endpoints.kafka_rest_url, get(ContextField::KafkaRestUrl)),
        kafka_bootstrap: endpoints
            .kafka_bootstrap
            .clone()
            .or_else(|| get(ContextField::KafkaBootstrap)),
        kafka_security_protocol: endpoints.kafka_security_protocol.clone(),
        schema_registry_url: url(
            &endpoints.schema_registry_url,
            get(ContextField::SchemaRegistryUrl),
        ),
        flink_url: url(&endpoints.flink_url, get(ContextField::FlinkUrl)),
        organization: get(ContextField::Organization),
        environment: get(ContextField::Environment),
        cluster: get(ContextField::Cluster),
        compute_pool: get(ContextField::ComputePool),
        principal: get(ContextField::Principal),
        flink_catalog: get(ContextField::FlinkCatalog),
        flink_database: get(ContextField::FlinkDatabase),
        keys,
    };
    ResolvedScope { scope, unresolved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::template::Template;

    struct Vals;
    impl TemplateContext for Vals {
        fn output(&self, step: &str, name: &str) -> Option<String> {
            (step == "ccloud" && name == "env").then(|| "env-abc".to_string())
        }
        fn var(&self, _: &str) -> Option<String> {
            None
        }
        fn secret(&self, name: &str) -> Option<String> {
            (name == "cloud_secret").then(|| "s3cr3t-value".to_string())
        }
    }

    fn context(pairs: &[(ContextField, &str)]) -> ConfluentContext {
        ConfluentContext {
            fields: pairs
                .iter()
                .filter_map(|(f, t)| Template::parse(t).ok().map(|t| (*f, t)))
                .collect(),
            pos: None,
        }
    }

    #[test]
    fn ids_and_keys_render_and_settings_urls_win_over_the_course() {
        let ctx = context(&[
            (ContextField::Environment, "{{ outputs.ccloud.env }}"),
            (ContextField::CloudApiKey, "KEY123"),
            (ContextField::CloudApiSecret, "{{ secrets.cloud_secret }}"),
            (ContextField::FlinkUrl, "https://flink.example/"),
            (ContextField::SchemaRegistryUrl, "https://sr.example"),
        ]);
        let endpoints = ConfluentEndpoints {
            flink_url: Some("http://127.0.0.1:9/".to_string()),
            ..ConfluentEndpoints::default()
        };
        let r = resolve(&ctx, &endpoints, &Vals);
        assert_eq!(r.scope.environment.as_deref(), Some("env-abc"));
        assert_eq!(r.scope.flink_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(
            r.scope.schema_registry_url.as_deref(),
            Some("https://sr.example")
        );
        assert_eq!(
            r.scope.keys.get(&KeyKind::Cloud),
            Some(&ApiKey {
                key: "KEY123".into(),
                secret: "s3cr3t-value".into()
            })
        );
        assert!(r.unresolved.is_empty());
    }

    #[test]
    fn a_field_whose_output_does_not_exist_yet_says_which_step_provides_it() {
        let ctx = context(&[(ContextField::Cluster, "{{ outputs.ccloud.cluster }}")]);
        let r = resolve(&ctx, &ConfluentEndpoints::default(), &Vals);
        assert_eq!(r.scope.cluster, None);
        let why = r.unresolved.get("cluster").cloned().unwrap_or_default();
        assert!(why.contains("outputs.ccloud.cluster"), "{why}");
    }
}
