//! [`Secret`]: a credential value that cannot be printed by accident.

use std::fmt;

use crate::lesson::template::SECRET_MASK;

/// A credential value. `Debug` and `Display` show `••••`; the value itself only through
/// [`Secret::expose`], at the one place that hands it to an HTTP request or a process
/// environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_debug_nor_display_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), SECRET_MASK);
        assert_eq!(format!("{s:?}"), SECRET_MASK);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({SECRET_MASK})"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
