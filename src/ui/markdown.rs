//! Lesson prose (CommonMark + GFM tables, task lists, strikethrough and callouts) → styled lines.
//!
//! A writer walks pulldown-cmark's events with explicit stacks: inline styles, line prefixes
//! (quotes, callouts, list items) and the link being written. Wrapping happens per paragraph at
//! the final width, so the result is ready to slice into a scrolling view.

mod table;
pub mod wrap;

use pulldown_cmark::{
    Alignment, BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::ui::theme::{CalloutKind, Theme};
use wrap::{Piece, truncate, wrap};

/// A fenced or indented code block, numbered for one-key copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub index: usize,
    pub lang: String,
    pub text: String,
}

/// Where a link landed on screen, for OSC 8 hyperlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpan {
    pub line: usize,
    pub col: u16,
    pub width: u16,
    pub url: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    pub code_blocks: Vec<CodeBlock>,
    pub links: Vec<LinkSpan>,
}

/// Render `md` for `width` columns. Code blocks are numbered from `first_code_index`.
pub fn render(md: &str, width: u16, theme: &Theme, first_code_index: usize) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM;
    let mut w = Writer::new(usize::from(width.max(10)), theme, first_code_index);
    for event in Parser::new_ext(md, options) {
        w.event(event);
    }
    w.flush();
    w.out
}

/// A line prefix: what the first line of a block gets, and what its continuation lines get.
#[derive(Clone)]
struct Prefix {
    first: Vec<Span<'static>>,
    rest: Vec<Span<'static>>,
    used: bool,
}

struct Writer<'t> {
    theme: &'t Theme,
    width: usize,
    out: Rendered,
    next_code: usize,
    prefixes: Vec<Prefix>,
    styles: Vec<Style>,
    pieces: Vec<Piece>,
    links: Vec<String>,
    link_stack: Vec<usize>,
    lists: Vec<Option<u64>>,
    code: Option<(String, String)>,
    table: Option<table::Table>,
    heading: Option<HeadingLevel>,
    /// A blank line is owed before the next block.
    gap: bool,
}

impl<'t> Writer<'t> {
    fn new(width: usize, theme: &'t Theme, first_code_index: usize) -> Self {
        Self {
            theme,
            width,
            out: Rendered::default(),
            next_code: first_code_index,
            prefixes: Vec::new(),
            styles: Vec::new(),
            pieces: Vec::new(),
            links: Vec::new(),
            link_stack: Vec::new(),
            lists: Vec::new(),
            code: None,
            table: None,
            heading: None,
            gap: false,
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(self.theme.text, |acc, s| acc.patch(*s))
    }

    fn push_text(&mut self, text: &str, extra: Option<Style>) {
        let style = extra.map_or_else(|| self.style(), |e| self.style().patch(e));
        let link = self.link_stack.last().copied();
        let piece = Piece {
            text: text.to_string(),
            style,
            link,
        };
        match &mut self.table {
            Some(t) => t.push(piece),
            None => self.pieces.push(piece),
        }
    }

    fn prefix_spans(&mut self) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for p in &mut self.prefixes {
            if p.used {
                spans.extend(p.rest.iter().cloned());
            } else {
                spans.extend(p.first.iter().cloned());
                p.used = true;
            }
        }
        spans
    }

    fn prefix_width(&self) -> usize {
        self.prefixes
            .iter()
            .map(|p| p.rest.iter().map(|s| s.content.width()).sum::<usize>())
            .sum()
    }

    fn blank(&mut self) {
        if self.gap && !self.out.lines.is_empty() {
            // A blank line inside a quote keeps the quote's bar.
            let spans: Vec<Span<'static>> = self
                .prefixes
                .iter()
                .flat_map(|p| p.rest.iter().cloned())
                .map(|s| Span::styled(s.content.trim_end().to_string(), s.style))
                .collect();
            self.out.lines.push(Line::from(spans));
        }
        self.gap = false;
    }

    fn emit(&mut self, mut spans: Vec<Span<'static>>) {
        let mut prefix = self.prefix_spans();
        prefix.append(&mut spans);
        self.out.lines.push(Line::from(prefix));
    }

    /// Wrap and emit the pending inline text as a paragraph.
    fn flush(&mut self) {
        if self.pieces.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.pieces);
        let avail = self.width.saturating_sub(self.prefix_width()).max(8);
        for line in wrap(&pieces, avail) {
            let prefix = self.prefix_spans();
            let mut col: usize = prefix.iter().map(|s| s.content.width()).sum();
            let row = self.out.lines.len();
            let mut spans = prefix;
            for piece in line {
                let w = piece.text.width();
                if let Some(url) = piece.link.and_then(|i| self.links.get(i)) {
                    let extends = self.out.links.last_mut().filter(|l| {
                        l.line == row
                            && usize::from(l.col) + usize::from(l.width) == col
                            && &l.url == url
                    });
                    match extends {
                        Some(l) => l.width += u16::try_from(w).unwrap_or(0),
                        None => self.out.links.push(LinkSpan {
                            line: row,
                            col: u16::try_from(col).unwrap_or(u16::MAX),
                            width: u16::try_from(w).unwrap_or(0),
                            url: url.clone(),
                        }),
                    }
                }
                col += w;
                spans.push(Span::styled(piece.text, piece.style));
            }
            self.out.lines.push(Line::from(spans));
        }
    }

    fn start_block(&mut self) {
        self.flush();
        self.blank();
    }

    fn end_block(&mut self) {
        self.flush();
        self.gap = true;
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some((_, buf)) => buf.push_str(&text),
                None => self.push_text(&text, None),
            },
            Event::Code(text) => self.push_text(&text, Some(self.theme.code_inline)),
            Event::SoftBreak => self.push_text(" ", None),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.start_block();
                let w = self.width.saturating_sub(self.prefix_width());
                self.emit(vec![Span::styled("─".repeat(w), self.theme.dim)]);
                self.gap = true;
            }
            Event::TaskListMarker(done) => {
                let mark = if done { "☑ " } else { "☐ " };
                self.push_text(mark, Some(self.theme.strong));
            }
            // HTML (comments, author notes) is not shown; inline math and footnotes are rare.
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_) => {}
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.push_text(&t, Some(self.theme.code_inline))
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.start_block(),
            Tag::Heading { level, .. } => {
                self.start_block();
                self.heading = Some(level);
                let style = match level {
                    HeadingLevel::H1 => self.theme.h1,
                    HeadingLevel::H2 => self.theme.h2,
                    _ => self.theme.h3,
                };
                self.styles.push(style);
            }
            Tag::BlockQuote(kind) => {
                self.start_block();
                match kind.and_then(callout_kind) {
                    Some(kind) => {
                        let style = self.theme.callout(kind);
                        let (label, glyph) = kind.label();
                        let bar = Span::styled("▌ ", style);
                        self.emit(vec![
                            bar.clone(),
                            Span::styled(
                                format!("{glyph} {label}"),
                                style.patch(self.theme.strong),
                            ),
                        ]);
                        self.prefixes.push(Prefix {
                            first: vec![bar.clone()],
                            rest: vec![bar],
                            used: true,
                        });
                    }
                    None => {
                        let bar = Span::styled("│ ", self.theme.dim);
                        self.prefixes.push(Prefix {
                            first: vec![bar.clone()],
                            rest: vec![bar],
                            used: false,
                        });
                        self.styles.push(self.theme.quote);
                    }
                }
            }
            Tag::CodeBlock(kind) => {
                self.start_block();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                if self.lists.is_empty() {
                    self.start_block();
                } else {
                    self.flush();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => match depth {
                        1 => "• ".to_string(),
                        2 => "◦ ".to_string(),
                        _ => "▪ ".to_string(),
                    },
                };
                let pad = " ".repeat(marker.width());
                self.prefixes.push(Prefix {
                    first: vec![Span::styled(marker, self.theme.dim)],
                    rest: vec![Span::raw(pad)],
                    used: false,
                });
            }
            Tag::Emphasis => self.styles.push(self.theme.emphasis),
            Tag::Strong => self.styles.push(self.theme.strong),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(ratatui::style::Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.links.push(dest_url.to_string());
                self.link_stack.push(self.links.len() - 1);
                self.styles.push(self.theme.link);
            }
            Tag::Image { .. } => self.push_text("[image: ", Some(self.theme.dim)),
            Tag::Table(aligns) => {
                self.start_block();
                self.table = Some(table::Table::new(aligns.into_iter().map(align).collect()));
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.start_row(true);
                }
                self.styles.push(self.theme.strong);
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.start_row(false);
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    t.start_cell();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.end_block(),
            TagEnd::Heading(_) => {
                self.styles.pop();
                let level = self.heading.take();
                let text_width: usize = self.pieces.iter().map(|p| p.text.width()).sum();
                self.flush();
                if matches!(level, Some(HeadingLevel::H1 | HeadingLevel::H2)) {
                    let style = if level == Some(HeadingLevel::H1) {
                        self.theme.h1
                    } else {
                        self.theme.dim
                    };
                    let ch = if level == Some(HeadingLevel::H1) {
                        "━"
                    } else {
                        "─"
                    };
                    let w = text_width.min(self.width.saturating_sub(self.prefix_width()));
                    self.emit(vec![Span::styled(ch.repeat(w), style)]);
                }
                self.gap = true;
            }
            TagEnd::BlockQuote(kind) => {
                self.flush();
                self.prefixes.pop();
                if kind.and_then(callout_kind).is_none() {
                    self.styles.pop();
                }
                self.gap = true;
            }
            TagEnd::CodeBlock => {
                if let Some((lang, text)) = self.code.take() {
                    self.code_block(lang, text);
                }
                self.gap = true;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.gap = true;
                }
            }
            TagEnd::Item => {
                self.flush();
                self.prefixes.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                self.link_stack.pop();
            }
            TagEnd::Image => self.push_text("]", Some(self.theme.dim)),
            TagEnd::TableHead => {
                self.styles.pop();
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    let avail = self.width.saturating_sub(self.prefix_width());
                    for spans in t.render(avail, self.theme) {
                        self.emit(spans);
                    }
                }
                self.gap = true;
            }
            _ => {}
        }
    }

    fn code_block(&mut self, lang: String, text: String) {
        let index = self.next_code;
        self.next_code += 1;
        let border = self.theme.code_border;
        let label = if lang.is_empty() {
            String::new()
        } else {
            format!(" {lang} ─")
        };
        self.emit(vec![
            Span::styled("┌─", border),
            Span::styled(format!("{label} press "), self.theme.dim),
            Span::styled(format!("{index}"), self.theme.key),
            Span::styled(" to copy", self.theme.dim),
        ]);
        let avail = self.width.saturating_sub(self.prefix_width() + 2);
        let body = text.trim_end_matches('\n');
        for line in body.lines() {
            let shown = truncate(&line.replace('\t', "    "), avail);
            self.emit(vec![
                Span::styled("│ ", border),
                Span::styled(shown, self.theme.code_block),
            ]);
        }
        self.emit(vec![Span::styled("└─", border)]);
        self.out.code_blocks.push(CodeBlock {
            index,
            lang,
            text: body.to_string(),
        });
    }
}

fn callout_kind(kind: BlockQuoteKind) -> Option<CalloutKind> {
    Some(match kind {
        BlockQuoteKind::Note => CalloutKind::Note,
        BlockQuoteKind::Tip => CalloutKind::Tip,
        BlockQuoteKind::Important => CalloutKind::Important,
        BlockQuoteKind::Warning => CalloutKind::Warning,
        BlockQuoteKind::Caution => CalloutKind::Caution,
    })
}

fn align(a: Alignment) -> table::Align {
    match a {
        Alignment::Right => table::Align::Right,
        Alignment::Center => table::Align::Center,
        Alignment::Left | Alignment::None => table::Align::Left,
    }
}

#[cfg(test)]
mod tests;
