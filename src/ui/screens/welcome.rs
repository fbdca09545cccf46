//! Choose a track and components; see what the workshop will take.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::keymap::Mode;
use crate::app::model::{Model, WelcomePane};
use crate::lesson::ComponentKind;
use crate::ui::lesson_doc::estimate;
use crate::ui::markdown::wrap::truncate;
use crate::ui::widgets::chrome;

pub fn render(model: &Model, f: &mut Frame) {
    let area = f.area();
    let t = &model.theme;
    let [banner, choose, plan, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(12),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);

    let banner_lines = vec![
        Line::from(vec![
            Span::styled(" cdc-workshop · ", t.title),
            Span::styled(model.course.title.clone(), t.strong),
        ]),
        Line::from(Span::styled(
            truncate(
                " Stream database changes into Confluent Cloud, shape them with Flink SQL, land them in your cloud.",
                usize::from(area.width),
            ),
            t.dim,
        )),
    ];
    f.render_widget(
        Paragraph::new(banner_lines).block(
            Block::default()
                .borders(Borders::BOTTOM)
                .border_style(t.border),
        ),
        banner,
    );

    let [tracks_area, comps_area] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(choose);
    let tracks: Vec<Line> = model
        .course
        .tracks
        .iter()
        .enumerate()
        .map(|(i, tr)| {
            let sel = i == model.welcome.track;
            let marker = if sel { "› " } else { "  " };
            let style = if sel { t.selected } else { t.text };
            Line::from(vec![
                Span::styled(marker, t.key),
                Span::styled(tr.title.clone(), style),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(tracks).block(chrome::panel(
            " 1 · Track ".to_string(),
            t,
            model.welcome.pane == WelcomePane::Tracks,
        )),
        tracks_area,
    );

    let track = model.course.tracks.get(model.welcome.track);
    let chosen = track
        .and_then(|tr| model.welcome.chosen.get(&tr.id))
        .cloned()
        .unwrap_or_default();
    let mut comps = Vec::new();
    if let Some(tr) = track {
        if tr.components.is_empty() {
            comps.push(Line::from(Span::styled(
                "This track has no optional parts.",
                t.dim,
            )));
        }
        let groups = [
            (ComponentKind::Source, "Sources"),
            (ComponentKind::Processing, "Processing"),
            (ComponentKind::Sink, "Sinks"),
        ];
        for (kind, heading) in groups {
            let members: Vec<(usize, &crate::lesson::Component)> = tr
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| c.kind == kind)
                .collect();
            if members.is_empty() {
                continue;
            }
            comps.push(Line::from(Span::styled(heading, t.dim)));
            for (i, c) in members {
                let on = chosen.contains(&c.id);
                let sel =
                    model.welcome.pane == WelcomePane::Components && i == model.welcome.component;
                comps.push(Line::from(vec![
                    Span::styled(if sel { "› " } else { "  " }, t.key),
                    Span::styled(
                        if on { "[x] " } else { "[ ] " },
                        if on { t.ok } else { t.dim },
                    ),
                    Span::styled(c.title.clone(), if sel { t.selected } else { t.text }),
                ]));
            }
        }
    }
    f.render_widget(
        Paragraph::new(comps).block(chrome::panel(
            " 2 · Components ".to_string(),
            t,
            model.welcome.pane == WelcomePane::Components,
        )),
        comps_area,
    );

    let plan_lessons = model.plan();
    let total_ms: u64 = plan_lessons
        .iter()
        .map(|l| crate::runner::clock::millis(l.estimate))
        .sum();
    let mut lines = Vec::new();
    if let Some(tr) = track {
        lines.push(Line::from(Span::styled(tr.description.clone(), t.text)));
        lines.push(Line::default());
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{} lessons", plan_lessons.len()), t.strong),
        Span::styled(format!(" · about {}", estimate(total_ms)), t.dim),
        Span::styled("  ·  ↵ starts the workshop", t.key),
    ]));
    for (i, l) in plan_lessons.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>3}. ", i + 1), t.dim),
            Span::styled(l.title.clone(), t.text),
            Span::styled(
                format!("  {}", estimate(crate::runner::clock::millis(l.estimate))),
                t.dim,
            ),
        ]));
    }
    let block = chrome::panel(" 3 · Your workshop ".to_string(), t, false)
        .padding(ratatui::widgets::Padding::horizontal(1));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        plan,
    );

    let status = model
        .notices
        .last()
        .map(|(n, _)| (n.text.as_str(), n.is_error));
    chrome::footer(f, footer, Mode::Welcome, status, t);
}
