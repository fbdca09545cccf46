//! One module per screen.

pub mod lesson;
pub mod welcome;
