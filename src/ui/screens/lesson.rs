//! The lesson screen: the document, the steps with their checks, the step log, live panels.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap::{Intent, Mode, key_for};
use crate::app::live::LivePanel;
use crate::app::model::Model;
use crate::engine::StepState;
use crate::journal::Completion;
use crate::lesson::StepKind;
use crate::ui::layout::{lesson_areas, outer};
use crate::ui::lesson_doc::{check_status, elapsed, estimate, spinner};
use crate::ui::markdown::wrap::truncate;
use crate::ui::widgets::provision::ProvisionView;
use crate::ui::widgets::{chrome, live};

pub fn render(model: &Model, f: &mut Frame) {
    let t = &model.theme;
    let areas = lesson_areas(f.area().width, f.area().height, model.lesson.log_expanded);
    header(model, f, areas.header);

    // The document.
    let doc_box = outer(areas.doc);
    let scroll = usize::from(model.lesson.scroll);
    let visible: Vec<Line> = model
        .doc
        .lines
        .iter()
        .skip(scroll)
        .take(usize::from(areas.doc.height))
        .cloned()
        .collect();
    let title = model
        .viewing()
        .map_or_else(String::new, |l| format!(" {} ", l.title));
    let total = model.doc.lines.len();
    let position = if total > usize::from(areas.doc.height) {
        format!(
            " {}–{} of {total} ",
            scroll + 1,
            (scroll + usize::from(areas.doc.height)).min(total)
        )
    } else {
        String::new()
    };
    let block = chrome::panel(title, t, true)
        .title_bottom(Line::from(Span::styled(position, t.dim)).right_aligned());
    f.render_widget(block, doc_box);
    f.render_widget(Paragraph::new(visible), areas.doc);

    if model.live.zoomed {
        let body = Rect::new(0, 1, f.area().width, f.area().height.saturating_sub(2));
        live::render_zoomed(model, f, body);
        let status = model
            .notices
            .last()
            .map(|(n, _)| (n.text.as_str(), n.is_error));
        chrome::footer(f, areas.footer, Mode::Live, status, t);
        return;
    }
    steps_panel(model, f, areas.steps);
    if let Some(area) = areas.live {
        if model.live.panel == LivePanel::Course {
            course_panel(model, f, area);
        } else {
            live::render(model, f, area);
        }
    }
    log_panel(model, f, areas.log);

    let status = model
        .notices
        .last()
        .map(|(n, _)| (n.text.as_str(), n.is_error))
        .or(model.warning.as_deref().map(|w| (w, true)));
    chrome::footer(f, areas.footer, Mode::Lesson, status, t);
}

fn header(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let plan = model.plan();
    let index = plan
        .iter()
        .position(|l| l.id == model.lesson.viewing)
        .map_or(0, |i| i + 1);
    let track = model
        .engine()
        .and_then(|e| model.course.track(&e.session().track))
        .map_or(String::new(), |tr| tr.title.clone());
    let (done, steps) = model.engine().map_or((0, 0), |e| {
        let s = e.session();
        let all: Vec<(String, String)> = plan
            .iter()
            .flat_map(|l| l.steps().map(move |st| (l.id.clone(), st.id.clone())))
            .collect();
        let done = all
            .iter()
            .filter(|(l, st)| s.step_state(l, st) == StepState::Done || s.is_completed(l))
            .count();
        (done, all.len())
    });
    let left = format!(" cdc-workshop · {track} · lesson {index}/{}", plan.len());
    let right = format!("{done}/{steps} steps done ");
    let width = usize::from(area.width);
    let pad = width.saturating_sub(left.chars().count() + right.chars().count());
    let line = Line::from(vec![
        Span::styled(left, t.title),
        Span::raw(" ".repeat(pad)),
        Span::styled(
            right,
            if done == steps && steps > 0 {
                t.ok
            } else {
                t.dim
            },
        ),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn steps_panel(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let Some(lesson) = model.viewing() else {
        return;
    };
    let session = model.engine().map(|e| e.session());
    let inner_w = usize::from(area.width.saturating_sub(4));
    let mut lines = Vec::new();
    if session
        .and_then(|s| s.lesson(&lesson.id))
        .and_then(|l| l.completed)
        == Some(Completion::Objectives)
    {
        lines.push(Line::from(Span::styled(
            "✓ already done: its end state holds",
            t.ok,
        )));
    }
    for check in lesson.checks().filter(|c| c.step.is_none()) {
        let (mark, style, _) = session
            .and_then(|s| s.check(&lesson.id, &check.id))
            .map_or(("◌", t.pending, String::new()), |c| {
                check_status(c, t, model.tick)
            });
        lines.push(Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::styled(truncate(&check.title, inner_w.saturating_sub(4)), t.dim),
        ]));
    }
    for (i, step) in lesson.steps().enumerate() {
        let selected = i == model.lesson.selected;
        let p = session
            .and_then(|s| s.step(&lesson.id, &step.id))
            .cloned()
            .unwrap_or_default();
        let (mark, style) = match p.state {
            StepState::Pending => ("◌", t.pending),
            StepState::Running | StepState::Verifying => (spinner(model.tick), t.running),
            StepState::Done => ("✓", t.ok),
            StepState::Failed => ("✗", t.error),
            StepState::Interrupted => ("!", t.warn),
        };
        let time = match (p.state, p.started_ms, p.finished_ms) {
            (StepState::Running, Some(s), _) => elapsed(model.now_ms.saturating_sub(s)),
            (_, Some(s), Some(e)) => elapsed(e.saturating_sub(s)),
            _ => step
                .estimate
                .map(|e| format!("~{}", estimate(crate::runner::clock::millis(e))))
                .unwrap_or_default(),
        };
        let title_w = inner_w.saturating_sub(time.chars().count() + 6);
        let title = truncate(&format!("{} {}", i + 1, step.title), title_w);
        let pad = inner_w.saturating_sub(title.chars().count() + time.chars().count() + 4);
        let title_style = if selected { t.selected } else { t.text };
        lines.push(Line::from(vec![
            Span::styled(if selected { "›" } else { " " }, t.key),
            Span::styled(format!(" {mark} "), style),
            Span::styled(title, title_style),
            Span::raw(" ".repeat(pad)),
            Span::styled(time, t.dim),
        ]));
        for check in lesson.checks_for(&step.id) {
            let (mark, style, _) = session
                .and_then(|s| s.check(&lesson.id, &check.id))
                .map_or(("·", t.pending, String::new()), |c| {
                    check_status(c, t, model.tick)
                });
            lines.push(Line::from(vec![
                Span::styled(format!("     {mark} "), style),
                Span::styled(truncate(&check.title, inner_w.saturating_sub(8)), t.dim),
            ]));
        }
    }
    if lesson.steps().next().is_none() {
        lines.push(Line::from(Span::styled(
            "Nothing to run here: read, then n for the next lesson.",
            t.dim,
        )));
    }
    let hint_line = model.selected_step().map(|s| {
        let p = session
            .and_then(|ss| ss.step(&lesson.id, &s.id))
            .cloned()
            .unwrap_or_default();
        let hints = lesson.hints_for(&s.id).count();
        if hints > 0 {
            format!(" hints {}/{hints} ", p.hints_shown)
        } else {
            String::new()
        }
    });
    let block = chrome::panel(" Steps ".to_string(), t, false)
        .title_bottom(
            Line::from(Span::styled(hint_line.unwrap_or_default(), t.dim)).right_aligned(),
        )
        .padding(ratatui::widgets::Padding::horizontal(1));
    // Keep the selected step visible in a short panel.
    let rows = usize::from(area.height.saturating_sub(2));
    let sel_row = lines
        .iter()
        .position(|l| l.spans.first().is_some_and(|s| s.content == "›"))
        .unwrap_or(0);
    let skip = sel_row.saturating_sub(rows.saturating_sub(3));
    f.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(block),
        area,
    );
}

fn course_panel(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let session = model.engine().map(|e| e.session());
    let mut lines = Vec::new();
    for l in model.plan() {
        let done = session.is_some_and(|s| s.is_completed(&l.id));
        let here = l.id == model.lesson.viewing;
        let mark = if done {
            "✓"
        } else if here {
            "▸"
        } else {
            "·"
        };
        let style = if here {
            t.strong
        } else if done {
            t.ok
        } else {
            t.text
        };
        let est = estimate(crate::runner::clock::millis(l.estimate));
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(
                truncate(&l.title, usize::from(area.width).saturating_sub(14)),
                style,
            ),
            Span::styled(format!("  {est}"), t.dim),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "v shows live topic records, connector status and lineage here; z shows them full screen.",
        t.dim,
    )));
    let block = chrome::panel(" Course · live ".to_string(), t, false)
        .padding(ratatui::widgets::Padding::horizontal(1));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
        area,
    );
}

/// The step's output. A terraform step with progress shows that instead (its raw output is a key
/// away): which resources are busy says more than Terraform's interleaved lines.
fn log_panel(model: &Model, f: &mut Frame, area: Rect) {
    let t = &model.theme;
    let Some(lesson) = model.viewing() else {
        return;
    };
    let step = model.log_step();
    let running = step.is_some_and(|s| model.step_state(&lesson.id, &s.id) == StepState::Running);
    if let Some(s) = step
        && !model.lesson.raw_log
        && let (StepKind::Terraform(tf), Some(provision)) = (&s.kind, model.provisions.get(&s.id))
    {
        let view = ProvisionView {
            provision,
            terraform: tf,
            estimate: s.estimate.or(Some(lesson.estimate)),
            interrupted: model.step_state(&lesson.id, &s.id) == StepState::Interrupted,
            expanded: model.lesson.log_expanded,
            now_ms: model.now_ms,
            tick: model.tick,
            theme: t,
        };
        f.render_widget(&view, area);
        return;
    }
    let rows = usize::from(area.height.saturating_sub(2));
    let (title, lines) = match step {
        Some(s) => {
            let buf = model.logs.get(&s.id);
            let lines = buf.map(|b| b.tail(rows, t)).unwrap_or_default();
            let lines = if lines.is_empty() {
                vec![Line::from(Span::styled("Step output shows here.", t.dim))]
            } else {
                lines
            };
            (
                format!(
                    " Log · {} ",
                    truncate(&s.title, usize::from(area.width).saturating_sub(12))
                ),
                lines,
            )
        }
        None => (" Log ".to_string(), Vec::new()),
    };
    let mut block =
        chrome::panel(title, t, running).padding(ratatui::widgets::Padding::horizontal(1));
    // The way back to the progress view, named from the keymap.
    if let Some(key) = step
        .filter(|s| model.provisions.contains_key(&s.id))
        .and_then(|_| key_for(Mode::Lesson, Intent::ToggleRawLog))
    {
        block = block.title_bottom(
            Line::from(Span::styled(format!(" {key} progress "), t.dim)).right_aligned(),
        );
    }
    f.render_widget(Paragraph::new(lines).block(block), area);
}
