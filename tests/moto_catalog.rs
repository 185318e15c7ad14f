//! API discovery against moto: REST APIs (v1) and HTTP APIs (v2) with their tags, and `aws.filter`
//! selecting which stages' calls are sent.

use crate::support;

use apigw_agent::catalog::{fetch_catalog, ApiKind, CatalogClients, Selection, TagFilter};
use apigw_agent::lumberjack::{Receiver, Reply};
use apigw_agent::telemetry::Metrics;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const GROUP: &str = "/aws/apigateway/catalog";

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The access line of `access_line`, for another stage.
fn line_for(request_id: &str, api_id: &str, stage: &str, ts: i64) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&access_line(request_id, api_id, 200, ts)).unwrap();
    v["stage"] = stage.into();
    v.to_string()
}

#[tokio::test]
async fn rest_and_http_apis_are_discovered_with_api_and_stage_tags() {
    let moto = Moto::start();
    let (rest, http) = (moto.apigateway().await, moto.apigatewayv2().await);
    let orders =
        create_tagged_rest_api(&rest, "orders", &[("Env", "prod")], &[("prod", &[]), ("test", &[("Env", "test")])])
            .await;
    let pets = create_http_api(&http, "pets-http", &[("Team", "pets")], &[("$default", &[("Env", "prod")])]).await;
    let clients = CatalogClients { rest, http, limit: apigw_agent::aws::RateLimiter::unlimited("API Gateway") };
    let metrics = Metrics::new();
    let filter = TagFilter::parse("tag.Env == prod").unwrap();
    let catalog = fetch_catalog(&clients, Some(&filter), &metrics).await.unwrap();

    assert_eq!(catalog.len(), 2);
    let o = catalog.get(&orders).unwrap();
    assert_eq!((o.name.as_str(), o.kind, &o.tags), ("orders", ApiKind::Rest, &tags(&[("Env", "prod")])));
    assert_eq!(o.stages.keys().collect::<BTreeSet<_>>(), BTreeSet::from([&"prod".to_string(), &"test".to_string()]));
    assert_eq!(o.stages["test"].tags, tags(&[("Env", "test")]));
    let p = catalog.get(&pets).unwrap();
    assert_eq!((p.name.as_str(), p.kind, &p.tags), ("pets-http", ApiKind::Http, &tags(&[("Team", "pets")])));
    assert_eq!(p.stages["$default"].tags, tags(&[("Env", "prod")]));

    assert_eq!(catalog.selection(Some(&orders), Some("prod")), Selection::Traced);
    assert_eq!(catalog.selection(Some(&orders), Some("test")), Selection::Excluded);
    assert_eq!(catalog.selection(Some(&pets), Some("$default")), Selection::Traced);
    for api in ["GetRestApis", "GetStages", "GetApis", "GetStagesV2"] {
        assert!(metrics.aws_requests_total(api, "ok") >= 1, "{api}");
    }
}

#[test]
fn aws_filter_sends_only_the_selected_stages_and_counts_the_rest() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (receiver, config, names) = rt.block_on(async {
        let (rest, http) = (moto.apigateway().await, moto.apigatewayv2().await);
        let orders =
            create_tagged_rest_api(&rest, "orders", &[("Env", "prod")], &[("prod", &[]), ("test", &[("Env", "test")])])
                .await;
        let pets = create_http_api(&http, "pets-http", &[], &[("$default", &[("Env", "prod")])]).await;
        let internal = create_http_api(&http, "internal", &[], &[("$default", &[])]).await;
        let base = now_ms() - 60_000;
        let targets = [(&orders, "prod"), (&orders, "test"), (&pets, "$default"), (&internal, "$default")];
        let mut lines = Vec::new();
        for (t, (api, stage)) in targets.iter().enumerate() {
            for i in 0..5 {
                let ts = base + (t * 5 + i) as i64;
                lines.push((ts, line_for(&format!("{stage}-{api}-{i}"), api, stage, ts)));
            }
        }
        for i in 0..3 {
            lines.push((base + 100 + i, line_for(&format!("unknown-{i}"), "nosuchapi", "prod", base + 100 + i)));
        }
        put_lines(&moto.logs().await, GROUP, "s", &lines).await;
        let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
        let mut config = test_config(&moto.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
        config.aws.filter = "tag.Env == prod".into();
        let names = BTreeMap::from([(orders, "orders"), (pets, "pets-http")]);
        (receiver, config, names)
    });
    let agent = RunningAgent::start(config);
    rt.block_on(async { assert_eq!(receiver.wait_for_events(20, Duration::from_secs(60)).await, 20) });
    let telemetry = agent.telemetry.clone();
    rt.block_on(agent.shutdown());

    let mut sent = BTreeSet::new();
    for e in receiver.events() {
        let (tx, kind, msg) = decode(&e.payload);
        if kind == "api.transaction.summary" {
            let api_id = msg["data"]["proxy"]["id"].as_str().unwrap().strip_prefix("remoteApiId_").unwrap().to_string();
            assert_eq!(msg["data"]["proxy"]["name"], names[&api_id]);
            sent.insert(tx);
        }
    }
    let expected: BTreeSet<String> = names
        .iter()
        .flat_map(|(id, name)| {
            let stage = if *name == "orders" { "prod" } else { "$default" };
            (0..5).map(move |i| format!("{stage}-{id}-{i}"))
        })
        .collect();
    assert_eq!(sent, expected);
    let m = &telemetry.metrics;
    assert_eq!(m.records_read_total(GROUP), 23);
    assert_eq!((m.filtered_total("aws_filter"), m.filtered_total("aws_filter_unknown_stage")), (10, 3));
    assert_eq!(m.events_acked_total(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_lists_apis_and_stages_and_what_the_filter_selects() {
    let moto = Moto::start();
    let (rest, http) = (moto.apigateway().await, moto.apigatewayv2().await);
    let orders =
        create_tagged_rest_api(&rest, "orders", &[("Env", "prod")], &[("prod", &[]), ("test", &[("Env", "test")])])
            .await;
    let pets = create_http_api(&http, "pets-http", &[], &[("$default", &[("Env", "prod")])]).await;
    let run = |json: bool| {
        let args: &[&str] = if json { &["--json"] } else { &[] };
        let out = agent_at_moto(&moto.url, "discover", args).env("AWS_FILTER", "tag.Env == prod").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run(false);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "# 2 APIs, 3 stages; aws.filter: tag.Env == prod");
    assert!(lines[1].starts_with("KIND  API ID"), "{table}");
    let row = |api: &str, stage: &str| {
        lines
            .iter()
            .find(|l| l.contains(api) && l.split_whitespace().nth(3) == Some(stage))
            .unwrap_or_else(|| panic!("{table}"))
            .to_string()
    };
    assert!(
        row(&orders, "prod").split_whitespace().eq(["REST", orders.as_str(), "orders", "prod", "yes", "Env=prod"]),
        "{table}"
    );
    assert!(
        row(&orders, "test").split_whitespace().eq(["REST", orders.as_str(), "orders", "test", "no", "Env=test"]),
        "{table}"
    );
    assert!(row(&pets, "$default").contains(" yes "), "{table}");

    let json: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    let stages = json.as_array().unwrap();
    assert_eq!(stages.len(), 3);
    let test_stage = stages.iter().find(|s| s["api_id"] == orders.as_str() && s["stage"] == "test").unwrap();
    assert_eq!((test_stage["kind"].as_str(), test_stage["traced"].as_bool()), (Some("REST"), Some(false)));
    assert_eq!(test_stage["tags"], serde_json::json!({"Env": "test"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_logging_points_the_selected_stages_at_the_log_group_in_the_agents_format() {
    const LOG_GROUP: &str = "/aws/apigateway/setup";
    let moto = Moto::start();
    let rest = moto.apigateway().await;
    let orders =
        create_tagged_rest_api(&rest, "orders", &[("Env", "prod")], &[("prod", &[]), ("test", &[("Env", "test")])])
            .await;
    moto.logs().await.create_log_group().log_group_name(LOG_GROUP).send().await.unwrap();
    let run = |dry_run: bool| {
        let args: &[&str] = if dry_run { &["--dry-run"] } else { &[] };
        let out = agent_at_moto(&moto.url, "setup-logging", args)
            .envs([("AWS_LOGGROUP", LOG_GROUP), ("AWS_FILTER", "tag.Env == prod")])
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let access_logs = |stage: &'static str| {
        let rest = rest.clone();
        let id = orders.clone();
        async move {
            let s = rest.get_stage().rest_api_id(id).stage_name(stage).send().await.unwrap();
            s.access_log_settings().map(|a| (a.destination_arn().map(str::to_string), a.format().map(str::to_string)))
        }
    };

    let (ok, out, err) = run(true);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("would update: REST orders ({orders}) stage prod -> arn:aws:logs:us-east-1:")),
        "{out}"
    );
    assert!(out.ends_with("1 stage(s), nothing changed (--dry-run)\n"), "{out}");
    assert_eq!(access_logs("prod").await.and_then(|a| a.0), None, "a dry run changed the stage");

    let (ok, out, err) = run(false);
    assert!(ok, "{out}{err}");
    assert!(out.contains("updated: REST orders"), "{out}");
    let (arn, format) = access_logs("prod").await.expect("access logging set");
    let arn = arn.unwrap();
    assert!(arn.starts_with("arn:aws:logs:us-east-1:") && arn.ends_with(&format!(":log-group:{LOG_GROUP}")), "{arn}");
    assert_eq!(format.as_deref(), Some(apigw_agent::setup_logging::REST_FORMAT.trim()));
    assert_eq!(access_logs("test").await.and_then(|a| a.0), None, "a stage the filter does not select was changed");
}
