//! Reads REST APIs (GetRestApis, following `position`; GetStages) and HTTP APIs (v2 GetApis,
//! following `nextToken`; GetStages), with their tags.

use super::{ApiCatalog, ApiInfo, ApiKind, StageInfo, TagFilter};
use crate::telemetry::Metrics;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::{BTreeMap, HashMap};

/// Why the catalog could not be refreshed (the previous one is kept).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("API Gateway {api} failed: {message}")]
    Aws { api: &'static str, message: String },
}

/// The two API Gateway clients: v1 for REST APIs, v2 for HTTP APIs.
#[derive(Debug, Clone)]
pub struct CatalogClients {
    pub rest: aws_sdk_apigateway::Client,
    pub http: aws_sdk_apigatewayv2::Client,
    /// Shared with every other API Gateway call (`aws.rate_limits.api_gateway`).
    pub limit: crate::aws::RateLimiter,
}

fn aws_error<E, R>(api: &'static str, e: SdkError<E, R>) -> CatalogError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = match e.code() {
        Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
        None => DisplayErrorContext(&e).to_string(),
    };
    CatalogError::Aws { api, message }
}

fn tags(map: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// Both kinds of API, every stage decided by `filter`.
pub async fn fetch_catalog(
    clients: &CatalogClients,
    filter: Option<&TagFilter>,
    metrics: &Metrics,
) -> Result<ApiCatalog, CatalogError> {
    let mut apis = fetch_rest_apis(&clients.rest, &clients.limit, metrics).await?;
    apis.extend(fetch_http_apis(&clients.http, &clients.limit, metrics).await?);
    Ok(ApiCatalog::new(apis).with_filter(filter))
}

/// Every REST API and its stages.
pub async fn fetch_rest_apis(
    client: &aws_sdk_apigateway::Client,
    limit: &crate::aws::RateLimiter,
    metrics: &Metrics,
) -> Result<Vec<ApiInfo>, CatalogError> {
    let mut apis = Vec::new();
    let mut position: Option<String> = None;
    loop {
        limit.acquire_counted(metrics).await;
        let page = client.get_rest_apis().limit(500).set_position(position.clone()).send().await;
        metrics.aws_request("GetRestApis", if page.is_ok() { "ok" } else { "error" });
        let page = page.map_err(|e| aws_error("GetRestApis", e))?;
        for api in page.items() {
            let Some(id) = api.id() else { continue };
            limit.acquire_counted(metrics).await;
            let stages = client.get_stages().rest_api_id(id).send().await;
            metrics.aws_request("GetStages", if stages.is_ok() { "ok" } else { "error" });
            let stages = stages.map_err(|e| aws_error("GetStages", e))?;
            apis.push(ApiInfo {
                id: id.to_string(),
                name: api.name().unwrap_or(id).to_string(),
                kind: ApiKind::Rest,
                tags: tags(api.tags()),
                stages: stages
                    .item()
                    .iter()
                    .filter_map(|s| {
                        let stage = StageInfo {
                            deployment_id: s.deployment_id().map(str::to_string),
                            tags: tags(s.tags()),
                            ..StageInfo::new(s.stage_name()?)
                        };
                        Some((stage.name.clone(), stage))
                    })
                    .collect(),
            });
        }
        // Stop when there is no next position, or when it does not move (a broken paginator).
        match page.position() {
            Some(p) if !p.is_empty() && position.as_deref() != Some(p) => position = Some(p.to_string()),
            _ => break,
        }
    }
    Ok(apis)
}

/// Every HTTP (and WebSocket) API of API Gateway v2 and its stages.
pub async fn fetch_http_apis(
    client: &aws_sdk_apigatewayv2::Client,
    limit: &crate::aws::RateLimiter,
    metrics: &Metrics,
) -> Result<Vec<ApiInfo>, CatalogError> {
    let mut apis = Vec::new();
    let mut token: Option<String> = None;
    loop {
        limit.acquire_counted(metrics).await;
        let page = client.get_apis().max_results("500").set_next_token(token.clone()).send().await;
        metrics.aws_request("GetApis", if page.is_ok() { "ok" } else { "error" });
        let page = page.map_err(|e| aws_error("GetApis", e))?;
        for api in page.items() {
            let Some(id) = api.api_id() else { continue };
            let mut stages = HashMap::new();
            let mut stage_token: Option<String> = None;
            loop {
                limit.acquire_counted(metrics).await;
                let page = client.get_stages().api_id(id).set_next_token(stage_token.clone()).send().await;
                metrics.aws_request("GetStagesV2", if page.is_ok() { "ok" } else { "error" });
                let page = page.map_err(|e| aws_error("GetStages (v2)", e))?;
                for s in page.items() {
                    let Some(name) = s.stage_name() else { continue };
                    let stage = StageInfo {
                        deployment_id: s.deployment_id().map(str::to_string),
                        tags: tags(s.tags()),
                        ..StageInfo::new(name)
                    };
                    stages.insert(name.to_string(), stage);
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() && stage_token.as_deref() != Some(t) => stage_token = Some(t.to_string()),
                    _ => break,
                }
            }
            apis.push(ApiInfo {
                id: id.to_string(),
                name: api.name().unwrap_or(id).to_string(),
                kind: ApiKind::Http,
                tags: tags(api.tags()),
                stages,
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(apis)
}
