//! An HTTP client for the AWS SDK that applies the agent's TLS policy (`central.ssl`): hyper-util
//! with hyper-rustls and our rustls configuration, behind the SDK's `HttpClient` interface.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::{connect::HttpConnector as TcpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

type Https = hyper_rustls::HttpsConnector<TcpConnector>;

#[derive(Clone, Debug)]
struct PolicyConnector {
    client: Client<Https, SdkBody>,
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

/// The SDK HTTP client speaking TLS exactly as `tls` says; `connect_timeout` bounds each dial.
pub fn http_client(tls: rustls::ClientConfig, connect_timeout: Duration) -> SharedHttpClient {
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    let client = Client::builder(TokioExecutor::new()).build(https);
    PolicyHttpClient { connector: PolicyConnector { client }.into_shared() }.into_shared()
}
