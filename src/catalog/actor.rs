//! The Catalog actor: refreshes the API catalog (REST and HTTP APIs, stages decided by `aws.filter`) on `aws.api_poll_interval` and publishes it on a
//! watch channel that the Transformer reads; on errors the previous catalog is kept.

use super::{fetch_catalog, ApiCatalog, CatalogClients, TagFilter};
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use actix::{Actor, ActorFutureExt, AsyncContext, Context, WrapFuture};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct CatalogActor {
    clients: CatalogClients,
    filter: Option<TagFilter>,
    interval: Duration,
    publish: watch::Sender<Arc<ApiCatalog>>,
    metrics: Metrics,
    status: StatusHandle,
}

impl CatalogActor {
    pub fn new(
        clients: CatalogClients,
        filter: Option<TagFilter>,
        interval: Duration,
        publish: watch::Sender<Arc<ApiCatalog>>,
        metrics: Metrics,
        status: StatusHandle,
    ) -> Self {
        CatalogActor { clients, filter, interval, publish, metrics, status }
    }

    fn refresh(&mut self, ctx: &mut Context<Self>) {
        let (clients, filter, metrics) = (self.clients.clone(), self.filter.clone(), self.metrics.clone());
        // `wait`: refreshes never overlap, however slow AWS is.
        let fetch = async move { fetch_catalog(&clients, filter.as_ref(), &metrics).await };
        ctx.wait(fetch.into_actor(self).map(|result, act, _| match result {
            Ok(catalog) => {
                act.status.set(ActorState::Running);
                act.status.add("refreshes", 1);
                act.publish.send_replace(Arc::new(catalog));
            }
            Err(e) => {
                tracing::warn!(error = %e, "API catalog refresh failed; keeping the previous catalog");
                act.status.fail(e);
            }
        }));
    }
}

impl Actor for CatalogActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        ctx.run_interval(self.interval, |act, ctx| act.refresh(ctx));
    }
}

/// The catalog to start with. Without a filter one attempt is made (events name APIs by id until
/// a refresh succeeds); with `aws.filter` set it is retried until it loads, since no stage can be
/// selected without it. The caller races this against shutdown.
pub async fn first_catalog(
    clients: &CatalogClients,
    filter: Option<&TagFilter>,
    metrics: &Metrics,
    status: &StatusHandle,
) -> ApiCatalog {
    let mut retry = crate::pipeline::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        match fetch_catalog(clients, filter, metrics).await {
            Ok(c) => {
                tracing::info!(apis = c.len(), "API catalog loaded");
                return c;
            }
            Err(e) if filter.is_none() => {
                tracing::warn!(error = %e, "API catalog unavailable at start; events name APIs by id until it loads");
                status.fail(&e);
                return ApiCatalog::default();
            }
            Err(e) => {
                tracing::warn!(error = %e, "API catalog unavailable and aws.filter is set: nothing is read until it loads");
                status.fail(&e);
                tokio::time::sleep(retry.next_wait()).await;
            }
        }
    }
}
