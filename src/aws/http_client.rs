//! An HTTP client for the AWS SDK that applies the agent's TLS policy (`central.ssl`) and proxy:
//! hyper-util with hyper-rustls, our rustls configuration and our dialer, behind the SDK's
//! `HttpClient` interface.

use crate::proxy::{https_connector, HttpsDialer, NoProxy, ProxyUrl};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

#[derive(Clone, Debug)]
struct PolicyConnector {
    client: Client<HttpsDialer, SdkBody>,
}

impl HttpConnector for PolicyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let response = self.client.request(request);
        HttpConnectorFuture::new(async move {
            match response.await {
                Ok(r) => HttpResponse::try_from(r.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                // Connection, TLS and I/O failures: retryable like the SDK's own client's.
                Err(e) => Err(ConnectorError::io(e.into())),
            }
        })
    }
}

#[derive(Clone, Debug)]
struct PolicyHttpClient {
    connector: SharedHttpConnector,
}

impl HttpClient for PolicyHttpClient {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        self.connector.clone()
    }
}

/// The SDK HTTP client speaking TLS exactly as `tls` says, through `proxy` unless NO_PROXY lists
/// the host; `connect_timeout` bounds each dial with its tunnel.
pub fn http_client(
    tls: rustls::ClientConfig,
    proxy: Option<ProxyUrl>,
    no_proxy: NoProxy,
    connect_timeout: Duration,
) -> SharedHttpClient {
    let client = Client::builder(TokioExecutor::new()).build(https_connector(tls, proxy, no_proxy, connect_timeout));
    PolicyHttpClient { connector: PolicyConnector { client }.into_shared() }.into_shared()
}
