//! The `$CDC_WORKSHOP_OUTPUT` file a step writes `name=value` lines into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Parses `name=value` lines. Later lines win (a script may refine a value); lines without `=`
/// and blank lines are ignored; the value is everything after the first `=`.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('=')?;
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_string(), value.trim_end_matches('\r').to_string()))
        })
        .collect()
}

/// A fresh, empty output file in the work dir, removed again when dropped so a later run can
/// never pick up stale values.
pub struct OutputFile {
    path: PathBuf,
}

impl OutputFile {
    pub async fn create(dir: &Path, step: &str) -> std::io::Result<Self> {
        let safe_step: String = step
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!(
            ".cdc-workshop-output-{safe_step}-{:016x}",
            rand::random::<u64>()
        ));
        tokio::fs::write(&path, b"").await?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        // Best effort: a leftover empty-or-stale file is harmless, the next run uses a new name.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_value_lines() {
        let got = parse("a=1\nurl=http://x/?q=1\r\n\njunk\n=nameless\n b =2\na=3\nempty=\n");
        let want: BTreeMap<String, String> = [
            ("a", "3"),
            ("url", "http://x/?q=1"),
            ("b", "2"),
            ("empty", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn output_file_is_fresh_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let file = OutputFile::create(dir.path(), "make cluster")
            .await
            .unwrap();
        let path = file.path().to_path_buf();
        assert!(path.starts_with(dir.path()));
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .contains("make_cluster")
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        let other = OutputFile::create(dir.path(), "make cluster")
            .await
            .unwrap();
        assert_ne!(other.path(), path);
        drop(file);
        assert!(!path.exists());
    }
}
