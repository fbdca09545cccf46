//! Resources a step created through the Confluent API rather than Terraform: connectors,
//! Flink statements and Flink connections. They live inside an environment Terraform made, and
//! while they exist that environment cannot be destroyed, so teardown deletes them first.
//!
//! An entry holds the resource's name and the ids of where it lives, never a key or a secret:
//! teardown renders the course's `[confluent]` table again for the URLs and keys.

use serde::{Deserialize, Serialize};

use super::Ledger;

/// What kind of API resource an entry is. The order is the teardown order: statements read
/// from connectors' topics and use connections, so they go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKind {
    FlinkStatement,
    FlinkConnection,
    Connector,
}

impl ApiKind {
    /// The name in the ledger file and in JSON events.
    pub fn name(self) -> &'static str {
        match self {
            ApiKind::FlinkStatement => "flink_statement",
            ApiKind::FlinkConnection => "flink_connection",
            ApiKind::Connector => "connector",
        }
    }

    /// As the participant reads it.
    pub fn label(self) -> &'static str {
        match self {
            ApiKind::FlinkStatement => "Flink statement",
            ApiKind::FlinkConnection => "Flink connection",
            ApiKind::Connector => "connector",
        }
    }
}

/// The ids of where an API resource lives (those its kind needs; the others stay `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScopeIds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The Kafka cluster (`lkc-…`) of a connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The compute pool (`lfcp-…`) a statement runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_pool: Option<String>,
}

impl ApiScopeIds {
    /// `environment env-1, cluster lkc-2` for the ids that are set.
    pub fn describe(&self) -> String {
        [
            ("organization", &self.organization),
            ("environment", &self.environment),
            ("cluster", &self.cluster),
            ("compute pool", &self.compute_pool),
        ]
        .iter()
        .filter_map(|(label, id)| id.as_ref().map(|id| format!("{label} {id}")))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResourceEntry {
    pub kind: ApiKind,
    pub name: String,
    #[serde(flatten)]
    pub ids: ApiScopeIds,
    pub lesson: String,
    pub step: String,
    pub owner: String,
    pub created_ms: u64,
    pub updated_ms: u64,
}

impl ApiResourceEntry {
    /// The same resource: a name is unique per kind within its environment (and, for a
    /// connector, its cluster).
    fn is(&self, kind: ApiKind, name: &str, ids: &ApiScopeIds) -> bool {
        self.kind == kind
            && self.name == name
            && self.ids.environment == ids.environment
            && (kind != ApiKind::Connector || self.ids.cluster == ids.cluster)
    }
}

/// What one step tells the ledger about a resource it created or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    pub kind: ApiKind,
    pub name: String,
    pub ids: ApiScopeIds,
    pub lesson: String,
    pub step: String,
    pub at_ms: u64,
    pub owner: String,
}

impl Ledger {
    /// Record a resource a step created, or update its entry when a step created it before
    /// (first creation time and owner kept).
    pub fn record_api(&mut self, r: ApiResource) {
        match self
            .api_resources
            .iter_mut()
            .find(|e| e.is(r.kind, &r.name, &r.ids))
        {
            Some(e) => {
                e.ids = r.ids;
                e.lesson = r.lesson;
                e.step = r.step;
                e.updated_ms = r.at_ms;
            }
            None => self.api_resources.push(ApiResourceEntry {
                kind: r.kind,
                name: r.name,
                ids: r.ids,
                lesson: r.lesson,
                step: r.step,
                owner: r.owner,
                created_ms: r.at_ms,
                updated_ms: r.at_ms,
            }),
        }
    }

    /// Forget a resource that was deleted (by teardown or by a step).
    pub fn forget_api(&mut self, kind: ApiKind, name: &str, ids: &ApiScopeIds) {
        self.api_resources.retain(|e| !e.is(kind, name, ids));
    }

    /// The order teardown deletes API resources in: statements, then connections, then
    /// connectors, newest first within each kind.
    pub fn api_teardown_order(&self) -> Vec<ApiResourceEntry> {
        let mut order: Vec<(usize, &ApiResourceEntry)> =
            self.api_resources.iter().enumerate().collect();
        order.sort_by(|(ia, a), (ib, b)| {
            a.kind
                .cmp(&b.kind)
                .then(b.created_ms.cmp(&a.created_ms))
                .then(ib.cmp(ia))
        });
        order.into_iter().map(|(_, e)| e.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::LEDGER_FILE;
    use super::*;

    fn made(kind: ApiKind, name: &str, env: &str, at_ms: u64) -> ApiResource {
        ApiResource {
            kind,
            name: name.into(),
            ids: ApiScopeIds {
                organization: Some("org-1".into()),
                environment: Some(env.into()),
                cluster: (kind == ApiKind::Connector).then(|| "lkc-1".to_string()),
                compute_pool: (kind == ApiKind::FlinkStatement).then(|| "lfcp-1".to_string()),
            },
            lesson: "l".into(),
            step: format!("{name}-step"),
            at_ms,
            owner: "ann@laptop".into(),
        }
    }

    #[test]
    fn a_second_record_of_the_same_resource_updates_it_instead_of_adding_one() {
        let mut l = Ledger::default();
        l.record_api(made(ApiKind::Connector, "pg", "env-1", 1));
        l.record_api(made(ApiKind::FlinkStatement, "pg", "env-1", 2));
        l.record_api(made(ApiKind::Connector, "pg", "env-2", 3));
        let mut again = made(ApiKind::Connector, "pg", "env-1", 9);
        again.step = "redo".into();
        again.owner = "bob@other".into();
        l.record_api(again);
        assert_eq!(l.api_resources.len(), 3);
        let first = &l.api_resources[0];
        assert_eq!(
            (first.created_ms, first.updated_ms, first.step.as_str()),
            (1, 9, "redo")
        );
        assert_eq!(first.owner, "ann@laptop", "the creator stays the owner");
        assert!(!l.is_empty());

        let ids = first.ids.clone();
        l.forget_api(ApiKind::Connector, "pg", &ids);
        assert_eq!(l.api_resources.len(), 2);
        assert!(
            l.api_resources
                .iter()
                .all(|e| !(e.kind == ApiKind::Connector
                    && e.ids.environment.as_deref() == Some("env-1")))
        );
    }

    #[test]
    fn teardown_deletes_statements_then_connections_then_connectors_newest_first() {
        let mut l = Ledger::default();
        l.record_api(made(ApiKind::Connector, "old-conn", "e", 1));
        l.record_api(made(ApiKind::FlinkStatement, "table", "e", 2));
        l.record_api(made(ApiKind::FlinkConnection, "openai", "e", 3));
        l.record_api(made(ApiKind::FlinkStatement, "insert", "e", 4));
        l.record_api(made(ApiKind::Connector, "new-conn", "e", 5));
        l.record_api(made(ApiKind::FlinkStatement, "same-ms", "e", 4));
        let order: Vec<String> = l.api_teardown_order().into_iter().map(|e| e.name).collect();
        assert_eq!(
            order,
            [
                "same-ms", "insert", "table", "openai", "new-conn", "old-conn"
            ]
        );
    }

    #[test]
    fn a_ledger_written_before_api_resources_existed_still_loads_and_new_entries_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER_FILE);
        std::fs::write(&path, "{\n  \"modules\": []\n}\n").unwrap();
        let old = Ledger::load(&path).unwrap();
        assert!(old.is_empty());

        let mut l = old;
        l.record_api(made(ApiKind::Connector, "pg", "env-1", 1));
        l.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"kind\": \"connector\"") && text.contains("\"cluster\": \"lkc-1\""),
            "{text}"
        );
        assert!(
            !text.contains("compute_pool"),
            "unset ids are left out: {text}"
        );
        assert_eq!(Ledger::load(&path).unwrap(), l);
    }
}
