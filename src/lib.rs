//! apigw-agent: a traceability agent for Amazon API Gateway (CloudWatch Logs -> Amplify events -> Lumberjack v2).
#![forbid(unsafe_code)]

pub mod access_log;
pub mod agent;
pub mod aws;
pub mod catalog;
pub mod central;
pub mod checkpoint;
pub mod config;
pub mod demo;
pub mod discover;
pub mod event;
pub mod execution_log;
pub mod filter;
pub mod lumberjack;
pub mod pipeline;
pub mod proxy;
pub mod redaction;
pub mod setup_logging;
pub mod source;
pub mod telemetry;
pub mod tls;
