//! `cdc-workshop credentials set|list|delete|import`: manage the credentials the course needs.
//! Values are never printed: `list` shows names, where each is kept and whether its service
//! accepts it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use serde_json::json;

use crate::config::{EnvLookup, Overrides};
use crate::credentials::validate::{self, ValidationEndpoints, Validity};
use crate::credentials::{Secret, accounts, lookup};
use crate::workspace::Workspace;

use super::output::{Format, json_line};
use super::{CliError, CredentialsCommand, Exit};

pub fn run(
    overrides: &Overrides,
    env: EnvLookup,
    command: &CredentialsCommand,
) -> Result<Exit, CliError> {
    let ws = Workspace::open(overrides, env)?;
    if let Some(notice) = &ws.credential_notice {
        eprintln!("note: {notice}");
    }
    match command {
        CredentialsCommand::List { no_check, format } => list(&ws, env, *no_check, *format),
        CredentialsCommand::Set { name } => set(&ws, name),
        CredentialsCommand::Delete { name } => {
            let known = ws.credentials.delete(name)?;
            if known {
                println!("deleted {name} from the {}", ws.credentials.kind().label());
            } else {
                println!(
                    "{name} was not stored in the {}",
                    ws.credentials.kind().label()
                );
            }
            Ok(Exit::Success)
        }
        CredentialsCommand::Import { file } => import(&ws, file),
    }
}

fn declared(ws: &Workspace, name: &str) -> Result<(), CliError> {
    if ws.course.secrets.iter().any(|s| s.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = ws.course.secrets.iter().map(|s| s.name.as_str()).collect();
    Err(CliError::Usage(format!(
        "the course has no credential `{name}`; it uses: {}",
        names.join(", ")
    )))
}

/// Read a value without echo from the terminal, or one line from a pipe.
fn read_value(name: &str) -> Result<Secret, CliError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| {
            CliError::Usage(format!("cannot read the value from standard input: {e}"))
        })?;
        return Ok(Secret::new(line.trim_end_matches(['\n', '\r'])));
    }
    eprint!("{name} (typing is not shown): ");
    let _ = std::io::stderr().flush();
    crossterm::terminal::enable_raw_mode().map_err(CliError::Terminal)?;
    let mut value = String::new();
    let result = loop {
        match crossterm::event::read() {
            Ok(crossterm::event::Event::Key(k))
                if k.kind != crossterm::event::KeyEventKind::Release =>
            {
                use crossterm::event::{KeyCode, KeyModifiers};
                match k.code {
                    KeyCode::Enter => break Ok(()),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        break Err(CliError::Usage("cancelled; nothing was stored".into()));
                    }
                    KeyCode::Char(c) => value.push(c),
                    KeyCode::Backspace => {
                        value.pop();
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => break Err(CliError::Terminal(e)),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result.map(|()| Secret::new(value))
}

fn set(ws: &Workspace, name: &str) -> Result<Exit, CliError> {
    declared(ws, name)?;
    let value = read_value(name)?;
    if value.is_empty() {
        return Err(CliError::Usage(
            "an empty value was not stored; run the command again and type the value".into(),
        ));
    }
    ws.credentials.set(name, &value)?;
    println!(
        "stored {name} ({} characters) in the {}",
        value.len(),
        ws.credentials.kind().label()
    );
    Ok(Exit::Success)
}

fn import(ws: &Workspace, file: &Path) -> Result<Exit, CliError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        CliError::Usage(format!(
            "cannot read {}: {e}; give the path of your .accounts file",
            file.display()
        ))
    })?;
    let parsed = accounts::parse(file, &text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError::Usage(format!(
            "{} line(s) could not be read; nothing was imported:\n{}",
            errors.len(),
            lines.join("\n")
        ))
    })?;
    let plan = accounts::plan(parsed);
    for (name, value, upstream, line) in &plan.credentials {
        ws.credentials.set(name, value)?;
        println!(
            "✓ {name} ← {upstream} (line {line}), stored in the {}",
            ws.credentials.kind().label()
        );
    }
    for (var, value, upstream, line) in &plan.variables {
        println!(
            "• setting {var} = {value} ← {upstream} (line {line}); pass it with `--set {var}={value}` or put it under [vars] in config.toml"
        );
    }
    for (upstream, why, line) in &plan.ignored {
        println!("– ignored {upstream} (line {line}): {why}");
    }
    for fix in &plan.fixes {
        println!("! {fix}");
    }
    println!(
        "{} credential(s) imported, {} setting(s) found, {} ignored. Check them with `cdc-workshop credentials list`.",
        plan.credentials.len(),
        plan.variables.len(),
        plan.ignored.len()
    );
    Ok(Exit::Success)
}

/// The verdict for each validated credential name.
pub(crate) fn validate_all(
    ws: &Workspace,
    env: EnvLookup,
) -> std::collections::BTreeMap<String, Validity> {
    let values = present(ws, env);
    let region = ws.values.vars().get("aws_region").cloned();
    let mut endpoints: ValidationEndpoints = ws.settings.endpoints.validation(region.as_deref());
    endpoints.gcp_key_file = gcp_key_file(ws);
    match super::runtime() {
        Ok(rt) => rt.block_on(validate::check_all(&values, &endpoints)),
        Err(_) => Default::default(),
    }
}

/// The GCP key file the course variable names, `~` expanded, when set.
pub(crate) fn gcp_key_file(ws: &Workspace) -> Option<std::path::PathBuf> {
    let raw = ws
        .values
        .vars()
        .get(validate::GCP_KEY_FILE)?
        .trim()
        .to_string();
    if raw.is_empty() {
        return None;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    Some(match (raw.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => std::path::PathBuf::from(raw),
    })
}

/// Every course credential that has a value (store first, then the environment).
pub(crate) fn present(
    ws: &Workspace,
    env: EnvLookup,
) -> std::collections::BTreeMap<String, Secret> {
    ws.course
        .secrets
        .iter()
        .filter_map(|d| {
            lookup(ws.credentials.as_ref(), &d.name, d.env.as_deref(), env)
                .ok()
                .flatten()
                .map(|(v, _)| (d.name.clone(), v))
        })
        .collect()
}

fn list(ws: &Workspace, env: EnvLookup, no_check: bool, format: Format) -> Result<Exit, CliError> {
    let checks = if no_check {
        Default::default()
    } else {
        validate_all(ws, env)
    };
    let mut rows = Vec::new();
    for decl in &ws.course.secrets {
        let found = lookup(
            ws.credentials.as_ref(),
            &decl.name,
            decl.env.as_deref(),
            env,
        )?;
        let place = found.as_ref().map(|(_, from)| from.label());
        let check = checks.get(&decl.name);
        rows.push((decl, place, check));
    }
    match format {
        Format::Json => {
            for (decl, place, check) in &rows {
                let valid = check.map(|c| match c {
                    Validity::Valid(_) => "valid",
                    Validity::Rejected(_) => "rejected",
                    Validity::Unknown(_) => "unknown",
                });
                json_line(&json!({
                    "name": decl.name, "stored": place.is_some(), "where": place,
                    "provided_by": decl.provided_by,
                    "validity": valid, "detail": check.map(|c| c.describe()),
                }));
            }
        }
        Format::Text => {
            println!(
                "Credentials (kept in the {}):",
                ws.credentials.kind().label()
            );
            for (decl, place, check) in &rows {
                let mark = match (place, check) {
                    (None, _) => "✗",
                    (Some(_), Some(Validity::Rejected(_))) => "✗",
                    (Some(_), _) => "✓",
                };
                let mark = match (&decl.provided_by, place) {
                    (Some(_), None) => "·",
                    _ => mark,
                };
                let place = match (&decl.provided_by, place) {
                    (_, Some(place)) => place.clone(),
                    (Some(step), None) => format!("provided by step `{step}` when it runs"),
                    (None, None) => format!("not set — {}", decl.description),
                };
                let detail = check
                    .map(|c| format!(" · {}", c.describe()))
                    .unwrap_or_default();
                println!("  {mark} {:<28} {place}{detail}", decl.name);
            }
        }
    }
    Ok(Exit::Success)
}
