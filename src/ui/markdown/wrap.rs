//! Word wrapping by display width, keeping each piece's style and link.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A run of text with one style, possibly part of a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub style: ratatui::style::Style,
    pub link: Option<usize>,
}

/// Wrap `pieces` into lines of at most `width` columns. Words longer than a line are broken.
pub fn wrap(pieces: &[Piece], width: usize) -> Vec<Vec<Piece>> {
    let width = width.max(1);
    // A word is the pieces between spaces; it may span styles ("**bold**text").
    let mut words: Vec<Vec<Piece>> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    for p in pieces {
        let mut chunk = String::new();
        for ch in p.text.chars() {
            if ch == ' ' || ch == '\n' {
                if !chunk.is_empty() {
                    current.push(Piece {
                        text: std::mem::take(&mut chunk),
                        ..p.clone()
                    });
                }
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            } else {
                chunk.push(ch);
            }
        }
        if !chunk.is_empty() {
            current.push(Piece {
                text: chunk,
                ..p.clone()
            });
        }
    }
    if !current.is_empty() {
        words.push(current);
    }

    let mut lines: Vec<Vec<Piece>> = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    let mut used = 0;
    for word in words {
        let w: usize = word.iter().map(|p| p.text.width()).sum();
        let gap = usize::from(used > 0);
        if used > 0 && used + gap + w > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            // The space takes the style of the word before it, so underlined links stay whole.
            let style_link = line.last().map(|p: &Piece| (p.style, p.link));
            if let Some((style, link)) = style_link {
                let same_link = link.is_some() && word.first().is_some_and(|p| p.link == link);
                let style = if same_link {
                    style
                } else {
                    ratatui::style::Style::new()
                };
                line.push(Piece {
                    text: " ".into(),
                    style,
                    link: if same_link { link } else { None },
                });
            }
            used += 1;
        }
        if used + w <= width {
            used += w;
            line.extend(word);
            continue;
        }
        // Too long for any line: break it by characters.
        for piece in word {
            let mut buf = String::new();
            for ch in piece.text.chars() {
                let cw = ch.width().unwrap_or(0);
                if used + cw > width && used > 0 {
                    if !buf.is_empty() {
                        line.push(Piece {
                            text: std::mem::take(&mut buf),
                            ..piece.clone()
                        });
                    }
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                buf.push(ch);
                used += cw;
            }
            if !buf.is_empty() {
                line.push(Piece {
                    text: buf,
                    ..piece.clone()
                });
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cut `text` to `width` columns, ending in `…` when it was longer.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let cw = ch.width().unwrap_or(0);
        if used + cw + 1 > width {
            break;
        }
        out.push(ch);
        used += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use ratatui::style::Style;

    use super::*;

    fn plain(text: &str) -> Vec<Piece> {
        vec![Piece {
            text: text.into(),
            style: Style::new(),
            link: None,
        }]
    }

    fn texts(lines: &[Vec<Piece>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|p| p.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn wraps_on_words_by_display_width() {
        assert_eq!(
            texts(&wrap(&plain("the quick brown fox jumps"), 10)),
            vec!["the quick", "brown fox", "jumps"]
        );
        // CJK characters are two columns wide.
        assert_eq!(
            texts(&wrap(&plain("日本語 テキスト"), 8)),
            vec!["日本語", "テキスト"]
        );
        assert_eq!(
            texts(&wrap(&plain("supercalifragilistic"), 8)),
            vec!["supercal", "ifragili", "stic"]
        );
        assert!(wrap(&plain("   "), 5).is_empty());
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("terraform apply", 9), "terrafor…");
        assert_eq!(truncate("short", 9), "short");
    }
}
