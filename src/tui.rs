//! The one owner of the terminal: raw mode, alternate screen, mouse capture; restored on drop,
//! on panic (chained hook) and on signals (the loop quits and drops the guard).

use std::io::{self, Stdout, Write};
use std::sync::Once;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

static HOOK: Once = Once::new();

/// Restore the terminal to what the shell expects. Safe to call more than once.
pub fn restore() {
    // Each step is attempted even if an earlier one fails: a half-restored terminal is worse.
    if let Err(e) = disable_raw_mode() {
        tracing::warn!(error = %e, "could not leave raw mode");
    }
    let mut out = io::stdout();
    if let Err(e) = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show) {
        tracing::warn!(error = %e, "could not leave the alternate screen");
    }
    let _ = out.flush();
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!(%info, "panic");
            previous(info);
        }));
    });
}

/// Owns the terminal while the guide runs.
#[must_use = "the terminal is restored when the guard is dropped"]
pub struct TerminalGuard {
    pub terminal: Term,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture, cursor::Hide) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(io::stdout())) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl TerminalGuard {
    /// Take the terminal back after handing it to another program (an editor).
    pub fn resume(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        )?;
        self.terminal.clear()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put `text` on the clipboard through the terminal (OSC 52); works over SSH and in tmux with
/// `set-clipboard on`.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}
