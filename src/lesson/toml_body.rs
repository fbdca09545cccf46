//! TOML text with a known place in a file: span → line, serde errors → diagnostics.
//!
//! Bodies are parsed once into toml's spanned tree ([`DeTable`]); typed structs are then
//! deserialized from pieces of that tree, so every error toml reports carries a span inside the
//! body, which is turned into a line of the lesson file here.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use toml::Spanned;
use toml::de::DeTable;

use super::{Diagnostic, DiagnosticKind, SourcePos};

/// A TOML text and where it sits: `first_line` is the file line of the text's first line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Body<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub first_line: usize,
}

impl<'a> Body<'a> {
    pub fn new(file: &'a Path, text: &'a str, first_line: usize) -> Self {
        Self {
            file,
            text,
            first_line,
        }
    }

    /// The file line of a byte offset in the body.
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        let newlines = self
            .text
            .as_bytes()
            .get(..end)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        self.first_line + newlines
    }

    pub fn pos(&self, offset: usize) -> SourcePos {
        SourcePos::new(self.file, self.line(offset))
    }

    /// Parse the whole body, reporting every syntax error toml can recover from.
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, Vec<Diagnostic>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        if errors.is_empty() {
            return Ok(table);
        }
        Err(errors
            .into_iter()
            .map(|e| {
                let at = e.span().map_or(0, |s| s.start);
                Diagnostic::new(
                    self.pos(at),
                    DiagnosticKind::InvalidToml,
                    format!(
                        "invalid TOML: {}; fix the syntax (strings need quotes, tables use `key = value` lines)",
                        e.message()
                    ),
                )
            })
            .collect())
    }

    /// Turn a serde error from deserializing part of this body into a diagnostic.
    ///
    /// `what` names the element (`step \`x\``); `missing_at` is where a missing key is reported,
    /// because toml gives missing keys the span of the table they are missing from.
    pub fn de_error(
        &self,
        err: &toml::de::Error,
        what: &str,
        missing_at: &SourcePos,
    ) -> Diagnostic {
        let msg = err.message();
        let at = err.span().map_or(0, |s| s.start);
        if let Some(rest) = msg.strip_prefix("missing field ") {
            let key = rest.trim_matches('`');
            return Diagnostic::new(
                missing_at.clone(),
                DiagnosticKind::MissingKey,
                format!("{what} is missing `{key}`; add a `{key} = ...` line"),
            );
        }
        if let Some(rest) = msg.strip_prefix("unknown field ") {
            let (key, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let expected = expected
                .trim_start_matches("one of ")
                .replace('`', "")
                .replace(" or ", ", ");
            return Diagnostic::new(
                self.pos(at),
                DiagnosticKind::UnknownKey,
                format!("unknown key {key} in {what}; expected one of: {expected}"),
            );
        }
        Diagnostic::new(
            self.pos(at),
            DiagnosticKind::InvalidValue,
            format!("{what}: {msg}"),
        )
    }

    /// Report (and drop) every key of `table` not in `allowed`, so all of them are listed at once
    /// and serde's `deny_unknown_fields` never has to stop at the first.
    pub fn reject_unknown_keys(
        &self,
        table: &mut DeTable<'_>,
        allowed: &[&str],
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) {
        let unknown: Vec<(String, usize)> = table
            .iter()
            .filter(|(k, _)| !allowed.contains(&k.get_ref().as_ref()))
            .map(|(k, _)| (k.get_ref().to_string(), k.span().start))
            .collect();
        for (key, at) in unknown {
            let suggestion = closest(&key, allowed)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            diags.push(Diagnostic::new(
                self.pos(at),
                DiagnosticKind::UnknownKey,
                format!(
                    "unknown key `{key}` in {what}; {suggestion}expected one of: {}",
                    allowed.join(", ")
                ),
            ));
            table.remove(key.as_str());
        }
    }
}

/// Deserialize a typed struct from a piece of the spanned tree; spans in errors stay body-relative.
pub(crate) fn from_table<T: DeserializeOwned>(
    table: DeTable<'_>,
    span: Range<usize>,
) -> Result<T, toml::de::Error> {
    T::deserialize(toml::de::Deserializer::from(Spanned::new(span, table)))
}

/// Split off the entries of `table` whose keys are in `keys`, keeping spans.
pub(crate) fn split_off<'i>(table: &mut DeTable<'i>, keys: &[&str]) -> DeTable<'i> {
    let mut out = DeTable::new();
    for key in keys {
        if let Some((k, v)) = table.remove_entry(*key) {
            out.insert(k, v);
        }
    }
    out
}

/// The string value of `key`, if it is one, with the span of the value.
pub(crate) fn str_value<'t>(table: &'t DeTable<'_>, key: &str) -> Option<(&'t str, Range<usize>)> {
    let v = table.get(key)?;
    v.get_ref().as_str().map(|s| (s, v.span()))
}

/// A duration written the humantime way (`"30s"`, `"15m"`, `"1h 30m"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a duration such as \"30s\", \"15m\" or \"1h 30m\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Dur, E> {
                humantime::parse_duration(s).map(Dur).map_err(|e| {
                    E::custom(format!(
                        "`{s}` is not a duration ({e}); write it like \"30s\", \"15m\" or \"1h 30m\""
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Optimal-string-alignment distance: a swapped pair of letters counts as one edit, since that
/// is the typo authors make most (`stpe`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The allowed word closest to `word`, when it is close enough to be a typo.
pub(crate) fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(word, a), *a))
        .filter(|(d, a)| *d <= 2 && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// `value` when it is one of `allowed` (returned as the allowed spelling), else a diagnostic
/// naming the field, the closest allowed value and the full list.
pub(crate) fn one_of<'a>(
    body: &Body<'_>,
    value: &Spanned<String>,
    allowed: &[&'a str],
    field: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a str> {
    if let Some(found) = allowed.iter().find(|a| **a == value.get_ref().as_str()) {
        return Some(found);
    }
    let hint = closest(value.get_ref(), allowed)
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    diags.push(Diagnostic::new(
        body.pos(value.span().start),
        DiagnosticKind::InvalidValue,
        format!(
            "`{field}` of {what} is `{}`; {hint}use one of: {}",
            value.get_ref(),
            allowed.join(", ")
        ),
    ));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("stpe", "step"), 1);
        assert_eq!(edit_distance("checks", "check"), 1);
        assert_eq!(edit_distance("hnt", "hint"), 1);
        assert_eq!(edit_distance("sh", "step"), 3);
        assert_eq!(closest("comand", &["command", "cwd"]), Some("command"));
        assert_eq!(closest("zzz", &["command", "cwd"]), None);
    }

    #[test]
    fn lines_count_from_the_first_line() {
        let b = Body::new(Path::new("x.md"), "a = 1\nb = 2\nc = 3\n", 10);
        assert_eq!(b.line(0), 10);
        assert_eq!(b.line(6), 11);
        assert_eq!(b.line(12), 12);
        assert_eq!(b.pos(12).to_string(), "x.md:12");
    }

    #[test]
    fn durations_parse_the_humantime_way() {
        #[derive(Deserialize)]
        struct T {
            d: Dur,
        }
        let t: T = toml::from_str("d = \"1m 30s\"").unwrap();
        assert_eq!(t.d.0, Duration::from_secs(90));
        let err = toml::from_str::<T>("d = \"5 mins please\"").err().unwrap();
        assert!(
            err.message().contains("is not a duration"),
            "{}",
            err.message()
        );
    }
}
