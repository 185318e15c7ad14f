//! Execution-log headers against moto: an access-log group and the stage's execution-log group,
//! joined by request id, redacted, and calls whose lines never come sent without them in time.

use crate::support;

use apigw_agent::config::{parse_rules, Dur, Rules};
use apigw_agent::lumberjack::{Receiver, Reply};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use support::*;

const GROUP: &str = "/aws/apigateway/exec-test";

#[test]
fn headers_and_query_strings_from_execution_logs_reach_the_legs_redacted() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (receiver, config) = rt.block_on(async {
        let logs = moto.logs().await;
        let api_id = create_rest_api(&moto.apigateway().await, "petstore").await;
        // Another stage's group, which no call of ours belongs to.
        put_lines(&logs, "API-Gateway-Execution-Logs_other/prod", "s", &[(now_ms() - 1000, "(x) Method completed with status: 200".into())]).await;
        let base = now_ms() - 60_000;
        let access = access_lines("req", &api_id, 5, base, 1);
        put_lines(&logs, GROUP, "s", &access).await;
        let mut exec = Vec::new();
        for i in 0..3i64 {
            let ts = base + 10 * i;
            let id = format!("req-{i}");
            exec.push((ts, format!("({id}) Extended Request Id: ext-{id}")));
            exec.push((ts, format!("({id}) Method request query string: {{q=shoes, token=abc{i}}}")));
            exec.push((ts + 1, format!("({id}) Method request headers: {{Accept=application/json, Authorization=Bearer secret-{i}, Cookie=session=1}}")));
            exec.push((ts + 2, format!("({id}) Endpoint response headers: {{Content-Type=application/json, Date=Fri, 04 Dec 2026 14:44:25 GMT}}")));
            exec.push((ts + 3, format!("({id}) Method completed with status: 200")));
        }
        put_lines(&logs, &format!("API-Gateway-Execution-Logs_{api_id}/prod"), "s", &exec).await;

        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
        config.aws.execution_logs.enabled = true;
        // The execution-log group is read independently of the access-log group: give it time.
        config.aws.execution_logs.max_wait = Dur::secs(2);
        let r = &mut config.traceability.redaction;
        r.query_argument.show = Rules(parse_rules(r#"[{keyMatch:"^q$"}]"#).unwrap());
        r.request_header.show = Rules(parse_rules(r#"[{keyMatch:"^(accept|authorization)$"}]"#).unwrap());
        r.request_header.sanitize = Rules(parse_rules(r#"[{keyMatch:"^authorization$",valueMatch:"secret-.*"}]"#).unwrap());
        r.response_header.show = Rules(parse_rules(r#"[{keyMatch:".*"}]"#).unwrap());
        (receiver, config)
    });
    let agent = RunningAgent::start(config);
    rt.block_on(async { assert_eq!(receiver.wait_for_events(10, Duration::from_secs(60)).await, 10) });
    let telemetry = agent.telemetry.clone();
    rt.block_on(agent.shutdown());

    let mut legs = BTreeMap::new();
    for e in receiver.events() {
        let (tx, kind, msg) = decode(&e.payload);
        if kind == "api.transaction.event" {
            legs.insert(tx, msg["data"]["protocol"].clone());
        }
    }
    assert_eq!(legs.len(), 5);
    for i in 0..3 {
        let p = &legs[&format!("req-{i}")];
        assert_eq!(p["args"], "q=shoes", "req-{i}");
        assert_eq!(p["requestHeaders"], r#"{"Accept":"application/json","Authorization":"Bearer {*}"}"#);
        assert_eq!(
            p["responseHeaders"],
            r#"{"Content-Type":"application/json","Date":"Fri, 04 Dec 2026 14:44:25 GMT"}"#
        );
    }
    for i in 3..5 {
        let p = &legs[&format!("req-{i}")];
        assert!(p.get("requestHeaders").is_none() && p.get("args").is_none(), "req-{i}: {p}");
    }
    let m = &telemetry.metrics;
    assert_eq!((m.execution_join_total("joined"), m.execution_join_total("without_lines")), (3, 2));
    assert_eq!(m.records_read_total("API-Gateway-Execution-Logs_other/prod"), 1);
    assert!(!receiver.events().iter().any(|e| String::from_utf8_lossy(&e.payload).contains("secret-")));
}
