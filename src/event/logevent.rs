//! The legacy LogEvent v1 format (agent SDK < 1.1.146, still what many Logstash pipelines
//! expect): `transactionSummary` / `transactionEvent`, header maps as JSON *strings*.

use super::{
    beats_event, pairs_json, proxy_id, query_string, rfc3339, summary_status, EntryPoint, EventContext, Proxy,
    AMPLIFY_FLOW,
};
use crate::access_log::ApiCall;
use crate::catalog::ApiRef;
use bytes::Bytes;
use serde::Serialize;

/// Appends the summary, then the leg, of one API call.
pub fn build_logevent_v1(call: &ApiCall, api: &ApiRef<'_>, ctx: &EventContext, out: &mut Vec<Bytes>) {
    let proxy_id = proxy_id(call);
    let api_name = api.name.or(call.api_id.as_deref()).unwrap_or("unknown");
    let host = call.domain_name.as_deref().unwrap_or("");
    let duration = call.response_latency_ms.unwrap_or(0);
    let base = |kind: &'static str| Envelope {
        version: "1.0",
        timestamp: call.timestamp_ms,
        transaction_id: &call.request_id,
        environment: &ctx.environment,
        apic_deployment: &ctx.deployment,
        environment_name: &ctx.environment,
        environment_id: &ctx.environment_id,
        tenant_id: &ctx.organization_id,
        trcblt_partition_id: &ctx.organization_id,
        r#type: kind,
        transaction_summary: None,
        transaction_event: None,
    };
    let summary = Envelope {
        transaction_summary: Some(Summary {
            status: summary_status(call.status),
            status_detail: call.status.to_string(),
            duration,
            team: Team { id: "" },
            proxy: Proxy { id: &proxy_id, name: api_name, revision: api.revision.max(1) },
            entry_point: EntryPoint { r#type: "http", method: &call.http_method, path: &call.path, host },
        }),
        ..base("transactionSummary")
    };
    let source = call.source_ip.as_deref().unwrap_or("");
    let leg = Envelope {
        transaction_event: Some(Event {
            id: "leg0",
            parent_id: None,
            source,
            destination: if host.is_empty() { "API Gateway" } else { host },
            duration,
            direction: "Inbound",
            status: if call.status < 400 { "Pass" } else { "Fail" },
            protocol: Protocol {
                r#type: "http",
                uri: &call.path,
                args: query_string(&call.query),
                method: &call.http_method,
                status: call.status,
                status_text: "",
                user_agent: call.user_agent.as_deref().unwrap_or(""),
                host,
                version: "1.1",
                bytes_received: 0,
                bytes_sent: call.response_length.unwrap_or(0),
                remote_name: "",
                remote_addr: source,
                remote_port: 0,
                local_addr: "",
                local_port: 0,
                request_headers: pairs_json(&call.request_headers),
                response_headers: pairs_json(&call.response_headers),
            },
        }),
        ..base("transactionEvent")
    };
    let timestamp = rfc3339(call.timestamp_ms);
    for event in [summary, leg] {
        let message = serde_json::to_string(&event).expect("event structs serialize");
        out.push(beats_event(&timestamp, &message, ctx, Some(AMPLIFY_FLOW)));
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    version: &'static str,
    timestamp: i64,
    transaction_id: &'a str,
    environment: &'a str,
    apic_deployment: &'a str,
    environment_name: &'a str,
    environment_id: &'a str,
    tenant_id: &'a str,
    trcblt_partition_id: &'a str,
    r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_summary: Option<Summary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_event: Option<Event<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    status: &'static str,
    status_detail: String,
    duration: u64,
    team: Team,
    proxy: Proxy<'a>,
    entry_point: EntryPoint<'a>,
}

#[derive(Serialize)]
struct Team {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    id: &'static str,
    parent_id: Option<&'a str>,
    source: &'a str,
    destination: &'a str,
    duration: u64,
    direction: &'static str,
    status: &'static str,
    protocol: Protocol<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Protocol<'a> {
    r#type: &'static str,
    uri: &'a str,
    args: String,
    method: &'a str,
    status: u16,
    status_text: &'static str,
    user_agent: &'a str,
    host: &'a str,
    version: &'static str,
    bytes_received: u64,
    bytes_sent: u64,
    remote_name: &'static str,
    remote_addr: &'a str,
    remote_port: u16,
    local_addr: &'static str,
    local_port: u16,
    /// A JSON object encoded into a string, as the legacy format wants.
    request_headers: String,
    response_headers: String,
}
