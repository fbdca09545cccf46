//! Logs go to a file in the data dir (never the terminal the TUI owns), through the redactor.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::redact::Redactor;

pub const LOG_FILE: &str = "cdc-workshop.log";

/// Keeps the background log writer alive; logs written before drop are flushed.
#[must_use = "logs stop being written when the guard is dropped"]
pub struct LogGuard {
    _worker: WorkerGuard,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot create the log folder {path}: {source}")]
    Dir { path: PathBuf, source: io::Error },
    #[error("invalid log level `{level}`: {message} (try error, warn, info, debug or trace)")]
    Level { level: String, message: String },
}

/// Start logging to `<dir>/cdc-workshop.log` at `level` (an `EnvFilter` directive).
pub fn init(dir: &Path, level: &str, redactor: Redactor) -> Result<LogGuard, LogError> {
    std::fs::create_dir_all(dir).map_err(|source| LogError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let filter = EnvFilter::try_new(level).map_err(|e| LogError::Level {
        level: level.to_string(),
        message: e.to_string(),
    })?;
    let appender = tracing_appender::rolling::never(dir, LOG_FILE);
    let (writer, worker) = tracing_appender::non_blocking(appender);
    let make = RedactingMakeWriter {
        inner: writer,
        redactor,
    };
    // A second init (tests calling main twice) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(make)
        .with_ansi(false)
        .try_init();
    Ok(LogGuard {
        _worker: worker,
        path: dir.join(LOG_FILE),
    })
}

/// Wraps a writer so every formatted record passes the redactor before it is written.
#[derive(Clone)]
pub struct RedactingMakeWriter<W> {
    inner: W,
    redactor: Redactor,
}

impl<W> RedactingMakeWriter<W> {
    pub fn new(inner: W, redactor: Redactor) -> Self {
        Self { inner, redactor }
    }
}

pub struct RedactingWriter<W> {
    inner: W,
    redactor: Redactor,
}

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<W> {
    type Writer = RedactingWriter<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
        }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The fmt layer writes each record with one call, so a secret is never split across
        // two buffers.
        let text = String::from_utf8_lossy(buf);
        self.inner
            .write_all(self.redactor.redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_records_are_redacted_before_they_reach_the_file() {
        let redactor = Redactor::new();
        redactor.add("sup3r-s3cret");
        let capture = Capture::default();
        let make = RedactingMakeWriter::new(move || capture.clone(), redactor);
        let sink = make.inner.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(make)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(token = "sup3r-s3cret", "calling the API with sup3r-s3cret");
        });
        let written = String::from_utf8(sink().0.lock().unwrap().clone()).unwrap();
        assert!(written.contains("calling the API with ••••"), "{written}");
        assert!(!written.contains("sup3r-s3cret"));
    }

    #[test]
    fn a_bad_level_says_what_to_use() {
        let dir = tempfile::tempdir().unwrap();
        let err = init(dir.path(), "loud=[", Redactor::new())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("invalid log level `loud=[`"), "{err}");
    }
}
