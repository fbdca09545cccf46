//! The lineage graph drawn left to right with box characters: one column per layer (sources,
//! connectors, topics, statements, topics, sinks), a box per node coloured by health, edges
//! routed through the gutters with records-per-window counts where the Metrics API has them.
//!
//! The drawing is a canvas larger than the panel; the panel shows a window of it (scrolling),
//! so it stays usable at 80 columns and shows everything at 200.

use std::collections::BTreeMap;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::lineage::{Graph, Health, NodeKind};
use crate::ui::markdown::wrap::truncate;
use crate::ui::theme::Theme;

/// Longest label drawn in full inside a box.
const MAX_LABEL_COLS: usize = 20;
/// Columns between two layers: room for the edge and its count.
const GUTTER_COLS: usize = 9;
/// Rows per node box, and the gap under it.
const BOX_ROWS: usize = 4;
const GAP_ROWS: usize = 1;

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

fn glyph(mask: u8) -> char {
    match mask {
        m if m == LEFT | RIGHT || m == LEFT || m == RIGHT => '─',
        m if m == UP | DOWN || m == UP || m == DOWN => '│',
        m if m == DOWN | RIGHT => '┌',
        m if m == DOWN | LEFT => '┐',
        m if m == UP | RIGHT => '└',
        m if m == UP | LEFT => '┘',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == LEFT | RIGHT | DOWN => '┬',
        m if m == LEFT | RIGHT | UP => '┴',
        0 => ' ',
        _ => '┼',
    }
}

/// A compact count: 950, 1.2k, 34k, 1.5M.
pub fn compact(n: f64) -> String {
    if n < 1_000.0 {
        format!("{n:.0}")
    } else if n < 10_000.0 {
        format!("{:.1}k", n / 1_000.0)
    } else if n < 1_000_000.0 {
        format!("{:.0}k", n / 1_000.0)
    } else {
        format!("{:.1}M", n / 1_000_000.0)
    }
}

struct Canvas {
    cells: Vec<Vec<(char, Style)>>,
    lines: Vec<Vec<u8>>,
}

impl Canvas {
    fn new(width: usize, height: usize, style: Style) -> Self {
        Self {
            cells: vec![vec![(' ', style); width]; height],
            lines: vec![vec![0; width]; height],
        }
    }

    fn mark(&mut self, x: usize, y: usize, bits: u8) {
        if let Some(cell) = self.lines.get_mut(y).and_then(|r| r.get_mut(x)) {
            *cell |= bits;
        }
    }

    fn hline(&mut self, y: usize, x1: usize, x2: usize) {
        let (a, b) = (x1.min(x2), x1.max(x2));
        for x in a..b {
            self.mark(x, y, RIGHT);
            self.mark(x + 1, y, LEFT);
        }
    }

    fn vline(&mut self, x: usize, y1: usize, y2: usize) {
        let (a, b) = (y1.min(y2), y1.max(y2));
        for y in a..b {
            self.mark(x, y, DOWN);
            self.mark(x, y + 1, UP);
        }
    }

    fn put(&mut self, x: usize, y: usize, text: &str, style: Style) {
        let Some(row) = self.cells.get_mut(y) else {
            return;
        };
        for (i, c) in text.chars().enumerate() {
            if let Some(cell) = row.get_mut(x + i) {
                *cell = (c, style);
            }
        }
    }

    /// Edges become glyphs where nothing else was drawn.
    fn ink_lines(&mut self, style: Style) {
        for (y, row) in self.lines.iter().enumerate() {
            for (x, mask) in row.iter().enumerate() {
                if *mask != 0 && self.cells[y][x].0 == ' ' {
                    self.cells[y][x] = (glyph(*mask), style);
                }
            }
        }
    }

    fn into_lines(self) -> Vec<Line<'static>> {
        self.cells
            .into_iter()
            .map(|row| {
                let mut spans: Vec<Span<'static>> = Vec::new();
                let mut text = String::new();
                let mut current: Option<Style> = None;
                for (c, style) in row {
                    if current != Some(style) {
                        if let Some(s) = current {
                            spans.push(Span::styled(std::mem::take(&mut text), s));
                        }
                        current = Some(style);
                    }
                    text.push(c);
                }
                if let Some(s) = current {
                    spans.push(Span::styled(text.trim_end().to_string(), s));
                }
                Line::from(spans)
            })
            .collect()
    }
}

/// A label that fits: a topic keeps its end (`…ORDERMGMT.CONTACTS` says more than
/// `XEPDB1.ORDERMGMT.CO…`), anything else its beginning.
fn shorten(node: &crate::lineage::Node, cols: usize) -> String {
    let chars: Vec<char> = node.label.chars().collect();
    if node.kind != NodeKind::Topic || chars.len() <= cols || cols < 2 {
        return truncate(&node.label, cols);
    }
    let tail: String = chars[chars.len() - (cols - 1)..].iter().collect();
    format!("…{tail}")
}

fn kind_tag(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::External => "system",
        NodeKind::Connector => "connector",
        NodeKind::Topic => "topic",
        NodeKind::Statement => "flink",
    }
}

fn health_style(health: Health, theme: &Theme) -> Style {
    match health {
        Health::Good => theme.ok,
        Health::Pending => theme.warn,
        Health::Bad => theme.error,
        Health::Unknown => theme.dim,
    }
}

/// Each layer ordered by the mean row of its neighbours (a sweep right, then left), so
/// connected nodes sit side by side and fewer edges cross.
fn untangled(graph: &Graph, mut layers: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    let mut row = vec![0f64; graph.nodes.len()];
    let place = |layers: &Vec<Vec<usize>>, row: &mut Vec<f64>| {
        for layer in layers {
            for (r, n) in layer.iter().enumerate() {
                row[*n] = r as f64;
            }
        }
    };
    place(&layers, &mut row);
    let mean = |n: usize, row: &[f64], upstream: bool| -> f64 {
        let rows: Vec<f64> = graph
            .edges
            .iter()
            .filter_map(|e| match upstream {
                true if e.to == n => Some(row[e.from]),
                false if e.from == n => Some(row[e.to]),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            row[n]
        } else {
            rows.iter().sum::<f64>() / rows.len() as f64
        }
    };
    for upstream in [true, false] {
        let order: Vec<usize> = if upstream {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for li in order {
            let mut keyed: Vec<(f64, usize)> = layers[li]
                .iter()
                .map(|n| (mean(*n, &row, upstream), *n))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            layers[li] = keyed.into_iter().map(|(_, n)| n).collect();
            for (r, n) in layers[li].iter().enumerate() {
                row[*n] = r as f64;
            }
        }
    }
    layers
}

/// The whole drawing; the caller shows a window of it.
pub fn draw(
    graph: &Graph,
    topic_records: &BTreeMap<String, f64>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if graph.nodes.is_empty() {
        return Vec::new();
    }
    let layers = untangled(graph, graph.layers());
    let box_cols: Vec<usize> = layers
        .iter()
        .map(|layer| {
            let widest = layer
                .iter()
                .filter_map(|i| graph.nodes.get(*i))
                .map(|n| {
                    n.label
                        .width()
                        .max(n.detail.width())
                        .max(kind_tag(n.kind).width() + 2)
                })
                .max()
                .unwrap_or(8);
            widest.min(MAX_LABEL_COLS) + 2
        })
        .collect();
    let mut layer_x = Vec::with_capacity(layers.len());
    let mut x = 0;
    for w in &box_cols {
        layer_x.push(x);
        x += w + GUTTER_COLS;
    }
    let width = x.saturating_sub(GUTTER_COLS);
    let tallest = layers.iter().map(Vec::len).max().unwrap_or(0);
    let height = tallest * (BOX_ROWS + GAP_ROWS);
    let mut canvas = Canvas::new(width, height, theme.text);

    // Where each node sits: (layer, top row).
    let mut at: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (li, layer) in layers.iter().enumerate() {
        for (row, node) in layer.iter().enumerate() {
            at.insert(*node, (li, row * (BOX_ROWS + GAP_ROWS)));
        }
    }

    for e in &graph.edges {
        let (Some(&(fl, fy)), Some(&(tl, ty))) = (at.get(&e.from), at.get(&e.to)) else {
            continue;
        };
        let start_x = layer_x[fl] + box_cols[fl];
        let end_x = layer_x[tl].saturating_sub(1);
        let (y1, y2) = (fy + 1, ty + 1);
        if end_x <= start_x {
            continue;
        }
        // Edges from different rows turn in different columns, so their verticals stay apart.
        let turn_x = start_x + 1 + (fy / (BOX_ROWS + GAP_ROWS)) % (GUTTER_COLS - 4);
        canvas.hline(y1, start_x, turn_x.min(end_x));
        canvas.vline(turn_x.min(end_x), y1, y2);
        canvas.hline(y2, turn_x.min(end_x), end_x);
        canvas.put(end_x, y2, "▶", theme.dim);
        if let Some(n) = graph
            .nodes
            .get(e.to)
            .filter(|n| n.kind == NodeKind::Topic)
            .and_then(|n| topic_records.get(&n.label))
        {
            let label = compact(*n);
            if label.len() < end_x.saturating_sub(turn_x) {
                canvas.put(turn_x + 1, y2, &label, theme.key);
            }
        }
    }

    for (i, node) in graph.nodes.iter().enumerate() {
        let Some(&(li, y)) = at.get(&i) else { continue };
        let (x, w) = (layer_x[li], box_cols[li]);
        let border = health_style(node.health, theme);
        let tag = format!(" {} ", kind_tag(node.kind));
        let top = format!("┌─{tag}{}┐", "─".repeat(w.saturating_sub(tag.width() + 3)));
        canvas.put(x, y, &top, border);
        let inner = w.saturating_sub(2);
        canvas.put(x, y + 1, "│", border);
        canvas.put(
            x + 1,
            y + 1,
            &format!("{:<inner$}", shorten(node, inner)),
            theme.strong,
        );
        canvas.put(x + w - 1, y + 1, "│", border);
        canvas.put(x, y + 2, "│", border);
        canvas.put(
            x + 1,
            y + 2,
            &format!("{:<inner$}", truncate(&node.detail, inner)),
            border,
        );
        canvas.put(x + w - 1, y + 2, "│", border);
        canvas.put(
            x,
            y + 3,
            &format!("└{}┘", "─".repeat(w.saturating_sub(2))),
            border,
        );
    }
    canvas.ink_lines(theme.dim);
    canvas.into_lines()
}
