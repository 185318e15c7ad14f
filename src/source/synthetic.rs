//! The demo's traffic: API Gateway access-log lines in the shipped JSON format, generated from a
//! seed, as pages of a fake log group. Deterministic, so a run can be compared with what arrived.

use super::{LogSource, SourceError, Step};
use crate::pipeline::{Checkpoint, LogChunk, LogRecord};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::Arc;

/// The APIs the synthetic traffic calls: (api id, name, stage, paths).
pub const DEMO_APIS: &[(&str, &str, &str, &[&str])] = &[
    ("a1b2c3d4e5", "petstore", "prod", &["/pets", "/pets/{id}", "/orders"]),
    ("f6g7h8i9j0", "payments", "v1", &["/charges", "/refunds/{id}"]),
    ("k1l2m3n4o5", "inventory", "test", &["/items", "/items/{id}/stock"]),
];

/// Generates `total` records, `per_page` per chunk, starting at `start_ms`, one every millisecond.
pub struct SyntheticSource {
    group: Arc<str>,
    total: u64,
    produced: u64,
    per_page: usize,
    start_ms: i64,
    rng: StdRng,
}

impl SyntheticSource {
    pub fn new(group: &str, total: u64, per_page: usize, start_ms: i64, seed: u64) -> SyntheticSource {
        SyntheticSource {
            group: group.into(),
            total,
            produced: 0,
            per_page: per_page.max(1),
            start_ms,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Resumes after a checkpoint: records before `next_start_ms` are not generated again.
    pub fn resume(mut self, next_start_ms: i64) -> SyntheticSource {
        self.produced = ((next_start_ms - self.start_ms).max(0) as u64).min(self.total);
        self
    }

    /// The request id of the n-th record, so that a run's deliveries can be checked.
    pub fn request_id(n: u64) -> String {
        format!("{:08x}-demo-4000-8000-{:012x}", n, n)
    }

    fn line(&mut self, n: u64, ts: i64) -> String {
        let (api_id, _, stage, paths) = DEMO_APIS[(n % DEMO_APIS.len() as u64) as usize];
        let path =
            paths[self.rng.random_range(0..paths.len())].replace("{id}", &self.rng.random_range(1..999).to_string());
        let status = match self.rng.random_range(0..100) {
            0..=84 => 200,
            85..=89 => 201,
            90..=95 => 404,
            96..=97 => 429,
            _ => 502,
        };
        let method = ["GET", "GET", "POST", "PUT", "DELETE"][self.rng.random_range(0..5)];
        serde_json::json!({
            "requestId": Self::request_id(n),
            "extendedRequestId": format!("Ext{n:x}="),
            "requestTimeEpoch": ts.to_string(),
            "httpMethod": method,
            "resourcePath": paths[0],
            "path": format!("/{stage}{path}"),
            "protocol": "HTTP/1.1",
            "status": status.to_string(),
            "responseLength": self.rng.random_range(0..4096).to_string(),
            "responseLatency": self.rng.random_range(3..900).to_string(),
            "integrationLatency": self.rng.random_range(1..800).to_string(),
            "ip": format!("203.0.113.{}", self.rng.random_range(1..255)),
            "userAgent": "curl/8.5.0",
            "caller": "-",
            "apiId": api_id,
            "stage": stage,
            "domainName": format!("{api_id}.execute-api.eu-west-1.amazonaws.com"),
        })
        .to_string()
    }
}

impl LogSource for SyntheticSource {
    fn log_group(&self) -> &Arc<str> {
        &self.group
    }

    async fn next(&mut self) -> Result<Step, SourceError> {
        if self.produced >= self.total {
            return Ok(Step::Finished);
        }
        let end = (self.produced + self.per_page as u64).min(self.total);
        let records = (self.produced..end)
            .map(|n| {
                let ts = self.start_ms + n as i64;
                LogRecord { event_id: n.to_string(), timestamp_ms: ts, message: self.line(n, ts) }
            })
            .collect();
        self.produced = end;
        let checkpoint = Some(Checkpoint { log_group: self.group.clone(), next_start_ms: self.start_ms + end as i64 });
        Ok(Step::Chunk(LogChunk { log_group: self.group.clone(), records, checkpoint }))
    }
}
