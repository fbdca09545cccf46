//! Footer hints, the help overlay and confirmation dialogs: generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::keymap::{Mode, help_entries, hints};
use crate::app::model::Confirm;
use crate::ui::markdown::wrap::truncate;
use crate::ui::theme::Theme;

/// A rounded box with a title; the focused one stands out.
pub fn panel<'a>(title: String, theme: &Theme, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(if focused {
            theme.border_focus
        } else {
            theme.border
        })
        .title(Span::styled(
            title,
            if focused { theme.title } else { theme.strong },
        ))
}

/// One line: key hints on the left (dropped from the end when they do not fit), a status text
/// on the right.
pub fn footer(f: &mut Frame, area: Rect, mode: Mode, status: Option<(&str, bool)>, theme: &Theme) {
    let width = usize::from(area.width);
    let status_text = status
        .map(|(s, _)| truncate(s, width.saturating_sub(12).max(10)))
        .unwrap_or_default();
    let room = width.saturating_sub(status_text.width() + 2);
    let all = hints(mode);
    // Help and quit are the way out of any situation: they stay, other hints make room.
    let essential = |label: &str| label == "help" || label == "quit";
    let width_of = |(key, label): &(String, String)| key.width() + label.width() + 3;
    let reserved: usize = all.iter().filter(|(_, l)| essential(l)).map(width_of).sum();
    let mut shown = Vec::new();
    let mut used = 1 + reserved;
    for hint in &all {
        if essential(&hint.1) {
            shown.push(hint);
        } else if used + width_of(hint) <= room {
            used += width_of(hint);
            shown.push(hint);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in shown {
        spans.push(Span::styled(key.clone(), theme.key));
        spans.push(Span::styled(format!(" {label}  "), theme.dim));
    }
    let used = used.min(width);
    if let Some((_, is_error)) = status {
        let pad = width.saturating_sub(used + status_text.width() + 1);
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(
            status_text,
            if is_error { theme.error } else { theme.warn },
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The keys of `mode`, from the same table that drives the footer.
pub fn help(f: &mut Frame, area: Rect, mode: Mode, scroll: u16, theme: &Theme) {
    let entries = help_entries(mode);
    let key_w = entries
        .iter()
        .map(|(k, _)| k.width())
        .max()
        .unwrap_or(4)
        .min(14);
    let width = (area.width.saturating_sub(4)).min(92);
    let desc_w = usize::from(width).saturating_sub(key_w + 6);
    let mut lines = vec![
        Line::from(Span::styled(
            "Everything is saved as you go: quit any time and run cdc-workshop again to resume.",
            theme.dim,
        )),
        Line::default(),
    ];
    for (keys, desc) in &entries {
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:>key_w$}"), theme.key),
            Span::raw("  "),
            Span::styled(truncate(desc, desc_w), theme.text),
        ]));
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
    // On a short terminal the help scrolls; the bottom border says there is more.
    let rows = usize::from(popup.height.saturating_sub(2));
    let max_scroll = lines.len().saturating_sub(rows);
    let scroll = usize::from(scroll).min(max_scroll);
    let more = if scroll < max_scroll {
        " ↓ more · "
    } else {
        " "
    };
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    f.render_widget(Clear, popup);
    let title = match mode {
        Mode::Welcome => " Help · choosing a track ",
        _ => " Help · keys ",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.title))
        .title_bottom(
            Line::from(Span::styled(format!("{more}? or Esc closes "), theme.dim)).right_aligned(),
        );
    f.render_widget(Paragraph::new(lines).block(block), popup);
}

pub fn dialog(f: &mut Frame, area: Rect, confirm: &Confirm, theme: &Theme) {
    let width = area.width.saturating_sub(6).min(72);
    let mut lines: Vec<Line> = confirm
        .lines
        .iter()
        .map(|l| Line::from(Span::styled(l.clone(), theme.text)))
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("y", theme.key),
        Span::styled(" yes   ", theme.dim),
        Span::styled("n", theme.key),
        Span::styled(" no", theme.dim),
    ]));
    let inner_w = usize::from(width.saturating_sub(4)).max(1);
    let wrapped: usize = confirm
        .lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = u16::try_from(wrapped + 4).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
    f.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.warn)
        .title(Span::styled(format!(" {} ", confirm.title), theme.title));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block.padding(ratatui::widgets::Padding::horizontal(1))),
        popup,
    );
}
