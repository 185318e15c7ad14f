use super::exposition::{to_classic_text, wants_openmetrics};
use super::Metrics;

#[test]
fn prometheus_asks_for_openmetrics_and_curl_gets_the_classic_format() {
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert!(wants_openmetrics(Some(prometheus)));
    assert!(!wants_openmetrics(Some("*/*")));
    assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
    assert!(!wants_openmetrics(None));
}

#[test]
fn the_classic_format_names_counters_by_their_total_samples() {
    let metrics = Metrics::new();
    metrics.records_read("/g", 3);
    let classic = to_classic_text(&metrics.encode());
    assert!(
        classic.contains("# HELP apigw_agent_records_read_total Access-log records read from CloudWatch Logs.\n"),
        "{classic}"
    );
    assert!(classic.contains("# TYPE apigw_agent_records_read_total counter\n"), "{classic}");
    assert!(classic.contains("apigw_agent_records_read_total{log_group=\"/g\"} 3\n"), "{classic}");
    assert!(classic.contains("# TYPE apigw_agent_window_size gauge\n"), "{classic}");
    assert!(!classic.contains("# EOF"), "{classic}");
    // Every sample line's family has a TYPE line of the same name.
    for line in classic.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(classic.contains(&format!("# TYPE {name} ")), "{name} has no TYPE line");
    }
}
