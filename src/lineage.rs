//! Stream lineage, derived: Confluent publishes no lineage API, so the graph is rebuilt from
//! what the APIs do tell — connector configs name tables and topics, Flink statements name the
//! tables they read and write, the topic list says what exists.

pub mod flink_sql;

use std::collections::BTreeMap;

use crate::backend::confluent::{ConnectorSummary, Statement};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// A system outside Kafka: a source database, an S3 bucket, a warehouse.
    External,
    Connector,
    Topic,
    Statement,
}

/// How a node is doing, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Good,
    Pending,
    Bad,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub label: String,
    /// One line about its state (`RUNNING`, `FAILED: …`, `3 partitions`).
    pub detail: String,
    pub health: Health,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    fn node(&mut self, kind: NodeKind, label: &str) -> usize {
        if let Some(i) = self
            .nodes
            .iter()
            .position(|n| n.kind == kind && n.label == label)
        {
            return i;
        }
        self.nodes.push(Node {
            kind,
            label: label.to_string(),
            detail: String::new(),
            health: Health::Unknown,
        });
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize) {
        let e = Edge { from, to };
        if from != to && !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    /// Columns for a left-to-right drawing: each node one step right of its furthest upstream
    /// node (longest path), so sources sit left and sinks right. Cycles are cut where found.
    pub fn layers(&self) -> Vec<Vec<usize>> {
        let mut depth = vec![0usize; self.nodes.len()];
        // Bellman-Ford style relaxation, bounded by the node count so a cycle cannot loop.
        for _ in 0..self.nodes.len() {
            let mut changed = false;
            for e in &self.edges {
                if depth[e.to] < depth[e.from] + 1 && depth[e.from] + 1 < self.nodes.len() {
                    depth[e.to] = depth[e.from] + 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut layers: Vec<Vec<usize>> = Vec::new();
        for (i, d) in depth.iter().enumerate() {
            if layers.len() <= *d {
                layers.resize(d + 1, Vec::new());
            }
            layers[*d].push(i);
        }
        for layer in &mut layers {
            layer.sort_by(|a, b| self.nodes[*a].label.cmp(&self.nodes[*b].label));
        }
        layers
    }
}

fn health_of_state(state: &str) -> Health {
    match state {
        "RUNNING" | "COMPLETED" | "PROVISIONED" => Health::Good,
        "FAILED" | "FAILING" | "DEGRADED" | "STOPPED" | "DELETED" => Health::Bad,
        "PROVISIONING" | "PENDING" | "PAUSED" => Health::Pending,
        _ => Health::Unknown,
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// The external system a connector talks to, as a label, from its config.
fn external_label(config: &BTreeMap<String, String>) -> Option<String> {
    let get = |k: &str| config.get(k).filter(|v| !v.is_empty());
    if let Some(host) = get("database.hostname") {
        let db = get("database.dbname").or_else(|| get("database.include.list"));
        let class = config.get("connector.class").map_or("", String::as_str);
        let engine = if class.starts_with("MySql") {
            "mysql"
        } else {
            "postgres"
        };
        return Some(match db {
            Some(db) => format!("{engine} {host}/{db}"),
            None => format!("{engine} {host}"),
        });
    }
    if let Some(host) = get("oracle.server") {
        let pdb = get("oracle.pdb.name")
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        return Some(format!("oracle {host}{pdb}"));
    }
    if let Some(instance) = get("salesforce.instance") {
        let object = get("salesforce.cdc.name")
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        return Some(format!("salesforce {instance}{object}"));
    }
    if let Some(bucket) = get("s3.bucket.name") {
        return Some(format!("s3://{bucket}"));
    }
    if let Some(bucket) = get("gcs.bucket.name") {
        return Some(format!("gs://{bucket}"));
    }
    if let Some(domain) = get("aws.redshift.domain") {
        let db = get("aws.redshift.database")
            .map(|d| format!("/{d}"))
            .unwrap_or_default();
        return Some(format!("redshift {domain}{db}"));
    }
    None
}

/// Topics a source connector writes, matched against the topics that exist.
fn source_topics(config: &BTreeMap<String, String>, topics: &[String]) -> Vec<String> {
    let get = |k: &str| config.get(k).filter(|v| !v.is_empty());
    let mut out: Vec<String> = Vec::new();
    if let Some(topic) = get("kafka.topic") {
        out.push(topic.clone());
    }
    if let Some(prefix) = get("topic.prefix") {
        let tables: Vec<&str> = get("table.include.list")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let wanted = |t: &String| {
            t.strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|table| tables.is_empty() || tables.contains(&table))
        };
        out.extend(topics.iter().filter(|t| wanted(t)).cloned());
        // Tables listed but not (yet) turned into topics still show where data will go.
        for table in tables {
            let topic = format!("{prefix}.{table}");
            if !out.contains(&topic) {
                out.push(topic);
            }
        }
    }
    if let Some(pattern) = get("table.inclusion.regex")
        && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
    {
        out.extend(topics.iter().filter(|t| re.is_match(t)).cloned());
    }
    if let Some(redo) = get("redo.log.topic.name") {
        out.push(redo.clone());
    }
    out.sort();
    out.dedup();
    out
}

/// Topics a sink connector reads.
fn sink_topics(config: &BTreeMap<String, String>, topics: &[String]) -> Vec<String> {
    let mut out: Vec<String> = config
        .get("topics")
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if let Some(pattern) = config.get("topics.regex")
        && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
    {
        out.extend(topics.iter().filter(|t| re.is_match(t)).cloned());
    }
    out.sort();
    out.dedup();
    out
}

/// The lineage of one cluster from its connectors, topics and Flink statements.
pub fn derive(
    connectors: &[ConnectorSummary],
    topics: &[String],
    statements: &[Statement],
) -> Graph {
    let mut g = Graph::default();
    let internal = |t: &str| {
        t.starts_with('_')
            || t.starts_with("dlq-lcc-")
            || t.starts_with("success-lcc-")
            || t.starts_with("error-lcc-")
            || t.starts_with("dbhistory.")
            || t.contains("-heartbeat-topic")
    };
    for topic in topics.iter().filter(|t| !internal(t)) {
        let n = g.node(NodeKind::Topic, topic);
        g.nodes[n].health = Health::Good;
    }
    for c in connectors {
        let n = g.node(NodeKind::Connector, &c.name);
        if let Some(status) = &c.status {
            g.nodes[n].health = health_of_state(&status.state);
            let trace = first_line(&status.trace);
            g.nodes[n].detail = if trace.is_empty() {
                status.state.clone()
            } else {
                format!("{}: {trace}", status.state)
            };
        }
        let external = external_label(&c.config).map(|label| g.node(NodeKind::External, &label));
        if c.kind == "sink" {
            for t in sink_topics(&c.config, topics) {
                let tn = g.node(NodeKind::Topic, &t);
                g.edge(tn, n);
            }
            if let Some(e) = external {
                g.edge(n, e);
            }
        } else {
            if let Some(e) = external {
                g.edge(e, n);
            }
            for t in source_topics(&c.config, topics) {
                let tn = g.node(NodeKind::Topic, &t);
                g.edge(n, tn);
            }
        }
    }
    for s in statements {
        let flow = flink_sql::table_flow(&s.sql);
        // DDL (`CREATE TABLE t (…)`) moves no data: its table is a node, the statement is not.
        if flow.reads.is_empty() {
            for w in flow.writes {
                g.node(NodeKind::Topic, &w);
            }
            continue;
        }
        let n = g.node(NodeKind::Statement, &s.name);
        g.nodes[n].health = health_of_state(&s.phase);
        g.nodes[n].detail = s.phase.clone();
        for r in flow.reads {
            let tn = g.node(NodeKind::Topic, &r);
            g.edge(tn, n);
        }
        for w in flow.writes {
            let tn = g.node(NodeKind::Topic, &w);
            g.edge(n, tn);
        }
    }
    g.edges.sort();
    g
}

#[cfg(test)]
pub(crate) mod tests;
