//! What the participant sees, screen by screen, at 80×24 and 200×50.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::app::model::{CredentialState, Model, Overlay};
use crate::app::update::{Action, AppEffect, update};
use crate::engine::{Engine, Msg, Session};
use crate::lesson::source::LessonSource;
use crate::lesson::template::Template;
use crate::lesson::{Block, Course, Step, StepKind, TerraformAction, TerraformStep, load_course};
use crate::redact::Redactor;
use crate::runner::outcome::{CheckReport, LogLine, LogStream, StepOutcome, Verdict};
use crate::tasks::TaskEvent;
use crate::ui::theme::Theme;
use crate::ui::widgets::provision::tests::{FAILED, LOCKED, MID_APPLY, MID_APPLY_LINES, recorded};
use crate::values::Values;

/// 2026-11-23 09:00:00 UTC: a fixed clock so elapsed times in snapshots never move.
const T0_MS: u64 = 1_795_424_400_000;

fn fixture() -> Arc<Course> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-minimal");
    Arc::new(load_course(&LessonSource::directory(dir)).expect("fixture course loads"))
}

fn shipped() -> Arc<Course> {
    Arc::new(load_course(&LessonSource::embedded()).expect("shipped course loads"))
}

const TF_STEP: &str = "provision-cluster";

/// The fixture course with a terraform step first in `first-steps`, as a lesson that provisions
/// a cluster has it.
fn with_terraform() -> Arc<Course> {
    let mut course = (*fixture()).clone();
    let lesson = course
        .lessons
        .iter_mut()
        .find(|l| l.id == "first-steps")
        .expect("the fixture has first-steps");
    let at = lesson
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Step(_)))
        .unwrap_or(lesson.blocks.len());
    let step = Step {
        id: TF_STEP.into(),
        title: "Provision the Kafka cluster".into(),
        kind: StepKind::Terraform(TerraformStep {
            module: "cluster".into(),
            action: TerraformAction::Apply,
            vars: [("env_name".to_string(), Template::literal("cdc-workshop"))].into(),
            secret_outputs: BTreeMap::new(),
        }),
        outputs: Vec::new(),
        timeout: None,
        estimate: Some(Duration::from_secs(8 * 60)),
        pos: lesson.pos.clone(),
    };
    lesson.blocks.insert(at, Block::Step(step));
    Arc::new(course)
}

struct Screen {
    model: Model,
}

impl Screen {
    fn welcome(course: Arc<Course>) -> Self {
        let values = Values::load(&course, BTreeMap::new(), &|_| None, &Redactor::new());
        let mut model = Model::new(course, values, Theme::colored(), 80, 24);
        model.now_ms = T0_MS;
        Self { model }
    }

    fn started(course: Arc<Course>, track: &str) -> Self {
        let mut s = Self::welcome(Arc::clone(&course));
        let mut engine = Engine::new(course, Session::default());
        let components = engine
            .course()
            .track(track)
            .map(|t| t.default_components())
            .unwrap_or_default();
        let effects = engine.start_run(track, &components, T0_MS);
        update(
            &mut s.model,
            Action::RunOpened {
                id: "run-test".into(),
                engine: Box::new(engine),
                effects,
            },
        );
        s
    }

    fn at(&mut self, secs: u64) -> &mut Self {
        update(&mut self.model, Action::Tick(T0_MS + secs * 1000));
        self
    }

    fn key(&mut self, code: KeyCode) -> &mut Self {
        let mods = match code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        update(&mut self.model, Action::Key(KeyEvent::new(code, mods)));
        self
    }

    fn engine(&mut self, msg: Msg) -> &mut Self {
        update(&mut self.model, Action::Task(TaskEvent::Engine(msg)));
        self
    }

    fn log(&mut self, step: &str, lines: &[(LogStream, &str)]) -> &mut Self {
        let lines = lines
            .iter()
            .map(|(stream, text)| LogLine {
                stream: *stream,
                text: text.to_string(),
            })
            .collect();
        update(
            &mut self.model,
            Action::Task(TaskEvent::StepLogged {
                lesson: String::new(),
                step: step.into(),
                lines,
                dropped: 0,
            }),
        );
        self
    }

    /// A recording's messages for `step` at their recorded pace from 1 s after T0, each also
    /// in the step's raw log. `false` when the recordings are not beside the project.
    fn terraform(&mut self, step: &str, file: &str, lines: Option<usize>) -> bool {
        let Some(messages) = recorded(file, lines) else {
            return false;
        };
        for (at, msg) in messages {
            update(&mut self.model, Action::Tick(T0_MS + 1_000 + at));
            self.log(step, &[(LogStream::Stdout, &msg.text())]);
            update(
                &mut self.model,
                Action::Task(TaskEvent::StepProgressed {
                    lesson: "first-steps".into(),
                    step: step.into(),
                    messages: vec![msg],
                }),
            );
        }
        true
    }

    fn finish(&mut self, lesson: &str, step: &str, outcome: StepOutcome) -> &mut Self {
        let attempt = self
            .model
            .engine()
            .and_then(|e| e.session().step(lesson, step))
            .map_or(0, |s| s.attempt);
        self.engine(Msg::StepFinished {
            lesson: lesson.into(),
            step: step.into(),
            attempt,
            outcome,
            duration_ms: 1200,
        })
    }

    fn render(&mut self, width: u16, height: u16) -> Terminal<TestBackend> {
        update(&mut self.model, Action::Resize(width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|f| super::render(&self.model, f))
            .expect("draw");
        terminal
    }

    fn snapshot(&mut self, name: &str) {
        self.snapshot_at(name, &[(80, 24), (200, 50)]);
    }

    fn snapshot_at(&mut self, name: &str, sizes: &[(u16, u16)]) {
        for &(w, h) in sizes {
            let terminal = self.render(w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
        }
    }
}

fn failed(message: &str) -> StepOutcome {
    StepOutcome::Failed {
        message: message.into(),
        exit_code: Some(1),
    }
}

#[test]
fn welcome_screen_offers_the_three_tracks() {
    Screen::welcome(shipped()).snapshot("welcome");
}

#[test]
fn welcome_screen_with_components_focused_and_one_left_out() {
    let mut s = Screen::welcome(shipped());
    s.key(KeyCode::Tab)
        .key(KeyCode::Down)
        .key(KeyCode::Char(' '));
    s.snapshot("welcome_components");
}

#[test]
fn a_fresh_lesson_opens_at_its_beginning() {
    Screen::started(shipped(), "aws").snapshot("lesson_fresh");
}

#[test]
fn a_running_step_shows_its_command_spinner_elapsed_time_and_output() {
    let mut s = Screen::started(fixture(), "local");
    s.key(KeyCode::Enter).at(7);
    s.log(
        "write-marker",
        &[
            (LogStream::Guide, "$ echo hello > marker.txt"),
            (LogStream::Stdout, "writing"),
            (LogStream::Stderr, "warning: slow disk"),
        ],
    );
    s.snapshot("lesson_running");
}

#[test]
fn a_failed_step_shows_the_error_the_hints_and_on_request_the_solution() {
    let mut s = Screen::started(fixture(), "local");
    s.key(KeyCode::Enter).at(2).finish(
        "first-steps",
        "write-marker",
        failed("`echo` exited with status 1: disk full"),
    );
    s.key(KeyCode::Char('S'));
    s.key(KeyCode::Char('J'))
        .key(KeyCode::Char('J'))
        .key(KeyCode::Char('J'));
    s.snapshot("lesson_failed");
}

#[test]
fn a_verified_step_is_done_and_the_next_one_is_selected() {
    let mut s = Screen::started(fixture(), "local");
    let outputs = [("greeting".to_string(), "hello".to_string())].into();
    s.key(KeyCode::Enter).at(1).finish(
        "first-steps",
        "write-marker",
        StepOutcome::Succeeded { outputs },
    );
    s.log(
        "write-marker",
        &[(LogStream::Guide, "$ echo hello > marker.txt")],
    );
    let generation = s
        .model
        .engine()
        .and_then(|e| e.session().check("first-steps", "marker-written"))
        .map_or(0, |c| c.generation);
    let report = CheckReport {
        verdict: Verdict::Pass,
        observed: "marker.txt: 6 bytes".into(),
        message: "marker.txt says hello.".into(),
        attempts: 2,
    };
    s.at(2).engine(Msg::CheckFinished {
        lesson: "first-steps".into(),
        check: "marker-written".into(),
        generation,
        report,
    });
    s.snapshot("lesson_done");
    assert_eq!(
        s.model.selected_step().map(|st| st.id.as_str()),
        Some("read-marker")
    );
}

#[test]
fn help_lists_every_key_and_scrolls_when_short() {
    let mut s = Screen::started(fixture(), "local");
    s.key(KeyCode::Char('?'));
    s.snapshot("help");
    s.key(KeyCode::Down)
        .key(KeyCode::Down)
        .key(KeyCode::Down)
        .key(KeyCode::Down);
    let terminal = s.render(80, 24);
    insta::assert_snapshot!("help_scrolled_80x24", terminal.backend());
    s.key(KeyCode::Esc);
    assert!(s.model.overlay.is_none());
}

#[test]
fn quitting_while_a_step_runs_asks_first() {
    let mut s = Screen::started(fixture(), "local");
    s.key(KeyCode::Enter).key(KeyCode::Char('q'));
    assert!(!s.model.quit);
    let terminal = s.render(80, 24);
    insta::assert_snapshot!("confirm_quit_80x24", terminal.backend());
    s.key(KeyCode::Char('n'));
    assert!(!s.model.quit && s.model.overlay.is_none());
    s.key(KeyCode::Char('q')).key(KeyCode::Char('y'));
    assert!(s.model.quit);
}

#[test]
fn no_color_renders_without_a_single_colour() {
    let mut s = Screen::started(fixture(), "local");
    s.model.theme = Theme::monochrome();
    s.key(KeyCode::Enter)
        .at(2)
        .finish("first-steps", "write-marker", failed("boom"));
    for (w, h) in [(80, 24), (200, 50)] {
        let terminal = s.render(w, h);
        let buffer = terminal.backend().buffer();
        for cell in buffer.content() {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "a coloured cell at {w}x{h}: {cell:?}"
            );
        }
    }
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    visible_rows(buffer).join("\n")
}

#[test]
fn a_terraform_apply_mid_way_shows_its_progress_instead_of_the_raw_log() {
    let mut s = Screen::started(with_terraform(), "local");
    s.key(KeyCode::Enter);
    // Before Terraform's first message (while `init` runs) the view is there, counting.
    let waiting = screen_text(&s.at(1).render(80, 24));
    assert!(waiting.contains("running · 1.0s"), "{waiting}");
    assert!(waiting.contains("planning…"), "{waiting}");
    if !s.terraform(TF_STEP, MID_APPLY, Some(MID_APPLY_LINES)) {
        return;
    }
    s.at(8);
    s.snapshot_at("terraform_mid_apply", &[(80, 24), (120, 40), (200, 50)]);

    // The raw output is one key away, and the same key comes back.
    s.key(KeyCode::Char('L'));
    let raw = screen_text(&s.render(80, 24));
    assert!(raw.contains("Log · Provision the Kafka"), "{raw}");
    assert!(raw.contains("L progress"), "{raw}");
    assert!(raw.contains("cluster: Creating…"), "{raw}");
    s.key(KeyCode::Char('L'));
    let progress = screen_text(&s.render(80, 24));
    assert!(
        progress.contains("terraform apply · module cluster"),
        "{progress}"
    );
}

#[test]
fn a_failed_terraform_apply_shows_the_failed_resource_and_the_error() {
    let mut s = Screen::started(with_terraform(), "local");
    s.key(KeyCode::Enter);
    if !s.terraform(TF_STEP, FAILED, None) {
        return;
    }
    s.at(2).finish(
        "first-steps",
        TF_STEP,
        failed("terraform apply failed: local-exec provisioner error"),
    );
    s.snapshot_at("terraform_failed", &[(80, 24), (120, 40)]);
}

#[test]
fn a_held_state_lock_names_its_holder_and_the_next_step() {
    let mut s = Screen::started(with_terraform(), "local");
    s.key(KeyCode::Enter);
    if !s.terraform(TF_STEP, LOCKED, None) {
        return;
    }
    s.at(2).finish(
        "first-steps",
        TF_STEP,
        failed("terraform apply failed: Error acquiring the state lock"),
    );
    s.snapshot_at("terraform_lock_held", &[(80, 24), (120, 40)]);
}

#[test]
fn force_unlock_asks_first_naming_the_holder_then_releases_that_lock() {
    let mut s = Screen::started(with_terraform(), "local");
    s.key(KeyCode::Enter);
    if !s.terraform(TF_STEP, LOCKED, None) {
        return;
    }
    s.at(2).finish(
        "first-steps",
        TF_STEP,
        failed("terraform apply failed: Error acquiring the state lock"),
    );
    let lock = s.model.provisions[TF_STEP].progress.lock.clone().unwrap();
    s.key(KeyCode::Char('U'));
    let Some(Overlay::Confirm(confirm)) = &s.model.overlay else {
        panic!("U asks before unlocking: {:?}", s.model.overlay);
    };
    assert!(confirm.lines[0].contains(&lock.who), "{:?}", confirm.lines);
    let fx = update(
        &mut s.model,
        Action::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)),
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, AppEffect::ForceUnlock { lock_id, .. } if *lock_id == lock.id)),
        "{fx:?}"
    );
}

#[test]
fn the_raw_log_key_says_when_there_is_nothing_to_switch() {
    let mut s = Screen::started(fixture(), "local");
    s.key(KeyCode::Char('L'));
    assert!(!s.model.lesson.raw_log);
    let said = s.model.notices.last().map(|(n, _)| n.text.clone());
    assert!(said.is_some_and(|t| t.contains("L switches views")));
}

/// What a terminal shows for a buffer that carries OSC 8 links: the link cell's visible text
/// covers the cells after it.
fn visible_rows(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut row: Vec<String> = (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            let mut x = 0;
            while x < row.len() {
                if let Some(rest) = row[x].strip_prefix("\x1b]8;;") {
                    let text = rest.split_once("\x1b\\").map_or("", |(_, t)| t);
                    let text = text.split("\x1b]8;;").next().unwrap_or("").to_string();
                    let chars: Vec<String> = text.chars().map(String::from).collect();
                    for (i, c) in chars.iter().enumerate() {
                        if let Some(cell) = row.get_mut(x + i) {
                            *cell = c.clone();
                        }
                    }
                    x += chars.len().max(1);
                } else {
                    x += 1;
                }
            }
            row.concat()
        })
        .collect()
}

#[test]
fn hyperlinks_leave_no_stale_text_when_the_lesson_scrolls() {
    let mut s = Screen::started(shipped(), "aws");
    s.key(KeyCode::Char('n'));
    update(&mut s.model, Action::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut clean = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut linked_frames = 0;
    for scroll in 0..60u16 {
        s.model.lesson.scroll = scroll;
        terminal
            .draw(|f| {
                super::render(&s.model, f);
                super::apply_hyperlinks(&s.model, f.buffer_mut());
                if f.buffer_mut()
                    .content()
                    .iter()
                    .any(|c| c.symbol().starts_with("\x1b]8;;"))
                {
                    linked_frames += 1;
                }
            })
            .expect("draw");
        // The terminal received only diffs; what it shows must equal a clean render.
        clean.draw(|f| super::render(&s.model, f)).expect("draw");
        assert_eq!(
            visible_rows(terminal.backend().buffer()),
            visible_rows(clean.backend().buffer()),
            "stale text on screen after scrolling to {scroll}"
        );
    }
    assert!(
        linked_frames > 5,
        "the lesson has links on screen: {linked_frames}"
    );
}

/// Where credentials stand as the loop reports them.
fn credentials_reported(s: &mut Screen, states: &[(&str, CredentialState)]) {
    update(
        &mut s.model,
        Action::CredentialsChecked(
            states
                .iter()
                .map(|(n, st)| (n.to_string(), st.clone()))
                .collect(),
        ),
    );
}

#[test]
fn with_the_confluent_key_missing_the_guide_opens_on_the_credentials_screen() {
    let mut s = Screen::welcome(shipped());
    credentials_reported(&mut s, &[
        ("confluent_cloud_api_key", CredentialState::Missing),
        ("confluent_cloud_api_secret", CredentialState::Missing),
        ("aws_access_key_id", CredentialState::Valid("AWS knows the key as arn:aws:iam::123456789012:user/workshop".into())),
        ("aws_secret_access_key", CredentialState::Valid("AWS knows the key as arn:aws:iam::123456789012:user/workshop".into())),
        ("openai_api_key", CredentialState::Rejected("OpenAI rejected the key (401); create a new one at https://platform.openai.com/api-keys".into())),
    ]);
    assert_eq!(s.model.screen, crate::app::model::Screen::Setup);
    s.snapshot("setup");
}

#[test]
fn a_typed_value_is_masked_saved_by_enter_and_never_drawn() {
    let mut s = Screen::welcome(shipped());
    credentials_reported(
        &mut s,
        &[("confluent_cloud_api_key", CredentialState::Missing)],
    );
    s.key(KeyCode::Enter);
    for c in "Xy9-secret".chars() {
        s.key(KeyCode::Char(c));
    }
    s.key(KeyCode::Backspace);
    let terminal = s.render(100, 30);
    let text = screen_text(&terminal);
    assert!(
        text.contains("confluent_cloud_api_key: •••••••••"),
        "{text}"
    );
    assert!(!text.contains("Xy9"), "{text}");
    s.snapshot_at("setup_typing", &[(100, 30)]);
    let fx = update(
        &mut s.model,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let saved: Vec<String> = fx
        .iter()
        .filter_map(|e| match e {
            AppEffect::SaveCredential { name, value } => Some(format!("{name}={}", value.expose())),
            _ => None,
        })
        .collect();
    assert_eq!(saved, vec!["confluent_cloud_api_key=Xy9-secre".to_string()]);
    assert!(fx.iter().any(|e| matches!(e, AppEffect::CheckCredentials)));
    assert_eq!(
        s.model.setup.states.get("confluent_cloud_api_key"),
        Some(&CredentialState::Checking)
    );

    // Esc while typing throws the input away; Esc again goes back to the welcome screen.
    s.key(KeyCode::Enter)
        .key(KeyCode::Char('z'))
        .key(KeyCode::Esc);
    assert!(s.model.setup.editing.is_none());
    s.key(KeyCode::Esc);
    assert_eq!(s.model.screen, crate::app::model::Screen::Welcome);
    s.key(KeyCode::Char('C'));
    assert_eq!(
        s.model.screen,
        crate::app::model::Screen::Setup,
        "C opens it again"
    );
}

#[test]
fn the_credentials_screen_lists_only_what_the_chosen_track_and_components_need() {
    let mut s = Screen::welcome(shipped());
    let names = |s: &Screen| -> Vec<String> {
        crate::app::setup::visible(&s.model)
            .iter()
            .map(|d| d.name.clone())
            .collect()
    };
    assert!(
        names(&s).contains(&"aws_access_key_id".to_string()),
        "{:?}",
        names(&s)
    );
    let gcp = s
        .model
        .course
        .tracks
        .iter()
        .position(|t| t.id == "gcp")
        .unwrap();
    s.model.welcome.track = gcp;
    let shown = names(&s);
    assert!(
        !shown.contains(&"aws_access_key_id".to_string()),
        "{shown:?}"
    );
    assert!(
        shown.contains(&"confluent_cloud_api_key".to_string()),
        "{shown:?}"
    );
    s.model.welcome.chosen.insert("gcp".into(), vec![]);
    let shown = names(&s);
    assert!(
        !shown.iter().any(|n| n.starts_with("salesforce_")),
        "no Salesforce without its component: {shown:?}"
    );
}

#[test]
fn on_gcp_and_azure_the_key_file_and_the_cli_login_are_shown_with_their_checks() {
    let mut s = Screen::welcome(shipped());
    let at = |s: &Screen, id: &str| {
        s.model
            .course
            .tracks
            .iter()
            .position(|t| t.id == id)
            .unwrap()
    };
    s.model.welcome.track = at(&s, "gcp");
    credentials_reported(
        &mut s,
        &[
            (
                "confluent_cloud_api_key",
                CredentialState::Present("OS keyring".into()),
            ),
            (
                "confluent_cloud_api_secret",
                CredentialState::Present("OS keyring".into()),
            ),
            (
                "gcp_credentials_file",
                CredentialState::Valid(
                    "Google accepted the key of ws@cdc-ws.iam.gserviceaccount.com (project cdc-ws)"
                        .into(),
                ),
            ),
        ],
    );
    s.key(KeyCode::Char('C'));
    let text = screen_text(&s.render(120, 60));
    assert!(text.contains("✓ gcp_credentials_file"), "{text}");
    assert!(
        text.contains("Google accepted the key of ws@cdc-ws.iam.gserviceaccount.com"),
        "{text}"
    );
    assert!(!text.contains("azure_login"), "{text}");

    s.key(KeyCode::Esc);
    s.model.welcome.track = at(&s, "azure");
    credentials_reported(
        &mut s,
        &[(
            "azure_login",
            CredentialState::Rejected("`az account show` failed: log in with `az login`".into()),
        )],
    );
    s.key(KeyCode::Char('C'));
    let text = screen_text(&s.render(120, 60));
    assert!(text.contains("✗ azure_login"), "{text}");
    assert!(text.contains("log in with `az login`"), "{text}");
}

mod live;
