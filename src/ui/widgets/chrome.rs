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

/// One line: key hints on the left (dropped from the end when they do not fit), a status text
/// on the right.
pub fn footer(f: &mut Frame, area: Rect, mode: Mode, status: Option<(&str, bool)>, theme: &Theme) {
    let width = usize::from(area.width);
    let status_text = status
        .map(|(s, _)| truncate(s, width.saturating_sub(12).max(10)))
        .unwrap_or_default();
    let room = width.saturating_sub(status_text.width() + 2);
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, label) in hints(mode) {
        let w = key.width() + label.width() + 3;
        if used + w > room {
            break;
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(format!(" {label}  "), theme.dim));
        used += w;
    }
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
pub fn help(f: &mut Frame, area: Rect, mode: Mode, theme: &Theme) {
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
        .title_bottom(Line::from(Span::styled(" ? or Esc closes ", theme.dim)).right_aligned());
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
