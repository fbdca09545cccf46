//! Text or JSON-lines output for headless commands.

use clap::ValueEnum;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Readable lines for people.
    #[default]
    Text,
    /// One JSON object per line, for scripts (`jsonl` is the same).
    #[value(alias = "jsonl")]
    Json,
}

/// Print one JSON object as a line on stdout.
pub fn json_line(value: &Value) {
    println!("{value}");
}

/// Symbol for a verdict or state in text output (plain ASCII under NO_COLOR-like pipes is
/// unnecessary: these glyphs are in every terminal font).
pub fn mark(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "…",
    }
}

pub fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m {}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}
