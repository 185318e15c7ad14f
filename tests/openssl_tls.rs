//! TLS policy against a TLS stack that is not ours: Debian's `openssl s_server`, limited to a
//! version, to one cipher suite, presenting a certificate for another name, or requiring a client
//! certificate. Certificates are made here, at test time.

use crate::support;
use support::pki::Pki;
use support::KillOnDrop;

use apigw_agent::config::{List, TlsVersion, TraceabilityConfig, VerificationMode};
use apigw_agent::lumberjack::{ConnectError, Connection};
use apigw_agent::tls;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `openssl s_server` on a free loopback port, killed on drop.
struct SServer {
    _child: KillOnDrop,
    port: u16,
}

impl SServer {
    /// Serves one connection.
    fn start(pki: &Pki, extra: &[&str]) -> SServer {
        Self::serving(pki, extra, true)
    }

    /// `once`: serve one connection, else any number (the SDK retries).
    fn serving(pki: &Pki, extra: &[&str], once: bool) -> SServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (cert, key) = (pki.p("server.pem"), pki.p("server-key.pem"));
        let mut args = vec!["s_server", "-accept", "", "-cert", &cert, "-key", &key];
        if once {
            args.extend(["-naccept", "1"]);
        }
        let accept = format!("127.0.0.1:{port}");
        args[2] = &accept;
        args.extend_from_slice(extra);
        let mut child = Command::new("openssl")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is installed by scripts/test.sh");
        // s_server prints ACCEPT once it listens.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "openssl s_server {extra:?} exited before listening");
            if line.starts_with("ACCEPT") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        SServer { _child: KillOnDrop(child), port }
    }
}

fn client(pki: &Pki, edit: impl FnOnce(&mut TraceabilityConfig)) -> tls::ClientTls {
    let mut t = TraceabilityConfig::default();
    t.ssl.certificate_authorities = List::of(&[&pki.p("ca.pem")]);
    edit(&mut t);
    tls::client_config(&t).unwrap().unwrap()
}

async fn handshake(server: &SServer, host: &str, tls: &tls::ClientTls) -> Result<(), ConnectError> {
    Connection::connect(&format!("{host}:{}", server.port), Some(tls), Duration::from_secs(10)).await.map(|_| ())
}

#[tokio::test]
async fn a_server_limited_to_tls11_is_refused_with_a_clear_error() {
    let pki = Pki::new();
    let server = SServer::start(&pki, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let err = handshake(&server, "localhost", &client(&pki, |_| {})).await.unwrap_err().to_string();
    assert!(err.starts_with(&format!("TLS handshake with localhost:{} failed: ", server.port)), "{err}");
    assert!(err.contains("ProtocolVersion") && err.contains("traceability.ssl.min_version/max_version"), "{err}");
}

#[tokio::test]
async fn a_server_with_one_tls12_suite_is_reached_only_when_that_suite_is_allowed() {
    let pki = Pki::new();
    let only = ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"];
    let other = client(&pki, |t| t.ssl.cipher_suites = List::of(&["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]));
    let err = handshake(&SServer::start(&pki, &only), "localhost", &other).await.unwrap_err().to_string();
    assert!(err.contains("HandshakeFailure") && err.contains("traceability.ssl.cipher_suites"), "{err}");

    let same = client(&pki, |t| t.ssl.cipher_suites = List::of(&["ECDHE-RSA-AES-128-GCM-SHA256"]));
    handshake(&SServer::start(&pki, &only), "localhost", &same).await.unwrap();
    handshake(&SServer::start(&pki, &only), "localhost", &client(&pki, |_| {})).await.unwrap();
}

#[tokio::test]
async fn tls13_only_on_both_sides_works_and_a_tls12_cap_is_refused() {
    let pki = Pki::new();
    let tls13 = ["-tls1_3"];
    handshake(&SServer::start(&pki, &tls13), "localhost", &client(&pki, |t| t.ssl.min_version = TlsVersion::Tls13))
        .await
        .unwrap();
    let capped = client(&pki, |t| t.ssl.max_version = TlsVersion::Tls12);
    let err = handshake(&SServer::start(&pki, &tls13), "localhost", &capped).await.unwrap_err().to_string();
    assert!(err.contains("ProtocolVersion"), "{err}");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_in_full_mode_and_accepted_in_certificate_mode() {
    let pki = Pki::new();
    let err = handshake(&SServer::start(&pki, &[]), "127.0.0.1", &client(&pki, |_| {})).await.unwrap_err().to_string();
    assert!(err.contains("certificate not valid for name \"127.0.0.1\""), "{err}");
    let chain_only = client(&pki, |t| t.ssl.verification_mode = VerificationMode::Certificate);
    handshake(&SServer::start(&pki, &[]), "127.0.0.1", &chain_only).await.unwrap();
    // The SNI/name override makes full mode check "localhost" while dialing 127.0.0.1.
    let named = client(&pki, |t| t.ssl.server_name = "localhost".into());
    handshake(&SServer::start(&pki, &[]), "127.0.0.1", &named).await.unwrap();
}

#[tokio::test]
async fn certificate_mode_still_refuses_an_untrusted_chain() {
    let (pki, stranger) = (Pki::new(), Pki::new());
    let chain_only = client(&stranger, |t| t.ssl.verification_mode = VerificationMode::Certificate);
    let err = handshake(&SServer::start(&pki, &[]), "localhost", &chain_only).await.unwrap_err().to_string();
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
}

#[tokio::test]
async fn mutual_tls_works_with_the_client_certificate_and_fails_without() {
    let pki = Pki::new();
    let ca = pki.p("ca.pem");
    let mtls = ["-tls1_2", "-Verify", "1", "-CAfile", ca.as_str()];
    let with_cert = client(&pki, |t| {
        t.ssl.certificate = pki.p("client.pem");
        t.ssl.key = pki.p("client-key.pem");
    });
    handshake(&SServer::start(&pki, &mtls), "localhost", &with_cert).await.unwrap();
    let err = handshake(&SServer::start(&pki, &mtls), "localhost", &client(&pki, |_| {})).await.unwrap_err();
    assert!(matches!(err, ConnectError::Handshake { .. }), "{err}");
}

#[test]
fn unreadable_key_files_name_the_key_not_the_content() {
    let pki = Pki::new();
    let mut t = TraceabilityConfig::default();
    t.ssl.certificate = pki.p("client.pem");
    t.ssl.key = pki.p("client.pem"); // a certificate is not a key
    let err = tls::client_config(&t).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "traceability.ssl.key: cannot use {}: not a readable unencrypted PEM private key",
            pki.p("client.pem")
        )),
        "{err}"
    );
    let key_pem = std::fs::read_to_string(pki.path("client-key.pem")).unwrap();
    let body_line = key_pem.lines().nth(1).unwrap();
    t.ssl.key = pki.p("client-key.pem");
    t.ssl.certificate = pki.p("missing.pem");
    let err = tls::client_config(&t).unwrap_err().to_string();
    assert!(err.starts_with("traceability.ssl.certificate: cannot use "), "{err}");
    assert!(!err.contains(body_line));
}

/// DescribeLogGroups through the agent's AWS client with the `central.ssl` policy `ssl`.
async fn describe_log_groups(port: u16, ssl: &apigw_agent::config::HttpSslConfig) -> Result<usize, String> {
    support::isolate_aws_env();
    let (tls, _) = tls::http_client_config(ssl).unwrap().expect("a non-default policy");
    let mut aws = apigw_agent::config::AwsConfig {
        region: "us-east-1".into(),
        endpoint_url: format!("https://localhost:{port}"),
        client_timeout: apigw_agent::config::Dur::secs(10),
        ..Default::default()
    };
    aws.auth.access_key = apigw_agent::config::Secret::new("testing");
    aws.auth.secret_key = apigw_agent::config::Secret::new("testing");
    let sdk = apigw_agent::aws::sdk_config(&aws, Some(tls)).await.unwrap();
    match aws_sdk_cloudwatchlogs::Client::new(&sdk).describe_log_groups().send().await {
        Ok(out) => Ok(out.log_groups().len()),
        Err(e) => Err(aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e).to_string()),
    }
}

/// A small HTTPS server (rustls, the Pki's server certificate) answering every request as
/// CloudWatch Logs answers DescribeLogGroups with one group.
async fn https_logs_endpoint(pki: &Pki) -> u16 {
    let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config_with(&[&rustls::version::TLS13]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(|_req| async {
                    let body = r#"{"logGroups":[{"logGroupName":"/aws/apigateway/tls","creationTime":1}]}"#;
                    hyper::Response::builder()
                        .header("content-type", "application/x-amz-json-1.1")
                        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}

#[tokio::test]
async fn the_aws_client_applies_the_central_ssl_policy() {
    let pki = Pki::new();
    let tls13_only = apigw_agent::config::HttpSslConfig {
        min_version: TlsVersion::Tls13,
        insecure_skip_verify: true,
        ..Default::default()
    };
    // openssl limited to TLS1.2: the handshake itself is refused.
    let server = SServer::serving(&pki, &["-tls1_2", "-www"], false);
    let refused = describe_log_groups(server.port, &tls13_only).await.unwrap_err();
    assert!(refused.contains("dispatch failure") && refused.contains("ProtocolVersion"), "{refused}");
    // A TLS1.3 endpoint: the call goes through and its answer is parsed.
    let port = https_logs_endpoint(&pki).await;
    assert_eq!(describe_log_groups(port, &tls13_only).await, Ok(1));
    // The same endpoint with TLS1.2 as the maximum: refused.
    let tls12_max = apigw_agent::config::HttpSslConfig {
        max_version: TlsVersion::Tls12,
        insecure_skip_verify: true,
        ..Default::default()
    };
    let err = describe_log_groups(port, &tls12_max).await.unwrap_err();
    assert!(err.contains("dispatch failure") && err.contains("ProtocolVersion"), "{err}");
}
