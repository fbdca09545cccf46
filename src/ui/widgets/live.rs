//! The live panels: topic records, connectors and lineage (the course list is the lesson
//! screen's own). Each renders from the model only, into the area it is given.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Padding, Paragraph};

use crate::app::live::{LivePanel, TopicView};
use crate::app::model::Model;
use crate::live::ConnectorRow;
use crate::live::poller::METRICS_WINDOW_MINUTES;
use crate::ui::markdown::wrap::truncate;
use crate::ui::theme::Theme;
use crate::ui::widgets::chrome;
use crate::ui::widgets::lineage::{compact, draw};

fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn topic_lines(
    view: Option<&TopicView>,
    now_ms: u64,
    width: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    let Some(view) = view else {
        return vec![
            Line::from(Span::styled("No topic watched.", t.dim)),
            Line::from(Span::styled(
                "Press t to watch a topic of the cluster; a lesson may choose one for you.",
                t.dim,
            )),
        ];
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:.1} rec/s", view.rate_per_s(now_ms)), t.strong),
        Span::styled(format!("  {} received", view.received), t.dim),
        Span::styled(
            format!("  {} dropped", view.dropped),
            if view.dropped > 0 { t.warn } else { t.dim },
        ),
    ])];
    if let Some(problem) = &view.problem {
        lines.push(Line::from(Span::styled(problem.clone(), t.warn)));
    }
    if view.records.is_empty() && view.problem.is_none() {
        lines.push(Line::from(Span::styled(
            "Waiting for records… change a row in the source database to see it arrive.",
            t.dim,
        )));
    }
    for r in view.records.iter().rev() {
        let when = r.timestamp_ms.map_or_else(|| "--:--:--".to_string(), clock);
        let head = format!("{}@{} {when} ", r.partition, r.offset);
        let summary = r.summary();
        let style = if r.tombstone {
            t.dim
        } else if summary.starts_with("delete") {
            t.error
        } else if summary.starts_with("update") {
            t.warn
        } else if summary.starts_with("insert") || summary.starts_with("snapshot") {
            t.ok
        } else {
            t.text
        };
        let room = width.saturating_sub(head.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, t.dim),
            Span::styled(
                if width == usize::MAX {
                    summary
                } else {
                    truncate(&summary, room)
                },
                style,
            ),
        ]));
    }
    lines
}

fn state_mark(state: &str, t: &Theme) -> (&'static str, Style) {
    match state {
        "RUNNING" => ("●", t.ok),
        "FAILED" => ("✗", t.error),
        "PROVISIONING" | "RESTARTING" | "DEGRADED" => ("◌", t.warn),
        "PAUSED" => ("‖", t.dim),
        _ => ("?", t.dim),
    }
}

fn connector_lines(model: &Model, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let live = &model.live;
    let mut lines = Vec::new();
    if let Some(problem) = &live.connectors_problem {
        lines.push(Line::from(Span::styled(problem.clone(), t.warn)));
    }
    let Some(rows) = &live.connectors else {
        if live.connectors_problem.is_none() {
            lines.push(Line::from(Span::styled(
                "Asking Confluent Cloud for the cluster's connectors…",
                t.dim,
            )));
        }
        return lines;
    };
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "No connectors in this cluster yet.",
            t.dim,
        )));
    }
    let name_w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for r in rows {
        lines.extend(connector_row(r, name_w, width, t));
    }
    if let Some(at) = live.connectors_at_ms {
        let ago = model.now_ms.saturating_sub(at) / 1000;
        lines.push(Line::from(Span::styled(
            format!("updated {ago}s ago · throughput over the last {METRICS_WINDOW_MINUTES} min from the Metrics API"),
            t.dim,
        )));
    }
    lines
}

/// Columns below which a connector takes two lines (name, then its state and numbers).
const CONNECTOR_ONE_LINE_COLS: usize = 72;

fn connector_row(r: &ConnectorRow, name_w: usize, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let (mark, style) = state_mark(&r.state, t);
    let running = r.tasks.iter().filter(|(_, s)| s == "RUNNING").count();
    let mut facts = vec![
        Span::styled(format!("{:<6} ", r.kind), t.dim),
        Span::styled(format!("{:<12}", r.state), style),
    ];
    if !r.tasks.is_empty() {
        facts.push(Span::styled(
            format!(" tasks {running}/{}", r.tasks.len()),
            if running == r.tasks.len() {
                t.dim
            } else {
                t.warn
            },
        ));
    }
    if let Some(n) = r.records {
        facts.push(Span::styled(format!(" {} rec", compact(n)), t.key));
    }
    let mut out = Vec::new();
    if width >= CONNECTOR_ONE_LINE_COLS {
        let mut spans = vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("{:<name_w$} ", truncate(&r.name, name_w)), t.strong),
        ];
        spans.extend(facts);
        out.push(Line::from(spans));
    } else {
        out.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(truncate(&r.name, width.saturating_sub(2)), t.strong),
        ]));
        let mut spans = vec![Span::raw("  ")];
        spans.extend(facts);
        out.push(Line::from(spans));
    }
    if let Some(trace) = &r.trace {
        let room = width.saturating_sub(4);
        out.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(
                if width == usize::MAX {
                    trace.clone()
                } else {
                    truncate(trace, room)
                },
                t.error,
            ),
        ]));
    }
    for (id, state) in r.tasks.iter().filter(|(_, s)| s != "RUNNING") {
        out.push(Line::from(Span::styled(
            format!("    task {id}: {state}"),
            t.warn,
        )));
    }
    out
}

fn lineage_lines(model: &Model, t: &Theme) -> Vec<Line<'static>> {
    match &model.live.lineage {
        Some(g) if !g.nodes.is_empty() => draw(g, &model.live.topic_records, t),
        Some(_) => vec![Line::from(Span::styled(
            "Nothing to draw yet: the lineage appears as connectors, topics and statements are created.",
            t.dim,
        ))],
        None => vec![Line::from(Span::styled(
            "The lineage is derived from the cluster's connectors, topics and Flink statements; it appears once the cluster answers.",
            t.dim,
        ))],
    }
}

/// The panel's title, e.g. ` Topic · orders `.
pub fn title(model: &Model) -> String {
    let panel = model.live.panel;
    match (panel, &model.live.topic) {
        (LivePanel::Topic, Some(v)) => format!(" {} · {} ", panel.title(), v.name),
        _ => format!(" {} · v switches ", panel.title()),
    }
}

/// Lines of the non-course panels; `zoomed` lines are not cut to the width (the view scrolls).
pub fn lines(model: &Model, width: usize, zoomed: bool) -> Vec<Line<'static>> {
    let t = &model.theme;
    let width = if zoomed { usize::MAX } else { width };
    match model.live.panel {
        LivePanel::Course => Vec::new(),
        LivePanel::Topic => topic_lines(model.live.topic.as_ref(), model.now_ms, width, t),
        LivePanel::Connectors => connector_lines(model, width, t),
        LivePanel::Lineage => lineage_lines(model, t),
    }
}

/// A live panel (not the course list) in `area`, in the side column.
pub fn render(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let inner_w = usize::from(area.width.saturating_sub(4));
    let mut body = lines(model, inner_w, false);
    if model.live.panel == LivePanel::Lineage && !body.is_empty() {
        body.insert(
            0,
            Line::from(Span::styled("z: full screen, scrolls with h/j/k/l", t.dim)),
        );
    }
    let block = chrome::panel(title(model), t, false).padding(Padding::horizontal(1));
    f.render_widget(Paragraph::new(body).block(block), area);
}

/// The live panel over the whole body, scrolled by the participant.
pub fn render_zoomed(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let body = lines(model, usize::from(area.width), true);
    let (row, col) = model.live.scroll;
    let block = chrome::panel(title(model), t, true).padding(Padding::horizontal(1));
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(Paragraph::new(body).block(block).scroll((row, col)), area);
}
