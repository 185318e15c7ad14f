//! Opening a byte stream to `host:port` through a proxy: HTTP CONNECT (RFC 9110 §9.3.6), over
//! TCP or TLS to the proxy, or SOCKS5 (RFC 1928) with user/password auth (RFC 1929).

use super::{ProxyKind, ProxyUrl};
use base64::Engine;
use rustls::pki_types::ServerName;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// The longest CONNECT reply head we read before giving up on the proxy.
const MAX_REPLY_HEAD: usize = 8 * 1024;

/// Why no tunnel was opened. Every text names the proxy (never its credentials) and the target.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("cannot connect to {target}: {source}")]
    Direct { target: String, source: io::Error },
    #[error("proxy {proxy}: cannot connect: {source}")]
    Dial { proxy: String, source: io::Error },
    #[error("proxy {proxy}: no tunnel to {target} within {after:?}")]
    Timeout { proxy: String, target: String, after: Duration },
    #[error("proxy {proxy}: TLS handshake failed: {source}")]
    Handshake { proxy: String, source: io::Error },
    #[error("proxy {proxy}: '{name}' is not a valid TLS server name")]
    ServerName { proxy: String, name: String },
    #[error("proxy {proxy}: connection lost while opening the tunnel to {target}: {source}")]
    Io { proxy: String, target: String, source: io::Error },
    #[error("proxy {proxy} refused the credentials in its URL (user and password): {reply}")]
    Auth { proxy: String, reply: String },
    #[error("proxy {proxy} refused the tunnel to {target}: {reply}")]
    Refused { proxy: String, target: String, reply: String },
    #[error("proxy {proxy} answered something that is not {protocol}: {detail}")]
    Protocol { proxy: String, protocol: &'static str, detail: String },
}

/// A connection to the target: direct TCP, or a tunnel through a proxy.
pub enum Stream {
    Tcp(TcpStream),
    /// A CONNECT tunnel inside TLS to an `https://` proxy.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Connects to `host:port`, through `proxy` when given; `proxy_tls` verifies an `https://`
/// proxy (the system's roots when `None`). `after` bounds the whole setup (dial, proxy
/// handshake, tunnel).
pub async fn connect(
    host: &str,
    port: u16,
    proxy: Option<&ProxyUrl>,
    proxy_tls: Option<&Arc<rustls::ClientConfig>>,
    after: Duration,
) -> Result<Stream, TunnelError> {
    let target = target_text(host, port);
    let Some(proxy) = proxy else {
        let tcp = tokio::time::timeout(after, TcpStream::connect((host, port)))
            .await
            .map_err(|_| TunnelError::Direct { target: target.clone(), source: io::ErrorKind::TimedOut.into() })?
            .map_err(|source| TunnelError::Direct { target, source })?;
        let _ = tcp.set_nodelay(true);
        return Ok(Stream::Tcp(tcp));
    };
    let address = proxy.address();
    tokio::time::timeout(after, through(proxy, host, port, &target, proxy_tls))
        .await
        .map_err(|_| TunnelError::Timeout { proxy: address, target, after })?
}

async fn through(
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    target: &str,
    proxy_tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Stream, TunnelError> {
    let address = proxy.address();
    let tcp = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|source| TunnelError::Dial { proxy: address.clone(), source })?;
    let _ = tcp.set_nodelay(true);
    let io_error = |source| TunnelError::Io { proxy: address.clone(), target: target.to_string(), source };
    match proxy.kind {
        ProxyKind::Http => {
            let mut tcp = tcp;
            http_connect(&mut tcp, proxy, target).await?;
            Ok(Stream::Tcp(tcp))
        }
        ProxyKind::Https => {
            let name = ServerName::try_from(proxy.host.clone())
                .map_err(|_| TunnelError::ServerName { proxy: address.clone(), name: proxy.host.clone() })?;
            let config = match proxy_tls {
                Some(config) => config.clone(),
                None => Arc::new(crate::tls::default_https_config().map_err(|e| TunnelError::Handshake {
                    proxy: address.clone(),
                    source: io::Error::other(e.to_string()),
                })?),
            };
            let mut tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|source| TunnelError::Handshake { proxy: address.clone(), source })?;
            http_connect(&mut tls, proxy, target).await?;
            Ok(Stream::Tls(Box::new(tls)))
        }
        ProxyKind::Socks5 => {
            let mut tcp = tcp;
            socks5_connect(&mut tcp, proxy, host, port, target).await.map_err(|e| match e {
                Socks5Failure::Io(source) => io_error(source),
                Socks5Failure::Tunnel(e) => e,
            })?;
            Ok(Stream::Tcp(tcp))
        }
    }
}

fn target_text(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Sends CONNECT and reads the reply head; a 2xx opens the tunnel.
async fn http_connect<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    proxy: &ProxyUrl,
    target: &str,
) -> Result<(), TunnelError> {
    let address = proxy.address();
    let io_error = |source| TunnelError::Io { proxy: address.clone(), target: target.to_string(), source };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, password)) = &proxy.auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    io.write_all(request.as_bytes()).await.map_err(io_error)?;
    io.flush().await.map_err(io_error)?;
    // Byte by byte up to the blank line: what follows it belongs to the tunnel.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_REPLY_HEAD {
            return Err(protocol(proxy, "HTTP", format!("reply head longer than {MAX_REPLY_HEAD} bytes")));
        }
        match io.read_u8().await {
            Ok(b) => head.push(b),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && head.is_empty() => {
                return Err(io_error(io::Error::new(io::ErrorKind::UnexpectedEof, "closed without a reply")))
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default().trim().to_string();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| protocol(proxy, "HTTP", format!("status line '{}'", truncate(&status_line))))?;
    match status {
        200..=299 => Ok(()),
        // 407 asks for credentials; some proxies (tinyproxy) answer wrong ones with 401.
        401 | 407 => Err(TunnelError::Auth { proxy: address, reply: truncate(&status_line) }),
        _ => Err(TunnelError::Refused { proxy: address, target: target.into(), reply: truncate(&status_line) }),
    }
}

enum Socks5Failure {
    Io(io::Error),
    Tunnel(TunnelError),
}

impl From<io::Error> for Socks5Failure {
    fn from(e: io::Error) -> Self {
        Socks5Failure::Io(e)
    }
}

/// Greeting, optional user/password sub-negotiation, then CONNECT by name (or address).
async fn socks5_connect(
    io: &mut TcpStream,
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    target: &str,
) -> Result<(), Socks5Failure> {
    let fail = |e: TunnelError| Err(Socks5Failure::Tunnel(e));
    let methods: &[u8] = if proxy.auth.is_some() { &[5, 2, 0, 2] } else { &[5, 1, 0] };
    io.write_all(methods).await?;
    let mut choice = [0u8; 2];
    io.read_exact(&mut choice).await?;
    match choice {
        [5, 0] => {}
        [5, 2] => {
            let Some((user, password)) = &proxy.auth else {
                return fail(protocol(proxy, "SOCKS5", "it chose user/password auth, which was not offered".into()));
            };
            let mut sub = vec![1, user.len() as u8];
            sub.extend_from_slice(user.as_bytes());
            sub.push(password.expose().len() as u8);
            sub.extend_from_slice(password.expose().as_bytes());
            io.write_all(&sub).await?;
            let mut status = [0u8; 2];
            io.read_exact(&mut status).await?;
            if status[1] != 0 {
                return fail(TunnelError::Auth {
                    proxy: proxy.address(),
                    reply: format!("SOCKS5 auth status {}", status[1]),
                });
            }
        }
        [5, 0xff] => {
            let reply = if proxy.auth.is_some() {
                "no offered auth method accepted (user/password, none)"
            } else {
                "it requires authentication: put user:password@ in the proxy URL"
            };
            return fail(TunnelError::Auth { proxy: proxy.address(), reply: reply.into() });
        }
        other => return fail(protocol(proxy, "SOCKS5", format!("greeting reply {other:?}"))),
    }
    let mut request = vec![5, 1, 0];
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) if host.len() <= 255 => {
            request.extend_from_slice(&[3, host.len() as u8]);
            request.extend_from_slice(host.as_bytes());
        }
        Err(_) => return fail(protocol(proxy, "SOCKS5", "target host name longer than 255 bytes".into())),
    }
    request.extend_from_slice(&port.to_be_bytes());
    io.write_all(&request).await?;
    let mut reply = [0u8; 4];
    io.read_exact(&mut reply).await?;
    if reply[0] != 5 {
        return fail(protocol(proxy, "SOCKS5", format!("reply version {}", reply[0])));
    }
    if reply[1] != 0 {
        let reply = format!("SOCKS5 reply {} ({})", reply[1], socks5_reply_text(reply[1]));
        return fail(TunnelError::Refused { proxy: proxy.address(), target: target.into(), reply });
    }
    // The bound address, which we do not need, ends the reply.
    let skip = match reply[3] {
        1 => 4,
        4 => 16,
        3 => io.read_u8().await? as usize,
        other => return fail(protocol(proxy, "SOCKS5", format!("address type {other}"))),
    };
    let mut rest = vec![0u8; skip + 2];
    io.read_exact(&mut rest).await?;
    Ok(())
}

/// RFC 1928 §6 reply codes.
pub fn socks5_reply_text(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

fn protocol(proxy: &ProxyUrl, protocol: &'static str, detail: String) -> TunnelError {
    TunnelError::Protocol { proxy: proxy.address(), protocol, detail }
}

/// A proxy's words, cut to a length that fits a log line.
fn truncate(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    text
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
