//! One Lumberjack v2 client connection (plain TCP or TLS): writes a window and awaits its ACKs.

use super::frame::{Frame, FrameDecoder, FrameError};
use crate::proxy::ProxyUrl;
use crate::tls::ClientTls;
use bytes::{Bytes, BytesMut};
use rustls::pki_types::ServerName;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Anything a connection can run over.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("connecting to {host}: {source}")]
    Dial { host: String, source: std::io::Error },
    #[error("connecting to {host}: no answer within {after:?}")]
    DialTimeout { host: String, after: Duration },
    #[error("TLS handshake with {host} failed: {source}{}", handshake_hint(source))]
    Handshake { host: String, source: std::io::Error },
    #[error("TLS handshake with {host}: no answer within {after:?}")]
    HandshakeTimeout { host: String, after: Duration },
    #[error("'{host}' is not a valid TLS server name")]
    ServerName { host: String },
    #[error("connecting to {host}: {source}")]
    Proxy { host: String, source: crate::proxy::TunnelError },
    #[error("'{host}' is not host:port")]
    HostPort { host: String },
}

/// What a user can change when a handshake fails for a policy reason.
fn handshake_hint(e: &std::io::Error) -> &'static str {
    let text = e.to_string();
    if text.contains("ProtocolVersion") {
        " (the receiver accepts none of the TLS versions allowed by traceability.ssl.min_version/max_version)"
    } else if text.contains("HandshakeFailure") || text.contains("InsufficientSecurity") {
        " (no cipher suite in common: see traceability.ssl.cipher_suites)"
    } else {
        ""
    }
}

/// "name:port" or "[v6]:port" as the bare name and the port.
fn split_host(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) => (name.trim_start_matches('[').trim_end_matches(']'), port.parse().ok()),
        None => (host, None),
    }
}

/// Why a window was not fully acknowledged. `acked` events (1..=acked) are done even so.
#[derive(Debug, thiserror::Error)]
#[error("{kind} (receiver had acknowledged {acked} of {count} events)")]
pub struct SendError {
    pub acked: u32,
    pub count: u32,
    pub kind: SendFailure,
}

/// The reason part of a [`SendError`].
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    #[error("write failed: {0}")]
    Write(std::io::Error),
    #[error("read failed: {0}")]
    Read(std::io::Error),
    #[error("no ACK frame within {0:?}")]
    Timeout(Duration),
    #[error("receiver closed the connection")]
    Closed,
    #[error("receiver sent an ACK for {ack} events but the window held {count}")]
    AckAboveWindow { ack: u32, count: u32 },
    #[error("receiver sent only keepalives (ACK 0) for {0:?}: no progress")]
    NoProgress(Duration),
    #[error("receiver sent a frame that is not an ACK: {0:?}")]
    UnexpectedFrame(String),
    #[error("receiver sent bytes that are not Lumberjack v2: {0}")]
    Garbage(FrameError),
}

impl SendFailure {
    /// A short, stable label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            SendFailure::Write(_) => "write",
            SendFailure::Read(_) => "read",
            SendFailure::Timeout(_) => "timeout",
            SendFailure::Closed => "closed",
            SendFailure::NoProgress(_) => "no_progress",
            SendFailure::AckAboveWindow { .. } | SendFailure::UnexpectedFrame(_) | SendFailure::Garbage(_) => {
                "protocol"
            }
        }
    }
}

/// What happened while a window was acknowledged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WindowAcked {
    /// ACK(0) frames received (the receiver said "still working").
    pub keepalives: u32,
    /// Partial ACKs received before the final one.
    pub partial_acks: u32,
}

/// An open connection to one receiver.
pub struct Connection {
    io: Box<dyn Io>,
    host: String,
    read_buf: BytesMut,
    opened: std::time::Instant,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("host", &self.host).finish_non_exhaustive()
    }
}

impl Connection {
    /// Dials `host` ("name:port"), with TLS when `tls` is given. `timeout_after` bounds the dial and
    /// the handshake separately.
    pub async fn connect(
        host: &str,
        tls: Option<&ClientTls>,
        timeout_after: Duration,
    ) -> Result<Connection, ConnectError> {
        Connection::connect_via(host, tls, None, timeout_after).await
    }

    /// [`Connection::connect`] through `proxy` when given: TLS to the receiver runs inside the
    /// tunnel; an `https://` proxy is verified with the same TLS settings (system roots without TLS).
    pub async fn connect_via(
        host: &str,
        tls: Option<&ClientTls>,
        proxy: Option<&ProxyUrl>,
        timeout_after: Duration,
    ) -> Result<Connection, ConnectError> {
        let tcp: Box<dyn Io> = match proxy {
            None => {
                let tcp = match timeout(timeout_after, TcpStream::connect(host)).await {
                    Err(_) => return Err(ConnectError::DialTimeout { host: host.into(), after: timeout_after }),
                    Ok(Err(source)) => return Err(ConnectError::Dial { host: host.into(), source }),
                    Ok(Ok(tcp)) => tcp,
                };
                let _ = tcp.set_nodelay(true);
                Box::new(tcp)
            }
            Some(proxy) => {
                let (name, Some(port)) = split_host(host) else {
                    return Err(ConnectError::HostPort { host: host.into() });
                };
                let proxy_tls = tls.map(|t| &t.config);
                let stream = crate::proxy::connect(name, port, Some(proxy), proxy_tls, timeout_after)
                    .await
                    .map_err(|source| ConnectError::Proxy { host: host.into(), source })?;
                Box::new(stream)
            }
        };
        let io: Box<dyn Io> = match tls {
            None => tcp,
            Some(tls) => {
                let name = tls.server_name.as_deref().unwrap_or(split_host(host).0);
                let server_name = ServerName::try_from(name.to_string())
                    .map_err(|_| ConnectError::ServerName { host: name.into() })?;
                let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
                match timeout(timeout_after, connector.connect(server_name, tcp)).await {
                    Err(_) => return Err(ConnectError::HandshakeTimeout { host: host.into(), after: timeout_after }),
                    Ok(Err(source)) => return Err(ConnectError::Handshake { host: host.into(), source }),
                    Ok(Ok(stream)) => Box::new(stream),
                }
            }
        };
        Ok(Connection {
            io,
            host: host.into(),
            read_buf: BytesMut::with_capacity(64),
            opened: std::time::Instant::now(),
        })
    }

    /// The "name:port" this connection was opened to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// When the connection was opened (for `traceability.ttl`).
    pub fn opened(&self) -> std::time::Instant {
        self.opened
    }

    /// Writes one encoded window; `timeout_after` bounds the whole write.
    pub async fn write_window(&mut self, wire: &Bytes, timeout_after: Duration) -> Result<(), SendFailure> {
        match timeout(timeout_after, async {
            self.io.write_all(wire).await?;
            self.io.flush().await
        })
        .await
        {
            Err(_) => Err(SendFailure::Timeout(timeout_after)),
            Ok(Err(e)) => Err(SendFailure::Write(e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads the next ACK frame's value. Cancel-safe: bytes read so far stay buffered.
    pub async fn read_ack(&mut self) -> Result<u32, SendFailure> {
        match self.read_frame().await? {
            Frame::Ack(n) => Ok(n),
            other => Err(SendFailure::UnexpectedFrame(format!("{other:?}").chars().take(80).collect())),
        }
    }

    /// For an idle connection: false when the receiver has closed or reset it meanwhile (Logstash
    /// closes idle clients after 60 s), so that it is replaced before a window is lost on it.
    pub async fn is_alive(&mut self) -> bool {
        // `timeout` polls the read once before looking at its (already passed) deadline.
        match timeout(Duration::ZERO, self.io.read_buf(&mut self.read_buf)).await {
            Err(_) => true,
            Ok(Ok(n)) => n > 0,
            Ok(Err(_)) => false,
        }
    }

    /// Writes one encoded window of `count` events and reads ACKs until all are acknowledged.
    /// `timeout_after` bounds the write and each wait for an ACK frame; ACK(0) keepalives and
    /// partial ACKs reset that wait, as libbeat does.
    pub async fn send_window(
        &mut self,
        wire: &Bytes,
        count: u32,
        timeout_after: Duration,
    ) -> Result<WindowAcked, SendError> {
        let fail = |acked, kind| SendError { acked, count, kind };
        self.write_window(wire, timeout_after).await.map_err(|kind| fail(0, kind))?;
        let mut acked = 0u32;
        let mut stats = WindowAcked::default();
        loop {
            let ack = match timeout(timeout_after, self.read_ack()).await {
                Err(_) => return Err(fail(acked, SendFailure::Timeout(timeout_after))),
                Ok(Err(kind)) => return Err(fail(acked, kind)),
                Ok(Ok(n)) => n,
            };
            match ack {
                0 => stats.keepalives += 1,
                n if n > count => return Err(fail(acked, SendFailure::AckAboveWindow { ack: n, count })),
                n if n == count => return Ok(stats),
                n => {
                    stats.partial_acks += 1;
                    acked = acked.max(n);
                }
            }
        }
    }

    async fn read_frame(&mut self) -> Result<Frame, SendFailure> {
        loop {
            if let Some(frame) = FrameDecoder.decode(&mut self.read_buf).map_err(SendFailure::Garbage)? {
                return Ok(frame);
            }
            // ACK frames are 6 bytes; anything large here is garbage, and the decoder caps sizes.
            let n = self.io.read_buf(&mut self.read_buf).await.map_err(SendFailure::Read)?;
            if n == 0 {
                return Err(SendFailure::Closed);
            }
        }
    }
}
