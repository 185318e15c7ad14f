//! The status server actor: `/metrics` (OpenMetrics or Prometheus text, as asked), `/status`
//! (JSON, 200 or 503), `/healthz`.

use super::{exposition, Metrics, StatusBoard};
use actix::{Actor, AsyncContext, Context};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Owns the listener; serves each connection on its own task.
pub struct StatusServer {
    listener: Option<TcpListener>,
    metrics: Metrics,
    board: StatusBoard,
}

impl StatusServer {
    /// Binds now, so that a port in use is a start-up error, not a silent absence.
    pub async fn bind(addr: &str, metrics: Metrics, board: StatusBoard) -> std::io::Result<(StatusServer, SocketAddr)> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        Ok((StatusServer { listener: Some(listener), metrics, board }, local))
    }
}

impl Actor for StatusServer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let listener = self.listener.take().expect("started once");
        let (metrics, board) = (self.metrics.clone(), self.board.clone());
        ctx.spawn(actix::fut::wrap_future(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (metrics, board) = (metrics.clone(), board.clone());
                actix::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let reply = answer(&req, &metrics, &board);
                        async move { Ok::<_, Infallible>(reply) }
                    });
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
                });
            }
        }));
    }
}

fn answer(req: &Request<Incoming>, metrics: &Metrics, board: &StatusBoard) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match req.uri().path() {
        "/metrics" => {
            let accept = req.headers().get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok());
            if exposition::wants_openmetrics(accept) {
                (StatusCode::OK, exposition::OPENMETRICS, metrics.encode())
            } else {
                (StatusCode::OK, exposition::TEXT, exposition::to_classic_text(&metrics.encode()))
            }
        }
        "/status" => {
            let code = if board.healthy() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
            (code, "application/json", board.to_json().to_string())
        }
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_string()),
        _ => (StatusCode::NOT_FOUND, "text/plain", "not found: try /metrics or /status\n".to_string()),
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts")
}
