//! The command line as users run it: version, check-config (valid, invalid, masked), demo, and
//! `run` as a process against moto and a receiver, stopped with SIGTERM.

use crate::support;

use apigw_agent::lumberjack::{Receiver, Reply};
use std::process::{Command, Stdio};
use std::sync::Arc;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_apigw-agent");
const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml");
const ACCESS_KEY: &str = "AKIAEXAMPLESECRETID7";
const SECRET_KEY: &str = "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";

fn agent(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_prints_the_crate_version() {
    assert_eq!(agent(&["version"], &[]), (0, format!("apigw-agent {}\n", env!("CARGO_PKG_VERSION")), String::new()));
}

#[test]
fn check_config_accepts_the_shipped_file_and_masks_secrets() {
    let (code, out, err) = agent(
        &["check-config", "--config", SHIPPED],
        &[("AWS_AUTH_ACCESSKEY", ACCESS_KEY), ("AWS_AUTH_SECRETKEY", SECRET_KEY)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("access_key: '********'") && out.contains("secret_key: '********'"), "{out}");
    assert!(!out.contains(ACCESS_KEY) && !out.contains(SECRET_KEY) && !err.contains(SECRET_KEY));
    assert!(out.contains("bulk_max_size: 2048"), "{out}");
}

#[test]
fn check_config_reads_secrets_from_files_and_never_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let (id, key) = (dir.path().join("aws_access_key"), dir.path().join("aws_secret_key"));
    std::fs::write(&id, format!("{ACCESS_KEY}\n")).unwrap();
    std::fs::write(&key, format!("{SECRET_KEY}\n")).unwrap();
    let (code, out, err) = agent(
        &["check-config", "--config", SHIPPED],
        &[
            ("AWS_AUTH_ACCESSKEY_FILE", &id.display().to_string()),
            ("AWS_AUTH_SECRETKEY_FILE", &key.display().to_string()),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("access_key: '********'") && out.contains("secret_key: '********'"), "{out}");
    for secret in [ACCESS_KEY, SECRET_KEY] {
        assert!(!out.contains(secret) && !err.contains(secret), "a secret was printed");
    }
}

#[test]
fn check_config_shows_proxies_without_their_passwords_and_names_a_bad_one() {
    const PASSWORD: &str = "pr0xy-pw-4242";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proxy_url");
    std::fs::write(&file, format!("http://agent:{PASSWORD}@proxy.corp:3128\n")).unwrap();
    let (code, out, err) = agent(
        &["check-config", "--config", SHIPPED],
        &[
            ("TRACEABILITY_PROXYURL", &format!("socks5://agent:{PASSWORD}@socks.corp")),
            ("CENTRAL_PROXYURL_FILE", &file.display().to_string()),
            ("AWS_PROXYURL", "https://proxy.corp"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("proxy_url: socks5://agent:********@socks.corp:1080"), "{out}");
    assert!(out.contains("proxy_url: http://agent:********@proxy.corp:3128"), "{out}");
    assert!(out.contains("proxy_url: https://proxy.corp:443"), "{out}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD), "a proxy password was printed");

    let (code, _, err) = agent(
        &["check-config", "--config", SHIPPED],
        &[("TRACEABILITY_PROXYURL", &format!("ftp://agent:{PASSWORD}@proxy.corp"))],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("traceability.proxy_url (set by TRACEABILITY_PROXYURL): scheme 'ftp' is not supported: use http, https or socks5"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
}

#[test]
fn check_config_exits_2_naming_the_key_and_value() {
    let (code, out, err) = agent(&["check-config", "--config", SHIPPED], &[("TRACEABILITY_COMPRESSIONLEVEL", "12")]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "apigw-agent: invalid configuration:\n  - traceability.compression_level (set by TRACEABILITY_COMPRESSIONLEVEL): 12 is out of range; expected 0 (none) to 9\n"
    );
    let (code, _, err) = agent(&["check-config", "--config", "/nonexistent.yaml"], &[]);
    assert_eq!(code, 2);
    assert!(err.starts_with("apigw-agent: cannot read configuration file /nonexistent.yaml: "), "{err}");
}

#[test]
fn demo_delivers_every_record_and_says_so() {
    let (code, out, err) = agent(&["demo", "--records", "3000"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().last(), Some("demo: generated=3000 delivered=3000 duplicates=0 lost=0"));
}

#[test]
fn demo_with_chaos_kills_and_restarts_the_pipeline_and_still_loses_nothing() {
    let (code, out, err) = agent(&["demo", "--records", "4000", "--chaos", "--seed", "3"], &[]);
    assert_eq!(code, 0, "{err}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("demo: generated=4000 delivered=4000 duplicates="), "{out}");
    assert!(last.ends_with(" lost=0"), "{out}");
    assert!(err.contains("pipeline killed with SIGKILL 2 times and restarted from"), "{err}");
}

/// Scrapes /metrics until it contains `needle` (at most 30 s); returns the last scrape.
fn scrape_until(port: u16, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, metrics) = http_get(port, "/metrics");
        if metrics.contains(needle) || std::time::Instant::now() > deadline {
            assert!(metrics.contains(needle), "{needle} not in:\n{metrics}");
            return metrics;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_ships_records_serves_status_and_stops_cleanly_on_sigterm_without_logging_secrets() {
    let moto = Moto::start();
    let logs = moto.logs().await;
    let group = "/aws/apigateway/cli";
    let base = now_ms() - 300_000;
    let lines = access_lines("cli", "api9", 200, base, 1);
    put_lines(&logs, group, "s", &lines).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let status_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let state = dir.path().join("state.json");
    let port = status_port.to_string();
    let host = receiver.host();
    let state_str = state.display().to_string();
    let env = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_AUTH_ACCESSKEY", ACCESS_KEY),
        ("AWS_AUTH_SECRETKEY", SECRET_KEY),
        ("AWS_LOGGROUP", group),
        ("AWS_POLL_LATENCY", "0s"),
        ("AWS_POLL_INTERVAL", "200ms"),
        ("TRACEABILITY_HOST", host.as_str()),
        ("TRACEABILITY_ENABLE_SSL", "false"),
        ("STATE_PATH", state_str.as_str()),
        ("STATUS_HOST", "127.0.0.1"),
        ("STATUS_PORT", port.as_str()),
        ("LOG_LEVEL", "trace"),
    ];
    let child = Command::new(BIN)
        .args(["run", "--config", SHIPPED])
        .envs(env)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(receiver.wait_for_events(400, WAIT).await, 400);

    let (head, status) = http_get(status_port, "/status");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(status.contains("\"status\":\"healthy\""), "{status}");
    // The receiver keeps events before it ACKs them: the agent's count follows a moment later,
    // and another process can only be watched through its endpoint.
    let metrics = scrape_until(status_port, "apigw_agent_events_acked_total 400");
    assert!(metrics.contains(&format!("apigw_agent_records_read_total{{log_group=\"{group}\"}} 200")), "{metrics}");

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let exit = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let logs = String::from_utf8_lossy(&exit.stderr);
    assert_eq!(exit.status.code(), Some(0), "{logs}");
    assert!(logs.contains("stopped end=ShutdownClean"), "{logs}");
    assert!(!logs.contains(SECRET_KEY) && !logs.contains(ACCESS_KEY), "a secret is in the logs:\n{logs}");
    assert!(state.exists());
}

#[test]
fn check_config_shows_the_effective_tls_policy_and_refuses_bad_names() {
    let env = [
        ("TRACEABILITY_SSL_CIPHERSUITES", "TLS_RSA_WITH_AES_128_CBC_SHA,ECDHE-RSA-AES-128-GCM-SHA256"),
        ("TRACEABILITY_SSL_MINVERSION", "TLS1.1"),
    ];
    let (code, out, err) = agent(&["check-config", "--config", SHIPPED], &env);
    assert_eq!(code, 0, "{err}");
    let tls: Vec<&str> =
        out.lines().filter(|l| l.starts_with("# traceability TLS") || l.starts_with("# warning")).collect();
    assert_eq!(
        tls,
        [
            "# traceability TLS: versions TLS1.2, TLS1.3; cipher suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256",
            "# warning: traceability.ssl.min_version TLS1.1 raised to TLS1.2: TLS1.0 and TLS1.1 are insecure and not supported",
            "# warning: cipher suite TLS_RSA_WITH_AES_128_CBC_SHA dropped: CBC mode is not offered by rustls (padding-oracle attacks; removed from TLS 1.3)",
        ]
    );
    for (var, value, expected) in [
        ("TRACEABILITY_SSL_CIPHERSUITES", "TLS_NOPE", "traceability.ssl.cipher_suites (set by TRACEABILITY_SSL_CIPHERSUITES): invalid tls cipher suite 'TLS_NOPE'; valid names: "),
        ("TRACEABILITY_SSL_MAXVERSION", "TLS1.4", "traceability.ssl.max_version (set by TRACEABILITY_SSL_MAXVERSION): unknown variant `TLS1.4`, expected one of `TLS1.0`, `TLS1.1`, `TLS1.2`, `TLS1.3`"),
        ("TRACEABILITY_SSL_MAXVERSION", "TLS1.1", "traceability.ssl.max_version (set by TRACEABILITY_SSL_MAXVERSION): TLS1.1 cannot be negotiated"),
        ("TRACEABILITY_SSL_CERTIFICATEAUTHORITIES", "/nonexistent/ca.pem", "traceability.ssl.certificate_authorities (set by TRACEABILITY_SSL_CERTIFICATEAUTHORITIES): cannot read CA file /nonexistent/ca.pem: "),
        ("TRACEABILITY_HOST", "logstash.internal", "traceability.host (set by TRACEABILITY_HOST): 'logstash.internal' has no port; expected host:port, e.g. ingestion.datasearch.axway.com:5044"),
        ("TRACEABILITY_BULKMAXSIZE", "20000", "traceability.bulk_max_size (set by TRACEABILITY_BULKMAXSIZE): 20000 is out of range; expected 1 to 10000"),
        ("TRACEABILITY_COMPRESSIONLEVEL", "-1", "traceability.compression_level (set by TRACEABILITY_COMPRESSIONLEVEL): invalid value: integer `-1`, expected u32"),
        ("CENTRAL_SSL_MINVERSION", "SSL3", "central.ssl.min_version (set by CENTRAL_SSL_MINVERSION): unknown variant `SSL3`, expected one of `TLS1.0`, `TLS1.1`, `TLS1.2`, `TLS1.3`"),
        ("TRACEABILITY_PIPELINING", "100", "traceability.pipelining (set by TRACEABILITY_PIPELINING): 100 is out of range; expected 0 to 64"),
    ] {
        let (code, _, err) = agent(&["check-config", "--config", SHIPPED], &[(var, value)]);
        assert_eq!(code, 2, "{var}={value}: {err}");
        assert!(err.contains(expected), "{var}={value}:\n{err}");
    }
}
