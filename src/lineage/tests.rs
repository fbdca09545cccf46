use std::collections::BTreeMap;

use super::*;
use crate::backend::confluent::{ConnectorStatus, ConnectorSummary, Statement};

pub(crate) fn connector(
    name: &str,
    kind: &str,
    state: &str,
    config: &[(&str, &str)],
) -> ConnectorSummary {
    ConnectorSummary {
        name: name.into(),
        id: Some(format!("lcc-{name}")),
        kind: kind.into(),
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        status: Some(ConnectorStatus {
            name: name.into(),
            kind: kind.into(),
            state: state.into(),
            trace: if state == "FAILED" {
                "Unable to validate configuration.\ntable.whitelist: Table(s) don't exist".into()
            } else {
                String::new()
            },
            tasks: vec![],
            validation_errors: vec![],
        }),
    }
}

fn statement(name: &str, phase: &str, sql: &str) -> Statement {
    Statement {
        name: name.into(),
        sql: sql.into(),
        compute_pool: None,
        phase: phase.into(),
        detail: String::new(),
        is_bounded: None,
        sql_kind: None,
        stopped: false,
        columns: vec![],
    }
}

fn topics(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Every edge as `from → to` labels, sorted, for readable assertions.
fn arrows(g: &Graph) -> Vec<String> {
    let mut out: Vec<String> = g
        .edges
        .iter()
        .map(|e| format!("{} → {}", g.nodes[e.from].label, g.nodes[e.to].label))
        .collect();
    out.sort();
    out
}

/// The workshop's pipeline as the APIs list it (FACTS §5, §7): Oracle, MySQL and Salesforce
/// sources, the union of contacts in Flink, the Redshift sink; shared with the panel snapshots.
pub(crate) fn workshop_pipeline() -> (Vec<ConnectorSummary>, Vec<String>, Vec<Statement>) {
    let connectors = vec![
        connector(
            "MySqlCdcSourceV2Connector_0",
            "source",
            "RUNNING",
            &[
                ("connector.class", "MySqlCdcSourceV2"),
                ("database.hostname", "18.1.2.3"),
                ("database.include.list", "demo"),
                ("table.include.list", "demo.accounts"),
                ("topic.prefix", "mysql"),
            ],
        ),
        connector(
            "oracle21-cdc-connector",
            "source",
            "RUNNING",
            &[
                ("connector.class", "OracleCdcSource"),
                ("oracle.server", "18.4.5.6"),
                ("oracle.pdb.name", "XEPDB1"),
                (
                    "table.inclusion.regex",
                    "XEPDB1[.]ORDERMGMT[.](CONTACTS|ORDERS)",
                ),
                ("redo.log.topic.name", "XEPDB1.ORDERMGMT.REDOLOG"),
            ],
        ),
        connector(
            "SFCDC_contacts",
            "source",
            "FAILED",
            &[
                ("connector.class", "SalesforceCdcSource"),
                ("kafka.topic", "salesforce_contacts"),
                ("salesforce.instance", "https://login.salesforce.com"),
                ("salesforce.cdc.name", "ContactChangeEvent"),
            ],
        ),
        connector(
            "RedshiftSinkConnector_0",
            "sink",
            "PROVISIONING",
            &[
                ("connector.class", "RedshiftSink"),
                ("topics", "all_contacts"),
                (
                    "aws.redshift.domain",
                    "cdcworkshop.abc.eu-central-1.redshift.amazonaws.com",
                ),
                ("aws.redshift.database", "cdcworkshop_rsdb"),
            ],
        ),
    ];
    let existing = topics(&[
        "mysql.demo.accounts",
        "XEPDB1.ORDERMGMT.CONTACTS",
        "XEPDB1.ORDERMGMT.ORDERS",
        "XEPDB1.ORDERMGMT.EMPLOYEES",
        "XEPDB1.ORDERMGMT.REDOLOG",
        "salesforce_contacts",
        "all_contacts",
        "dlq-lcc-abc12",
        "_confluent-command",
    ]);
    let statements = vec![
        statement(
            "ddl",
            "COMPLETED",
            "CREATE TABLE all_contacts (first_name STRING, email STRING)",
        ),
        statement(
            "union-contacts",
            "RUNNING",
            "INSERT INTO all_contacts
            SELECT FIRST_NAME, EMAIL FROM `XEPDB1.ORDERMGMT.CONTACTS`
            UNION ALL SELECT after.first_name, after.email FROM `mysql.demo.accounts`
            UNION ALL SELECT FirstName, Email FROM salesforce_contacts",
        ),
    ];
    (connectors, existing, statements)
}

#[test]
fn the_workshop_pipeline_runs_from_databases_through_flink_to_the_sinks() {
    let (connectors, existing, statements) = workshop_pipeline();
    let g = derive(&connectors, &existing, &statements);
    assert_eq!(
        arrows(&g),
        vec![
            "MySqlCdcSourceV2Connector_0 → mysql.demo.accounts",
            "SFCDC_contacts → salesforce_contacts",
            "XEPDB1.ORDERMGMT.CONTACTS → union-contacts",
            "all_contacts → RedshiftSinkConnector_0",
            "mysql 18.1.2.3/demo → MySqlCdcSourceV2Connector_0",
            "mysql.demo.accounts → union-contacts",
            "oracle 18.4.5.6/XEPDB1 → oracle21-cdc-connector",
            "oracle21-cdc-connector → XEPDB1.ORDERMGMT.CONTACTS",
            "oracle21-cdc-connector → XEPDB1.ORDERMGMT.ORDERS",
            "oracle21-cdc-connector → XEPDB1.ORDERMGMT.REDOLOG",
            "RedshiftSinkConnector_0 → redshift cdcworkshop.abc.eu-central-1.redshift.amazonaws.com/cdcworkshop_rsdb",
            "salesforce https://login.salesforce.com ContactChangeEvent → SFCDC_contacts",
            "salesforce_contacts → union-contacts",
            "union-contacts → all_contacts",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
        .tap_sort()
    );
    // Internal topics stay out; the DDL statement is not a node; the failed connector is red
    // with its trace's first line.
    assert!(
        !g.nodes
            .iter()
            .any(|n| n.label.starts_with("dlq-") || n.label.starts_with('_'))
    );
    assert!(!g.nodes.iter().any(|n| n.label == "ddl"));
    let sf = g
        .nodes
        .iter()
        .find(|n| n.label == "SFCDC_contacts")
        .unwrap_or_else(|| unreachable!());
    assert_eq!(sf.health, Health::Bad);
    assert_eq!(sf.detail, "FAILED: Unable to validate configuration.");

    // Left to right: systems, source connectors, topics, statements, derived topics, sinks.
    let layers = g.layers();
    let layer_of = |label: &str| {
        layers
            .iter()
            .position(|l| l.iter().any(|n| g.nodes[*n].label == label))
            .unwrap_or(usize::MAX)
    };
    assert_eq!(layer_of("mysql 18.1.2.3/demo"), 0);
    assert_eq!(layer_of("MySqlCdcSourceV2Connector_0"), 1);
    assert_eq!(layer_of("mysql.demo.accounts"), 2);
    assert_eq!(layer_of("union-contacts"), 3);
    assert_eq!(layer_of("all_contacts"), 4);
    assert_eq!(layer_of("RedshiftSinkConnector_0"), 5);
    assert_eq!(
        layer_of("redshift cdcworkshop.abc.eu-central-1.redshift.amazonaws.com/cdcworkshop_rsdb"),
        6
    );
}

#[test]
fn a_source_whose_tables_have_no_topics_yet_still_points_where_data_will_go() {
    let pg = connector(
        "pg",
        "source",
        "PROVISIONING",
        &[
            ("connector.class", "PostgresCdcSourceV2"),
            ("database.hostname", "db"),
            ("database.dbname", "customers"),
            ("topic.prefix", "postgres"),
            ("table.include.list", "public.users, public.product"),
        ],
    );
    let g = derive(&[pg], &[], &[]);
    assert_eq!(
        arrows(&g),
        vec![
            "pg → postgres.public.product",
            "pg → postgres.public.users",
            "postgres db/customers → pg",
        ]
    );
}

#[test]
fn a_cycle_does_not_hang_the_layout() {
    let statements = vec![
        statement("a", "RUNNING", "INSERT INTO t2 SELECT * FROM t1"),
        statement("b", "RUNNING", "INSERT INTO t1 SELECT * FROM t2"),
    ];
    let g = derive(&[], &topics(&["t1", "t2"]), &statements);
    let layers = g.layers();
    assert_eq!(layers.iter().map(Vec::len).sum::<usize>(), g.nodes.len());
}

trait TapSort {
    fn tap_sort(self) -> Self;
}

impl TapSort for Vec<String> {
    fn tap_sort(mut self) -> Self {
        self.sort();
        self
    }
}
