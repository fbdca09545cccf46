//! Time as a seam: the engine asks a [`Clock`] instead of the OS so tests control time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

pub trait Clock: Send + Sync {
    /// Monotonic time for deadlines and elapsed timers (tokio's, so paused-time tests work).
    fn now(&self) -> Instant;
    /// Wall-clock milliseconds since the Unix epoch, for journal timestamps.
    fn wall_ms(&self) -> u64;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Milliseconds of a duration, saturating (for durations written to JSON).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
