//! Finding log groups: the execution-log groups of API Gateway (DescribeLogGroups by prefix).

use super::cloudwatch::aws_error;
use super::SourceError;
use crate::execution_log::GROUP_PREFIX;
use crate::telemetry::Metrics;

/// Every `API-Gateway-Execution-Logs_{apiId}/{stage}` group.
pub async fn execution_log_groups(
    client: &aws_sdk_cloudwatchlogs::Client,
    metrics: &Metrics,
) -> Result<Vec<String>, SourceError> {
    log_groups_with_prefix(client, GROUP_PREFIX, metrics).await
}

/// Every log group whose name starts with `prefix`, following `nextToken`.
pub async fn log_groups_with_prefix(
    client: &aws_sdk_cloudwatchlogs::Client,
    prefix: &str,
    metrics: &Metrics,
) -> Result<Vec<String>, SourceError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("DescribeLogGroups", prefix, e, metrics))?;
        metrics.aws_request("DescribeLogGroups", "ok");
        groups.extend(page.log_groups().iter().filter_map(|g| g.log_group_name()).map(str::to_string));
        match page.next_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(groups)
}

/// The API id and stage an execution-log group belongs to.
pub fn execution_log_target(group: &str) -> Option<(&str, &str)> {
    group.strip_prefix(GROUP_PREFIX)?.split_once('/')
}
