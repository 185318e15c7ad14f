//! Shared test harness: a real moto server on 127.0.0.1, AWS clients pointed at it with static
//! credentials, access-log lines in the shipped format, and a pipeline running in its own actix System.
#![allow(dead_code)]

use apigw_agent::config::{Config, Dur, List, Secret};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A moto server process, killed on drop.
pub struct Moto {
    _child: KillOnDrop,
    pub url: String,
}

/// Never let the SDK look for credentials beyond what the test gives it (never the instance metadata endpoint).
pub fn isolate_aws_env() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("TEST_LOG"))
        .with_test_writer()
        .try_init();
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::remove_var("AWS_PROFILE");
    // A proxy in the developer's environment would take the AWS calls off loopback.
    for name in
        ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]
    {
        std::env::remove_var(name);
    }
}

/// A child process, killed and reaped on drop: every server the tests start.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Moto {
    /// Starts `moto_server` (from $MOTO_SERVER or .venv/bin) on a free loopback port and returns
    /// once it says it is listening.
    pub fn start() -> Moto {
        isolate_aws_env();
        let bin = std::env::var("MOTO_SERVER")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/moto_server").to_string());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({bin}): {e}. Run scripts/test.sh, which installs it.")
            });
        // Werkzeug announces "Running on http://127.0.0.1:PORT" on stderr once it listens.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap() == 0 {
                panic!("moto_server exited before listening");
            }
            if line.contains("Running on") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Moto { _child: KillOnDrop(child), url: format!("http://127.0.0.1:{port}") }
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await
    }

    pub async fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk_config().await)
    }

    pub async fn apigateway(&self) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.sdk_config().await)
    }

    pub async fn apigatewayv2(&self) -> aws_sdk_apigatewayv2::Client {
        aws_sdk_apigatewayv2::Client::new(&self.sdk_config().await)
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// One access-log line in the shipped JSON format.
/// `n` access-log lines `{prefix}-{i}` for `api_id`, status 200, `spacing_ms` apart from `base`,
/// as (timestamp, message) for [`put_lines`].
pub fn access_lines(prefix: &str, api_id: &str, n: usize, base: i64, spacing_ms: i64) -> Vec<(i64, String)> {
    (0..n as i64)
        .map(|i| {
            let ts = base + i * spacing_ms;
            (ts, access_line(&format!("{prefix}-{i}"), api_id, 200, ts))
        })
        .collect()
}

pub fn access_line(request_id: &str, api_id: &str, status: u16, ts_ms: i64) -> String {
    serde_json::json!({
        "requestId": request_id,
        "extendedRequestId": format!("ext-{request_id}"),
        "requestTime": "-",
        "requestTimeEpoch": ts_ms.to_string(),
        "httpMethod": "GET",
        "resourcePath": "/pets/{id}",
        "path": "/prod/pets/7",
        "protocol": "HTTP/1.1",
        "status": status.to_string(),
        "responseLength": "128",
        "responseLatency": "42",
        "integrationLatency": "40",
        "integrationStatus": "200",
        "ip": "198.51.100.7",
        "userAgent": "curl/8.5.0",
        "caller": "-",
        "apiId": api_id,
        "stage": "prod",
        "domainName": format!("{api_id}.execute-api.us-east-1.amazonaws.com"),
        "accountId": "123456789012",
        "errorMessage": "-",
        "errorResponseType": "-",
        "xrayTraceId": "-",
    })
    .to_string()
}

/// Creates `group` with one stream and writes `lines` with timestamps `ts[i]` (sorted, in batches).
pub async fn put_lines(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str, lines: &[(i64, String)]) {
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let _ = logs.create_log_stream().log_group_name(group).log_stream_name(stream).send().await;
    for chunk in lines.chunks(1000) {
        let events = chunk
            .iter()
            .map(|(ts, msg)| {
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder().timestamp(*ts).message(msg).build().unwrap()
            })
            .collect::<Vec<_>>();
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
}

/// Creates a REST API with a deployed stage `prod`; returns its id.
pub async fn create_rest_api(apigw: &aws_sdk_apigateway::Client, name: &str) -> String {
    create_tagged_rest_api(apigw, name, &[], &[("prod", &[])]).await
}

/// Tags as the SDK builders take them.
fn tag_map(tags: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A REST API with one GET method, deployed to `stages`, API and stages tagged as given.
pub async fn create_tagged_rest_api(
    apigw: &aws_sdk_apigateway::Client,
    name: &str,
    tags: &[(&str, &str)],
    stages: &[(&str, &[(&str, &str)])],
) -> String {
    let api = apigw.create_rest_api().name(name).set_tags(Some(tag_map(tags))).send().await.unwrap();
    let id = api.id().unwrap().to_string();
    let resources = apigw.get_resources().rest_api_id(&id).send().await.unwrap();
    let root = resources.items()[0].id().unwrap().to_string();
    apigw
        .put_method()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    apigw
        .put_integration()
        .rest_api_id(&id)
        .resource_id(&root)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    let deployment = apigw.create_deployment().rest_api_id(&id).send().await.unwrap();
    for (stage, tags) in stages {
        apigw
            .create_stage()
            .rest_api_id(&id)
            .stage_name(*stage)
            .deployment_id(deployment.id().unwrap())
            .set_tags(Some(tag_map(tags)))
            .send()
            .await
            .unwrap();
    }
    id
}

/// An HTTP API (API Gateway v2) with `stages`, API and stages tagged as given.
pub async fn create_http_api(
    v2: &aws_sdk_apigatewayv2::Client,
    name: &str,
    tags: &[(&str, &str)],
    stages: &[(&str, &[(&str, &str)])],
) -> String {
    let api = v2
        .create_api()
        .name(name)
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .set_tags(Some(tag_map(tags)))
        .send()
        .await
        .unwrap();
    let id = api.api_id().unwrap().to_string();
    for (stage, tags) in stages {
        v2.create_stage().api_id(&id).stage_name(*stage).set_tags(Some(tag_map(tags))).send().await.unwrap();
    }
    id
}

/// A configuration for moto and a plain-TCP receiver, with fast timers.
pub fn test_config(moto_url: &str, group: &str, receiver: &str, state_path: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.aws.region = "us-east-1".into();
    c.aws.endpoint_url = moto_url.into();
    c.aws.auth.access_key = Secret::new("testing");
    c.aws.auth.secret_key = Secret::new("testing");
    c.aws.log_group = List::of(&[group]);
    c.aws.poll.interval = Dur::millis(100);
    c.aws.poll.latency = Dur::secs(0);
    c.aws.client_timeout = Dur::secs(10);
    // moto has no quota, and these tests are not about rate limits (see moto_throttling.rs).
    c.aws.rate_limits = apigw_agent::config::RateLimitsConfig {
        filter_log_events: 0.0,
        describe_log_groups: 0.0,
        api_gateway: 0.0,
        concurrent_reads: 0,
    };
    c.traceability.host = List::of(&[receiver]);
    c.traceability.enable_ssl = false;
    c.traceability.flush_interval = Dur::millis(100);
    c.traceability.backoff.init = Dur::millis(50);
    c.traceability.backoff.max = Dur::millis(200);
    c.central.organization_id = "org-test".into();
    c.central.environment_id = "env-test".into();
    c.state.path = state_path.display().to_string();
    c.state.flush_interval = Dur::millis(50);
    c.status.host = "127.0.0.1".into();
    c.status.port = 0;
    c
}

/// Decodes a received Beats event into (session id, event kind, the whole event message).
pub fn decode(payload: &[u8]) -> (String, String, serde_json::Value) {
    let beat: serde_json::Value = serde_json::from_slice(payload).expect("beats event is JSON");
    let msg: serde_json::Value =
        serde_json::from_str(beat["message"].as_str().expect("message string")).expect("message is JSON");
    (msg["session"]["id"].as_str().unwrap().to_string(), msg["event"].as_str().unwrap().to_string(), msg)
}

pub const WAIT: Duration = Duration::from_secs(60);

/// `apigw-agent run`'s job on its own thread and actix System, stopped through `stop`.
pub struct RunningAgent {
    pub telemetry: apigw_agent::pipeline::Telemetry,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<apigw_agent::pipeline::RunEnd>>>,
}

impl RunningAgent {
    pub fn start(config: Config) -> RunningAgent {
        let telemetry = apigw_agent::pipeline::Telemetry::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let t = telemetry.clone();
        let thread = std::thread::spawn(move || {
            actix::System::new().block_on(apigw_agent::agent::run(config, t, async move {
                let _ = stopped.await;
            }))
        });
        RunningAgent { telemetry, stop: Some(stop), thread: Some(thread) }
    }

    /// Asks for a graceful shutdown and waits for the run to end.
    pub async fn shutdown(mut self) -> apigw_agent::pipeline::RunEnd {
        let _ = self.stop.take().unwrap().send(());
        let thread = self.thread.take().unwrap();
        tokio::task::spawn_blocking(move || thread.join().expect("agent thread panicked"))
            .await
            .unwrap()
            .expect("agent run failed")
    }
}

/// Runs the whole pipeline to its end on `records` synthetic records, in an actix System on this thread.
pub fn run_synthetic(config: &Config, records: u64, per_page: usize, seed: u64) -> apigw_agent::pipeline::RunEnd {
    use apigw_agent::pipeline::{self, CatalogSetup, Telemetry};
    use apigw_agent::source::SyntheticSource;
    actix::System::new()
        .block_on(pipeline::run(
            config,
            |_| vec![SyntheticSource::new("/demo", records, per_page, 1_764_806_400_000, seed)],
            CatalogSetup::Static(apigw_agent::catalog::ApiCatalog::default()),
            &Telemetry::default(),
            std::future::pending(),
        ))
        .expect("pipeline starts")
}

/// A minimal HTTP/1.1 GET on loopback; returns (status line and headers, body).
pub fn http_get(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}
pub mod axwayid;
pub mod forward_proxies;
pub mod pki;
pub mod proxy;

/// Waits until `condition` holds, checking every 20 ms, for at most `limit`; returns whether it
/// held. For conditions that have no signal of their own (a metric, a file on disk).
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// The saved position of `group` in the state file at `path`, if any.
pub fn saved_position(path: &std::path::Path, group: &str) -> Option<i64> {
    apigw_agent::checkpoint::CheckpointStore::new(path).load().ok()?.get(group).map(|p| p.next_start_ms)
}

/// `apigw-agent SUBCOMMAND --config config/agent.yaml ARGS`, pointed at moto with static keys.
pub fn agent_at_moto(moto_url: &str, subcommand: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_apigw-agent"));
    cmd.args([subcommand, "--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml")]).args(args).envs([
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", moto_url),
        ("AWS_AUTH_ACCESSKEY", "testing"),
        ("AWS_AUTH_SECRETKEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    cmd
}
