//! The credentials screen: which credentials the course needs, where each is kept, whether its
//! service accepts it, and a masked input to enter one. Values travel only inside effects.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::Intent;
use super::model::{CredentialState, Model, Screen};
use super::update::AppEffect;
use crate::credentials::Secret;
use crate::lesson::SecretDecl;

/// Credentials without which the workshop cannot start.
pub fn required(name: &str) -> bool {
    name.starts_with("confluent_cloud_api_")
}

/// The track and components the participant has chosen (the run's, else the welcome screen's).
fn choice(model: &Model) -> Option<(String, Vec<String>)> {
    if let Some(engine) = model.engine() {
        let s = engine.session();
        return Some((s.track.clone(), s.components.clone()));
    }
    let track = model.course.tracks.get(model.welcome.track)?;
    let components = model
        .welcome
        .chosen
        .get(&track.id)
        .cloned()
        .unwrap_or_default();
    Some((track.id.clone(), components))
}

/// The credentials of the chosen track and components, in course order.
pub fn visible(model: &Model) -> Vec<&SecretDecl> {
    let chosen = choice(model);
    model
        .course
        .secrets
        .iter()
        // A secret a step provides is never the participant's to type in.
        .filter(|s| s.provided_by.is_none())
        .filter(|s| match &chosen {
            None => true,
            Some((track, components)) => {
                (s.tracks.is_empty() || s.tracks.contains(track))
                    && (s.components.is_empty()
                        || s.components.iter().any(|c| components.contains(c)))
            }
        })
        .collect()
}

/// Show the setup screen first when a required credential is missing and no run is open.
pub fn needed_at_start(model: &Model) -> bool {
    model.run.is_none()
        && model.course.secrets.iter().any(|s| {
            required(&s.name)
                && matches!(
                    model.setup.states.get(&s.name),
                    None | Some(CredentialState::Missing)
                )
        })
}

pub fn open(model: &mut Model) {
    if model.screen != Screen::Setup {
        model.setup.return_to = Some(model.screen);
    }
    model.screen = Screen::Setup;
    model.setup.editing = None;
}

fn selected_name(model: &Model) -> Option<String> {
    visible(model)
        .get(model.setup.selected)
        .map(|s| s.name.clone())
}

pub fn on_intent(model: &mut Model, intent: Intent, fx: &mut Vec<AppEffect>) {
    let count = visible(model).len();
    match intent {
        Intent::Down if count > 0 => {
            model.setup.selected = (model.setup.selected + 1).min(count - 1)
        }
        Intent::Up => model.setup.selected = model.setup.selected.saturating_sub(1),
        Intent::EditCredential => model.setup.editing = Some(Secret::new("")),
        Intent::CheckCredentials => {
            for state in model.setup.states.values_mut() {
                if matches!(
                    state,
                    CredentialState::Present(_)
                        | CredentialState::Valid(_)
                        | CredentialState::Rejected(_)
                        | CredentialState::Unverified(_)
                ) {
                    *state = CredentialState::Checking;
                }
            }
            fx.push(AppEffect::CheckCredentials);
        }
        Intent::CloseSetup => {
            let back = model.setup.return_to.take().unwrap_or(Screen::Welcome);
            model.screen = if back == Screen::Lesson && model.run.is_none() {
                Screen::Welcome
            } else {
                back
            };
        }
        Intent::ToggleHelp => model.overlay = Some(super::model::Overlay::Help),
        Intent::Quit => {
            model.quit = true;
            fx.push(AppEffect::Quit);
        }
        _ => {}
    }
}

/// Keys while a value is typed: everything goes into the (masked) input.
pub fn on_typing(model: &mut Model, key: &KeyEvent, fx: &mut Vec<AppEffect>) {
    let Some(buffer) = model.setup.editing.take() else {
        return;
    };
    let mut text = buffer.expose().to_string();
    match key.code {
        KeyCode::Esc => return,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return,
        KeyCode::Enter => {
            if let Some(name) = selected_name(model)
                && !text.is_empty()
            {
                model
                    .setup
                    .states
                    .insert(name.clone(), CredentialState::Checking);
                fx.push(AppEffect::SaveCredential {
                    name,
                    value: Secret::new(text),
                });
                fx.push(AppEffect::CheckCredentials);
            }
            return;
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) => text.push(c),
        _ => {}
    }
    model.setup.editing = Some(Secret::new(text));
}
