//! Where lesson files come from: the copy embedded in the binary or a directory (`--lessons`).

pub enum LessonSource {
    Directory(std::path::PathBuf),
    Placeholder,
}

impl LessonSource {
    pub fn embedded() -> Self {
        LessonSource::Placeholder
    }

    pub fn describe(&self) -> String {
        "built-in lessons".into()
    }
}
