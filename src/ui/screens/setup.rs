//! Credentials: what the course needs, why, where to get it, where it is kept and whether its
//! service accepts it; a masked input for a new value. Values are never drawn, only lengths.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::app::keymap::Mode;
use crate::app::model::{CredentialState, Model};
use crate::app::setup::required;
use crate::lesson::template::SECRET_MASK;
use crate::ui::widgets::chrome;

fn state_text(state: Option<&CredentialState>) -> (&'static str, String) {
    match state {
        None | Some(CredentialState::Missing) => ("✗", "not set".to_string()),
        Some(CredentialState::Present(from)) => ("•", format!("set ({from})")),
        Some(CredentialState::Checking) => ("…", "checking with its service".to_string()),
        Some(CredentialState::Valid(why)) => ("✓", why.clone()),
        Some(CredentialState::Rejected(why)) => ("✗", why.clone()),
        Some(CredentialState::Unverified(why)) => ("!", format!("set; not verified: {why}")),
    }
}

pub fn render(model: &Model, f: &mut Frame) {
    let area = f.area();
    let t = &model.theme;
    let input_rows = if model.setup.editing.is_some() { 3 } else { 0 };
    let [banner, body, input, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(input_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![Span::styled(" cdc-workshop · ", t.title), Span::styled("Credentials", t.strong)]),
            match &model.warning {
                // The one-time note that the keyring is unavailable belongs here.
                Some(w) => Line::from(Span::styled(format!(" {w}"), t.warn)),
                None => Line::from(Span::styled(
                    " Entered once, kept in your OS keyring (or an owner-only file), never shown again.",
                    t.dim,
                )),
            },
        ]),
        banner,
    );

    let mut lines: Vec<Line> = Vec::new();
    for (i, decl) in crate::app::setup::visible(model).into_iter().enumerate() {
        let selected = i == model.setup.selected;
        let (mark, state) = state_text(model.setup.states.get(&decl.name));
        let mark_style = match mark {
            "✓" => t.ok,
            "✗" if required(&decl.name) => t.error,
            "✗" | "!" => t.warn,
            _ => t.dim,
        };
        let pointer = if selected { "› " } else { "  " };
        let need = if required(&decl.name) {
            "required"
        } else {
            "if your track uses it"
        };
        lines.push(Line::from(vec![
            Span::styled(pointer, t.key),
            Span::styled(format!("{mark} "), mark_style),
            Span::styled(decl.name.clone(), if selected { t.strong } else { t.text }),
            Span::styled(format!("  {need}"), t.dim),
        ]));
        lines.push(Line::from(vec![
            Span::raw("     "),
            Span::styled(decl.description.clone(), t.text),
        ]));
        lines.push(Line::from(vec![
            Span::raw("     "),
            Span::styled(state, mark_style),
        ]));
        if let Some(url) = &decl.url {
            lines.push(Line::from(vec![
                Span::raw("     "),
                Span::styled("get it: ", t.dim),
                Span::styled(url.clone(), t.link),
            ]));
        }
        lines.push(Line::from(""));
    }
    // What the chosen cloud needs besides stored credentials: GCP's key file (a setting, a path)
    // and the Azure CLI login. Shown with what their checks said; changed outside the guide.
    let track = model
        .engine()
        .map(|e| e.session().track.clone())
        .or_else(|| {
            model
                .course
                .tracks
                .get(model.welcome.track)
                .map(|t| t.id.clone())
        })
        .unwrap_or_default();
    let extra: &[(&str, &str, &str)] = match track.as_str() {
        "gcp" => &[(
            crate::credentials::validate::GCP_KEY_FILE,
            "The GCP service account's JSON key file (a path; set it with `--set gcp_credentials_file=PATH` or in config.toml).",
            "https://console.cloud.google.com/iam-admin/serviceaccounts",
        )],
        "azure" => &[(
            crate::app::AZURE_LOGIN,
            "Your Azure CLI login: run `az login` in another terminal, then press v.",
            "https://learn.microsoft.com/cli/azure/authenticate-azure-cli",
        )],
        _ => &[],
    };
    for (name, why, url) in extra {
        let (mark, state) = state_text(model.setup.states.get(*name));
        let style = if mark == "✓" { t.ok } else { t.warn };
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{mark} "), style),
            Span::styled((*name).to_string(), t.text),
        ]));
        lines.push(Line::from(vec![
            Span::raw("     "),
            Span::styled((*why).to_string(), t.text),
        ]));
        lines.push(Line::from(vec![
            Span::raw("     "),
            Span::styled(state, style),
        ]));
        lines.push(Line::from(vec![
            Span::raw("     "),
            Span::styled("get it: ", t.dim),
            Span::styled((*url).to_string(), t.link),
        ]));
        lines.push(Line::from(""));
    }
    // Keep the selection on screen: each entry is 4–5 lines.
    let per_entry = 5usize;
    let visible = usize::from(body.height.saturating_sub(2));
    let top = (model.setup.selected * per_entry).saturating_sub(visible.saturating_sub(per_entry));
    let scroll = u16::try_from(top).unwrap_or(u16::MAX);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Rounded)
                    .border_style(t.border_focus)
                    .title(Span::styled(" What the workshop needs ", t.title)),
            ),
        body,
    );

    if let (Some(value), Some(decl)) = (
        &model.setup.editing,
        crate::app::setup::visible(model)
            .get(model.setup.selected)
            .copied(),
    ) {
        let masked = SECRET_MASK
            .chars()
            .next()
            .map_or(String::new(), |c| c.to_string())
            .repeat(value.len());
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!(" {}: ", decl.name), t.strong),
                Span::styled(masked, t.code_block),
                Span::styled("▏", t.key),
            ]))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Rounded)
                    .border_style(t.border_focus)
                    .title(Span::styled(
                        " type or paste the value · ↵ save · Esc cancel ",
                        t.dim,
                    )),
            ),
            input,
        );
    }
    let status = model
        .notices
        .last()
        .map(|(n, _)| (n.text.as_str(), n.is_error));
    chrome::footer(f, footer, Mode::Setup, status, t);
}
