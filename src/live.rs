//! What the live panels show, gathered in the background: the connectors of the cluster (one
//! shared poller, so panels never duplicate requests), the lineage derived from connectors,
//! topics and statements, and the records of the watched topic.
//!
//! The loop sends a [`LiveCommand`] when the scope changes (an earlier step created the cluster)
//! or the participant watches another topic; results come back as [`LiveEvent`]s on a bounded
//! channel. A full channel drops the event (and the next poll repeats it): the UI never waits.

pub mod feed;
pub mod poller;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backend::confluent::client::ConfluentClient;
use crate::backend::kafka::schemas::DecodedRecord;
use crate::lineage::Graph;
use crate::redact::Redactor;
use crate::runner::confluent::ResolvedScope;

/// How often the connector list is asked for (Connect allows far more; this is polite).
pub const CONNECTOR_POLL_INTERVAL_MS: u64 = 10_000;
/// Topics, statements and metrics change slowly: asked for every this many connector polls.
pub const LINEAGE_EVERY_POLLS: u32 = 3;
/// Events in flight to the UI loop.
pub const LIVE_CHANNEL_LEN: usize = 64;

/// One connector as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorRow {
    pub name: String,
    /// `source` or `sink`.
    pub kind: String,
    pub state: String,
    /// Task id and state.
    pub tasks: Vec<(u32, String)>,
    /// The first line of the failure trace.
    pub trace: Option<String>,
    /// Records moved in the last metrics window, when the Metrics API has them.
    pub records: Option<f64>,
}

#[derive(Debug, Clone)]
pub enum LiveEvent {
    ConnectorsPolled {
        rows: Vec<ConnectorRow>,
        at_ms: u64,
    },
    /// Why there is no connector list (no cluster yet, the API refused…).
    ConnectorsUnavailable(String),
    LineageDerived {
        graph: Graph,
        /// Records received per topic in the last metrics window.
        topic_records: BTreeMap<String, f64>,
    },
    TopicRecordsArrived {
        topic: String,
        records: Vec<DecodedRecord>,
        /// Records the feed could not hand over because the UI was behind.
        dropped: u64,
    },
    TopicUnavailable {
        topic: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub enum LiveCommand {
    /// The rendered `[confluent]` scope changed.
    UseScope(Box<ResolvedScope>),
    /// Read this topic live (or stop reading).
    WatchTopic(Option<String>),
    /// Poll now (a step just changed something in the cluster).
    Refresh,
}

/// The loop's handle on the live service.
pub struct Live {
    commands: mpsc::Sender<LiveCommand>,
    cancel: CancellationToken,
}

impl Live {
    /// Start the service on the current runtime.
    pub fn start(
        client: ConfluentClient,
        events: mpsc::Sender<LiveEvent>,
        redactor: Redactor,
    ) -> Self {
        let (commands, rx) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let service = poller::Service::new(Arc::new(client), events, redactor, cancel.clone());
        tokio::spawn(service.run(rx));
        Self { commands, cancel }
    }

    /// Tell the service something; a full command queue drops it (the next one repeats).
    pub fn send(&self, command: LiveCommand) {
        if self.commands.try_send(command).is_err() {
            tracing::debug!("live command dropped: the service is busy");
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
