//! `/metrics` as Prometheus itself sees it: Debian's `promtool check metrics` lints a scrape of a
//! running agent, and a real `prometheus` server scrapes it and answers queries with the counts
//! the receiver saw.

use crate::support;

use apigw_agent::lumberjack::{Receiver, Reply};
use apigw_agent::pipeline::RunEnd;
use std::process::{Command, Stdio};
use std::sync::Arc;
use support::*;

const GROUP: &str = "/aws/apigateway/prometheus";
const RECORDS: usize = 120;

/// A Prometheus server scraping `target` every second, killed on drop.
struct PrometheusServer {
    _child: KillOnDrop,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrometheusServer {
    fn start(target: u16) -> PrometheusServer {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: apigw-agent\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus is installed by scripts/test.sh");
        PrometheusServer { _child: KillOnDrop(child), port, _dir: dir }
    }

    /// The single value of an instant query; `None` while Prometheus is starting or has none.
    fn value(&self, query: &str) -> Option<f64> {
        use std::io::{Read, Write};
        let query: String = query
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(s, "GET /api/v1/query?query={query} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let v: serde_json::Value = serde_json::from_str(text.split_once("\r\n\r\n")?.1).ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_metrics_and_prometheus_scrapes_the_counts() {
    let moto = Moto::start();
    let base = now_ms() - 60_000;
    let lines = access_lines("prom", "api1", RECORDS, base, 1);
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    config.status.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let status_port = config.status.port;
    let agent = RunningAgent::start(config);
    assert_eq!(receiver.wait_for_events(2 * RECORDS, WAIT).await, 2 * RECORDS);
    let m = agent.telemetry.metrics.clone();
    assert!(wait_until(WAIT, || m.events_acked_total() == 2 * RECORDS as u64).await);

    let (head, metrics) = http_get(status_port, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed by scripts/test.sh");
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), metrics.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool: {said}\n{metrics}");

    let prometheus = PrometheusServer::start(status_port);
    let scraped = |query: &'static str, want: f64| {
        let p = &prometheus;
        move || p.value(query) == Some(want)
    };
    assert!(wait_until(WAIT, scraped("up{job=\"apigw-agent\"}", 1.0)).await, "the agent was never scraped up");
    let want = (2 * RECORDS) as f64;
    assert!(
        wait_until(WAIT, scraped("apigw_agent_events_acked_total", want)).await,
        "events acked: {:?}",
        prometheus.value("apigw_agent_events_acked_total")
    );
    let read = format!("apigw_agent_records_read_total{{log_group=\"{GROUP}\"}}");
    assert_eq!(prometheus.value(&read), Some(RECORDS as f64), "{read}");
    assert_eq!(agent.shutdown().await, RunEnd::ShutdownClean);
}
