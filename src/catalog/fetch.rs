//! Reads REST APIs (GetRestApis, following `position`) and their stages (GetStages).

use super::{ApiCatalog, RestApiInfo, StageInfo};
use crate::telemetry::Metrics;
use aws_sdk_apigateway::error::{DisplayErrorContext, ProvideErrorMetadata};

/// Why the catalog could not be refreshed (the previous one is kept).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("API Gateway {api} failed: {message}")]
    Aws { api: &'static str, message: String },
}

fn aws_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    api: &'static str,
    e: aws_sdk_apigateway::error::SdkError<E>,
) -> CatalogError {
    let message = match e.code() {
        Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
        None => DisplayErrorContext(&e).to_string(),
    };
    CatalogError::Aws { api, message }
}

/// Fetches every REST API and its stages.
pub async fn fetch_rest_apis(
    client: &aws_sdk_apigateway::Client,
    metrics: &Metrics,
) -> Result<ApiCatalog, CatalogError> {
    let mut apis = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client.get_rest_apis().limit(500).set_position(position.clone()).send().await;
        metrics.aws_request("GetRestApis", if page.is_ok() { "ok" } else { "error" });
        let page = page.map_err(|e| aws_error("GetRestApis", e))?;
        for api in page.items() {
            let Some(id) = api.id() else { continue };
            let stages = client.get_stages().rest_api_id(id).send().await;
            metrics.aws_request("GetStages", if stages.is_ok() { "ok" } else { "error" });
            let stages = stages.map_err(|e| aws_error("GetStages", e))?;
            apis.push(RestApiInfo {
                id: id.to_string(),
                name: api.name().unwrap_or(id).to_string(),
                stages: stages
                    .item()
                    .iter()
                    .filter_map(|s| {
                        let name = s.stage_name()?.to_string();
                        Some((name.clone(), StageInfo { name, deployment_id: s.deployment_id().map(str::to_string) }))
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
    Ok(ApiCatalog::new(apis))
}
