//! Everything the screen shows, owned by the loop and changed only by `update`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::provision::Provision;
use crate::engine::{Engine, Notice, StepState};
use crate::lesson::{Course, Lesson, Step};
use crate::ui::lesson_doc::Doc;
use crate::ui::theme::Theme;
use crate::ui::widgets::log_pane::LogBuffer;
use crate::values::Values;

/// Lines kept per step log; older lines are dropped (and counted).
pub const STEP_LOG_LINES: usize = 2000;
/// Ticks a notice stays on screen (4 Hz ticks: ~6 s).
pub const NOTICE_TICKS: u64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    Lesson,
    /// Enter and check the credentials the course needs.
    Setup,
}

/// What the setup screen knows about one credential (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialState {
    Missing,
    /// Stored or in the environment; where, as words.
    Present(String),
    Checking,
    Valid(String),
    Rejected(String),
    /// The service could not be asked.
    Unverified(String),
}

#[derive(Debug, Clone, Default)]
pub struct SetupState {
    pub selected: usize,
    /// The value being typed (only its length is ever drawn).
    pub editing: Option<crate::credentials::Secret>,
    pub states: BTreeMap<String, CredentialState>,
    /// Where Esc goes back to.
    pub return_to: Option<Screen>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomePane {
    Tracks,
    Components,
}

#[derive(Debug, Clone)]
pub struct WelcomeState {
    pub track: usize,
    pub component: usize,
    pub pane: WelcomePane,
    /// Components chosen per track id (defaults until the participant changes them).
    pub chosen: BTreeMap<String, Vec<String>>,
}

/// What a confirmation dialog does on "yes".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Quit,
    Skip { lesson: String, step: String },
    Reset { lesson: String, step: String },
    NewRun,
    ForceUnlock { module: String, lock_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub on_yes: Pending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Confirm(Confirm),
}

#[derive(Debug, Clone, Default)]
pub struct LessonState {
    /// The lesson on screen (may differ from the run's current lesson while browsing).
    pub viewing: String,
    pub selected: usize,
    pub scroll: u16,
    pub log_expanded: bool,
    /// A terraform step's log pane shows Terraform's raw output instead of its progress.
    pub raw_log: bool,
    /// The step whose output the log shows when nothing runs and the selection has none.
    pub last_run: Option<String>,
}

/// The loaded run: its id and the engine holding its session.
pub struct RunView {
    pub id: String,
    pub engine: Engine,
}

pub struct Model {
    pub course: Arc<Course>,
    pub values: Values,
    pub theme: Theme,
    pub run: Option<RunView>,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub help_scroll: u16,
    pub welcome: WelcomeState,
    pub lesson: LessonState,
    pub setup: SetupState,
    pub logs: BTreeMap<String, LogBuffer>,
    /// Live (and last) Terraform progress per step id.
    pub provisions: BTreeMap<String, Provision>,
    pub notices: Vec<(Notice, u64)>,
    /// Shown until dismissed by leaving the lesson (e.g. a damaged journal).
    pub warning: Option<String>,
    pub doc: Doc,
    pub width: u16,
    pub height: u16,
    pub tick: u64,
    pub now_ms: u64,
    pub quit: bool,
    pub dirty: bool,
    pub live: super::live::LiveState,
}

impl Model {
    pub fn new(course: Arc<Course>, values: Values, theme: Theme, width: u16, height: u16) -> Self {
        let chosen = course
            .tracks
            .iter()
            .map(|t| (t.id.clone(), t.default_components()))
            .collect();
        Self {
            course,
            values,
            theme,
            run: None,
            screen: Screen::Welcome,
            overlay: None,
            help_scroll: 0,
            welcome: WelcomeState {
                track: 0,
                component: 0,
                pane: WelcomePane::Tracks,
                chosen,
            },
            lesson: LessonState::default(),
            setup: SetupState::default(),
            logs: BTreeMap::new(),
            provisions: BTreeMap::new(),
            notices: Vec::new(),
            warning: None,
            doc: Doc::default(),
            width,
            height,
            tick: 0,
            now_ms: 0,
            quit: false,
            dirty: true,
            live: super::live::LiveState::default(),
        }
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.run.as_ref().map(|r| &r.engine)
    }

    /// The lesson on screen.
    pub fn viewing(&self) -> Option<&Lesson> {
        self.course.lesson(&self.lesson.viewing)
    }

    pub fn steps(&self) -> Vec<&Step> {
        self.viewing()
            .map(|l| l.steps().collect())
            .unwrap_or_default()
    }

    pub fn selected_step(&self) -> Option<&Step> {
        self.steps().get(self.lesson.selected).copied()
    }

    /// The step whose output the log pane shows: the running one, else the selected one when it
    /// has something to show, else the last one run, else the selected one.
    pub fn log_step(&self) -> Option<&Step> {
        let lesson = self.viewing()?;
        let running = lesson
            .steps()
            .find(|s| self.step_state(&lesson.id, &s.id) == StepState::Running);
        let has_output = |id: &str| {
            self.logs.get(id).is_some_and(|b| !b.is_empty()) || self.provisions.contains_key(id)
        };
        let last_run = self
            .lesson
            .last_run
            .as_deref()
            .and_then(|id| lesson.step(id));
        running
            .or_else(|| self.selected_step().filter(|s| has_output(&s.id)))
            .or(last_run)
            .or_else(|| self.selected_step())
    }

    pub fn step_state(&self, lesson: &str, step: &str) -> StepState {
        self.engine()
            .map_or(StepState::Pending, |e| e.session().step_state(lesson, step))
    }

    pub fn any_running(&self) -> bool {
        self.engine().is_some_and(|e| {
            e.session()
                .lessons
                .values()
                .any(|l| l.steps.values().any(|s| s.state == StepState::Running))
        })
    }

    /// The lessons of the run's plan (or of the highlighted track on the welcome screen).
    pub fn plan(&self) -> Vec<&Lesson> {
        match self.engine() {
            Some(e) => e.plan(),
            None => self
                .course
                .tracks
                .get(self.welcome.track)
                .map(|t| {
                    let chosen = self.welcome.chosen.get(&t.id).cloned().unwrap_or_default();
                    self.course.plan(t, &chosen)
                })
                .unwrap_or_default(),
        }
    }

    /// Values as templates see them now (outputs of the run so far).
    pub fn values_now(&self) -> Arc<crate::values::ValueSnapshot> {
        match self.engine() {
            Some(e) => self.values.snapshot(e.session()),
            None => self.values.snapshot(&Default::default()),
        }
    }

    pub fn notify(&mut self, text: impl Into<String>, is_error: bool) {
        self.notices.push((
            Notice {
                text: text.into(),
                is_error,
            },
            self.tick + NOTICE_TICKS,
        ));
        self.dirty = true;
    }
}
