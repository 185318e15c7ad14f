//! The whole pipeline (synthetic traffic) through receiver outages: down at start, down for a
//! while mid-stream (its port closed, its connections dropped), and silent for a while. Each ends
//! with every record delivered, and duplicates only of what was in flight.

use crate::support;

use apigw_agent::catalog::ApiCatalog;
use apigw_agent::config::{Config, Dur};
use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{ReceivedEvent, Receiver, ReceiverHandle, Reply};
use apigw_agent::pipeline::{self, CatalogSetup, RunEnd, Telemetry};
use apigw_agent::source::SyntheticSource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::wait_until;

const RECORDS: u64 = 6_000;
const BULK: usize = 200;
const WAIT: Duration = Duration::from_secs(60);

/// Runs the pipeline on its own thread; returns its telemetry and how it ended.
fn start(config: Config) -> (Telemetry, std::thread::JoinHandle<RunEnd>) {
    let telemetry = Telemetry::default();
    let t = telemetry.clone();
    let thread = std::thread::spawn(move || {
        actix::System::new()
            .block_on(pipeline::run(
                &config,
                |_| vec![SyntheticSource::new("/demo", RECORDS, 250, 1_764_806_400_000, 5)],
                CatalogSetup::Static(ApiCatalog::default()),
                &t,
                std::future::pending(),
            ))
            .expect("pipeline starts")
    });
    (telemetry, thread)
}

fn config(host: &str, dir: &tempfile::TempDir) -> Config {
    let mut c = demo_config(host, &dir.path().join("state.json").display().to_string());
    c.traceability.bulk_max_size = BULK;
    c.traceability.client_timeout = Dur::secs(1);
    c.traceability.backoff.init = Dur::millis(20);
    c.traceability.backoff.max = Dur::millis(100);
    c
}

fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string()
}

async fn ack_all(addr: &str) -> ReceiverHandle {
    Receiver::start(addr, None, Arc::new(|_| Reply::AckAll)).await.unwrap()
}

/// Everything delivered; returns the duplicates.
fn check(events: &[ReceivedEvent]) -> u64 {
    let r = tally(RECORDS, events);
    assert_eq!((r.delivered, r.lost, r.unexpected), (RECORDS, 0, 0));
    r.duplicates
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_at_start_gets_everything_once_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let (telemetry, run) = start(config(&addr, &dir));
    let m = telemetry.metrics.clone();
    assert!(wait_until(WAIT, || m.send_errors_total("connect") >= 3).await, "no connection attempts");
    let receiver = ack_all(&addr).await;
    assert_eq!(tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap(), RunEnd::Drained);
    assert_eq!(check(&receiver.events()), 0, "nothing was sent before it was up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_while_mid_stream_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let first = ack_all(&addr).await;
    let (telemetry, run) = start(config(&addr, &dir));
    assert!(first.wait_for_events(2 * RECORDS as usize / 3, WAIT).await >= 2 * RECORDS as usize / 3);
    // Down: port closed, connections dropped. Once every connection is over, what it kept (and
    // acknowledged) is final.
    first.stop();
    assert_eq!(first.wait_for_closed(first.connections(), WAIT).await, first.connections());
    let before = first.events();
    let m = telemetry.metrics.clone();
    let failures = m.send_errors_total("connect");
    assert!(wait_until(WAIT, || m.send_errors_total("connect") >= failures + 3).await, "it never noticed");
    let second = ack_all(&addr).await;
    assert_eq!(tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap(), RunEnd::Drained);
    let mut all = before;
    all.extend(second.events());
    // At most the windows in flight when it went down are sent twice: pipelining (2) windows of
    // BULK events, two events per record.
    let dups = check(&all);
    assert!(dups <= 2 * BULK as u64 / 2, "{dups} duplicates, more than 2 windows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_silent_for_a_while_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let silent = Arc::new(AtomicBool::new(false));
    let gate = silent.clone();
    let receiver = Receiver::start(
        "127.0.0.1:0",
        None,
        Arc::new(move |w| if w >= 5 && gate.load(Ordering::SeqCst) { Reply::Silent } else { Reply::AckAll }),
    )
    .await
    .unwrap();
    silent.store(true, Ordering::SeqCst);
    let (telemetry, run) = start(config(&receiver.host(), &dir));
    let m = telemetry.metrics.clone();
    // Silent windows time out (client_timeout 1 s) and are resent.
    assert!(wait_until(WAIT, || m.send_errors_total("timeout") >= 2).await, "no timeouts");
    silent.store(false, Ordering::SeqCst);
    assert_eq!(tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap(), RunEnd::Drained);
    let dups = check(&receiver.events());
    eprintln!("silent receiver: {dups} duplicates");
}
