//! apigw-agent: a traceability agent for Amazon API Gateway (CloudWatch Logs -> Amplify events -> Lumberjack v2).
#![forbid(unsafe_code)]

pub mod config;
pub mod lumberjack;
