//! `apigw-agent discover`: the APIs and stages the agent finds with this configuration, and which
//! of them `aws.filter` selects; a quick way for users to check their setup.

use crate::catalog::{fetch_catalog, ApiCatalog, ApiKind, CatalogClients, TagFilter};
use crate::config::Config;
use serde::Serialize;

#[derive(Serialize)]
struct StageRow<'a> {
    kind: &'static str,
    api_id: &'a str,
    api_name: &'a str,
    stage: &'a str,
    deployment_id: Option<&'a str>,
    traced: bool,
    tags: std::collections::BTreeMap<&'a str, &'a str>,
}

/// The SDK configuration and API Gateway clients the agent would use (same credentials, endpoint,
/// TLS and rate limits).
pub async fn aws_clients(config: &Config) -> anyhow::Result<(aws_config::SdkConfig, CatalogClients)> {
    let http_tls = crate::tls::http_client_config(&config.central.ssl)?.map(|(tls, _)| tls);
    let sdk = crate::aws::sdk_config(&config.aws, http_tls).await?;
    let clients = CatalogClients {
        rest: aws_sdk_apigateway::Client::new(&sdk),
        http: aws_sdk_apigatewayv2::Client::new(&sdk),
        limit: crate::aws::RateLimits::from_config(&config.aws.rate_limits).api_gateway,
    };
    Ok((sdk, clients))
}

/// Discovers the APIs as the agent would.
pub async fn discover(config: &Config) -> anyhow::Result<ApiCatalog> {
    let (_, clients) = aws_clients(config).await?;
    discover_with(config, &clients).await
}

/// Discovers the APIs with `clients`, every stage decided by `aws.filter`.
pub async fn discover_with(config: &Config, clients: &CatalogClients) -> anyhow::Result<ApiCatalog> {
    let filter = TagFilter::from_config(&config.aws.filter)?;
    Ok(fetch_catalog(clients, filter.as_ref(), &crate::telemetry::Metrics::new()).await?)
}

fn rows(catalog: &ApiCatalog) -> Vec<StageRow<'_>> {
    let mut rows = Vec::new();
    for api in catalog.apis() {
        let mut stages: Vec<_> = api.stages.values().collect();
        stages.sort_by(|a, b| a.name.cmp(&b.name));
        for s in stages {
            let mut tags: std::collections::BTreeMap<&str, &str> =
                api.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            tags.extend(s.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            rows.push(StageRow {
                kind: if api.kind == ApiKind::Rest { "REST" } else { "HTTP" },
                api_id: &api.id,
                api_name: &api.name,
                stage: &s.name,
                deployment_id: s.deployment_id.as_deref(),
                traced: s.traced,
                tags,
            });
        }
    }
    rows
}

/// One JSON array of stages.
pub fn to_json(catalog: &ApiCatalog) -> String {
    serde_json::to_string_pretty(&rows(catalog)).expect("rows serialize")
}

/// A table, one stage per line; `filter` is echoed above it.
pub fn to_table(catalog: &ApiCatalog, filter: &str) -> String {
    let rows = rows(catalog);
    let mut out = format!(
        "# {} APIs, {} stages; aws.filter: {}\n",
        catalog.len(),
        rows.len(),
        if filter.trim().is_empty() { "(none: every stage is traced)" } else { filter }
    );
    let header = ["KIND", "API ID", "NAME", "STAGE", "TRACED", "TAGS"];
    let mut lines: Vec<[String; 6]> = vec![header.map(str::to_string)];
    for r in &rows {
        let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push([
            r.kind.into(),
            r.api_id.into(),
            r.api_name.into(),
            r.stage.into(),
            if r.traced { "yes" } else { "no" }.into(),
            tags.join(","),
        ]);
    }
    let widths: Vec<usize> = (0..6).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    for l in &lines {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
