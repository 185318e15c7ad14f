//! API Gateway execution logs (`API-Gateway-Execution-Logs_{apiId}/{stage}`): the lines that carry
//! a request's query string and headers, and the bounded join that adds them to its access-log call.
//!
//! Every line starts with `(requestId)`. Maps are written `{Key=value, Other=a, b}`: a pair ends
//! at the `, ` that is followed by `Name=`, so values may hold commas (dates do). CloudWatch
//! truncates execution-log events over 1024 bytes: a map without its closing brace loses its last,
//! possibly cut, pair.

mod join;

#[cfg(test)]
mod tests;

pub use join::{HeaderJoin, JoinSettings, JoinStats};

/// Execution-log groups are named with this prefix.
pub const GROUP_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// True for a log group of execution logs.
pub fn is_execution_log_group(group: &str) -> bool {
    group.starts_with(GROUP_PREFIX)
}

/// What one execution-log line told about its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionLine {
    Query(Vec<(String, String)>),
    RequestHeaders(Vec<(String, String)>),
    ResponseHeaders(Vec<(String, String)>),
    /// `Method completed with status: N`: the last line of a request.
    Completed,
}

/// The request id and what the line says, for the lines the join uses; `None` for the others.
pub fn parse_line(line: &str) -> Option<(&str, ExecutionLine)> {
    let rest = line.trim_start().strip_prefix('(')?;
    let (request_id, text) = rest.split_once(')')?;
    let text = text.trim_start();
    let map = |prefix: &str| text.strip_prefix(prefix).map(parse_map);
    let what = if let Some(m) = map("Method request query string: ") {
        ExecutionLine::Query(m)
    } else if let Some(m) = map("Method request headers: ") {
        ExecutionLine::RequestHeaders(m)
    } else if let Some(m) = map("Endpoint response headers: ") {
        ExecutionLine::ResponseHeaders(m)
    } else if text.starts_with("Method completed with status:") {
        ExecutionLine::Completed
    } else {
        return None;
    };
    (!request_id.is_empty()).then_some((request_id, what))
}

/// `{A=1, B=x, y}` into pairs.
fn parse_map(text: &str) -> Vec<(String, String)> {
    let text = text.trim_end();
    let Some(body) = text.strip_prefix('{') else { return Vec::new() };
    let (body, complete) = match body.strip_suffix('}') {
        Some(b) => (b, true),
        None => (body, false),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = next_pair_start(rest).unwrap_or(rest.len());
        let item = &rest[..end];
        if let Some((k, v)) = item.split_once('=') {
            pairs.push((k.trim().to_string(), v.to_string()));
        }
        rest = rest.get(end + 2..).unwrap_or("");
    }
    if !complete {
        pairs.pop();
    }
    pairs
}

/// Where `, Name=` starts, `Name` being a header or argument name.
fn next_pair_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(", ") {
        let at = from + i;
        let after = &text[at + 2..];
        let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('=') {
            return Some(at);
        }
        from = at + 2;
    }
    None
}
