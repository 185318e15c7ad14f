//! Every metric the agent exposes, defined in one place. Actors call the typed methods, once per
//! page or batch, never per event.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabel {
    log_group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabel {
    api: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LinkLabel {
    link: String,
}

/// Shared handles to all counters; clone freely.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    records_read: Family<GroupLabel, Counter>,
    records_rejected: Family<ReasonLabel, Counter>,
    events_built: Counter,
    events_acked: Counter,
    batches_acked: Counter,
    bytes_sent: Counter,
    send_errors: Family<ReasonLabel, Counter>,
    keepalives: Counter,
    connects: Counter,
    aws_requests: Family<ApiLabel, Counter>,
    checkpoint_writes: Counter,
    queue_depth: Family<LinkLabel, Gauge>,
    window_size: Gauge,
    records_filtered: Family<ReasonLabel, Counter>,
    idle_reconnects: Family<ReasonLabel, Counter>,
    execution_join: Family<OutcomeLabel, Counter>,
    execution_join_waiting: Gauge,
    records_deduplicated: Family<GroupLabel, Counter>,
    actor_restarts: Family<ActorLabel, Counter>,
    aws_rate_limited: Family<ActorLabel, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActorLabel {
    actor: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("apigw_agent");
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            records_read: Family::default(),
            records_rejected: Family::default(),
            events_built: Counter::default(),
            events_acked: Counter::default(),
            batches_acked: Counter::default(),
            bytes_sent: Counter::default(),
            send_errors: Family::default(),
            keepalives: Counter::default(),
            connects: Counter::default(),
            aws_requests: Family::default(),
            checkpoint_writes: Counter::default(),
            queue_depth: Family::default(),
            window_size: Gauge::default(),
            records_filtered: Family::default(),
            idle_reconnects: Family::default(),
            execution_join: Family::default(),
            execution_join_waiting: Gauge::default(),
            records_deduplicated: Family::default(),
            actor_restarts: Family::default(),
            aws_rate_limited: Family::default(),
        };
        r.register("records_read", "Access-log records read from CloudWatch Logs", m.records_read.clone());
        r.register("records_rejected", "Access-log records skipped, by reason", m.records_rejected.clone());
        r.register("events_built", "Amplify events built", m.events_built.clone());
        r.register("events_acked", "Events acknowledged by the receiver", m.events_acked.clone());
        r.register("batches_acked", "Windows acknowledged by the receiver", m.batches_acked.clone());
        r.register("bytes_sent", "Bytes of Lumberjack windows written", m.bytes_sent.clone());
        r.register("send_errors", "Failed window sends and connection attempts, by reason", m.send_errors.clone());
        r.register("keepalives", "ACK(0) keepalive frames received", m.keepalives.clone());
        r.register("connections", "Lumberjack connections opened", m.connects.clone());
        r.register("aws_requests", "AWS API calls, by API and outcome", m.aws_requests.clone());
        r.register("checkpoint_writes", "State file writes", m.checkpoint_writes.clone());
        r.register(
            "records_filtered",
            "Valid records not sent by choice (exception list, sampling), by reason",
            m.records_filtered.clone(),
        );
        r.register("window_size", "Events in the last Lumberjack window written", m.window_size.clone());
        r.register("idle_reconnects", "Idle connections replaced before use, by reason", m.idle_reconnects.clone());
        r.register(
            "execution_join",
            "Calls let go by the execution-log join: joined, without_lines (none came in time), early (max_pending reached)",
            m.execution_join.clone(),
        );
        r.register(
            "execution_join_waiting",
            "Calls waiting for their execution-log lines",
            m.execution_join_waiting.clone(),
        );
        r.register(
            "records_deduplicated",
            "Records read again in aws.poll.overlap and dropped by eventId",
            m.records_deduplicated.clone(),
        );
        r.register(
            "aws_rate_limited",
            "AWS calls delayed by aws.rate_limits, by API (label actor = the API)",
            m.aws_rate_limited.clone(),
        );
        r.register("actor_restarts", "Actors restarted by their supervisor after a failure", m.actor_restarts.clone());
        r.register("queue_depth", "Messages waiting in a bounded queue between two actors", m.queue_depth.clone());
        Metrics { registry: Arc::new(r), ..m }
    }

    pub fn records_read(&self, log_group: &str, n: usize) {
        self.records_read.get_or_create(&GroupLabel { log_group: log_group.into() }).inc_by(n as u64);
    }
    pub fn records_deduplicated(&self, log_group: &str, n: usize) {
        self.records_deduplicated.get_or_create(&GroupLabel { log_group: log_group.into() }).inc_by(n as u64);
    }
    pub fn records_deduplicated_total(&self, log_group: &str) -> u64 {
        self.records_deduplicated.get_or_create(&GroupLabel { log_group: log_group.into() }).get()
    }
    /// A call that waited for its rate limit.
    pub fn aws_rate_limited(&self, api: &str) {
        self.aws_rate_limited.get_or_create(&ActorLabel { actor: api.into() }).inc();
    }
    pub fn aws_rate_limited_total(&self, api: &str) -> u64 {
        self.aws_rate_limited.get_or_create(&ActorLabel { actor: api.into() }).get()
    }
    pub fn actor_restart(&self, actor: &str) {
        self.actor_restarts.get_or_create(&ActorLabel { actor: actor.into() }).inc();
    }
    pub fn actor_restarts_total(&self, actor: &str) -> u64 {
        self.actor_restarts.get_or_create(&ActorLabel { actor: actor.into() }).get()
    }
    pub fn record_rejected(&self, reason: &str) {
        self.records_rejected.get_or_create(&ReasonLabel { reason: reason.into() }).inc();
    }
    /// A valid record not sent by choice: exception list, only_errors or sampling.
    pub fn record_filtered(&self, reason: &str) {
        self.records_filtered.get_or_create(&ReasonLabel { reason: reason.into() }).inc();
    }
    /// Calls let go by the execution-log join, and how many still wait.
    pub fn execution_join(&self, joined: u64, without_lines: u64, early: u64, waiting: usize) {
        for (outcome, n) in [("joined", joined), ("without_lines", without_lines), ("early", early)] {
            if n > 0 {
                self.execution_join.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc_by(n);
            }
        }
        self.execution_join_waiting.set(waiting as i64);
    }
    pub fn execution_join_total(&self, outcome: &str) -> u64 {
        self.execution_join.get_or_create(&OutcomeLabel { outcome: outcome.into() }).get()
    }
    pub fn filtered_total(&self, reason: &str) -> u64 {
        self.records_filtered.get_or_create(&ReasonLabel { reason: reason.into() }).get()
    }
    pub fn events_built(&self, n: usize) {
        self.events_built.inc_by(n as u64);
    }
    pub fn window_acked(&self, events: usize, bytes: usize) {
        self.events_acked.inc_by(events as u64);
        self.batches_acked.inc();
        self.bytes_sent.inc_by(bytes as u64);
    }
    pub fn keepalive(&self) {
        self.keepalives.inc();
    }
    /// The size of the last window written (changes with slow start).
    pub fn window_size(&self, events: usize) {
        self.window_size.set(events as i64);
    }
    /// An idle connection replaced before use: closed by the receiver, or past its TTL.
    pub fn idle_reconnect(&self, reason: &str) {
        self.idle_reconnects.get_or_create(&ReasonLabel { reason: reason.into() }).inc();
    }
    pub fn keepalives_total(&self) -> u64 {
        self.keepalives.get()
    }
    pub fn send_errors_total(&self, reason: &str) -> u64 {
        self.send_errors.get_or_create(&ReasonLabel { reason: reason.into() }).get()
    }
    pub fn idle_reconnects_total(&self, reason: &str) -> u64 {
        self.idle_reconnects.get_or_create(&ReasonLabel { reason: reason.into() }).get()
    }
    pub fn connections_total(&self) -> u64 {
        self.connects.get()
    }
    /// A send that failed after `acked` events of the window were acknowledged.
    pub fn window_failed(&self, reason: &str, acked: usize, bytes: usize) {
        self.send_errors.get_or_create(&ReasonLabel { reason: reason.into() }).inc();
        self.events_acked.inc_by(acked as u64);
        self.bytes_sent.inc_by(bytes as u64);
    }
    pub fn connected(&self) {
        self.connects.inc();
    }
    pub fn aws_request(&self, api: &str, outcome: &str) {
        self.aws_requests.get_or_create(&ApiLabel { api: api.into(), outcome: outcome.into() }).inc();
    }
    pub fn checkpoint_written(&self) {
        self.checkpoint_writes.inc();
    }
    pub fn queue_depth(&self, link: &str, depth: usize) {
        self.queue_depth.get_or_create(&LinkLabel { link: link.into() }).set(depth as i64);
    }

    /// Counter values for tests and the demo summary.
    pub fn events_acked_total(&self) -> u64 {
        self.events_acked.get()
    }
    pub fn records_read_total(&self, log_group: &str) -> u64 {
        self.records_read.get_or_create(&GroupLabel { log_group: log_group.into() }).get()
    }
    pub fn rejected_total(&self, reason: &str) -> u64 {
        self.records_rejected.get_or_create(&ReasonLabel { reason: reason.into() }).get()
    }
    pub fn aws_requests_total(&self, api: &str, outcome: &str) -> u64 {
        self.aws_requests.get_or_create(&ApiLabel { api: api.into(), outcome: outcome.into() }).get()
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}
