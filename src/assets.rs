//! What lessons use besides their text: Terraform modules (and later seed scripts, schemas),
//! from the copy embedded in the binary or from a folder (`--assets`, or `assets/` beside
//! `--lessons`).

use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use thiserror::Error;

pub mod interface;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");

/// Where Terraform modules live inside the assets.
pub const TERRAFORM_DIR: &str = "terraform";

#[derive(Debug, Error)]
pub enum AssetError {
    #[error(
        "no terraform module `{module}` in {source_desc} (looked for {TERRAFORM_DIR}/{module}/); check the step's `module`"
    )]
    NoModule { module: String, source_desc: String },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
}

#[derive(Clone)]
pub enum Assets {
    Embedded(&'static Dir<'static>),
    Directory(PathBuf),
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Assets({})", self.describe())
    }
}

impl Assets {
    pub fn embedded() -> Self {
        Assets::Embedded(&EMBEDDED)
    }

    /// `--assets` when given; else `assets/` beside a `--lessons` folder when it exists; else
    /// the built-in assets.
    pub fn choose(assets: Option<&Path>, lessons: Option<&Path>) -> Self {
        if let Some(dir) = assets {
            return Assets::Directory(dir.to_path_buf());
        }
        let beside = lessons
            .and_then(Path::parent)
            .map(|p| p.join("assets"))
            .filter(|p| p.is_dir());
        match beside {
            Some(dir) => Assets::Directory(dir),
            None => Self::embedded(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Assets::Embedded(_) => "the built-in assets".to_string(),
            Assets::Directory(dir) => dir.display().to_string(),
        }
    }

    pub fn has_module(&self, module: &str) -> bool {
        let rel = Path::new(TERRAFORM_DIR).join(module);
        match self {
            Assets::Embedded(dir) => dir.get_dir(&rel).is_some(),
            Assets::Directory(root) => root.join(rel).is_dir(),
        }
    }

    /// The variables and outputs a module declares.
    pub fn module_interface(
        &self,
        module: &str,
    ) -> Result<interface::ModuleInterface, interface::InterfaceError> {
        interface::read(module, &self.module_files(module)?)
    }

    /// Every file of a module, as (path relative to the module, content), sorted by path.
    pub fn module_files(&self, module: &str) -> Result<Vec<(String, Vec<u8>)>, AssetError> {
        let rel = Path::new(TERRAFORM_DIR).join(module);
        let missing = || AssetError::NoModule {
            module: module.to_string(),
            source_desc: self.describe(),
        };
        let mut files = Vec::new();
        match self {
            Assets::Embedded(dir) => {
                let module_dir = dir.get_dir(&rel).ok_or_else(missing)?;
                collect_embedded(module_dir, &rel, &mut files);
            }
            Assets::Directory(root) => {
                let base = root.join(&rel);
                if !base.is_dir() {
                    return Err(missing());
                }
                collect_dir(&base, &base, &mut files)?;
            }
        }
        files.sort();
        Ok(files)
    }
}

fn collect_embedded(dir: &Dir<'static>, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for file in dir.files() {
        if let Ok(rel) = file.path().strip_prefix(base) {
            out.push((portable(rel), file.contents().to_vec()));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, base, out);
    }
}

fn collect_dir(
    dir: &Path,
    base: &Path,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), AssetError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AssetError::Read { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        // An author's working copy may hold Terraform's own files from a manual run; the
        // module is only what they wrote.
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".terraform") || name.starts_with("terraform.tfstate") {
            continue;
        }
        if path.is_dir() {
            collect_dir(&path, base, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            let content = std::fs::read(&path).map_err(read_err(&path))?;
            out.push((portable(rel), content));
        }
    }
    Ok(())
}

fn portable(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_module_lists_its_files_without_terraform_state() {
        let root = tempfile::tempdir().unwrap();
        let module = root.path().join("terraform/demo");
        std::fs::create_dir_all(module.join("files")).unwrap();
        std::fs::create_dir_all(module.join(".terraform")).unwrap();
        std::fs::write(module.join("main.tf"), "a").unwrap();
        std::fs::write(module.join("files/seed.sql"), "b").unwrap();
        std::fs::write(module.join("terraform.tfstate"), "{}").unwrap();
        let assets = Assets::Directory(root.path().to_path_buf());
        assert!(assets.has_module("demo"));
        let files = assets.module_files("demo").unwrap();
        assert_eq!(
            files,
            vec![
                ("files/seed.sql".to_string(), b"b".to_vec()),
                ("main.tf".to_string(), b"a".to_vec())
            ]
        );
        let err = assets.module_files("nope").unwrap_err().to_string();
        assert!(err.contains("terraform/nope/"), "{err}");
    }

    #[test]
    fn assets_beside_a_lessons_folder_are_found() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("lessons")).unwrap();
        std::fs::create_dir_all(root.path().join("assets")).unwrap();
        let chosen = Assets::choose(None, Some(&root.path().join("lessons")));
        assert_eq!(
            chosen.describe(),
            root.path().join("assets").display().to_string()
        );
        assert_eq!(Assets::choose(None, None).describe(), "the built-in assets");
    }
}
