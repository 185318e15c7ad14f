//! `apigw-agent setup-logging`: points the access logging of every stage `aws.filter` selects at
//! the first configured log group, in the agent's JSON format (REST: UpdateStage patch
//! operations; HTTP APIs: UpdateStage access-log settings), as Axway's Discovery Agent does.

use crate::catalog::{ApiKind, CatalogClients};
use crate::config::Config;

/// The format REST API stages log with (the shipped `config/access-log-format.json`).
pub const REST_FORMAT: &str = include_str!("../config/access-log-format.json");
/// The format HTTP API stages log with (`config/access-log-format-http-api.json`).
pub const HTTP_FORMAT: &str = include_str!("../config/access-log-format-http-api.json");

/// One stage to point at the log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub kind: ApiKind,
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
    pub destination_arn: String,
}

impl StageChange {
    pub fn format(&self) -> &'static str {
        match self.kind {
            ApiKind::Rest => REST_FORMAT.trim(),
            ApiKind::Http => HTTP_FORMAT.trim(),
        }
    }

    pub fn describe(&self) -> String {
        let kind = if self.kind == ApiKind::Rest { "REST" } else { "HTTP" };
        format!("{kind} {} ({}) stage {} -> {}", self.api_name, self.api_id, self.stage, self.destination_arn)
    }
}

/// The stages to change: those the filter selects, pointed at `aws.log_group`'s first group.
pub async fn plan(config: &Config) -> anyhow::Result<(CatalogClients, Vec<StageChange>)> {
    let group =
        config.aws.log_group.first().ok_or_else(|| anyhow::anyhow!("aws.log_group: name the group to log to"))?;
    let (sdk, clients) = crate::discover::aws_clients(config).await?;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let found = logs.describe_log_groups().log_group_name_prefix(group).send().await.map_err(|e| {
        anyhow::anyhow!("DescribeLogGroups: {}", aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e))
    })?;
    let arn = found
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .and_then(|g| g.arn())
        .ok_or_else(|| anyhow::anyhow!("log group {group} does not exist: create it first"))?;
    // DescribeLogGroups gives `...:log-group:NAME:*`; stages want the group's ARN itself.
    let destination_arn = arn.strip_suffix(":*").unwrap_or(arn).to_string();
    let catalog = crate::discover::discover_with(config, &clients).await?;
    let mut changes = Vec::new();
    for api in catalog.apis() {
        let mut stages: Vec<_> = api.stages.values().filter(|s| s.traced).collect();
        stages.sort_by(|a, b| a.name.cmp(&b.name));
        for s in stages {
            changes.push(StageChange {
                kind: api.kind,
                api_id: api.id.clone(),
                api_name: api.name.clone(),
                stage: s.name.clone(),
                destination_arn: destination_arn.clone(),
            });
        }
    }
    Ok((clients, changes))
}

/// Applies one change.
pub async fn apply(clients: &CatalogClients, change: &StageChange) -> Result<(), String> {
    clients.limit.acquire().await;
    match change.kind {
        ApiKind::Rest => {
            use aws_sdk_apigateway::types::{Op, PatchOperation};
            let patch =
                |path: &str, value: &str| PatchOperation::builder().op(Op::Replace).path(path).value(value).build();
            clients
                .rest
                .update_stage()
                .rest_api_id(&change.api_id)
                .stage_name(&change.stage)
                .patch_operations(patch("/accessLogSettings/destinationArn", &change.destination_arn))
                .patch_operations(patch("/accessLogSettings/format", change.format()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_sdk_apigateway::error::DisplayErrorContext(&e).to_string())
        }
        ApiKind::Http => {
            let settings = aws_sdk_apigatewayv2::types::AccessLogSettings::builder()
                .destination_arn(&change.destination_arn)
                .format(change.format())
                .build();
            clients
                .http
                .update_stage()
                .api_id(&change.api_id)
                .stage_name(&change.stage)
                .access_log_settings(settings)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_sdk_apigatewayv2::error::DisplayErrorContext(&e).to_string())
        }
    }
}
