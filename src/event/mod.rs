//! Turns an [`ApiCall`] into Amplify traceability events (one transaction summary and one leg),
//! each wrapped in the Beats event that travels over Lumberjack.

#[cfg(test)]
mod tests;

use crate::access_log::ApiCall;
use crate::catalog::ApiRef;
use bytes::Bytes;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Namespace of the v5 UUIDs given to events: the same API call always yields the same event ids,
/// so a receiver can drop the duplicates that at-least-once delivery allows.
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5f1c_8d2e_7a43_4b9e_9c1d_0e6f_a2b3_c4d5);

/// Identifiers stamped on every event, from `central.*` and the agent itself.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub organization_id: String,
    pub environment_id: String,
    pub environment: String,
    pub deployment: String,
    pub agent_name: String,
    pub agent_version: String,
}

impl EventContext {
    pub fn from_config(c: &crate::config::CentralConfig) -> EventContext {
        EventContext {
            organization_id: c.organization_id.clone(),
            environment_id: c.environment_id.clone(),
            environment: c.environment.clone(),
            deployment: c.deployment.clone(),
            agent_name: "apigw-agent".into(),
            agent_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Amplify's summary status for an HTTP status: 100-399 Success, 400-499 Failure, else Exception.
pub fn summary_status(http_status: u16) -> &'static str {
    match http_status {
        100..=399 => "Success",
        400..=499 => "Failure",
        _ => "Exception",
    }
}

/// Appends the Beats events (summary first, then the leg) for one API call to `out`.
pub fn build_insights_v4(call: &ApiCall, api: &ApiRef, ctx: &EventContext, out: &mut Vec<Bytes>) {
    let tx = &call.request_id;
    let duration = call.response_latency_ms.unwrap_or(0);
    let proxy_id = match &call.api_id {
        Some(id) => format!("remoteApiId_{id}"),
        None => "remoteApiId_unknown".to_string(),
    };
    let api_name = api.name.clone().or_else(|| call.api_id.clone()).unwrap_or_else(|| "unknown".into());
    let host = call.domain_name.clone().unwrap_or_default();
    let reporter = json!({
        "version": "1.0",
        "type": "traceability",
        "agentSDKVersion": ctx.agent_version,
        "agentName": ctx.agent_name,
    });
    let summary_data = json!({
        "apicDeployment": ctx.deployment,
        "status": summary_status(call.status),
        "statusDetail": call.status.to_string(),
        "duration": duration,
        "api": { "id": proxy_id, "apiServiceId": "", "name": api_name, "stage": call.stage.clone().unwrap_or_default() },
        "proxy": { "id": proxy_id, "name": api_name, "revision": api.revision.max(1) },
        "entryPoint": { "type": "http", "method": call.http_method, "path": call.path, "host": host },
        "reporter": reporter,
        "consumerDetails": { "application": { "id": "" } },
    });
    let leg_data = json!({
        "apicDeployment": ctx.deployment,
        "id": "leg0",
        "parentId": Value::Null,
        "source": call.source_ip.clone().unwrap_or_default(),
        "destination": if host.is_empty() { "API Gateway".to_string() } else { host.clone() },
        "status": if call.status < 400 { "Pass" } else { "Fail" },
        "duration": duration,
        "direction": "inbound",
        "protocol": {
            "type": "http",
            "uri": call.path,
            "method": call.http_method,
            "status": call.status,
            "userAgent": call.user_agent.clone().unwrap_or_default(),
            "host": host,
            "version": "1.1",
            "bytesSent": call.response_length.unwrap_or(0),
            "remoteAddr": call.source_ip.clone().unwrap_or_default(),
        },
        "reporter": reporter,
    });
    for (kind, data) in [("api.transaction.summary", summary_data), ("api.transaction.event", leg_data)] {
        let envelope = json!({
            "id": Uuid::new_v5(&EVENT_ID_NAMESPACE, format!("{tx}\n{}\n{kind}", call.extended_request_id.as_deref().unwrap_or("")).as_bytes()).to_string(),
            "org": ctx.organization_id,
            "event": kind,
            "version": "4",
            "timestamp": call.timestamp_ms,
            "distribution": { "environment": ctx.environment_id },
            "session": { "id": tx },
            "data": data,
        });
        out.push(beats_event(call.timestamp_ms, &envelope.to_string(), ctx));
    }
}

/// Wraps an event JSON into the Beats event shape: the event travels as a *string* in `message`.
fn beats_event(timestamp_ms: i64, message: &str, ctx: &EventContext) -> Bytes {
    let ts = OffsetDateTime::from_unix_timestamp_nanos(timestamp_ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default();
    let beat = json!({
        "@timestamp": ts,
        "@metadata": { "beat": ctx.agent_name, "type": "_doc", "version": ctx.agent_version },
        "message": message,
        "fields": { "axway-target-flow": "api-central-v8" },
    });
    Bytes::from(serde_json::to_vec(&beat).expect("JSON values serialize"))
}
