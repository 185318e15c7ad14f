//! AWS SDK clients from `aws.*`: Region, endpoint (emulators), static keys or the default chain,
//! operation/attempt timeouts (the SDK sets only a connect timeout by default), and the TLS policy
//! of `central.ssl` when one is set, and the proxy of `aws.proxy_url` (else HTTPS_PROXY/ALL_PROXY).

mod http_client;
mod rate_limit;

pub use http_client::http_client;
pub use rate_limit::{RateLimiter, RateLimits};

use crate::config::AwsConfig;
use crate::proxy::{NoProxy, ProxyUrl, ProxyUrlError};
use aws_config::{timeout::TimeoutConfig, BehaviorVersion, Region};
use aws_credential_types::Credentials;

/// Why the AWS clients could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AwsSetupError {
    #[error("{var}: {source}")]
    ProxyEnv { var: String, source: ProxyUrlError },
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Builds the shared SDK configuration. `tls` (from [`crate::tls::http_client_config`]) or a
/// proxy (`aws.proxy_url`, else HTTPS_PROXY/ALL_PROXY; NO_PROXY honoured) replaces the SDK's HTTP
/// client with the agent's, which applies them.
pub async fn sdk_config(
    c: &AwsConfig,
    tls: Option<rustls::ClientConfig>,
) -> Result<aws_config::SdkConfig, AwsSetupError> {
    let timeout = c.client_timeout.get();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(c.region.clone()))
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).operation_attempt_timeout(timeout).build());
    let env = |name: &str| std::env::var(name).ok();
    let proxy = match c.proxy_url.get() {
        Some(p) => Some(p.clone()),
        None => ProxyUrl::from_env(env).map_err(|(var, source)| AwsSetupError::ProxyEnv { var, source })?,
    };
    if tls.is_some() || proxy.is_some() {
        let tls = match tls {
            Some(tls) => tls,
            None => crate::tls::default_https_config()?,
        };
        if let Some(proxy) = &proxy {
            tracing::info!(proxy = %proxy.address(), "AWS APIs through a proxy");
        }
        loader = loader.http_client(http_client(tls, proxy, NoProxy::from_env(env), timeout));
    }
    if !c.endpoint_url.is_empty() {
        loader = loader.endpoint_url(&c.endpoint_url);
    }
    if !c.auth.access_key.is_empty() {
        loader = loader.credentials_provider(Credentials::new(
            c.auth.access_key.expose(),
            c.auth.secret_key.expose(),
            None,
            None,
            "apigw-agent-config",
        ));
    }
    let base = loader.load().await;
    let role = c.auth.assume_role.trim();
    if role.is_empty() {
        return Ok(base);
    }
    // STS is reached like the other services (same endpoint override, TLS, timeouts), signed with
    // the base credentials; the role's credentials are refreshed before they expire.
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(role).session_name(&c.auth.session_name);
    if !c.auth.external_id.is_empty() {
        assume = assume.external_id(&c.auth.external_id);
    }
    let provider = assume.configure(&base).build().await;
    Ok(base
        .into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
        .build())
}
