//! The `raw` format, for users who ship to their own Logstash or Vector: one Beats event per API
//! call whose `message` is the parsed access-log record as a JSON object (typed values, absent
//! fields left out), with no Amplify flow.

use super::{beats_event, rfc3339, EventContext, Pairs};
use crate::access_log::ApiCall;
use bytes::Bytes;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_request_id: Option<&'a str>,
    request_time_epoch: i64,
    http_method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol: Option<&'a str>,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_latency: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_latency: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_response_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xray_trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_error_message: Option<&'a str>,
    /// From the execution log, after redaction.
    #[serde(skip_serializing_if = "is_empty")]
    query: Pairs<'a>,
    #[serde(skip_serializing_if = "is_empty")]
    request_headers: Pairs<'a>,
    #[serde(skip_serializing_if = "is_empty")]
    response_headers: Pairs<'a>,
}

fn is_empty(p: &Pairs<'_>) -> bool {
    p.0.is_empty()
}

/// Appends the one event of an API call.
pub fn build_raw(call: &ApiCall, ctx: &EventContext, out: &mut Vec<Bytes>) {
    let c = call;
    let record = Record {
        request_id: &c.request_id,
        extended_request_id: c.extended_request_id.as_deref(),
        request_time_epoch: c.timestamp_ms,
        http_method: &c.http_method,
        path: &c.path,
        resource_path: c.resource_path.as_deref(),
        protocol: c.protocol.as_deref(),
        status: c.status,
        response_length: c.response_length,
        response_latency: c.response_latency_ms,
        integration_latency: c.integration_latency_ms,
        integration_status: c.integration_status.as_deref(),
        ip: c.source_ip.as_deref(),
        user_agent: c.user_agent.as_deref(),
        caller: c.caller.as_deref(),
        api_id: c.api_id.as_deref(),
        stage: c.stage.as_deref(),
        domain_name: c.domain_name.as_deref(),
        account_id: c.account_id.as_deref(),
        error_message: c.error_message.as_deref(),
        error_response_type: c.error_response_type.as_deref(),
        xray_trace_id: c.xray_trace_id.as_deref(),
        route_key: c.route_key.as_deref(),
        integration_error_message: c.integration_error_message.as_deref(),
        query: Pairs(&c.query),
        request_headers: Pairs(&c.request_headers),
        response_headers: Pairs(&c.response_headers),
    };
    let message = serde_json::to_string(&record).expect("record serializes");
    out.push(beats_event(&rfc3339(c.timestamp_ms), &message, ctx, None));
}
