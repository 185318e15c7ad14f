//! AWS SDK clients from `aws.*`: Region, endpoint (emulators), static keys or the default chain,
//! operation/attempt timeouts (the SDK sets only a connect timeout by default), and the TLS policy
//! of `central.ssl` when one is set.

mod http_client;
mod rate_limit;

pub use http_client::http_client;
pub use rate_limit::{RateLimiter, RateLimits};

use crate::config::AwsConfig;
use aws_config::{timeout::TimeoutConfig, BehaviorVersion, Region};
use aws_credential_types::Credentials;

/// Builds the shared SDK configuration; `tls` (from [`crate::tls::http_client_config`]) replaces
/// the SDK's HTTP client with one applying that policy.
pub async fn sdk_config(c: &AwsConfig, tls: Option<rustls::ClientConfig>) -> aws_config::SdkConfig {
    let timeout = c.client_timeout.get();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(c.region.clone()))
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).operation_attempt_timeout(timeout).build());
    if let Some(tls) = tls {
        loader = loader.http_client(http_client(tls, timeout));
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
        return base;
    }
    // STS is reached like the other services (same endpoint override, TLS, timeouts), signed with
    // the base credentials; the role's credentials are refreshed before they expire.
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(role).session_name(&c.auth.session_name);
    if !c.auth.external_id.is_empty() {
        assume = assume.external_id(&c.auth.external_id);
    }
    let provider = assume.configure(&base).build().await;
    base.into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
        .build()
}
