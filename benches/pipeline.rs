//! Baseline benchmarks of the two CPU stages: transform (parse + build events) and
//! batch (Lumberjack framing + zlib) at the default compression level and without compression.

use apigw_agent::access_log;
use apigw_agent::catalog::ApiCatalog;
use apigw_agent::event::{build_insights_v4, EventContext};
use apigw_agent::lumberjack::encode_window;
use apigw_agent::pipeline::LogRecord;
use apigw_agent::source::{LogSource, Step, SyntheticSource};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

fn records(n: u64) -> Vec<LogRecord> {
    let mut source = SyntheticSource::new("/bench", n, n as usize, 1_764_806_400_000, 1);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    match rt.block_on(source.next()).unwrap() {
        Step::Chunk(c) => c.records,
        other => panic!("{other:?}"),
    }
}

fn context() -> EventContext {
    EventContext::from_config(&apigw_agent::config::CentralConfig {
        organization_id: "org".into(),
        environment_id: "env".into(),
        environment: "e".into(),
        deployment: "prod".into(),
        ..Default::default()
    })
}

fn transform(c: &mut Criterion) {
    let input = records(1000);
    let (catalog, ctx) = (ApiCatalog::default(), context());
    let mut g = c.benchmark_group("transform");
    g.throughput(Throughput::Elements(input.len() as u64));
    g.bench_function("parse+insights-v4 x1000 records", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(2000);
            for r in &input {
                let call = access_log::parse(&r.message, r.timestamp_ms).unwrap();
                build_insights_v4(&call, &catalog.lookup(call.api_id.as_deref()), &ctx, &mut out);
            }
            out
        })
    });
    g.finish();
}

fn batch(c: &mut Criterion) {
    let (catalog, ctx) = (ApiCatalog::default(), context());
    let mut events: Vec<Bytes> = Vec::new();
    for r in records(1024) {
        let call = access_log::parse(&r.message, r.timestamp_ms).unwrap();
        build_insights_v4(&call, &catalog.lookup(None), &ctx, &mut events);
    }
    let bytes: usize = events.iter().map(|e| e.len()).sum();
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Bytes(bytes as u64));
    for level in [0u32, 3] {
        g.bench_function(format!("window of 2048 events, level {level}"), |b| {
            b.iter_batched(|| events.clone(), |ev| encode_window(&ev, level), BatchSize::SmallInput)
        });
    }
    g.finish();
}

criterion_group!(benches, transform, batch);
criterion_main!(benches);
