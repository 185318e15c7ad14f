//! The Sender actor: delivers one window at a time over Lumberjack, waiting for its ACKs; on any
//! failure it reconnects with backoff (failing over to the next host) and resends only the
//! unacknowledged tail. Then it hands the window's checkpoints to the Checkpointer.

use super::backoff::Backoff;
use super::link::{Inbox, Outbox};
use super::{Acked, Batch};
use crate::lumberjack::{encode_window, Connection};
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use crate::tls::ClientTls;
use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, StreamHandler, WrapFuture};
use std::time::Duration;

/// The connection state a delivery needs; moved into each delivery future and back.
pub struct LumberjackClient {
    hosts: Vec<String>,
    next_host: usize,
    tls: Option<ClientTls>,
    timeout: Duration,
    compression_level: u32,
    conn: Option<Connection>,
    backoff: Backoff,
    metrics: Metrics,
    status: StatusHandle,
}

impl LumberjackClient {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        hosts: Vec<String>,
        tls: Option<ClientTls>,
        timeout: Duration,
        compression_level: u32,
        backoff: Backoff,
        metrics: Metrics,
        status: StatusHandle,
    ) -> Self {
        LumberjackClient { hosts, next_host: 0, tls, timeout, compression_level, conn: None, backoff, metrics, status }
    }

    /// Delivers every event of `batch`, retrying until the receiver acknowledged them all.
    pub async fn deliver(&mut self, batch: &Batch) {
        let mut done = 0usize; // events acknowledged so far
        let mut wire = batch.wire.clone();
        while done < batch.events.len() {
            let count = (batch.events.len() - done) as u32;
            let timeout = self.timeout;
            let Some(conn) = self.connection().await else {
                continue;
            };
            let host = conn.host().to_string();
            match conn.send_window(&wire, count, timeout).await {
                Ok(acked) => {
                    self.metrics.window_acked(count as usize, wire.len(), acked.keepalives);
                    self.status.add("windows_acked", 1);
                    self.status.set(ActorState::Running);
                    self.backoff.reset();
                    done = batch.events.len();
                }
                Err(e) => {
                    self.conn = None;
                    self.metrics.window_failed(e.kind.label(), e.acked as usize, wire.len());
                    tracing::warn!(host = %host, error = %e, "window not fully acknowledged; resending the unacknowledged events");
                    self.status.fail(format!("{host}: {e}"));
                    if e.acked > 0 {
                        done += e.acked as usize;
                        wire = encode_window(&batch.events[done..], self.compression_level);
                    }
                    self.failover();
                    tokio::time::sleep(self.backoff.next_wait()).await;
                }
            }
        }
    }

    /// The open connection, or a new one; `None` after a failed attempt (already waited out).
    async fn connection(&mut self) -> Option<&mut Connection> {
        if self.conn.is_none() {
            let host = self.hosts[self.next_host].clone();
            match Connection::connect(&host, self.tls.as_ref(), self.timeout).await {
                Ok(c) => {
                    self.metrics.connected();
                    tracing::info!(host = %host, tls = self.tls.is_some(), "connected to the Lumberjack receiver");
                    self.conn = Some(c);
                }
                Err(e) => {
                    self.metrics.window_failed("connect", 0, 0);
                    tracing::warn!(error = %e, "cannot reach the Lumberjack receiver; retrying");
                    self.status.fail(&e);
                    self.failover();
                    tokio::time::sleep(self.backoff.next_wait()).await;
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }

    fn failover(&mut self) {
        self.next_host = (self.next_host + 1) % self.hosts.len();
    }
}

pub struct Sender {
    client: Option<LumberjackClient>,
    out: Outbox<Acked>,
    status: StatusHandle,
}

impl Sender {
    pub fn new(client: LumberjackClient, out: Outbox<Acked>, status: StatusHandle) -> Self {
        Sender { client: Some(client), out, status }
    }

    pub fn start_with(self, inbox: Inbox<Batch>) -> actix::Addr<Self> {
        Sender::create(|ctx| {
            ctx.add_stream(inbox);
            self
        })
    }
}

impl Actor for Sender {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Running);
    }
    fn stopped(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Stopped);
    }
}

impl StreamHandler<Batch> for Sender {
    fn handle(&mut self, batch: Batch, ctx: &mut Context<Self>) {
        let mut client = self.client.take().expect("one delivery at a time");
        let (out, status) = (self.out.clone(), self.status.clone());
        // `wait`: no next batch is taken from the link until this one is acknowledged.
        ctx.wait(
            async move {
                client.deliver(&batch).await;
                let sent =
                    batch.checkpoints.is_empty() || out.send(Acked { checkpoints: batch.checkpoints }, &status).await;
                (client, sent)
            }
            .into_actor(self)
            .map(|(client, sent), act, ctx| {
                act.client = Some(client);
                if !sent {
                    ctx.stop();
                }
            }),
        );
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
