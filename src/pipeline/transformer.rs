//! The Transformer actor: parses access-log records and builds the Amplify events, reading API
//! names from the latest catalog. A record that does not parse is counted, logged once per reason,
//! and skipped; its chunk's checkpoint still moves on.

use super::link::{Inbox, Outbox};
use super::{EventChunk, LogChunk};
use crate::access_log;
use crate::catalog::ApiCatalog;
use crate::event::{build, EventContext};
use crate::filter::TransactionFilter;
use crate::redaction::Redactor;
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, StreamHandler, WrapFuture};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::watch;

pub struct Transformer {
    out: Outbox<EventChunk>,
    catalog: watch::Receiver<Arc<ApiCatalog>>,
    event_context: EventContext,
    metrics: Metrics,
    status: StatusHandle,
    reasons_logged: HashSet<&'static str>,
    filter: TransactionFilter,
    redactor: Redactor,
}

impl Transformer {
    pub fn new(
        out: Outbox<EventChunk>,
        catalog: watch::Receiver<Arc<ApiCatalog>>,
        event_context: EventContext,
        metrics: Metrics,
        status: StatusHandle,
    ) -> Self {
        let defaults = crate::config::TraceabilityConfig::default();
        let filter = TransactionFilter::from_config(&defaults);
        let redactor = Redactor::from_config(&defaults.redaction).expect("default redaction rules compile");
        Transformer { out, catalog, event_context, metrics, status, reasons_logged: HashSet::new(), filter, redactor }
    }

    /// Applies the exception list and sampling (the default sends everything).
    pub fn with_filter(mut self, filter: TransactionFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Redacts paths, query arguments and headers (the default shows none of them).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    pub fn start_with(self, inbox: Inbox<LogChunk>) -> actix::Addr<Self> {
        Transformer::create(|ctx| {
            ctx.add_stream(inbox);
            self
        })
    }

    /// Builds the events of one chunk (two per API call).
    pub fn transform(&mut self, chunk: &LogChunk) -> Vec<bytes::Bytes> {
        let catalog = self.catalog.borrow().clone();
        let mut events = Vec::with_capacity(chunk.records.len() * 2);
        for record in &chunk.records {
            match access_log::parse(&record.message, record.timestamp_ms) {
                // Filtering sees the real path; nothing unredacted goes further.
                Ok(mut call) => {
                    let dropped =
                        self.filter.check(&call).err().map(|d| d.label()).or_else(|| {
                            catalog.selection(call.api_id.as_deref(), call.stage.as_deref()).dropped_label()
                        });
                    match dropped {
                        None => {
                            self.redactor.apply(&mut call);
                            build(&call, &catalog.lookup(call.api_id.as_deref()), &self.event_context, &mut events)
                        }
                        Some(label) => {
                            self.metrics.record_filtered(label);
                            if label == "aws_filter_unknown_stage" && self.reasons_logged.insert(label) {
                                tracing::warn!(api_id = ?call.api_id, stage = ?call.stage,
                                    "dropping calls to a stage the API catalog does not know while aws.filter is set (logged once; it is picked up at the next refresh)");
                            }
                        }
                    }
                }
                Err(rejected) => {
                    self.metrics.record_rejected(rejected.label());
                    self.status.add("rejected", 1);
                    if self.reasons_logged.insert(rejected.label()) {
                        tracing::warn!(log_group = %chunk.log_group, event_id = %record.event_id, reason = %rejected,
                            "skipping an access-log record that does not parse (logged once per reason; see apigw_agent_records_rejected_total)");
                    }
                }
            }
        }
        self.metrics.events_built(events.len());
        events
    }
}

impl Actor for Transformer {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Running);
    }
    fn stopped(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Stopped);
    }
}

impl StreamHandler<LogChunk> for Transformer {
    fn handle(&mut self, chunk: LogChunk, ctx: &mut Context<Self>) {
        let events = self.transform(&chunk);
        let (out, status) = (self.out.clone(), self.status.clone());
        let next = EventChunk { events, checkpoint: chunk.checkpoint };
        // `wait` pauses this actor's stream until the Batcher's link has room: backpressure.
        ctx.wait(async move { out.send(next, &status).await }.into_actor(self).map(|sent, _, ctx| {
            if !sent {
                ctx.stop();
            }
        }));
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
