//! Credentials against moto: an assumed role (STS AssumeRole with an external id, signed with the
//! configured keys) whose temporary credentials then sign the CloudWatch Logs calls.

use crate::support;

use apigw_agent::lumberjack::{Receiver, Reply};
use std::sync::Arc;
use std::time::Duration;
use support::proxy::AwsProxy;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assumed_role_signs_the_log_calls() {
    const GROUP: &str = "/aws/apigateway/assumed";
    let moto = Moto::start();
    let base = now_ms() - 60_000;
    let lines = access_lines("ar", "api1", 50, base, 1);
    put_lines(&moto.logs().await, GROUP, "s", &lines).await;
    let proxy = AwsProxy::start(moto.url.clone(), |_| None).await;
    let receiver = Receiver::start("127.0.0.1:0", None, Arc::new(|_| Reply::AckAll)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&proxy.url, GROUP, &receiver.host(), &dir.path().join("state.json"));
    config.aws.auth.assume_role = "arn:aws:iam::123456789012:role/apigw-reader".into();
    config.aws.auth.external_id = "ext-42".into();
    let agent = RunningAgent::start(config);
    assert_eq!(receiver.wait_for_events(100, Duration::from_secs(60)).await, 100);
    agent.shutdown().await;

    let seen = proxy.seen();
    let assume = seen.iter().find(|s| s.operation == "AssumeRole").expect("no AssumeRole call");
    assert_eq!(assume.access_key_id, "testing", "AssumeRole is signed with the configured keys");
    assert!(assume.form.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapigw-reader"), "{}", assume.form);
    assert!(
        assume.form.contains("ExternalId=ext-42") && assume.form.contains("RoleSessionName=apigw-agent"),
        "{}",
        assume.form
    );
    let logs: Vec<_> = seen.iter().filter(|s| s.operation.ends_with(".FilterLogEvents")).collect();
    assert!(!logs.is_empty());
    for call in logs {
        assert!(
            call.access_key_id != "testing" && !call.access_key_id.is_empty(),
            "signed with {}",
            call.access_key_id
        );
    }
}
