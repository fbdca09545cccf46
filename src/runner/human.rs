//! Short, human wording for durations in messages ("4s", "2m", "1m30s", "250ms").
//!
//! `humantime` prints every unit down to nanoseconds, which is noise for a jittered poll delay a
//! participant glances at; these are rounded to what a person cares about.

use std::time::Duration;

/// `d` rounded to the unit that matters: milliseconds under a second, whole seconds under a
/// minute, then minutes and seconds, then hours and minutes.
pub fn short_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    // Round to the nearest second so a jittered 3.6 s reads "4s", not "3s".
    let secs = (d + Duration::from_millis(500)).as_secs();
    let (hours, minutes, seconds) = (secs / 3600, (secs / 60) % 60, secs % 60);
    match (hours, minutes, seconds) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_unit_that_matters() {
        let cases = [
            (Duration::ZERO, "0ms"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_millis(999), "999ms"),
            (Duration::from_millis(1000), "1s"),
            (Duration::from_millis(3600), "4s"),
            (Duration::from_millis(59_400), "59s"),
            (Duration::from_millis(59_600), "1m"),
            (Duration::from_secs(120), "2m"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h"),
            (Duration::from_secs(3600 + 25 * 60 + 10), "1h25m"),
        ];
        for (d, want) in cases {
            assert_eq!(short_duration(d), want, "{d:?}");
        }
    }
}
