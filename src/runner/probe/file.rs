//! `file` checks: a path exists (or not), and its content contains or matches something.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use regex::RegexBuilder;
use tokio::io::AsyncReadExt;

use crate::lesson::FileCheck;
use crate::runner::ProbeContext;
use crate::runner::outcome::{Observation, Verdict};

/// Only this much of a file is read for `contains`/`matches`; checks look at markers and
/// config files, and a participant's 4 GB log must not be pulled into memory every poll.
pub const MAX_FILE_READ_BYTES: u64 = 8 * 1024 * 1024;

pub(super) async fn probe(check: &FileCheck, ctx: &ProbeContext) -> Observation {
    let shown = check.path.display(ctx.values.as_ref());
    let rendered = match check.path.render(ctx.values.as_ref()) {
        Ok(p) => p,
        Err(e) => return Observation::new(Verdict::Fail, format!("{shown}: {e}")),
    };
    let path = resolve(&rendered, &ctx.work_dir);

    let meta = match tokio::fs::metadata(&path).await {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return if check.exists {
                Observation::new(Verdict::Fail, format!("{shown} does not exist"))
            } else {
                Observation::new(Verdict::Pass, format!("{shown} is absent"))
            };
        }
        Err(e) => return Observation::new(Verdict::Fail, format!("{shown}: cannot inspect: {e}")),
    };
    if !check.exists {
        return Observation::new(Verdict::Fail, format!("{shown} exists but should not"));
    }
    if check.contains.is_none() && check.matches.is_none() {
        let what = if meta.is_dir() {
            "directory".to_string()
        } else {
            format!("{} bytes", meta.len())
        };
        return Observation::new(Verdict::Pass, format!("{shown}: {what}"));
    }
    if meta.is_dir() {
        return Observation::new(Verdict::Fail, format!("{shown} is a directory, not a file"));
    }

    let content = match read_capped(&path).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Observation::new(Verdict::Fail, format!("{shown}: cannot read: {e}")),
    };
    let mut facts = vec![format!("{} bytes", meta.len())];
    let mut verdict = Verdict::Pass;
    if let Some(needle) = &check.contains {
        if content.contains(needle.as_str()) {
            facts.push(format!("contains '{needle}'"));
        } else {
            facts.push(format!("no '{needle}'"));
            verdict = Verdict::Fail;
        }
    }
    if let Some(pattern) = &check.matches {
        // Files are read as lines: `^` and `$` anchor at line boundaries, which is what an
        // author means by '^hello$' for a file whose content is "hello\n".
        match RegexBuilder::new(pattern).multi_line(true).build() {
            Ok(re) if re.is_match(&content) => facts.push(format!("matches /{pattern}/")),
            Ok(_) => {
                facts.push(format!("no match for /{pattern}/"));
                verdict = Verdict::Fail;
            }
            Err(e) => {
                facts.push(format!("the check's pattern /{pattern}/ is invalid: {e}"));
                verdict = Verdict::Fail;
            }
        }
    }
    Observation::new(verdict, format!("{shown}: {}", facts.join(", ")))
}

/// `~/…` is the home directory; a relative path is relative to the run's work dir.
fn resolve(rendered: &str, work_dir: &Path) -> PathBuf {
    let home_relative = if rendered == "~" {
        Some("")
    } else {
        rendered.strip_prefix("~/")
    };
    if let Some(rest) = home_relative
        && let Some(dirs) = directories::BaseDirs::new()
    {
        return dirs.home_dir().join(rest);
    }
    let path = Path::new(rendered);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        work_dir.join(path)
    }
}

async fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_READ_BYTES)
        .read_to_end(&mut bytes)
        .await?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_absolute_and_home_paths() {
        let work = Path::new("/work/run");
        assert_eq!(
            resolve("marker.txt", work),
            Path::new("/work/run/marker.txt")
        );
        assert_eq!(resolve("/etc/hosts", work), Path::new("/etc/hosts"));
        let home = directories::BaseDirs::new()
            .unwrap()
            .home_dir()
            .to_path_buf();
        assert_eq!(resolve("~/x/y", work), home.join("x/y"));
        assert_eq!(resolve("~", work), home);
        // Only a leading `~/` means home; `~user` and `a/~/b` are ordinary relative paths.
        assert_eq!(resolve("~user/x", work), Path::new("/work/run/~user/x"));
    }
}
