//! Every folder in `tests/fixtures/lessons-invalid/` holds one mistake; lint must report exactly
//! that mistake, of the right kind, at the right `file:line`, with a message that says what to do.

use std::path::PathBuf;

use cdc_workshop::lesson::DiagnosticKind::{self, *};
use cdc_workshop::lesson::lint::lint;
use cdc_workshop::lesson::source::LessonSource;

/// (folder, kind, `file:line`, a fragment the message must contain)
#[rustfmt::skip]
const CASES: &[(&str, DiagnosticKind, &str, &str)] = &[
    ("unknown-key-in-step", UnknownKey, "only.md:12", "did you mean `command`?"),
    ("unknown-key-in-check", UnknownKey, "only.md:19", "did you mean `deadline`?"),
    ("unknown-key-in-front-matter", UnknownKey, "only.md:5", "expected one of: id, title, estimate"),
    ("unknown-key-in-course", UnknownKey, "course.toml:4", "unknown key `author`"),
    ("unknown-step-kind", UnknownKind, "only.md:10", "unknown step kind `kubectl`"),
    ("unknown-check-kind", UnknownKind, "only.md:17", "did you mean `http`?"),
    ("terraform-bad-action", InvalidValue, "only.md:12", "did you mean `apply`?"),
    ("secret-output-undeclared", UndeclaredName, "only.md:7", "stores into secret `not_declared`"),
    ("secret-output-without-provided-by", InvalidValue, "only.md:7", "lacks `provided_by = \"s\"`"),
    ("provided-by-wrong-step", UnresolvedReference, "course.toml:5", "no terraform step `elsewhere` stores it"),
    ("confluent-unknown-action", InvalidValue, "only.md:11", "did you mean `pause_connector`?"),
    ("flink-connection-key-literal", SecretLiteral, "only.md:15", "must name a secret"),
    ("flink-sql-bad-name", InvalidValue, "only.md:11", "lower-case letters, digits and `-`"),
    ("connector-status-bad-expect", InvalidValue, "only.md:19", "did you mean `RUNNING`?"),
    ("confluent-context-unknown-key", UnknownKey, "course.toml:11", "did you mean `environment`?"),
    ("confluent-context-secret-literal", SecretLiteral, "course.toml:13", "must name a secret"),
    ("sql-unknown-database", UnresolvedReference, "only.md:7", "add a [databases.pg] table"),
    ("sql-marker-output-without-marker", InvalidValue, "only.md:7", "writes no `{{ marker }}`"),
    ("marker-outside-sql", BadTemplate, "only.md:7", "only an sql step's `statement` makes a marker"),
    ("topic-messages-marker-unknown-step", UnknownOutput, "only.md:16", "no step `insert`"),
    ("check-panel-unknown", InvalidValue, "only.md:20", "use \"connectors\", \"lineage\""),
    ("database-password-literal", SecretLiteral, "course.toml:14", "must name a secret"),
    ("misspelled-fence", UnknownKind, "only.md:9", "did you mean `step`?"),
    ("duplicate-lesson-id", DuplicateId, "course.toml:5", "lists lesson `only` twice"),
    ("duplicate-step-id", DuplicateId, "two.md:9", "already used at one.md:7"),
    ("duplicate-check-id", DuplicateId, "only.md:21", "already used in this lesson at only.md:14"),
    ("unresolved-depends", UnresolvedReference, "only.md:1", "`nope`"),
    ("depends-later-in-track", UnresolvedReference, "one.md:1", "move `two` earlier"),
    ("hint-before-any-step", MissingKey, "only.md:7", "before any step"),
    ("check-names-missing-step", UnresolvedReference, "only.md:14", "steps here: s"),
    ("output-from-unknown-step", UnknownOutput, "only.md:7", "no step `ghost`"),
    ("output-provided-later-in-track", UnknownOutput, "one.md:7", "comes after `one` in track `t`"),
    ("output-provided-later-in-lesson", UnknownOutput, "only.md:7", "comes later in this lesson"),
    ("undeclared-var", UndeclaredName, "only.md:7", "add a [[variables]] entry"),
    ("undeclared-secret", UndeclaredName, "only.md:7", "add a [[secrets]] entry"),
    ("secret-in-command", SecretLiteral, "only.md:7", "a terraform step's `vars`, an http check's `headers`"),
    ("secret-template-in-prose", SecretLiteral, "only.md:7", "in the lesson text"),
    ("aws-key-in-prose", SecretLiteral, "only.md:9", "AWS access key id"),
    ("password-in-env", SecretLiteral, "only.md:12", "`env.DB_PASSWORD`"),
    ("bad-duration", InvalidValue, "only.md:12", "is not a duration"),
    ("bad-regex", InvalidValue, "only.md:19", "not a valid regular expression"),
    ("bad-poll", InvalidValue, "only.md:19", "must be at least 1"),
    ("missing-lesson-file", MissingFile, "course.toml:8", "create ghost.md"),
    ("lesson-file-twice", DuplicateId, "course.toml:8", "keep one"),
    ("front-matter-id-mismatch", FrontMatter, "only.md:2", "make them the same"),
    ("missing-front-matter", FrontMatter, "only.md:5", "must begin with a ```lesson block"),
    ("invalid-toml", InvalidToml, "only.md:11", "string values must be quoted"),
    ("invalid-toml-in-course", InvalidToml, "course.toml:7", "invalid TOML"),
    ("component-lesson-not-in-track", UnresolvedReference, "course.toml:10", "`elsewhere`"),
    ("missing-step-key", MissingKey, "only.md:7", "missing `command`"),
    ("duplicate-secret", DuplicateId, "course.toml:14", "declared twice (first at course.toml:10)"),
    ("object-store-missing-bucket", MissingKey, "only.md:14", "missing `bucket`"),
    ("warehouse-rows-bad-regex", InvalidValue, "only.md:23", "not a valid regular expression"),
    ("no-leftovers-unknown-key", UnknownKey, "only.md:18", "did you mean `buckets`?"),
    ("aws-context-secret-literal", SecretLiteral, "course.toml:12", "must name a secret"),
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons-invalid")
}

#[test]
fn each_invalid_fixture_reports_exactly_its_problem() {
    let mut failures = Vec::new();
    for (folder, kind, at, fragment) in CASES {
        let diags = lint(&LessonSource::directory(fixtures().join(folder)));
        let got: Vec<(DiagnosticKind, String)> =
            diags.iter().map(|d| (d.kind, d.pos.to_string())).collect();
        if got != vec![(*kind, (*at).to_string())] {
            failures.push(format!(
                "{folder}: expected {kind:?} at {at}, got {diags:#?}"
            ));
        } else if !diags[0].message.contains(fragment) {
            failures.push(format!(
                "{folder}: message lacks {fragment:?}: {}",
                diags[0].message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_folder_is_in_the_table() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn diagnostics_print_as_file_line_message() {
    let diags = lint(&LessonSource::directory(fixtures().join("bad-regex")));
    let printed = diags[0].to_string();
    assert!(
        printed.starts_with("only.md:19: `matches` of check `c`"),
        "{printed}"
    );
}
