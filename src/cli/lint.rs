//! `cdc-workshop lint`: every problem in the lessons as `file:line: message`.

use std::path::PathBuf;

use crate::assets::Assets;
use crate::config::{EnvLookup, Overrides, Settings};
use crate::lesson::source::LessonSource;
use crate::lesson::{Diagnostic, lint};
use crate::workspace::Workspace;

use super::{CliError, Exit};

pub fn run(overrides: &Overrides, env: EnvLookup) -> Result<Exit, CliError> {
    let settings =
        Settings::load(overrides, env).map_err(crate::workspace::WorkspaceError::from)?;
    let source = Workspace::lesson_source(&settings);
    let assets = Assets::choose(settings.assets.as_deref(), settings.lessons.as_deref());
    let problems = lint::lint_with(&source, Some(&assets));
    for d in &problems {
        println!("{}", located(&source, d));
    }
    if problems.is_empty() {
        eprintln!("{}: no problems found", source.describe());
        Ok(Exit::Success)
    } else {
        eprintln!("{}: {} problem(s)", source.describe(), problems.len());
        Ok(Exit::Failure)
    }
}

/// `file:line: message` with the file as the author finds it on disk.
fn located(source: &LessonSource, d: &Diagnostic) -> String {
    let root = match source {
        LessonSource::Directory(dir) => dir.clone(),
        _ => PathBuf::from("lessons"),
    };
    format!(
        "{}:{}: {}",
        root.join(&d.pos.file).display(),
        d.pos.line,
        d.message
    )
}
