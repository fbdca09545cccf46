//! The resource list of the provision panel: one row per resource, busy and failed ones first
//! when not all fit, side by side on a wide pane.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::ProvisionView;
use crate::backend::terraform::progress::{ResourceProgress, ResourceState};
use crate::ui::lesson_doc::spinner;
use crate::ui::markdown::wrap::truncate;
use crate::ui::sanitize::terminal_safe;

/// From this width a resource row spells out its action; below, it uses the plan symbol.
const ACTION_WORDS_FROM: usize = 52;
const ACTION_COLS: usize = 7;
const SYMBOL_COLS: usize = 3;
const SECS_COLS: usize = 6;
/// Narrower than this, an address alone is all a row shows.
const ADDR_MIN_COLS: usize = 8;
/// An id is worth showing when this much of it fits.
const ID_MIN_COLS: usize = 12;
/// From this width a pane lists resources side by side when they do not fit one column.
const RESOURCE_COLUMN_COLS: usize = 60;
const RESOURCE_MAX_COLUMNS: usize = 3;

/// Column widths shared by the resource rows on screen, so they line up.
struct Fit {
    col: usize,
    addr: usize,
    /// The widest plan symbol (`+`, `-/+`) among them.
    symbol: usize,
}

impl ProvisionView<'_> {
    /// The newest provisioner line of each busy resource, shown under it when there is room.
    pub(super) fn provisioner_lines(&self) -> Vec<&str> {
        let p = &self.provision.progress;
        p.order
            .iter()
            .filter_map(|a| p.resources.get(a))
            .filter(|r| r.state == ResourceState::Applying)
            .filter_map(|r| r.provision_output.last().map(String::as_str))
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    pub(super) fn resource_rows(&self, w: usize, rows: usize) -> Vec<Line<'static>> {
        let p = &self.provision.progress;
        let mut list: Vec<&ResourceProgress> =
            p.order.iter().filter_map(|a| p.resources.get(a)).collect();
        if rows == 0 || list.is_empty() {
            return Vec::new();
        }
        let columns = if list.len() > rows {
            (w / RESOURCE_COLUMN_COLS).clamp(1, RESOURCE_MAX_COLUMNS)
        } else {
            1
        };
        let capacity = rows * columns;
        let short = list.len() > capacity;
        if short {
            list.sort_by_key(|r| rank(r.state));
        }
        // One cell says how many are left out, unless it would be the only one.
        let shown = if short && capacity > 1 {
            capacity - 1
        } else {
            list.len().min(capacity)
        };
        let gap = 2;
        let col_w = w.saturating_sub(gap * (columns - 1)) / columns;
        let widest = |f: &dyn Fn(&ResourceProgress) -> usize| {
            list[..shown].iter().map(|r| f(r)).max().unwrap_or(0)
        };
        let fit = Fit {
            col: col_w,
            addr: widest(&|r| terminal_safe(&r.addr).width()),
            symbol: widest(&|r| symbol(&terminal_safe(&r.action)).width()),
        };
        let mut cells: Vec<Vec<Span<'static>>> = list[..shown]
            .iter()
            .map(|r| self.resource_cell(r, &fit))
            .collect();
        if short && capacity > 1 {
            cells.push(self.more_cell(&list[shown..], col_w));
        }
        if columns == 1 {
            let mut out: Vec<Line<'static>> = Vec::new();
            let mut spare = rows.saturating_sub(cells.len());
            for (r, cell) in list.iter().zip(cells.iter().cloned()) {
                out.push(Line::from(cell));
                let output = r.provision_output.last().filter(|l| !l.trim().is_empty());
                if let (true, Some(line)) =
                    (r.state == ResourceState::Applying && spare > 0, output)
                {
                    spare -= 1;
                    let text = truncate(&format!("↳ {}", terminal_safe(line)), w.saturating_sub(4));
                    out.push(Line::from(vec![
                        Span::raw("    "),
                        Span::styled(text, self.theme.dim),
                    ]));
                }
            }
            out.extend(cells.into_iter().skip(list.len()).map(Line::from));
            return out;
        }
        // Column by column, so reading down a column follows the order.
        let per_column = cells.len().div_ceil(columns);
        (0..per_column)
            .map(|row| {
                let mut spans = Vec::new();
                for c in 0..columns {
                    if let Some(cell) = cells.get(c * per_column + row) {
                        if c > 0 {
                            spans.push(Span::raw(" ".repeat(gap)));
                        }
                        spans.extend(cell.iter().cloned());
                    }
                }
                Line::from(spans)
            })
            .collect()
    }

    /// `⠋ terraform_data.cluster   create      12s`, exactly `col_w` wide. A narrow column
    /// writes the action as Terraform's plan symbol (`+ terraform_data.cluster  12s`) and cuts
    /// addresses at the front, where they repeat the resource type, to keep their names apart.
    fn resource_cell(&self, r: &ResourceProgress, fit: &Fit) -> Vec<Span<'static>> {
        let t = self.theme;
        let (col_w, addr_w, sym_w) = (fit.col, fit.addr, fit.symbol);
        let (glyph, style) = match r.state {
            ResourceState::Planned => ("·", t.pending),
            ResourceState::Applying if self.provision.running() => (spinner(self.tick), t.running),
            ResourceState::Applying => ("◌", t.warn),
            ResourceState::Done => ("✓", t.ok),
            ResourceState::Failed => ("✗", t.error),
        };
        let addr = terminal_safe(&r.addr);
        let addr_style = if r.state == ResourceState::Failed {
            t.error
        } else {
            t.text
        };
        let lead = Span::styled(format!("{glyph} "), style);
        let action = terminal_safe(&r.action);
        let secs = match r.state {
            ResourceState::Planned => String::new(),
            _ => duration_secs(self.provision.resource_elapsed_secs(&r.addr, self.now_ms)),
        };
        let secs = Span::styled(format!(" {secs:>SECS_COLS$}"), t.text);
        if col_w >= ACTION_WORDS_FROM {
            let addr_w = addr_w.min(col_w - 2 - 2 - ACTION_COLS - 1 - SECS_COLS);
            let addr = truncate_start(&addr, addr_w);
            let action = truncate(&action, ACTION_COLS);
            let used = 2 + addr_w + 2 + ACTION_COLS + 1 + SECS_COLS;
            let mut spans = vec![
                lead,
                Span::styled(addr.clone(), addr_style),
                Span::raw(" ".repeat(addr_w - addr.width() + 2)),
                Span::styled(format!("{action:<ACTION_COLS$}"), t.dim),
                secs,
            ];
            // A wide pane has room for the id Terraform reported.
            let room = col_w.saturating_sub(used + 5);
            let id = r.id.as_deref().filter(|_| room >= ID_MIN_COLS);
            let id = id.map_or_else(String::new, |id| {
                format!("  id {}", truncate(&terminal_safe(id), room))
            });
            let pad = col_w.saturating_sub(used + id.width());
            spans.push(Span::styled(id, t.dim));
            spans.push(Span::raw(" ".repeat(pad)));
            return spans;
        }
        if col_w >= 2 + sym_w + 1 + ADDR_MIN_COLS + 1 + SECS_COLS {
            let addr_w = addr_w.min(col_w - 2 - sym_w - 1 - 1 - SECS_COLS);
            let addr = truncate_start(&addr, addr_w);
            let pad = addr_w - addr.width();
            return vec![
                lead,
                Span::styled(format!("{:<sym_w$} ", symbol(&action)), t.dim),
                Span::styled(addr, addr_style),
                Span::raw(" ".repeat(pad)),
                secs,
            ];
        }
        let addr = truncate_start(&addr, col_w.saturating_sub(2));
        let pad = col_w.saturating_sub(addr.width() + 2);
        vec![
            lead,
            Span::styled(addr, addr_style),
            Span::raw(" ".repeat(pad)),
        ]
    }

    /// `+12 more · 10 done · 2 waiting`.
    fn more_cell(&self, hidden: &[&ResourceProgress], col_w: usize) -> Vec<Span<'static>> {
        let n = |s: ResourceState| hidden.iter().filter(|r| r.state == s).count();
        let mut text = format!("+{} more", hidden.len());
        for (k, label) in [
            (n(ResourceState::Done), "done"),
            (n(ResourceState::Planned), "waiting"),
            (n(ResourceState::Applying), "busy"),
            (n(ResourceState::Failed), "failed"),
        ] {
            if k > 0 {
                text.push_str(&format!(" · {k} {label}"));
            }
        }
        let text = truncate(&text, col_w);
        let pad = col_w.saturating_sub(text.width());
        vec![
            Span::styled(text, self.theme.dim),
            Span::raw(" ".repeat(pad)),
        ]
    }
}

/// Which resources stay in view when not all fit: what failed, then what is busy, then what is
/// still to come, then what is done.
fn rank(s: ResourceState) -> u8 {
    match s {
        ResourceState::Failed => 0,
        ResourceState::Applying => 1,
        ResourceState::Planned => 2,
        ResourceState::Done => 3,
    }
}

/// Terraform's plan notation for an action, as in `terraform plan` output.
fn symbol(action: &str) -> String {
    match action {
        "create" => "+".into(),
        "update" => "~".into(),
        "delete" => "-".into(),
        "replace" => "-/+".into(),
        "read" => "<=".into(),
        other => truncate(other, SYMBOL_COLS),
    }
}

/// Cut `text` to `width` columns at the front, starting with `…` when it was longer.
fn truncate_start(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for ch in text.chars().rev() {
        let cw = ch.width().unwrap_or(0);
        if used + cw > width {
            break;
        }
        kept.push(ch);
        used += cw;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// `7s`, `1m 05s`.
fn duration_secs(s: u64) -> String {
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m {:02}s", s / 60, s % 60)
    }
}
