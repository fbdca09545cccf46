//! Wire shapes of the Confluent APIs into the guide's model.

use serde_json::Value;

use super::wire;
use crate::backend::confluent::{
    ComputePool, ConnectorStatus, ConnectorTask, KafkaCluster, SchemaVersion, StatementColumn,
    Topic,
};

/// RFC 3339 UTC time `minutes` ago, whole minutes (what the Metrics API intervals want).
pub(super) fn chrono_like_now_minus(minutes: u64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(minutes * 60);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs - secs % 60);
    humantime::format_rfc3339_seconds(t).to_string()
}

pub(super) fn cluster(c: wire::Cluster) -> KafkaCluster {
    KafkaCluster {
        display_name: c.spec.display_name.unwrap_or_default(),
        phase: c.status.phase.unwrap_or_default(),
        bootstrap_endpoint: c.spec.kafka_bootstrap_endpoint,
        rest_endpoint: c.spec.http_endpoint,
        id: c.id,
    }
}

pub(super) fn pool(p: wire::ComputePool) -> ComputePool {
    ComputePool {
        display_name: p.spec.display_name.unwrap_or_default(),
        phase: p.status.phase.unwrap_or_default(),
        current_cfu: p.status.current_cfu,
        max_cfu: p.spec.max_cfu,
        id: p.id,
    }
}

pub(super) fn topic(t: wire::Topic) -> Topic {
    Topic {
        name: t.topic_name,
        partitions: t.partitions_count.unwrap_or(0),
        replication_factor: t.replication_factor.unwrap_or(0),
        internal: t.is_internal.unwrap_or(false),
    }
}

pub(super) fn schema(v: wire::SchemaVersion, subject: &str, id: Option<u32>) -> SchemaVersion {
    SchemaVersion {
        subject: v.subject.unwrap_or_else(|| subject.to_string()),
        version: v.version.unwrap_or(0),
        id: v.id.or(id).unwrap_or(0),
        schema_type: v.schema_type.unwrap_or_else(|| "AVRO".to_string()),
        schema: v.schema.unwrap_or_default(),
    }
}

pub(super) fn column(c: wire::Column) -> StatementColumn {
    let t = c.data_type;
    let base = t.kind.unwrap_or_default();
    let data_type = match (t.precision, t.scale, t.length) {
        (Some(p), Some(s), _) => format!("{base}({p}, {s})"),
        (_, _, Some(l)) => format!("{base}({l})"),
        _ => base,
    };
    StatementColumn {
        name: c.name,
        data_type,
    }
}

pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn connector_status(s: wire::ConnectorStatus, name: &str) -> ConnectorStatus {
    ConnectorStatus {
        name: s.name.unwrap_or_else(|| name.to_string()),
        kind: s.kind.unwrap_or_default(),
        state: s.connector.state.unwrap_or_default(),
        trace: s.connector.trace.unwrap_or_default(),
        tasks: s
            .tasks
            .unwrap_or_default()
            .into_iter()
            .map(|t| ConnectorTask {
                id: t
                    .id
                    .as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .unwrap_or(0),
                state: t.state.unwrap_or_default(),
                msg: t.msg.filter(|m| !m.is_empty()),
            })
            .collect(),
        validation_errors: s
            .validation_errors
            .unwrap_or_default()
            .iter()
            .map(text)
            .collect(),
    }
}
