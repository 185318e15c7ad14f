//! The real binary under faults, against moto and a receiver: killed with SIGKILL under load and
//! restarted (every record at least once, duplicates only after the saved position), and stopped
//! with SIGTERM under load and restarted (every record exactly once).

use crate::support;

use apigw_agent::lumberjack::{Receiver, ReceiverHandle, Reply};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_apigw-agent");
const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml");
const RECORDS: i64 = 20_000;
/// Records are this far apart in time, so that 2 s windows checkpoint every 200 records.
const SPACING_MS: i64 = 10;
const LONG: Duration = Duration::from_secs(180);

struct Setup {
    _moto: Moto,
    receiver: ReceiverHandle,
    base: i64,
    group: &'static str,
    state: PathBuf,
    _dir: tempfile::TempDir,
}

/// moto with RECORDS access-log lines, and a receiver that takes 20 ms to acknowledge each window.
async fn setup(group: &'static str) -> Setup {
    let moto = Moto::start();
    let base = now_ms() - 300_000;
    let lines = access_lines("p", "api1", RECORDS as usize, base, SPACING_MS);
    put_lines(&moto.logs().await, group, "s", &lines).await;
    let receiver =
        Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAfter(Duration::from_millis(20)))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    Setup { state: dir.path().join("state.json"), _dir: dir, _moto: moto, receiver, base, group }
}

fn spawn(s: &Setup, moto_url: &str) -> Child {
    Command::new(BIN)
        .args(["run", "--config", SHIPPED])
        .envs([
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", moto_url),
            ("AWS_AUTH_ACCESSKEY", "testing"),
            ("AWS_AUTH_SECRETKEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_LOGGROUP", s.group),
            ("AWS_POLL_LATENCY", "0s"),
            ("AWS_POLL_INTERVAL", "200ms"),
            ("AWS_POLL_MAX_WINDOW", "2s"),
            // 100 windows: no need to wait on AWS's quota against moto.
            ("AWS_RATE_LIMITS_FILTER_LOG_EVENTS", "0"),
            ("TRACEABILITY_HOST", &s.receiver.host()),
            ("TRACEABILITY_ENABLE_SSL", "false"),
            ("TRACEABILITY_BULKMAXSIZE", "200"),
            ("STATE_PATH", &s.state.display().to_string()),
            ("STATE_FLUSH_INTERVAL", "50ms"),
            ("STATUS_PORT", "0"),
            ("LOG_LEVEL", "info"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap().success());
}

/// Events received per record index.
fn deliveries(receiver: &ReceiverHandle) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for e in receiver.events() {
        let tx = decode(&e.payload).0;
        *counts.entry(tx.strip_prefix("p-").unwrap().parse().unwrap()).or_default() += 1;
    }
    counts
}

/// Waits until the state file says every record was acknowledged.
async fn all_saved(state: &Path, group: &str, base: i64) -> bool {
    let last = base + (RECORDS - 1) * SPACING_MS;
    wait_until(LONG, || saved_position(state, group).is_some_and(|p| p > last)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_then_restart_loses_nothing_and_resends_only_after_the_saved_position() {
    let s = setup("/aws/apigateway/sigkill").await;
    let url = s._moto.url.clone();
    let mut first = spawn(&s, &url);
    // Mid-stream: 40 000 events take the receiver at least 4 s at 20 ms per 200-event window.
    assert!(s.receiver.wait_for_events(6_000, LONG).await >= 6_000);
    signal(&first, "-KILL");
    first.wait().unwrap();
    // Whatever the dead process had written is read by now.
    let opened = s.receiver.connections();
    assert_eq!(s.receiver.wait_for_closed(opened, LONG).await, opened);
    let saved_at_kill = saved_position(&s.state, s.group);
    let before_restart = s.receiver.events().len();
    assert!(before_restart < 2 * RECORDS as usize, "the kill came too late to test anything");

    let second = spawn(&s, &url);
    assert!(all_saved(&s.state, s.group, s.base).await, "the restarted agent did not finish");
    signal(&second, "-TERM");
    let out = second.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let counts = deliveries(&s.receiver);
    assert_eq!(counts.len(), RECORDS as usize, "every record at least once");
    assert!(counts.values().all(|n| n % 2 == 0), "summary and leg always together");
    let resent: Vec<i64> = counts.iter().filter(|(_, n)| **n > 2).map(|(i, _)| *i).collect();
    let floor = saved_at_kill.unwrap_or(i64::MIN);
    assert!(
        resent.iter().all(|i| s.base + i * SPACING_MS >= floor),
        "a record before the saved position {floor} was sent again: {:?}",
        resent.iter().find(|i| s.base + *i * SPACING_MS < floor)
    );
    // Only what the first process had delivered after its last saved position is sent twice.
    assert!(resent.len() <= before_restart / 2, "{} resent, {} received before the kill", resent.len(), before_restart);
    eprintln!(
        "sigkill: {before_restart} events before the kill, {} records resent, all after the saved position",
        resent.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_then_restart_sends_every_record_exactly_once() {
    let s = setup("/aws/apigateway/sigterm").await;
    let url = s._moto.url.clone();
    let first = spawn(&s, &url);
    assert!(s.receiver.wait_for_events(6_000, LONG).await >= 6_000);
    signal(&first, "-TERM");
    let out = first.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{logs}");
    assert!(logs.contains("stopped end=ShutdownClean"), "{logs}");
    assert!(s.receiver.events().len() < 2 * RECORDS as usize, "the signal came too late to test anything");

    let second = spawn(&s, &url);
    assert!(all_saved(&s.state, s.group, s.base).await, "the restarted agent did not finish");
    signal(&second, "-TERM");
    assert_eq!(second.wait_with_output().unwrap().status.code(), Some(0));

    let counts = deliveries(&s.receiver);
    assert_eq!(counts.len(), RECORDS as usize);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 2).collect();
    assert!(twice.is_empty(), "records not sent exactly once: {twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once_and_the_state_file_stays_consistent() {
    let moto = Moto::start();
    let group = "/aws/apigateway/twice";
    let base = now_ms() - 60_000;
    let lines = access_lines("t", "api1", 500, base, 1);
    put_lines(&moto.logs().await, group, "s", &lines).await;
    // A receiver that never acknowledges: the graceful shutdown would wait its full timeout.
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::Silent)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = Setup { _moto: moto, receiver, base, group, state: dir.path().join("state.json"), _dir: dir };
    let url = s._moto.url.clone();
    let mut child = spawn(&s, &url);
    assert!(wait_until(LONG, || s.receiver.windows() >= 1).await, "nothing was sent");
    // Follow the agent's log to see the first signal taken.
    let (lines_tx, mut lines_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    signal(&child, "-TERM");
    // The first signal starts the graceful shutdown, which waits for ACKs that never come.
    let mut seen = Vec::new();
    while let Some(line) = tokio::time::timeout(LONG, lines_rx.recv()).await.unwrap() {
        let started = line.contains("shutting down");
        seen.push(line);
        if started {
            break;
        }
    }
    let second = std::time::Instant::now();
    signal(&child, "-TERM");
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(130), "{seen:#?}");
    assert!(second.elapsed() < Duration::from_secs(20), "it waited for the shutdown timeout");
    // Nothing was acknowledged, so no position past the first record was saved.
    let saved = apigw_agent::checkpoint::CheckpointStore::new(&s.state).load().expect("the state file is readable");
    assert!(saved.get(group).is_none_or(|p| p.next_start_ms <= base), "{saved:?}");
}
