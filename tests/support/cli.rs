//! Running the built binary in a temp home, for command-line scenario tests.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: failing loudly is their job, and not every test uses every helper"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cdc-workshop"))
}

/// Whether `terraform` is on PATH. Outside CI a missing one prints `skipped: {why}` and the
/// caller returns; under `CI=true` it fails the test.
pub fn terraform_on_path(why: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("terraform").is_file()))
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but terraform is not on PATH"
        );
        eprintln!("skipped: {why}");
    }
    found
}

pub fn fixture_course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-minimal")
}

/// A scratch home plus the lessons the commands read.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub lessons: PathBuf,
}

impl Home {
    pub fn with_fixture() -> Self {
        Self::with_lessons(fixture_course())
    }

    pub fn with_lessons(lessons: PathBuf) -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            lessons,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("CDC_WORKSHOP_HOME", self.path())
            .env("CDC_WORKSHOP_LESSONS", &self.lessons)
            .env_remove("CDC_WORKSHOP_CONFIG")
            .env_remove("CDC_WORKSHOP_DEMO_TOKEN")
            .env("NO_COLOR", "1");
        cmd
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Ran {
        Ran(self.command(args).output().expect("run the binary"))
    }

    /// The current run's journal.
    pub fn journal(&self) -> PathBuf {
        let id = std::fs::read_to_string(self.path().join("runs/current")).expect("a current run");
        self.path()
            .join("runs")
            .join(id.trim())
            .join("journal.jsonl")
    }

    pub fn work_dir(&self) -> PathBuf {
        self.journal().parent().expect("run dir").join("work")
    }
}

pub struct Ran(pub Output);

impl Ran {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Stdout parsed as JSON lines.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// Events of a given `type` in JSON-lines output.
pub fn of_type<'a>(lines: &'a [serde_json::Value], ty: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|v| v["type"] == ty).collect()
}

/// A one-track course (`only`, titled "Only") with one lesson `one` whose markdown is `body`.
pub fn write_course(dir: &Path, body: &str) {
    std::fs::write(
        dir.join("course.toml"),
        "format_version = 1\nid = \"t\"\ntitle = \"T\"\n\n[[tracks]]\nid = \"only\"\ntitle = \"Only\"\ndescription = \"d\"\nlessons = [\"one\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("one.md"), body).unwrap();
}
