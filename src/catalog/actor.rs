//! The Catalog actor: refreshes the API catalog on `aws.api_poll_interval` and publishes it on a
//! watch channel that the Transformer reads; on errors the previous catalog is kept.

use super::{fetch_rest_apis, ApiCatalog};
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use actix::{Actor, ActorFutureExt, AsyncContext, Context, WrapFuture};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct CatalogActor {
    client: aws_sdk_apigateway::Client,
    interval: Duration,
    publish: watch::Sender<Arc<ApiCatalog>>,
    metrics: Metrics,
    status: StatusHandle,
}

impl CatalogActor {
    pub fn new(
        client: aws_sdk_apigateway::Client,
        interval: Duration,
        publish: watch::Sender<Arc<ApiCatalog>>,
        metrics: Metrics,
        status: StatusHandle,
    ) -> Self {
        CatalogActor { client, interval, publish, metrics, status }
    }

    fn refresh(&mut self, ctx: &mut Context<Self>) {
        let (client, metrics) = (self.client.clone(), self.metrics.clone());
        // `wait`: refreshes never overlap, however slow AWS is.
        ctx.wait(async move { fetch_rest_apis(&client, &metrics).await }.into_actor(self).map(|result, act, _| {
            match result {
                Ok(catalog) => {
                    act.status.set(ActorState::Running);
                    act.status.add("refreshes", 1);
                    act.publish.send_replace(Arc::new(catalog));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "API catalog refresh failed; keeping the previous catalog");
                    act.status.fail(e);
                }
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
