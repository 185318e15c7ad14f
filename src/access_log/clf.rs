//! API Gateway's CLF access-log format, as the console offers it:
//! `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]
//! "$context.httpMethod $context.resourcePath $context.protocol" $context.status
//! $context.responseLength $context.requestId $context.extendedRequestId`
//! (extendedRequestId is optional, as older stages leave it out).

use super::{number, ApiCall, Rejected, CLF_TIME};
use regex::Regex;
use std::sync::LazyLock;
use time::OffsetDateTime;

static CLF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\S+) (\S+) (\S+)(?: (\S+))?$"#)
        .expect("static regex")
});

/// `None` when the line does not have the CLF shape at all.
pub fn parse(line: &str) -> Option<Result<ApiCall, Rejected>> {
    let caps = CLF.captures(line)?;
    let field = |i: usize| caps.get(i).map(|m| m.as_str()).filter(|v| *v != "-" && !v.is_empty());
    let owned = |i: usize| field(i).map(str::to_string);
    Some((|| {
        let request_id = owned(10).ok_or(Rejected::MissingRequestId)?;
        let status_text = field(8).ok_or(Rejected::MissingField("status"))?;
        let status = status_text
            .parse::<u16>()
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| Rejected::BadStatus(status_text.to_string()))?;
        let time = field(4).ok_or(Rejected::MissingField("requestTime"))?;
        let timestamp_ms =
            OffsetDateTime::parse(time, CLF_TIME).map_err(|_| Rejected::BadTime(time.to_string()))?.unix_timestamp()
                * 1000;
        let path = owned(6).ok_or(Rejected::MissingField("path"))?;
        Ok(ApiCall {
            request_id,
            extended_request_id: owned(11),
            timestamp_ms,
            http_method: owned(5).ok_or(Rejected::MissingField("httpMethod"))?,
            resource_path: Some(path.clone()),
            path,
            protocol: owned(7),
            status,
            response_length: number(field(9), "responseLength")?,
            source_ip: owned(1),
            caller: owned(2),
            ..ApiCall::default()
        })
    })())
}
