//! Which transactions are sent: the exception list (path regexes that drop a transaction) and
//! sampling, decided from the transaction id alone so that a re-read transaction gets the same
//! answer.

use crate::access_log::ApiCall;
use crate::config::TraceabilityConfig;
use regex::RegexSet;

/// Why a transaction was not sent (the `reason` of `apigw_agent_records_filtered_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    ExceptionList,
    NotAnError,
    Sampling,
}

impl Dropped {
    pub fn label(self) -> &'static str {
        match self {
            Dropped::ExceptionList => "exception_list",
            Dropped::NotAnError => "only_errors",
            Dropped::Sampling => "sampling",
        }
    }
}

/// Compiled once from `traceability.*`.
#[derive(Debug, Clone)]
pub struct TransactionFilter {
    exceptions: RegexSet,
    /// Kept when the transaction's bucket (0-9999) is below this.
    threshold: u64,
    per_api: bool,
    only_errors: bool,
}

impl TransactionFilter {
    /// Patterns were checked by the configuration validation; an invalid one here is a bug.
    pub fn from_config(t: &TraceabilityConfig) -> TransactionFilter {
        TransactionFilter {
            exceptions: RegexSet::new(t.exception_list.iter()).expect("exception_list validated at start-up"),
            threshold: (t.sampling.percentage.clamp(0.0, 100.0) * 100.0).round() as u64,
            per_api: t.sampling.per_api,
            only_errors: t.sampling.only_errors,
        }
    }

    /// `Ok` to send the transaction, or why not.
    pub fn check(&self, call: &ApiCall) -> Result<(), Dropped> {
        if self.exceptions.is_match(&call.path) {
            return Err(Dropped::ExceptionList);
        }
        if self.only_errors && call.status < 400 {
            return Err(Dropped::NotAnError);
        }
        if self.threshold >= 10_000 {
            return Ok(());
        }
        let mut h = fnv1a(call.request_id.as_bytes(), FNV_OFFSET);
        if self.per_api {
            h = fnv1a(call.api_id.as_deref().unwrap_or("").as_bytes(), h);
        }
        if h % 10_000 < self.threshold {
            Ok(())
        } else {
            Err(Dropped::Sampling)
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: stable across runs, platforms and Rust versions (unlike std's hasher).
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{List, TraceabilityConfig};

    fn call(id: &str, path: &str, status: u16) -> ApiCall {
        ApiCall { request_id: id.into(), path: path.into(), status, api_id: Some("api1".into()), ..ApiCall::default() }
    }

    fn filter(edit: impl FnOnce(&mut TraceabilityConfig)) -> TransactionFilter {
        let mut t = TraceabilityConfig::default();
        edit(&mut t);
        TransactionFilter::from_config(&t)
    }

    #[test]
    fn by_default_everything_is_sent() {
        let f = filter(|_| {});
        assert!((0..1000).all(|i| f.check(&call(&format!("r{i}"), "/x", 200)).is_ok()));
    }

    #[test]
    fn the_exception_list_drops_matching_paths() {
        let f = filter(|t| t.exception_list = List::of(&["^/prod/health$", "/internal/"]));
        assert_eq!(f.check(&call("a", "/prod/health", 200)), Err(Dropped::ExceptionList));
        assert_eq!(f.check(&call("b", "/prod/internal/x", 500)), Err(Dropped::ExceptionList));
        assert_eq!(f.check(&call("c", "/prod/healthz", 200)), Ok(()));
    }

    #[test]
    fn sampling_keeps_about_the_percentage_and_decides_the_same_way_twice() {
        let f = filter(|t| t.sampling.percentage = 10.0);
        let kept = (0..20_000).filter(|i| f.check(&call(&format!("req-{i}"), "/x", 200)).is_ok()).count();
        assert!((1_800..=2_200).contains(&kept), "kept {kept} of 20000 at 10%");
        for i in 0..100 {
            let c = call(&format!("req-{i}"), "/x", 200);
            assert_eq!(f.check(&c), f.check(&c));
        }
        assert!((0..1000).all(|i| filter(|t| t.sampling.percentage = 0.0).check(&call(&format!("r{i}"), "/x", 200))
            == Err(Dropped::Sampling)));
    }

    #[test]
    fn only_errors_sends_failures_only() {
        let f = filter(|t| t.sampling.only_errors = true);
        assert_eq!(f.check(&call("a", "/x", 200)), Err(Dropped::NotAnError));
        assert_eq!(f.check(&call("b", "/x", 404)), Ok(()));
        assert_eq!(f.check(&call("c", "/x", 502)), Ok(()));
    }
}
