//! The integration tests, one module per area, in one binary: every test binary links the whole
//! AWS SDK, so one binary keeps the build's disk use and link time down.
//! Run one area with `cargo test --test integration moto_pipeline::`.

mod support;

mod central_token;
mod cli;
mod ferro_interop;
mod moto_catalog;
mod moto_credentials;
mod moto_delivery;
mod moto_execution_logs;
mod moto_pipeline;
mod moto_throttling;
mod openssl_tls;
mod process_faults;
mod process_memory;
mod prometheus;
mod proxies;
mod receiver_outages;
mod sender_hosts;
mod tls;
