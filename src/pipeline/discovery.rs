//! Log group rediscovery: every `aws.discovery_interval`, the groups matching the configured
//! prefixes are listed again; a poller starts for each new one (from its saved position, if any),
//! and the poller of a group that is gone is stopped and reported. Groups named in `aws.log_group`
//! are never dropped.

use super::link::Outbox;
use super::poller::Poller;
use super::{Backoff, LogChunk};
use crate::checkpoint::GroupPosition;
use crate::source::LogSource;
use crate::telemetry::StatusBoard;
use actix::Actor;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::watch;

/// Lists the groups that should be read now.
pub type ListGroups = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>>>>>;

/// Makes the reader of a group found later, from its saved position if any.
pub type MakeSource<S> = Box<dyn Fn(&str, Option<i64>) -> S>;

/// How to find groups again, and how to read a new one.
pub struct Discovery<S> {
    pub interval: Duration,
    pub list: ListGroups,
    pub make: MakeSource<S>,
    /// Groups configured by name: read always, never dropped.
    pub pinned: BTreeSet<String>,
}

/// What the pipeline gives the discovery loop.
pub(super) struct Running {
    pub out: Outbox<LogChunk>,
    pub stop: watch::Receiver<bool>,
    pub positions: BTreeMap<String, GroupPosition>,
    pub board: StatusBoard,
    pub poll_interval: Duration,
    /// Pollers of the groups found by prefix so far, with their own stop switch.
    pub managed: BTreeMap<String, watch::Sender<bool>>,
}

/// Starts a poller for `source`; returns its stop switch.
pub(super) fn start_poller<S: LogSource>(
    source: S,
    out: Outbox<LogChunk>,
    poll_interval: Duration,
    board: &StatusBoard,
) -> watch::Sender<bool> {
    let (tx, rx) = watch::channel(false);
    let status = board.register(format!("poller:{}", source.log_group()));
    let retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    Poller::new(source, out, poll_interval, retry, rx, status).start();
    tx
}

/// Runs until the pipeline stops; then stops the pollers it manages and lets go of its outbox.
pub(super) async fn rediscover<S: LogSource>(mut d: Discovery<S>, mut r: Running) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(d.interval) => {}
            _ = r.stop.wait_for(|s| *s) => break,
        }
        let listed = match (d.list)().await {
            Ok(groups) => groups,
            Err(e) => {
                tracing::warn!(error = %e, "log group rediscovery failed; keeping the groups being read");
                continue;
            }
        };
        let now: BTreeSet<String> = listed.into_iter().filter(|g| !d.pinned.contains(g)).collect();
        let new: Vec<String> = now.iter().filter(|g| !r.managed.contains_key(*g)).cloned().collect();
        for group in &new {
            tracing::info!(log_group = %group, "new log group found; reading it");
            let source = (d.make)(group, r.positions.get(group).map(|p| p.next_start_ms));
            let stop = start_poller(source, r.out.clone(), r.poll_interval, &r.board);
            r.managed.insert(group.clone(), stop);
        }
        let gone: Vec<String> = r.managed.keys().filter(|g| !now.contains(*g)).cloned().collect();
        for group in gone {
            tracing::warn!(log_group = %group, "log group no longer exists; its poller is stopped");
            if let Some(stop) = r.managed.remove(&group) {
                stop.send_replace(true);
            }
        }
    }
    for stop in r.managed.values() {
        stop.send_replace(true);
    }
}
