//! Small reusable pieces of the screens.

pub mod chrome;
pub mod log_pane;
pub mod provision;
