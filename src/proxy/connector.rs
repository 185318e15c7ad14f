//! The TCP layer of the agent's HTTPS clients (AxwayID, AWS): a hyper connector that dials
//! directly or through the configured proxy; hyper-rustls adds TLS to the target on top.

use super::tunnel::{self, Stream};
use super::{NoProxy, ProxyUrl};
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Dials each new connection of an HTTP client.
#[derive(Clone)]
pub struct Dialer {
    proxy: Option<Arc<ProxyUrl>>,
    no_proxy: Arc<NoProxy>,
    proxy_tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer").field("proxy", &self.proxy).field("timeout", &self.timeout).finish()
    }
}

impl Dialer {
    /// `proxy_tls` verifies an `https://` proxy; `timeout` bounds each dial with its tunnel.
    pub fn new(
        proxy: Option<ProxyUrl>,
        no_proxy: NoProxy,
        proxy_tls: Arc<rustls::ClientConfig>,
        timeout: Duration,
    ) -> Dialer {
        Dialer { proxy: proxy.map(Arc::new), no_proxy: Arc::new(no_proxy), proxy_tls, timeout }
    }
}

/// A dialed connection, in hyper's I/O traits.
pub struct DialedIo(TokioIo<Stream>);

impl Connection for DialedIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for DialedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for DialedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

type DialFuture = Pin<Box<dyn Future<Output = Result<DialedIo, tunnel::TunnelError>> + Send>>;

impl tower_service::Service<Uri> for Dialer {
    type Response = DialedIo;
    type Error = tunnel::TunnelError;
    type Future = DialFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let dialer = self.clone();
        Box::pin(async move {
            let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
            let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
            let proxy = dialer.proxy.as_deref().filter(|_| !dialer.no_proxy.matches(&host));
            let stream = tunnel::connect(&host, port, proxy, Some(&dialer.proxy_tls), dialer.timeout).await?;
            Ok(DialedIo(TokioIo::new(stream)))
        })
    }
}

/// TLS to the target (hyper-rustls, HTTP/1.1; plain `http://` allowed) over a [`Dialer`].
pub type HttpsDialer = hyper_rustls::HttpsConnector<Dialer>;

/// The connector of the agent's HTTP clients: `tls` for the target and an `https://` proxy alike.
pub fn https_connector(
    tls: rustls::ClientConfig,
    proxy: Option<ProxyUrl>,
    no_proxy: NoProxy,
    timeout: Duration,
) -> HttpsDialer {
    let dialer = Dialer::new(proxy, no_proxy, Arc::new(tls.clone()), timeout);
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(dialer)
}
