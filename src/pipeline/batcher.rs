//! The Batcher actor (on its own Arbiter thread): gathers events into windows of at most
//! `bulk_max_size`, or whatever arrived within `flush_interval`, and frames + compresses each one.

use super::link::{send_pausing, Inbox, Outbox};
use super::Framer;
use super::{Batch, Checkpoint, EventChunk};
use crate::telemetry::{ActorState, StatusHandle};
use actix::{Actor, AsyncContext, Context, StreamHandler};
use bytes::Bytes;
use std::time::{Duration, Instant};

pub struct Batcher {
    out: Outbox<Batch>,
    bulk_max_size: usize,
    framer: Framer,
    flush_interval: Duration,
    events: Vec<Bytes>,
    checkpoints: Vec<Checkpoint>,
    next_id: u64,
    last_flush: Instant,
    status: StatusHandle,
}

impl Batcher {
    pub fn new(
        out: Outbox<Batch>,
        bulk_max_size: usize,
        framer: Framer,
        flush_interval: Duration,
        status: StatusHandle,
    ) -> Self {
        Batcher {
            out,
            bulk_max_size,
            framer,
            flush_interval,
            events: Vec::with_capacity(bulk_max_size),
            checkpoints: Vec::new(),
            next_id: 0,
            last_flush: Instant::now(),
            status,
        }
    }

    /// Starts the batcher on `arbiter`, reading `inbox`.
    pub fn start_on(self, arbiter: &actix::ArbiterHandle, inbox: Inbox<EventChunk>) -> actix::Addr<Self> {
        Batcher::start_in_arbiter(arbiter, move |ctx| {
            ctx.add_stream(inbox);
            self
        })
    }

    /// Adds a chunk; returns the windows it completed.
    pub fn push(&mut self, chunk: EventChunk) -> Vec<Batch> {
        let mut ready = Vec::new();
        for event in chunk.events {
            self.events.push(event);
            if self.events.len() == self.bulk_max_size {
                ready.push(self.take());
            }
        }
        // The checkpoint rides with the window holding the chunk's last event (or a later one).
        self.checkpoints.extend(chunk.checkpoint);
        ready
    }

    /// Frames what is pending as one window (possibly empty but carrying checkpoints).
    pub fn take(&mut self) -> Batch {
        let events = std::mem::replace(&mut self.events, Vec::with_capacity(self.bulk_max_size));
        let (wire, generation) = self.framer.frame(&events);
        self.next_id += 1;
        self.last_flush = Instant::now();
        self.status.add("windows", 1);
        Batch { id: self.next_id, events, wire, checkpoints: std::mem::take(&mut self.checkpoints), generation }
    }

    fn pending(&self) -> bool {
        !self.events.is_empty() || !self.checkpoints.is_empty()
    }

    /// Sends the windows in order, pausing the actor (and so its input) until the Sender's link
    /// took them all.
    fn send_all(&mut self, batches: Vec<Batch>, ctx: &mut Context<Self>, then_stop: bool) {
        send_pausing(self.out.clone(), batches, self.status.clone(), ctx, then_stop);
    }
}

impl Actor for Batcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        let tick = (self.flush_interval / 2).max(Duration::from_millis(10));
        ctx.run_interval(tick, |act, ctx| {
            if act.pending() && act.last_flush.elapsed() >= act.flush_interval {
                let batch = act.take();
                act.send_all(vec![batch], ctx, false);
            }
        });
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Stopped);
    }
}

impl StreamHandler<EventChunk> for Batcher {
    fn handle(&mut self, chunk: EventChunk, ctx: &mut Context<Self>) {
        let ready = self.push(chunk);
        if !ready.is_empty() {
            self.send_all(ready, ctx, false);
        }
    }

    /// Input ended (shutdown or the source finished): flush what is pending, then stop.
    fn finished(&mut self, ctx: &mut Context<Self>) {
        let last = if self.pending() { vec![self.take()] } else { Vec::new() };
        self.send_all(last, ctx, true);
    }
}
