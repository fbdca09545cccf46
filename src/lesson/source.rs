//! Where lesson files come from: the copy embedded in the binary or a directory (`--lessons`).
//!
//! Everything above this layer addresses files by their path relative to the lessons root, so
//! diagnostics read the same (`welcome.md:12`) whichever source the course came from.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lessons");

#[derive(Clone)]
pub enum LessonSource {
    /// The `lessons/` folder compiled into the binary.
    Embedded(&'static Dir<'static>),
    /// An author's working copy, given with `--lessons DIR`.
    Directory(PathBuf),
}

impl fmt::Debug for LessonSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The embedded tree is large; its description is what matters in logs and test output.
        write!(f, "LessonSource({})", self.describe())
    }
}

impl LessonSource {
    /// The lessons shipped inside the binary.
    pub fn embedded() -> Self {
        LessonSource::Embedded(&EMBEDDED)
    }

    pub fn directory(path: impl Into<PathBuf>) -> Self {
        LessonSource::Directory(path.into())
    }

    /// For people: where the course is being read from.
    pub fn describe(&self) -> String {
        match self {
            LessonSource::Embedded(_) => "built-in lessons".to_string(),
            LessonSource::Directory(dir) => dir.display().to_string(),
        }
    }

    /// Read a file given relative to the lessons root. Errors name the path.
    pub fn read_to_string(&self, rel: &Path) -> io::Result<String> {
        check_relative(rel)?;
        match self {
            LessonSource::Embedded(dir) => {
                let file = dir.get_file(rel).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{} is not among the built-in lessons", rel.display()),
                    )
                })?;
                file.contents_utf8().map(str::to_owned).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("built-in {} is not valid UTF-8", rel.display()),
                    )
                })
            }
            LessonSource::Directory(root) => {
                let path = root.join(rel);
                std::fs::read_to_string(&path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
            }
        }
    }

    /// Whether a file exists at `rel` (directories do not count).
    pub fn exists(&self, rel: &Path) -> bool {
        if check_relative(rel).is_err() {
            return false;
        }
        match self {
            LessonSource::Embedded(dir) => dir.get_file(rel).is_some(),
            LessonSource::Directory(root) => root.join(rel).is_file(),
        }
    }
}

/// Lesson ids become paths; refuse anything that could step outside the lessons root.
fn check_relative(rel: &Path) -> io::Result<()> {
    let ok = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if ok && !rel.as_os_str().is_empty() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a path inside the lessons folder", rel.display()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let src = LessonSource::directory(dir.path());
        let err = src.read_to_string(Path::new("nope.md")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope.md"), "{err}");
        assert!(!src.exists(Path::new("nope.md")));
        std::fs::write(dir.path().join("a.md"), "hi").unwrap();
        assert!(src.exists(Path::new("a.md")));
        assert_eq!(src.read_to_string(Path::new("a.md")).unwrap(), "hi");
        assert_eq!(src.describe(), dir.path().display().to_string());
    }

    #[test]
    fn refuses_paths_outside_the_root() {
        let src = LessonSource::embedded();
        assert!(src.read_to_string(Path::new("../Cargo.toml")).is_err());
        assert!(!src.exists(Path::new("/etc/passwd")));
    }

    #[test]
    fn embedded_has_the_course() {
        let src = LessonSource::embedded();
        assert_eq!(src.describe(), "built-in lessons");
        assert!(src.exists(Path::new("course.toml")));
        assert!(
            src.read_to_string(Path::new("course.toml"))
                .unwrap()
                .contains("format_version")
        );
    }
}
