//! Wires and runs the pipeline inside the current actix System, downstream-first, until the
//! sources end or `shutdown` resolves (then it drains, bounded by `pipeline.shutdown_timeout`).

use super::batcher::Batcher;
use super::checkpointer::{Checkpointer, Flush};
use super::discovery::{rediscover, start_poller, Discovery, Running};
use super::framer::Framer;
use super::link::{link, LinkGauge};
use super::sender::{Sender, SenderSettings, SharedInbox};
use super::transformer::Transformer;
use crate::catalog::{first_catalog, ApiCatalog, CatalogActor, CatalogClients, TagFilter};
use crate::central::{first_token, no_token, start_refresher, TokenError, TokenSource};
use crate::checkpoint::{CheckpointStore, GroupPosition, StateError};
use crate::config::Config;
use crate::event::EventContext;
use crate::redaction::Redactor;
use crate::source::LogSource;
use crate::telemetry::{Metrics, StatusBoard};
use crate::tls::{self, TlsError};
use actix::Actor;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Where API names come from.
pub enum CatalogSetup {
    /// A fixed catalog (the demo, tests).
    Static(ApiCatalog),
    /// Discovered through API Gateway (v1 and v2) and refreshed every `interval`; with a filter,
    /// only the stages it selects are traced.
    Aws { clients: CatalogClients, interval: Duration, filter: Option<TagFilter> },
}

/// The named links of a running pipeline.
type LinkGauges = Arc<Mutex<Vec<(&'static str, Arc<LinkGauge>)>>>;

/// Shared observability handles: counters, actor states, and the fill level of every link.
#[derive(Clone, Default)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub board: StatusBoard,
    pub links: LinkGauges,
}

impl Telemetry {
    /// The gauge of the link named `name` (e.g. "batcher->sender").
    pub fn link(&self, name: &str) -> Option<Arc<LinkGauge>> {
        self.links.lock().expect("links lock").iter().find(|(n, _)| *n == name).map(|(_, g)| g.clone())
    }
}

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("Amplify Central authentication: {0}")]
    Central(#[from] TokenError),
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every source ended and everything read was acknowledged and checkpointed.
    Drained,
    /// Shutdown was asked for and everything in flight was acknowledged in time.
    ShutdownClean,
    /// Shutdown was asked for and `shutdown_timeout` passed with windows unacknowledged; the
    /// checkpoint holds only acknowledged positions, so a restart resends them.
    ShutdownTimedOut,
    /// The Sender exhausted `traceability.max_retries`; nothing was dropped, the checkpoint
    /// stays before the unsent events.
    SenderGaveUp,
}

/// Runs the pipeline. `make_sources` receives the saved positions and returns one source per log group.
pub async fn run<S: LogSource>(
    config: &Config,
    make_sources: impl FnOnce(&BTreeMap<String, GroupPosition>) -> Vec<S>,
    catalog: CatalogSetup,
    telemetry: &Telemetry,
    shutdown: impl Future<Output = ()>,
) -> Result<RunEnd, PipelineError> {
    run_with_discovery(config, make_sources, None, catalog, telemetry, shutdown).await
}

/// [`run`], with log groups found again periodically (see [`Discovery`]).
pub async fn run_with_discovery<S: LogSource>(
    config: &Config,
    make_sources: impl FnOnce(&BTreeMap<String, GroupPosition>) -> Vec<S>,
    discovery: Option<Discovery<S>>,
    catalog: CatalogSetup,
    telemetry: &Telemetry,
    shutdown: impl Future<Output = ()>,
) -> Result<RunEnd, PipelineError> {
    let tls = tls::client_config(&config.traceability)?;
    if let Some(tls) = &tls {
        for warning in &tls.policy.warnings {
            tracing::warn!("{warning}");
        }
        tracing::info!("Lumberjack TLS: {}", tls.describe());
    }
    let mut shutdown = std::pin::pin!(shutdown);
    let token = if config.central.auth.enabled() {
        let source = Arc::new(TokenSource::from_config(&config.central)?);
        let status = telemetry.board.register("central-auth");
        let first = tokio::select! {
            first = first_token(&source, &status) => first?,
            _ = shutdown.as_mut() => return Ok(RunEnd::ShutdownClean),
        };
        start_refresher(source, first, status)
    } else {
        no_token()
    };
    let store = CheckpointStore::new(&config.state.path);
    let positions = store.load()?;
    let sources = make_sources(&positions);
    let initial_positions = positions.clone();
    let (m, board, cap) = (&telemetry.metrics, &telemetry.board, config.pipeline.mailbox_capacity);
    let t = &config.traceability;

    let (to_transformer, transformer_in, g1) = link("poller->transformer", cap, m);
    let (to_batcher, batcher_in, g2) = link("transformer->batcher", cap, m);
    let (to_sender, sender_in, g3) = link("batcher->sender", cap, m);
    let (to_checkpointer, checkpointer_in, g4) = link("sender->checkpointer", cap, m);
    telemetry.links.lock().expect("links lock").extend([
        ("poller->transformer", g1),
        ("transformer->batcher", g2),
        ("batcher->sender", g3),
        ("sender->checkpointer", g4),
    ]);

    // Downstream first: each actor exists before anything can send to it.
    let (done_tx, mut done_rx) = oneshot::channel();
    let checkpointer = Checkpointer::new(
        store,
        positions,
        config.state.flush_interval.get(),
        done_tx,
        m.clone(),
        board.register("checkpointer"),
    )
    .start_with(checkpointer_in);
    // Sender workers share the batch link; with loadbalance each starts on its own host (and
    // fails over to the next), otherwise all start on the first.
    let (gave_up_tx, mut gave_up_rx) = tokio::sync::mpsc::channel(1);
    let framer = Framer::new(t.compression_level, token);
    let base = SenderSettings { framer: framer.clone(), ..SenderSettings::from_config(t, tls) };
    let shared = SharedInbox::new(sender_in);
    let starts: Vec<usize> = if t.loadbalance { (0..t.host.len()).collect() } else { vec![0] };
    let mut n = 0;
    for start in starts {
        for _ in 0..t.worker {
            let mut settings = base.clone();
            settings.hosts.rotate_left(start);
            let name = if n == 0 { "sender".to_string() } else { format!("sender-{n}") };
            Sender::new(
                shared.clone(),
                settings,
                to_checkpointer.clone(),
                m.clone(),
                board.register(name),
                gave_up_tx.clone(),
            )
            .start();
            n += 1;
        }
    }
    drop((to_checkpointer, gave_up_tx));
    let batcher_arbiter = actix::Arbiter::new();
    Batcher::new(to_sender, t.bulk_max_size, framer, t.flush_interval.get(), board.register("batcher"))
        .start_on(&batcher_arbiter.handle(), batcher_in);

    let (catalog_tx, catalog_rx) = watch::channel(Arc::new(ApiCatalog::default()));
    match catalog {
        CatalogSetup::Static(c) => {
            catalog_tx.send_replace(Arc::new(c));
        }
        CatalogSetup::Aws { clients, interval, filter } => {
            let status = board.register("catalog");
            let first = tokio::select! {
                c = first_catalog(&clients, filter.as_ref(), m, &status) => c,
                _ = shutdown.as_mut() => {
                    batcher_arbiter.stop();
                    return Ok(RunEnd::ShutdownClean);
                }
            };
            catalog_tx.send_replace(Arc::new(first));
            CatalogActor::new(clients, filter, interval, catalog_tx, m.clone(), status).start();
        }
    }
    Transformer::new(
        to_batcher,
        catalog_rx,
        EventContext::from_config(&config.central).with_format(t.format),
        m.clone(),
        board.register("transformer"),
    )
    .with_filter(crate::filter::TransactionFilter::from_config(t))
    .with_redactor(Redactor::from_config(&t.redaction).expect("redaction rules validated at start-up"))
    .with_join_if(&config.aws.execution_logs)
    .start_with(transformer_in);

    let (stop_tx, stop_rx) = watch::channel(false);
    let poll_interval = config.aws.poll.interval.get();
    let mut managed = BTreeMap::new();
    let mut pinned_stops = Vec::new();
    for source in sources {
        let group = source.log_group().to_string();
        let stop = start_poller(source, to_transformer.clone(), poll_interval, board);
        match &discovery {
            Some(d) if !d.pinned.contains(&group) => {
                managed.insert(group, stop);
            }
            _ => pinned_stops.push(stop),
        }
    }
    let mut stopping = stop_rx.clone();
    actix::spawn(async move {
        let _ = stopping.wait_for(|s| *s).await;
        for stop in pinned_stops {
            stop.send_replace(true);
        }
    });
    if let Some(d) = discovery {
        let running = Running {
            out: to_transformer.clone(),
            stop: stop_rx.clone(),
            positions: initial_positions,
            board: board.clone(),
            poll_interval,
            managed,
        };
        actix::spawn(rediscover(d, running));
    }
    // The pollers (and rediscovery) now hold the only senders: when they all stop, the pipeline
    // drains and ends.
    drop(to_transformer);

    let end = tokio::select! {
        _ = &mut done_rx => RunEnd::Drained,
        Some(_) = gave_up_rx.recv() => {
            stop_tx.send_replace(true);
            let _ = checkpointer.send(Flush).await;
            RunEnd::SenderGaveUp
        }
        _ = shutdown => {
            tracing::info!(timeout = %config.pipeline.shutdown_timeout, "shutting down: polling stopped, waiting for outstanding acknowledgements");
            stop_tx.send_replace(true);
            match tokio::time::timeout(config.pipeline.shutdown_timeout.get(), done_rx).await {
                Ok(_) => RunEnd::ShutdownClean,
                Err(_) => {
                    tracing::warn!("shutdown timeout passed with windows unacknowledged; they will be read again after a restart");
                    let _ = checkpointer.send(Flush).await;
                    RunEnd::ShutdownTimedOut
                }
            }
        }
    };
    batcher_arbiter.stop();
    Ok(end)
}
