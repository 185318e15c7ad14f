//! Parses one API Gateway access-log line (the JSON format shipped in `config/access-log-format.json`)
//! into an [`ApiCall`]. Values are strings or numbers; `"-"` means absent.

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};

/// Lines longer than this are refused rather than parsed (API Gateway lines are a few hundred bytes;
/// CloudWatch events are at most 256 KiB).
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// One API call, as much of it as the access log told.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiCall {
    pub request_id: String,
    pub extended_request_id: Option<String>,
    /// When API Gateway received the request, ms since the epoch.
    pub timestamp_ms: i64,
    pub http_method: String,
    pub path: String,
    pub resource_path: Option<String>,
    pub protocol: Option<String>,
    pub status: u16,
    pub response_length: Option<u64>,
    pub response_latency_ms: Option<u64>,
    pub integration_latency_ms: Option<u64>,
    pub integration_status: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub caller: Option<String>,
    pub api_id: Option<String>,
    pub stage: Option<String>,
    pub domain_name: Option<String>,
    pub account_id: Option<String>,
    pub error_message: Option<String>,
    pub error_response_type: Option<String>,
    pub xray_trace_id: Option<String>,
}

/// Why a line was skipped. `label()` names the metric series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("line is {0} bytes, over the {MAX_LINE_BYTES}-byte limit")]
    Oversized(usize),
    #[error("not a JSON object: {0}")]
    NotJson(String),
    #[error("no requestId")]
    MissingRequestId,
    #[error("no {0}")]
    MissingField(&'static str),
    #[error("status '{0}' is not an HTTP status code")]
    BadStatus(String),
    #[error("{field} '{value}' is not a number")]
    BadNumber { field: &'static str, value: String },
    #[error("requestTime '{0}' is not in the form 04/Dec/2026:14:44:25 +0000")]
    BadTime(String),
}

impl Rejected {
    /// Stable label for the `reason` of the rejected-records metric.
    pub fn label(&self) -> &'static str {
        match self {
            Rejected::Oversized(_) => "oversized",
            Rejected::NotJson(_) => "not_json",
            Rejected::MissingRequestId => "missing_request_id",
            Rejected::MissingField(_) => "missing_field",
            Rejected::BadStatus(_) => "bad_status",
            Rejected::BadNumber { .. } => "bad_number",
            Rejected::BadTime(_) => "bad_time",
        }
    }
}

const CLF_TIME: &[FormatItem<'static>] =
    format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]");

/// Parses one line. `ingested_ms` (the CloudWatch event timestamp) is used when the line carries
/// no time of its own.
pub fn parse(line: &str, ingested_ms: i64) -> Result<ApiCall, Rejected> {
    if line.len() > MAX_LINE_BYTES {
        return Err(Rejected::Oversized(line.len()));
    }
    let obj: Map<String, Value> = match serde_json::from_str::<Value>(line.trim()) {
        Ok(Value::Object(map)) => map,
        Ok(other) => return Err(Rejected::NotJson(format!("a JSON {}", kind(&other)))),
        Err(e) => return Err(Rejected::NotJson(e.to_string())),
    };
    let text = |key: &str| -> Option<String> {
        match obj.get(key)? {
            Value::String(s) if s == "-" || s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let number = |key: &'static str| -> Result<Option<u64>, Rejected> {
        match text(key) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).or_else(|_| {
                // Latencies can come as "12.0" from some integrations; keep whole milliseconds.
                v.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0).map(|f| Some(f as u64)).ok_or(Rejected::BadNumber { field: key, value: v })
            }),
        }
    };
    let request_id = text("requestId").ok_or(Rejected::MissingRequestId)?;
    let status_text = text("status").ok_or(Rejected::MissingField("status"))?;
    let status = status_text.parse::<u16>().ok().filter(|s| (100..=599).contains(s)).ok_or(Rejected::BadStatus(status_text))?;
    let timestamp_ms = match (number("requestTimeEpoch")?, text("requestTime")) {
        (Some(ms), _) => ms as i64,
        (None, Some(t)) => OffsetDateTime::parse(&t, CLF_TIME).map_err(|_| Rejected::BadTime(t.clone()))?.unix_timestamp() * 1000,
        (None, None) => ingested_ms,
    };
    Ok(ApiCall {
        extended_request_id: text("extendedRequestId"),
        timestamp_ms,
        http_method: text("httpMethod").ok_or(Rejected::MissingField("httpMethod"))?,
        path: text("path").or_else(|| text("resourcePath")).ok_or(Rejected::MissingField("path"))?,
        resource_path: text("resourcePath"),
        protocol: text("protocol"),
        status,
        response_length: number("responseLength")?,
        response_latency_ms: number("responseLatency")?,
        integration_latency_ms: number("integrationLatency")?,
        integration_status: text("integrationStatus"),
        source_ip: text("ip"),
        user_agent: text("userAgent"),
        caller: text("caller"),
        api_id: text("apiId"),
        stage: text("stage"),
        domain_name: text("domainName"),
        account_id: text("accountId"),
        error_message: text("errorMessage"),
        error_response_type: text("errorResponseType"),
        xray_trace_id: text("xrayTraceId"),
        request_id,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
