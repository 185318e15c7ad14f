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
