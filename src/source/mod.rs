//! Where access-log records come from: CloudWatch Logs, or the demo's synthetic traffic.

mod cloudwatch;
mod discover;
mod synthetic;

pub use cloudwatch::CloudWatchSource;
pub use discover::{execution_log_groups, execution_log_target, log_groups_with_prefix};
pub use synthetic::{SyntheticSource, DEMO_APIS};

use crate::pipeline::LogChunk;
use std::future::Future;
use std::sync::Arc;

/// What one call to [`LogSource::next`] produced.
#[derive(Debug)]
pub enum Step {
    /// Records to forward (maybe none, as CloudWatch pages can be empty), maybe with a checkpoint.
    Chunk(LogChunk),
    /// Nothing more until time passes: wait `aws.poll.interval`.
    CaughtUp,
    /// The source has ended (the demo's traffic).
    Finished,
}

/// Why a read failed; the poller retries with backoff.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{api} on log group {log_group} failed: {message}")]
    Aws { api: &'static str, log_group: String, message: String, throttled: bool },
}

/// A reader of one log group.
pub trait LogSource: Unpin + 'static {
    fn log_group(&self) -> &Arc<str>;
    fn next(&mut self) -> impl Future<Output = Result<Step, SourceError>>;
}
