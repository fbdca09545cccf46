//! A step's output: a bounded buffer that counts what it drops, and its view.

use std::collections::VecDeque;

use ratatui::text::{Line, Span};

use crate::runner::outcome::LogStream;
use crate::ui::sanitize::terminal_safe;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct LogBuffer {
    capacity: usize,
    lines: VecDeque<(LogStream, String)>,
    /// Lines lost: evicted here, plus those the producer dropped before they arrived.
    dropped: u64,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            lines: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Add a line of a step's output, made terminal-safe (see [`terminal_safe`]).
    pub fn push(&mut self, stream: LogStream, text: &str) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back((stream, terminal_safe(text)));
    }

    pub fn add_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The last `rows` lines, styled per stream, with a drop note first when lines were lost.
    pub fn tail(&self, rows: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let note = self.dropped > 0;
        let take = rows.saturating_sub(usize::from(note));
        if note {
            out.push(Line::from(Span::styled(
                format!("… {} earlier line(s) not shown", self.dropped),
                theme.dim,
            )));
        }
        let skip = self.lines.len().saturating_sub(take);
        for (stream, text) in self.lines.iter().skip(skip) {
            let style = match stream {
                LogStream::Stdout => theme.text,
                LogStream::Stderr => theme.log_stderr,
                LogStream::Guide => theme.log_guide,
            };
            out.push(Line::from(Span::styled(text.clone(), style)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_bounded_and_counts_what_it_drops() {
        let mut b = LogBuffer::new(3);
        for i in 0..5 {
            b.push(LogStream::Stdout, &format!("line {i}"));
        }
        b.add_dropped(10);
        assert_eq!((b.len(), b.dropped()), (3, 12));
        let tail: Vec<String> = b
            .tail(3, &Theme::monochrome())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            tail,
            vec!["… 12 earlier line(s) not shown", "line 3", "line 4"]
        );
    }
}
