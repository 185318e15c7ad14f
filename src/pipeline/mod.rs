//! The actor pipeline: Poller(s) -> Transformer -> Batcher (own Arbiter) -> Sender -> Checkpointer,
//! joined by bounded links, spawned downstream-first. The Catalog and StatusServer actors sit beside it.

mod backoff;
mod batcher;
mod checkpointer;
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
pub use framer::Framer;
pub use link::{link, Inbox, LinkGauge, Outbox};
pub use messages::{Acked, Batch, Checkpoint, EventChunk, LogChunk, LogRecord};
pub use run::{run, CatalogSetup, PipelineError, RunEnd, Telemetry};
pub use sender::{run_sender, FaultHook, SenderExit, SenderSettings, SharedInbox};
pub use transformer::Transformer;
pub use window::{AckOutcome, InFlight, Window, WindowSizer};
