//! Exponential backoff with "equal jitter" (wait = d/2 + rand[0, d/2), d doubling up to a cap),
//! as libbeat does; reset after a success.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    init: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(init: Duration, max: Duration) -> Backoff {
        Backoff { init, max: max.max(init), current: init }
    }

    /// The wait before the next attempt; each call doubles the base up to `max`.
    pub fn next_wait(&mut self) -> Duration {
        let d = self.current;
        self.current = (self.current * 2).min(self.max);
        let half = d / 2;
        half + rand::rng().random_range(Duration::ZERO..=half)
    }

    pub fn reset(&mut self) {
        self.current = self.init;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_jitter_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(4));
        let waits: Vec<Duration> = (0..5).map(|_| b.next_wait()).collect();
        for (w, base) in waits.iter().zip([1u64, 2, 4, 4, 4]) {
            let base = Duration::from_secs(base);
            assert!(*w >= base / 2 && *w <= base, "{w:?} not in [{:?}, {base:?}]", base / 2);
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_secs(1));
    }
}
