//! Rendering: reads the model, never calls a backend or spawns a task.

pub mod markdown;
pub mod theme;
pub mod widgets;
