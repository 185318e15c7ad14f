//! Delivery against moto: late events re-read in the overlap are sent exactly once, and the
//! start position can be a point in time.

use crate::support;

use apigw_agent::config::{Dur, StartPosition};
use apigw_agent::lumberjack::{Receiver, Reply};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use support::*;

const WAIT: Duration = Duration::from_secs(60);

/// How many events each transaction got.
fn per_transaction(receiver: &apigw_agent::lumberjack::ReceiverHandle) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in receiver.events() {
        *counts.entry(decode(&e.payload).0).or_default() += 1;
    }
    counts
}

#[test]
fn an_event_ingested_late_within_the_overlap_is_delivered_exactly_once() {
    const GROUP: &str = "/aws/apigateway/late";
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let api_id = "late0api01";
    let base = now_ms() - 20_000;
    let (logs, receiver, config) = rt.block_on(async {
        let logs = moto.logs().await;
        let lines = access_lines("req", api_id, 10, base, 100);
        put_lines(&logs, GROUP, "s1", &lines).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, GROUP, &receiver.host(), &state);
        config.aws.poll.overlap = Dur::secs(60);
        (logs, receiver, config)
    });
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    rt.block_on(async {
        assert_eq!(receiver.wait_for_events(20, WAIT).await, 20);
        // The window holding base..base+900 is scanned and saved; now an event with a timestamp
        // inside it arrives late.
        assert!(wait_until(WAIT, || saved_position(&state, GROUP).is_some_and(|p| p > base + 900)).await);
        let written_after = saved_position(&state, GROUP).unwrap();
        put_lines(&logs, GROUP, "s2", &[(base + 450, access_line("req-late", api_id, 200, base + 450))]).await;
        assert_eq!(receiver.wait_for_events(22, WAIT).await, 22);
        // Several more windows re-read the overlap, holding all 11 events, and drop them.
        let m = telemetry.metrics.clone();
        assert!(wait_until(WAIT, || m.records_deduplicated_total(GROUP) >= 40).await);
        assert!(wait_until(WAIT, || saved_position(&state, GROUP).is_some_and(|p| p > written_after)).await);
    });
    rt.block_on(agent.shutdown());
    let counts = per_transaction(&receiver);
    assert_eq!(counts.len(), 11);
    assert!(counts.values().all(|n| *n == 2), "every transaction exactly once: {counts:?}");
}

#[test]
fn a_start_position_in_time_skips_what_came_before_it() {
    const GROUP: &str = "/aws/apigateway/from-time";
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = now_ms() - 60_000;
    let (receiver, config) = rt.block_on(async {
        let lines = access_lines("req", "a1", 10, base, 1000);
        put_lines(&moto.logs().await, GROUP, "s", &lines).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
        config.aws.poll.start_position = StartPosition::At(base + 6_000);
        (receiver, config)
    });
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    rt.block_on(async {
        assert_eq!(receiver.wait_for_events(8, WAIT).await, 8);
        let m = telemetry.metrics.clone();
        assert!(wait_until(WAIT, || m.records_read_total(GROUP) >= 4).await);
    });
    rt.block_on(agent.shutdown());
    let counts = per_transaction(&receiver);
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), ["req-6", "req-7", "req-8", "req-9"]);
    assert_eq!(telemetry.metrics.records_read_total(GROUP), 4);
}

#[test]
fn groups_found_by_prefix_are_read_and_stream_filters_apply() {
    // Groups by prefix, and only some of their streams.
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = now_ms() - 60_000;
    let (receiver, config) = rt.block_on(async {
        let logs = moto.logs().await;
        let line = |id: &str, i: i64| (base + i, access_line(id, "a1", 200, base + i));
        put_lines(&logs, "/aws/apigateway/pfx-a", "prod-1", &[line("a-prod", 0)]).await;
        put_lines(&logs, "/aws/apigateway/pfx-a", "test-1", &[line("a-test", 1)]).await;
        put_lines(&logs, "/aws/apigateway/pfx-b", "prod-7", &[line("b-prod", 2)]).await;
        put_lines(&logs, "/other/group", "prod-1", &[line("other", 3)]).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, "unused", &receiver.host(), &dir.path().join("state.json"));
        config.aws.log_group = apigw_agent::config::List::default();
        config.aws.log_group_prefix = apigw_agent::config::List::of(&["/aws/apigateway/pfx-"]);
        // moto ignores logStreamNamePrefix in FilterLogEvents (AWS honours it), so the stream
        // filter is tested with names.
        config.aws.log_streams = apigw_agent::config::List::of(&["prod-1", "prod-7"]);
        (receiver, config)
    });
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    rt.block_on(async {
        assert_eq!(receiver.wait_for_events(4, WAIT).await, 4);
        let m = telemetry.metrics.clone();
        // Both groups were scanned to the present, so nothing else is coming.
        assert!(
            wait_until(WAIT, || m.records_read_total("/aws/apigateway/pfx-a") >= 1
                && m.records_read_total("/aws/apigateway/pfx-b") >= 1)
            .await
        );
    });
    rt.block_on(agent.shutdown());
    let counts = per_transaction(&receiver);
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), ["a-prod", "b-prod"]);
    assert_eq!(telemetry.metrics.records_read_total("/aws/apigateway/pfx-a"), 1, "the test-1 stream was not read");
    assert_eq!(telemetry.metrics.records_read_total("/other/group"), 0);
}

#[test]
fn groups_created_later_are_read_and_deleted_ones_are_dropped() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = now_ms() - 60_000;
    let line = |id: &str, i: i64| (base + i, access_line(id, "a1", 200, base + i));
    let (logs, receiver, config) = rt.block_on(async {
        let logs = moto.logs().await;
        put_lines(&logs, "/aws/apigateway/dyn-a", "s", &[line("a-1", 0)]).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, "unused", &receiver.host(), &dir.path().join("state.json"));
        config.aws.log_group = apigw_agent::config::List::default();
        config.aws.log_group_prefix = apigw_agent::config::List::of(&["/aws/apigateway/dyn-"]);
        config.aws.discovery_interval = Dur::millis(200);
        (logs, receiver, config)
    });
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    rt.block_on(async {
        assert_eq!(receiver.wait_for_events(2, WAIT).await, 2);
        // A group created while the agent runs is found and read, without a restart.
        put_lines(&logs, "/aws/apigateway/dyn-b", "s", &[line("b-1", 1)]).await;
        assert_eq!(receiver.wait_for_events(4, WAIT).await, 4);
        // A deleted group's poller is stopped.
        logs.delete_log_group().log_group_name("/aws/apigateway/dyn-a").send().await.unwrap();
        let state = telemetry
            .board
            .wait_for_state("poller:/aws/apigateway/dyn-a", WAIT, |s| s == apigw_agent::telemetry::ActorState::Stopped)
            .await;
        assert_eq!(state, Some(apigw_agent::telemetry::ActorState::Stopped));
        assert_eq!(
            telemetry.board.state_of("poller:/aws/apigateway/dyn-b"),
            Some(apigw_agent::telemetry::ActorState::Running)
        );
    });
    rt.block_on(agent.shutdown());
    assert_eq!(per_transaction(&receiver).keys().cloned().collect::<Vec<_>>(), ["a-1", "b-1"]);
}
