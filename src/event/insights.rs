//! The Axway Insights v4 format (current agent SDK): an envelope with `org`, `distribution`,
//! `session`, and summary or leg `data`.

use super::{
    beats_event, event_id, pairs_json, proxy_id, query_string, rfc3339, summary_status, EntryPoint, EventContext,
    Proxy, AMPLIFY_FLOW,
};
use crate::access_log::ApiCall;
use crate::catalog::ApiRef;
use bytes::Bytes;
use serde::Serialize;
use uuid::Uuid;

/// Appends the Beats events (summary first, then the leg) for one API call to `out`.
pub fn build_insights_v4(call: &ApiCall, api: &ApiRef<'_>, ctx: &EventContext, out: &mut Vec<Bytes>) {
    let proxy_id = proxy_id(call);
    let api_name = api.name.or(call.api_id.as_deref()).unwrap_or("unknown");
    let host = call.domain_name.as_deref().unwrap_or("");
    let duration = call.response_latency_ms.unwrap_or(0);
    let reporter = Reporter {
        version: "1.0",
        r#type: "traceability",
        agent_sdk_version: &ctx.agent_version,
        agent_name: &ctx.agent_name,
    };
    let summary = SummaryData {
        apic_deployment: &ctx.deployment,
        status: summary_status(call.status),
        status_detail: call.status.to_string(),
        duration,
        api: SummaryApi {
            id: &proxy_id,
            api_service_id: "",
            name: api_name,
            stage: call.stage.as_deref().unwrap_or(""),
        },
        proxy: Proxy { id: &proxy_id, name: api_name, revision: api.revision.max(1) },
        entry_point: EntryPoint { r#type: "http", method: &call.http_method, path: &call.path, host },
        reporter: &reporter,
        consumer_details: ConsumerDetails { application: Application { id: "" } },
    };
    let source_ip = call.source_ip.as_deref().unwrap_or("");
    let leg = LegData {
        apic_deployment: &ctx.deployment,
        id: "leg0",
        parent_id: None,
        source: source_ip,
        destination: if host.is_empty() { "API Gateway" } else { host },
        status: if call.status < 400 { "Pass" } else { "Fail" },
        duration,
        direction: "inbound",
        protocol: Protocol {
            r#type: "http",
            uri: &call.path,
            method: &call.http_method,
            status: call.status,
            user_agent: call.user_agent.as_deref().unwrap_or(""),
            host,
            version: "1.1",
            bytes_sent: call.response_length.unwrap_or(0),
            remote_addr: source_ip,
            args: query_string(&call.query),
            request_headers: (!call.request_headers.is_empty()).then(|| pairs_json(&call.request_headers)),
            response_headers: (!call.response_headers.is_empty()).then(|| pairs_json(&call.response_headers)),
        },
        reporter: &reporter,
    };
    let timestamp = rfc3339(call.timestamp_ms);
    push(out, &envelope(call, ctx, "api.transaction.summary", summary), &timestamp, ctx);
    push(out, &envelope(call, ctx, "api.transaction.event", leg), &timestamp, ctx);
}

fn envelope<'a, D: Serialize>(
    call: &'a ApiCall,
    ctx: &'a EventContext,
    kind: &'static str,
    data: D,
) -> Envelope<'a, D> {
    Envelope {
        id: event_id(call, kind),
        org: &ctx.organization_id,
        event: kind,
        version: "4",
        timestamp: call.timestamp_ms,
        distribution: Distribution { environment: &ctx.environment_id },
        session: Session { id: &call.request_id },
        data,
    }
}

/// Serializes the event and wraps it for Lumberjack.
fn push<D: Serialize>(out: &mut Vec<Bytes>, event: &Envelope<'_, D>, timestamp: &str, ctx: &EventContext) {
    let message = serde_json::to_string(event).expect("event structs serialize");
    out.push(beats_event(timestamp, &message, ctx, Some(AMPLIFY_FLOW)));
}

// The wire shapes, in the field order Amplify's SDK writes them.

#[derive(Serialize)]
struct Envelope<'a, D> {
    id: Uuid,
    org: &'a str,
    event: &'static str,
    version: &'static str,
    timestamp: i64,
    distribution: Distribution<'a>,
    session: Session<'a>,
    data: D,
}

#[derive(Serialize)]
struct Distribution<'a> {
    environment: &'a str,
}

#[derive(Serialize)]
struct Session<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reporter<'a> {
    version: &'static str,
    r#type: &'static str,
    #[serde(rename = "agentSDKVersion")]
    agent_sdk_version: &'a str,
    agent_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryData<'a> {
    apic_deployment: &'a str,
    status: &'static str,
    status_detail: String,
    duration: u64,
    api: SummaryApi<'a>,
    proxy: Proxy<'a>,
    entry_point: EntryPoint<'a>,
    reporter: &'a Reporter<'a>,
    consumer_details: ConsumerDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryApi<'a> {
    id: &'a str,
    api_service_id: &'a str,
    name: &'a str,
    stage: &'a str,
}

#[derive(Serialize)]
struct ConsumerDetails {
    application: Application,
}

#[derive(Serialize)]
struct Application {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegData<'a> {
    apic_deployment: &'a str,
    id: &'static str,
    parent_id: Option<&'a str>,
    source: &'a str,
    destination: &'a str,
    status: &'static str,
    duration: u64,
    direction: &'static str,
    protocol: Protocol<'a>,
    reporter: &'a Reporter<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Protocol<'a> {
    r#type: &'static str,
    uri: &'a str,
    method: &'a str,
    status: u16,
    user_agent: &'a str,
    host: &'a str,
    version: &'static str,
    bytes_sent: u64,
    remote_addr: &'a str,
    /// Query arguments (execution logs), when any survived redaction.
    #[serde(skip_serializing_if = "String::is_empty")]
    args: String,
    /// Header maps encoded into strings as in the legacy format, when any survived redaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_headers: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_headers: Option<String>,
}
