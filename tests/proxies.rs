//! Every outbound connection through real proxies: tinyproxy (HTTP CONNECT with Basic auth),
//! microsocks (SOCKS5 with user/password) and stunnel in front of tinyproxy (an HTTPS proxy).
//! Lumberjack (plain and TLS inside the tunnel), AxwayID and the AWS APIs; each test counts the
//! tunnels in the proxy's own log, so a direct connection cannot pass for a proxied one.

use crate::support;

use apigw_agent::config::{List, ProxySetting, VerificationMode};
use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{Connection, Receiver, Reply};
use apigw_agent::pipeline::RunEnd;
use apigw_agent::proxy::{NoProxy, ProxyUrl};
use std::sync::Arc;
use std::time::Duration;
use support::forward_proxies::ProxyDaemon;
use support::pki::Pki;
use support::*;

const USER: &str = "agent";
const PASSWORD: &str = "pr0xy-s3cret";

fn proxy(url: &str) -> ProxySetting {
    ProxySetting(Some(ProxyUrl::parse(url).unwrap()))
}

/// Sends 300 synthetic records to a fresh receiver through `proxy_url`, TLS inside the tunnel
/// when `pki` is given; returns the receiver's port once every record was delivered once.
fn deliver_through(proxy_url: &str, pki: Option<&Pki>) -> u16 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rx =
        rt.block_on(Receiver::start("127.0.0.1:0", pki.map(Pki::server_config), Arc::new(|_| Reply::AckAll))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let host = format!("{}:{}", if pki.is_some() { "localhost" } else { "127.0.0.1" }, rx.addr().port());
    let mut config = demo_config(&host, &dir.path().join("state.json").display().to_string());
    config.traceability.proxy_url = proxy(proxy_url);
    if let Some(pki) = pki {
        config.traceability.enable_ssl = true;
        config.traceability.ssl.certificate_authorities = List::of(&[&pki.p("ca.pem")]);
    }
    assert_eq!(run_synthetic(&config, 300, 100, 7), RunEnd::Drained);
    let report = tally(300, &rx.events());
    assert_eq!((report.delivered, report.lost, report.duplicates), (300, 0, 0));
    rx.addr().port()
}

#[test]
fn lumberjack_through_socks5_with_user_and_password() {
    let socks = ProxyDaemon::microsocks(Some((USER, PASSWORD)));
    let port = deliver_through(&format!("socks5://{USER}:{PASSWORD}@127.0.0.1:{}", socks.port), None);
    assert_eq!(socks.tunnels_to(port), 1, "one connection, through the proxy");
}

#[test]
fn lumberjack_tls_inside_an_http_connect_tunnel_with_basic_auth() {
    let pki = Pki::new();
    let http = ProxyDaemon::tinyproxy(Some((USER, PASSWORD)));
    // The receiver's name is "localhost" (its certificate's); the proxy resolves it.
    let port = deliver_through(&format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", http.port), Some(&pki));
    assert_eq!(http.tunnels_to(port), 1, "one connection, through the proxy");
}

#[test]
fn lumberjack_tls_through_an_https_proxy_verified_with_the_configured_ca() {
    let pki = Pki::new();
    let http = ProxyDaemon::tinyproxy(None);
    let https = ProxyDaemon::stunnel(&pki, http.port);
    let port = deliver_through(&format!("https://localhost:{}", https.port), Some(&pki));
    assert!(http.tunnels_to(port) >= 1, "no tunnel through stunnel and tinyproxy");
}

#[tokio::test]
async fn refusals_by_real_proxies_are_named_and_the_password_never_shows() {
    let rx = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let host = rx.host();
    let connect = |url: String| {
        let host = host.clone();
        async move {
            let proxy = ProxyUrl::parse(&url).unwrap();
            match Connection::connect_via(&host, None, Some(&proxy), Duration::from_secs(10)).await {
                Ok(_) => panic!("{proxy} let a wrong password through"),
                Err(e) => {
                    let (text, debug) = (e.to_string(), format!("{e:?} {proxy:?} {proxy}"));
                    assert!(!text.contains(PASSWORD) && !debug.contains(PASSWORD), "{text} {debug}");
                    text
                }
            }
        }
    };
    let http = ProxyDaemon::tinyproxy(Some((USER, PASSWORD)));
    let refused = |reply: &str| {
        format!(
            "connecting to {host}: proxy http://127.0.0.1:{} refused the credentials in its URL (user and password): {reply}",
            http.port
        )
    };
    let e = connect(format!("http://{USER}:wrong-{PASSWORD}@127.0.0.1:{}", http.port)).await;
    assert_eq!(e, refused("HTTP/1.0 401 Unauthorized"));
    let e = connect(format!("http://127.0.0.1:{}", http.port)).await;
    assert_eq!(e, refused("HTTP/1.0 407 Proxy Authentication Required"));
    let socks = ProxyDaemon::microsocks(Some((USER, PASSWORD)));
    let e = connect(format!("socks5://{USER}:wrong-{PASSWORD}@127.0.0.1:{}", socks.port)).await;
    let prefix = format!(
        "connecting to {host}: proxy socks5://127.0.0.1:{} refused the credentials in its URL (user and password): ",
        socks.port
    );
    assert!(e.starts_with(&prefix), "{e}");
    let e = connect(format!("socks5://127.0.0.1:{}", socks.port)).await;
    assert!(e.ends_with("it requires authentication: put user:password@ in the proxy URL"), "{e}");
    assert_eq!(rx.connections(), 0, "a refused tunnel reached the receiver");

    // An https:// proxy whose certificate the client does not trust.
    let pki = Pki::new();
    let https = ProxyDaemon::stunnel(&pki, http.port);
    let stranger = Pki::new();
    let mut t = apigw_agent::config::TraceabilityConfig::default();
    t.ssl.verification_mode = VerificationMode::Full;
    t.ssl.certificate_authorities = List::of(&[&stranger.p("ca.pem")]);
    let tls = apigw_agent::tls::client_config(&t).unwrap().unwrap();
    let proxy = ProxyUrl::parse(&format!("https://{USER}:{PASSWORD}@localhost:{}", https.port)).unwrap();
    let e = Connection::connect_via(&host, Some(&tls), Some(&proxy), Duration::from_secs(10)).await.unwrap_err();
    let e = e.to_string();
    assert!(
        e.starts_with(&format!("connecting to {host}: proxy https://localhost:{}: TLS handshake failed: ", https.port)),
        "{e}"
    );
    assert!(e.contains("UnknownIssuer"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_token_through_an_http_proxy() {
    use apigw_agent::central::TokenSource;
    let dir = tempfile::tempdir().unwrap();
    support::axwayid::openssl_keys(dir.path());
    let server =
        support::axwayid::TokenServer::start(&dir.path().join("public.pem"), crate::central_token::CLIENT, 600);
    let http = ProxyDaemon::tinyproxy(Some((USER, PASSWORD)));
    let mut central = crate::central_token::central(&server, dir.path(), "private.pem", "");
    central.proxy_url = proxy(&format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", http.port));
    let token = TokenSource::from_config(&central).unwrap().token().await.unwrap();
    assert!(!token.expose().is_empty());
    assert_eq!(http.tunnels_to(server.port), 1);
    assert_eq!(server.stats().1, 1, "one token issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_apis_through_http_and_socks5_proxies_and_no_proxy_bypasses_them() {
    let moto = Moto::start();
    let moto_port: u16 = moto.url.rsplit(':').next().unwrap().parse().unwrap();
    let group = "/aws/apigateway/proxied";
    let base = now_ms() - 60_000;
    let lines = access_lines("px", "api1", 50, base, 1);
    put_lines(&moto.logs().await, group, "s", &lines).await;

    let http = ProxyDaemon::tinyproxy(Some((USER, PASSWORD)));
    let socks = ProxyDaemon::microsocks(None);
    for (daemon, url) in [
        (&http, format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", http.port)),
        (&socks, format!("socks5://127.0.0.1:{}", socks.port)),
    ] {
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&moto.url, group, &receiver.host(), &dir.path().join("state.json"));
        config.aws.proxy_url = proxy(&url);
        let agent = RunningAgent::start(config);
        assert_eq!(receiver.wait_for_events(100, WAIT).await, 100, "through {url}");
        assert_eq!(agent.shutdown().await, RunEnd::ShutdownClean);
        assert!(daemon.tunnels_to(moto_port) >= 1, "no AWS call went through {url}");
    }

    // NO_PROXY: the client goes straight to moto although its proxy is dead.
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let tls = apigw_agent::tls::default_https_config().unwrap();
    let client = |no_proxy: &str| {
        apigw_agent::aws::http_client(
            tls.clone(),
            Some(ProxyUrl::parse(&dead).unwrap()),
            NoProxy::parse(no_proxy),
            Duration::from_secs(5),
        )
    };
    let base_sdk = moto.sdk_config().await;
    let describe = |client| {
        let sdk = aws_sdk_cloudwatchlogs::config::Builder::from(&base_sdk)
            .http_client(client)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        async move { aws_sdk_cloudwatchlogs::Client::from_conf(sdk).describe_log_groups().send().await.map(|_| ()) }
    };
    describe(client("localhost,127.0.0.1")).await.expect("NO_PROXY bypasses the dead proxy");
    let e = describe(client("example.com")).await.unwrap_err();
    let e = aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e).to_string();
    assert!(e.contains(&format!("proxy {dead}: cannot connect")), "{e}");
}
