//! AWS errors against a throttling endpoint: a loopback HTTP server in front of moto answers
//! ThrottlingException to bursts of FilterLogEvents calls and forwards everything else. No record
//! is lost. And a log group that does not exist fails only its own poller, named in /status.

use crate::support;

use apigw_agent::config::List;
use apigw_agent::lumberjack::{Receiver, Reply};
use apigw_agent::telemetry::ActorState;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use support::proxy::AwsProxy;
use support::*;

const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_filter_log_events_calls_are_retried_and_no_record_is_lost() {
    const GROUP: &str = "/aws/apigateway/throttled";
    let moto = Moto::start();
    let base = now_ms() - 120_000;
    let lines = access_lines("th", "api1", 3000, base, 30);
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    // Bursts of four throttled calls (more than the SDK's three attempts), then some that pass.
    let proxy = AwsProxy::start(moto.url.clone(), |n| (n % 10 >= 2 && n % 10 < 6).then_some(400)).await;
    let throttled = proxy.throttled.clone();
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&proxy.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    config.aws.poll.max_window = apigw_agent::config::Dur::secs(10);
    config.aws.poll.page_size = 500;
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    assert_eq!(receiver.wait_for_events(6000, WAIT).await, 6000);
    agent.shutdown().await;

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in receiver.events() {
        *counts.entry(decode(&e.payload).0).or_default() += 1;
    }
    assert_eq!(counts.len(), 3000, "every record");
    assert!(counts.values().all(|n| *n == 2), "and each once");
    assert!(throttled.load(Ordering::SeqCst) >= 8, "the endpoint throttled {} calls", throttled.load(Ordering::SeqCst));
    assert!(telemetry.metrics.aws_requests_total("FilterLogEvents", "throttled") >= 1, "no throttle reached the agent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_and_no_record_is_lost() {
    const GROUP: &str = "/aws/apigateway/unavailable";
    let moto = Moto::start();
    let base = now_ms() - 60_000;
    let lines = access_lines("u", "api1", 500, base, 50);
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    // Bursts of four 503s, longer than the SDK's own retries.
    let proxy = AwsProxy::start(moto.url.clone(), |n| (n % 8 < 4 && n > 0).then_some(503)).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&proxy.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    config.aws.poll.max_window = apigw_agent::config::Dur::secs(5);
    let agent = RunningAgent::start(config);
    let telemetry = agent.telemetry.clone();
    assert_eq!(receiver.wait_for_events(1000, WAIT).await, 1000);
    agent.shutdown().await;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in receiver.events() {
        *counts.entry(decode(&e.payload).0).or_default() += 1;
    }
    assert_eq!(counts.len(), 500);
    assert!(counts.values().all(|n| *n == 2));
    assert!(proxy.throttled.load(Ordering::SeqCst) >= 8);
    assert!(telemetry.metrics.aws_requests_total("FilterLogEvents", "error") >= 1, "no server error reached the agent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_log_group_fails_its_own_poller_and_the_others_go_on() {
    const GROUP: &str = "/aws/apigateway/present";
    let moto = Moto::start();
    let base = now_ms() - 60_000;
    let lines = access_lines("ok", "api1", 100, base, 1);
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    config.aws.log_group = List::of(&[GROUP, "/aws/apigateway/missing"]);
    let agent = RunningAgent::start(config);
    let t = agent.telemetry.clone();
    assert_eq!(receiver.wait_for_events(200, WAIT).await, 200);
    let failing = t.board.wait_for_state("poller:/aws/apigateway/missing", WAIT, |s| s == ActorState::Failing).await;
    assert_eq!(failing, Some(ActorState::Failing));
    let status = t.board.to_json();
    assert_eq!(status["status"], "unhealthy");
    let check = status["statusChecks"]["poller:/aws/apigateway/missing"].to_string();
    assert!(check.contains("ResourceNotFoundException") || check.contains("does not exist"), "{check}");
    agent.shutdown().await;
}

/// Four log groups, each with its own poller: `concurrent_reads` caps how many FilterLogEvents
/// calls are in flight at once over all of them (and without the cap they do overlap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_cap_the_calls_in_flight_over_all_log_groups() {
    let moto = Moto::start();
    let logs = moto.logs().await;
    let base = now_ms() - 60_000;
    for (cap, expect_at_most) in [(1usize, Some(1u64)), (0, None)] {
        let proxy = AwsProxy::start_slow(moto.url.clone(), |_| None, Duration::from_millis(30)).await;
        let groups: Vec<String> = (0..4).map(|g| format!("/aws/apigateway/cap{cap}-{g}")).collect();
        for (g, group) in groups.iter().enumerate() {
            let lines = access_lines(&format!("c{cap}-{g}"), "api1", 50, base, 1);
            put_lines(&logs, group, "s", &lines).await;
        }
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&proxy.url, &groups[0], &receiver.host(), &dir.path().join("state.json"));
        config.aws.log_group = List(groups.clone());
        config.aws.rate_limits.concurrent_reads = cap;
        let agent = RunningAgent::start(config);
        assert_eq!(receiver.wait_for_events(400, WAIT).await, 400);
        agent.shutdown().await;
        let max = proxy.max_reads_in_flight.load(Ordering::SeqCst);
        match expect_at_most {
            Some(limit) => assert_eq!(max, limit, "with concurrent_reads {cap}"),
            None => assert!(max >= 2, "without a cap the four pollers should overlap; max in flight {max}"),
        }
    }
}
