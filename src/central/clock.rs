//! Time for the token client: wall-clock seconds for JWT claims, a monotonic instant for the
//! cache. Injected so that tests can move time and skew the wall clock.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch, by this machine's clock.
    fn unix_now(&self) -> i64;
    fn now(&self) -> Instant;
}

/// The real clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
    fn now(&self) -> Instant {
        Instant::now()
    }
}
