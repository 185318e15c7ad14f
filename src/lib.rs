//! apigw-agent: a traceability agent for Amazon API Gateway (CloudWatch Logs -> Amplify events -> Lumberjack v2).
#![forbid(unsafe_code)]

pub mod config;
pub mod lumberjack;
pub mod access_log;
pub mod catalog;
pub mod event;
pub mod telemetry;
pub mod aws;
pub mod checkpoint;
pub mod pipeline;
pub mod source;
pub mod tls;
pub mod agent;
pub mod demo;
