//! Rendering: reads the model, never calls a backend or spawns a task.

pub mod layout;
pub mod lesson_doc;
pub mod markdown;
pub mod sanitize;
pub mod screens;
pub mod theme;
pub mod widgets;

use ratatui::Frame;
use ratatui::buffer::Buffer;

use crate::app::keymap::Mode;
use crate::app::model::{Model, Overlay, Screen};

pub fn render(model: &Model, f: &mut Frame) {
    match model.screen {
        Screen::Welcome => screens::welcome::render(model, f),
        Screen::Lesson => screens::lesson::render(model, f),
        Screen::Setup => screens::setup::render(model, f),
    }
    let area = f.area();
    match &model.overlay {
        Some(Overlay::Help) => {
            let mode = match model.screen {
                Screen::Welcome => Mode::Welcome,
                Screen::Lesson => Mode::Lesson,
                Screen::Setup => Mode::Setup,
            };
            widgets::chrome::help(f, area, mode, model.help_scroll, &model.theme);
        }
        Some(Overlay::Confirm(c)) => widgets::chrome::dialog(f, area, c, &model.theme),
        None => {}
    }
}

/// Turn the visible links of the lesson document into OSC 8 hyperlinks, in the buffer that is
/// about to be flushed. Terminals without OSC 8 ignore the sequences.
pub fn apply_hyperlinks(model: &Model, buf: &mut Buffer) {
    if model.screen != Screen::Lesson || model.overlay.is_some() {
        return;
    }
    let doc = layout::lesson_areas(buf.area.width, buf.area.height, model.lesson.log_expanded).doc;
    let scroll = usize::from(model.lesson.scroll);
    for link in &model.doc.links {
        let Some(row) = link.line.checked_sub(scroll) else {
            continue;
        };
        let Ok(row) = u16::try_from(row) else {
            continue;
        };
        if row >= doc.height {
            continue;
        }
        let y = doc.y + row;
        let start = doc.x + link.col;
        let end = (start + link.width).min(doc.x + doc.width);
        // Two cells per sequence keeps the number of escapes modest. The first cell carries the
        // sequence with its real width (so the diff neither miscounts nor skips what follows);
        // the cell it covers is skipped.
        let mut x = start;
        while x < end {
            let next = (x + 2).min(end);
            let mut text = String::new();
            for cx in x..next {
                text.push_str(buf[(cx, y)].symbol());
            }
            let width = std::num::NonZeroU16::new(next - x).unwrap_or(std::num::NonZeroU16::MIN);
            buf[(x, y)]
                .set_symbol(&format!("\x1b]8;;{}\x1b\\{text}\x1b]8;;\x1b\\", link.url))
                .set_diff_option(ratatui::buffer::CellDiffOption::ForcedWidth(width));
            for cx in x + 1..next {
                buf[(cx, y)].set_diff_option(ratatui::buffer::CellDiffOption::Skip);
            }
            x = next;
        }
    }
}

#[cfg(test)]
mod tests;
