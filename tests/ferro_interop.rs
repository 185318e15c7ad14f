//! Interoperability with an independent Lumberjack v2 implementation: ferro-lumberjack's server.

use crate::support;
use support::run_synthetic;

use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{encode_window, Connection, ReceivedEvent, Reply};
use apigw_agent::pipeline::RunEnd;
use bytes::Bytes;
use ferro_lumberjack::server::Server;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Kept = Arc<Mutex<Vec<ReceivedEvent>>>;

/// A ferro-lumberjack server answering each window (numbered over all connections) as `script`
/// says, with ferro's own API; returns its address and what it kept.
async fn ferro_scripted(script: impl Fn(u64) -> Reply + Send + Sync + 'static) -> (String, Kept) {
    let listener = Server::builder().bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got: Kept = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        let mut window = 0u64;
        'connections: while let Ok(mut conn) = listener.accept().await {
            while let Ok(Some(w)) = conn.read_window().await {
                let keep = |n: usize, window: u64| {
                    sink.lock().unwrap().extend(w.events.iter().take(n).map(|e| ReceivedEvent {
                        window,
                        seq: e.seq,
                        payload: Bytes::from(e.payload.clone()),
                    }))
                };
                let all = w.events.len();
                let reply = script(window);
                window += 1;
                match reply {
                    Reply::AckAll => {
                        keep(all, window - 1);
                        if conn.send_ack(w.last_seq).await.is_err() {
                            continue 'connections;
                        }
                    }
                    Reply::KeepalivesThenAck(k) => {
                        for _ in 0..k {
                            let _ = conn.send_ack(0).await;
                        }
                        keep(all, window - 1);
                        let _ = conn.send_ack(w.last_seq).await;
                    }
                    Reply::AckPartialThenClose(n) => {
                        keep(n as usize, window - 1);
                        let _ = conn.send_ack(n).await;
                        continue 'connections;
                    }
                    Reply::KeepThenClose => {
                        keep(all, window - 1);
                        continue 'connections;
                    }
                    Reply::Silent => while let Ok(Some(_)) = conn.read_window().await {},
                    Reply::AckAfter(delay) => {
                        keep(all, window - 1);
                        tokio::time::sleep(delay).await;
                        let _ = conn.send_ack(w.last_seq).await;
                    }
                    _ => continue 'connections,
                }
            }
        }
    });
    (addr, got)
}

async fn ferro_server() -> (String, Kept) {
    ferro_scripted(|_| Reply::AckAll).await
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

/// The Sender against ferro answering with faults: a partial ACK, keepalive storms, a window kept
/// but never acknowledged, a reset mid-window, a silent server. Every event arrives; the only
/// duplicates are the events of the window kept without an ACK.
#[tokio::test]
async fn the_sender_survives_ferro_answering_with_faults() {
    use apigw_agent::pipeline::{link, run_sender, Batch, Checkpoint, SenderExit, SenderSettings, SharedInbox};
    use apigw_agent::telemetry::{Metrics, StatusBoard};
    let replies = [
        Reply::AckPartialThenClose(4),
        Reply::KeepalivesThenAck(25),
        Reply::KeepThenClose,
        Reply::Close,
        Reply::Silent,
        Reply::AckAll,
        Reply::KeepalivesThenAck(3),
        Reply::AckAfter(Duration::from_millis(900)),
    ];
    let (addr, got) = ferro_scripted(move |w| replies.get(w as usize).copied().unwrap_or(Reply::AckAll)).await;
    let metrics = Metrics::new();
    let board = StatusBoard::default();
    let (to_sender, inbox, _) = link("batcher->sender", 4, &metrics);
    let (to_checkpointer, mut acked, _) = link("sender->checkpointer", 64, &metrics);
    let mut t = apigw_agent::config::TraceabilityConfig {
        host: apigw_agent::config::List::of(&[&addr]),
        client_timeout: apigw_agent::config::Dur::millis(500),
        ..Default::default()
    };
    t.backoff.init = apigw_agent::config::Dur::millis(1);
    t.backoff.max = apigw_agent::config::Dur::millis(10);
    let sender = tokio::spawn(run_sender(
        SharedInbox::new(inbox),
        SenderSettings::from_config(&t, None),
        to_checkpointer,
        metrics.clone(),
        board.register("sender"),
    ));
    let status = board.register("batcher");
    let mut sent = Vec::new();
    for i in 0..8u32 {
        let events: Vec<Bytes> = (0..10).map(|j| Bytes::from(format!("{{\"b\":{i},\"e\":{j}}}"))).collect();
        sent.extend(events.iter().cloned());
        let checkpoints = vec![Checkpoint { log_group: "/g".into(), next_start_ms: i as i64 + 1 }];
        assert!(
            to_sender
                .send(
                    Batch { id: i as u64, wire: encode_window(&events, 3), events, checkpoints, generation: 0 },
                    &status
                )
                .await
        );
    }
    drop(to_sender);
    assert_eq!(tokio::time::timeout(Duration::from_secs(60), sender).await.unwrap().unwrap(), SenderExit::Drained);

    let kept = got.lock().unwrap().clone();
    let unique: std::collections::BTreeSet<Bytes> = kept.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(unique, sent.iter().cloned().collect(), "every event arrived");
    // Sent again, hence duplicated: window 2 (kept, never acknowledged), window 7 (acknowledged
    // after the client had given up) and window 8, pipelined behind 7 on the same connection,
    // which ferro still read from its buffer. Nothing else.
    let in_flight_at_faults = kept.iter().filter(|e| [2, 7, 8].contains(&e.window)).count();
    assert_eq!(in_flight_at_faults, 30);
    assert_eq!(kept.len(), sent.len() + in_flight_at_faults, "duplicates only from windows in flight at a fault");
    let mut positions = Vec::new();
    while let Some(a) = tokio_stream::StreamExt::next(&mut acked).await {
        positions.extend(a.checkpoints.iter().map(|c| c.next_start_ms));
    }
    assert_eq!(positions, (1..=8).collect::<Vec<_>>(), "checkpoints forwarded once each, in order");
    assert_eq!(metrics.keepalives_total(), 28);
    assert_eq!(metrics.send_errors_total("timeout"), 2, "the silent server and the late ACK");
    assert!(metrics.send_errors_total("closed") + metrics.send_errors_total("read") >= 3);
}
