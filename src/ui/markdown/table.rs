//! GFM tables: column widths from content, shrunk to fit, cells wrapped, box-drawn borders.

use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

use super::wrap::{Piece, wrap};
use crate::ui::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// Narrowest a column is squeezed to before the table simply overflows.
const MIN_COLUMN_COLS: usize = 3;
/// Words longer than this may be broken before other columns are squeezed.
const MAX_WORD_COLS: usize = 12;

pub struct Table {
    aligns: Vec<Align>,
    rows: Vec<(bool, Vec<Vec<Piece>>)>,
}

impl Table {
    pub fn new(aligns: Vec<Align>) -> Self {
        Self {
            aligns,
            rows: Vec::new(),
        }
    }

    pub fn start_row(&mut self, header: bool) {
        self.rows.push((header, Vec::new()));
    }

    pub fn start_cell(&mut self) {
        if let Some((_, cells)) = self.rows.last_mut() {
            cells.push(Vec::new());
        }
    }

    pub fn push(&mut self, piece: Piece) {
        if let Some(cell) = self.rows.last_mut().and_then(|(_, cells)| cells.last_mut()) {
            cell.push(piece);
        }
    }

    fn widths(&self, avail: usize) -> Vec<usize> {
        let cols = self
            .aligns
            .len()
            .max(self.rows.iter().map(|(_, c)| c.len()).max().unwrap_or(0));
        let mut widths = vec![1; cols];
        // The longest word of a column: shrinking below it breaks words, so it is the last resort.
        let mut words = vec![MIN_COLUMN_COLS; cols];
        for (_, cells) in &self.rows {
            for (i, cell) in cells.iter().enumerate() {
                let w: usize = cell.iter().map(|p| p.text.width()).sum();
                widths[i] = widths[i].max(w);
                let longest = cell
                    .iter()
                    .flat_map(|p| p.text.split(' '))
                    .map(UnicodeWidthStr::width)
                    .max()
                    .unwrap_or(0);
                words[i] = words[i].max(longest.min(MAX_WORD_COLS));
            }
        }
        let chrome = 3 * cols + 1;
        let budget = avail.saturating_sub(chrome);
        for floor in [&words, &vec![MIN_COLUMN_COLS; cols]] {
            while widths.iter().sum::<usize>() > budget {
                let widest = widths
                    .iter()
                    .enumerate()
                    .filter(|(i, w)| **w > floor[*i])
                    .max_by_key(|(_, w)| **w);
                let Some((i, _)) = widest else { break };
                widths[i] -= 1;
            }
        }
        widths
    }

    pub fn render(&self, avail: usize, theme: &Theme) -> Vec<Vec<Span<'static>>> {
        let widths = self.widths(avail);
        let border = theme.code_border;
        let rule = |l: &str, m: &str, r: &str| {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                s.push_str(&"─".repeat(w + 2));
                s.push_str(if i + 1 == widths.len() { r } else { m });
            }
            vec![Span::styled(s, border)]
        };
        let mut out = vec![rule("┌", "┬", "┐")];
        for (r, (header, cells)) in self.rows.iter().enumerate() {
            let wrapped: Vec<Vec<Vec<Piece>>> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| cells.get(i).map(|c| wrap(c, *w)).unwrap_or_default())
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            for row_line in 0..height {
                let mut spans = vec![Span::styled("│", border)];
                for (i, w) in widths.iter().enumerate() {
                    let pieces = wrapped
                        .get(i)
                        .and_then(|c| c.get(row_line))
                        .cloned()
                        .unwrap_or_default();
                    let used: usize = pieces.iter().map(|p| p.text.width()).sum();
                    let free = w.saturating_sub(used);
                    let (left, right) = match self.aligns.get(i).copied().unwrap_or(Align::Left) {
                        Align::Left => (0, free),
                        Align::Right => (free, 0),
                        Align::Center => (free / 2, free - free / 2),
                    };
                    spans.push(Span::raw(" ".repeat(left + 1)));
                    spans.extend(pieces.into_iter().map(|p| Span::styled(p.text, p.style)));
                    spans.push(Span::raw(" ".repeat(right + 1)));
                    spans.push(Span::styled("│", border));
                }
                out.push(spans);
            }
            if *header && r + 1 < self.rows.len() {
                out.push(rule("├", "┼", "┤"));
            }
        }
        out.push(rule("└", "┴", "┘"));
        out
    }
}
