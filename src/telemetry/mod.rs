//! Telemetry: the Prometheus counters every actor updates (cheap shared handles, no messages), the
//! status board that `/status` reports, and the actor serving both over HTTP.

mod exposition;
mod metrics;
mod server;
mod status;

#[cfg(test)]
mod tests;

pub use metrics::Metrics;
pub use server::StatusServer;
pub use status::{ActorState, StatusBoard, StatusHandle};
