//! One module per screen.

pub mod lesson;
pub mod setup;
pub mod welcome;
