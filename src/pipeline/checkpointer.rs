//! The Checkpointer actor: keeps the newest acknowledged position per log group and writes the
//! state file at most every `state.flush_interval`, and once more when the pipeline ends.

use super::link::Inbox;
use super::{Acked, Checkpoint};
use crate::checkpoint::{CheckpointStore, GroupPosition};
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use actix::{Actor, AsyncContext, Context, StreamHandler};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::oneshot;

pub struct Checkpointer {
    store: CheckpointStore,
    positions: BTreeMap<String, GroupPosition>,
    dirty: bool,
    flush_interval: Duration,
    done: Option<oneshot::Sender<()>>,
    sequence: AckSequence,
    metrics: Metrics,
    status: StatusHandle,
}

impl Checkpointer {
    pub fn new(
        store: CheckpointStore,
        positions: BTreeMap<String, GroupPosition>,
        flush_interval: Duration,
        done: oneshot::Sender<()>,
        metrics: Metrics,
        status: StatusHandle,
    ) -> Self {
        Checkpointer {
            store,
            positions,
            dirty: false,
            flush_interval,
            done: Some(done),
            sequence: AckSequence::default(),
            metrics,
            status,
        }
    }

    pub fn start_with(self, inbox: Inbox<Acked>) -> actix::Addr<Self> {
        Checkpointer::create(|ctx| {
            ctx.add_stream(inbox);
            self
        })
    }

    fn write(&mut self) {
        if !self.dirty {
            return;
        }
        match self.store.save(&self.positions) {
            Ok(()) => {
                self.dirty = false;
                self.metrics.checkpoint_written();
                self.status.add("writes", 1);
                self.status.set(ActorState::Running);
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot persist read positions; will retry (delivery continues, a restart would resend)");
                self.status.fail(e);
            }
        }
    }
}

impl Actor for Checkpointer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        ctx.run_interval(self.flush_interval, |act, _| act.write());
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.write();
        self.status.set(ActorState::Stopped);
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

impl StreamHandler<Acked> for Checkpointer {
    fn handle(&mut self, acked: Acked, _: &mut Context<Self>) {
        for c in self.sequence.complete(acked) {
            let entry = self
                .positions
                .entry(c.log_group.to_string())
                .or_insert(GroupPosition { next_start_ms: c.next_start_ms });
            entry.next_start_ms = entry.next_start_ms.max(c.next_start_ms);
            self.dirty = true;
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        actix::ActorContext::stop(ctx);
    }
}

/// Control message: write the acknowledged positions now (used when shutdown times out).
#[derive(actix::Message)]
#[rtype(result = "()")]
pub struct Flush;

impl actix::Handler<Flush> for Checkpointer {
    type Result = ();
    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
        self.write();
    }
}

/// Applies batch completions in batch order: with several Sender workers a later batch can be
/// acknowledged first, and its checkpoint must wait until every earlier batch is done. Holds at
/// most as many completions as there are batches in flight.
#[derive(Debug)]
pub struct AckSequence {
    next: u64,
    early: BTreeMap<u64, Vec<Checkpoint>>,
}

impl Default for AckSequence {
    /// The Batcher numbers batches from 1.
    fn default() -> Self {
        AckSequence { next: 1, early: BTreeMap::new() }
    }
}

impl AckSequence {
    /// Records `acked`; returns the checkpoints that are now safe, in order.
    pub fn complete(&mut self, acked: Acked) -> Vec<Checkpoint> {
        self.early.insert(acked.batch_id, acked.checkpoints);
        let mut ready = Vec::new();
        while let Some(checkpoints) = self.early.remove(&self.next) {
            ready.extend(checkpoints);
            self.next += 1;
        }
        ready
    }
}
