//! The shared fixtures beside the project (`../shared/fixtures`), never copied into it.

#![allow(dead_code)]

use std::path::PathBuf;

/// The fixture folder, or `None` (with the reason printed) when `shared/` is not beside the
/// project. Under `CI=true` its absence fails the test.
pub fn dir(sub: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(sub);
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI=true but {} is missing: check out shared/ beside the project",
        path.display()
    );
    eprintln!(
        "skipped: {} is missing (check out shared/ beside the project)",
        path.display()
    );
    None
}
