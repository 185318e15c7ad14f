//! The status board: each actor publishes a small observable state that `/status` reports.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What an actor is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    Starting,
    Running,
    /// Waiting for room in its downstream queue (backpressure).
    Blocked,
    /// Its last attempt failed and it is retrying.
    Failing,
    Stopped,
}

#[derive(Debug, Clone, Serialize)]
struct Entry {
    state: ActorState,
    #[serde(skip_serializing_if = "Option::is_none", rename = "lastError")]
    last_error: Option<String>,
    counters: BTreeMap<&'static str, u64>,
}

/// Shared map of actor name -> state.
#[derive(Clone)]
pub struct StatusBoard {
    inner: Arc<Mutex<BTreeMap<String, Entry>>>,
    /// Bumped on every change, so that waiters are woken instead of polling.
    changes: Arc<watch::Sender<u64>>,
}

impl Default for StatusBoard {
    fn default() -> Self {
        StatusBoard { inner: Arc::default(), changes: Arc::new(watch::channel(0).0) }
    }
}

impl StatusBoard {
    /// Registers an actor and returns its handle.
    pub fn register(&self, name: impl Into<String>) -> StatusHandle {
        let name = name.into();
        self.inner
            .lock()
            .expect("status lock")
            .insert(name.clone(), Entry { state: ActorState::Starting, last_error: None, counters: BTreeMap::new() });
        StatusHandle { board: self.clone(), name }
    }

    /// True when no actor is failing.
    pub fn healthy(&self) -> bool {
        self.inner.lock().expect("status lock").values().all(|e| e.state != ActorState::Failing)
    }

    /// Waits until `pred` holds for the state of `name`, or `limit` passes; returns the last state.
    pub async fn wait_for_state(
        &self,
        name: &str,
        limit: std::time::Duration,
        pred: impl Fn(ActorState) -> bool,
    ) -> Option<ActorState> {
        let mut changes = self.changes.subscribe();
        let _ = tokio::time::timeout(limit, async {
            loop {
                if self.state_of(name).is_some_and(&pred) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        self.state_of(name)
    }

    /// The state of one actor, for tests.
    pub fn state_of(&self, name: &str) -> Option<ActorState> {
        self.inner.lock().expect("status lock").get(name).map(|e| e.state)
    }

    /// The `/status` document: `{name, version, status, statusChecks}` as Axway's agents answer.
    pub fn to_json(&self) -> serde_json::Value {
        let entries = self.inner.lock().expect("status lock").clone();
        let healthy = entries.values().all(|e| e.state != ActorState::Failing);
        let checks: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(name, e)| {
                let mut v = serde_json::to_value(&e).expect("status serializes");
                v["status"] = if e.state == ActorState::Failing { "fail" } else { "ok" }.into();
                (name, v)
            })
            .collect();
        serde_json::json!({
            "name": "apigw-agent",
            "version": env!("CARGO_PKG_VERSION"),
            "status": if healthy { "healthy" } else { "unhealthy" },
            "statusChecks": checks,
        })
    }
}

/// One actor's handle on the board.
#[derive(Clone)]
pub struct StatusHandle {
    board: StatusBoard,
    name: String,
}

impl StatusHandle {
    fn update(&self, f: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.board.inner.lock().expect("status lock").get_mut(&self.name) {
            f(e)
        }
        self.board.changes.send_modify(|n| *n += 1);
    }
    pub fn state(&self) -> Option<ActorState> {
        self.board.state_of(&self.name)
    }
    pub fn set(&self, state: ActorState) {
        self.update(|e| {
            e.state = state;
        })
    }
    /// Marks the actor failing with the error a user should see.
    pub fn fail(&self, error: impl std::fmt::Display) {
        let msg = error.to_string();
        self.update(|e| {
            e.state = ActorState::Failing;
            e.last_error = Some(msg);
        })
    }
    pub fn add(&self, counter: &'static str, n: u64) {
        self.update(|e| *e.counters.entry(counter).or_default() += n)
    }
}
