//! One lesson file (front matter + markdown + fenced TOML blocks) → [`Lesson`](super::Lesson).
//!
//! pulldown-cmark finds the fenced blocks and their byte ranges; everything between machine
//! blocks is kept verbatim as prose. Block bodies are handed to `block` with the file line of
//! their first line, so every diagnostic points into the lesson file.

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::block::{
    FrontMatter, parse_check, parse_cleanup, parse_front_matter, parse_hint, parse_solution,
    parse_step,
};
use super::secrets_scan;
use super::toml_body::{Body, edit_distance};
use super::{Block, Diagnostic, DiagnosticKind, Lesson, Prose, SourcePos};

/// Info strings that make a fenced block machine-readable.
pub const BLOCK_KINDS: &[&str] = &["lesson", "step", "check", "hint", "solution", "cleanup"];

/// Fence languages that happen to sit close to a block kind but are real languages.
const KNOWN_LANGUAGES: &[&str] = &["less", "stan", "ini", "nix"];

/// A lesson as parsed from its file, plus what `course` needs to cross-check it.
#[derive(Debug, Clone)]
pub(crate) struct ParsedLesson {
    pub lesson: Lesson,
    /// Whether the front matter listed `tracks` itself (else `course.toml` decides).
    pub tracks_declared: bool,
    /// Line of the front matter `id`, for the "id differs from course.toml" error.
    pub id_line: usize,
}

/// Parse one lesson file. `file` is the path relative to the lessons root, used in positions.
pub fn parse_lesson(file: &Path, text: &str) -> Result<Lesson, Vec<Diagnostic>> {
    parse(file, text).map(|p| p.lesson)
}

/// What an info string means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fence {
    Machine(&'static str),
    /// Close to a block kind: almost certainly a typo; never silently prose.
    Typo(String, &'static str),
    Other,
}

fn classify(info: &str) -> Fence {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or_default();
    if let Some(kind) = BLOCK_KINDS.iter().find(|k| **k == word) {
        return Fence::Machine(kind);
    }
    if word.is_empty() || KNOWN_LANGUAGES.contains(&word) {
        return Fence::Other;
    }
    let lower = word.to_ascii_lowercase();
    // Short words are only a typo at distance one, or every three-letter language would be.
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    BLOCK_KINDS
        .iter()
        .map(|k| (edit_distance(&lower, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map_or(Fence::Other, |(_, k)| Fence::Typo(word.to_string(), k))
}

/// A fenced block found in the markdown.
struct Fenced {
    kind: Fence,
    /// Byte range of the whole block, fences included.
    start: usize,
    end: usize,
    body: String,
    /// Offset of the body's first byte in the file (the line after the opening fence).
    body_start: Option<usize>,
    nested: bool,
    closed: bool,
}

/// Line starts of a text, for offset → 1-based line.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines(starts)
    }

    fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

fn find_fences(text: &str) -> Vec<Fenced> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<Fenced> = None;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let raw = &text[range.clone()];
                let trimmed = raw.trim_end();
                let closed = raw.lines().count() > 1
                    && (trimmed.ends_with("```") || trimmed.ends_with("~~~"));
                current = Some(Fenced {
                    kind: classify(&info),
                    start: range.start,
                    end: range.end,
                    body: String::new(),
                    body_start: None,
                    nested: depth > 0,
                    closed,
                });
            }
            Event::Text(t) => {
                if let Some(f) = current.as_mut() {
                    f.body_start.get_or_insert(range.start);
                    f.body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                out.extend(current.take());
            }
            Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item) => depth += 1,
            Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item) => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    out
}

/// Keep prose verbatim but without the blank lines that only separated it from blocks.
fn push_prose(
    blocks: &mut Vec<Block>,
    file: &Path,
    text: &str,
    lines: &Lines,
    from: usize,
    to: usize,
) {
    let slice = &text[from..to];
    if slice.trim().is_empty() {
        return;
    }
    let lead = slice.len() - slice.trim_start_matches(['\n', '\r', ' ', '\t']).len();
    // Start at the beginning of the first non-blank line, so indentation survives.
    let first_line_start = slice[..lead].rfind('\n').map_or(0, |i| i + 1);
    let kept = slice[first_line_start..].trim_end();
    blocks.push(Block::Prose(Prose {
        markdown: kept.to_string(),
        pos: SourcePos::new(file, lines.line(from + first_line_start)),
    }));
}

pub(crate) fn parse(file: &Path, text: &str) -> Result<ParsedLesson, Vec<Diagnostic>> {
    let lines = Lines::new(text);
    let mut diags: Vec<Diagnostic> = secrets_scan::scan(text)
        .into_iter()
        .map(|f| {
            Diagnostic::new(
                SourcePos::new(file, f.line + 1),
                DiagnosticKind::SecretLiteral,
                f.message(),
            )
        })
        .collect();
    let fences = find_fences(text);
    let mut front: Option<FrontMatter> = None;
    let mut blocks = Vec::new();
    let mut prose_from = 0;
    let mut last_step: Option<String> = None;

    match fences.first() {
        Some(f) if f.kind == Fence::Machine("lesson") => {}
        other => {
            let line = other.map_or(1, |f| lines.line(f.start));
            diags.push(Diagnostic::new(
                SourcePos::new(file, line),
                DiagnosticKind::FrontMatter,
                "a lesson must begin with a ```lesson block (its first fenced block) holding `id`, `title` and `estimate`",
            ));
        }
    }

    for (index, fence) in fences.iter().enumerate() {
        let kind = match &fence.kind {
            Fence::Other => continue,
            Fence::Typo(word, kind) => {
                let message = if word.eq_ignore_ascii_case(kind) {
                    format!("block kinds are lower case: write ```{kind} instead of ```{word}")
                } else {
                    format!(
                        "unknown block kind ```{word}; did you mean `{kind}`? machine blocks are: {}",
                        BLOCK_KINDS.join(", ")
                    )
                };
                diags.push(Diagnostic::new(
                    SourcePos::new(file, lines.line(fence.start)),
                    DiagnosticKind::UnknownKind,
                    message,
                ));
                push_prose(&mut blocks, file, text, &lines, prose_from, fence.start);
                prose_from = fence.end;
                continue;
            }
            Fence::Machine(kind) => *kind,
        };
        let fence_pos = SourcePos::new(file, lines.line(fence.start));
        push_prose(&mut blocks, file, text, &lines, prose_from, fence.start);
        prose_from = fence.end;
        if fence.nested {
            diags.push(Diagnostic::new(
                fence_pos,
                DiagnosticKind::InvalidValue,
                format!(
                    "a ```{kind} block inside a list or quote; machine blocks must stand on their own at the start of a line"
                ),
            ));
            continue;
        }
        if !fence.closed {
            diags.push(Diagnostic::new(
                fence_pos,
                DiagnosticKind::InvalidToml,
                format!("the ```{kind} block is never closed; add a line with ``` after its body"),
            ));
            continue;
        }
        let first_line = fence
            .body_start
            .map_or(fence_pos.line + 1, |o| lines.line(o));
        let body = Body::new(file, &fence.body, first_line);
        match kind {
            "lesson" if index == 0 => front = parse_front_matter(&body, &fence_pos, &mut diags),
            "lesson" => diags.push(Diagnostic::new(
                fence_pos,
                DiagnosticKind::FrontMatter,
                "a second ```lesson block; a lesson has one front matter, as its first fenced block",
            )),
            "step" => {
                if let Some(step) = parse_step(&body, &fence_pos, &mut diags) {
                    last_step = Some(step.id.clone());
                    blocks.push(Block::Step(step));
                }
            }
            "check" => {
                if let Some(mut check) = parse_check(&body, &fence_pos, &mut diags) {
                    if check.step.is_none() {
                        check.step.clone_from(&last_step);
                    }
                    blocks.push(Block::Check(check));
                }
            }
            "hint" => {
                if let Some(mut hint) = parse_hint(&body, &fence_pos, &mut diags)
                    && attach(&mut hint.step, &last_step, "hint", &fence_pos, &mut diags)
                {
                    blocks.push(Block::Hint(hint));
                }
            }
            "solution" => {
                if let Some(mut s) = parse_solution(&body, &fence_pos, &mut diags)
                    && attach(&mut s.step, &last_step, "solution", &fence_pos, &mut diags)
                {
                    blocks.push(Block::Solution(s));
                }
            }
            _ => {
                if let Some(mut c) = parse_cleanup(&body, &fence_pos, &mut diags)
                    && attach(&mut c.step, &last_step, "cleanup", &fence_pos, &mut diags)
                {
                    blocks.push(Block::Cleanup(c));
                }
            }
        }
    }
    push_prose(&mut blocks, file, text, &lines, prose_from, text.len());

    diags.sort_by(|a, b| a.pos.cmp(&b.pos));
    let front_line = fences.first().map_or(1, |f| lines.line(f.start));
    match front {
        Some(front) if diags.is_empty() => Ok(ParsedLesson {
            tracks_declared: front.tracks.is_some(),
            id_line: front.id_line,
            lesson: Lesson {
                id: front.id,
                title: front.title,
                estimate: front.estimate,
                tracks: front.tracks.unwrap_or_default(),
                depends: front.depends,
                requires: front.requires,
                objectives: front.objectives,
                blocks,
                pos: SourcePos::new(file, front_line),
            },
        }),
        _ => Err(diags),
    }
}

/// The nearest-step rule: a hint, solution or cleanup without `step` belongs to the step
/// written above it. Returns false (after reporting) when there is none.
fn attach(
    step: &mut String,
    last_step: &Option<String>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if !step.is_empty() {
        return true;
    }
    match last_step {
        Some(s) => {
            step.clone_from(s);
            true
        }
        None => {
            diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::MissingKey,
                format!(
                    "this {what} comes before any step, so it belongs to none; move it below its step or add `step = \"<step id>\"`"
                ),
            ));
            false
        }
    }
}

#[cfg(test)]
mod tests;
