//! The live panels' state: which panel is up, the watched topic's last records with rates and
//! drops, the connector list and the lineage graph, changed only by `update`.

use std::collections::{BTreeMap, VecDeque};

use crate::backend::kafka::schemas::DecodedRecord;
use crate::lesson::{Block, PanelPin};
use crate::lineage::{Graph, NodeKind};
use crate::live::{ConnectorRow, LiveEvent};

use super::model::Model;
use super::update::AppEffect;

/// Records the topic panel keeps (older ones are let go; the count says how many arrived).
pub const TOPIC_PANEL_RECORDS: usize = 200;
/// The window the topic rate is measured over.
pub const RATE_WINDOW_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LivePanel {
    #[default]
    Course,
    Topic,
    Connectors,
    Lineage,
}

impl LivePanel {
    pub fn title(self) -> &'static str {
        match self {
            LivePanel::Course => "Course",
            LivePanel::Topic => "Topic",
            LivePanel::Connectors => "Connectors",
            LivePanel::Lineage => "Lineage",
        }
    }

    fn next(self) -> Self {
        match self {
            LivePanel::Course => LivePanel::Topic,
            LivePanel::Topic => LivePanel::Connectors,
            LivePanel::Connectors => LivePanel::Lineage,
            LivePanel::Lineage => LivePanel::Course,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TopicView {
    pub name: String,
    pub records: VecDeque<DecodedRecord>,
    /// Records that arrived since watching started.
    pub received: u64,
    /// Records lost between the broker and the screen because the guide was behind.
    pub dropped: u64,
    /// (arrival ms, records) of recent batches, for the rate.
    pub arrivals: VecDeque<(u64, u64)>,
    pub problem: Option<String>,
}

impl TopicView {
    /// Records per second over the last [`RATE_WINDOW_MS`].
    pub fn rate_per_s(&self, now_ms: u64) -> f64 {
        let since = now_ms.saturating_sub(RATE_WINDOW_MS);
        let n: u64 = self
            .arrivals
            .iter()
            .filter(|(at, _)| *at >= since)
            .map(|(_, n)| n)
            .sum();
        n as f64 * 1000.0 / RATE_WINDOW_MS as f64
    }
}

#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub panel: LivePanel,
    /// The panel fills the screen (usable at 80 columns; scrolls).
    pub zoomed: bool,
    /// Rows and columns scrolled in the zoomed panel.
    pub scroll: (u16, u16),
    pub topic: Option<TopicView>,
    pub connectors: Option<Vec<ConnectorRow>>,
    pub connectors_at_ms: Option<u64>,
    pub connectors_problem: Option<String>,
    pub lineage: Option<Graph>,
    pub topic_records: BTreeMap<String, f64>,
    /// The step whose check chose the panel, so a pin applies once per selection.
    pub pinned_for: Option<(String, String)>,
}

impl LiveState {
    /// Topics the participant can cycle through: the lineage's, else the watched one.
    pub fn known_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .lineage
            .iter()
            .flat_map(|g| g.nodes.iter())
            .filter(|n| n.kind == NodeKind::Topic)
            .map(|n| n.label.clone())
            .collect();
        if let Some(t) = &self.topic
            && !topics.contains(&t.name)
        {
            topics.push(t.name.clone());
        }
        topics
    }
}

pub fn apply(model: &mut Model, event: LiveEvent) {
    let now = model.now_ms;
    let live = &mut model.live;
    match event {
        LiveEvent::ConnectorsPolled { rows, at_ms } => {
            live.connectors = Some(rows);
            live.connectors_at_ms = Some(at_ms);
            live.connectors_problem = None;
        }
        LiveEvent::ConnectorsUnavailable(why) => live.connectors_problem = Some(why),
        LiveEvent::LineageDerived {
            graph,
            topic_records,
        } => {
            live.lineage = Some(graph);
            live.topic_records = topic_records;
        }
        LiveEvent::TopicRecordsArrived {
            topic,
            records,
            dropped,
        } => {
            let Some(view) = live.topic.as_mut().filter(|v| v.name == topic) else {
                return;
            };
            let n = records.len() as u64;
            view.received += n;
            view.dropped += dropped;
            view.problem = None;
            view.arrivals.push_back((now, n));
            while view
                .arrivals
                .front()
                .is_some_and(|(at, _)| *at + RATE_WINDOW_MS < now)
            {
                view.arrivals.pop_front();
            }
            for r in records {
                if view.records.len() == TOPIC_PANEL_RECORDS {
                    view.records.pop_front();
                }
                view.records.push_back(r);
            }
        }
        LiveEvent::TopicUnavailable { topic, message } => {
            if let Some(view) = live.topic.as_mut().filter(|v| v.name == topic) {
                view.problem = Some(message);
            }
        }
    }
    model.dirty = true;
}

/// Watch `topic` (a fresh view) and show the topic panel.
pub fn watch(model: &mut Model, topic: String, fx: &mut Vec<AppEffect>) {
    if model.live.topic.as_ref().is_some_and(|t| t.name == topic) {
        return;
    }
    model.live.topic = Some(TopicView {
        name: topic.clone(),
        ..TopicView::default()
    });
    fx.push(AppEffect::WatchTopic(Some(topic)));
}

pub fn cycle_panel(model: &mut Model, fx: &mut Vec<AppEffect>) {
    model.live.panel = model.live.panel.next();
    // Full screen is for the live panels; the course list lives beside the lesson.
    if model.live.zoomed && model.live.panel == LivePanel::Course {
        model.live.panel = model.live.panel.next();
    }
    model.live.scroll = (0, 0);
    if model.live.panel == LivePanel::Topic && model.live.topic.is_none() {
        next_topic(model, fx);
    }
    if !model.live.zoomed && model.width < crate::ui::layout::WIDE_LAYOUT_MIN_COLS {
        model.notify(
            format!(
                "{} panel chosen: it shows beside the lesson from {} columns; z shows it full screen",
                model.live.panel.title(),
                crate::ui::layout::WIDE_LAYOUT_MIN_COLS
            ),
            false,
        );
    }
}

/// Watch the next topic the lineage knows.
pub fn next_topic(model: &mut Model, fx: &mut Vec<AppEffect>) {
    let topics = model.live.known_topics();
    let current = model.live.topic.as_ref().map(|t| t.name.clone());
    let next = match current.and_then(|c| topics.iter().position(|t| *t == c)) {
        Some(i) => topics.get((i + 1) % topics.len().max(1)).cloned(),
        None => topics.first().cloned(),
    };
    match next {
        Some(t) => {
            model.live.panel = LivePanel::Topic;
            watch(model, t, fx);
        }
        None => model.notify(
            "no topics known yet: they appear once the cluster has some (the lineage lists them)",
            false,
        ),
    }
}

pub fn toggle_zoom(model: &mut Model) {
    model.live.zoomed = !model.live.zoomed;
    model.live.scroll = (0, 0);
    if model.live.zoomed && model.live.panel == LivePanel::Course {
        model.live.panel = LivePanel::Lineage;
    }
}

/// Bring the panel the selected step's checks ask for to the front, once per selection.
pub fn pin_for_selection(model: &mut Model, fx: &mut Vec<AppEffect>) {
    let Some(lesson) = model.viewing() else {
        return;
    };
    let Some(step) = model.selected_step().map(|s| s.id.clone()) else {
        return;
    };
    let key = (lesson.id.clone(), step.clone());
    if model.live.pinned_for.as_ref() == Some(&key) {
        return;
    }
    let pin = lesson.blocks.iter().find_map(|b| match b {
        Block::Check(c) if c.step.as_deref() == Some(step.as_str()) => c.panel.clone(),
        _ => None,
    });
    model.live.pinned_for = Some(key);
    let Some(pin) = pin else {
        return;
    };
    match pin {
        PanelPin::Connectors => model.live.panel = LivePanel::Connectors,
        PanelPin::Lineage => model.live.panel = LivePanel::Lineage,
        PanelPin::Topic(t) => {
            let values = model.values_now();
            match t.render(values.as_ref()) {
                Ok(name) => {
                    model.live.panel = LivePanel::Topic;
                    watch(model, name, fx);
                }
                Err(e) => tracing::debug!(error = %e, "pinned topic not known yet"),
            }
        }
    }
}
