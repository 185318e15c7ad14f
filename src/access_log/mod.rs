//! Parses one API Gateway access-log line (the JSON format shipped in `config/access-log-format.json`)
//! into an [`ApiCall`]. Values are strings or numbers; `"-"` means absent.

mod clf;
#[cfg(test)]
mod tests;

use serde::{de, Deserialize};
use std::borrow::Cow;
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
    /// HTTP APIs (v2): the matched route, e.g. `GET /pets/{id}`.
    pub route_key: Option<String>,
    /// HTTP APIs (v2): why the integration failed.
    pub integration_error_message: Option<String>,
    /// Query arguments, from the execution log (`Method request query string`), in order.
    pub query: Vec<(String, String)>,
    /// Request headers, from the execution log (`Method request headers`), in order.
    pub request_headers: Vec<(String, String)>,
    /// Response headers, from the execution log (`Endpoint response headers`), in order.
    pub response_headers: Vec<(String, String)>,
}

/// Why a line was skipped. `label()` names the metric series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("line is {0} bytes, over the {MAX_LINE_BYTES}-byte limit")]
    Oversized(usize),
    #[error("not a JSON object: {0}")]
    NotJson(String),
    #[error("neither the JSON format of config/access-log-format.json nor API Gateway's CLF format")]
    UnknownFormat,
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
    /// Not the record's fault: handling it failed (a bug), and it was skipped.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Rejected {
    /// Stable label for the `reason` of the rejected-records metric.
    pub fn label(&self) -> &'static str {
        match self {
            Rejected::Oversized(_) => "oversized",
            Rejected::NotJson(_) => "not_json",
            Rejected::UnknownFormat => "unknown_format",
            Rejected::MissingRequestId => "missing_request_id",
            Rejected::MissingField(_) => "missing_field",
            Rejected::BadStatus(_) => "bad_status",
            Rejected::BadNumber { .. } => "bad_number",
            Rejected::BadTime(_) => "bad_time",
            Rejected::Internal(_) => "internal_error",
        }
    }
}

pub(crate) const CLF_TIME: &[FormatItem<'static>] = format_description!(
    "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
);

/// One value of the access log: text (borrowed from the line when it holds no escapes), or
/// absent. Numbers and booleans are kept as their text, as `$context` variables are strings.
#[derive(Debug, Default)]
struct Field<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
                Ok(Field(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Field<'_> {
    /// The value, with API Gateway's "-" (and empty) meaning absent.
    fn text(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty() && *s != "-")
    }
    fn owned(&self) -> Option<String> {
        self.text().map(str::to_string)
    }
    fn number(&self, field: &'static str) -> Result<Option<u64>, Rejected> {
        number(self.text(), field)
    }
}

/// A count or latency: whole numbers, or fractional milliseconds truncated; `None` when absent.
pub(crate) fn number(value: Option<&str>, field: &'static str) -> Result<Option<u64>, Rejected> {
    let Some(v) = value else { return Ok(None) };
    if let Ok(n) = v.parse::<u64>() {
        return Ok(Some(n));
    }
    // Latencies can come as "12.0" from some integrations; keep whole milliseconds.
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
        _ => Err(Rejected::BadNumber { field, value: v.to_string() }),
    }
}

/// The keys of `config/access-log-format.json`; other keys are ignored, so users may add variables.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "an access-log JSON object")]
struct RawLine<'a> {
    #[serde(borrow, default)]
    request_id: Field<'a>,
    #[serde(borrow, default)]
    extended_request_id: Field<'a>,
    #[serde(borrow, default)]
    request_time: Field<'a>,
    #[serde(borrow, default)]
    request_time_epoch: Field<'a>,
    #[serde(borrow, default)]
    http_method: Field<'a>,
    #[serde(borrow, default)]
    resource_path: Field<'a>,
    #[serde(borrow, default)]
    path: Field<'a>,
    #[serde(borrow, default)]
    protocol: Field<'a>,
    #[serde(borrow, default)]
    status: Field<'a>,
    #[serde(borrow, default)]
    response_length: Field<'a>,
    #[serde(borrow, default)]
    response_latency: Field<'a>,
    #[serde(borrow, default)]
    integration_latency: Field<'a>,
    #[serde(borrow, default)]
    integration_status: Field<'a>,
    #[serde(borrow, default)]
    ip: Field<'a>,
    #[serde(borrow, default)]
    user_agent: Field<'a>,
    #[serde(borrow, default)]
    caller: Field<'a>,
    #[serde(borrow, default)]
    api_id: Field<'a>,
    #[serde(borrow, default)]
    stage: Field<'a>,
    #[serde(borrow, default)]
    domain_name: Field<'a>,
    #[serde(borrow, default)]
    account_id: Field<'a>,
    #[serde(borrow, default)]
    error_message: Field<'a>,
    #[serde(borrow, default)]
    error_response_type: Field<'a>,
    #[serde(borrow, default)]
    xray_trace_id: Field<'a>,
    #[serde(borrow, default)]
    route_key: Field<'a>,
    #[serde(borrow, default)]
    integration_error_message: Field<'a>,
}

/// Parses one line. `ingested_ms` (the CloudWatch event timestamp) is used when the line carries
/// no time of its own.
pub fn parse(line: &str, ingested_ms: i64) -> Result<ApiCall, Rejected> {
    if line.len() > MAX_LINE_BYTES {
        return Err(Rejected::Oversized(line.len()));
    }
    let line = line.trim();
    if !line.starts_with('{') && !line.starts_with('[') {
        return clf::parse(line).unwrap_or(Err(Rejected::UnknownFormat));
    }
    if !line.starts_with('{') {
        // serde would take an array positionally: refuse anything but an object first.
        return Err(Rejected::NotJson(match serde_json::from_str::<de::IgnoredAny>(line) {
            Err(e) => e.to_string(),
            Ok(_) => "a JSON value that is not an object".into(),
        }));
    }
    let raw: RawLine = serde_json::from_str(line).map_err(|e| Rejected::NotJson(e.to_string()))?;
    let request_id = raw.request_id.owned().ok_or(Rejected::MissingRequestId)?;
    let status_text = raw.status.text().ok_or(Rejected::MissingField("status"))?;
    let status = status_text
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| Rejected::BadStatus(status_text.to_string()))?;
    let timestamp_ms = match (raw.request_time_epoch.number("requestTimeEpoch")?, raw.request_time.text()) {
        (Some(ms), _) => ms as i64,
        (None, Some(t)) => {
            OffsetDateTime::parse(t, CLF_TIME).map_err(|_| Rejected::BadTime(t.to_string()))?.unix_timestamp() * 1000
        }
        (None, None) => ingested_ms,
    };
    Ok(ApiCall {
        extended_request_id: raw.extended_request_id.owned(),
        timestamp_ms,
        http_method: raw.http_method.owned().ok_or(Rejected::MissingField("httpMethod"))?,
        path: raw.path.owned().or_else(|| raw.resource_path.owned()).ok_or(Rejected::MissingField("path"))?,
        // HTTP APIs have no resourcePath: the route key's path stands for it.
        resource_path: raw
            .resource_path
            .owned()
            .or_else(|| raw.route_key.text().and_then(|r| r.split_once(' ')).map(|(_, path)| path.to_string())),
        route_key: raw.route_key.owned(),
        integration_error_message: raw.integration_error_message.owned(),
        protocol: raw.protocol.owned(),
        status,
        response_length: raw.response_length.number("responseLength")?,
        response_latency_ms: raw.response_latency.number("responseLatency")?,
        integration_latency_ms: raw.integration_latency.number("integrationLatency")?,
        integration_status: raw.integration_status.owned(),
        source_ip: raw.ip.owned(),
        user_agent: raw.user_agent.owned(),
        caller: raw.caller.owned(),
        api_id: raw.api_id.owned(),
        stage: raw.stage.owned(),
        domain_name: raw.domain_name.owned(),
        account_id: raw.account_id.owned(),
        error_message: raw.error_message.owned(),
        error_response_type: raw.error_response_type.owned(),
        xray_trace_id: raw.xray_trace_id.owned(),
        request_id,
        ..ApiCall::default()
    })
}
