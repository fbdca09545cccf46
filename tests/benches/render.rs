//! Frame budget (DESIGN §8): the busiest screen renders in < 2 ms at 200×50.
//!
//! The busiest screen is the lesson screen of the largest shipped lesson with a step running,
//! its log full and a check polling. `render` is what every frame costs; `rebuild` is the
//! document layout `update` redoes when progress changes (not every frame).
//!
//! Run: `cargo bench --bench render`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark fails loudly when its setup fails"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use cdc_workshop::app::model::Model;
use cdc_workshop::app::update::{Action, update};
use cdc_workshop::engine::{Engine, Session};
use cdc_workshop::lesson::load_course;
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::outcome::{LogLine, LogStream};
use cdc_workshop::tasks::TaskEvent;
use cdc_workshop::ui::theme::Theme;
use cdc_workshop::values::Values;
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn busiest_model() -> Model {
    let course = Arc::new(load_course(&LessonSource::embedded()).expect("shipped course"));
    let values = Values::load(&course, BTreeMap::new(), &|_| None, &Redactor::new());
    let mut model = Model::new(Arc::clone(&course), values, Theme::colored(), 200, 50);
    let mut engine = Engine::new(Arc::clone(&course), Session::default());
    let effects = engine.start_run("aws", &[], 1_000);
    update(
        &mut model,
        Action::RunOpened {
            id: "bench".into(),
            engine: Box::new(engine),
            effects,
        },
    );
    // The prerequisites lesson is the longest; run its first shell step.
    update(
        &mut model,
        Action::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)),
    );
    for _ in 0..model.steps().len() {
        let shell = model
            .selected_step()
            .is_some_and(|s| s.kind.name() == "shell");
        if shell {
            break;
        }
        update(
            &mut model,
            Action::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
        );
    }
    update(
        &mut model,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let step = model
        .selected_step()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let lines = (0..2000)
        .map(|i| LogLine {
            stream: if i % 7 == 0 {
                LogStream::Stderr
            } else {
                LogStream::Stdout
            },
            text: format!("line {i}: \x1b[32mcreating\x1b[0m resource {i} of 2000"),
        })
        .collect();
    update(
        &mut model,
        Action::Task(TaskEvent::StepLogged {
            lesson: String::new(),
            step,
            lines,
            dropped: 0,
        }),
    );
    update(&mut model, Action::Tick(5_000));
    model
}

fn render(c: &mut Criterion) {
    let mut model = busiest_model();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    c.bench_function("render busiest screen 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| cdc_workshop::ui::render(&model, f))
                .expect("draw");
        });
    });
    c.bench_function("rebuild lesson document 200x50", |b| {
        b.iter(|| update(&mut model, Action::Resize(200, 50)));
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
