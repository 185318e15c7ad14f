//! Interoperability with an independent Lumberjack v2 implementation: ferro-lumberjack's server.

mod support;
use support::run_synthetic;

use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{encode_window, Connection, ReceivedEvent};
use apigw_agent::pipeline::RunEnd;
use bytes::Bytes;
use ferro_lumberjack::server::Server;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts a ferro-lumberjack server that acknowledges every window; returns its address and
/// what it received as (window index, seq, payload).
async fn ferro_server() -> (String, Arc<Mutex<Vec<ReceivedEvent>>>) {
    let listener = Server::builder().bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        let mut window = 0u64;
        while let Ok(mut conn) = listener.accept().await {
            while let Ok(Some(w)) = conn.read_and_ack().await {
                let mut all = sink.lock().unwrap();
                all.extend(w.events.into_iter().map(|e| ReceivedEvent {
                    window,
                    seq: e.seq,
                    payload: Bytes::from(e.payload),
                }));
                window += 1;
            }
        }
    });
    (addr, got)
}

#[tokio::test]
async fn our_windows_plain_and_compressed_are_read_and_acknowledged_by_ferro() {
    let (addr, got) = ferro_server().await;
    let mut conn = Connection::connect(&addr, None, Duration::from_secs(5)).await.unwrap();
    let mut sent = Vec::new();
    for (w, (level, n)) in [(0u32, 3usize), (3, 100), (9, 1), (1, 2048)].into_iter().enumerate() {
        let events: Vec<Bytes> = (0..n)
            .map(|i| Bytes::from(format!("{{\"window\":{w},\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 50))))
            .collect();
        let acked = conn.send_window(&encode_window(&events, level), n as u32, Duration::from_secs(5)).await.unwrap();
        assert_eq!(acked.partial_acks, 0);
        sent.extend(events.into_iter().enumerate().map(|(i, p)| (w as u64, i as u32 + 1, p)));
    }
    let got: Vec<(u64, u32, Bytes)> =
        got.lock().unwrap().iter().map(|e| (e.window, e.seq, e.payload.clone())).collect();
    assert_eq!(got, sent);
}

#[test]
fn the_whole_pipeline_delivers_to_ferro() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, got) = rt.block_on(ferro_server());
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(&addr, &dir.path().join("state.json").display().to_string());
    config.traceability.bulk_max_size = 256;
    config.traceability.compression_level = 6;
    let end = run_synthetic(&config, 3000, 700, 7);
    assert_eq!(end, RunEnd::Drained);
    let events = got.lock().unwrap().clone();
    let report = tally(3000, &events);
    assert_eq!((report.delivered, report.duplicates, report.lost, report.unexpected), (3000, 0, 0, 0));
    assert_eq!(events.len(), 6000);
    // Windows are at most bulk_max_size and numbered from 1 each time.
    let mut per_window = std::collections::BTreeMap::<u64, Vec<u32>>::new();
    for e in &events {
        per_window.entry(e.window).or_default().push(e.seq);
    }
    for seqs in per_window.values() {
        assert!(seqs.len() <= 256);
        assert_eq!(seqs, &(1..=seqs.len() as u32).collect::<Vec<_>>());
    }
}
