//! Tests of the pipeline actors' logic with a fake downstream: window cutting and checkpoint
//! placement in the Batcher, resending the unacknowledged tail in the Sender, rejects in the Transformer.

use super::*;
use crate::catalog::ApiCatalog;
use crate::event::EventContext;
use crate::lumberjack::{Receiver, Reply};
use crate::telemetry::{ActorState, Metrics, StatusBoard};
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
    (
        Batcher::new(out, bulk, Framer::plain(0), Duration::from_secs(1), StatusBoard::default().register("batcher")),
        inbox,
    )
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

fn settings(host: String) -> SenderSettings {
    let mut t = crate::config::TraceabilityConfig { host: crate::config::List(vec![host]), ..Default::default() };
    t.backoff.init = crate::config::Dur::millis(1);
    t.backoff.max = crate::config::Dur::millis(5);
    t.client_timeout = crate::config::Dur::secs(5);
    SenderSettings::from_config(&t, None)
}

/// Runs the Sender loop over `batches` of `n` events each against a scripted receiver; returns
/// the receiver, the checkpoints forwarded in order, the metrics and how the loop ended.
async fn send_through(
    script: impl Fn(u64) -> Reply + Send + Sync + 'static,
    batches: &[u32],
    edit: impl FnOnce(&mut SenderSettings),
) -> (crate::lumberjack::ReceiverHandle, Vec<i64>, Metrics, SenderExit) {
    send_through_on(StatusBoard::default(), script, batches, edit).await
}

/// [`send_through`], reporting on `board`.
async fn send_through_on(
    board: StatusBoard,
    script: impl Fn(u64) -> Reply + Send + Sync + 'static,
    batches: &[u32],
    edit: impl FnOnce(&mut SenderSettings),
) -> (crate::lumberjack::ReceiverHandle, Vec<i64>, Metrics, SenderExit) {
    let rx = Receiver::start("127.0.0.1:0", None, Arc::new(script)).await.unwrap();
    let metrics = Metrics::new();
    let (to_sender, inbox, _) = link("batcher->sender", 8, &metrics);
    let (to_checkpointer, mut acked, _) = link("sender->checkpointer", 64, &metrics);
    let mut s = settings(rx.host());
    edit(&mut s);
    let sender = tokio::spawn(run_sender(
        SharedInbox::new(inbox),
        s,
        to_checkpointer,
        metrics.clone(),
        board.register("sender"),
    ));
    let mut start = 0;
    for (i, n) in batches.iter().enumerate() {
        let ev = events(start..start + n);
        start += n;
        let batch = Batch {
            id: i as u64,
            wire: crate::lumberjack::encode_window(&ev, 3),
            events: ev,
            checkpoints: vec![checkpoint(i as i64 + 1)],
            generation: 0,
        };
        assert!(to_sender.send(batch, &board.register("batcher")).await);
    }
    drop(to_sender);
    let exit = sender.await.unwrap();
    let mut positions = Vec::new();
    while let Some(a) = tokio_stream::StreamExt::next(&mut acked).await {
        positions.extend(a.checkpoints.iter().map(|c| c.next_start_ms));
    }
    (rx, positions, metrics, exit)
}

fn payloads(rx: &crate::lumberjack::ReceiverHandle) -> Vec<Bytes> {
    rx.events().into_iter().map(|e| e.payload).collect()
}

#[tokio::test]
async fn after_a_partial_ack_only_the_tail_is_resent() {
    let (rx, positions, metrics, exit) =
        send_through(|w| if w == 0 { Reply::AckPartialThenClose(3) } else { Reply::AckAll }, &[10], |_| {}).await;
    assert_eq!(exit, SenderExit::Drained);
    assert_eq!(payloads(&rx), events(0..10), "every event exactly once, in order");
    let second: Vec<u32> = rx.events().iter().filter(|e| e.window == 1).map(|e| e.seq).collect();
    assert_eq!(second, (1..=7).collect::<Vec<_>>(), "the tail is re-framed from sequence 1");
    assert_eq!(metrics.events_acked_total(), 10);
    assert_eq!(positions, vec![1]);
    assert_eq!(rx.connections(), 2);
}

#[tokio::test]
async fn a_window_lost_before_its_ack_is_resent_whole_and_duplicates_stay_within_it() {
    let (rx, _, _, _) = send_through(|w| if w == 0 { Reply::KeepThenClose } else { Reply::AckAll }, &[6], |_| {}).await;
    assert_eq!(payloads(&rx), [events(0..6), events(0..6)].concat());
}

#[tokio::test]
async fn garbage_and_resets_are_survived() {
    let (rx, _, metrics, _) =
        send_through(|w| [Reply::Garbage, Reply::Close, Reply::AckAll][w.min(2) as usize], &[4], |_| {}).await;
    assert_eq!(payloads(&rx), events(0..4));
    assert_eq!((metrics.send_errors_total("protocol"), metrics.send_errors_total("closed")), (1, 1));
}

#[tokio::test]
async fn pipelined_windows_are_acknowledged_in_order_and_checkpoints_follow_them() {
    let (rx, positions, metrics, exit) = send_through(|_| Reply::AckAll, &[5, 3, 7, 1, 4], |s| s.pipelining = 3).await;
    assert_eq!(exit, SenderExit::Drained);
    assert_eq!(payloads(&rx), events(0..20));
    assert_eq!(positions, vec![1, 2, 3, 4, 5]);
    assert_eq!((metrics.events_acked_total(), rx.connections()), (20, 1));
}

#[tokio::test]
async fn a_failure_with_windows_in_flight_resends_all_of_them_in_order() {
    // Window 1 (the second) is dropped with the connection: windows 1 and 2 go again.
    let script = |w| if w == 1 { Reply::Close } else { Reply::AckAll };
    let (rx, positions, _, _) = send_through(script, &[2, 2, 2], |s| s.pipelining = 3).await;
    let got = payloads(&rx);
    assert_eq!(got, events(0..6), "the receiver kept nothing of the closed window, so no duplicates");
    assert_eq!(positions, vec![1, 2, 3]);
}

#[tokio::test]
async fn only_keepalives_for_longer_than_the_progress_timeout_fail_over() {
    let script = |w| if w == 0 { Reply::KeepalivesThenClose(50) } else { Reply::AckAll };
    let (rx, _, metrics, _) = send_through(script, &[3], |s| s.progress_timeout = Duration::ZERO).await;
    assert_eq!(payloads(&rx), events(0..3));
    assert_eq!(metrics.send_errors_total("no_progress"), 1);
    assert_eq!(metrics.keepalives_total(), 1, "the first keepalive past the limit fails the connection");
}

#[tokio::test]
async fn keepalives_within_the_progress_timeout_are_fine() {
    let (rx, _, metrics, _) = send_through(|_| Reply::KeepalivesThenAck(20), &[3, 3], |_| {}).await;
    assert_eq!(payloads(&rx), events(0..6));
    assert_eq!((metrics.keepalives_total(), metrics.send_errors_total("no_progress"), rx.connections()), (40, 0, 1));
}

#[tokio::test]
async fn an_ack_above_the_window_is_a_protocol_error() {
    let (rx, _, metrics, _) =
        send_through(|w| if w == 0 { Reply::AckValue(99) } else { Reply::AckAll }, &[3], |_| {}).await;
    assert_eq!(metrics.send_errors_total("protocol"), 1);
    assert_eq!(rx.connections(), 2);
}

#[tokio::test]
async fn max_retries_gives_up_without_forwarding_the_checkpoint() {
    let (rx, positions, _, exit) = send_through(|_| Reply::Close, &[3], |s| s.max_retries = 2).await;
    assert!(
        matches!(&exit, SenderExit::GaveUp(r) if r.starts_with("gave up after 3 attempts (traceability.max_retries 2): 127.0.0.1:")),
        "{exit:?}"
    );
    assert!(positions.is_empty());
    assert_eq!(rx.windows(), 3);
}

#[tokio::test]
async fn slow_start_grows_windows_from_10_and_splits_batches() {
    let (rx, positions, _, _) = send_through(
        |_| Reply::AckAll,
        &[100],
        |s| {
            s.slow_start = true;
            s.bulk_max_size = 100;
        },
    )
    .await;
    let mut sizes: Vec<usize> = Vec::new();
    for e in rx.events() {
        if sizes.len() as u64 <= e.window {
            sizes.push(0);
        }
        sizes[e.window as usize] += 1;
    }
    // The batch is cut at the size current when it arrives (10): later batches get larger windows.
    assert_eq!(sizes, vec![10; 10]);
    assert_eq!(payloads(&rx), events(0..100));
    assert_eq!(positions, vec![1], "one checkpoint, after the last window");
}

#[test]
fn window_sizer_grows_by_half_and_halves_on_errors() {
    let mut s = WindowSizer::new(100, true);
    let mut seen = vec![s.size()];
    for _ in 0..7 {
        s.on_success();
        seen.push(s.size());
    }
    assert_eq!(seen, vec![10, 15, 23, 35, 53, 80, 100, 100]);
    s.on_error();
    assert_eq!(s.size(), 50);
    let mut fixed = WindowSizer::new(2048, false);
    fixed.on_error();
    assert_eq!(fixed.size(), 2048);
}

#[test]
fn acks_complete_the_front_window_and_the_checkpoint_only_windows_behind_it() {
    let win = |n: u32, cp: Vec<Checkpoint>| Window {
        events: events(0..n),
        wire: Bytes::new(),
        checkpoints: cp,
        written: n > 0,
        acked: 0,
        batch_id: None,
        generation: 0,
    };
    let mut f = InFlight::default();
    f.push(win(3, vec![]));
    f.push(win(0, vec![checkpoint(5)]));
    f.push(win(2, vec![checkpoint(6)]));
    assert_eq!(f.on_ack(0), AckOutcome::Keepalive);
    assert_eq!(f.on_ack(2), AckOutcome::Partial);
    assert_eq!(f.on_ack(4), AckOutcome::Protocol { ack: 4, count: 3 });
    let AckOutcome::Completed(done) = f.on_ack(3) else { panic!() };
    assert_eq!(done.iter().map(|w| w.count()).collect::<Vec<_>>(), vec![3, 0]);
    assert_eq!(f.len(), 1);
    // A failure after a partial ACK keeps only the tail of the front window.
    assert_eq!(f.on_ack(1), AckOutcome::Partial);
    assert_eq!(f.on_failure(&Framer::plain(0)), 1);
    assert_eq!(f.next_unwritten().unwrap().events, events(1..2));
}

/// A Transformer not started as an actor, for calling `transform` directly (its link's receiving
/// end is dropped: nothing is sent).
fn transformer(metrics: &Metrics) -> Transformer {
    let (out, _inbox, _) = link("transformer->batcher", 1, metrics);
    // The catalog's sender may go: the receiver keeps the last (empty) catalog.
    let (_tx, catalog) = tokio::sync::watch::channel(Arc::new(ApiCatalog::default()));
    let central =
        crate::config::CentralConfig { organization_id: "o".into(), environment_id: "e".into(), ..Default::default() };
    Transformer::new(
        out,
        catalog,
        EventContext::from_config(&central),
        metrics.clone(),
        StatusBoard::default().register("t"),
    )
}

#[test]
fn records_that_do_not_parse_are_counted_per_reason_and_skipped() {
    let metrics = Metrics::new();
    let mut t = transformer(&metrics);
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
    assert_eq!((metrics.rejected_total("unknown_format"), metrics.rejected_total("bad_status")), (2, 1));
}

/// The receiver closes the connection after each window (FIN, or RST like Logstash's idle close);
/// the next window, sent once that close happened, must cost no error, backoff or resend.
async fn idle_close_costs_nothing(reply: Reply) {
    let rx = Receiver::start("127.0.0.1:0", None, Arc::new(move |_| reply)).await.unwrap();
    let metrics = Metrics::new();
    let (to_sender, inbox, _) = link("batcher->sender", 8, &metrics);
    let (to_checkpointer, _acked, _) = link("sender->checkpointer", 64, &metrics);
    let board = StatusBoard::default();
    let mut s = settings(rx.host());
    s.backoff_init = Duration::from_secs(30); // a backoff would show as a hang
    s.backoff_max = Duration::from_secs(30);
    let sender = tokio::spawn(run_sender(
        SharedInbox::new(inbox),
        s,
        to_checkpointer,
        metrics.clone(),
        board.register("sender"),
    ));
    let status = board.register("batcher");
    for i in 0..3u32 {
        let ev = events(i * 4..i * 4 + 4);
        let batch = Batch {
            id: i as u64,
            wire: crate::lumberjack::encode_window(&ev, 0),
            events: ev,
            checkpoints: vec![],
            generation: 0,
        };
        assert!(to_sender.send(batch, &status).await);
        assert_eq!(rx.wait_for_closed(i as u64 + 1, Duration::from_secs(10)).await, i as u64 + 1);
    }
    drop(to_sender);
    assert_eq!(tokio::time::timeout(Duration::from_secs(10), sender).await.unwrap().unwrap(), SenderExit::Drained);
    assert_eq!(payloads(&rx), events(0..12));
    assert_eq!(metrics.idle_reconnects_total("closed_by_receiver"), 2);
    for reason in ["closed", "read", "write", "timeout", "protocol", "connect"] {
        assert_eq!(metrics.send_errors_total(reason), 0, "{reason}");
    }
}

#[tokio::test]
async fn a_receiver_closing_idle_connections_costs_nothing() {
    idle_close_costs_nothing(Reply::AckThenClose).await;
}

#[tokio::test]
async fn a_receiver_resetting_idle_connections_costs_nothing() {
    idle_close_costs_nothing(Reply::AckThenReset).await;
}

#[tokio::test]
async fn connections_older_than_the_ttl_are_replaced_between_windows() {
    let (rx, _, metrics, _) = send_through(
        |_| Reply::AckAll,
        &[2, 2, 2],
        |s| {
            s.ttl = Some(Duration::ZERO);
            s.pipelining = 1;
        },
    )
    .await;
    assert_eq!(payloads(&rx), events(0..6));
    assert_eq!((rx.connections(), metrics.idle_reconnects_total("ttl")), (3, 2));
}

#[test]
fn completions_out_of_order_release_checkpoints_in_batch_order() {
    let mut seq = AckSequence::default();
    let acked = |id: u64| Acked { batch_id: id, checkpoints: vec![checkpoint(id as i64 * 10)] };
    assert!(seq.complete(acked(2)).is_empty());
    assert!(seq.complete(acked(4)).is_empty());
    assert_eq!(seq.complete(acked(1)), vec![checkpoint(10), checkpoint(20)]);
    assert_eq!(seq.complete(acked(3)), vec![checkpoint(30), checkpoint(40)]);
    assert_eq!(seq.complete(Acked { batch_id: 5, checkpoints: vec![] }), vec![]);
    assert_eq!(seq.complete(acked(6)), vec![checkpoint(60)]);
}

#[tokio::test]
async fn an_ack_later_than_the_timeout_means_a_resend_and_duplicates_of_that_window_only() {
    let script = |w| if w == 0 { Reply::AckAfter(Duration::from_millis(400)) } else { Reply::AckAll };
    let (rx, positions, metrics, exit) = send_through(script, &[3, 2], |s| {
        s.timeout = Duration::from_millis(100);
        s.pipelining = 1;
    })
    .await;
    assert_eq!(exit, SenderExit::Drained);
    assert_eq!(payloads(&rx), [events(0..3), events(0..3), events(3..5)].concat());
    assert_eq!(metrics.send_errors_total("timeout"), 1);
    assert_eq!(positions, vec![1, 2]);
}

#[tokio::test]
async fn keepalives_extend_the_read_deadline_past_the_timeout() {
    // 6 keepalives 100 ms apart: 600 ms without a final ACK, with a 300 ms read timeout.
    let script = |_| Reply::KeepalivesEvery(6, Duration::from_millis(100));
    let (rx, _, metrics, exit) = send_through(script, &[2], |s| s.timeout = Duration::from_millis(300)).await;
    assert_eq!(exit, SenderExit::Drained);
    assert_eq!(payloads(&rx), events(0..2));
    assert_eq!((metrics.keepalives_total(), metrics.send_errors_total("timeout"), rx.connections()), (6, 0, 1));
}

#[test]
fn the_transformer_applies_the_exception_list_and_counts_what_it_drops() {
    let metrics = Metrics::new();
    let t = crate::config::TraceabilityConfig {
        exception_list: crate::config::List::of(&["/health$"]),
        ..Default::default()
    };
    let mut tr = transformer(&metrics).with_filter(crate::filter::TransactionFilter::from_config(&t));
    let line = |id: &str, path: &str| LogRecord {
        event_id: id.into(),
        timestamp_ms: 1,
        message: format!(r#"{{"requestId":"{id}","httpMethod":"GET","path":"{path}","status":"200"}}"#),
    };
    let chunk = LogChunk {
        log_group: "/g".into(),
        records: vec![line("a", "/prod/health"), line("b", "/prod/pets")],
        checkpoint: None,
    };
    assert_eq!(tr.transform(&chunk).len(), 2, "one transaction kept: summary and leg");
    assert_eq!(metrics.filtered_total("exception_list"), 1);
}

/// A token refreshed while a window waits is the one the window goes out with: the Sender
/// re-frames any window stamped with an older generation, so a retry never sends a stale token.
#[tokio::test]
async fn a_window_framed_before_a_token_refresh_goes_out_with_the_new_token() {
    use crate::central::Token;
    let rx = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let (token_tx, token_rx) = tokio::sync::watch::channel(Some(Arc::new(Token::new("old", 1))));
    let framer = Framer::new(3, token_rx);
    let ev = vec![
        Bytes::from_static(br#"{"message":"a","fields":{"axway-target-flow":"api-central-v8"}}"#),
        Bytes::from_static(br#"{"message":"b","fields":{}}"#),
    ];
    let (wire, generation) = framer.frame(&ev);
    assert_eq!(generation, 1);
    let stamped = |token: &str| {
        vec![
            format!(r#"{{"message":"a","fields":{{"axway-target-flow":"api-central-v8","token":"{token}"}}}}"#),
            format!(r#"{{"message":"b","fields":{{"token":"{token}"}}}}"#),
        ]
    };
    let mut decoder = crate::lumberjack::FrameDecoder;
    let mut buf = bytes::BytesMut::from(&wire[..]);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode(&mut buf).unwrap() {
        frames.push(frame);
    }
    let first: Vec<String> = frames
        .into_iter()
        .flat_map(|f| match f {
            crate::lumberjack::Frame::Compressed(inner) => inner,
            other => vec![other],
        })
        .filter_map(|f| match f {
            crate::lumberjack::Frame::Json { payload, .. } => Some(String::from_utf8(payload.to_vec()).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(first, stamped("old"));

    token_tx.send_replace(Some(Arc::new(Token::new("new\"one", 2))));
    let metrics = Metrics::new();
    let (to_sender, inbox, _) = link("batcher->sender", 8, &metrics);
    let (to_checkpointer, _acked, _) = link("sender->checkpointer", 8, &metrics);
    let board = StatusBoard::default();
    let s = SenderSettings { framer, ..settings(rx.host()) };
    let sender =
        tokio::spawn(run_sender(SharedInbox::new(inbox), s, to_checkpointer, metrics, board.register("sender")));
    let batch = Batch { id: 1, events: ev, wire, checkpoints: vec![], generation };
    assert!(to_sender.send(batch, &board.register("batcher")).await);
    drop(to_sender);
    assert_eq!(tokio::time::timeout(Duration::from_secs(10), sender).await.unwrap().unwrap(), SenderExit::Drained);
    let got: Vec<String> = payloads(&rx).iter().map(|p| String::from_utf8(p.to_vec()).unwrap()).collect();
    assert_eq!(got, stamped(r#"new\"one"#));
}

/// The Sender fails (panics) before every third write: its supervisor restarts it each time with
/// what it held, and every event still arrives, checkpoints in order, restarts counted.
#[tokio::test]
async fn a_sender_failing_repeatedly_is_restarted_and_loses_nothing() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let writes = Arc::new(AtomicU64::new(0));
    let counter = writes.clone();
    let hook = FaultHook(Arc::new(move || counter.fetch_add(1, Ordering::SeqCst) % 3 == 1));
    let board = StatusBoard::default();
    // The failure shows on the status board (so /status answers 503) while it lasts.
    let watch = board.clone();
    let failing = tokio::spawn(async move {
        let seen = watch.wait_for_state("sender", Duration::from_secs(10), |s| s == ActorState::Failing).await;
        (seen, watch.to_json()["statusChecks"]["sender"].clone())
    });
    let (rx, positions, metrics, exit) =
        send_through_on(board, |_| Reply::AckAll, &[5, 3, 7, 1, 4, 6], move |s| s.fault = Some(hook)).await;
    let (seen, check) = failing.await.unwrap();
    assert_eq!(seen, Some(ActorState::Failing));
    assert!(check.to_string().contains("restarted after a failure: fault injected before a write"), "{check}");
    assert_eq!(exit, SenderExit::Drained);
    assert_eq!(positions, vec![1, 2, 3, 4, 5, 6], "checkpoints complete and in order");
    let mut got = payloads(&rx);
    got.dedup();
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    let mut expected = events(0..26);
    expected.sort();
    assert_eq!(unique, expected, "every event at least once");
    assert!(metrics.actor_restarts_total("sender") >= 3, "{} restarts", metrics.actor_restarts_total("sender"));
    assert!(writes.load(Ordering::SeqCst) >= 9);
}

#[test]
fn guarded_turns_a_panic_into_its_message() {
    assert_eq!(guarded(|| 7), Ok(7));
    assert_eq!(guarded(|| -> u8 { panic!("boom {}", 1) }), Err("boom 1".to_string()));
    assert_eq!(guarded(|| -> u8 { panic!("static") }), Err("static".to_string()));
    assert_eq!(guarded(|| -> u8 { std::panic::panic_any(5u8) }), Err("a panic without a message".to_string()));
}
