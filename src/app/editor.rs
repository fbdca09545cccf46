//! Handing the terminal to the participant's editor (`$VISUAL`, `$EDITOR`, else `vi`) for one
//! file, the way git and gitui do: leave the alternate screen, run it, come back.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EditorError {
    #[error("cannot prepare {path}: {source}")]
    Prepare { path: PathBuf, source: io::Error },
    #[error("cannot start the editor `{editor}`: {source}; set $EDITOR to an editor on your PATH")]
    Start { editor: String, source: io::Error },
    #[error("the editor `{editor}` exited with {status}; the file keeps what was saved")]
    Failed { editor: String, status: String },
}

/// The editor command line: `$VISUAL`, then `$EDITOR`, then `vi`.
pub fn editor_command(env: &dyn Fn(&str) -> Option<String>) -> String {
    env("VISUAL")
        .or_else(|| env("EDITOR"))
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Write `seed` to `path` unless the file already exists (a previous edit is kept).
pub fn seed_file(path: &Path, seed: &str) -> Result<(), EditorError> {
    let prepare = |source| EditorError::Prepare {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(prepare)?;
    }
    let tmp = path.with_extension("sql.tmp");
    std::fs::write(&tmp, format!("{seed}\n")).map_err(prepare)?;
    std::fs::rename(&tmp, path).map_err(prepare)
}

/// Run the editor on `path` with the terminal's stdio and wait for it. The command goes through
/// `sh` so editor settings with arguments (`code --wait`) work; the path travels as `$1`.
pub fn run_editor(editor: &str, path: &Path) -> Result<(), EditorError> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|source| EditorError::Start {
            editor: editor.to_string(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(EditorError::Failed {
            editor: editor.to_string(),
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_first_edit_starts_from_the_lesson_and_a_later_one_from_the_saved_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits/l/s.sql");
        seed_file(&path, "SELECT 1;").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "SELECT 1;\n");
        std::fs::write(&path, "SELECT 2;\n").unwrap();
        seed_file(&path, "SELECT 1;").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "SELECT 2;\n");
    }

    #[test]
    fn the_editor_runs_with_the_path_as_its_argument_and_failures_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("with space.sql");
        seed_file(&path, "SELECT 1;").unwrap();
        run_editor("sed -i s/1/42/", &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "SELECT 42;\n");
        let err = run_editor("false", &path).unwrap_err().to_string();
        assert!(err.contains("`false` exited"), "{err}");
    }

    #[test]
    fn visual_wins_over_editor_and_vi_is_the_last_resort() {
        let both = |k: &str| match k {
            "VISUAL" => Some("nano".to_string()),
            "EDITOR" => Some("vim".to_string()),
            _ => None,
        };
        assert_eq!(editor_command(&both), "nano");
        assert_eq!(editor_command(&|_: &str| None), "vi");
    }
}
