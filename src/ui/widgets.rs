//! Small reusable pieces of the screens.

pub mod chrome;
pub mod lineage;
pub mod live;
pub mod log_pane;
pub mod provision;
