//! The text of the provision panel: a plain next step when Terraform stopped for a reason the
//! participant can act on, and the diagnostics with their source location.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::{Overall, ProvisionView};
use crate::app::keymap::{Intent, Mode, key_for};
use crate::backend::terraform::ui::{Diagnostic, LockInfo, Severity};
use crate::ui::markdown::wrap::{Piece, truncate, wrap};
use crate::ui::sanitize::terminal_safe;

impl ProvisionView<'_> {
    /// What to do about a held lock, an unreachable registry or an interrupted run. The last
    /// paragraph is the next step, so it is kept whole when the explanation has to be cut.
    pub(super) fn next_steps(&self, w: usize, rows: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let p = &self.provision.progress;
        let mut explain: Vec<Line<'static>> = Vec::new();
        let mut next: Vec<Line<'static>> = Vec::new();
        if let Some(lock) = &p.lock {
            explain.extend(paragraph("▲", &lock_text(lock), t.warn, w));
            next.extend(paragraph(
                " ",
                "Enter retries and waits for the lock; U force-unlocks after confirming",
                t.text,
                w,
            ));
        } else if p.registry_unreachable {
            next.extend(paragraph(
                "▲",
                "Terraform could not reach the provider registry: check your network or proxy, then retry",
                t.warn,
                w,
            ));
        } else if self.overall() == Overall::Interrupted {
            next.extend(paragraph(
                "!",
                "stopped; the state is kept — Enter resumes",
                t.warn,
                w,
            ));
        }
        let next_rows = next.len().min(rows);
        let explain_rows = explain.len().min(rows - next_rows);
        if explain_rows < explain.len() {
            explain.truncate(explain_rows);
            if let Some(last) = explain.last_mut() {
                *last = ellipsis(last, w);
            }
        }
        next.truncate(next_rows);
        explain.extend(next);
        explain
    }

    /// Errors, then warnings; each its summary, location, detail and source line. A held lock
    /// is explained by the next step instead, and repeated diagnostics show once.
    pub(super) fn diagnostic_blocks(&self, w: usize) -> Vec<Vec<Line<'static>>> {
        let p = &self.provision.progress;
        let mut seen: Vec<&Diagnostic> = Vec::new();
        for d in p.errors().chain(p.warnings()) {
            let lock = p.lock.is_some() && LockInfo::from_diagnostic(d).is_some();
            if !lock && !seen.contains(&d) {
                seen.push(d);
            }
        }
        seen.into_iter()
            .map(|d| self.diagnostic_lines(d, w))
            .collect()
    }

    fn diagnostic_lines(&self, d: &Diagnostic, w: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let (glyph, label, style) = match d.severity {
            Severity::Error => ("✗", "Error", t.error),
            Severity::Warning => ("▲", "Warning", t.warn),
        };
        let head = format!("{glyph} {label}: {}", terminal_safe(&d.summary));
        let place = d
            .range
            .as_ref()
            .map(|r| format!("{}:{}", terminal_safe(&r.filename), r.start.line));
        let mut out = Vec::new();
        match place {
            Some(place) if head.width() + 2 + place.width() <= w => {
                let pad = w - head.width() - place.width();
                out.push(Line::from(vec![
                    Span::styled(head, style),
                    Span::raw(" ".repeat(pad)),
                    Span::styled(place, t.dim),
                ]));
            }
            Some(place) => {
                let head = truncate(&head, w.saturating_sub(place.width() + 1));
                out.push(Line::from(vec![
                    Span::styled(head, style),
                    Span::raw(" "),
                    Span::styled(place, t.dim),
                ]));
            }
            None => out.extend(paragraph_lines(&head, style, w)),
        }
        for raw in d.detail.lines() {
            let text = terminal_safe(raw);
            if text.trim().is_empty() {
                continue;
            }
            for line in wrap(&[piece(text, t.text)], w.saturating_sub(2)) {
                let mut spans = vec![Span::raw("  ")];
                spans.extend(line.into_iter().map(|p| Span::styled(p.text, p.style)));
                out.push(Line::from(spans));
            }
        }
        if let Some(s) = &d.snippet {
            let code = terminal_safe(s.code.trim());
            let text = truncate(&format!("{} │ {code}", s.start_line), w.saturating_sub(2));
            out.push(Line::from(vec![Span::raw("  "), Span::styled(text, t.dim)]));
        }
        out
    }

    /// Every diagnostic keeps its first line when it can; details fill the rows left, and a
    /// last row says how much is hidden and how to see it.
    pub(super) fn fit_diagnostics(
        &self,
        blocks: Vec<Vec<Line<'static>>>,
        rows: usize,
        w: usize,
    ) -> Vec<Line<'static>> {
        let need: usize = blocks.iter().map(Vec::len).sum();
        if rows == 0 || need == 0 {
            return Vec::new();
        }
        let budget = if need > rows && rows >= 3 {
            rows - 1
        } else {
            rows
        };
        let mut take: Vec<usize> = blocks.iter().map(|_| 0).collect();
        let mut left = budget;
        for t in &mut take {
            if left > 0 {
                *t = 1;
                left -= 1;
            }
        }
        for (t, b) in take.iter_mut().zip(&blocks) {
            let more = (b.len() - *t).min(left);
            *t += more;
            left -= more;
        }
        let mut out: Vec<Line<'static>> = blocks
            .into_iter()
            .zip(&take)
            .flat_map(|(b, n)| b.into_iter().take(*n))
            .collect();
        let hidden = need - out.len();
        if hidden > 0 && rows > budget {
            let mut text = format!("… {hidden} more line{}", if hidden == 1 { "" } else { "s" });
            if let Some(key) = key_for(Mode::Lesson, Intent::ToggleLog).filter(|_| !self.expanded) {
                text.push_str(&format!(" · {key} enlarges this pane"));
            }
            out.push(Line::from(Span::styled(truncate(&text, w), self.theme.dim)));
        }
        out
    }
}

/// `State locked by runner@host since 2026-11-23 20:06:19 UTC (apply, lock 6969…)`.
fn lock_text(l: &LockInfo) -> String {
    let who = terminal_safe(&l.who);
    let who = if who.is_empty() {
        "someone".into()
    } else {
        who
    };
    // Terraform prints the operation as a Go constant and the time to the nanosecond.
    let op = terminal_safe(&l.operation);
    let op = op
        .strip_prefix("OperationType")
        .unwrap_or(&op)
        .to_lowercase();
    let created: Vec<String> = terminal_safe(&l.created)
        .split_whitespace()
        .filter(|w| *w != "+0000")
        .map(|w| match w.split_once('.') {
            Some((hms, frac)) if hms.contains(':') && frac.chars().all(|c| c.is_ascii_digit()) => {
                hms.to_string()
            }
            _ => w.to_string(),
        })
        .collect();
    let mut text = format!("State locked by {who}");
    if !created.is_empty() {
        text.push_str(&format!(" since {}", created.join(" ")));
    }
    let id = terminal_safe(&l.id);
    if op.is_empty() {
        text.push_str(&format!(" (lock {id})"));
    } else {
        text.push_str(&format!(" ({op}, lock {id})"));
    }
    text
}

fn piece(text: String, style: Style) -> Piece {
    Piece {
        text,
        style,
        link: None,
    }
}

/// Wrapped text whose first line starts with `glyph` and the rest hang under the text.
fn paragraph(glyph: &str, text: &str, style: Style, w: usize) -> Vec<Line<'static>> {
    wrap(&[piece(text.to_string(), style)], w.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let lead = if i == 0 {
                format!("{glyph} ")
            } else {
                "  ".to_string()
            };
            let mut spans = vec![Span::styled(lead, style)];
            spans.extend(line.into_iter().map(|p| Span::styled(p.text, p.style)));
            Line::from(spans)
        })
        .collect()
}

fn paragraph_lines(text: &str, style: Style, w: usize) -> Vec<Line<'static>> {
    wrap(&[piece(text.to_string(), style)], w)
        .into_iter()
        .map(|line| {
            Line::from(
                line.into_iter()
                    .map(|p| Span::styled(p.text, p.style))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

/// The line cut short with `…`, to say its paragraph goes on.
fn ellipsis(line: &Line<'static>, w: usize) -> Line<'static> {
    let style = line.spans.last().map_or_else(Style::new, |s| s.style);
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let cut = truncate(&text, w.saturating_sub(1));
    let cut = cut.strip_suffix('…').unwrap_or(&cut).trim_end().to_string();
    Line::from(Span::styled(format!("{cut}…"), style))
}
