//! Text from the outside world (step output, observations) made safe to put on screen.
//!
//! A command's output may carry colour codes, cursor movement, OSC sequences (titles,
//! hyperlinks, clipboard writes) or carriage-return progress bars. Written into ratatui's buffer
//! they would move the cursor behind its back or act on the terminal, so they are removed here.

const TAB_COLS: usize = 4;

/// One line as a person should see it: escapes removed, only the last state of a
/// carriage-return progress line kept, tabs expanded, other control characters dropped.
pub fn terminal_safe(text: &str) -> String {
    let stripped = strip_escapes(text);
    // A progress bar rewrites its line after each `\r`; its last non-empty state is what counts.
    let visible = stripped
        .rsplit('\r')
        .find(|part| !part.is_empty())
        .unwrap_or("");
    let mut out = String::with_capacity(visible.len());
    for ch in visible.chars() {
        match ch {
            '\t' => out.push_str(&" ".repeat(TAB_COLS)),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Remove CSI (`ESC [ … final`) and OSC (`ESC ] … BEL` or `ESC ] … ESC \`) sequences and any
/// other two-character escape.
fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\u{1b}' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_cursor_moves_and_osc_sequences_are_removed() {
        assert_eq!(
            terminal_safe("\x1b[1;32mApply complete!\x1b[0m"),
            "Apply complete!"
        );
        assert_eq!(terminal_safe("a\x1b[2Kb\x1b[10Dc"), "abc");
        assert_eq!(terminal_safe("\x1b]52;c;aGVsbG8=\x07copied"), "copied");
        assert_eq!(
            terminal_safe("\x1b]8;;https://x.io\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
    }

    #[test]
    fn progress_lines_keep_their_last_state_and_control_characters_go() {
        assert_eq!(terminal_safe("10%\r50%\r100%\r"), "100%");
        assert_eq!(terminal_safe("a\tb\x07\x08c"), "a    bc");
    }
}
