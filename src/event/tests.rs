//! Tests of the insights-v4 events and their Beats wrapping.

use super::*;
use crate::access_log::ApiCall;
use serde_json::Value;

fn ctx() -> EventContext {
    EventContext {
        organization_id: "org-1".into(),
        environment_id: "env-1".into(),
        environment: "prod-env".into(),
        deployment: "prod".into(),
        agent_name: "apigw-agent".into(),
        agent_version: "0.1.0".into(),
        format: crate::config::EventFormat::InsightsV4,
    }
}

fn call(status: u16, api_id: Option<&str>) -> ApiCall {
    ApiCall {
        request_id: "req-1".into(),
        extended_request_id: Some("ext-1".into()),
        timestamp_ms: 1_796_395_465_123,
        http_method: "GET".into(),
        path: "/prod/pets/1".into(),
        status,
        response_latency_ms: Some(87),
        response_length: Some(512),
        source_ip: Some("198.51.100.7".into()),
        api_id: api_id.map(str::to_string),
        stage: Some("prod".into()),
        domain_name: Some("api.example.com".into()),
        ..ApiCall::default()
    }
}

/// Builds the events and returns (beats event, decoded message) pairs.
fn built(call: &ApiCall, api: &ApiRef<'_>) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    build_insights_v4(call, api, &ctx(), &mut out);
    out.iter()
        .map(|b| {
            let beat: Value = serde_json::from_slice(b).unwrap();
            let msg: Value = serde_json::from_str(beat["message"].as_str().expect("message is a string")).unwrap();
            (beat, msg)
        })
        .collect()
}

#[test]
fn one_call_gives_a_summary_then_a_leg_in_one_session() {
    let events = built(&call(200, Some("abc123")), &ApiRef { name: Some("petstore"), revision: 1 });
    assert_eq!(events.len(), 2);
    let (beat, summary) = &events[0];
    assert_eq!(beat["@timestamp"], "2026-12-04T14:44:25.123Z");
    assert_eq!(beat["fields"]["axway-target-flow"], "api-central-v8");
    assert_eq!(beat["@metadata"]["type"], "_doc");
    assert_eq!(summary["event"], "api.transaction.summary");
    assert_eq!(summary["version"], "4");
    assert_eq!(summary["org"], "org-1");
    assert_eq!(summary["distribution"]["environment"], "env-1");
    assert_eq!(summary["session"]["id"], "req-1");
    assert_eq!(summary["timestamp"], 1_796_395_465_123i64);
    let d = &summary["data"];
    assert_eq!(
        (d["status"].as_str(), d["statusDetail"].as_str(), d["duration"].as_u64()),
        (Some("Success"), Some("200"), Some(87))
    );
    assert_eq!(d["proxy"]["id"], "remoteApiId_abc123");
    assert_eq!(d["proxy"]["name"], "petstore");
    assert!(d["proxy"]["revision"].as_u64().unwrap() >= 1);
    assert_eq!(d["entryPoint"]["path"], "/prod/pets/1");

    let (_, leg) = &events[1];
    assert_eq!(leg["event"], "api.transaction.event");
    assert_eq!(leg["session"]["id"], "req-1");
    assert_eq!(leg["data"]["id"], "leg0");
    assert_eq!(leg["data"]["direction"], "inbound");
    assert_eq!(leg["data"]["protocol"]["status"], 200);
    assert_eq!(leg["data"]["protocol"]["method"], "GET");
    assert_ne!(summary["id"], leg["id"]);
}

#[test]
fn status_maps_to_success_failure_exception() {
    for (http, expected) in [
        (100, "Success"),
        (302, "Success"),
        (399, "Success"),
        (400, "Failure"),
        (499, "Failure"),
        (500, "Exception"),
        (504, "Exception"),
    ] {
        let events = built(&call(http, Some("a")), &ApiRef::default());
        assert_eq!(events[0].1["data"]["status"], expected, "HTTP {http}");
    }
}

#[test]
fn unknown_api_gets_the_unknown_proxy_id() {
    let events = built(&call(200, None), &ApiRef::default());
    assert_eq!(events[0].1["data"]["proxy"]["id"], "remoteApiId_unknown");
}

#[test]
fn event_ids_are_stable_across_rebuilds_so_duplicates_can_be_dropped() {
    let a = built(&call(200, Some("a")), &ApiRef::default());
    let b = built(&call(200, Some("a")), &ApiRef::default());
    assert_eq!(a[0].1["id"], b[0].1["id"]);
    let mut other = call(200, Some("a"));
    other.request_id = "req-2".into();
    assert_ne!(built(&other, &ApiRef::default())[0].1["id"], a[0].1["id"]);
}

/// Every format's bytes for one fixed API call, pinned in `tests/golden/<format>.jsonl` (one Beats
/// event per line). Run with UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
#[test]
fn golden_files_pin_every_format_byte_for_byte() {
    use crate::config::EventFormat;
    let mut full = call(404, Some("a1b2c3d4e5"));
    full.resource_path = Some("/pets/{id}".into());
    full.protocol = Some("HTTP/1.1".into());
    full.user_agent = Some("curl/8.5.0".into());
    full.integration_latency_ms = Some(80);
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    full.query = vec![pair("id", "{*}"), pair("q", "a b&c=d")];
    full.request_headers = vec![pair("Accept", "application/json"), pair("X-Quote", "say \"hi\"")];
    full.response_headers = vec![pair("Content-Type", "application/json")];
    for (format, file) in
        [(EventFormat::InsightsV4, "insights-v4"), (EventFormat::LogEventV1, "logevent-v1"), (EventFormat::Raw, "raw")]
    {
        let mut out = Vec::new();
        build(&full, &ApiRef { name: Some("petstore"), revision: 1 }, &ctx().with_format(format), &mut out);
        let mut text = String::new();
        for e in &out {
            text.push_str(std::str::from_utf8(e).unwrap());
            text.push('\n');
        }
        let path = format!("{}/tests/golden/{file}.jsonl", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}; run with UPDATE_GOLDEN=1"));
        assert_eq!(text, golden, "{file} changed; if deliberate, run with UPDATE_GOLDEN=1 and review the diff");
    }
}

#[test]
fn logevent_v1_has_its_required_fields_and_header_strings() {
    let mut out = Vec::new();
    build(&call(503, None), &ApiRef::default(), &ctx().with_format(crate::config::EventFormat::LogEventV1), &mut out);
    let events: Vec<Value> = out
        .iter()
        .map(|b| {
            serde_json::from_str(serde_json::from_slice::<Value>(b).unwrap()["message"].as_str().unwrap()).unwrap()
        })
        .collect();
    let (summary, leg) = (&events[0], &events[1]);
    for e in &events {
        assert_eq!(
            (e["version"].as_str(), e["transactionId"].as_str(), e["tenantId"].as_str()),
            (Some("1.0"), Some("req-1"), Some("org-1"))
        );
        assert_eq!(e["trcbltPartitionId"], e["tenantId"]);
        assert_eq!(e["environmentId"], "env-1");
    }
    assert_eq!(summary["type"], "transactionSummary");
    assert_eq!(summary["transactionSummary"]["status"], "Exception");
    assert_eq!(summary["transactionSummary"]["statusDetail"], "503");
    assert_eq!(summary["transactionSummary"]["proxy"]["id"], "remoteApiId_unknown");
    assert!(summary["transactionSummary"]["proxy"]["revision"].as_u64().unwrap() >= 1);
    assert_eq!(leg["type"], "transactionEvent");
    let p = &leg["transactionEvent"]["protocol"];
    assert_eq!(
        (p["status"].as_u64(), p["requestHeaders"].as_str(), p["responseHeaders"].as_str()),
        (Some(503), Some("{}"), Some("{}"))
    );
    assert_eq!(leg["transactionEvent"]["direction"], "Inbound");
    assert_eq!(leg["transactionEvent"]["status"], "Fail");
}

#[test]
fn raw_is_the_parsed_record_without_an_amplify_flow() {
    let mut out = Vec::new();
    build(&call(200, Some("api9")), &ApiRef::default(), &ctx().with_format(crate::config::EventFormat::Raw), &mut out);
    assert_eq!(out.len(), 1, "one event per API call");
    let beat: Value = serde_json::from_slice(&out[0]).unwrap();
    assert!(beat["fields"].as_object().unwrap().is_empty());
    let record: Value = serde_json::from_str(beat["message"].as_str().unwrap()).unwrap();
    assert_eq!(record["status"], 200);
    assert_eq!(record["responseLatency"], 87);
    assert_eq!(record["apiId"], "api9");
    assert!(record.get("caller").is_none(), "absent values are left out");
}
