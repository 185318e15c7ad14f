//! TLS on the Lumberjack connection: configured CA, host name checks, verification modes, and a
//! pipeline run over TLS. Certificates are generated here, at test time.

use crate::support;
use support::pki::Pki;
use support::run_synthetic;

use apigw_agent::config::{List, TraceabilityConfig, VerificationMode};
use apigw_agent::demo::{demo_config, tally};
use apigw_agent::lumberjack::{encode_window, ConnectError, Connection, Receiver, Reply};
use apigw_agent::pipeline::RunEnd;
use apigw_agent::tls;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// A client trusting `cas` (files), checking certificates as `mode` says.
fn client(mode: VerificationMode, cas: &[&str]) -> tls::ClientTls {
    let mut t = TraceabilityConfig::default();
    t.ssl.verification_mode = mode;
    t.ssl.certificate_authorities = List::of(cas);
    tls::client_config(&t).unwrap().unwrap()
}

const T: Duration = Duration::from_secs(5);

async fn tls_receiver(pki: &Pki) -> apigw_agent::lumberjack::ReceiverHandle {
    Receiver::start("127.0.0.1:0", Some(pki.server_config()), Arc::new(|_| Reply::AckAll)).await.unwrap()
}

#[tokio::test]
async fn a_window_goes_through_when_the_ca_and_the_name_match() {
    let pki = Pki::new();
    let rx = tls_receiver(&pki).await;
    let host = format!("localhost:{}", rx.addr().port());
    let mut conn =
        Connection::connect(&host, Some(&client(VerificationMode::Full, &[&pki.p("ca.pem")])), T).await.unwrap();
    let events = vec![Bytes::from_static(b"{\"a\":1}"), Bytes::from_static(b"{\"a\":2}")];
    conn.send_window(&encode_window(&events, 3), 2, T).await.unwrap();
    assert_eq!(rx.events().iter().map(|e| e.payload.clone()).collect::<Vec<_>>(), events);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_in_full_mode() {
    let pki = Pki::new();
    let rx = tls_receiver(&pki).await;
    let host = format!("127.0.0.1:{}", rx.addr().port());
    let err =
        Connection::connect(&host, Some(&client(VerificationMode::Full, &[&pki.p("ca.pem")])), T).await.unwrap_err();
    assert!(matches!(err, ConnectError::Handshake { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("TLS handshake with {host} failed: "))
            && text.contains("certificate not valid for name \"127.0.0.1\""),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_ca_is_refused_and_none_mode_accepts_it() {
    let pki = Pki::new();
    let rx = tls_receiver(&pki).await;
    let host = format!("localhost:{}", rx.addr().port());
    let other = Pki::new();
    let err =
        Connection::connect(&host, Some(&client(VerificationMode::Full, &[&other.p("ca.pem")])), T).await.unwrap_err();
    assert!(err.to_string().contains("invalid peer certificate"), "{err}");
    let mut conn = Connection::connect(&host, Some(&client(VerificationMode::None, &[])), T).await.unwrap();
    conn.send_window(&encode_window(&[Bytes::from_static(b"{}")], 0), 1, T).await.unwrap();
    assert_eq!(rx.events().len(), 1);
}

#[test]
fn an_unreadable_ca_file_names_the_key_and_the_file() {
    let mut t = TraceabilityConfig::default();
    t.ssl.certificate_authorities = List::of(&["/nonexistent/ca.pem"]);
    let err = tls::client_config(&t).unwrap_err().to_string();
    assert!(
        err.starts_with("traceability.ssl.certificate_authorities: cannot read CA file /nonexistent/ca.pem: "),
        "{err}"
    );
}

#[test]
fn the_pipeline_delivers_over_tls() {
    let pki = Pki::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rx = rt.block_on(tls_receiver(&pki));
    let mut config = demo_config(
        &format!("localhost:{}", rx.addr().port()),
        &pki.dir.path().join("state.json").display().to_string(),
    );
    config.traceability.enable_ssl = true;
    config.traceability.ssl.certificate_authorities = List::of(&[&pki.p("ca.pem")]);
    let end = run_synthetic(&config, 500, 100, 3);
    assert_eq!(end, RunEnd::Drained);
    let report = tally(500, &rx.events());
    assert_eq!((report.delivered, report.lost, report.duplicates), (500, 0, 0));
}
