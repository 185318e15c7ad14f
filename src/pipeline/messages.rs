//! What flows between the actors of the data path, each carrying the checkpoints it completes.

use bytes::Bytes;
use std::sync::Arc;

/// One CloudWatch Logs event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub event_id: String,
    pub timestamp_ms: i64,
    pub message: String,
}

/// A position that becomes safe to persist once every event sent before it is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub log_group: Arc<str>,
    pub next_start_ms: i64,
}

/// Poller -> Transformer: one page of records; the last page of a window carries the checkpoint.
#[derive(Debug, Clone)]
pub struct LogChunk {
    pub log_group: Arc<str>,
    pub records: Vec<LogRecord>,
    pub checkpoint: Option<Checkpoint>,
}

/// Transformer -> Batcher: encoded Beats events, in order.
#[derive(Debug, Clone)]
pub struct EventChunk {
    pub events: Vec<Bytes>,
    pub checkpoint: Option<Checkpoint>,
}

/// Batcher -> Sender: one window, already framed and compressed; `events` are kept so that the
/// unacknowledged tail can be re-framed after a partial ACK.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: u64,
    pub events: Vec<Bytes>,
    pub wire: Bytes,
    /// Checkpoints completed by this window (possibly with no events at all).
    pub checkpoints: Vec<Checkpoint>,
    /// Generation of the Central token stamped into `wire` (0: none).
    pub generation: u64,
}

/// Sender -> Checkpointer: batch `batch_id` is fully acknowledged, with the positions it completes.
/// Several Sender workers may finish batches out of order; the Checkpointer applies them in id order.
#[derive(Debug, Clone)]
pub struct Acked {
    pub batch_id: u64,
    pub checkpoints: Vec<Checkpoint>,
}
