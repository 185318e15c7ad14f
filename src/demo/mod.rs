//! `apigw-agent demo`: synthetic API Gateway traffic through the full actor pipeline to an
//! in-process Lumberjack receiver, then a check that every record arrived.

pub mod chaos;

use crate::catalog::{ApiCatalog, ApiInfo, ApiKind, StageInfo};
use crate::config::{Config, Dur, List};
use crate::lumberjack::{ReceivedEvent, Receiver, Reply};
use crate::pipeline::{self, CatalogSetup, Telemetry};
use crate::source::{SyntheticSource, DEMO_APIS};
use std::collections::HashMap;
use std::sync::Arc;

/// Demo parameters.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub records: u64,
    pub seed: u64,
}

/// One pipeline run of `demo --chaos` (the hidden `demo-worker` command): the demo's traffic from
/// the saved position in `state` to the receiver at `receiver`, until it is all acknowledged.
pub async fn worker(receiver: &str, state: &str, opts: &DemoOptions) -> anyhow::Result<pipeline::RunEnd> {
    let mut config = demo_config(receiver, state);
    // Faults include a receiver that never answers: give up on it quickly and retry.
    config.traceability.client_timeout = Dur::secs(1);
    // Smaller windows: more of them, so more faults.
    config.traceability.bulk_max_size = 250;
    config.traceability.backoff.init = Dur::millis(20);
    config.traceability.backoff.max = Dur::millis(200);
    config.state.flush_interval = Dur::millis(50);
    let (records, seed) = (opts.records, opts.seed);
    Ok(pipeline::run(
        &config,
        |positions| vec![demo_source(records, seed, positions)],
        CatalogSetup::Static(demo_catalog()),
        &Telemetry::default(),
        std::future::pending(),
    )
    .await?)
}

/// What the receiver got, compared with what was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub generated: u64,
    /// Records whose summary and leg both arrived.
    pub delivered: u64,
    /// Extra copies of delivered records (at-least-once delivery allows them).
    pub duplicates: u64,
    pub lost: u64,
    /// Events that match no generated record (must be 0).
    pub unexpected: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo: generated={} delivered={} duplicates={} lost={}",
            self.generated, self.delivered, self.duplicates, self.lost
        )
    }
}

/// A fixed start time, so runs are reproducible.
const DEMO_START_MS: i64 = 1_764_806_400_000;
const DEMO_GROUP: &str = "/aws/apigateway/demo-access-logs";

/// The configuration the demo runs with: the shipped defaults, pointed at the in-process receiver.
pub fn demo_config(receiver: &str, state_path: &str) -> Config {
    let mut c = Config::default();
    c.aws.region = "eu-west-1".into();
    c.aws.log_group = List::of(&[DEMO_GROUP]);
    c.traceability.host = List::of(&[receiver]);
    c.traceability.enable_ssl = false;
    c.traceability.flush_interval = Dur::millis(200);
    c.central.organization_id = "demo-org".into();
    c.central.environment_id = "demo-env".into();
    c.central.environment = "demo".into();
    c.state.path = state_path.into();
    c.state.flush_interval = Dur::millis(200);
    c
}

fn demo_catalog() -> ApiCatalog {
    ApiCatalog::new(DEMO_APIS.iter().map(|(id, name, stage, _)| ApiInfo {
        id: id.to_string(),
        name: name.to_string(),
        kind: ApiKind::Rest,
        tags: Default::default(),
        stages:
            [(stage.to_string(), StageInfo { deployment_id: Some("demo1".into()), ..StageInfo::new(*stage) })].into(),
    }))
}

/// The demo's traffic, from its saved position if there is one.
fn demo_source(
    records: u64,
    seed: u64,
    positions: &std::collections::BTreeMap<String, crate::checkpoint::GroupPosition>,
) -> SyntheticSource {
    let source = SyntheticSource::new(DEMO_GROUP, records, 1000, DEMO_START_MS, seed);
    match positions.get(DEMO_GROUP) {
        Some(p) => source.resume(p.next_start_ms),
        None => source,
    }
}

/// Runs the demo inside the current actix System.
pub async fn run(opts: &DemoOptions) -> anyhow::Result<DemoReport> {
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await?;
    let dir = tempfile_dir()?;
    let state = dir.join("state.json");
    let config = demo_config(&receiver.host(), &state.display().to_string());
    let telemetry = Telemetry::default();
    let started = std::time::Instant::now();
    let (records, seed) = (opts.records, opts.seed);
    pipeline::run(
        &config,
        |positions| vec![demo_source(records, seed, positions)],
        CatalogSetup::Static(demo_catalog()),
        &telemetry,
        std::future::pending(),
    )
    .await?;
    let elapsed = started.elapsed();
    let report = tally(opts.records, &receiver.events());
    eprintln!(
        "demo: {} records ({} events) through the pipeline in {:.2}s ({:.0} records/s), {} windows, state file {}",
        opts.records,
        receiver.events().len(),
        elapsed.as_secs_f64(),
        opts.records as f64 / elapsed.as_secs_f64().max(1e-9),
        receiver.windows(),
        state.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("apigw-agent-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Counts, per generated record, how many summaries and legs arrived.
pub fn tally(generated: u64, events: &[ReceivedEvent]) -> DemoReport {
    let mut seen: HashMap<String, (u64, u64)> = HashMap::new();
    let mut unexpected = 0;
    for e in events {
        let parsed = serde_json::from_slice::<serde_json::Value>(&e.payload)
            .ok()
            .and_then(|beat| beat["message"].as_str().and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok()));
        let Some(event) = parsed else {
            unexpected += 1;
            continue;
        };
        let (Some(tx), Some(kind)) = (event["session"]["id"].as_str(), event["event"].as_str()) else {
            unexpected += 1;
            continue;
        };
        let entry = seen.entry(tx.to_string()).or_default();
        match kind {
            "api.transaction.summary" => entry.0 += 1,
            "api.transaction.event" => entry.1 += 1,
            _ => unexpected += 1,
        }
    }
    let (mut delivered, mut duplicates) = (0, 0);
    for n in 0..generated {
        if let Some((s, l)) = seen.remove(&SyntheticSource::request_id(n)) {
            let copies = s.min(l);
            if copies > 0 {
                delivered += 1;
                duplicates += copies - 1;
            }
        }
    }
    unexpected += seen.len() as u64;
    DemoReport { generated, delivered, duplicates, lost: generated - delivered, unexpected }
}
