//! Tests of the pipeline actors' logic with a fake downstream: window cutting and checkpoint
//! placement in the Batcher, resending the unacknowledged tail in the Sender, rejects in the Transformer.

use super::*;
use crate::catalog::ApiCatalog;
use crate::event::EventContext;
use crate::lumberjack::{Receiver, Reply};
use crate::telemetry::{Metrics, StatusBoard};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

fn checkpoint(ms: i64) -> Checkpoint {
    Checkpoint { log_group: "/g".into(), next_start_ms: ms }
}

fn events(range: std::ops::Range<u32>) -> Vec<Bytes> {
    range.map(|i| Bytes::from(format!("{{\"e\":{i}}}"))).collect()
}

fn batcher(bulk: usize) -> (Batcher, Inbox<Batch>) {
    let metrics = Metrics::new();
    let (out, inbox, _) = link("batcher->sender", 4, &metrics);
    (Batcher::new(out, bulk, 0, Duration::from_secs(1), StatusBoard::default().register("batcher")), inbox)
}

#[test]
fn windows_are_cut_at_bulk_max_size_and_the_checkpoint_rides_with_the_last_event() {
    let (mut b, _inbox) = batcher(2);
    let ready = b.push(EventChunk { events: events(0..5), checkpoint: Some(checkpoint(100)) });
    assert_eq!(ready.iter().map(|w| w.events.clone()).collect::<Vec<_>>(), vec![events(0..2), events(2..4)]);
    assert!(ready.iter().all(|w| w.checkpoints.is_empty()), "a checkpoint left before its last event");
    let last = b.take();
    assert_eq!(last.events, events(4..5));
    assert_eq!(last.checkpoints, vec![checkpoint(100)]);
    assert_eq!((ready[0].id, ready[1].id, last.id), (1, 2, 3));
}

#[test]
fn a_checkpoint_without_events_still_travels_in_an_empty_window() {
    let (mut b, _inbox) = batcher(10);
    assert!(b.push(EventChunk { events: vec![], checkpoint: Some(checkpoint(7)) }).is_empty());
    assert!(b.push(EventChunk { events: vec![], checkpoint: Some(checkpoint(9)) }).is_empty());
    let w = b.take();
    assert!(w.events.is_empty() && w.wire.is_empty());
    assert_eq!(w.checkpoints, vec![checkpoint(7), checkpoint(9)]);
}

async fn deliver_through(
    script: impl Fn(u64) -> Reply + Send + Sync + 'static,
    n: u32,
) -> (crate::lumberjack::ReceiverHandle, Metrics) {
    let rx = Receiver::start("127.0.0.1:0", None, Arc::new(script)).await.unwrap();
    let metrics = Metrics::new();
    let mut client = LumberjackClient::new(
        vec![rx.host()],
        None,
        Duration::from_secs(5),
        3,
        Backoff::new(Duration::from_millis(1), Duration::from_millis(5)),
        metrics.clone(),
        StatusBoard::default().register("sender"),
    );
    let ev = events(0..n);
    let batch = Batch { id: 1, wire: crate::lumberjack::encode_window(&ev, 3), events: ev, checkpoints: vec![] };
    client.deliver(&batch).await;
    (rx, metrics)
}

#[tokio::test]
async fn after_a_partial_ack_only_the_tail_is_resent() {
    let (rx, metrics) = deliver_through(
        |w| {
            if w == 0 {
                Reply::AckPartialThenClose(3)
            } else {
                Reply::AckAll
            }
        },
        10,
    )
    .await;
    let got: Vec<Bytes> = rx.events().into_iter().map(|e| e.payload).collect();
    assert_eq!(got, events(0..10), "every event exactly once, in order");
    let second: Vec<u32> = rx.events().iter().filter(|e| e.window == 1).map(|e| e.seq).collect();
    assert_eq!(second, (1..=7).collect::<Vec<_>>(), "the tail is re-framed from sequence 1");
    assert_eq!(metrics.events_acked_total(), 10);
    assert_eq!(rx.connections(), 2);
}

#[tokio::test]
async fn a_window_lost_before_its_ack_is_resent_whole_and_duplicates_stay_within_it() {
    let (rx, _) = deliver_through(
        |w| {
            if w == 0 {
                Reply::KeepThenClose
            } else {
                Reply::AckAll
            }
        },
        6,
    )
    .await;
    let got: Vec<Bytes> = rx.events().into_iter().map(|e| e.payload).collect();
    assert_eq!(got, [events(0..6), events(0..6)].concat());
}

#[tokio::test]
async fn garbage_and_resets_are_survived() {
    let (rx, metrics) = deliver_through(|w| [Reply::Garbage, Reply::Close, Reply::AckAll][w.min(2) as usize], 4).await;
    assert_eq!(rx.events().into_iter().map(|e| e.payload).collect::<Vec<_>>(), events(0..4));
    assert!(metrics.encode().contains("apigw_agent_send_errors_total{reason=\"protocol\"} 1"), "{}", metrics.encode());
    assert!(metrics.encode().contains("apigw_agent_send_errors_total{reason=\"closed\"} 1"));
}

#[test]
fn records_that_do_not_parse_are_counted_per_reason_and_skipped() {
    let metrics = Metrics::new();
    let (out, _inbox, _) = link("transformer->batcher", 1, &metrics);
    let (_tx, catalog) = tokio::sync::watch::channel(Arc::new(ApiCatalog::default()));
    let central =
        crate::config::CentralConfig { organization_id: "o".into(), environment_id: "e".into(), ..Default::default() };
    let mut t = Transformer::new(
        out,
        catalog,
        EventContext::from_config(&central),
        metrics.clone(),
        StatusBoard::default().register("t"),
    );
    let record = |id: &str, msg: &str| LogRecord { event_id: id.into(), timestamp_ms: 1, message: msg.into() };
    let chunk = LogChunk {
        log_group: "/g".into(),
        records: vec![
            record("1", r#"{"requestId":"r1","httpMethod":"GET","path":"/a","status":"200"}"#),
            record("2", "garbage"),
            record("3", "more garbage"),
            record("4", r#"{"requestId":"r4","httpMethod":"GET","path":"/a","status":"abc"}"#),
        ],
        checkpoint: None,
    };
    assert_eq!(t.transform(&chunk).len(), 2);
    assert_eq!((metrics.rejected_total("not_json"), metrics.rejected_total("bad_status")), (2, 1));
}
