//! Memory with the receiver stalled: the real binary, a backlog much larger than what the bounded
//! links hold, a receiver that never acknowledges. The peak RSS (VmHWM) once the poller is blocked
//! stays under the bound the README states.

use crate::support;

use apigw_agent::lumberjack::{Receiver, Reply};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_apigw-agent");
const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml");
const GROUP: &str = "/aws/apigateway/memory";
const RECORDS: i64 = 100_000;
/// The README's bound for the default sizes (1 MB pages, bulk_max_size 2048, pipelining 2,
/// mailbox_capacity 4), set from measurement (see the README).
const BOUND_MB: u64 = 150;

fn vm_hwm_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn poller_state(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    // The server may not listen yet.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(text.split_once("\r\n\r\n")?.1).ok()?;
    v["statusChecks"][format!("poller:{GROUP}")]["state"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peak_rss_stays_bounded_while_the_receiver_never_acknowledges() {
    let moto = Moto::start();
    let base = now_ms() - 3_600_000;
    let lines: Vec<(i64, String)> =
        (0..RECORDS).map(|i| (base + i, access_line(&format!("mem-{i:06}"), "api1", 200, base + i))).collect();
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::Silent)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .args(["run", "--config", SHIPPED])
        .envs([
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_AUTH_ACCESSKEY", "testing"),
            ("AWS_AUTH_SECRETKEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_LOGGROUP", GROUP),
            ("AWS_POLL_LATENCY", "0s"),
            // FilterLogEvents pages hold at most 1 MB: about 1 400 of these lines (moto does not cut them).
            ("AWS_POLL_PAGE_SIZE", "1400"),
            ("TRACEABILITY_HOST", &receiver.host()),
            ("TRACEABILITY_ENABLE_SSL", "false"),
            ("STATE_PATH", &dir.path().join("state.json").display().to_string()),
            ("STATUS_HOST", "127.0.0.1"),
            ("STATUS_PORT", &port.to_string()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let blocked = wait_until(Duration::from_secs(120), || poller_state(port).as_deref() == Some("blocked")).await;
    assert!(blocked, "the poller never blocked: {:?}", poller_state(port));
    let (_, metrics) = http_get(port, "/metrics");
    let read: u64 = metrics
        .lines()
        .find(|l| l.starts_with("apigw_agent_records_read_total"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0);
    let hwm_mb = vm_hwm_kb(child.id()) / 1024;
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("stalled receiver: {read} of {RECORDS} records read, peak RSS {hwm_mb} MB (bound {BOUND_MB} MB)");
    assert!(read < RECORDS as u64, "backpressure did not stop the poller: read {read}");
    assert!(hwm_mb < BOUND_MB, "peak RSS {hwm_mb} MB over the {BOUND_MB} MB bound ({read} records read)");
}
