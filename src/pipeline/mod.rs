//! The actor pipeline: Poller(s) -> Transformer -> Batcher (own Arbiter) -> Sender -> Checkpointer,
//! joined by bounded links, spawned downstream-first. The Catalog and StatusServer actors sit beside it.

mod backoff;
mod batcher;
mod checkpointer;
mod discovery;
mod framer;
mod link;
mod messages;
mod poller;
mod run;
mod sender;
mod transformer;
mod window;

#[cfg(test)]
mod tests;

pub use backoff::Backoff;
pub use batcher::Batcher;
pub use checkpointer::AckSequence;
pub use discovery::{Discovery, ListGroups};
pub use framer::Framer;
pub use link::{link, Inbox, LinkGauge, Outbox};
pub use messages::{Acked, Batch, Checkpoint, EventChunk, LogChunk, LogRecord};
pub use run::{run, run_with_discovery, CatalogSetup, PipelineError, RunEnd, Telemetry};
pub use sender::{run_sender, FaultHook, SenderExit, SenderSettings, SharedInbox};
pub use transformer::Transformer;
pub use window::{AckOutcome, InFlight, Window, WindowSizer};

/// Runs `f`, turning a panic into its message: what a supervisor needs to go on without the
/// piece of work that failed.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| panic_message(p.as_ref()))
}

/// The text a panic carried.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
