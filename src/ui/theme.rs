//! Every colour and style the guide uses. `NO_COLOR` gives a monochrome theme that relies on
//! bold, dim, italic, underline and reverse only.

use ratatui::style::{Color, Modifier, Style};

/// The five GitHub callout kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalloutKind {
    Note,
    Tip,
    Important,
    Warning,
    Caution,
}

impl CalloutKind {
    pub fn from_marker(marker: &str) -> Option<Self> {
        match marker.to_ascii_uppercase().as_str() {
            "NOTE" => Some(Self::Note),
            "TIP" => Some(Self::Tip),
            "IMPORTANT" => Some(Self::Important),
            "WARNING" => Some(Self::Warning),
            "CAUTION" => Some(Self::Caution),
            _ => None,
        }
    }

    /// Label and glyph. The glyphs are single-width in common terminal fonts (no emoji, whose
    /// width varies between terminals and would break alignment).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Note => ("Note", "ℹ"),
            Self::Tip => ("Tip", "✓"),
            Self::Important => ("Important", "!"),
            Self::Warning => ("Warning", "▲"),
            Self::Caution => ("Caution", "✖"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub monochrome: bool,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub h1: Style,
    pub h2: Style,
    pub h3: Style,
    pub emphasis: Style,
    pub strong: Style,
    pub code_inline: Style,
    pub code_block: Style,
    pub code_border: Style,
    pub link: Style,
    pub quote: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub key: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub running: Style,
    pub pending: Style,
    pub log_stderr: Style,
    pub log_guide: Style,
    note: Style,
    tip: Style,
    important: Style,
}

impl Theme {
    pub fn colored() -> Self {
        let fg = |c| Style::new().fg(c);
        Self {
            monochrome: false,
            text: Style::new(),
            dim: fg(Color::DarkGray),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            h1: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            h2: fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            h3: Style::new().add_modifier(Modifier::BOLD),
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            code_inline: fg(Color::Yellow),
            code_block: fg(Color::LightYellow),
            code_border: fg(Color::DarkGray),
            link: fg(Color::LightBlue).add_modifier(Modifier::UNDERLINED),
            quote: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            selected: Style::new()
                .bg(Color::Rgb(40, 44, 52))
                .add_modifier(Modifier::BOLD),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            error: fg(Color::Red),
            running: fg(Color::Cyan),
            pending: fg(Color::DarkGray),
            log_stderr: fg(Color::LightRed),
            log_guide: fg(Color::Cyan),
            note: fg(Color::LightBlue),
            tip: fg(Color::Green),
            important: fg(Color::Magenta),
        }
    }

    pub fn monochrome() -> Self {
        let m = |modifier| Style::new().add_modifier(modifier);
        Self {
            monochrome: true,
            text: Style::new(),
            dim: m(Modifier::DIM),
            title: m(Modifier::BOLD),
            h1: m(Modifier::BOLD | Modifier::UNDERLINED),
            h2: m(Modifier::BOLD),
            h3: m(Modifier::BOLD),
            emphasis: m(Modifier::ITALIC),
            strong: m(Modifier::BOLD),
            code_inline: m(Modifier::BOLD),
            code_block: Style::new(),
            code_border: m(Modifier::DIM),
            link: m(Modifier::UNDERLINED),
            quote: m(Modifier::ITALIC),
            border: m(Modifier::DIM),
            border_focus: m(Modifier::BOLD),
            selected: m(Modifier::REVERSED),
            key: m(Modifier::BOLD),
            ok: m(Modifier::BOLD),
            warn: m(Modifier::BOLD),
            error: m(Modifier::BOLD),
            running: m(Modifier::BOLD),
            pending: m(Modifier::DIM),
            log_stderr: m(Modifier::BOLD),
            log_guide: m(Modifier::DIM),
            note: m(Modifier::BOLD),
            tip: m(Modifier::BOLD),
            important: m(Modifier::BOLD),
        }
    }

    /// Monochrome when `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env_lookup(env: crate::config::EnvLookup) -> Self {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Self::monochrome()
        } else {
            Self::colored()
        }
    }

    pub fn callout(&self, kind: CalloutKind) -> Style {
        match kind {
            CalloutKind::Note => self.note,
            CalloutKind::Tip => self.tip,
            CalloutKind::Important => self.important,
            CalloutKind::Warning => self.warn,
            CalloutKind::Caution => self.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colour_anywhere() {
        let t = Theme::from_env_lookup(&|k| (k == "NO_COLOR").then(|| "1".to_string()));
        assert!(t.monochrome);
        let styles = [
            t.text,
            t.dim,
            t.title,
            t.h1,
            t.h2,
            t.h3,
            t.emphasis,
            t.strong,
            t.code_inline,
            t.code_block,
            t.code_border,
            t.link,
            t.quote,
            t.border,
            t.border_focus,
            t.selected,
            t.key,
            t.ok,
            t.warn,
            t.error,
            t.running,
            t.pending,
            t.log_stderr,
            t.log_guide,
            t.note,
            t.tip,
            t.important,
        ];
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
        assert!(!Theme::from_env_lookup(&|_| None).monochrome);
        assert!(!Theme::from_env_lookup(&|k| (k == "NO_COLOR").then(String::new)).monochrome);
    }
}
