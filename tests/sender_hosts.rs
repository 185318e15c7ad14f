//! Several receivers: load balancing over all of them with several workers each, and failover
//! from a dead first host. Whole pipeline, synthetic traffic, our scripted receivers.

use crate::support;
use support::run_synthetic;

use apigw_agent::checkpoint::CheckpointStore;
use apigw_agent::config::List;
use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{Receiver, ReceiverHandle, Reply};
use apigw_agent::pipeline::RunEnd;
use std::sync::Arc;

fn receivers(n: usize, rt: &tokio::runtime::Runtime) -> Vec<ReceiverHandle> {
    (0..n).map(|_| rt.block_on(Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll))).unwrap()).collect()
}

#[test]
fn loadbalance_spreads_windows_over_every_host_and_checkpoints_stay_ordered() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rx = receivers(2, &rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut config = demo_config(&rx[0].host(), &state.display().to_string());
    config.traceability.host = List(rx.iter().map(|r| r.host()).collect());
    config.traceability.loadbalance = true;
    config.traceability.worker = 2;
    config.traceability.bulk_max_size = 100;
    assert_eq!(run_synthetic(&config, 4000, 250, 11), RunEnd::Drained);

    let all: Vec<_> = rx.iter().flat_map(|r| r.events()).collect();
    let report = tally(4000, &all);
    assert_eq!((report.delivered, report.duplicates, report.lost, report.unexpected), (4000, 0, 0, 0));
    for r in &rx {
        assert!(r.events().len() >= 1000, "a host got only {} of 8000 events", r.events().len());
        assert_eq!(r.connections(), 2, "worker = 2 connections per host");
    }
    // The last batch's position, whichever worker finished last.
    assert_eq!(CheckpointStore::new(&state).load().unwrap()["/demo"].next_start_ms, 1_764_806_400_000 + 4000);
}

#[test]
fn failover_skips_a_dead_first_host() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rx = receivers(1, &rt);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(&dead, &dir.path().join("state.json").display().to_string());
    config.traceability.host = List(vec![dead, rx[0].host()]);
    assert_eq!(run_synthetic(&config, 500, 100, 2), RunEnd::Drained);
    let report = tally(500, &rx[0].events());
    assert_eq!((report.delivered, report.duplicates, report.lost), (500, 0, 0));
}
