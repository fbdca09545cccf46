//! The one poller behind the connector and lineage panels, and the owner of the topic feed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{
    CONNECTOR_POLL_INTERVAL_MS, ConnectorRow, LINEAGE_EVERY_POLLS, LiveCommand, LiveEvent,
};
use crate::backend::confluent::client::ConfluentClient;
use crate::backend::confluent::{ConfluentApi, ConnectorSummary, KeyKind, Scope};
use crate::backend::kafka::sample::KafkaSettings;
use crate::backend::kafka::schemas::{Decoder, RegistrySchemas};
use crate::redact::Redactor;
use crate::runner::confluent::ResolvedScope;

/// Metrics are asked for at most this many connectors per round (the Metrics API allows 50
/// requests a minute for the whole organisation).
const METRICS_MAX_CONNECTORS: usize = 8;
/// The Metrics window the panels report ("records in the last 5 minutes").
pub const METRICS_WINDOW_MINUTES: u32 = 5;
const SOURCE_RECORDS_METRIC: &str = "io.confluent.kafka.connect/sent_records";
const SINK_RECORDS_METRIC: &str = "io.confluent.kafka.connect/received_records";
const TOPIC_RECORDS_METRIC: &str = "io.confluent.kafka.server/received_records";

pub struct Service {
    client: Arc<ConfluentClient>,
    events: mpsc::Sender<LiveEvent>,
    redactor: Redactor,
    cancel: CancellationToken,
    scope: Option<ResolvedScope>,
    watched: Option<String>,
    feed: Option<CancellationToken>,
    polls: u32,
    /// Last metrics per connector name, kept between metric rounds.
    records: BTreeMap<String, f64>,
    /// Names and states of the last listing: a change redraws the lineage at once.
    last_listing: Vec<(String, String)>,
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

pub fn connector_row(c: &ConnectorSummary, records: Option<f64>) -> ConnectorRow {
    let status = c.status.as_ref();
    ConnectorRow {
        name: c.name.clone(),
        kind: status.map_or_else(|| c.kind.clone(), |s| s.kind.clone()),
        state: status.map_or_else(|| "UNKNOWN".to_string(), |s| s.state.as_str().to_string()),
        tasks: status.map_or_else(Vec::new, |s| {
            s.tasks.iter().map(|t| (t.id, t.state.clone())).collect()
        }),
        trace: status
            .and_then(|s| first_line(&s.trace).or_else(|| s.validation_errors.first().cloned())),
        records,
    }
}

/// Why connectors cannot be listed with this scope, if they cannot.
fn connectors_blocked(resolved: &ResolvedScope) -> Option<String> {
    let scope = &resolved.scope;
    for (field, present) in [
        ("environment", scope.environment.is_some()),
        ("cluster", scope.cluster.is_some()),
        ("cloud_api_key", scope.keys.contains_key(&KeyKind::Cloud)),
    ] {
        if !present {
            return Some(match resolved.unresolved.get(field) {
                Some(reason) => format!("waiting for `{field}`: {reason}"),
                None => format!("the course's [confluent] table has no `{field}`"),
            });
        }
    }
    None
}

impl Service {
    pub fn new(
        client: Arc<ConfluentClient>,
        events: mpsc::Sender<LiveEvent>,
        redactor: Redactor,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            client,
            events,
            redactor,
            cancel,
            scope: None,
            watched: None,
            feed: None,
            polls: 0,
            records: BTreeMap::new(),
            last_listing: Vec::new(),
        }
    }

    fn emit(&self, event: LiveEvent) {
        if self.events.try_send(event).is_err() {
            tracing::debug!("live event dropped: the UI is behind");
        }
    }

    pub async fn run(mut self, mut commands: mpsc::Receiver<LiveCommand>) {
        let mut tick = tokio::time::interval(Duration::from_millis(CONNECTOR_POLL_INTERVAL_MS));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => break,
                command = commands.recv() => match command {
                    None => break,
                    Some(LiveCommand::UseScope(scope)) => {
                        self.scope = Some(*scope);
                        self.polls = 0;
                        self.restart_feed();
                        tick.reset_immediately();
                    }
                    Some(LiveCommand::WatchTopic(topic)) => {
                        self.watched = topic;
                        self.restart_feed();
                    }
                    Some(LiveCommand::Refresh) => tick.reset_immediately(),
                },
                _ = tick.tick() => self.poll().await,
            }
        }
        if let Some(feed) = self.feed.take() {
            feed.cancel();
        }
    }

    fn restart_feed(&mut self) {
        if let Some(old) = self.feed.take() {
            old.cancel();
        }
        let (Some(topic), Some(resolved)) = (self.watched.clone(), self.scope.as_ref()) else {
            return;
        };
        let settings = match KafkaSettings::from_scope(&resolved.scope) {
            Ok(s) => s,
            Err(message) => {
                self.emit(LiveEvent::TopicUnavailable { topic, message });
                return;
            }
        };
        if let Some((_, secret)) = &settings.sasl {
            self.redactor.add(secret.expose());
        }
        let api: Arc<dyn ConfluentApi> = self.client.clone();
        let decoder = Decoder::new(Arc::new(RegistrySchemas::new(api, resolved.scope.clone())));
        let cancel = self.cancel.child_token();
        super::feed::start(
            settings,
            topic,
            decoder,
            self.events.clone(),
            self.redactor.clone(),
            cancel.clone(),
        );
        self.feed = Some(cancel);
    }

    async fn poll(&mut self) {
        let Some(resolved) = self.scope.clone() else {
            return;
        };
        if let Some(reason) = connectors_blocked(&resolved) {
            self.emit(LiveEvent::ConnectorsUnavailable(reason));
            return;
        }
        let scope = &resolved.scope;
        let connectors = match self.client.connectors(scope).await {
            Ok(c) => c,
            Err(e) => {
                self.emit(LiveEvent::ConnectorsUnavailable(
                    self.redactor.redact(&e.to_string()),
                ));
                return;
            }
        };
        let round = self.polls.is_multiple_of(LINEAGE_EVERY_POLLS);
        self.polls = self.polls.wrapping_add(1);
        if round {
            self.poll_connector_metrics(scope, &connectors).await;
        }
        let rows = connectors
            .iter()
            .map(|c| connector_row(c, self.records.get(&c.name).copied()))
            .collect();
        self.emit(LiveEvent::ConnectorsPolled {
            rows,
            at_ms: wall_ms(),
        });
        let listing: Vec<(String, String)> = rows_listing(&connectors);
        let changed = listing != self.last_listing;
        self.last_listing = listing;
        if round || changed {
            self.poll_lineage(scope, &connectors).await;
        }
    }

    async fn poll_connector_metrics(&mut self, scope: &Scope, connectors: &[ConnectorSummary]) {
        for c in connectors.iter().take(METRICS_MAX_CONNECTORS) {
            let Some(id) = &c.id else { continue };
            let kind = c
                .status
                .as_ref()
                .map_or(c.kind.as_str(), |s| s.kind.as_str());
            let metric = if kind == "sink" {
                SINK_RECORDS_METRIC
            } else {
                SOURCE_RECORDS_METRIC
            };
            match self
                .client
                .connector_metric(scope, id, metric, METRICS_WINDOW_MINUTES)
                .await
            {
                Ok(n) => {
                    self.records.insert(c.name.clone(), n);
                }
                // Metrics are a nicety: without them the panel shows no throughput.
                Err(e) => tracing::debug!(connector = %c.name, error = %e, "no connector metrics"),
            }
        }
    }

    async fn poll_lineage(&self, scope: &Scope, connectors: &[ConnectorSummary]) {
        let topics: Vec<String> = match self.client.topics(scope).await {
            Ok(t) => t.into_iter().map(|t| t.name).collect(),
            Err(e) => {
                tracing::debug!(error = %e, "lineage without topics");
                Vec::new()
            }
        };
        let statements = if scope.flink_url.is_some() && scope.keys.contains_key(&KeyKind::Flink) {
            self.client.statements(scope).await.unwrap_or_else(|e| {
                tracing::debug!(error = %e, "lineage without statements");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let topic_records = self
            .client
            .topic_metric(scope, TOPIC_RECORDS_METRIC, METRICS_WINDOW_MINUTES)
            .await
            .unwrap_or_default();
        let graph = crate::lineage::derive(connectors, &topics, &statements);
        self.emit(LiveEvent::LineageDerived {
            graph,
            topic_records,
        });
    }
}

fn rows_listing(connectors: &[ConnectorSummary]) -> Vec<(String, String)> {
    connectors
        .iter()
        .map(|c| {
            let state = c
                .status
                .as_ref()
                .map_or_else(String::new, |s| s.state.as_str().to_string());
            (c.name.clone(), state)
        })
        .collect()
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
