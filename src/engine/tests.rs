//! Scenario tests of the session state machine, with time passed in explicitly.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::lesson::template::Template;
use crate::lesson::*;
use crate::runner::outcome::{CheckAttempt, Observation, Verdict};

fn pos() -> SourcePos {
    SourcePos::new("t.md", 1)
}

fn shell(cmd: &str) -> StepKind {
    StepKind::Shell(ShellStep {
        command: Template::literal(cmd),
        cwd: None,
        env: BTreeMap::new(),
    })
}

fn step(id: &str, kind: StepKind) -> Block {
    Block::Step(Step {
        id: id.into(),
        title: format!("Step {id}"),
        kind,
        outputs: vec![],
        timeout: None,
        estimate: None,
        pos: pos(),
    })
}

fn env_spec(name: &str) -> CheckSpec {
    CheckSpec {
        kind: CheckKind::Env(EnvCheck {
            name: name.into(),
            matches: None,
            secret: false,
        }),
        deadline: Duration::from_secs(60),
        poll: PollPolicy::default(),
        messages: Messages::default(),
        pos: pos(),
    }
}

fn check(id: &str, step: Option<&str>) -> Block {
    Block::Check(Check {
        panel: None,
        id: id.into(),
        title: format!("Check {id}"),
        step: step.map(String::from),
        spec: env_spec("X"),
        pos: pos(),
    })
}

fn hint(step: &str, after_failures: Option<u32>, after_secs: Option<u64>) -> Block {
    Block::Hint(Hint {
        step: step.into(),
        after_failures,
        after: after_secs.map(Duration::from_secs),
        text: "try this".into(),
        pos: pos(),
    })
}

fn lesson(id: &str, blocks: Vec<Block>) -> Lesson {
    Lesson {
        id: id.into(),
        title: id.into(),
        estimate: Duration::from_secs(600),
        tracks: vec!["aws".into()],
        depends: vec![],
        requires: vec![],
        objectives: vec![],
        blocks,
        pos: pos(),
    }
}

fn course(lessons: Vec<Lesson>) -> Arc<Course> {
    Arc::new(Course {
        format_version: 1,
        id: "c".into(),
        title: "C".into(),
        tracks: vec![Track {
            id: "aws".into(),
            title: "AWS".into(),
            description: String::new(),
            lessons: lessons.iter().map(|l| l.id.clone()).collect(),
            components: vec![],
            pos: pos(),
        }],
        lessons,
        variables: vec![],
        secrets: vec![],
        confluent: Default::default(),
        aws: Default::default(),
        databases: vec![],
        pos: pos(),
    })
}

/// A driver that keeps every effect, so tests can assert on them and replay the journal.
struct Scenario {
    engine: Engine,
    records: Vec<Record>,
    last: Vec<Effect>,
}

impl Scenario {
    fn new(lessons: Vec<Lesson>) -> Self {
        let mut engine = Engine::new(course(lessons), Session::default());
        let effects = engine.start_run("aws", &[], 0);
        let mut s = Self {
            engine,
            records: vec![],
            last: vec![],
        };
        s.keep(effects);
        s
    }

    fn keep(&mut self, effects: Vec<Effect>) {
        for e in &effects {
            if let Effect::Record(r) = e {
                self.records.push(r.clone());
            }
        }
        self.last = effects;
    }

    fn send(&mut self, msg: Msg, at_secs: u64) -> &mut Self {
        let effects = self.engine.update(msg, at_secs * 1000);
        self.keep(effects);
        self
    }

    fn state(&self, lesson: &str, step: &str) -> StepState {
        self.engine.session().step_state(lesson, step)
    }

    fn step(&self, lesson: &str, step: &str) -> StepProgress {
        self.engine
            .session()
            .step(lesson, step)
            .cloned()
            .unwrap_or_default()
    }

    fn run_effect(&self) -> Option<(u32, RunPurpose, StepKind)> {
        self.last.iter().find_map(|e| match e {
            Effect::RunStep {
                attempt,
                purpose,
                kind,
                ..
            } => Some((*attempt, *purpose, kind.clone())),
            _ => None,
        })
    }

    fn started_checks(&self) -> Vec<(String, u32)> {
        self.last
            .iter()
            .filter_map(|e| match e {
                Effect::StartCheck {
                    check, generation, ..
                } => Some((check.clone(), *generation)),
                _ => None,
            })
            .collect()
    }

    fn finish_step(
        &mut self,
        lesson: &str,
        step: &str,
        outcome: StepOutcome,
        at: u64,
    ) -> &mut Self {
        let attempt = self.step(lesson, step).attempt;
        self.send(
            Msg::StepFinished {
                lesson: lesson.into(),
                step: step.into(),
                attempt,
                outcome,
                duration_ms: 5,
            },
            at,
        )
    }

    fn finish_check(&mut self, lesson: &str, check: &str, verdict: Verdict, at: u64) -> &mut Self {
        let generation = self
            .engine
            .session()
            .check(lesson, check)
            .map_or(0, |c| c.generation);
        let report = CheckReport {
            verdict,
            observed: "seen".into(),
            message: "msg".into(),
            attempts: 1,
        };
        self.send(
            Msg::CheckFinished {
                lesson: lesson.into(),
                check: check.into(),
                generation,
                report,
            },
            at,
        )
    }

    /// Replaying the journal written so far gives exactly the live state.
    fn assert_replay_equal(&self) {
        let replayed = Session::default().replay(&self.records);
        assert_eq!(&replayed, self.engine.session());
    }
}

fn ok() -> StepOutcome {
    StepOutcome::Succeeded {
        outputs: BTreeMap::new(),
    }
}

fn failed() -> StepOutcome {
    StepOutcome::Failed {
        message: "exit 1".into(),
        exit_code: Some(1),
    }
}

fn start(l: &str, s: &str) -> Msg {
    Msg::StartStep {
        lesson: l.into(),
        step: s.into(),
    }
}

#[test]
fn a_step_runs_then_its_check_passes_and_the_lesson_completes() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("echo hi")), check("c1", Some("s1"))],
    )]);
    assert_eq!(sc.engine.session().current_lesson.as_deref(), Some("l1"));

    sc.send(start("l1", "s1"), 1);
    assert_eq!(sc.state("l1", "s1"), StepState::Running);
    let (attempt, purpose, _) = sc.run_effect().expect("a RunStep effect");
    assert_eq!((attempt, purpose), (1, RunPurpose::Run));

    sc.finish_step("l1", "s1", ok(), 2);
    assert_eq!(sc.state("l1", "s1"), StepState::Verifying);
    assert_eq!(sc.started_checks(), vec![("c1".to_string(), 1)]);

    sc.finish_check("l1", "c1", Verdict::Pass, 3);
    assert_eq!(sc.state("l1", "s1"), StepState::Done);
    assert_eq!(
        sc.engine.session().lesson("l1").unwrap().completed,
        Some(Completion::Steps)
    );
    sc.assert_replay_equal();
}

#[test]
fn failures_reveal_hints_progressively_then_the_solution() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![
            step("s1", shell("false")),
            hint("s1", Some(1), None),
            hint("s1", Some(2), None),
            Block::Solution(Solution {
                step: "s1".into(),
                reveal_after_failures: Some(2),
                explain: "do it".into(),
                run: None,
                pos: pos(),
            }),
        ],
    )]);
    sc.send(start("l1", "s1"), 0)
        .finish_step("l1", "s1", failed(), 1);
    let s = sc.step("l1", "s1");
    assert_eq!(
        (s.state, s.failures, s.hints_shown, s.solution_revealed),
        (StepState::Failed, 1, 1, false)
    );
    assert_eq!(s.last_exit_code, Some(1));

    sc.send(start("l1", "s1"), 2)
        .finish_step("l1", "s1", failed(), 3);
    let s = sc.step("l1", "s1");
    assert_eq!(
        (s.failures, s.hints_shown, s.solution_revealed),
        (2, 2, true)
    );
    sc.assert_replay_equal();
}

#[test]
fn a_hint_by_time_appears_on_the_first_tick_past_its_delay() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("sleep 600")), hint("s1", None, Some(60))],
    )]);
    sc.send(start("l1", "s1"), 100);
    sc.send(Msg::Tick, 159);
    assert_eq!(sc.step("l1", "s1").hints_shown, 0);
    sc.send(Msg::Tick, 160);
    assert_eq!(sc.step("l1", "s1").hints_shown, 1);
    sc.send(Msg::Tick, 200);
    let hint_events = sc
        .records
        .iter()
        .filter(|r| matches!(r.event, Event::HintShown { .. }))
        .count();
    assert_eq!(hint_events, 1, "a hint is recorded once");
}

#[test]
fn hints_on_request_stop_at_the_last_one_with_a_notice() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("x")), hint("s1", None, None)],
    )]);
    let next = || Msg::ShowNextHint {
        lesson: "l1".into(),
        step: "s1".into(),
    };
    sc.send(next(), 1);
    assert_eq!(sc.step("l1", "s1").hints_shown, 1);
    sc.send(next(), 2);
    assert_eq!(sc.step("l1", "s1").hints_shown, 1);
    assert!(sc.engine.take_notices()[0].text.contains("all hints"));
}

#[test]
fn skip_runs_the_solution_then_verifies() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![
            step("s1", shell("the participant's command")),
            check("c1", Some("s1")),
            Block::Solution(Solution {
                step: "s1".into(),
                reveal_after_failures: None,
                explain: String::new(),
                run: Some(shell("the solution")),
                pos: pos(),
            }),
        ],
    )]);
    sc.send(
        Msg::SkipStep {
            lesson: "l1".into(),
            step: "s1".into(),
        },
        1,
    );
    let (_, purpose, kind) = sc.run_effect().unwrap();
    assert_eq!(purpose, RunPurpose::Skip);
    let StepKind::Shell(sh) = kind else {
        panic!("expected shell")
    };
    assert_eq!(sh.command.raw(), "the solution");
    sc.finish_step("l1", "s1", ok(), 2);
    assert_eq!(
        sc.started_checks().len(),
        1,
        "skip verifies like a normal run"
    );
    sc.finish_check("l1", "c1", Verdict::Pass, 3);
    let s = sc.step("l1", "s1");
    assert_eq!((s.state, s.skipped), (StepState::Done, true));
    sc.assert_replay_equal();
}

#[test]
fn skip_without_a_solution_only_verifies() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("x")), check("c1", Some("s1"))],
    )]);
    sc.send(
        Msg::SkipStep {
            lesson: "l1".into(),
            step: "s1".into(),
        },
        1,
    );
    assert!(sc.run_effect().is_none());
    assert_eq!(sc.started_checks().len(), 1);
    sc.finish_check("l1", "c1", Verdict::Fail, 2);
    assert_eq!(
        sc.state("l1", "s1"),
        StepState::Failed,
        "a skip whose end state does not hold fails"
    );
}

#[test]
fn reset_runs_the_cleanup_and_forgets_outputs() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![
            step("s1", shell("make")),
            Block::Cleanup(Cleanup {
                step: "s1".into(),
                run: shell("unmake"),
                pos: pos(),
            }),
        ],
    )]);
    sc.send(start("l1", "s1"), 1);
    let outputs: BTreeMap<String, String> = [("ip".to_string(), "10.0.0.1".to_string())].into();
    sc.finish_step("l1", "s1", StepOutcome::Succeeded { outputs }, 2);
    assert_eq!(sc.state("l1", "s1"), StepState::Done);
    assert_eq!(sc.engine.session().outputs["s1"]["ip"], "10.0.0.1");

    sc.send(
        Msg::ResetStep {
            lesson: "l1".into(),
            step: "s1".into(),
        },
        3,
    );
    let (_, purpose, kind) = sc.run_effect().unwrap();
    let StepKind::Shell(sh) = kind else {
        panic!("expected shell")
    };
    assert_eq!((purpose, sh.command.raw()), (RunPurpose::Reset, "unmake"));
    sc.finish_step("l1", "s1", ok(), 4);
    assert_eq!(sc.state("l1", "s1"), StepState::Pending);
    assert!(!sc.engine.session().outputs.contains_key("s1"));
    assert_eq!(sc.engine.session().lesson("l1").unwrap().completed, None);
    sc.assert_replay_equal();
}

#[test]
fn objectives_that_hold_on_entry_complete_the_lesson() {
    let mut l1 = lesson("l1", vec![step("s1", shell("x"))]);
    l1.objectives = vec![env_spec("DONE")];
    let sc = Scenario::new(vec![l1]);
    let evaluate = sc
        .last
        .iter()
        .any(|e| matches!(e, Effect::EvaluateEntry { objectives, .. } if objectives.len() == 1));
    assert!(
        evaluate,
        "entering the lesson evaluates its objectives: {:?}",
        sc.last
    );
    let mut sc = sc;
    sc.send(
        Msg::EntryEvaluated {
            lesson: "l1".into(),
            objectives_met: true,
            requires: vec![],
        },
        1,
    );
    assert_eq!(
        sc.engine.session().lesson("l1").unwrap().completed,
        Some(Completion::Objectives)
    );
}

#[test]
fn stale_results_are_ignored() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("x")), check("c1", Some("s1"))],
    )]);
    sc.send(start("l1", "s1"), 1)
        .finish_step("l1", "s1", failed(), 2);
    sc.send(start("l1", "s1"), 3);
    // The first attempt's result arrives late: it must not touch the second attempt.
    sc.send(
        Msg::StepFinished {
            lesson: "l1".into(),
            step: "s1".into(),
            attempt: 1,
            outcome: ok(),
            duration_ms: 1,
        },
        4,
    );
    assert_eq!(sc.state("l1", "s1"), StepState::Running);

    sc.finish_step("l1", "s1", ok(), 5);
    let (_, first_gen) = sc.started_checks()[0].clone();
    sc.send(
        Msg::RecheckStep {
            lesson: "l1".into(),
            step: "s1".into(),
        },
        6,
    );
    // Not finished yet, so a recheck is not offered; finish with fail, then recheck.
    sc.finish_check("l1", "c1", Verdict::Fail, 7);
    sc.send(
        Msg::RecheckStep {
            lesson: "l1".into(),
            step: "s1".into(),
        },
        8,
    );
    let (_, second_gen) = sc.started_checks()[0].clone();
    assert!(second_gen > first_gen);
    let old = CheckReport {
        verdict: Verdict::Pass,
        observed: String::new(),
        message: String::new(),
        attempts: 1,
    };
    sc.send(
        Msg::CheckFinished {
            lesson: "l1".into(),
            check: "c1".into(),
            generation: first_gen,
            report: old,
        },
        9,
    );
    assert_eq!(
        sc.state("l1", "s1"),
        StepState::Verifying,
        "an old generation's pass does not count"
    );
    sc.finish_check("l1", "c1", Verdict::Pass, 10);
    assert_eq!(sc.state("l1", "s1"), StepState::Done);
    sc.assert_replay_equal();
}

#[test]
fn manual_steps_are_confirmed_not_run() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step(
            "m1",
            StepKind::Manual(ManualStep {
                confirm: "I did it".into(),
            }),
        )],
    )]);
    sc.send(start("l1", "m1"), 1);
    assert!(sc.run_effect().is_none());
    assert_eq!(sc.state("l1", "m1"), StepState::Done);
}

#[test]
fn resume_interrupts_what_was_running_and_restarts_verification() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![
            step("s1", shell("x")),
            check("c1", Some("s1")),
            step("s2", shell("y")),
        ],
    )]);
    sc.send(start("l1", "s1"), 1)
        .finish_step("l1", "s1", ok(), 2);
    sc.send(start("l1", "s2"), 3);
    // The process dies here. A new process replays the journal and resumes.
    let session = Session::default().replay(&sc.records);
    let mut engine = Engine::new(sc.engine.course_arc(), session);
    let effects = engine.update(Msg::Resume, 10_000);
    assert_eq!(
        engine.session().step_state("l1", "s2"),
        StepState::Interrupted
    );
    assert_eq!(
        engine.session().step_state("l1", "s1"),
        StepState::Verifying
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::StartCheck { check, .. } if check == "c1"))
    );
    assert_eq!(engine.session().current_lesson.as_deref(), Some("l1"));
}

#[test]
fn check_attempts_are_recorded_with_their_observation() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![step("s1", shell("x")), check("c1", Some("s1"))],
    )]);
    sc.send(start("l1", "s1"), 1)
        .finish_step("l1", "s1", ok(), 2);
    let generation = sc.started_checks()[0].1;
    let attempt = CheckAttempt {
        attempt: 2,
        observation: Observation::new(Verdict::Pending, "HTTP 503"),
        next_in: Some(Duration::from_secs(2)),
        message: "waiting".into(),
    };
    sc.send(
        Msg::CheckAttempted {
            lesson: "l1".into(),
            check: "c1".into(),
            generation,
            attempt,
        },
        3,
    );
    let c = sc.engine.session().check("l1", "c1").unwrap();
    assert_eq!(
        (c.attempts, c.last.as_ref().unwrap().observed.as_str()),
        (2, "HTTP 503")
    );
    sc.assert_replay_equal();
}

#[test]
fn lesson_level_checks_start_on_entry_and_gate_completion() {
    let mut sc = Scenario::new(vec![lesson(
        "l1",
        vec![check("pre", None), step("s1", shell("x"))],
    )]);
    assert!(sc.started_checks().iter().any(|(c, _)| c == "pre"));
    sc.send(start("l1", "s1"), 1)
        .finish_step("l1", "s1", ok(), 2);
    assert_eq!(sc.engine.session().lesson("l1").unwrap().completed, None);
    sc.finish_check("l1", "pre", Verdict::Warn, 3);
    assert_eq!(
        sc.engine.session().lesson("l1").unwrap().completed,
        Some(Completion::Steps)
    );
}
