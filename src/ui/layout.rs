//! Screen geometry, shared by the view and by `update` (which needs the document width).

use ratatui::layout::Rect;

/// Columns from which the steps and live panels sit beside the lesson instead of below it.
pub const WIDE_LAYOUT_MIN_COLS: u16 = 110;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonAreas {
    pub header: Rect,
    pub doc: Rect,
    pub steps: Rect,
    pub live: Option<Rect>,
    pub log: Rect,
    pub footer: Rect,
}

/// Where each part of the lesson screen goes. Inner areas (inside borders) are what the
/// document is laid out for, so `doc` is the text area, not the box.
pub fn lesson_areas(width: u16, height: u16, log_expanded: bool) -> LessonAreas {
    let header = Rect::new(0, 0, width, 1.min(height));
    let footer = Rect::new(0, height.saturating_sub(1), width, 1.min(height));
    let body = Rect::new(0, 1, width, height.saturating_sub(2));
    if width >= WIDE_LAYOUT_MIN_COLS {
        let right_w = (width * 38 / 100).clamp(40, 70);
        let left_w = width - right_w;
        let log_h = if log_expanded {
            body.height * 2 / 3
        } else {
            (body.height / 4).max(6)
        }
        .min(body.height);
        let doc_box = Rect::new(0, body.y, left_w, body.height - log_h);
        let log = Rect::new(0, body.y + doc_box.height, left_w, log_h);
        let steps_h = (body.height * 55 / 100).max(8).min(body.height);
        let steps = Rect::new(left_w, body.y, right_w, steps_h);
        let live = Rect::new(left_w, body.y + steps_h, right_w, body.height - steps_h);
        LessonAreas {
            header,
            doc: inner(doc_box),
            steps,
            live: Some(live),
            log,
            footer,
        }
    } else {
        let bottom_h = if log_expanded {
            body.height * 2 / 3
        } else {
            (body.height * 40 / 100).max(7)
        }
        .min(body.height);
        let doc_box = Rect::new(0, body.y, width, body.height - bottom_h);
        let steps_w = width * 45 / 100;
        let steps = Rect::new(0, body.y + doc_box.height, steps_w, bottom_h);
        let log = Rect::new(steps_w, body.y + doc_box.height, width - steps_w, bottom_h);
        LessonAreas {
            header,
            doc: inner(doc_box),
            steps,
            live: None,
            log,
            footer,
        }
    }
}

/// The area inside a one-cell border with one column of padding left and right.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x + 2,
        r.y + 1,
        r.width.saturating_sub(4),
        r.height.saturating_sub(2),
    )
}

/// The box around an inner area made by [`inner`].
pub fn outer(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_sub(2),
        r.y.saturating_sub(1),
        r.width + 4,
        r.height + 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_tile_the_screen_at_both_sizes() {
        for (w, h) in [(80u16, 24u16), (200, 50), (110, 30)] {
            for expanded in [false, true] {
                let a = lesson_areas(w, h, expanded);
                let doc = outer(a.doc);
                assert_eq!(doc.y, 1);
                assert!(doc.right() <= w && a.log.bottom() < h, "{w}x{h}");
                assert!(a.doc.height >= 4, "{w}x{h}: doc too small: {:?}", a.doc);
                assert_eq!(a.footer.y, h - 1);
                assert_eq!(a.live.is_some(), w >= WIDE_LAYOUT_MIN_COLS);
            }
        }
    }
}
