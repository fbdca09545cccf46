//! The shipped course lints clean from both sources, and the fixture course loads completely.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cdc_workshop::lesson::lint::lint;
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::lesson::{Block, CheckKind, CheckSpec, StepKind, load_course};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn show(diags: &[cdc_workshop::lesson::Diagnostic]) -> String {
    diags.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn shipped_lessons_lint_clean_from_the_directory() {
    let diags = lint(&LessonSource::directory(root().join("lessons")));
    assert!(diags.is_empty(), "{}", show(&diags));
}

#[test]
fn shipped_lessons_lint_clean_when_embedded() {
    let diags = lint(&LessonSource::embedded());
    assert!(diags.is_empty(), "{}", show(&diags));
}

#[test]
fn shipped_course_has_three_tracks_and_the_first_lessons() {
    for source in [
        LessonSource::embedded(),
        LessonSource::directory(root().join("lessons")),
    ] {
        let course = load_course(&source).unwrap_or_else(|d| panic!("{}", show(&d)));
        let tracks: Vec<&str> = course.tracks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(tracks, ["aws", "gcp", "azure"], "{}", source.describe());
        for track in &course.tracks {
            assert_eq!(track.lessons[0], "welcome");
            assert_eq!(track.lessons[1], format!("prerequisites-{}", track.id));
        }
        let aws = &course.tracks[0].lessons;
        let position = |id: &str| aws.iter().position(|l| l == id);
        for (earlier, later) in [
            ("confluent-cloud", "oracle-aws"),
            ("oracle-aws", "oracle-cdc"),
            ("databases-aws", "postgres-cdc"),
            ("postgres-cdc", "flink-sql"),
            ("flink-sql", "lineage"),
        ] {
            assert!(
                position(earlier) < position(later) && position(earlier).is_some(),
                "{earlier} before {later} in {aws:?}"
            );
        }
        let welcome = course.lesson("welcome").unwrap();
        assert!(welcome.steps().any(|s| s.kind.name() == "manual"));
        let aws = course.lesson("prerequisites-aws").unwrap();
        assert!(aws.step("aws-terraform").unwrap().outputs == ["terraform_version"]);
    }
}

#[test]
fn fixture_course_loads() {
    let source = LessonSource::directory(root().join("tests/fixtures/course-minimal"));
    let course = load_course(&source).unwrap_or_else(|d| panic!("{}", show(&d)));
    assert_eq!(course.tracks.len(), 2);
    assert_eq!(course.lessons.len(), 2);
    let first = course.lesson("first-steps").unwrap();
    assert!(first.step("write-marker").is_some());
    assert!(first.checks().any(|c| c.id == "marker-written"));

    let mut blocks = Counts::default();
    let mut specs = Counts::default();
    for lesson in &course.lessons {
        for spec in lesson.requires.iter().chain(&lesson.objectives) {
            count_spec(spec, &mut specs);
        }
        for block in &lesson.blocks {
            let name = match block {
                Block::Prose(_) => "prose",
                Block::Step(s) => match s.kind {
                    StepKind::Shell(_) => "step:shell",
                    StepKind::Manual(_) => "step:manual",
                    StepKind::Terraform(_) => "step:terraform",
                    StepKind::FlinkSql(_) => "step:flink_sql",
                    StepKind::Confluent(_) => "step:confluent",
                    StepKind::Sql(_) => "step:sql",
                },
                Block::Check(c) => {
                    count_spec(&c.spec, &mut specs);
                    "check"
                }
                Block::Hint(h) if h.after_failures.is_some() && h.after.is_some() => "hint:both",
                Block::Hint(h) if h.after_failures.is_some() => "hint:failures",
                Block::Hint(_) => "hint:time",
                Block::Solution(s) if s.run.is_some() => "solution:run",
                Block::Solution(_) => "solution",
                Block::Cleanup(_) => "cleanup",
            };
            *blocks.0.entry(name).or_default() += 1;
        }
    }
    let expected_blocks = [
        ("check", 6),
        ("cleanup", 1),
        ("hint:both", 1),
        ("hint:failures", 1),
        ("hint:time", 1),
        ("prose", 4),
        ("solution:run", 1),
        ("step:manual", 1),
        ("step:shell", 2),
    ];
    assert_eq!(blocks.0, expected_blocks.into_iter().collect());
    let expected_specs = [("all", 1), ("any", 1), ("env", 3), ("file", 8), ("http", 2)];
    assert_eq!(specs.0, expected_specs.into_iter().collect());

    let second = course.lesson("second-steps").unwrap();
    assert_eq!(second.pos.file, PathBuf::from("second-steps/lesson.md"));
    assert_eq!(second.depends, vec!["first-steps".to_string()]);
    let echo = second.step("echo-greeting").unwrap();
    let StepKind::Shell(shell) = &echo.kind else {
        panic!("shell")
    };
    assert!(shell.env["DEMO_TOKEN"].has_secret());
    assert!(!shell.command.has_secret());
    let track = course.track("local").unwrap();
    let plan: Vec<&str> = course
        .plan(track, &track.default_components())
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    assert_eq!(plan, ["first-steps", "second-steps"]);
    assert_eq!(course.plan(track, &[]).len(), 1);
    assert_eq!(first.tracks, ["local", "short"]);
}

#[derive(Default, Debug)]
struct Counts(BTreeMap<&'static str, usize>);

fn count_spec(spec: &CheckSpec, counts: &mut Counts) {
    *counts.0.entry(spec.kind.name()).or_default() += 1;
    if let CheckKind::All(children) | CheckKind::Any(children) = &spec.kind {
        for child in children {
            count_spec(child, counts);
        }
    }
}
