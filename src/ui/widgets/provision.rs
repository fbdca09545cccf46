//! A terraform step as the participant watches it: what it applies, how far it got against how
//! long it usually takes, which resources are busy, what went wrong, and a plain next step when
//! Terraform stopped for a reason the participant can act on.
//!
//! Rows are shared out by importance, so a small pane still answers "is it moving, is it
//! stuck, what do I do": the state line and the bar always, a next step before anything else,
//! then resources and diagnostics. When resources do not fit, failed and busy ones come first.
//!
//! Every text here comes from a subprocess, so it passes through [`terminal_safe`].

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Padding, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::keymap::{Intent, Mode, key_for};
use crate::app::provision::Provision;
use crate::backend::terraform::progress::ResourceState;
use crate::lesson::{TerraformAction, TerraformStep};
use crate::ui::lesson_doc::{elapsed, spinner};
use crate::ui::markdown::wrap::truncate;
use crate::ui::sanitize::terminal_safe;
use crate::ui::theme::Theme;
use crate::ui::widgets::chrome;

mod notes;
mod resources;

/// A bar narrower than this says nothing a count does not; it is left out.
const BAR_MIN_COLS: usize = 8;
/// Beside the state line the bar stays short enough to read as one glance.
const SHARED_BAR_MAX_COLS: usize = 40;

/// One terraform step's provision, ready to draw as a panel.
pub struct ProvisionView<'a> {
    pub provision: &'a Provision,
    pub terraform: &'a TerraformStep,
    /// How long the step usually takes: its own estimate, else its lesson's.
    pub estimate: Option<Duration>,
    /// The guide stopped the step (x, quit, timeout), whether or not Terraform said so.
    pub interrupted: bool,
    /// The pane is enlarged already, so its hint does not offer to enlarge it.
    pub expanded: bool,
    pub now_ms: u64,
    pub tick: u64,
    pub theme: &'a Theme,
}

enum GaugeKind {
    Nothing,
    Sentence(String),
    Bar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overall {
    Running,
    /// Terraform received the interrupt and is winding down.
    Stopping,
    Done,
    Failed,
    Interrupted,
}

impl Widget for &ProvisionView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let title = truncate(
            &format!(" {} ", self.command()),
            usize::from(area.width.saturating_sub(4)),
        );
        let mut block =
            chrome::panel(title, t, self.provision.running()).padding(Padding::horizontal(1));
        if let Some(key) = key_for(Mode::Lesson, Intent::ToggleRawLog) {
            let hint = format!(" {key} raw log ");
            if usize::from(area.width) > hint.width() + 4 {
                block = block.title_bottom(Line::from(Span::styled(hint, t.dim)).right_aligned());
            }
        }
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(self.lines(inner.width, inner.height)).render(inner, buf);
    }
}

impl ProvisionView<'_> {
    /// `terraform apply · module cluster`: what the participant would have typed.
    pub fn command(&self) -> String {
        format!(
            "terraform {} · module {}",
            self.terraform.action.name(),
            terminal_safe(&self.terraform.module)
        )
    }

    /// The content of the panel for an inner area of `width` × `height`.
    pub fn lines(&self, width: u16, height: u16) -> Vec<Line<'static>> {
        let (w, h) = (usize::from(width), usize::from(height));
        if w == 0 || h == 0 {
            return Vec::new();
        }
        let (status, status_style) = self.status(w, false);
        let mut out = Vec::new();
        // The bar shares the state's row when both fit with a readable bar.
        let shared = w
            .checked_sub(status.width() + 3)
            .and_then(|room| self.gauge(room, true));
        if let Some(g) = shared {
            let pad = w.saturating_sub(status.width() + g.width());
            let mut spans = vec![
                Span::styled(status, status_style),
                Span::raw(" ".repeat(pad)),
            ];
            spans.extend(g.spans);
            out.push(Line::from(spans));
        } else if h == 1 {
            let (status, style) = self.status(w, true);
            out.push(Line::from(Span::styled(status, style)));
        } else {
            out.push(Line::from(Span::styled(status, status_style)));
            out.extend(self.gauge(w, false));
        }
        let rows = h.saturating_sub(out.len());
        out.extend(self.body(w, rows));
        out.truncate(h);
        out
    }

    fn overall(&self) -> Overall {
        let p = &self.provision.progress;
        let interrupted = p.interrupted || self.interrupted;
        let succeeded = match self.terraform.action {
            TerraformAction::Plan => p.plan.is_some() && p.errors().next().is_none(),
            TerraformAction::Apply | TerraformAction::Destroy => p.succeeded(),
        };
        match (self.provision.running(), interrupted) {
            (true, false) => Overall::Running,
            (true, true) => Overall::Stopping,
            (false, true) => Overall::Interrupted,
            (false, false) if succeeded => Overall::Done,
            (false, false) => Overall::Failed,
        }
    }

    /// `⠋ running · 1m 05s · typically ~10 min`, or as much of it as fits in `w`; with `count`
    /// (no row for the bar) it ends in `· 3/4`.
    fn status(&self, w: usize, count: bool) -> (String, Style) {
        let t = self.theme;
        let (glyph, word, style) = match self.overall() {
            Overall::Running => (spinner(self.tick), "running", t.running),
            Overall::Stopping => (spinner(self.tick), "stopping", t.warn),
            Overall::Done => ("✓", "done", t.ok),
            Overall::Failed => ("✗", "failed", t.error),
            Overall::Interrupted => ("!", "interrupted", t.warn),
        };
        let bare = format!("{glyph} {word}");
        let timed = format!(
            "{bare} · {}",
            elapsed(self.provision.elapsed_ms(self.now_ms))
        );
        let full = match self.estimate.filter(|e| !e.is_zero()) {
            Some(e) => format!("{timed} · typically ~{}", typical(e)),
            None => timed.clone(),
        };
        let p = &self.provision.progress;
        let tally = (count && p.total() > 0).then(|| format!(" · {}/{}", p.finished(), p.total()));
        let candidates = match tally {
            Some(n) => vec![
                format!("{full}{n}"),
                format!("{timed}{n}"),
                format!("{bare}{n}"),
                bare,
            ],
            None => vec![full, timed, bare],
        };
        let fits = candidates.iter().find(|c| c.width() <= w).cloned();
        let text =
            fits.unwrap_or_else(|| truncate(candidates.last().map_or("", String::as_str), w));
        (text, style)
    }

    /// What the bar counts, short and (when there is room) with the plan or the result.
    fn gauge_labels(&self) -> (String, String) {
        let p = &self.provision.progress;
        let total = p.total();
        let failed = count(self.provision, ResourceState::Failed);
        let mut short = format!("{}/{total} resources", p.finished());
        if failed > 0 {
            short.push_str(&format!(" · {failed} failed"));
        }
        let detail = match (p.result, p.plan) {
            (Some((_, c)), _) => Some(format!(
                "{} added, {} changed, {} destroyed",
                c.add, c.change, c.remove
            )),
            (None, Some(c)) => Some(format!(
                "plan: {} to add, {} to change, {} to destroy",
                c.add, c.change, c.remove
            )),
            (None, None) => None,
        };
        let long = detail.map_or_else(|| short.clone(), |d| format!("{short} · {d}"));
        (short, long)
    }

    /// What the gauge row shows: nothing when a run that ended had nothing to apply (a held
    /// lock, an init failure), so the row goes to the text that explains it.
    fn gauge_kind(&self) -> GaugeKind {
        let p = &self.provision.progress;
        let running = self.provision.running();
        if self.terraform.action == TerraformAction::Plan {
            return match p.plan {
                Some(c) => GaugeKind::Sentence(format!(
                    "plan: {} to add, {} to change, {} to destroy",
                    c.add, c.change, c.remove
                )),
                None if running => GaugeKind::Sentence("planning…".into()),
                None => GaugeKind::Nothing,
            };
        }
        if p.total() > 0 {
            return GaugeKind::Bar;
        }
        match p.plan {
            Some(_) => GaugeKind::Sentence("no changes: everything is in place already".into()),
            None if running => GaugeKind::Sentence("planning…".into()),
            None => GaugeKind::Nothing,
        }
    }

    /// The gauge in `room` columns. `shared` (beside the state) asks for a compact bar and
    /// gives `None` when even that does not fit.
    fn gauge(&self, room: usize, shared: bool) -> Option<Line<'static>> {
        let min_bar = if shared {
            2 * BAR_MIN_COLS
        } else {
            BAR_MIN_COLS
        };
        match self.gauge_kind() {
            GaugeKind::Nothing => None,
            GaugeKind::Sentence(s) if shared && s.width() > room => None,
            GaugeKind::Sentence(s) => {
                Some(Line::from(Span::styled(truncate(&s, room), self.theme.dim)))
            }
            GaugeKind::Bar => {
                let (short, long) = self.gauge_labels();
                let label = if long.width() + 1 + min_bar <= room {
                    long
                } else {
                    short
                };
                let bar_w = room.saturating_sub(label.width() + 1);
                if shared && bar_w < min_bar {
                    return None;
                }
                let bar_w = if shared {
                    bar_w.min(SHARED_BAR_MAX_COLS)
                } else {
                    bar_w
                };
                Some(self.bar(label, bar_w, room))
            }
        }
    }

    fn bar(&self, label: String, bar_w: usize, w: usize) -> Line<'static> {
        let t = self.theme;
        let bar_w = bar_w.min(w.saturating_sub(label.width() + 1));
        if bar_w < BAR_MIN_COLS {
            return Line::from(Span::styled(truncate(&label, w), t.text));
        }
        let total = self.provision.progress.total().max(1);
        let done = count(self.provision, ResourceState::Done);
        let failed = count(self.provision, ResourceState::Failed);
        let done_w = bar_w * done / total;
        let failed_w = (bar_w * (done + failed) / total).saturating_sub(done_w);
        let rest = bar_w.saturating_sub(done_w + failed_w);
        Line::from(vec![
            Span::styled("█".repeat(done_w), t.ok),
            Span::styled("█".repeat(failed_w), t.error),
            Span::styled("░".repeat(rest), t.dim),
            Span::styled(format!(" {label}"), t.text),
        ])
    }

    /// Next steps, resources and diagnostics in `rows` rows.
    fn body(&self, w: usize, rows: usize) -> Vec<Line<'static>> {
        if rows == 0 {
            return Vec::new();
        }
        let mut out = self.next_steps(w, rows);
        let rows = rows.saturating_sub(out.len());
        if rows == 0 {
            return out;
        }
        let blocks = self.diagnostic_blocks(w);
        let diag_need: usize = blocks.iter().map(Vec::len).sum();
        let res_count = self.provision.progress.order.len();
        let res_need = res_count + self.provisioner_lines().len();
        let (res_rows, diag_rows) = if res_need + diag_need <= rows {
            (res_need, diag_need)
        } else if diag_need == 0 {
            (rows, 0)
        } else if res_count == 0 {
            (0, rows)
        } else {
            // Resources keep a third of the rows (at least one); diagnostics get the rest.
            let res_min = res_count.min((rows / 3).max(1));
            let diag_rows = diag_need.min(rows.saturating_sub(res_min));
            (rows - diag_rows, diag_rows)
        };
        out.extend(self.resource_rows(w, res_rows));
        out.extend(self.fit_diagnostics(blocks, diag_rows, w));
        out
    }
}

fn count(p: &Provision, state: ResourceState) -> usize {
    p.progress
        .resources
        .values()
        .filter(|r| r.state == state)
        .count()
}

/// `~45 s`, `~10 min`.
fn typical(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min", (s + 30) / 60)
    }
}

#[cfg(test)]
pub(crate) mod tests;
