//! Append-only event journal per workshop run, plus atomic snapshots of the derived state.
//!
//! Layout under the data dir:
//! ```text
//! runs/<run-id>/journal.jsonl    one JSON object per line, appended with a single write
//! runs/<run-id>/snapshot.json    derived state + the seq it covers (temp file + rename)
//! runs/current                   the id of the run the guide resumes
//! ```
//! A kill -9 can at worst leave a partial last line; opening the journal detects it, keeps every
//! good event, moves the damaged file aside (nothing is lost) and reports the path.

pub mod event;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

pub use event::{Completion, Event, Record, RunPurpose};

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const SNAPSHOT_FILE: &str = "snapshot.json";
const CURRENT_FILE: &str = "current";

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode a journal event: {0}")]
    Encode(#[from] serde_json::Error),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io {
        action,
        path,
        source,
    }
}

/// A damaged journal found on open: where, which line, and where the original was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
    pub kept_as: PathBuf,
    pub good_events: usize,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: damaged journal line ({}); resumed from the {} event(s) before it; the original is kept at {}",
            self.path.display(),
            self.line,
            self.reason,
            self.good_events,
            self.kept_as.display()
        )
    }
}

/// An open journal: appends records and remembers the next sequence number.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    file: File,
    next_seq: u64,
}

/// What opening a journal found.
#[derive(Debug)]
pub struct Opened {
    pub journal: Journal,
    pub records: Vec<Record>,
    pub damage: Option<Damage>,
}

impl Journal {
    /// Open (or create) the journal in `dir`, reading every good record.
    pub fn open(dir: &Path) -> Result<Opened, JournalError> {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let path = dir.join(JOURNAL_FILE);
        let (records, damage) = if path.exists() {
            read_records(&path)?
        } else {
            (Vec::new(), None)
        };
        if let Some(d) = &damage {
            // Keep the damaged original, then rewrite the good prefix so new appends start on
            // a clean line.
            fs::copy(&path, &d.kept_as).map_err(io_err("back up", &d.kept_as))?;
            let mut text = String::new();
            for r in &records {
                text.push_str(&serde_json::to_string(r)?);
                text.push('\n');
            }
            write_atomic(&path, text.as_bytes())?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        let next_seq = records.last().map_or(1, |r| r.seq + 1);
        Ok(Opened {
            journal: Journal {
                dir: dir.to_path_buf(),
                file,
                next_seq,
            },
            records,
            damage,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Append one event durably: one `write` of the whole line, then `fsync`.
    pub fn append(&mut self, event: Event, ts_ms: u64) -> Result<Record, JournalError> {
        let record = Record {
            seq: self.next_seq,
            ts_ms,
            event,
        };
        let mut line = serde_json::to_string(&record)?;
        line.push('\n');
        let path = self.path();
        self.file
            .write_all(line.as_bytes())
            .map_err(io_err("append to", &path))?;
        self.file.sync_data().map_err(io_err("sync", &path))?;
        self.next_seq += 1;
        Ok(record)
    }

    /// Write the derived state covering every record up to `seq`.
    pub fn write_snapshot<T: Serialize>(&self, seq: u64, state: &T) -> Result<(), JournalError> {
        let body = serde_json::to_vec_pretty(&Snapshot { seq, state })?;
        write_atomic(&self.dir.join(SNAPSHOT_FILE), &body)
    }

    /// The last snapshot, if one exists and parses; a bad snapshot is ignored (the journal is
    /// the source of truth).
    pub fn read_snapshot<T: DeserializeOwned>(dir: &Path) -> Option<(u64, T)> {
        let bytes = fs::read(dir.join(SNAPSHOT_FILE)).ok()?;
        let snap: Snapshot<T> = serde_json::from_slice(&bytes).ok()?;
        Some((snap.seq, snap.state))
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Snapshot<T> {
    seq: u64,
    state: T,
}

fn read_records(path: &Path) -> Result<(Vec<Record>, Option<Damage>), JournalError> {
    let file = File::open(path).map_err(io_err("open", path))?;
    let mut reader = BufReader::new(file);
    let mut records = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(io_err("read", path))?;
        if n == 0 {
            return Ok((records, None));
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&buf);
        let trimmed = text.trim();
        if trimmed.is_empty() && complete {
            continue;
        }
        let parsed: Result<Record, String> = if complete {
            serde_json::from_str(trimmed).map_err(|e| e.to_string())
        } else {
            Err("the last line was cut off mid-write".to_string())
        };
        match parsed {
            Ok(r) => records.push(r),
            Err(reason) => {
                let kept_as = path.with_extension(format!("jsonl.damaged-{}", std::process::id()));
                let good_events = records.len();
                return Ok((
                    records,
                    Some(Damage {
                        path: path.to_path_buf(),
                        line: line_no,
                        reason,
                        kept_as,
                        good_events,
                    }),
                ));
            }
        }
    }
}

/// Write a file so a reader sees either the old or the new content, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(bytes).map_err(io_err("write", &tmp))?;
        f.sync_all().map_err(io_err("sync", &tmp))?;
    }
    fs::rename(&tmp, path).map_err(io_err("replace", path))?;
    // Persist the rename itself; failure here only weakens durability, so it is not fatal.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The runs folder: which run is current, and where each run's journal lives.
#[derive(Debug, Clone)]
pub struct Runs {
    root: PathBuf,
}

impl Runs {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("runs"),
        }
    }

    pub fn dir(&self, run_id: &str) -> PathBuf {
        self.root.join(run_id)
    }

    pub fn current(&self) -> Option<String> {
        let id = fs::read_to_string(self.root.join(CURRENT_FILE)).ok()?;
        let id = id.trim().to_string();
        (!id.is_empty() && self.dir(&id).join(JOURNAL_FILE).exists()).then_some(id)
    }

    pub fn set_current(&self, run_id: &str) -> Result<(), JournalError> {
        write_atomic(
            &self.root.join(CURRENT_FILE),
            format!("{run_id}\n").as_bytes(),
        )
    }

    /// A fresh, sortable run id from a wall-clock timestamp.
    pub fn new_id(&self, wall_ms: u64) -> String {
        let mut id = format!("run-{wall_ms}");
        let mut n = 1;
        while self.dir(&id).exists() {
            n += 1;
            id = format!("run-{wall_ms}-{n}");
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entered(lesson: &str) -> Event {
        Event::LessonEntered {
            lesson: lesson.to_string(),
        }
    }

    #[test]
    fn appended_records_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut opened = Journal::open(dir.path()).unwrap();
        assert!(opened.records.is_empty());
        opened.journal.append(entered("a"), 10).unwrap();
        opened.journal.append(entered("b"), 20).unwrap();
        drop(opened);

        let again = Journal::open(dir.path()).unwrap();
        assert!(again.damage.is_none());
        let seqs: Vec<u64> = again.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
        assert_eq!(again.records[1].event, entered("b"));
        assert_eq!(again.journal.next_seq(), 3);
    }

    #[test]
    fn a_line_cut_off_mid_write_is_dropped_reported_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let mut opened = Journal::open(dir.path()).unwrap();
        opened.journal.append(entered("a"), 10).unwrap();
        opened.journal.append(entered("b"), 20).unwrap();
        drop(opened);
        // What a kill -9 in the middle of `write` leaves behind.
        let path = dir.path().join(JOURNAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"seq":3,"ts_ms":30,"type":"lesson_ent"#)
            .unwrap();
        drop(f);

        let mut again = Journal::open(dir.path()).unwrap();
        let damage = again.damage.clone().unwrap();
        assert_eq!(damage.line, 3);
        assert_eq!(damage.good_events, 2);
        assert!(damage.reason.contains("cut off"));
        assert!(damage.kept_as.exists(), "the damaged original is kept");
        assert!(
            damage
                .to_string()
                .contains(&format!("{}:3:", path.display()))
        );
        assert_eq!(again.records.len(), 2);
        // Appending after recovery produces a clean journal.
        again.journal.append(entered("c"), 40).unwrap();
        drop(again);
        let third = Journal::open(dir.path()).unwrap();
        assert!(third.damage.is_none());
        assert_eq!(third.records.len(), 3);
        assert_eq!(third.records[2].seq, 3);
    }

    #[test]
    fn garbage_in_the_middle_keeps_the_good_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let mut opened = Journal::open(dir.path()).unwrap();
        opened.journal.append(entered("a"), 10).unwrap();
        drop(opened);
        let path = dir.path().join(JOURNAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"not json\n").unwrap();
        f.write_all(br#"{"seq":3,"ts_ms":30,"type":"lesson_entered","lesson":"z"}"#)
            .unwrap();
        f.write_all(b"\n").unwrap();
        drop(f);

        let again = Journal::open(dir.path()).unwrap();
        let damage = again.damage.unwrap();
        assert_eq!((damage.line, damage.good_events), (2, 1));
        assert_eq!(again.records.len(), 1);
        let kept = fs::read_to_string(damage.kept_as).unwrap();
        assert!(kept.contains("not json"), "nothing is lost: {kept}");
    }

    #[test]
    fn snapshots_are_atomic_and_a_bad_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let opened = Journal::open(dir.path()).unwrap();
        opened
            .journal
            .write_snapshot(7, &vec!["x".to_string()])
            .unwrap();
        let (seq, state): (u64, Vec<String>) = Journal::read_snapshot(dir.path()).unwrap();
        assert_eq!((seq, state), (7, vec!["x".to_string()]));
        fs::write(dir.path().join(SNAPSHOT_FILE), b"{ broken").unwrap();
        assert!(Journal::read_snapshot::<Vec<String>>(dir.path()).is_none());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn current_run_pointer_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let runs = Runs::new(dir.path());
        assert_eq!(runs.current(), None);
        let id = runs.new_id(1234);
        Journal::open(&runs.dir(&id)).unwrap();
        runs.set_current(&id).unwrap();
        assert_eq!(runs.current(), Some(id.clone()));
        assert_ne!(
            runs.new_id(1234),
            id,
            "ids never collide with an existing run"
        );
    }
}
