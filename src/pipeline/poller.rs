//! The Poller actor: reads one log group through its [`LogSource`] and forwards each page into the
//! bounded link to the Transformer. While that link is full it waits, and so calls AWS no more.

use super::backoff::Backoff;
use super::link::Outbox;
use super::LogChunk;
use crate::source::{LogSource, Step};
use crate::telemetry::{ActorState, StatusHandle};
use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, WrapFuture};
use std::time::Duration;
use tokio::sync::watch;

pub struct Poller<S: LogSource> {
    source: Option<S>,
    out: Outbox<LogChunk>,
    interval: Duration,
    retry: Backoff,
    shutdown: watch::Receiver<bool>,
    status: StatusHandle,
}

impl<S: LogSource> Poller<S> {
    pub fn new(
        source: S,
        out: Outbox<LogChunk>,
        interval: Duration,
        retry: Backoff,
        shutdown: watch::Receiver<bool>,
        status: StatusHandle,
    ) -> Self {
        Poller { source: Some(source), out, interval, retry, shutdown, status }
    }
}

/// Waits `d`, or less if shutdown is asked for; returns true when shutting down.
async fn pause(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown.wait_for(|stop| *stop) => true,
    }
}

async fn poll_loop<S: LogSource>(
    mut source: S,
    out: Outbox<LogChunk>,
    interval: Duration,
    mut retry: Backoff,
    mut shutdown: watch::Receiver<bool>,
    status: StatusHandle,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let step = tokio::select! {
            step = source.next() => step,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match step {
            Ok(Step::Chunk(chunk)) => {
                retry.reset();
                status.set(ActorState::Running);
                status.add("pages", 1);
                status.add("records", chunk.records.len() as u64);
                if !out.send(chunk, &status).await {
                    return;
                }
            }
            Ok(Step::CaughtUp) => {
                status.set(ActorState::Running);
                if pause(interval, &mut shutdown).await {
                    return;
                }
            }
            Ok(Step::Finished) => return,
            Err(e) => {
                tracing::warn!(log_group = %source.log_group(), error = %e, "reading the log group failed; retrying");
                status.fail(&e);
                if pause(retry.next_wait(), &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

impl<S: LogSource> Actor for Poller<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        let source = self.source.take().expect("started once");
        let fut = poll_loop(
            source,
            self.out.clone(),
            self.interval,
            self.retry.clone(),
            self.shutdown.clone(),
            self.status.clone(),
        );
        ctx.spawn(fut.into_actor(self).map(|_, _, ctx| ctx.stop()));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Stopped);
    }
}
