use std::path::Path;
use std::time::Duration;

use super::*;
use crate::lesson::{
    Block, CheckKind, DEFAULT_CHECK_DEADLINE, DiagnosticKind, HttpMethod, PollPolicy, StepKind,
};

const FRONT: &str = "```lesson\nid = \"l\"\ntitle = \"L\"\nestimate = \"15m\"\n```\n";

fn lesson(body: &str) -> Lesson {
    match parse_lesson(Path::new("l.md"), &format!("{FRONT}{body}")) {
        Ok(l) => l,
        Err(d) => panic!("unexpected diagnostics: {d:#?}"),
    }
}

fn errors(body: &str) -> Vec<(DiagnosticKind, usize, String)> {
    parse_lesson(Path::new("l.md"), &format!("{FRONT}{body}"))
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.kind, d.pos.line, d.message))
        .collect()
}

fn line(b: &Block) -> usize {
    match b {
        Block::Prose(p) => p.pos.line,
        Block::Step(s) => s.pos.line,
        Block::Check(c) => c.pos.line,
        Block::Hint(h) => h.pos.line,
        Block::Solution(s) => s.pos.line,
        Block::Cleanup(c) => c.pos.line,
    }
}

#[test]
fn blocks_keep_document_order_and_fence_lines() {
    let l = lesson(
        "\n# Title\n\nSome prose.\n\n```step\nid = \"a\"\ntitle = \"A\"\nkind = \"manual\"\nconfirm = \"done\"\n```\n\nMore prose.\n\n```sh\necho not a block\n```\n\n```check\nid = \"c\"\ntitle = \"C\"\nkind = \"env\"\nname = \"HOME\"\n```\n",
    );
    let lines: Vec<usize> = l.blocks.iter().map(line).collect();
    assert_eq!(lines, vec![7, 11, 18, 24]);
    assert_eq!(l.estimate, Duration::from_secs(15 * 60));
    assert_eq!(l.pos.line, 1);
    let Block::Prose(first) = &l.blocks[0] else {
        panic!("expected prose")
    };
    assert_eq!(first.markdown, "# Title\n\nSome prose.");
    // An ordinary code fence stays part of the prose, verbatim.
    let Block::Prose(second) = &l.blocks[2] else {
        panic!("expected prose")
    };
    assert_eq!(
        second.markdown,
        "More prose.\n\n```sh\necho not a block\n```"
    );
}

#[test]
fn defaults_are_applied() {
    let l = lesson(
        "```step\nid = \"s\"\ntitle = \"S\"\nkind = \"shell\"\ncommand = \"true\"\n```\n```check\nid = \"h\"\ntitle = \"H\"\nkind = \"http\"\nurl = \"http://x\"\n```\n```check\nid = \"f\"\ntitle = \"F\"\nkind = \"file\"\npath = \"p\"\n```\n",
    );
    let step = l.step("s").unwrap();
    assert!(step.outputs.is_empty() && step.timeout.is_none() && step.estimate.is_none());
    let StepKind::Shell(shell) = &step.kind else {
        panic!("shell")
    };
    assert_eq!(shell.command.raw(), "true");
    assert!(shell.cwd.is_none() && shell.env.is_empty());
    let checks: Vec<_> = l.checks().collect();
    assert_eq!(checks[0].spec.deadline, DEFAULT_CHECK_DEADLINE);
    assert_eq!(checks[0].spec.poll, PollPolicy::default());
    let CheckKind::Http(http) = &checks[0].spec.kind else {
        panic!("http")
    };
    assert_eq!(http.method, HttpMethod::Get);
    assert_eq!(http.expect_status, vec![200]);
    assert_eq!(http.transient_status, vec![429, 502, 503, 504]);
    assert_eq!(http.timeout, Duration::from_secs(10));
    let CheckKind::File(file) = &checks[1].spec.kind else {
        panic!("file")
    };
    assert!(file.exists);
}

#[test]
fn nearest_preceding_step_rule() {
    let step = |id: &str| {
        format!("```step\nid = \"{id}\"\ntitle = \"T\"\nkind = \"manual\"\nconfirm = \"ok\"\n```\n")
    };
    let body = format!(
        "```check\nid = \"entry\"\ntitle = \"E\"\nkind = \"env\"\nname = \"HOME\"\n```\n{}```check\nid = \"c1\"\ntitle = \"C\"\nkind = \"env\"\nname = \"HOME\"\n```\n```hint\ntext = \"h\"\n```\n{}```hint\ntext = \"h2\"\n```\n```solution\nexplain = \"e\"\nstep = \"one\"\n```\n```cleanup\n[run]\nkind = \"shell\"\ncommand = \"true\"\n```\n",
        step("one"),
        step("two")
    );
    let l = lesson(&body);
    let checks: Vec<_> = l.checks().collect();
    assert_eq!(
        checks[0].step, None,
        "a check before any step is lesson-level"
    );
    assert_eq!(checks[1].step.as_deref(), Some("one"));
    assert_eq!(l.hints_for("one").count(), 1);
    assert_eq!(l.hints_for("two").count(), 1);
    assert!(l.solution_for("one").is_some(), "explicit step wins");
    assert!(l.cleanup_for("two").is_some());
    assert!(l.solution_for("one").unwrap().run.is_none());
}

#[test]
fn hint_before_any_step_is_an_error() {
    let errs = errors("```hint\ntext = \"h\"\n```\n");
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1), (DiagnosticKind::MissingKey, 6));
}

#[test]
fn misspelled_fences_are_errors_but_languages_are_prose() {
    let errs = errors("```stpe\nid = \"x\"\n```\n\n```checks\n```\n\n```Step\n```\n");
    let got: Vec<(DiagnosticKind, usize)> = errs.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        got,
        vec![
            (DiagnosticKind::UnknownKind, 6),
            (DiagnosticKind::UnknownKind, 10),
            (DiagnosticKind::UnknownKind, 13)
        ]
    );
    assert!(errs[0].2.contains("did you mean `step`?"), "{}", errs[0].2);
    assert!(errs[2].2.contains("lower case"), "{}", errs[2].2);
    let l = lesson("```sh\nls\n```\n```sql\nselect 1;\n```\n```ini\na=b\n```\n```less\na{}\n```\n");
    assert_eq!(l.blocks.len(), 1);
}

#[test]
fn every_unknown_key_is_reported_with_its_line_and_the_allowed_keys() {
    let errs = errors(
        "```step\nid = \"s\"\ntitle = \"S\"\nkind = \"shell\"\ncommand = \"true\"\ncwdd = \".\"\nenvv = {}\n```\n",
    );
    let got: Vec<(DiagnosticKind, usize)> = errs.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        got,
        vec![
            (DiagnosticKind::UnknownKey, 11),
            (DiagnosticKind::UnknownKey, 12)
        ]
    );
    assert!(
        errs[0].2.contains("unknown key `cwdd` in step `s`"),
        "{}",
        errs[0].2
    );
    assert!(errs[0].2.contains("did you mean `cwd`?"), "{}", errs[0].2);
    assert!(
        errs[0].2.contains(
            "expected one of: id, title, kind, outputs, timeout, estimate, command, cwd, env"
        ),
        "{}",
        errs[0].2
    );
}

#[test]
fn front_matter_must_come_first() {
    let errs = parse_lesson(Path::new("l.md"), "# Hi\n\n```step\nid = \"s\"\n```\n")
        .err()
        .unwrap();
    assert_eq!(errs[0].kind, DiagnosticKind::FrontMatter);
    assert_eq!(errs[0].pos.line, 3);
    let errs = parse_lesson(Path::new("l.md"), "just prose\n")
        .err()
        .unwrap();
    assert_eq!(
        (errs[0].kind, errs[0].pos.line),
        (DiagnosticKind::FrontMatter, 1)
    );
}

#[test]
fn prose_before_front_matter_is_kept_and_lesson_pos_is_the_fence() {
    let l = parse_lesson(Path::new("l.md"), &format!("# Heading\n\n{FRONT}\ntext\n")).unwrap();
    assert_eq!(l.pos.line, 3);
    assert_eq!(l.blocks.len(), 2);
    assert_eq!(line(&l.blocks[1]), 9);
}

#[test]
fn machine_blocks_inside_lists_are_rejected() {
    let errs = errors("- item\n\n  ```step\n  id = \"s\"\n  ```\n");
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1), (DiagnosticKind::InvalidValue, 8));
}

#[test]
fn unclosed_block_is_reported_at_its_fence() {
    let errs = errors("```step\nid = \"s\"\n");
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1), (DiagnosticKind::InvalidToml, 6));
}

#[test]
fn nested_checks_may_not_set_their_own_schedule() {
    let errs = errors(
        "```check\nid = \"c\"\ntitle = \"C\"\nkind = \"all\"\nchecks = [\n  { kind = \"env\", name = \"A\", deadline = \"1s\" },\n]\n```\n",
    );
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1), (DiagnosticKind::UnknownKey, 11));
}

#[test]
fn type_errors_point_at_the_value() {
    let errs = errors(
        "```check\nid = \"c\"\ntitle = \"C\"\nkind = \"http\"\nurl = \"http://x\"\n\nexpect_status = \"200\"\n```\n",
    );
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0, errs[0].1), (DiagnosticKind::InvalidValue, 12));
}
