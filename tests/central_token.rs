//! The AxwayID token flow against a real OAuth endpoint (authlib verifying the RS256 assertion):
//! caching and refresh at 0.8 x expires_in, one request at a time, every PEM key form, wrong keys,
//! clock skew, and the token in every event the agent sends.

use crate::support;

use apigw_agent::central::{Clock, SystemClock, TokenError, TokenSource};
use apigw_agent::config::CentralConfig;
use apigw_agent::lumberjack::{Receiver, Reply};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::axwayid::{openssl_keys, TokenServer};
use support::*;

pub(crate) const CLIENT: &str = "DOSA_0123456789abcdef";

/// Monotonic time moved by the test; the wall clock is the real one plus `skew` seconds.
struct TestClock {
    base: Instant,
    advanced: Mutex<Duration>,
    skew: i64,
}

impl TestClock {
    fn new(skew: i64) -> Arc<TestClock> {
        Arc::new(TestClock { base: Instant::now(), advanced: Mutex::new(Duration::ZERO), skew })
    }
    fn advance(&self, by: Duration) {
        *self.advanced.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn unix_now(&self) -> i64 {
        SystemClock.unix_now() + self.skew
    }
    fn now(&self) -> Instant {
        self.base + *self.advanced.lock().unwrap()
    }
}

pub(crate) fn central(server: &TokenServer, dir: &Path, private_key: &str, password: &str) -> CentralConfig {
    let mut c = CentralConfig::default();
    c.auth.url = server.url();
    c.auth.client_id = CLIENT.into();
    c.auth.private_key = dir.join(private_key).display().to_string();
    c.auth.public_key = dir.join("public.pem").display().to_string();
    c.auth.key_password = if password.is_empty() { String::new() } else { dir.join(password).display().to_string() };
    c
}

#[tokio::test]
async fn one_request_serves_every_caller_until_80_percent_of_expires_in() {
    let dir = tempfile::tempdir().unwrap();
    openssl_keys(dir.path());
    let server = TokenServer::start(&dir.path().join("public.pem"), CLIENT, 100);
    let clock = TestClock::new(0);
    let source = Arc::new(
        TokenSource::from_config(&central(&server, dir.path(), "private.pem", "")).unwrap().with_clock(clock.clone()),
    );

    let callers: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn({
                let s = source.clone();
                async move { s.token().await.unwrap() }
            })
        })
        .collect();
    for caller in callers {
        let token = caller.await.unwrap();
        assert_eq!((token.expose(), token.generation), ("token-1", 1));
    }
    assert_eq!(server.stats(), (1, 1), "concurrent callers must share one request");

    clock.advance(Duration::from_secs(79));
    assert_eq!(source.token().await.unwrap().expose(), "token-1");
    assert_eq!(server.stats(), (1, 1));
    clock.advance(Duration::from_secs(1));
    let refreshed = source.token().await.unwrap();
    assert_eq!((refreshed.expose(), refreshed.generation), ("token-2", 2));
    assert_eq!(server.stats(), (2, 2));
    assert_eq!(source.refresh_due().await, clock.now() + Duration::from_secs(80));
}

#[tokio::test]
async fn pkcs8_encrypted_pkcs8_and_pkcs1_keys_all_sign_accepted_assertions() {
    let dir = tempfile::tempdir().unwrap();
    openssl_keys(dir.path());
    let server = TokenServer::start(&dir.path().join("public.pem"), CLIENT, 1800);
    for (key, password) in [("private.pem", ""), ("encrypted.pem", "password.txt"), ("rsa.pem", "")] {
        let source = TokenSource::from_config(&central(&server, dir.path(), key, password)).unwrap();
        assert!(source.token().await.unwrap().expose().starts_with("token-"), "{key}");
    }
    assert_eq!(server.stats(), (3, 3));

    std::fs::write(dir.path().join("wrong.txt"), "not it").unwrap();
    let e = TokenSource::from_config(&central(&server, dir.path(), "encrypted.pem", "wrong.txt")).unwrap_err();
    let encrypted = dir.path().join("encrypted.pem");
    assert_eq!(
        e.to_string(),
        format!(
            "cannot decrypt {} with the password in {} (wrong password or unsupported cipher)",
            encrypted.display(),
            dir.path().join("wrong.txt").display()
        )
    );
    let e = TokenSource::from_config(&central(&server, dir.path(), "encrypted.pem", "")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{} is encrypted: set central.auth.key_password to a file holding its password", encrypted.display())
    );
}

#[tokio::test]
async fn a_key_that_is_not_the_registered_one_is_refused_with_a_clear_error() {
    let (registered, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    openssl_keys(registered.path());
    openssl_keys(other.path());
    let server = TokenServer::start(&registered.path().join("public.pem"), CLIENT, 1800);
    let source = TokenSource::from_config(&central(&server, other.path(), "private.pem", "")).unwrap();
    let e = source.token().await.unwrap_err();
    assert!(e.is_refusal());
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "AxwayID refused a token for client '{CLIENT}' (HTTP 401: invalid_client: unknown kid "
        )),
        "{text}"
    );
    assert!(
        text.ends_with("check central.auth.client_id and that central.auth.public_key is the key registered for it"),
        "{text}"
    );
    // The right key under another client id: the server names the claim it rejects.
    let mut wrong_client = central(&server, registered.path(), "private.pem", "");
    wrong_client.auth.client_id = "DOSA_other".into();
    let e = TokenSource::from_config(&wrong_client).unwrap().token().await.unwrap_err();
    assert!(matches!(&e, TokenError::Refused { status: 401, description, .. } if description.contains("iss")), "{e}");
    assert_eq!(server.stats(), (2, 0));
}

#[tokio::test]
async fn a_skewed_clock_is_corrected_from_the_servers_date_either_way() {
    let dir = tempfile::tempdir().unwrap();
    openssl_keys(dir.path());
    let server = TokenServer::start(&dir.path().join("public.pem"), CLIENT, 100);
    let mut expected = (0, 0);
    // Ahead: iat in the future. Behind: exp already past.
    for skew in [600, -600] {
        let clock = TestClock::new(skew);
        let source = TokenSource::from_config(&central(&server, dir.path(), "private.pem", ""))
            .unwrap()
            .with_clock(clock.clone());
        assert!(source.token().await.unwrap().expose().starts_with("token-"));
        expected = (expected.0 + 2, expected.1 + 1);
        assert_eq!(server.stats(), expected, "skew {skew}: one refusal, then a corrected request");
        // The correction is kept: the refresh takes one request.
        clock.advance(Duration::from_secs(80));
        source.token().await.unwrap();
        expected = (expected.0 + 1, expected.1 + 1);
        assert_eq!(server.stats(), expected, "skew {skew}");
    }
}

#[test]
fn every_event_the_agent_sends_carries_the_token() {
    let dir = tempfile::tempdir().unwrap();
    openssl_keys(dir.path());
    let server = TokenServer::start(&dir.path().join("public.pem"), CLIENT, 1800);
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (receiver, config) = rt.block_on(async {
        let logs = moto.logs().await;
        let api_id = create_rest_api(&moto.apigateway().await, "petstore").await;
        let base = now_ms() - 60_000;
        let lines = access_lines("req", &api_id, 30, base, 1);
        put_lines(&logs, "/aws/apigateway/central", "s", &lines).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config =
            test_config(&moto.url, "/aws/apigateway/central", &receiver.host(), &dir.path().join("state.json"));
        config.central.auth = central(&server, dir.path(), "encrypted.pem", "password.txt").auth;
        (receiver, config)
    });
    let agent = RunningAgent::start(config);
    rt.block_on(async {
        assert_eq!(receiver.wait_for_events(60, Duration::from_secs(60)).await, 60);
    });
    let telemetry = agent.telemetry.clone();
    rt.block_on(agent.shutdown());
    for e in receiver.events() {
        let beat: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
        assert_eq!(beat["fields"], serde_json::json!({"axway-target-flow": "api-central-v8", "token": "token-1"}));
    }
    assert_eq!(server.stats(), (1, 1));
    assert_eq!(telemetry.board.state_of("central-auth"), Some(apigw_agent::telemetry::ActorState::Running));
}

#[test]
fn the_agent_stops_at_start_when_axwayid_refuses_its_key() {
    let (registered, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    openssl_keys(registered.path());
    openssl_keys(other.path());
    let server = TokenServer::start(&registered.path().join("public.pem"), CLIENT, 1800);
    isolate_aws_env();
    // Nothing listens there: the agent must stop before any AWS call.
    let mut config =
        test_config("http://127.0.0.1:9", "/aws/apigateway/x", "127.0.0.1:9", &other.path().join("s.json"));
    config.central.auth = central(&server, other.path(), "private.pem", "").auth;
    let result = actix::System::new().block_on(apigw_agent::agent::run(
        config,
        apigw_agent::pipeline::Telemetry::default(),
        std::future::pending(),
    ));
    let text = format!("{:#}", result.expect_err("a refused key must stop the agent"));
    assert!(
        text.contains(&format!("Amplify Central authentication: AxwayID refused a token for client '{CLIENT}' (HTTP 401: invalid_client: unknown kid")),
        "{text}"
    );
    assert_eq!(server.stats(), (1, 0), "a refusal is not retried");
}
