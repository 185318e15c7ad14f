//! The Transformer actor: parses access-log records, filters them, joins execution-log headers
//! when enabled, redacts, and builds the Amplify events, reading API names from the latest
//! catalog. A record that does not parse is counted, logged once per reason, and skipped; its
//! chunk's checkpoint still moves on.

use super::link::{send_pausing, Inbox, Outbox};
use super::{guarded, EventChunk, LogChunk};
use crate::access_log::{self, ApiCall};
use crate::catalog::ApiCatalog;
use crate::event::{build, EventContext};
use crate::execution_log::{is_execution_log_group, parse_line, HeaderJoin, JoinSettings};
use crate::filter::TransactionFilter;
use crate::redaction::Redactor;
use crate::telemetry::{ActorState, Metrics, StatusHandle};
use actix::{Actor, AsyncContext, Context, StreamHandler};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    join: Option<HeaderJoin>,
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
        Transformer {
            out,
            catalog,
            event_context,
            metrics,
            status,
            reasons_logged: HashSet::new(),
            filter,
            redactor,
            join: None,
        }
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

    /// Joins execution-log headers to the calls (`aws.execution_logs.enabled`).
    pub fn with_join(mut self, settings: JoinSettings) -> Self {
        self.join = Some(HeaderJoin::new(settings));
        self
    }

    /// [`Transformer::with_join`] when `aws.execution_logs.enabled`.
    pub fn with_join_if(self, c: &crate::config::ExecutionLogsConfig) -> Self {
        if c.enabled {
            self.with_join(JoinSettings { max_pending: c.max_pending, max_wait: c.max_wait.get() })
        } else {
            self
        }
    }

    /// Builds the events of one chunk (two per API call), without the join.
    pub fn transform(&mut self, chunk: &LogChunk) -> Vec<bytes::Bytes> {
        let calls = self.calls(chunk);
        self.build_events(calls)
    }

    /// What leaves for the Batcher after `chunk`: its events, or with the join whatever chunks
    /// it let go (an execution-log chunk's checkpoint goes at once: its lines are held in the join).
    pub fn process(&mut self, chunk: LogChunk, now: Instant) -> Vec<EventChunk> {
        let Some(join) = self.join.as_mut() else {
            let events = self.transform(&chunk);
            return vec![EventChunk { events, checkpoint: chunk.checkpoint }];
        };
        let mut out = Vec::new();
        if is_execution_log_group(&chunk.log_group) {
            for record in &chunk.records {
                if let Some((request_id, line)) = parse_line(&record.message) {
                    join.add_line(request_id, line, now);
                }
            }
            out.push(EventChunk { events: Vec::new(), checkpoint: chunk.checkpoint });
        } else {
            let calls = self.calls(&chunk);
            self.join.as_mut().expect("checked above").add_calls(calls, chunk.checkpoint, now);
        }
        out.extend(self.release(now));
        out
    }

    /// The chunks the join lets go at `now` (`None`: all of them, at the end of input).
    fn release(&mut self, now: impl Into<Option<Instant>>) -> Vec<EventChunk> {
        let Some(join) = self.join.as_mut() else { return Vec::new() };
        let ready = match now.into() {
            Some(now) => join.release(now),
            None => join.release_all(),
        };
        let stats = join.take_stats();
        self.metrics.execution_join(stats.joined, stats.without_lines, stats.early, join.waiting_calls());
        ready
            .into_iter()
            .map(|(calls, checkpoint)| EventChunk { events: self.build_events(calls), checkpoint })
            .collect()
    }

    /// The chunk's calls that parse and pass the filters; the others are counted.
    fn calls(&mut self, chunk: &LogChunk) -> Vec<ApiCall> {
        let catalog = self.catalog.borrow().clone();
        let mut calls = Vec::with_capacity(chunk.records.len());
        for record in &chunk.records {
            // A record that makes the parser fail (a bug) is skipped and counted, not fatal.
            let parsed = guarded(|| access_log::parse(&record.message, record.timestamp_ms))
                .unwrap_or_else(|why| Err(self.internal_error(&chunk.log_group, &record.event_id, &why)));
            match parsed {
                // Filtering sees the real path; redaction comes when events are built.
                Ok(call) => {
                    let dropped =
                        self.filter.check(&call).err().map(|d| d.label()).or_else(|| {
                            catalog.selection(call.api_id.as_deref(), call.stage.as_deref()).dropped_label()
                        });
                    match dropped {
                        None => calls.push(call),
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
        calls
    }

    /// A panic while handling one record: logged with where it happened (never the record).
    fn internal_error(&mut self, log_group: &str, id: &str, why: &str) -> access_log::Rejected {
        tracing::error!(
            log_group,
            id,
            error = why,
            "skipping a record that made the agent fail (a bug: please report it); counted as internal_error"
        );
        access_log::Rejected::Internal(why.to_string())
    }

    /// Redacts each call (nothing unredacted goes further) and builds its events.
    fn build_events(&mut self, calls: Vec<ApiCall>) -> Vec<bytes::Bytes> {
        let catalog = self.catalog.borrow().clone();
        let mut events = Vec::with_capacity(calls.len() * 2);
        for mut call in calls {
            let before = events.len();
            let built = guarded(|| {
                self.redactor.apply(&mut call);
                build(&call, &catalog.lookup(call.api_id.as_deref()), &self.event_context, &mut events)
            });
            if let Err(why) = built {
                events.truncate(before);
                let rejected = self.internal_error("", &call.request_id, &why);
                self.metrics.record_rejected(rejected.label());
            }
        }
        self.metrics.events_built(events.len());
        events
    }

    /// Sends the chunks in order, pausing the actor's input until the Batcher's link took them.
    fn send_all(&mut self, chunks: Vec<EventChunk>, ctx: &mut Context<Self>, then_stop: bool) {
        send_pausing(self.out.clone(), chunks, self.status.clone(), ctx, then_stop);
    }
}

impl Actor for Transformer {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.status.set(ActorState::Running);
        if let Some(join) = &self.join {
            // Calls whose lines never come leave when their time is up, input or not.
            let tick = (join.max_wait() / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
            ctx.run_interval(tick, |act, ctx| {
                let ready = act.release(Instant::now());
                if !ready.is_empty() {
                    act.send_all(ready, ctx, false);
                }
            });
        }
    }
    fn stopped(&mut self, _: &mut Context<Self>) {
        self.status.set(ActorState::Stopped);
    }
}

impl StreamHandler<LogChunk> for Transformer {
    fn handle(&mut self, chunk: LogChunk, ctx: &mut Context<Self>) {
        let ready = self.process(chunk, Instant::now());
        if !ready.is_empty() {
            self.send_all(ready, ctx, false);
        }
    }

    /// Input ended (shutdown or the sources finished): let go of what the join holds, then stop.
    fn finished(&mut self, ctx: &mut Context<Self>) {
        let rest = self.release(None);
        self.send_all(rest, ctx, true);
    }
}
