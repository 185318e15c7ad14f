//! A loopback HTTP endpoint in front of moto: forwards every AWS call, answers ThrottlingException
//! to the FilterLogEvents calls a test picks, and records what it saw (target or action, and the
//! access key id that signed it).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One call seen: the JSON target (`Logs_20140328.FilterLogEvents`) or the query action
/// (`AssumeRole`), the signing access key id, and the form body of query calls.
#[derive(Debug, Clone)]
pub struct Seen {
    pub operation: String,
    pub access_key_id: String,
    pub form: String,
}

pub struct AwsProxy {
    pub url: String,
    pub throttled: Arc<AtomicU64>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// The most FilterLogEvents calls it had in flight at once.
    pub max_reads_in_flight: Arc<AtomicU64>,
}

impl AwsProxy {
    /// Forwards to `upstream`, except the FilterLogEvents calls `fault` picks (by number, from 0):
    /// `Some(400)` answers ThrottlingException, any other status ServiceUnavailableException.
    pub async fn start(upstream: String, fault: fn(u64) -> Option<u16>) -> AwsProxy {
        AwsProxy::start_slow(upstream, fault, std::time::Duration::ZERO).await
    }

    /// [`AwsProxy::start`], holding each FilterLogEvents call `delay` longer (to see overlaps).
    pub async fn start_slow(upstream: String, fault: fn(u64) -> Option<u16>, delay: std::time::Duration) -> AwsProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (calls, throttled) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let (counted, log) = (throttled.clone(), seen.clone());
        let (in_flight, max_in_flight) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let max_seen = max_in_flight.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (client, upstream, calls, throttled, log) =
                    (client.clone(), upstream.clone(), calls.clone(), counted.clone(), log.clone());
                let (in_flight, max_in_flight) = (in_flight.clone(), max_seen.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (client, upstream, calls, throttled, log) =
                            (client.clone(), upstream.clone(), calls.clone(), throttled.clone(), log.clone());
                        let (in_flight, max_in_flight) = (in_flight.clone(), max_in_flight.clone());
                        async move {
                            let (mut parts, body) = req.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let header = |name: &str| {
                                parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
                            };
                            let form = String::from_utf8_lossy(&body).to_string();
                            let target = header("x-amz-target");
                            let operation = if target.is_empty() {
                                form.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or("").to_string()
                            } else {
                                target.clone()
                            };
                            let auth = header("authorization");
                            let access_key_id = auth
                                .split("Credential=")
                                .nth(1)
                                .and_then(|c| c.split('/').next())
                                .unwrap_or("")
                                .to_string();
                            log.lock().unwrap().push(Seen { operation, access_key_id, form });
                            let fault = target
                                .ends_with(".FilterLogEvents")
                                .then(|| fault(calls.fetch_add(1, Ordering::SeqCst)))
                                .flatten();
                            if let Some(status) = fault {
                                throttled.fetch_add(1, Ordering::SeqCst);
                                let kind =
                                    if status == 400 { "ThrottlingException" } else { "ServiceUnavailableException" };
                                let reply = hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/x-amz-json-1.1")
                                    .header("x-amzn-errortype", kind)
                                    .body(Full::new(Bytes::from(format!(
                                        r#"{{"__type":"{kind}","message":"Rate exceeded"}}"#
                                    ))))
                                    .unwrap();
                                return Ok::<_, hyper::Error>(reply);
                            }
                            let read = target.ends_with(".FilterLogEvents");
                            if read {
                                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                                max_in_flight.fetch_max(now, Ordering::SeqCst);
                                tokio::time::sleep(delay).await;
                            }
                            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
                            parts.uri = format!("{upstream}{path}").parse().unwrap();
                            let resp =
                                client.request(hyper::Request::from_parts(parts, Full::new(body))).await.unwrap();
                            let (parts, body) = resp.into_parts();
                            let body = body.collect().await?.to_bytes();
                            if read {
                                in_flight.fetch_sub(1, Ordering::SeqCst);
                            }
                            Ok(hyper::Response::from_parts(parts, Full::new(body)))
                        }
                    });
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
                });
            }
        });
        AwsProxy { url, throttled, seen, max_reads_in_flight: max_in_flight }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
