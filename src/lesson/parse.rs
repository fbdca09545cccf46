//! One lesson file (front matter + markdown + fenced TOML blocks) → [`Lesson`](super::Lesson).
