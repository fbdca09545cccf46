//! The lesson as one scrollable document: prose, step cards with their exact commands and
//! status, checks with what they observed, and hints and solutions once revealed.
//!
//! Built by `update` whenever something it shows changes (and on resize), so drawing a frame
//! only slices prepared lines.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::app::model::Model;
use crate::engine::{CheckProgress, CheckState, StepProgress, StepState};
use crate::lesson::template::Template;
use crate::lesson::{Block, Check, Hint, Lesson, Solution, Step, StepKind};
use crate::runner::outcome::Verdict;
use crate::ui::markdown::wrap::{Piece, truncate, wrap};
use crate::ui::markdown::{self, LinkSpan};
use crate::ui::sanitize::terminal_safe;
use crate::ui::theme::Theme;
use crate::values::ValueSnapshot;

#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub lines: Vec<Line<'static>>,
    /// First row of each step's card, for scrolling to the selected step.
    pub step_rows: Vec<(String, usize)>,
    /// Text of code block N (1-based) at index N-1.
    pub code_blocks: Vec<String>,
    pub links: Vec<LinkSpan>,
}

/// Widest a paragraph of prose is laid out.
pub const READABLE_COLS: usize = 100;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner(tick: u64) -> &'static str {
    SPINNER[usize::try_from(tick % 10).unwrap_or(0)]
}

/// An estimate as people say it: `45s`, `10m`, `1h 5m`.
pub fn estimate(ms: u64) -> String {
    let mins = ms / 60_000;
    match (mins / 60, mins % 60) {
        (0, 0) => format!("{}s", ms / 1000),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// `<0.1s`, `1.2s`, `45s`, `3m 05s`.
pub fn elapsed(ms: u64) -> String {
    if ms < 50 {
        // "0.0s" read as "nothing happened"; it did, just quickly.
        "<0.1s".to_string()
    } else if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

struct Builder<'a> {
    model: &'a Model,
    theme: &'a Theme,
    width: usize,
    values: std::sync::Arc<ValueSnapshot>,
    doc: Doc,
}

pub fn build(model: &Model, width: u16) -> Doc {
    let Some(lesson) = model.viewing() else {
        return Doc::default();
    };
    let session = model
        .engine()
        .map(|e| e.session().clone())
        .unwrap_or_default();
    let mut b = Builder {
        model,
        theme: &model.theme,
        width: usize::from(width.max(20)),
        values: model.values.snapshot(&session),
        doc: Doc::default(),
    };
    b.requires(lesson);
    let steps: Vec<&Step> = lesson.steps().collect();
    let mut hint_no = std::collections::BTreeMap::<&str, usize>::new();
    for block in &lesson.blocks {
        match block {
            Block::Prose(p) => b.prose(&p.markdown),
            Block::Step(s) => {
                let n = steps.iter().position(|x| x.id == s.id).map_or(0, |i| i + 1);
                b.step_card(lesson, s, n, steps.len());
            }
            Block::Check(c) => b.check_line(lesson, c),
            Block::Hint(h) => {
                let n = hint_no.entry(h.step.as_str()).or_insert(0);
                *n += 1;
                b.hint(lesson, h, *n);
            }
            Block::Solution(s) => b.solution(lesson, s),
            Block::Cleanup(c) => {
                let cmd = b.kind_text(&c.run);
                b.dim_line(&format!("↺ Reset (R) runs: {cmd}"));
            }
        }
    }
    b.doc
}

impl Builder<'_> {
    fn session_step(&self, lesson: &str, step: &str) -> StepProgress {
        self.model
            .engine()
            .and_then(|e| e.session().step(lesson, step).cloned())
            .unwrap_or_default()
    }

    fn session_check(&self, lesson: &str, check: &str) -> Option<CheckProgress> {
        self.model
            .engine()
            .and_then(|e| e.session().check(lesson, check).cloned())
    }

    fn push(&mut self, spans: Vec<Span<'static>>) {
        self.doc.lines.push(Line::from(spans));
    }

    fn blank(&mut self) {
        if self.doc.lines.last().is_some_and(|l| l.width() > 0) {
            self.doc.lines.push(Line::default());
        }
    }

    fn dim_line(&mut self, text: &str) {
        self.blank();
        let w = self.width;
        self.push(vec![Span::styled(truncate(text, w), self.theme.dim)]);
    }

    /// Markdown at `indent` columns with an optional bar, appended with links and code blocks.
    fn markdown(&mut self, md: &str, bar: Option<Span<'static>>) {
        let shown = Template::parse(md)
            .map_or_else(|_| md.to_string(), |t| t.display(self.values.as_ref()));
        let indent = if bar.is_some() { 2 } else { 0 };
        // Prose wider than this is hard to read; step cards still use the whole width.
        let width = u16::try_from(self.width.min(READABLE_COLS) - indent).unwrap_or(u16::MAX);
        let r = markdown::render(&shown, width, self.theme, self.doc.code_blocks.len() + 1);
        let offset = self.doc.lines.len();
        for line in r.lines {
            let mut spans = bar.iter().cloned().collect::<Vec<_>>();
            spans.extend(line.spans);
            self.doc.lines.push(Line::from(spans));
        }
        self.doc
            .code_blocks
            .extend(r.code_blocks.into_iter().map(|c| c.text));
        self.doc.links.extend(r.links.into_iter().map(|l| LinkSpan {
            line: l.line + offset,
            col: l.col + u16::try_from(indent).unwrap_or(0),
            ..l
        }));
    }

    fn prose(&mut self, md: &str) {
        if md.trim().is_empty() {
            return;
        }
        self.blank();
        self.markdown(md, None);
    }

    fn requires(&mut self, lesson: &Lesson) {
        let Some(engine) = self.model.engine() else {
            return;
        };
        for r in engine
            .requires(&lesson.id)
            .iter()
            .filter(|r| !r.verdict.is_satisfied())
        {
            let text = format!("▲ Before you start: {}", terminal_safe(&r.message));
            let w = self.width;
            self.push(vec![Span::styled(truncate(&text, w), self.theme.warn)]);
        }
    }

    fn kind_text(&self, kind: &StepKind) -> String {
        match kind {
            StepKind::Shell(_) => format!("$ {}", kind.display(self.values.as_ref())),
            _ => kind.display(self.values.as_ref()),
        }
    }

    /// A boxed card: title row, the command, and a status row.
    /// One line of code in a card: wrapped to the card, its indentation kept on every row.
    fn code_row(&mut self, lead: &str, line: &str, inner: usize, border: Style) {
        let t = self.theme;
        let body = line.trim_start();
        let indent = lead.width() + (line.len() - body.len());
        let piece = Piece {
            text: body.to_string(),
            style: t.code_block,
            link: None,
        };
        let rows = wrap(&[piece], inner.saturating_sub(indent).max(8));
        for (i, row) in rows.into_iter().enumerate() {
            let pad = if i == 0 && !lead.is_empty() {
                Piece {
                    text: format!("{lead}{}", " ".repeat(indent - lead.width())),
                    style: t.dim,
                    link: None,
                }
            } else {
                Piece {
                    text: " ".repeat(indent),
                    style: t.code_block,
                    link: None,
                }
            };
            let mut pieces = vec![pad];
            pieces.extend(row);
            self.card_row(pieces, border);
        }
    }

    fn step_card(&mut self, lesson: &Lesson, step: &Step, n: usize, total: usize) {
        self.blank();
        let p = self.session_step(&lesson.id, &step.id);
        let selected = self.model.selected_step().is_some_and(|s| s.id == step.id);
        let t = self.theme;
        let border = if selected { t.border_focus } else { t.border };
        let inner = self.width.saturating_sub(4);
        self.doc
            .step_rows
            .push((step.id.clone(), self.doc.lines.len()));

        let kind = match &step.kind {
            StepKind::Shell(_) => "shell",
            StepKind::Manual(_) => "you do this",
            StepKind::Terraform(_) => "terraform",
            StepKind::FlinkSql(_) => "flink sql",
            StepKind::Confluent(_) => "confluent",
            StepKind::Sql(_) => "sql",
        };
        let title = truncate(
            &format!(" Step {n}/{total} · {} ", step.title),
            inner.saturating_sub(kind.width() + 4),
        );
        let fill = self.width.saturating_sub(title.width() + kind.width() + 6);
        let title_style = if selected { t.title } else { t.strong };
        self.push(vec![
            Span::styled("╭─", border),
            Span::styled(title, title_style),
            Span::styled("─".repeat(fill), border),
            Span::styled(format!(" {kind} "), t.dim),
            Span::styled("─╮", border),
        ]);

        let body: Vec<Piece> = match &step.kind {
            // Commands keep their lines and indentation, like statements below.
            StepKind::Shell(_) => Vec::new(),
            StepKind::Manual(m) => vec![Piece {
                text: format!(
                    "☐ {}",
                    Template::parse(&m.confirm)
                        .map_or_else(|_| m.confirm.clone(), |c| c.display(self.values.as_ref()))
                ),
                style: t.text,
                link: None,
            }],
            StepKind::Terraform(_) => vec![Piece {
                text: step.kind.display(self.values.as_ref()),
                style: t.code_block,
                link: None,
            }],
            // Statements and connector configs keep their line breaks; each line wraps alone.
            StepKind::FlinkSql(_) | StepKind::Confluent(_) | StepKind::Sql(_) => Vec::new(),
        };
        for line in wrap(&body, inner) {
            self.card_row(line, border);
        }
        if let StepKind::Shell(sh) = &step.kind {
            let command = sh.command.display(self.values.as_ref());
            for (i, line) in command.trim_end().lines().enumerate() {
                let lead = if i == 0 { "$ " } else { "  " };
                self.code_row(lead, line, inner, border);
            }
        }
        if let StepKind::FlinkSql(_) | StepKind::Confluent(_) | StepKind::Sql(_) = &step.kind {
            for sql_line in step.kind.display(self.values.as_ref()).lines() {
                self.code_row("", sql_line, inner, border);
            }
        }
        if let StepKind::Terraform(tf) = &step.kind {
            for (name, value) in &tf.vars {
                let piece = Piece {
                    text: format!("  {name} = {}", value.display(self.values.as_ref())),
                    style: t.dim,
                    link: None,
                };
                for line in wrap(&[piece], inner) {
                    self.card_row(line, border);
                }
            }
        }
        let status = self.status_pieces(step, &p);
        for line in wrap(&status, inner) {
            self.card_row(line, border);
        }
        self.push(vec![Span::styled(
            format!("╰{}╯", "─".repeat(self.width.saturating_sub(2))),
            border,
        )]);
    }

    fn card_row(&mut self, pieces: Vec<Piece>, border: Style) {
        let used: usize = pieces.iter().map(|p| p.text.width()).sum();
        let pad = self.width.saturating_sub(used + 4);
        let mut spans = vec![Span::styled("│ ", border)];
        spans.extend(pieces.into_iter().map(|p| Span::styled(p.text, p.style)));
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(" │", border));
        self.push(spans);
    }

    fn status_pieces(&self, step: &Step, p: &StepProgress) -> Vec<Piece> {
        let t = self.theme;
        let now = self.model.now_ms;
        let piece = |text: String, style: Style| Piece {
            text,
            style,
            link: None,
        };
        let took = match (p.started_ms, p.finished_ms) {
            (Some(a), Some(b)) => format!(" in {}", elapsed(b.saturating_sub(a))),
            _ => String::new(),
        };
        let manual = matches!(step.kind, StepKind::Manual(_));
        match p.state {
            StepState::Pending if manual => {
                vec![piece("◌ ↵ confirms you did it".into(), t.pending)]
            }
            StepState::Pending => {
                let est = step
                    .estimate
                    .map(|e| format!(" · usually {}", estimate(crate::runner::clock::millis(e))))
                    .unwrap_or_default();
                vec![piece(format!("◌ not run yet · ↵ runs it{est}"), t.pending)]
            }
            StepState::Running => {
                let since = p
                    .started_ms
                    .map(|s| elapsed(now.saturating_sub(s)))
                    .unwrap_or_default();
                vec![piece(
                    format!(
                        "{} running · {since} · x stops it",
                        spinner(self.model.tick)
                    ),
                    t.running,
                )]
            }
            StepState::Verifying => vec![piece(
                format!(
                    "{} verifying{took}: checks are polling",
                    spinner(self.model.tick)
                ),
                t.running,
            )],
            StepState::Done => {
                let mut text = format!("✓ done{took}");
                if p.skipped {
                    text.push_str(" (skipped)");
                }
                let session = self.model.engine().map(|e| e.session());
                if let Some(outputs) = session.and_then(|s| s.outputs.get(&step.id)) {
                    let shown: Vec<String> =
                        outputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    text.push_str(&format!(" · outputs: {}", shown.join(", ")));
                }
                vec![piece(text, t.ok)]
            }
            StepState::Failed => {
                let code = p
                    .last_exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default();
                let msg = terminal_safe(p.last_message.as_deref().unwrap_or_default());
                vec![piece(
                    format!("✗ failed{code}: {msg} · ↵ runs it again, h hints"),
                    t.error,
                )]
            }
            StepState::Interrupted => {
                let msg = terminal_safe(p.last_message.as_deref().unwrap_or_default());
                vec![piece(
                    format!("! interrupted: {msg} · ↵ runs it again"),
                    t.warn,
                )]
            }
        }
    }

    fn check_line(&mut self, lesson: &Lesson, check: &Check) {
        let t = self.theme;
        let (mark, style, detail) = match self.session_check(&lesson.id, &check.id) {
            None => (
                "◌",
                t.pending,
                if check.step.is_some() {
                    "waits for its step".to_string()
                } else {
                    String::new()
                },
            ),
            Some(c) => check_status(&c, t, self.model.tick),
        };
        let mut text = format!("  {mark} Check: {}", check.title);
        if !detail.is_empty() {
            text.push_str(" — ");
            text.push_str(&detail);
        }
        let pieces = vec![Piece {
            text,
            style,
            link: None,
        }];
        for line in wrap(&pieces, self.width.saturating_sub(4)) {
            self.push(
                line.into_iter()
                    .map(|p| Span::styled(p.text, p.style))
                    .collect(),
            );
        }
    }

    fn hint(&mut self, lesson: &Lesson, hint: &Hint, n: usize) {
        let p = self.session_step(&lesson.id, &hint.step);
        let t = self.theme;
        if n > p.hints_shown as usize && p.state == StepState::Done {
            return; // hints nobody needed stay out of the way
        }
        if n <= p.hints_shown as usize {
            self.blank();
            let bar = Span::styled("▌ ", t.callout(crate::ui::theme::CalloutKind::Tip));
            self.push(vec![
                bar.clone(),
                Span::styled(
                    format!("? Hint {n}"),
                    t.callout(crate::ui::theme::CalloutKind::Tip)
                        .patch(t.strong),
                ),
            ]);
            self.markdown(&hint.text, Some(bar));
        } else {
            let mut when = Vec::new();
            if let Some(f) = hint.after_failures {
                when.push(format!(
                    "after {f} failure{}",
                    if f == 1 { "" } else { "s" }
                ));
            }
            if let Some(d) = hint.after {
                when.push(format!("after {}", humantime::format_duration(d)));
            }
            when.push("or press h".to_string());
            self.dim_line(&format!("? Hint {n} appears {}", when.join(", ")));
        }
    }

    fn solution(&mut self, lesson: &Lesson, s: &Solution) {
        let p = self.session_step(&lesson.id, &s.step);
        let t = self.theme;
        if p.solution_revealed {
            self.blank();
            let style = t.callout(crate::ui::theme::CalloutKind::Important);
            let bar = Span::styled("▌ ", style);
            self.push(vec![
                bar.clone(),
                Span::styled("★ Solution", style.patch(t.strong)),
            ]);
            self.markdown(&s.explain, Some(bar.clone()));
            if let Some(run) = &s.run {
                let cmd = self.kind_text(run);
                self.push(vec![
                    bar,
                    Span::styled(
                        truncate(&format!("Skip (s) runs: {cmd}"), self.width - 2),
                        t.dim,
                    ),
                ]);
            }
        } else {
            self.dim_line(
                "★ A solution is available: S reveals it, s skips the step by running it",
            );
        }
    }
}

/// Mark, style and detail text for a check's progress.
pub fn check_status(c: &CheckProgress, t: &Theme, tick: u64) -> (&'static str, Style, String) {
    match (c.state, &c.report) {
        (CheckState::Finished, Some(r)) => {
            let message = terminal_safe(&r.message);
            match r.verdict {
                Verdict::Pass => ("✓", t.ok, message),
                Verdict::Warn => ("▲", t.warn, message),
                Verdict::Fail => ("✗", t.error, format!("{message} · c checks again")),
                Verdict::Pending => ("◌", t.pending, message),
            }
        }
        (CheckState::Polling, _) => {
            let seen = c
                .last
                .as_ref()
                .map(|o| format!(" · {}", terminal_safe(&o.observed)))
                .unwrap_or_default();
            (
                spinner(tick),
                t.running,
                format!("checking (attempt {}){seen}", c.attempts.max(1)),
            )
        }
        _ => ("◌", t.pending, String::new()),
    }
}
