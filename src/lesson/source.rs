//! Where lesson files come from: the copy embedded in the binary or a directory (`--lessons`).

pub struct LessonSource;
