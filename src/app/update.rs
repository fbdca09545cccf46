//! `update(&mut Model, Action) -> Vec<AppEffect>`: the only place the app's state changes.

use std::collections::BTreeMap;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::keymap::{Intent, Mode, intent_for, key_for};
use super::model::{
    Confirm, Model, Overlay, Pending, RunView, STEP_LOG_LINES, Screen, WelcomePane,
};
use super::provision::Provision;
use crate::engine::{Effect, Engine, Msg, StepState};
use crate::lesson::StepKind;
use crate::tasks::TaskEvent;
use crate::ui::lesson_doc;
use crate::ui::widgets::log_pane::LogBuffer;

/// Inputs: keys, mouse, resizes, task results, time.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// Mouse wheel: positive scrolls down.
    Scroll(i16),
    Resize(u16, u16),
    Task(TaskEvent),
    Tick(u64),
    /// SIGTERM/SIGHUP: leave now, interrupting what runs.
    Terminate,
    /// Where each credential is and what its service said (never values).
    CredentialsChecked(BTreeMap<String, super::model::CredentialState>),
    /// The loop created (or opened) a run; the engine comes with the effects that started it.
    RunOpened {
        id: String,
        engine: Box<Engine>,
        effects: Vec<Effect>,
    },
    /// Connectors, lineage or topic records from the live service.
    Live(crate::live::LiveEvent),
}

/// Side effects the loop performs.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "a handful of effects live for one loop turn; boxing would only add allocations"
)]
pub enum AppEffect {
    Engine(Effect),
    StartRun {
        track: String,
        components: Vec<String>,
    },
    /// Release a module's state lock (the participant confirmed).
    ForceUnlock {
        module: String,
        lock_id: String,
    },
    /// Put text on the clipboard with OSC 52.
    Copy(String),
    /// Store a credential the participant typed on the setup screen.
    SaveCredential {
        name: String,
        value: crate::credentials::Secret,
    },
    /// Ask each service whether its credentials work; the answer comes back as an action.
    CheckCredentials,
    /// Open a Flink SQL step's statement in the participant's editor (the terminal is handed
    /// over while it runs); `original` seeds the file the first time.
    EditStatement {
        run: String,
        lesson: String,
        step: String,
        original: String,
    },
    /// Read this topic live for the topic panel (`None`: stop).
    WatchTopic(Option<String>),
    /// Ask the live service to poll now.
    RefreshLive,
    Quit,
}

pub fn update(model: &mut Model, action: Action) -> Vec<AppEffect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(model, &key, &mut fx),
        Action::Key(_) => return fx,
        Action::Scroll(delta) => scroll(model, i32::from(delta)),
        Action::Resize(w, h) => {
            model.width = w;
            model.height = h;
            rebuild_doc(model);
        }
        Action::Task(TaskEvent::Engine(msg)) => {
            // A finished step may have created or changed a connector: the panels ask now.
            if matches!(msg, Msg::StepFinished { .. }) {
                fx.push(AppEffect::RefreshLive);
            }
            engine(model, msg, &mut fx);
        }
        Action::Task(TaskEvent::StepLogged {
            step,
            lines,
            dropped,
            ..
        }) => {
            let buf = model
                .logs
                .entry(step)
                .or_insert_with(|| LogBuffer::new(STEP_LOG_LINES));
            for line in lines {
                buf.push(line.stream, &line.text);
            }
            buf.add_dropped(dropped);
        }
        Action::Task(TaskEvent::Notice { text, is_error }) => model.notify(text, is_error),
        Action::Task(TaskEvent::StepProgressed { step, messages, .. }) => {
            let now = model.now_ms;
            let provision = model
                .provisions
                .entry(step)
                .or_insert_with(|| Provision::new(now));
            // A finished provision belongs to an earlier attempt; this one starts afresh.
            if !provision.running() {
                *provision = Provision::new(now);
            }
            for m in &messages {
                provision.apply(m, now);
            }
        }
        Action::Tick(now_ms) => {
            model.now_ms = now_ms;
            model.tick += 1;
            let tick = model.tick;
            let before = model.notices.len();
            model.notices.retain(|(_, until)| *until > tick);
            let busy = model.engine().is_some_and(|e| {
                e.session().lessons.values().any(|l| {
                    l.steps
                        .values()
                        .any(|s| matches!(s.state, StepState::Running | StepState::Verifying))
                })
            });
            if busy {
                engine(model, Msg::Tick, &mut fx);
            }
            // Spinners and elapsed timers move only while something runs.
            model.dirty |= busy || before != model.notices.len();
            return fx;
        }
        Action::Terminate => {
            model.quit = true;
            fx.push(AppEffect::Quit);
        }
        Action::CredentialsChecked(states) => {
            let first = model.setup.states.is_empty();
            model.setup.states.extend(states);
            if first && super::setup::needed_at_start(model) {
                super::setup::open(model);
                model.setup.return_to = Some(Screen::Welcome);
            }
        }
        Action::Live(event) => super::live::apply(model, event),
        Action::RunOpened {
            id,
            engine: e,
            effects,
        } => {
            model.run = Some(RunView { id, engine: *e });
            fx.extend(effects.into_iter().map(AppEffect::Engine));
            take_notices(model);
            model.screen = Screen::Lesson;
            model.overlay = None;
            model.logs.clear();
            let current = model
                .engine()
                .and_then(|e| e.session().current_lesson.clone());
            let first = model.plan().first().map(|l| l.id.clone());
            if let Some(lesson) = current.or(first) {
                view_lesson(model, &lesson);
            }
        }
    }
    if model.screen == Screen::Lesson {
        super::live::pin_for_selection(model, &mut fx);
    }
    model.dirty = true;
    fx
}

fn mode(model: &Model) -> Mode {
    match (&model.overlay, model.screen) {
        (Some(Overlay::Help), _) => Mode::Help,
        (Some(Overlay::Confirm(_)), _) => Mode::Confirm,
        (None, Screen::Welcome) => Mode::Welcome,
        (None, Screen::Lesson) if model.live.zoomed => Mode::Live,
        (None, Screen::Lesson) => Mode::Lesson,
        (None, Screen::Setup) => Mode::Setup,
    }
}

fn on_key(model: &mut Model, key: &KeyEvent, fx: &mut Vec<AppEffect>) {
    let mode = mode(model);
    if mode == Mode::Setup && model.setup.editing.is_some() {
        super::setup::on_typing(model, key, fx);
        return;
    }
    let Some(intent) = intent_for(mode, key) else {
        return;
    };
    match mode {
        Mode::Help => match intent {
            Intent::Down => model.help_scroll = model.help_scroll.saturating_add(1),
            Intent::Up => model.help_scroll = model.help_scroll.saturating_sub(1),
            _ => model.overlay = None,
        },
        Mode::Confirm => confirm(model, intent == Intent::Yes, fx),
        Mode::Setup => super::setup::on_intent(model, intent, fx),
        _ if intent == Intent::OpenSetup => super::setup::open(model),
        Mode::Welcome => welcome(model, intent, fx),
        Mode::Lesson => lesson(model, intent, fx),
        Mode::Live => zoomed(model, intent, fx),
    }
}

fn zoomed(model: &mut Model, intent: Intent, fx: &mut Vec<AppEffect>) {
    let (row, col) = model.live.scroll;
    match intent {
        Intent::Down => model.live.scroll.0 = row.saturating_add(1),
        Intent::Up => model.live.scroll.0 = row.saturating_sub(1),
        Intent::PanRight => model.live.scroll.1 = col.saturating_add(8),
        Intent::PanLeft => model.live.scroll.1 = col.saturating_sub(8),
        Intent::ZoomPanel => super::live::toggle_zoom(model),
        Intent::CyclePanel => super::live::cycle_panel(model, fx),
        Intent::NextTopic => super::live::next_topic(model, fx),
        Intent::ToggleHelp => open_help(model),
        Intent::Quit => lesson(model, Intent::Quit, fx),
        _ => {}
    }
}

fn confirm(model: &mut Model, yes: bool, fx: &mut Vec<AppEffect>) {
    let Some(Overlay::Confirm(c)) = model.overlay.take() else {
        return;
    };
    if !yes {
        return;
    }
    match c.on_yes {
        Pending::Quit => quit(model, fx),
        Pending::Skip { lesson, step } => engine(model, Msg::SkipStep { lesson, step }, fx),
        Pending::Reset { lesson, step } => engine(model, Msg::ResetStep { lesson, step }, fx),
        Pending::ForceUnlock { module, lock_id } => {
            model.notify(
                format!("releasing the state lock of module `{module}`…"),
                false,
            );
            fx.push(AppEffect::ForceUnlock { module, lock_id });
        }
        Pending::NewRun => {
            model.screen = Screen::Welcome;
        }
    }
}

fn quit(model: &mut Model, fx: &mut Vec<AppEffect>) {
    model.quit = true;
    fx.push(AppEffect::Quit);
}

fn ask(model: &mut Model, title: impl Into<String>, lines: Vec<String>, on_yes: Pending) {
    model.overlay = Some(Overlay::Confirm(Confirm {
        title: title.into(),
        lines,
        on_yes,
    }));
}

fn welcome(model: &mut Model, intent: Intent, fx: &mut Vec<AppEffect>) {
    let tracks = model.course.tracks.len();
    let Some(track) = model.course.tracks.get(model.welcome.track).cloned() else {
        if intent == Intent::Quit {
            quit(model, fx);
        }
        return;
    };
    match intent {
        Intent::Quit => quit(model, fx),
        Intent::ToggleHelp => open_help(model),
        Intent::SwitchPane => {
            model.welcome.pane = match model.welcome.pane {
                WelcomePane::Tracks if !track.components.is_empty() => WelcomePane::Components,
                _ => WelcomePane::Tracks,
            };
        }
        Intent::Down | Intent::Up => {
            let down = intent == Intent::Down;
            match model.welcome.pane {
                WelcomePane::Tracks => {
                    model.welcome.track = step_index(model.welcome.track, tracks, down);
                    model.welcome.component = 0;
                }
                WelcomePane::Components => {
                    model.welcome.component =
                        step_index(model.welcome.component, track.components.len(), down);
                }
            }
        }
        Intent::ToggleComponent => {
            if model.welcome.pane != WelcomePane::Components {
                model.welcome.pane = WelcomePane::Components;
                return;
            }
            if let Some(c) = track.components.get(model.welcome.component) {
                let chosen = model.welcome.chosen.entry(track.id.clone()).or_default();
                if let Some(i) = chosen.iter().position(|x| x == &c.id) {
                    chosen.remove(i);
                } else {
                    chosen.push(c.id.clone());
                }
            }
        }
        Intent::StartRun => {
            let components = model
                .welcome
                .chosen
                .get(&track.id)
                .cloned()
                .unwrap_or_default();
            fx.push(AppEffect::StartRun {
                track: track.id.clone(),
                components,
            });
        }
        _ => {}
    }
}

fn open_help(model: &mut Model) {
    model.overlay = Some(Overlay::Help);
    model.help_scroll = 0;
}

fn step_index(i: usize, len: usize, down: bool) -> usize {
    if len == 0 {
        0
    } else if down {
        (i + 1).min(len - 1)
    } else {
        i.saturating_sub(1)
    }
}

fn lesson(model: &mut Model, intent: Intent, fx: &mut Vec<AppEffect>) {
    let lesson_id = model.lesson.viewing.clone();
    let selected = model.selected_step().cloned();
    let step_msg = |f: fn(String, String) -> Msg| {
        selected
            .as_ref()
            .map(|s| f(lesson_id.clone(), s.id.clone()))
    };
    match intent {
        Intent::Quit => {
            if model.any_running() {
                ask(
                    model,
                    "Quit while a step is running?",
                    vec![
                        "The running step will be interrupted; run it again when you come back."
                            .to_string(),
                        "Everything else is saved.".to_string(),
                    ],
                    Pending::Quit,
                );
            } else {
                quit(model, fx);
            }
        }
        Intent::ToggleHelp => open_help(model),
        Intent::CyclePanel => super::live::cycle_panel(model, fx),
        Intent::NextTopic => super::live::next_topic(model, fx),
        Intent::ZoomPanel => super::live::toggle_zoom(model),
        Intent::Down | Intent::Up => {
            let n = model.steps().len();
            model.lesson.selected = step_index(model.lesson.selected, n, intent == Intent::Down);
            scroll_to_selected(model);
        }
        Intent::PageDown => scroll(model, i32::from(doc_height(model))),
        Intent::PageUp => scroll(model, -i32::from(doc_height(model))),
        Intent::ScrollDown => scroll(model, 1),
        Intent::ScrollUp => scroll(model, -1),
        Intent::Top => model.lesson.scroll = 0,
        Intent::Bottom => scroll(model, i32::MAX / 2),
        Intent::RunStep => {
            let Some(step) = selected else {
                model.notify(
                    "this lesson has no steps: read on, then press n for the next lesson",
                    false,
                );
                return;
            };
            match model.step_state(&lesson_id, &step.id) {
                StepState::Running => model.notify("this step is running; x stops it", false),
                _ if matches!(step.kind, StepKind::Manual(_)) => {
                    engine(
                        model,
                        Msg::ConfirmStep {
                            lesson: lesson_id,
                            step: step.id,
                        },
                        fx,
                    );
                }
                _ => engine(
                    model,
                    Msg::StartStep {
                        lesson: lesson_id,
                        step: step.id,
                    },
                    fx,
                ),
            }
            // Keep the card of what just started in view: its command and status live there.
            scroll_to_selected(model);
        }
        Intent::SkipStep => {
            let Some(step) = selected else { return };
            let what = model
                .viewing()
                .and_then(|l| l.solution_for(&step.id))
                .and_then(|s| s.run.as_ref())
                .map_or_else(
                    || {
                        "There is no solution to run: the step's checks decide whether it is done."
                            .to_string()
                    },
                    |k| format!("This runs the solution: {}", kind_display(model, k)),
                );
            ask(
                model,
                format!("Skip “{}”?", step.title),
                vec![what, "Then its checks verify the result.".to_string()],
                Pending::Skip {
                    lesson: lesson_id,
                    step: step.id,
                },
            );
        }
        Intent::ResetStep => {
            let Some(step) = selected else { return };
            let what = model
                .viewing()
                .and_then(|l| l.cleanup_for(&step.id))
                .map_or_else(
                    || "There is no cleanup: the step goes back to pending.".to_string(),
                    |c| format!("This runs the cleanup: {}", kind_display(model, &c.run)),
                );
            ask(
                model,
                format!("Reset “{}”?", step.title),
                vec![what],
                Pending::Reset {
                    lesson: lesson_id,
                    step: step.id,
                },
            );
        }
        Intent::NextHint => {
            if let Some(m) = step_msg(|lesson, step| Msg::ShowNextHint { lesson, step }) {
                engine(model, m, fx);
            }
        }
        Intent::RevealSolution => {
            if let Some(m) = step_msg(|lesson, step| Msg::RevealSolution { lesson, step }) {
                engine(model, m, fx);
            }
        }
        Intent::Recheck => {
            let Some(step) = selected else { return };
            match model.step_state(&lesson_id, &step.id) {
                StepState::Failed | StepState::Done => {
                    engine(
                        model,
                        Msg::RecheckStep {
                            lesson: lesson_id,
                            step: step.id,
                        },
                        fx,
                    );
                }
                _ => model.notify("run the step first; its checks start by themselves", false),
            }
        }
        Intent::CancelStep => {
            if let Some(m) = step_msg(|lesson, step| Msg::CancelStep { lesson, step }) {
                engine(model, m, fx);
            }
        }
        Intent::EditStatement => {
            let Some(step) = selected else { return };
            let StepKind::FlinkSql(flink) = &step.kind else {
                model.notify("only Flink SQL steps have a statement to edit", false);
                return;
            };
            let Some(run) = model.run.as_ref() else {
                model.notify("start the workshop first; edits belong to a run", false);
                return;
            };
            if model.step_state(&lesson_id, &step.id) == crate::engine::StepState::Running {
                model.notify("the step is running; stop it (x) before editing", false);
                return;
            }
            fx.push(AppEffect::EditStatement {
                run: run.id.clone(),
                lesson: lesson_id.clone(),
                step: step.id.clone(),
                original: flink.statement.raw().trim().to_string(),
            });
        }
        Intent::CopyCommand => {
            let Some(step) = selected else { return };
            match &step.kind {
                StepKind::Shell(_) => {
                    let text = kind_display(model, &step.kind);
                    fx.push(AppEffect::Copy(text));
                    model.notify(
                        "command copied (secrets stay masked: they live in the step's environment)",
                        false,
                    );
                }
                StepKind::FlinkSql(_) | StepKind::Sql(_) => {
                    fx.push(AppEffect::Copy(kind_display(model, &step.kind)));
                    model.notify("statement copied (it runs through the guide's own connection)", false);
                }
                StepKind::Manual(_) | StepKind::Confluent(_) => {
                    model.notify("this step has no command to copy", false);
                }
                StepKind::Terraform(_) => model.notify(
                    "a terraform step runs in the guide's own workspace; `cdc-workshop status` shows where",
                    false,
                ),
            }
        }
        Intent::CopyBlock(n) => match model.doc.code_blocks.get(usize::from(n).saturating_sub(1)) {
            Some(text) => {
                fx.push(AppEffect::Copy(text.clone()));
                model.notify(format!("code block {n} copied"), false);
            }
            None => model.notify(format!("there is no code block {n} in this lesson"), false),
        },
        Intent::NextLesson | Intent::PrevLesson => {
            let plan: Vec<String> = model.plan().iter().map(|l| l.id.clone()).collect();
            let Some(i) = plan.iter().position(|l| *l == lesson_id) else {
                return;
            };
            let target = if intent == Intent::NextLesson {
                plan.get(i + 1)
            } else {
                i.checked_sub(1).and_then(|j| plan.get(j))
            };
            match target.cloned() {
                Some(next) => {
                    let done = model
                        .engine()
                        .is_some_and(|e| e.session().is_completed(&lesson_id));
                    if intent == Intent::NextLesson && !done {
                        model.notify(
                            format!(
                                "“{lesson_id}” is not complete yet; you can come back to it with p"
                            ),
                            false,
                        );
                    }
                    engine(
                        model,
                        Msg::EnterLesson {
                            lesson: next.clone(),
                        },
                        fx,
                    );
                    view_lesson(model, &next);
                }
                None if intent == Intent::NextLesson => {
                    model.notify("this is the last lesson of your track so far", false);
                }
                None => {}
            }
        }
        Intent::ToggleLog => model.lesson.log_expanded = !model.lesson.log_expanded,
        Intent::ForceUnlock => {
            let Some(step) = selected else { return };
            let StepKind::Terraform(tf) = &step.kind else {
                model.notify(
                    "force-unlock is for terraform steps whose state is locked",
                    false,
                );
                return;
            };
            let lock = model
                .provisions
                .get(&step.id)
                .and_then(|p| p.progress.lock.clone());
            let Some(lock) = lock else {
                model.notify(
                    format!(
                        "module `{}` is not locked as far as its last run saw",
                        tf.module
                    ),
                    false,
                );
                return;
            };
            ask(
                model,
                format!("Force-unlock module `{}`?", tf.module),
                vec![
                    format!(
                        "The lock is held by {} since {} ({}).",
                        lock.who, lock.created, lock.operation
                    ),
                    "Only do this if that Terraform is no longer running: two runs changing \
                     the same state can corrupt it."
                        .to_string(),
                ],
                Pending::ForceUnlock {
                    module: tf.module.clone(),
                    lock_id: lock.id,
                },
            );
        }
        Intent::ToggleRawLog => {
            let has_progress = model
                .log_step()
                .is_some_and(|s| model.provisions.contains_key(&s.id));
            if has_progress {
                model.lesson.raw_log = !model.lesson.raw_log;
            } else {
                let key = key_for(Mode::Lesson, Intent::ToggleRawLog);
                model.notify(
                    format!(
                        "the log shows the raw output already; {} switches views for a terraform step that has run",
                        key.unwrap_or_default()
                    ),
                    false,
                );
            }
        }
        Intent::NewRun => ask(
            model,
            "Start a new run?",
            vec![
                "You pick a track and components again. The current run stays on disk;".to_string(),
                "resources it created keep running until you tear them down.".to_string(),
            ],
            Pending::NewRun,
        ),
        _ => {}
    }
}

/// A step kind as the participant sees it (secrets masked).
fn kind_display(model: &Model, kind: &StepKind) -> String {
    let session = model
        .engine()
        .map(|e| e.session().clone())
        .unwrap_or_default();
    let values = model.values.snapshot(&session);
    kind.display(values.as_ref())
}

fn engine(model: &mut Model, msg: Msg, fx: &mut Vec<AppEffect>) {
    let now = model.now_ms;
    if let Msg::StepFinished { step, .. } = &msg
        && let Some(p) = model.provisions.get_mut(step)
    {
        p.finished_ms.get_or_insert(now);
    }
    let starting = match &msg {
        Msg::StartStep { lesson, step } => Some((lesson.clone(), step.clone())),
        _ => None,
    };
    let Some(run) = model.run.as_mut() else {
        return;
    };
    let before_done = done_steps(&run.engine, &model.lesson.viewing);
    let effects = run.engine.update(msg, now);
    fx.extend(effects.into_iter().map(AppEffect::Engine));
    // A terraform step's progress starts with the step, not with Terraform's first message
    // (after `init`), so a retry never shows the previous attempt's result while it runs.
    if let Some((lesson, step)) = starting
        && model.step_state(&lesson, &step) == StepState::Running
        && model
            .course
            .lesson(&lesson)
            .and_then(|l| l.step(&step))
            .is_some_and(|s| matches!(s.kind, StepKind::Terraform(_)))
    {
        model.provisions.insert(step, Provision::new(now));
    }
    take_notices(model);
    // When the selected step completes, move on to the next one that still needs doing.
    let after_done = model
        .engine()
        .map(|e| done_steps(e, &model.lesson.viewing))
        .unwrap_or_default();
    if after_done > before_done {
        select_first_open(model);
        if model
            .engine()
            .is_some_and(|e| e.session().is_completed(&model.lesson.viewing))
        {
            model.notify("lesson complete: press n for the next one", false);
        }
    }
    rebuild_doc(model);
}

fn done_steps(engine: &Engine, lesson: &str) -> usize {
    engine.session().lesson(lesson).map_or(0, |l| {
        l.steps
            .values()
            .filter(|s| s.state == StepState::Done)
            .count()
    })
}

fn take_notices(model: &mut Model) {
    let notices = model
        .run
        .as_mut()
        .map(|r| r.engine.take_notices())
        .unwrap_or_default();
    for n in notices {
        model.notify(n.text, n.is_error);
    }
}

fn view_lesson(model: &mut Model, lesson: &str) {
    model.lesson.viewing = lesson.to_string();
    model.lesson.scroll = 0;
    model.lesson.selected = 0;
    select_first_open(model);
    rebuild_doc(model);
    // A lesson read for the first time opens at its beginning; one in progress opens at the
    // step the participant was on.
    let started = model
        .engine()
        .and_then(|e| e.session().lesson(lesson))
        .is_some_and(|l| !l.steps.is_empty());
    if started {
        scroll_to_selected(model);
    }
}

fn select_first_open(model: &mut Model) {
    let lesson = model.lesson.viewing.clone();
    let steps: Vec<String> = model.steps().iter().map(|s| s.id.clone()).collect();
    if let Some(i) = steps
        .iter()
        .position(|s| model.step_state(&lesson, s) != StepState::Done)
    {
        model.lesson.selected = i;
    }
}

/// Rows available to the lesson document at the current size.
pub fn doc_height(model: &Model) -> u16 {
    crate::ui::layout::lesson_areas(model.width, model.height, model.lesson.log_expanded)
        .doc
        .height
}

fn rebuild_doc(model: &mut Model) {
    let width =
        crate::ui::layout::lesson_areas(model.width, model.height, model.lesson.log_expanded)
            .doc
            .width;
    model.doc = lesson_doc::build(model, width);
}

fn scroll(model: &mut Model, delta: i32) {
    let max = i32::try_from(model.doc.lines.len())
        .unwrap_or(i32::MAX)
        .saturating_sub(i32::from(doc_height(model)));
    let next = (i32::from(model.lesson.scroll) + delta).clamp(0, max.max(0));
    model.lesson.scroll = u16::try_from(next).unwrap_or(u16::MAX);
}

/// Keep the selected step's card in view, a few lines below the top.
fn scroll_to_selected(model: &mut Model) {
    let Some(step) = model.selected_step().map(|s| s.id.clone()) else {
        return;
    };
    let Some(row) = model
        .doc
        .step_rows
        .iter()
        .find(|(id, _)| *id == step)
        .map(|(_, r)| *r)
    else {
        return;
    };
    let height = doc_height(model);
    let row = u16::try_from(row).unwrap_or(u16::MAX);
    if row < model.lesson.scroll
        || row >= model.lesson.scroll.saturating_add(height.saturating_sub(4))
    {
        model.lesson.scroll = row.saturating_sub(2);
        scroll(model, 0);
    }
}
