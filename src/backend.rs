//! Real systems behind small interfaces. Knows nothing of the app or the UI.

pub mod aws;
pub mod confluent;
pub mod kafka;
pub mod sql;
pub mod terraform;
