//! Bounded links between actors: a tokio mpsc channel whose receiving end is attached to the next
//! actor as its stream. actix mailboxes do not enforce capacity for data (actix #515, #329); these do.

use crate::telemetry::{ActorState, Metrics, StatusHandle};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio_stream::{wrappers::ReceiverStream, Stream};

/// Observable fill level of one link: the most messages it ever held, as the channel counts them.
#[derive(Debug, Default)]
pub struct LinkGauge {
    high_water: AtomicUsize,
    capacity: AtomicUsize,
}

impl LinkGauge {
    pub fn high_water(&self) -> usize {
        self.high_water.load(Ordering::SeqCst)
    }
    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::SeqCst)
    }
}

/// The sending end, shared by the actors that feed one link.
pub struct Outbox<T> {
    name: &'static str,
    tx: mpsc::Sender<T>,
    gauge: Arc<LinkGauge>,
    metrics: Metrics,
}

impl<T> Clone for Outbox<T> {
    fn clone(&self) -> Self {
        Outbox { name: self.name, tx: self.tx.clone(), gauge: self.gauge.clone(), metrics: self.metrics.clone() }
    }
}

/// The receiving end, attached to the next actor with `ctx.add_stream`.
pub struct Inbox<T> {
    rx: ReceiverStream<T>,
}

/// Creates a link holding at most `capacity` messages.
pub fn link<T>(name: &'static str, capacity: usize, metrics: &Metrics) -> (Outbox<T>, Inbox<T>, Arc<LinkGauge>) {
    let (tx, rx) = mpsc::channel(capacity);
    let gauge = Arc::new(LinkGauge::default());
    gauge.capacity.store(capacity, Ordering::SeqCst);
    (Outbox { name, tx, gauge: gauge.clone(), metrics: metrics.clone() }, Inbox { rx: ReceiverStream::new(rx) }, gauge)
}

impl<T> Outbox<T> {
    /// Waits for room, then sends. While it waits the caller's status shows `blocked`.
    /// Returns false when the next actor is gone.
    pub async fn send(&self, item: T, status: &StatusHandle) -> bool {
        let full = self.tx.capacity() == 0;
        if full {
            status.set(ActorState::Blocked);
        }
        let permit = self.tx.reserve().await;
        if full {
            status.set(ActorState::Running);
        }
        let Ok(permit) = permit else { return false };
        // Queued messages plus reserved slots (ours included), from the channel's own count: a
        // counter of ours, decremented after each receive, would lag behind the freed slot.
        let depth = self.tx.max_capacity() - self.tx.capacity();
        self.gauge.high_water.fetch_max(depth, Ordering::SeqCst);
        permit.send(item);
        self.metrics.queue_depth(self.name, depth);
        true
    }
}

impl<T> Stream for Inbox<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}

/// Sends `items` in order, pausing the actor of `ctx` (and so its stream input) until the link
/// took them all: backpressure. The actor stops when the link is gone, or after them with
/// `then_stop`. One future for all of them, since actix runs stacked `wait`s last-first.
pub fn send_pausing<A, T>(
    out: Outbox<T>,
    items: Vec<T>,
    status: StatusHandle,
    ctx: &mut actix::Context<A>,
    then_stop: bool,
) where
    A: actix::Actor<Context = actix::Context<A>>,
    T: Send + 'static,
{
    use actix::{ActorContext, ActorFutureExt, AsyncContext};
    let sending = async move {
        for item in items {
            if !out.send(item, &status).await {
                return false;
            }
        }
        true
    };
    ctx.wait(actix::fut::wrap_future::<_, A>(sending).map(move |sent, _, ctx: &mut actix::Context<A>| {
        if !sent || then_stop {
            ctx.stop();
        }
    }));
}
