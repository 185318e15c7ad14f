//! End to end against real components: moto as CloudWatch Logs + API Gateway, our scripted
//! Lumberjack receiver; the agent's `run` job in between. Asserts exactly what arrives.

use crate::support;

use apigw_agent::checkpoint::CheckpointStore;
use apigw_agent::config::{parse_rules, Rules};
use apigw_agent::lumberjack::{Receiver, Reply};
use apigw_agent::pipeline::RunEnd;
use apigw_agent::telemetry::ActorState;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use support::*;

const GROUP: &str = "/aws/apigateway/e2e-access";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_as_summary_and_leg_and_restart_resumes_from_the_checkpoint() {
    let moto = Moto::start();
    let (logs, apigw) = (moto.logs().await, moto.apigateway().await);
    let api_id = create_rest_api(&apigw, "petstore").await;
    let base = now_ms() - 600_000;
    let mut lines: Vec<(i64, String)> = (0..2500)
        .map(|i| (base + i, access_line(&format!("req-{i:05}"), &api_id, [200, 404, 502][i as usize % 3], base + i)))
        .collect();
    lines.push((base + 2500, "this is not JSON".into()));
    lines.push((base + 2501, r#"{"status":"200","httpMethod":"GET","path":"/x"}"#.into()));
    put_lines(&logs, GROUP, "stream-1", &lines).await;

    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut config = test_config(&moto.url, GROUP, &receiver.host(), &state);
    config.aws.poll.page_size = 700;
    config.traceability.bulk_max_size = 500;
    // Path segments are masked unless shown: the id is not.
    config.traceability.redaction.path.show =
        Rules(parse_rules(r#"[{keyMatch:"^prod$"},{keyMatch:"^pets$"}]"#).unwrap());

    let agent = RunningAgent::start(config.clone());
    assert_eq!(receiver.wait_for_events(5000, WAIT).await, 5000);
    let telemetry = agent.telemetry.clone();
    assert_eq!(agent.shutdown().await, RunEnd::ShutdownClean);

    // Exactly one summary and one leg per valid record, named from the catalog.
    let mut per_tx: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in receiver.events() {
        // Central authentication is not configured: no token field.
        let beat: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
        assert_eq!(beat["fields"], serde_json::json!({"axway-target-flow": "api-central-v8"}));
        let (tx, kind, msg) = decode(&e.payload);
        assert_eq!(msg["org"], "org-test");
        assert_eq!(msg["distribution"]["environment"], "env-test");
        if kind == "api.transaction.summary" {
            let n: usize = tx[4..].parse().unwrap();
            assert_eq!(msg["data"]["proxy"]["id"], format!("remoteApiId_{api_id}"));
            assert_eq!(msg["data"]["proxy"]["name"], "petstore");
            assert_eq!(msg["data"]["statusDetail"], ["200", "404", "502"][n % 3]);
            assert_eq!(msg["data"]["status"], ["Success", "Failure", "Exception"][n % 3]);
        }
        per_tx.entry(tx).or_default().push(kind);
    }
    // One record's two events, field by field.
    let first: Vec<serde_json::Value> = receiver
        .events()
        .iter()
        .map(|e| decode(&e.payload))
        .filter(|(tx, _, _)| tx == "req-00000")
        .map(|(_, _, mut msg)| {
            let id = msg.as_object_mut().unwrap().remove("id").unwrap();
            assert_eq!(uuid::Uuid::parse_str(id.as_str().unwrap()).unwrap().get_version_num(), 5);
            msg
        })
        .collect();
    let host = format!("{api_id}.execute-api.us-east-1.amazonaws.com");
    let proxy = format!("remoteApiId_{api_id}");
    let reporter = serde_json::json!({"version": "1.0", "type": "traceability", "agentSDKVersion": env!("CARGO_PKG_VERSION"), "agentName": "apigw-agent"});
    let envelope = |event: &str, data: serde_json::Value| {
        serde_json::json!({"org": "org-test", "event": event, "version": "4", "timestamp": base,
            "distribution": {"environment": "env-test"}, "session": {"id": "req-00000"}, "data": data})
    };
    assert_eq!(
        first,
        vec![
            envelope(
                "api.transaction.summary",
                serde_json::json!({
                "apicDeployment": "prod", "status": "Success", "statusDetail": "200", "duration": 42,
                "api": {"id": proxy, "apiServiceId": "", "name": "petstore", "stage": "prod"},
                "proxy": {"id": proxy, "name": "petstore", "revision": 1},
                "entryPoint": {"type": "http", "method": "GET", "path": "/prod/pets/{*}", "host": host},
                "reporter": reporter, "consumerDetails": {"application": {"id": ""}}})
            ),
            envelope(
                "api.transaction.event",
                serde_json::json!({
                "apicDeployment": "prod", "id": "leg0", "parentId": null, "source": "198.51.100.7", "destination": host,
                "status": "Pass", "duration": 42, "direction": "inbound",
                "protocol": {"type": "http", "uri": "/prod/pets/{*}", "method": "GET", "status": 200, "userAgent": "curl/8.5.0",
                    "host": host, "version": "1.1", "bytesSent": 128, "remoteAddr": "198.51.100.7"},
                "reporter": reporter})
            ),
        ]
    );
    assert_eq!(per_tx.len(), 2500);
    for (tx, kinds) in &per_tx {
        assert_eq!(kinds, &["api.transaction.summary", "api.transaction.event"], "{tx}");
    }
    assert_eq!(telemetry.metrics.rejected_total("unknown_format"), 1);
    assert_eq!(telemetry.metrics.rejected_total("missing_request_id"), 1);
    assert_eq!(telemetry.metrics.records_read_total(GROUP), 2502);
    assert_eq!(telemetry.metrics.events_acked_total(), 5000);

    // The checkpoint is past every record, and a restart reads only what is new.
    let saved = CheckpointStore::new(&state).load().unwrap()[GROUP].next_start_ms;
    assert!(saved > base + 2501, "checkpoint {saved} is not past the last record {}", base + 2501);
    // Written after the checkpoint (earlier timestamps are late events, another test's subject).
    let newer = saved + 1;
    let more = access_lines("new", &api_id, 10, newer, 1);
    put_lines(&logs, GROUP, "stream-1", &more).await;
    let agent = RunningAgent::start(config);
    assert_eq!(receiver.wait_for_events(5020, WAIT).await, 5020);
    assert_eq!(agent.shutdown().await, RunEnd::ShutdownClean);
    let after: Vec<String> =
        receiver.events()[5000..].iter().map(|e| decode(&e.payload).0).collect::<BTreeSet<_>>().into_iter().collect();
    assert_eq!(after, (0..10).map(|i| format!("new-{i}")).collect::<Vec<_>>());
    assert_eq!(receiver.events().len(), 5020, "records before the checkpoint were sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_receiver_fills_the_bounded_links_and_stops_the_poller() {
    let moto = Moto::start();
    let logs = moto.logs().await;
    let base = now_ms() - 600_000;
    let lines: Vec<(i64, String)> =
        (0..3000).map(|i| (base + i, access_line(&format!("bp-{i:05}"), "api1", 200, base + i))).collect();
    put_lines(&logs, GROUP, "s", &lines).await;

    let stalled = Arc::new(AtomicBool::new(true));
    let gate = stalled.clone();
    let receiver = Receiver::start(
        "127.0.0.1:0",
        None,
        Arc::new(move |_| if gate.load(Ordering::SeqCst) { Reply::Silent } else { Reply::AckAll }),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    let (capacity, page, bulk) = (2usize, 100usize, 100usize);
    config.pipeline.mailbox_capacity = capacity;
    config.aws.poll.page_size = page;
    config.traceability.bulk_max_size = bulk;
    config.traceability.client_timeout = apigw_agent::config::Dur::secs(2);

    let agent = RunningAgent::start(config);
    let t = agent.telemetry.clone();
    let poller = format!("poller:{GROUP}");
    let state = t.board.wait_for_state(&poller, WAIT, |s| s == ActorState::Blocked).await;
    assert_eq!(state, Some(ActorState::Blocked), "the poller never blocked on its full link");

    // Held while stalled, at most: 1 page in the poller, `capacity` per link, one page being
    // transformed, the batcher's pending page, and the sender's `pipelining` windows (2).
    let pages_bound =
        1 + capacity + 1 + capacity + 1 + (capacity * bulk).div_ceil(2 * page) + (2 * bulk).div_ceil(2 * page);
    let read = t.metrics.records_read_total(GROUP) as usize;
    assert!(read <= pages_bound * page, "read {read} records with the receiver stalled; bound {}", pages_bound * page);
    assert!(read < 3000, "the poller read everything despite backpressure");
    for name in ["poller->transformer", "transformer->batcher", "batcher->sender", "sender->checkpointer"] {
        let g = t.link(name).unwrap();
        assert!(g.high_water() <= capacity, "{name} held {} > {capacity}", g.high_water());
    }
    assert_eq!(receiver.events().len(), 0);
    // While blocked, the poller makes no AWS call: the Sender times out (client_timeout 2 s) and
    // retries, and meanwhile FilterLogEvents is not called again.
    let calls = t.metrics.aws_requests_total("FilterLogEvents", "ok");
    let m = t.metrics.clone();
    assert!(wait_until(WAIT, || m.send_errors_total("timeout") >= 2).await, "the sender never timed out");
    assert_eq!(t.board.state_of(&poller), Some(ActorState::Blocked));
    assert_eq!(t.metrics.aws_requests_total("FilterLogEvents", "ok"), calls, "the blocked poller called AWS");

    stalled.store(false, Ordering::SeqCst);
    assert_eq!(receiver.wait_for_events(6000, WAIT).await, 6000);
    assert_eq!(agent.shutdown().await, RunEnd::ShutdownClean);
    let ids: BTreeSet<(String, String)> = receiver
        .events()
        .iter()
        .map(|e| {
            let (tx, k, _) = decode(&e.payload);
            (tx, k)
        })
        .collect();
    assert_eq!(ids.len(), 6000, "every event exactly once");
    assert_eq!(t.metrics.records_read_total(GROUP), 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_503_naming_the_receiver_while_it_is_unreachable() {
    let moto = Moto::start();
    let ts = now_ms() - 60_000;
    put_lines(&moto.logs().await, GROUP, "s", &[(ts, access_line("r-1", "api1", 200, ts))]).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&moto.url, GROUP, &closed, &dir.path().join("state.json"));
    config.pipeline.shutdown_timeout = apigw_agent::config::Dur::secs(1);
    config.status.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let agent = RunningAgent::start(config.clone());
    let state = agent.telemetry.board.wait_for_state("sender", WAIT, |s| s == ActorState::Failing).await;
    assert_eq!(state, Some(ActorState::Failing));

    let (head, body) = http_get(config.status.port, "/status");
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["name"], "apigw-agent");
    assert_eq!(status["status"], "unhealthy");
    assert_eq!(status["statusChecks"]["sender"]["status"], "fail");
    let error = status["statusChecks"]["sender"]["lastError"].as_str().unwrap();
    assert!(error.starts_with(&format!("connecting to {closed}: ")), "{error}");
    assert_eq!(status["statusChecks"][format!("poller:{GROUP}")]["status"], "ok");
    // The record was never acknowledged: the checkpoint may cover the empty windows before it, never the record.
    assert_eq!(agent.shutdown().await, RunEnd::ShutdownTimedOut);
    let saved = CheckpointStore::new(dir.path().join("state.json")).load().unwrap();
    if let Some(p) = saved.get(GROUP) {
        assert!(p.next_start_ms <= ts, "checkpoint {} passed the unacknowledged record at {ts}", p.next_start_ms);
    }
}
