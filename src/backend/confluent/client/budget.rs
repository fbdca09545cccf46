//! The per-process request budget: a token bucket per API (host, and the Metrics API on its
//! own), shared by every clone of the client, so polling never exceeds what Confluent allows.
//!
//! Policy: a call that finds its bucket empty waits for the next token (the caller sleeps the
//! returned duration and asks again); after the retry budget it gives up with
//! `BudgetExhausted`, which checks treat as "pending" and poll again later.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The Metrics API allows 60 requests a minute per IP; stay clearly below.
pub const METRICS_REQUESTS_PER_MIN: u32 = 50;
/// Everything else: Confluent does not publish one number for all APIs; four a second per host
/// is far below what a single participant's checks need and what the APIs accept.
pub const DEFAULT_REQUESTS_PER_MIN: u32 = 240;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

#[derive(Debug, Default)]
pub struct Budget {
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Overrides of the per-minute limits (tests use small ones).
    limits: HashMap<&'static str, u32>,
}

/// Which bucket a URL draws from: `metrics` or its host.
fn family(url: &str) -> (String, &'static str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest).to_string();
    if rest.contains("/v2/metrics/") {
        (format!("metrics@{host}"), "metrics")
    } else {
        (host, "default")
    }
}

impl Budget {
    pub fn new() -> Self {
        Self::default()
    }

    /// A budget with its own limits per minute for `metrics` and `default`.
    pub fn with_limits(metrics_per_min: u32, default_per_min: u32) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            limits: [("metrics", metrics_per_min), ("default", default_per_min)].into(),
        }
    }

    fn per_min(&self, family: &str) -> u32 {
        self.limits.get(family).copied().unwrap_or(match family {
            "metrics" => METRICS_REQUESTS_PER_MIN,
            _ => DEFAULT_REQUESTS_PER_MIN,
        })
    }

    /// Take a token for a request to `url`, or learn how long until one is free.
    pub fn take(&self, url: &str) -> Result<(), Duration> {
        let (key, family) = family(url);
        let per_min = f64::from(self.per_min(family).max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key).or_insert_with(|| Bucket {
            tokens: per_min,
            capacity: per_min,
            per_sec: per_min / 60.0,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * bucket.per_sec).min(bucket.capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            let millis = (missing / bucket.per_sec * 1000.0).ceil();
            // Finite and positive by construction (per_sec > 0); the cast saturates anyway.
            Err(Duration::from_millis(millis.max(1.0) as u64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_refills_at_the_documented_rate_per_host() {
        let budget = Budget::with_limits(2, 3);
        let m = "https://api.telemetry.confluent.cloud/v2/metrics/cloud/query";
        assert!(budget.take(m).is_ok());
        assert!(budget.take(m).is_ok());
        let wait = budget.take(m).unwrap_err();
        assert_eq!(
            wait.as_secs(),
            30,
            "two a minute: the next token comes in 30 s"
        );
        // Another API has its own bucket.
        assert!(
            budget
                .take("https://api.confluent.cloud/cmk/v2/clusters")
                .is_ok()
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(budget.take(m).is_ok());
        assert!(budget.take(m).is_err());
    }
}
