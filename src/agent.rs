//! `apigw-agent run`: the pipeline over CloudWatch Logs and API Gateway, with the status server
//! and signal handling (first SIGTERM/SIGINT drains, a second one exits at once).

use crate::catalog::{fetch_catalog, CatalogClients, Selection, TagFilter};
use crate::config::Config;
use crate::execution_log::is_execution_log_group;
use crate::pipeline::{self, CatalogSetup, RunEnd, Telemetry};
use crate::source::{execution_log_groups, execution_log_target, log_groups_with_prefix, CloudWatchSource};
use crate::telemetry::StatusServer;
use actix::Actor;

/// Runs until `shutdown` resolves (log groups never end). Returns how the run ended.
pub async fn run(
    config: Config,
    telemetry: Telemetry,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<RunEnd> {
    if config.status.port != 0 {
        let addr = format!("{}:{}", config.status.host, config.status.port);
        let (server, local) = StatusServer::bind(&addr, telemetry.metrics.clone(), telemetry.board.clone())
            .await
            .map_err(|e| anyhow::anyhow!("status.port: cannot listen on {addr}: {e}"))?;
        server.start();
        tracing::info!(addr = %local, "status server listening (/metrics, /status)");
    }
    let http_tls = match crate::tls::http_client_config(&config.central.ssl)? {
        Some((tls, policy)) => {
            for warning in &policy.warnings {
                tracing::warn!("{warning}");
            }
            tracing::info!(
                "AWS HTTPS client TLS: versions {:?}; cipher suites {}",
                policy.versions,
                policy.suite_names.join(", ")
            );
            Some(tls)
        }
        None => None,
    };
    let sdk = crate::aws::sdk_config(&config.aws, http_tls).await?;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let apigw = aws_sdk_apigateway::Client::new(&sdk);
    let filter = TagFilter::from_config(&config.aws.filter)?;
    let metrics = telemetry.metrics.clone();
    let limits = crate::aws::RateLimits::from_config(&config.aws.rate_limits);
    let clients = CatalogClients {
        rest: apigw,
        http: aws_sdk_apigatewayv2::Client::new(&sdk),
        limit: limits.api_gateway.clone(),
    };
    let mut groups = config.aws.log_group.to_vec();
    for prefix in config.aws.log_group_prefix.iter() {
        use anyhow::Context as _;
        let found = log_groups_with_prefix(&logs, prefix, &metrics)
            .await
            .with_context(|| format!("aws.log_group_prefix: cannot list the log groups starting with '{prefix}'"))?;
        tracing::info!(prefix = %prefix, groups = ?found, "log groups found by prefix");
        groups.extend(found.into_iter().filter(|g| !is_execution_log_group(g)));
    }
    groups.sort();
    groups.dedup();
    anyhow::ensure!(
        !groups.is_empty(),
        "no log group to read: aws.log_group is empty and aws.log_group_prefix ({}) matched none",
        config.aws.log_group_prefix.join(", ")
    );
    let access_groups = groups.clone();
    if config.aws.execution_logs.enabled {
        groups.extend(traced_execution_log_groups(&logs, &clients, filter.as_ref(), &metrics).await?);
    }
    let poll = config.aws.poll.clone();
    let (streams, stream_prefix) = (config.aws.log_streams.to_vec(), config.aws.log_stream_prefix.clone());
    tracing::info!(log_groups = ?groups, hosts = ?config.traceability.host.0, tls = config.traceability.enable_ssl, "starting");
    let make = {
        let (logs, metrics, limits) = (logs.clone(), metrics.clone(), limits.clone());
        move |g: &str, from: Option<i64>, access: bool| {
            let none: &[String] = &[];
            CloudWatchSource::new(logs.clone(), g, from, &poll, metrics.clone())
                .with_rate_limits(limits.clone())
                .with_streams(if access { &streams } else { none }, if access { &stream_prefix } else { "" })
        }
    };
    let make = std::rc::Rc::new(make);
    let discovery =
        (!config.aws.log_group_prefix.is_empty() && !config.aws.discovery_interval.get().is_zero()).then(|| {
            let (logs, metrics, prefixes) = (logs.clone(), metrics.clone(), config.aws.log_group_prefix.to_vec());
            let list: crate::pipeline::ListGroups = Box::new(move || {
                let (logs, metrics, prefixes) = (logs.clone(), metrics.clone(), prefixes.clone());
                Box::pin(async move {
                    let mut all = Vec::new();
                    for prefix in &prefixes {
                        all.extend(log_groups_with_prefix(&logs, prefix, &metrics).await.map_err(|e| e.to_string())?);
                    }
                    Ok(all.into_iter().filter(|g| !is_execution_log_group(g)).collect())
                })
            });
            let make = make.clone();
            crate::pipeline::Discovery {
                interval: config.aws.discovery_interval.get(),
                list,
                make: Box::new(move |g: &str, from: Option<i64>| make(g, from, true)),
                // Named groups and execution-log groups are not the prefixes' to drop.
                pinned: config
                    .aws
                    .log_group
                    .iter()
                    .cloned()
                    .chain(groups.iter().filter(|g| !access_groups.contains(*g)).cloned())
                    .collect(),
            }
        });
    let end = pipeline::run_with_discovery(
        &config,
        |positions| {
            groups
                .iter()
                .map(|g| make(g, positions.get(g).map(|p| p.next_start_ms), access_groups.contains(g)))
                .collect()
        },
        discovery,
        CatalogSetup::Aws { clients, interval: config.aws.api_poll_interval.get(), filter },
        &telemetry,
        shutdown,
    )
    .await?;
    tracing::info!(end = ?end, "stopped");
    Ok(end)
}

/// The execution-log groups of the stages `filter` selects (all of them without a filter), found
/// once at start-up.
async fn traced_execution_log_groups(
    logs: &aws_sdk_cloudwatchlogs::Client,
    clients: &CatalogClients,
    filter: Option<&TagFilter>,
    metrics: &crate::telemetry::Metrics,
) -> anyhow::Result<Vec<String>> {
    use anyhow::Context as _;
    let why = "aws.execution_logs.enabled: cannot find the execution-log groups";
    let mut groups = execution_log_groups(logs, metrics).await.context(why)?;
    if let Some(filter) = filter {
        let catalog = fetch_catalog(clients, Some(filter), metrics).await.context(why)?;
        groups.retain(|g| {
            execution_log_target(g)
                .is_some_and(|(api, stage)| catalog.selection(Some(api), Some(stage)) == Selection::Traced)
        });
    }
    tracing::info!(groups = ?groups, "execution logs: reading these groups too");
    Ok(groups)
}

/// Resolves on the first SIGTERM or SIGINT; a second one exits the process at once (the state
/// file only ever holds acknowledged positions, so that is safe).
pub async fn shutdown_signal() {
    // One pair of listeners for both signals: a listener made after the first signal would miss
    // a second one that arrives before it is registered.
    let Some(mut signals) = Signals::new() else {
        return std::future::pending().await;
    };
    signals.recv().await;
    actix::spawn(async move {
        signals.recv().await;
        tracing::warn!("second signal: exiting now");
        std::process::exit(130);
    });
}

/// SIGTERM and SIGINT, registered once.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Option<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Some(Signals { term: signal(SignalKind::terminate()).ok()?, int: signal(SignalKind::interrupt()).ok()? })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
