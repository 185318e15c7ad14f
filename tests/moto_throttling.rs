//! AWS errors against a throttling endpoint: a loopback HTTP server in front of moto answers
//! ThrottlingException to bursts of FilterLogEvents calls and forwards everything else. No record
//! is lost. And a log group that does not exist fails only its own poller, named in /status.

mod support;

use apigw_agent::config::List;
use apigw_agent::lumberjack::{Receiver, Reply};
use apigw_agent::telemetry::ActorState;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const WAIT: Duration = Duration::from_secs(90);

/// Forwards to `upstream`, except the FilterLogEvents calls `throttle` picks (by their number,
/// from 0), answered as AWS answers over its quota. Returns the URL and the count of throttled calls.
async fn throttling_proxy(upstream: String, throttle: fn(u64) -> bool) -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (calls, throttled) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let counted = throttled.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (client, upstream, calls, throttled) =
                (client.clone(), upstream.clone(), calls.clone(), counted.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (client, upstream, calls, throttled) =
                        (client.clone(), upstream.clone(), calls.clone(), throttled.clone());
                    async move {
                        let (mut parts, body) = req.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
                        if target.ends_with(".FilterLogEvents") && throttle(calls.fetch_add(1, Ordering::SeqCst)) {
                            throttled.fetch_add(1, Ordering::SeqCst);
                            let reply = hyper::Response::builder()
                                .status(400)
                                .header("content-type", "application/x-amz-json-1.1")
                                .header("x-amzn-errortype", "ThrottlingException")
                                .body(Full::new(Bytes::from_static(
                                    br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                                )))
                                .unwrap();
                            return Ok::<_, hyper::Error>(reply);
                        }
                        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
                        parts.uri = format!("{upstream}{path}").parse().unwrap();
                        let resp = client.request(hyper::Request::from_parts(parts, Full::new(body))).await.unwrap();
                        let (parts, body) = resp.into_parts();
                        Ok(hyper::Response::from_parts(parts, Full::new(body.collect().await?.to_bytes())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    (url, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_filter_log_events_calls_are_retried_and_no_record_is_lost() {
    const GROUP: &str = "/aws/apigateway/throttled";
    let moto = Moto::start();
    let base = now_ms() - 120_000;
    let lines: Vec<(i64, String)> =
        (0..3000).map(|i| (base + i * 30, access_line(&format!("th-{i}"), "api1", 200, base + i * 30))).collect();
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    // Bursts of four throttled calls (more than the SDK's three attempts), then some that pass.
    let (proxy, throttled) = throttling_proxy(moto.url.clone(), |n| n % 10 >= 2 && n % 10 < 6).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&proxy, GROUP, &receiver.host(), &dir.path().join("state.json"));
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
async fn a_missing_log_group_fails_its_own_poller_and_the_others_go_on() {
    const GROUP: &str = "/aws/apigateway/present";
    let moto = Moto::start();
    let base = now_ms() - 60_000;
    let lines: Vec<(i64, String)> =
        (0..100).map(|i| (base + i, access_line(&format!("ok-{i}"), "api1", 200, base + i))).collect();
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
