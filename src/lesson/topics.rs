//! The `topic_messages` check: records arrive in a topic (optionally ones with a given field
//! value, or the very row an `sql` step wrote with its `{{ marker }}`).

use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::check_spec::{check_regex, template};
use super::template::Template;
use super::toml_body::{Body, Dur, from_table};
use super::{CheckKind, Diagnostic, DiagnosticKind, SourcePos};

pub(crate) const TOPIC_MESSAGES_KEYS: &[&str] = &[
    "topic",
    "min_count",
    "within",
    "field",
    "equals",
    "matches",
    "marker_from",
    "scan",
];

/// Records read from the end of each partition per attempt unless the lesson says otherwise.
pub const DEFAULT_SCAN_PER_PARTITION: u32 = 1000;
/// The most a lesson may ask to read per partition per attempt (a check polls repeatedly).
const MAX_SCAN_PER_PARTITION: u32 = 100_000;

/// What the records must satisfy, besides being there.
#[derive(Debug, Clone)]
pub enum RecordMatch {
    /// Every record counts.
    Any,
    /// The decoded value at `field` reads exactly this.
    Equals { field: String, value: Template },
    /// The decoded value at `field` (or the whole value) matches this expression.
    Matches {
        field: Option<String>,
        regex: String,
    },
    /// The marker that step wrote (its `marker` output) appears at `field`, or anywhere.
    Marker { step: String, field: Option<String> },
}

#[derive(Debug, Clone)]
pub struct TopicMessagesCheck {
    pub topic: Template,
    pub min_count: u64,
    /// Only records produced this recently count.
    pub within: Option<Duration>,
    pub matching: RecordMatch,
    /// Records read from the end of each partition per attempt.
    pub scan_per_partition: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicMessagesRaw {
    topic: Spanned<String>,
    min_count: Option<u64>,
    within: Option<Dur>,
    field: Option<Spanned<String>>,
    equals: Option<Spanned<String>>,
    matches: Option<Spanned<String>>,
    marker_from: Option<Spanned<String>>,
    scan: Option<Spanned<u32>>,
}

pub(crate) fn topic_messages_body(
    body: &Body<'_>,
    table: DeTable<'_>,
    span: Range<usize>,
    what: &str,
    pos: &SourcePos,
    diags: &mut Vec<Diagnostic>,
) -> Option<CheckKind> {
    let raw: TopicMessagesRaw = from_table(table, span)
        .map_err(|e| diags.push(body.de_error(&e, what, pos)))
        .ok()?;
    let topic = template(body, &raw.topic, "topic", what, diags)?;
    let invalid = |at: usize, message: String, diags: &mut Vec<Diagnostic>| {
        diags.push(Diagnostic::new(
            body.pos(at),
            DiagnosticKind::InvalidValue,
            message,
        ));
    };
    let field = raw.field.as_ref().map(|f| f.get_ref().clone());
    if let Some(f) = &raw.field
        && (f.get_ref().trim().is_empty() || f.get_ref().split('.').any(str::is_empty))
    {
        invalid(
            f.span().start,
            format!(
                "`field` of {what} is a dotted path into the decoded value, e.g. \"after.ORDER_ID\""
            ),
            diags,
        );
        return None;
    }
    let chosen: Vec<&str> = [
        raw.equals.as_ref().map(|_| "equals"),
        raw.matches.as_ref().map(|_| "matches"),
        raw.marker_from.as_ref().map(|_| "marker_from"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if chosen.len() > 1 {
        invalid(
            raw.topic.span().start,
            format!(
                "{what} sets {}; use one of equals, matches and marker_from",
                chosen.join(" and ")
            ),
            diags,
        );
        return None;
    }
    let matching = if let Some(e) = &raw.equals {
        let Some(field) = field else {
            invalid(
                e.span().start,
                format!(
                    "`equals` of {what} needs `field`, the dotted path it compares, e.g. field = \"after.STATUS\""
                ),
                diags,
            );
            return None;
        };
        RecordMatch::Equals {
            field,
            value: template(body, e, "equals", what, diags)?,
        }
    } else if let Some(m) = &raw.matches {
        if !check_regex(body, m, what, "", diags) {
            return None;
        }
        RecordMatch::Matches {
            field,
            regex: m.get_ref().clone(),
        }
    } else if let Some(s) = &raw.marker_from {
        RecordMatch::Marker {
            step: s.get_ref().clone(),
            field,
        }
    } else {
        if let Some(f) = &raw.field {
            invalid(
                f.span().start,
                format!("`field` of {what} needs `equals`, `matches` or `marker_from`"),
                diags,
            );
            return None;
        }
        RecordMatch::Any
    };
    let scan_per_partition = match raw.scan {
        Some(s) if *s.get_ref() == 0 || *s.get_ref() > MAX_SCAN_PER_PARTITION => {
            invalid(
                s.span().start,
                format!(
                    "`scan` of {what} is the number of newest records read per partition, between 1 and {MAX_SCAN_PER_PARTITION}"
                ),
                diags,
            );
            return None;
        }
        Some(s) => s.into_inner(),
        None => DEFAULT_SCAN_PER_PARTITION,
    };
    Some(CheckKind::TopicMessages(TopicMessagesCheck {
        topic,
        min_count: raw.min_count.unwrap_or(1).max(1),
        within: raw.within.map(|d| d.0),
        matching,
        scan_per_partition,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lesson::parse::parse_lesson;
    use crate::lesson::{Block, CheckKind};

    const FRONT: &str = "```lesson\nid = \"l\"\ntitle = \"L\"\nestimate = \"5m\"\n```\n";

    fn check(body: &str) -> Result<TopicMessagesCheck, Vec<String>> {
        let text = format!(
            "{FRONT}```check\nid = \"c\"\ntitle = \"C\"\nkind = \"topic_messages\"\n{body}\n```\n"
        );
        match parse_lesson(Path::new("l.md"), &text) {
            Ok(l) => match l.blocks.into_iter().next() {
                Some(Block::Check(c)) => match c.spec.kind {
                    CheckKind::TopicMessages(t) => Ok(t),
                    other => panic!("parsed as {}", other.name()),
                },
                _ => panic!("no check block"),
            },
            Err(d) => Err(d.into_iter().map(|d| d.message).collect()),
        }
    }

    #[test]
    fn a_marker_check_names_its_step_and_defaults_to_one_record() {
        let c =
            check("topic = \"pg.public.orders\"\nmarker_from = \"insert\"\nfield = \"after.item\"")
                .unwrap();
        assert_eq!(c.min_count, 1);
        assert_eq!(c.scan_per_partition, DEFAULT_SCAN_PER_PARTITION);
        assert!(matches!(
            c.matching,
            RecordMatch::Marker { ref step, field: Some(ref f) } if step == "insert" && f == "after.item"
        ));
        let c = check("topic = \"t\"\nmin_count = 5\nwithin = \"10m\"").unwrap();
        assert_eq!(c.min_count, 5);
        assert_eq!(c.within, Some(Duration::from_secs(600)));
        assert!(matches!(c.matching, RecordMatch::Any));
    }

    #[test]
    fn mistakes_are_named_with_the_fix() {
        let e = check("topic = \"t\"\nequals = \"Shipped\"").unwrap_err();
        assert!(
            e[0].contains("`equals` of") && e[0].contains("needs `field`"),
            "{e:?}"
        );
        let e =
            check("topic = \"t\"\nequals = \"x\"\nmarker_from = \"s\"\nfield = \"a\"").unwrap_err();
        assert!(e[0].contains("sets equals and marker_from"), "{e:?}");
        let e = check("topic = \"t\"\nmatches = \"(\"\nfield = \"a\"").unwrap_err();
        assert!(e[0].contains("not a valid regular expression"), "{e:?}");
        let e = check("topic = \"t\"\nfield = \"after..x\"\nmatches = \"x\"").unwrap_err();
        assert!(e[0].contains("dotted path"), "{e:?}");
        let e = check("topic = \"t\"\nfield = \"after.x\"").unwrap_err();
        assert!(
            e[0].contains("needs `equals`, `matches` or `marker_from`"),
            "{e:?}"
        );
        let e = check("topic = \"t\"\nscan = 0").unwrap_err();
        assert!(e[0].contains("between 1 and"), "{e:?}");
        let e = check("topic = \"t\"\ncount = 3").unwrap_err();
        assert!(e[0].contains("count"), "{e:?}");
    }
}
