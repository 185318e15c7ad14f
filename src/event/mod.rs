//! Turns an [`ApiCall`] into Amplify traceability events (one transaction summary and one leg),
//! each wrapped in the Beats event that travels over Lumberjack.

mod insights;
mod logevent;
mod raw;

#[cfg(test)]
mod tests;

pub use insights::build_insights_v4;
pub use logevent::build_logevent_v1;
pub use raw::build_raw;

use crate::access_log::ApiCall;
use crate::catalog::ApiRef;
use crate::config::EventFormat;
use bytes::Bytes;
use serde::Serialize;
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
    /// Which format [`build`] writes.
    pub format: EventFormat,
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
            format: EventFormat::InsightsV4,
        }
    }

    pub fn with_format(mut self, format: EventFormat) -> EventContext {
        self.format = format;
        self
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

/// The flow Amplify's ingestion routes traceability events by.
pub const AMPLIFY_FLOW: &str = "api-central-v8";

/// Appends the events of one API call, in `ctx.format`, to `out`.
pub fn build(call: &ApiCall, api: &ApiRef<'_>, ctx: &EventContext, out: &mut Vec<Bytes>) {
    match ctx.format {
        EventFormat::InsightsV4 => build_insights_v4(call, api, ctx, out),
        EventFormat::LogEventV1 => build_logevent_v1(call, api, ctx, out),
        EventFormat::Raw => build_raw(call, ctx, out),
    }
}

/// `remoteApiId_<apiId>`, or `remoteApiId_unknown` when the log line has no API id.
fn proxy_id(call: &ApiCall) -> String {
    match &call.api_id {
        Some(id) => format!("remoteApiId_{id}"),
        None => "remoteApiId_unknown".to_string(),
    }
}

/// The same API call always gets the same id for the same kind of event.
fn event_id(call: &ApiCall, kind: &str) -> Uuid {
    let name = format!("{}\n{}\n{kind}", call.request_id, call.extended_request_id.as_deref().unwrap_or(""));
    Uuid::new_v5(&EVENT_ID_NAMESPACE, name.as_bytes())
}

pub(crate) fn rfc3339(timestamp_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(timestamp_ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Wraps an event (already JSON) into the Beats event that travels over Lumberjack: the event is
/// a *string* in `message`; `flow` goes to `fields.axway-target-flow` when given.
fn beats_event(timestamp: &str, message: &str, ctx: &EventContext, flow: Option<&'static str>) -> Bytes {
    let beat = Beat {
        timestamp,
        metadata: Metadata { beat: &ctx.agent_name, r#type: "_doc", version: &ctx.agent_version },
        message,
        fields: Fields { target_flow: flow },
    };
    let mut buf = Vec::with_capacity(message.len() + message.len() / 8 + 160);
    serde_json::to_writer(&mut buf, &beat).expect("beats event serializes");
    Bytes::from(buf)
}

#[derive(Serialize)]
struct Beat<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    #[serde(rename = "@metadata")]
    metadata: Metadata<'a>,
    message: &'a str,
    fields: Fields,
}

#[derive(Serialize)]
struct Metadata<'a> {
    beat: &'a str,
    r#type: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct Fields {
    #[serde(rename = "axway-target-flow", skip_serializing_if = "Option::is_none")]
    target_flow: Option<&'static str>,
}

/// `proxy` in both Amplify formats.
#[derive(Serialize)]
struct Proxy<'a> {
    id: &'a str,
    name: &'a str,
    revision: u32,
}

/// `entryPoint` in both Amplify formats.
#[derive(Serialize)]
struct EntryPoint<'a> {
    r#type: &'static str,
    method: &'a str,
    path: &'a str,
    host: &'a str,
}

/// Name/value pairs (headers, query arguments) written as one JSON object, in their order.
pub(crate) struct Pairs<'a>(pub &'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The legacy header maps: a JSON object encoded into a string, `{}` when empty.
fn pairs_json(pairs: &[(String, String)]) -> String {
    serde_json::to_string(&Pairs(pairs)).expect("string pairs serialize")
}

/// Query arguments as a query string, `%`, `&`, `=`, `+`, `#`, space and control characters escaped.
fn query_string(pairs: &[(String, String)]) -> String {
    let escape = |text: &str, out: &mut String| {
        for c in text.chars() {
            if "%&=+# ".contains(c) || c.is_control() {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
    };
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        escape(k, &mut out);
        out.push('=');
        escape(v, &mut out);
    }
    out
}

/// `"token":"<token>"`, the member the framer adds to each event's `fields` (see
/// [`crate::lumberjack::encode_window_with`]); `fields` is the last member of every Beats event.
pub fn token_member(token: &str) -> Vec<u8> {
    let mut member = b"\"token\":".to_vec();
    serde_json::to_writer(&mut member, token).expect("a string serializes");
    member
}
