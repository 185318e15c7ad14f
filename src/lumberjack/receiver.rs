//! A Lumberjack v2 receiver whose replies are scripted per window: the demo's in-process receiver
//! and the fault-injecting peer of our tests (partial ACKs, keepalives, silence, resets, garbage).

use super::frame::{encode_ack, Frame, FrameDecoder};
use bytes::{Bytes, BytesMut};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the receiver does with one complete window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Keep every event and acknowledge the whole window.
    AckAll,
    /// Send this many ACK(0) keepalives first, then keep and acknowledge everything.
    KeepalivesThenAck(u32),
    /// Keep and acknowledge everything, then close the connection once it has been idle for
    /// [`IDLE_CLOSE_AFTER`], as Logstash does with idle clients after 60 s (`Reset`: with an RST,
    /// as Logstash's SO_LINGER=0 does).
    AckThenClose,
    AckThenReset,
    /// Send `n` ACK(0) keepalives `every` apart, then keep and acknowledge everything (a busy
    /// Logstash, which sends one every 5 s while a batch is pending).
    KeepalivesEvery(u32, Duration),
    /// Keep everything but acknowledge only after this long (a busy Logstash).
    AckAfter(Duration),
    /// Send this many ACK(0) keepalives, then close without keeping anything (a stuck receiver).
    KeepalivesThenClose(u32),
    /// Answer with ACK(n) whatever the window held, keeping nothing (a broken receiver).
    AckValue(u32),
    /// Keep the first `n` events, acknowledge them, then close the connection.
    AckPartialThenClose(u32),
    /// Keep every event but close before acknowledging (the client must resend: duplicates).
    KeepThenClose,
    /// Drop the window and close without a word (a reset mid-window).
    Close,
    /// Never answer; hold the connection until the client gives up.
    Silent,
    /// Answer with bytes that are not Lumberjack, then close.
    Garbage,
}

/// How long an `AckThenClose`/`AckThenReset` connection stays idle before the receiver closes it.
pub const IDLE_CLOSE_AFTER: Duration = Duration::from_millis(200);

/// Chooses the reply for the n-th window (0-based, counted over all connections).
pub type Script = Arc<dyn Fn(u64) -> Reply + Send + Sync>;

/// One event the receiver kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedEvent {
    pub window: u64,
    pub seq: u32,
    pub payload: Bytes,
}

struct Shared {
    events: Mutex<Vec<ReceivedEvent>>,
    windows: AtomicU64,
    connections: AtomicU64,
    closed: watch::Sender<u64>,
}

/// Starts receivers.
pub struct Receiver;

/// A running receiver; dropping it takes it down: it stops listening and closes its connections.
pub struct ReceiverHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    kept: watch::Receiver<usize>,
    task: tokio::task::JoinHandle<()>,
    down: watch::Sender<bool>,
}

impl Drop for ReceiverHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Receiver {
    /// Listens on `addr` (use port 0 for a free port). With `tls`, connections are TLS.
    pub async fn start(
        addr: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
        script: Script,
    ) -> std::io::Result<ReceiverHandle> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            events: Mutex::default(),
            windows: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            closed: watch::channel(0).0,
        });
        let (kept_tx, kept) = watch::channel(0usize);
        let kept_tx = Arc::new(kept_tx);
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let task_shared = shared.clone();
        let (down, down_rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                task_shared.connections.fetch_add(1, Ordering::Relaxed);
                let (shared, script, kept_tx, acceptor) =
                    (task_shared.clone(), script.clone(), kept_tx.clone(), acceptor.clone());
                let mut down = down_rx.clone();
                tokio::spawn(async move {
                    let serve_one = async {
                        match acceptor {
                            None => {
                                let mut tcp = tcp;
                                if serve(&mut tcp, &shared, &script, &kept_tx).await {
                                    // SO_LINGER 0: the close sends an RST, as Logstash's does.
                                    let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
                                }
                            }
                            Some(acceptor) => {
                                if let Ok(mut tls) = acceptor.accept(tcp).await {
                                    serve(&mut tls, &shared, &script, &kept_tx).await;
                                }
                            }
                        }
                    };
                    // Taken down: the connection is dropped, closing it, whatever it was doing.
                    tokio::select! {
                        _ = serve_one => {}
                        _ = down.wait_for(|d| *d) => {}
                    }
                    shared.closed.send_modify(|n| *n += 1);
                });
            }
        });
        Ok(ReceiverHandle { addr, shared, kept, task, down })
    }
}

impl ReceiverHandle {
    /// Takes it down: stops listening and closes every connection; what it kept stays readable.
    pub fn stop(&self) {
        self.task.abort();
        self.down.send_replace(true);
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "127.0.0.1:port", as a TRACEABILITY_HOST entry.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every event kept so far, in arrival order.
    pub fn events(&self) -> Vec<ReceivedEvent> {
        self.shared.events.lock().expect("receiver lock").clone()
    }

    /// Windows read so far (including ones not acknowledged).
    pub fn windows(&self) -> u64 {
        self.shared.windows.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Waits until at least `n` connections were closed by the receiver or the client.
    pub async fn wait_for_closed(&self, n: u64, limit: Duration) -> u64 {
        let mut closed = self.shared.closed.subscribe();
        let _ = tokio::time::timeout(limit, closed.wait_for(|c| *c >= n)).await;
        let count = *closed.borrow();
        count
    }

    /// Waits until at least `n` events were kept, or `limit` passes; returns the count kept.
    pub async fn wait_for_events(&self, n: usize, limit: Duration) -> usize {
        let mut kept = self.kept.clone();
        let _ = tokio::time::timeout(limit, kept.wait_for(|k| *k >= n)).await;
        let count = *kept.borrow();
        count
    }
}

/// Serves one connection; returns true when the script asked for it to end with an RST.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    shared: &Shared,
    script: &Script,
    kept: &watch::Sender<usize>,
) -> bool {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let Some(window) = read_window(io, &mut buf).await else {
            return false;
        };
        let index = shared.windows.fetch_add(1, Ordering::Relaxed);
        let count = window.len() as u32;
        let keep = |events: &[(u32, Bytes)]| {
            let mut all = shared.events.lock().expect("receiver lock");
            all.extend(events.iter().map(|(seq, payload)| ReceivedEvent {
                window: index,
                seq: *seq,
                payload: payload.clone(),
            }));
            kept.send_replace(all.len());
        };
        let result = match script(index) {
            Reply::AckAll => {
                keep(&window);
                io.write_all(&encode_ack(count)).await
            }
            Reply::KeepalivesThenAck(k) => {
                let mut r = Ok(());
                for _ in 0..k {
                    r = r.and(io.write_all(&encode_ack(0)).await);
                }
                keep(&window);
                r.and(io.write_all(&encode_ack(count)).await)
            }
            Reply::AckThenClose | Reply::AckThenReset => {
                keep(&window);
                let _ = io.write_all(&encode_ack(count)).await;
                let _ = io.flush().await;
                // Idle means: nothing more arrives within the idle time.
                let mut probe = [0u8; 1];
                if let Ok(Ok(n)) = tokio::time::timeout(IDLE_CLOSE_AFTER, io.read(&mut probe)).await {
                    if n > 0 {
                        return false; // not idle: a real receiver would go on; the script says close
                    }
                }
                return script(index) == Reply::AckThenReset;
            }
            Reply::KeepalivesThenClose(k) => {
                for _ in 0..k {
                    if io.write_all(&encode_ack(0)).await.is_err() {
                        break;
                    }
                }
                let _ = io.flush().await;
                return false;
            }
            Reply::AckValue(n) => io.write_all(&encode_ack(n)).await,
            Reply::KeepalivesEvery(n, every) => {
                for _ in 0..n {
                    tokio::time::sleep(every).await;
                    if io.write_all(&encode_ack(0)).await.is_err() || io.flush().await.is_err() {
                        return false;
                    }
                }
                keep(&window);
                io.write_all(&encode_ack(count)).await
            }
            Reply::AckAfter(delay) => {
                keep(&window);
                tokio::time::sleep(delay).await;
                io.write_all(&encode_ack(count)).await
            }
            Reply::AckPartialThenClose(n) => {
                let n = n.min(count);
                keep(&window[..n as usize]);
                let _ = io.write_all(&encode_ack(n)).await;
                return false;
            }
            Reply::KeepThenClose => {
                keep(&window);
                return false;
            }
            Reply::Close => return false,
            Reply::Silent => {
                // Hold the connection open and read (and drop) whatever comes until the peer leaves.
                let mut sink = [0u8; 4096];
                while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
                return false;
            }
            Reply::Garbage => {
                let _ = io.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                return false;
            }
        };
        if result.is_err() || io.flush().await.is_err() {
            return false;
        }
    }
}

/// Reads one whole window (the W frame and all its events); `None` on EOF or a protocol error.
async fn read_window<S: AsyncRead + Unpin>(io: &mut S, buf: &mut BytesMut) -> Option<Vec<(u32, Bytes)>> {
    let mut expected: Option<u32> = None;
    let mut events = Vec::new();
    loop {
        while let Some(frame) = FrameDecoder.decode(buf).ok()? {
            match frame {
                Frame::Window(n) if expected.is_none() => expected = Some(n),
                Frame::Json { seq, payload } if expected.is_some() => events.push((seq, payload)),
                Frame::Compressed(inner) if expected.is_some() => {
                    for f in inner {
                        match f {
                            Frame::Json { seq, payload } => events.push((seq, payload)),
                            _ => return None,
                        }
                    }
                }
                _ => return None,
            }
            if expected == Some(events.len() as u32) {
                return Some(events);
            }
        }
        if io.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}
