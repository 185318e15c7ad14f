//! The Sender actor: keeps up to `traceability.pipelining` windows in flight on one Lumberjack
//! connection, matching ACKs to them in order. It takes no batch from its link while the pipeline
//! is full (backpressure). On any failure it drops the connection, fails over to the next host,
//! waits with backoff and resends only what was not acknowledged. A window's checkpoints go to the
//! Checkpointer once it and every window before it are acknowledged.

use super::backoff::Backoff;
use super::link::{Inbox, Outbox};
use super::window::{AckOutcome, InFlight, Window, WindowSizer};
use super::{Acked, Batch, Framer};
use crate::config::TraceabilityConfig;
use crate::lumberjack::{client::SendFailure, Connection};
use crate::proxy::ProxyUrl;
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use crate::tls::ClientTls;
use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, WrapFuture};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_stream::StreamExt;

/// How the Sender talks to its receivers, from `traceability.*`.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub hosts: Vec<String>,
    pub tls: Option<ClientTls>,
    /// `traceability.proxy_url`.
    pub proxy: Option<ProxyUrl>,
    pub timeout: Duration,
    /// Frames windows again when needed, with the current Central token.
    pub framer: Framer,
    pub pipelining: usize,
    pub bulk_max_size: usize,
    pub slow_start: bool,
    pub max_retries: i64,
    pub ttl: Option<Duration>,
    pub progress_timeout: Duration,
    pub backoff_init: Duration,
    pub backoff_max: Duration,
    /// Fault injection for tests: asked before each window is written; `true` makes the Sender
    /// fail (panic) there. `None` outside tests.
    pub fault: Option<FaultHook>,
}

/// See [`SenderSettings::fault`].
#[derive(Clone)]
pub struct FaultHook(pub Arc<dyn Fn() -> bool + Send + Sync>);

impl std::fmt::Debug for FaultHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultHook")
    }
}

impl SenderSettings {
    pub fn from_config(t: &TraceabilityConfig, tls: Option<ClientTls>) -> SenderSettings {
        SenderSettings {
            hosts: t.host.to_vec(),
            tls,
            proxy: t.proxy_url.get().cloned(),
            timeout: t.client_timeout.get(),
            framer: Framer::plain(t.compression_level),
            pipelining: t.pipelining.max(1),
            bulk_max_size: t.bulk_max_size,
            slow_start: t.slow_start,
            max_retries: t.max_retries,
            ttl: Some(t.ttl.get()).filter(|d| !d.is_zero()),
            progress_timeout: t.progress_timeout.get(),
            backoff_init: t.backoff.init.get(),
            backoff_max: t.backoff.max.get(),
            fault: None,
        }
    }
}

/// How the Sender's loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderExit {
    /// Its input ended and everything was acknowledged.
    Drained,
    /// The Checkpointer is gone.
    DownstreamGone,
    /// `max_retries` failed attempts in a row; the reason of the last one.
    GaveUp(String),
}

/// The connection and the policies around it.
struct Client {
    s: SenderSettings,
    next_host: usize,
    conn: Option<Connection>,
    backoff: Backoff,
    sizer: WindowSizer,
    attempts: i64,
    metrics: Metrics,
    status: StatusHandle,
}

enum Event {
    Ack(Result<u32, SendFailure>),
    Batch(Option<Batch>),
    Timeout,
    Nothing,
}

impl Client {
    async fn connect(&mut self) -> Result<(), String> {
        let host = self.s.hosts[self.next_host].clone();
        match Connection::connect_via(&host, self.s.tls.as_ref(), self.s.proxy.as_ref(), self.s.timeout).await {
            Ok(c) => {
                self.metrics.connected();
                let proxy = self.s.proxy.as_ref().map(ProxyUrl::address);
                tracing::info!(host = %host, tls = self.s.tls.is_some(), proxy, "connected to the Lumberjack receiver");
                self.conn = Some(c);
                Ok(())
            }
            Err(e) => {
                self.metrics.window_failed("connect", 0, 0);
                Err(e.to_string())
            }
        }
    }

    /// Before the first window on an idle connection: replace it if the receiver closed it
    /// meanwhile or it outlived `ttl`. Neither counts as an error.
    async fn refresh_idle(&mut self) {
        let Some(conn) = self.conn.as_mut() else { return };
        let expired = self.s.ttl.is_some_and(|ttl| conn.opened().elapsed() >= ttl);
        if expired || !conn.is_alive().await {
            tracing::debug!(host = %conn.host(), expired, "replacing an idle connection");
            self.metrics.idle_reconnect(if expired { "ttl" } else { "closed_by_receiver" });
            self.conn = None;
        }
    }

    /// Records a failure; waits out the backoff unless `max_retries` is exhausted.
    async fn fail(&mut self, inflight: &mut InFlight, reason: &str, label: &str) -> Result<(), String> {
        let host =
            self.conn.take().map(|c| c.host().to_string()).unwrap_or_else(|| self.s.hosts[self.next_host].clone());
        let acked = inflight.on_failure(&self.s.framer);
        if label != "connect" {
            self.metrics.window_failed(label, acked as usize, 0);
        }
        // Connect errors already name the host.
        let message = if label == "connect" { reason.to_string() } else { format!("{host}: {reason}") };
        tracing::warn!(error = %message, in_flight = inflight.len(), "delivery failed; resending what was not acknowledged");
        self.status.fail(&message);
        self.sizer.on_error();
        self.next_host = (self.next_host + 1) % self.s.hosts.len();
        self.attempts += 1;
        if self.s.max_retries >= 0 && self.attempts > self.s.max_retries {
            return Err(format!(
                "gave up after {} attempts (traceability.max_retries {}): {message}",
                self.attempts, self.s.max_retries
            ));
        }
        tokio::time::sleep(self.backoff.next_wait()).await;
        Ok(())
    }

    fn succeeded(&mut self, w: &Window) {
        self.metrics.window_acked(w.count() as usize, w.wire.len());
        self.status.add("windows_acked", 1);
        self.status.set(ActorState::Running);
        self.sizer.on_success();
        self.backoff.reset();
        self.attempts = 0;
    }
}

/// Tells the Checkpointer that the batch a completed window ends is done; false when it is gone.
async fn forward(out: &Outbox<Acked>, w: Window, status: &StatusHandle) -> bool {
    match w.batch_id {
        Some(batch_id) => out.send(Acked { batch_id, checkpoints: w.checkpoints }, status).await,
        None => true,
    }
}

/// The batch link, shared by the Sender workers: each takes the next batch when it has room.
#[derive(Clone)]
pub struct SharedInbox(Arc<tokio::sync::Mutex<Inbox<Batch>>>);

impl SharedInbox {
    pub fn new(inbox: Inbox<Batch>) -> SharedInbox {
        SharedInbox(Arc::new(tokio::sync::Mutex::new(inbox)))
    }
    /// Cancel-safe: a batch is only taken out of the channel when this completes.
    async fn next(&self) -> Option<Batch> {
        self.0.lock().await.next().await
    }
}

/// The Sender's loop: reads batches from `inbox` until it ends and everything is acknowledged.
/// It is supervised: if it fails (panics), it is restarted with backoff, keeping the windows it
/// held, which are all resent as after a connection failure; the failure shows in `/status` and
/// in `apigw_agent_actor_restarts_total{actor="sender"}`.
pub async fn run_sender(
    inbox: SharedInbox,
    settings: SenderSettings,
    out: Outbox<Acked>,
    metrics: Metrics,
    status: StatusHandle,
) -> SenderExit {
    use futures_util::FutureExt;
    let mut inflight = InFlight::default();
    let mut restarts = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
    loop {
        let attempt = sender_loop(&inbox, settings.clone(), &out, metrics.clone(), &status, &mut inflight);
        match std::panic::AssertUnwindSafe(attempt).catch_unwind().await {
            Ok(exit) => return exit,
            Err(panic) => {
                let why = super::panic_message(panic.as_ref());
                metrics.actor_restart("sender");
                status.fail(format!("restarted after a failure: {why}"));
                tracing::error!(error = %why, in_flight = inflight.len(), "the sender failed; restarting it, and resending what it held");
                inflight.on_failure(&settings.framer);
                tokio::time::sleep(restarts.next_wait()).await;
            }
        }
    }
}

async fn sender_loop(
    inbox: &SharedInbox,
    settings: SenderSettings,
    out: &Outbox<Acked>,
    metrics: Metrics,
    status: &StatusHandle,
    inflight: &mut InFlight,
) -> SenderExit {
    let pipelining = settings.pipelining;
    let (timeout, progress_timeout) = (settings.timeout, settings.progress_timeout);
    let mut c = Client {
        backoff: Backoff::new(settings.backoff_init, settings.backoff_max),
        sizer: WindowSizer::new(settings.bulk_max_size, settings.slow_start),
        s: settings,
        next_host: 0,
        conn: None,
        attempts: 0,
        metrics,
        status: status.clone(),
    };
    let mut closed = false;
    let (mut read_deadline, mut last_progress) = (Instant::now(), Instant::now());
    loop {
        for done in inflight.take_done() {
            if !forward(out, done, status).await {
                return SenderExit::DownstreamGone;
            }
        }
        if closed && inflight.is_empty() {
            return SenderExit::Drained;
        }

        // Write while the pipeline has room.
        if inflight.written() < pipelining && inflight.next_unwritten().is_some() {
            let first = inflight.written() == 0;
            if first {
                c.refresh_idle().await;
            }
            if c.conn.is_none() {
                if let Err(reason) = c.connect().await {
                    if let Err(gave_up) = c.fail(inflight, &reason, "connect").await {
                        return SenderExit::GaveUp(gave_up);
                    }
                    continue;
                }
            }
            let conn = c.conn.as_mut().expect("connected above");
            if c.s.fault.as_ref().is_some_and(|f| (f.0)()) {
                panic!("fault injected before a write");
            }
            let window = inflight.next_unwritten().expect("checked above");
            // A token refreshed since the window was framed: resend it with the current one.
            if window.generation != c.s.framer.generation() {
                (window.wire, window.generation) = c.s.framer.frame(&window.events);
            }
            match conn.write_window(&window.wire, timeout).await {
                Ok(()) => {
                    window.written = true;
                    c.metrics.window_size(window.count() as usize);
                    if first {
                        read_deadline = Instant::now() + timeout;
                        last_progress = Instant::now();
                    }
                }
                Err(f) => {
                    if let Err(gave_up) = c.fail(inflight, &f.to_string(), f.label()).await {
                        return SenderExit::GaveUp(gave_up);
                    }
                }
            }
            continue;
        }

        let waiting = inflight.written() > 0;
        let can_take = !closed && inflight.len() < pipelining;
        let event = tokio::select! {
            ack = async { c.conn.as_mut().expect("written windows have a connection").read_ack().await }, if waiting => Event::Ack(ack),
            batch = inbox.next(), if can_take => Event::Batch(batch),
            _ = tokio::time::sleep_until(read_deadline), if waiting => Event::Timeout,
            else => Event::Nothing,
        };
        let failure = match event {
            Event::Nothing => None,
            Event::Batch(None) => {
                closed = true;
                None
            }
            Event::Batch(Some(batch)) => {
                for w in c.sizer.split(batch, &c.s.framer) {
                    inflight.push(w);
                }
                None
            }
            Event::Timeout => Some(SendFailure::Timeout(timeout)),
            Event::Ack(Err(f)) => Some(f),
            Event::Ack(Ok(n)) => {
                read_deadline = Instant::now() + timeout;
                match inflight.on_ack(n) {
                    AckOutcome::Keepalive => {
                        c.metrics.keepalive();
                        (last_progress.elapsed() >= progress_timeout)
                            .then_some(SendFailure::NoProgress(progress_timeout))
                    }
                    AckOutcome::Partial => {
                        last_progress = Instant::now();
                        None
                    }
                    AckOutcome::Protocol { ack, count } => Some(SendFailure::AckAboveWindow { ack, count }),
                    AckOutcome::Completed(done) => {
                        last_progress = Instant::now();
                        for w in done {
                            if w.count() > 0 {
                                c.succeeded(&w);
                            }
                            if !forward(out, w, status).await {
                                return SenderExit::DownstreamGone;
                            }
                        }
                        None
                    }
                }
            }
        };
        if let Some(f) = failure {
            if let Err(gave_up) = c.fail(inflight, &f.to_string(), f.label()).await {
                return SenderExit::GaveUp(gave_up);
            }
        }
    }
}

/// The actor around [`run_sender`]; `gave_up` tells the pipeline when retries are exhausted.
pub struct Sender {
    parts: Option<(SharedInbox, SenderSettings, Outbox<Acked>, Metrics)>,
    gave_up: tokio::sync::mpsc::Sender<String>,
    status: StatusHandle,
}

impl Sender {
    pub fn new(
        inbox: SharedInbox,
        settings: SenderSettings,
        out: Outbox<Acked>,
        metrics: Metrics,
        status: StatusHandle,
        gave_up: tokio::sync::mpsc::Sender<String>,
    ) -> Self {
        Sender { parts: Some((inbox, settings, out, metrics)), gave_up, status }
    }
}

impl Actor for Sender {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        let (inbox, settings, out, metrics) = self.parts.take().expect("started once");
        let fut = run_sender(inbox, settings, out, metrics, self.status.clone());
        ctx.spawn(fut.into_actor(self).map(|exit, act, ctx| {
            if let SenderExit::GaveUp(reason) = exit {
                tracing::error!(error = %reason, "stopping: the receiver could not be reached; nothing was dropped, the checkpoint stays before the unsent events");
                act.status.fail(&reason);
                let _ = act.gave_up.try_send(reason);
            }
            ctx.stop();
        }));
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        if self.status.state() != Some(ActorState::Failing) {
            self.status.set(ActorState::Stopped);
        }
    }
}
