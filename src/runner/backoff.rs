//! Exponential backoff with jitter between the attempts of a check.
//!
//! [`delay`] is a pure function of the policy, the attempt number and one uniform random number,
//! so it is table-testable; the randomness comes in through the [`Jitter`] seam.

use std::time::Duration;

use crate::lesson::PollPolicy;

/// How long to wait after attempt `attempt` (1-based) before the next one.
///
/// Attempt 1 waits `initial`, each later attempt `factor` times longer, capped at `max`. Jitter
/// then moves the delay uniformly within ±`jitter` of itself: `unit_random` in `[0, 1)` maps
/// linearly onto `[-jitter, +jitter)`, so `0.5` means "no jitter". The result is never negative
/// and never above `max × (1 + jitter)`.
///
/// Out-of-range policies are tolerated rather than trusted: a `factor` below 1 (or not finite)
/// counts as 1, a `jitter` outside `0..=1` is clamped, and attempt 0 counts as attempt 1.
pub fn delay(policy: &PollPolicy, attempt: u32, unit_random: f64) -> Duration {
    let initial_ns = policy.initial.as_nanos() as f64;
    let max_ns = policy.max.as_nanos() as f64;
    let factor = if policy.factor.is_finite() && policy.factor >= 1.0 {
        policy.factor
    } else {
        1.0
    };
    let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
    // A large exponent overflows to infinity, which the cap turns back into `max`.
    let base_ns = (initial_ns * factor.powi(exponent)).min(max_ns);

    let jitter = if policy.jitter.is_nan() {
        0.0
    } else {
        policy.jitter.clamp(0.0, 1.0)
    };
    let unit = if unit_random.is_nan() {
        0.5
    } else {
        unit_random.clamp(0.0, 1.0)
    };
    let jittered_ns = base_ns * (1.0 + jitter * (2.0 * unit - 1.0));
    // `as` saturates (and maps NaN to 0), which is exactly the clamping wanted here.
    Duration::from_nanos(jittered_ns.max(0.0).round() as u64)
}

/// Where the engine gets its uniform random number in `[0, 1)` for each delay.
pub trait Jitter: Send + Sync {
    fn unit(&self) -> f64;
}

/// Real randomness, so a room of fifty participants does not poll in lockstep.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn unit(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// Always the same number; `FixedJitter(0.5)` turns jitter off. For tests and reproducible runs.
#[derive(Debug, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl FixedJitter {
    /// The value that leaves every delay unchanged.
    pub const NONE: FixedJitter = FixedJitter(0.5);
}

impl Jitter for FixedJitter {
    fn unit(&self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(initial_ms: u64, max_ms: u64, factor: f64, jitter: f64) -> PollPolicy {
        PollPolicy {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(max_ms),
            factor,
            jitter,
        }
    }

    #[test]
    fn delay_table() {
        let plain = policy(1000, 30_000, 2.0, 0.0);
        let jittery = policy(1000, 30_000, 2.0, 0.2);
        let linear = policy(500, 10_000, 1.0, 0.0);
        let cases: &[(&str, PollPolicy, u32, f64, u64)] = &[
            ("first attempt waits initial", plain, 1, 0.5, 1000),
            ("attempt 0 counts as 1", plain, 0, 0.5, 1000),
            ("doubles", plain, 2, 0.5, 2000),
            ("doubles again", plain, 3, 0.5, 4000),
            ("fifth", plain, 5, 0.5, 16_000),
            ("capped at max", plain, 6, 0.5, 30_000),
            ("stays capped", plain, 40, 0.5, 30_000),
            (
                "huge attempt does not overflow",
                plain,
                u32::MAX,
                0.5,
                30_000,
            ),
            ("no jitter at the midpoint", jittery, 1, 0.5, 1000),
            ("lowest jitter", jittery, 1, 0.0, 800),
            ("jitter at 0.75", jittery, 2, 0.75, 2200),
            ("jitter at 0.9", jittery, 1, 0.9, 1160),
            ("jitter applies on top of the cap", jittery, 10, 0.9, 34_800),
            ("jitter below the cap", jittery, 10, 0.0, 24_000),
            ("factor 1 is constant", linear, 7, 0.5, 500),
            (
                "factor below 1 counts as 1",
                policy(500, 10_000, 0.5, 0.0),
                4,
                0.5,
                500,
            ),
            (
                "NaN factor counts as 1",
                policy(500, 10_000, f64::NAN, 0.0),
                4,
                0.5,
                500,
            ),
            (
                "jitter above 1 is clamped",
                policy(1000, 1000, 1.0, 3.0),
                1,
                0.0,
                0,
            ),
            (
                "negative jitter counts as none",
                policy(1000, 1000, 1.0, -1.0),
                1,
                0.0,
                1000,
            ),
            ("random out of range is clamped", jittery, 1, 7.0, 1200),
            ("NaN random means no jitter", jittery, 1, f64::NAN, 1000),
            (
                "initial above max is capped",
                policy(5000, 2000, 2.0, 0.0),
                1,
                0.5,
                2000,
            ),
            (
                "zero initial stays zero",
                policy(0, 2000, 2.0, 0.2),
                9,
                0.9,
                0,
            ),
        ];
        for (name, policy, attempt, unit, want_ms) in cases {
            let got = delay(policy, *attempt, *unit);
            assert_eq!(got, Duration::from_millis(*want_ms), "{name}");
        }
    }

    #[test]
    fn jitter_never_leaves_its_bounds() {
        let p = policy(1000, 8000, 3.0, 0.25);
        for attempt in 1..12 {
            for step in 0..=100 {
                // Up to just below 1: the top of the documented [0, 1) range.
                let unit = (f64::from(step) / 100.0).min(1.0 - f64::EPSILON);
                let got = delay(&p, attempt, unit);
                let base = delay(&p, attempt, 0.5);
                assert!(
                    got >= base.mul_f64(0.75),
                    "attempt {attempt} unit {unit}: {got:?}"
                );
                assert!(
                    got <= base.mul_f64(1.25),
                    "attempt {attempt} unit {unit}: {got:?}"
                );
                assert!(got <= Duration::from_millis(10_000), "above max*(1+jitter)");
            }
        }
    }

    #[test]
    fn fixed_jitter_none_is_the_midpoint() {
        assert_eq!(FixedJitter::NONE.unit(), 0.5);
        let r = RandomJitter.unit();
        assert!((0.0..1.0).contains(&r));
    }
}
