//! A module's workspace in the data dir: the module's files, materialised from the embedded
//! copy, next to the state Terraform keeps there.
//!
//! State is never lost: re-materialising rewrites only module files that changed, removes module
//! files the module no longer has, and never touches what Terraform owns (`.terraform/`, the
//! lock file, `terraform.tfstate*`) or anything else the guide did not write.

use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// The list of module files written last time, so stale ones can be removed safely.
const MANIFEST: &str = ".cdc-workshop-module";
/// Written after a successful `init` of the current files. A module with only built-in
/// resources never gets a `.terraform/` folder, so that alone cannot tell.
const INITIALISED: &str = ".cdc-workshop-initialised";

#[derive(Debug, Error)]
pub enum WorkspaceError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("module file `{0}` would land outside its workspace; module paths must be relative")]
    OutsidePath(String),
}

/// What materialising changed; `init` is needed after a change (or the first time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Materialised {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    /// `terraform init` has never run here.
    pub needs_init: bool,
}

impl Materialised {
    pub fn changed(&self) -> bool {
        !self.written.is_empty() || !self.removed.is_empty()
    }
}

/// Write `files` (path relative to the module, content) into `dir`.
pub fn materialise<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Materialised, WorkspaceError> {
    let io_err = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| WorkspaceError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let mut result = Materialised::default();
    let mut now = BTreeSet::new();
    for (rel, content) in files {
        let relative = Path::new(rel);
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(WorkspaceError::OutsidePath(rel.to_string()));
        }
        now.insert(rel.to_string());
        let path = dir.join(relative);
        if std::fs::read(&path).is_ok_and(|old| old == content) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        std::fs::write(&path, content).map_err(io_err("write", &path))?;
        result.written.push(rel.to_string());
    }
    let manifest = dir.join(MANIFEST);
    let before: BTreeSet<String> = std::fs::read_to_string(&manifest)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    // Only files this guide wrote before may be removed.
    for stale in before.difference(&now) {
        let path = dir.join(stale);
        match std::fs::remove_file(&path) {
            Ok(()) => result.removed.push(stale.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(WorkspaceError::Io {
                    action: "remove",
                    path,
                    source: e,
                });
            }
        }
    }
    let listing: String = now.iter().map(|f| format!("{f}\n")).collect();
    std::fs::write(&manifest, listing).map_err(io_err("write", &manifest))?;
    if result.changed() {
        let _ = std::fs::remove_file(dir.join(INITIALISED));
    }
    result.needs_init = !dir.join(INITIALISED).is_file();
    Ok(result)
}

/// Remember that `init` succeeded for the files now in `dir`.
pub fn mark_initialised(dir: &Path) -> Result<(), WorkspaceError> {
    let path = dir.join(INITIALISED);
    std::fs::write(&path, b"").map_err(|source| WorkspaceError::Io {
        action: "write",
        path,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_what_changed_and_never_touches_state() {
        let dir = tempfile::tempdir().unwrap();
        let first = materialise(
            dir.path(),
            [("main.tf", b"a".as_slice()), ("vars.tf", b"v".as_slice())],
        )
        .unwrap();
        assert_eq!(first.written, vec!["main.tf", "vars.tf"]);
        assert!(first.needs_init);

        // Terraform's own files appear after init and apply.
        mark_initialised(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join(".terraform")).unwrap();
        std::fs::write(dir.path().join("terraform.tfstate"), b"{state}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"the participant's").unwrap();

        let same = materialise(
            dir.path(),
            [("main.tf", b"a".as_slice()), ("vars.tf", b"v".as_slice())],
        )
        .unwrap();
        assert!(!same.changed() && !same.needs_init);

        let changed = materialise(dir.path(), [("main.tf", b"b".as_slice())]).unwrap();
        assert_eq!(
            (changed.written, changed.removed),
            (vec!["main.tf".to_string()], vec!["vars.tf".to_string()])
        );
        assert_eq!(
            std::fs::read(dir.path().join("terraform.tfstate")).unwrap(),
            b"{state}"
        );
        assert!(
            dir.path().join("notes.txt").exists(),
            "files the guide did not write are left alone"
        );
        assert!(dir.path().join(".terraform").is_dir());
        assert!(changed.needs_init, "changed files need a new init");
    }

    #[test]
    fn module_paths_cannot_escape_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let err = materialise(dir.path(), [("../x.tf", b"".as_slice())])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`../x.tf` would land outside its workspace"),
            "{err}"
        );
        assert!(materialise(dir.path(), [("/etc/x.tf", b"".as_slice())]).is_err());
    }
}
