//! Token buckets that keep the agent's calls under the account's API quotas: one per API, shared
//! by every poller and the catalog, so that many log groups never add up to more than the quota.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Calls per second with a burst of one second's worth; clone to share.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    api: &'static str,
    bucket: Option<Arc<Mutex<Bucket>>>,
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `per_second` calls per second (0 = no limit).
    pub fn new(api: &'static str, per_second: f64) -> RateLimiter {
        let bucket = (per_second > 0.0).then(|| {
            let capacity = per_second.max(1.0);
            Arc::new(Mutex::new(Bucket { rate: per_second, capacity, tokens: capacity, last: Instant::now() }))
        });
        RateLimiter { api, bucket }
    }

    pub fn unlimited(api: &'static str) -> RateLimiter {
        RateLimiter::new(api, 0.0)
    }

    pub fn api(&self) -> &'static str {
        self.api
    }

    /// Waits for a token, counting the call in `metrics` when it had to wait.
    pub async fn acquire_counted(&self, metrics: &crate::telemetry::Metrics) {
        if !self.acquire().await.is_zero() {
            metrics.aws_rate_limited(self.api);
        }
    }

    /// Waits for a token; returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        let Some(bucket) = &self.bucket else { return Duration::ZERO };
        let started = Instant::now();
        loop {
            let wait = {
                let mut b = bucket.lock().expect("rate limiter lock");
                let now = Instant::now();
                b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * b.rate).min(b.capacity);
                b.last = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return started.elapsed();
                }
                Duration::from_secs_f64((1.0 - b.tokens) / b.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The buckets of `aws.rate_limits`.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub filter_log_events: RateLimiter,
    pub describe_log_groups: RateLimiter,
    pub api_gateway: RateLimiter,
    /// At most this many FilterLogEvents calls in flight at once, over all log groups.
    pub reads_in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

impl RateLimits {
    pub fn from_config(c: &crate::config::RateLimitsConfig) -> RateLimits {
        RateLimits {
            filter_log_events: RateLimiter::new("FilterLogEvents", c.filter_log_events),
            describe_log_groups: RateLimiter::new("DescribeLogGroups", c.describe_log_groups),
            api_gateway: RateLimiter::new("API Gateway", c.api_gateway),
            reads_in_flight: (c.concurrent_reads > 0)
                .then(|| Arc::new(tokio::sync::Semaphore::new(c.concurrent_reads))),
        }
    }

    pub fn unlimited() -> RateLimits {
        RateLimits {
            filter_log_events: RateLimiter::unlimited("FilterLogEvents"),
            describe_log_groups: RateLimiter::unlimited("DescribeLogGroups"),
            api_gateway: RateLimiter::unlimited("API Gateway"),
            reads_in_flight: None,
        }
    }

    /// Waits for a read slot (`aws.rate_limits.concurrent_reads`); hold it during the call.
    pub async fn read_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        match &self.reads_in_flight {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Controlled time: 20 calls from 4 tasks at 5 per second take a burst of 5, then 15 at
    /// 200 ms each: 3 s, and never more than 5 in any second.
    #[tokio::test(start_paused = true)]
    async fn calls_are_spread_to_the_rate_after_a_burst() {
        let limiter = RateLimiter::new("FilterLogEvents", 5.0);
        let start = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move {
                    let mut at = Vec::new();
                    for _ in 0..5 {
                        l.acquire().await;
                        at.push(start.elapsed());
                    }
                    at
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times.iter().filter(|t| t.is_zero()).count(), 5, "the burst");
        let last = *times.last().unwrap();
        assert!(last >= Duration::from_millis(2990) && last <= Duration::from_millis(3100), "{last:?}");
        for (i, t) in times.iter().enumerate().skip(5) {
            assert!(*t >= Duration::from_millis(200 * (i as u64 - 4)) - Duration::from_millis(5), "call {i} at {t:?}");
        }
        assert_eq!(RateLimiter::unlimited("x").acquire().await, Duration::ZERO);
    }
}
