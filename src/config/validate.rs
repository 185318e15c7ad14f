//! Checks that types alone cannot express (ranges, required keys, forms), all reported at once.

use super::{Config, EventFormat};

/// Returns `(key, message)` for every problem found.
pub fn validate(c: &Config) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let mut err = |key: &str, message: String| errors.push((key.to_string(), message));

    if c.aws.region.trim().is_empty() {
        err("aws.region", "is required (the AWS Region of the API Gateway, e.g. eu-west-1)".into());
    }
    if c.aws.log_group.is_empty() && c.aws.log_group_prefix.is_empty() {
        err(
            "aws.log_group",
            "is required (or aws.log_group_prefix): at least one CloudWatch Logs group holding API Gateway access logs"
                .into(),
        );
    }
    if !c.aws.log_streams.is_empty() && !c.aws.log_stream_prefix.is_empty() {
        err(
            "aws.log_stream_prefix",
            "set aws.log_streams or aws.log_stream_prefix, not both (FilterLogEvents takes one)".into(),
        );
    }
    let url = &c.aws.endpoint_url;
    if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
        err("aws.endpoint_url", format!("'{url}' is not a URL; expected http://host:port or https://host"));
    }
    if let Err(e) = crate::catalog::TagFilter::from_config(&c.aws.filter) {
        err("aws.filter", e.to_string());
    }
    let role = c.aws.auth.assume_role.trim();
    let is_role_arn = role.starts_with("arn:aws") && role.contains(":role/");
    if !role.is_empty() && !is_role_arn {
        err(
            "aws.auth.assume_role",
            format!("'{role}' is not a role ARN; expected arn:aws:iam::123456789012:role/name"),
        );
    }
    if role.is_empty() && !c.aws.auth.external_id.is_empty() {
        err("aws.auth.external_id", "is only used with aws.auth.assume_role".into());
    }
    if c.aws.auth.access_key.is_empty() != c.aws.auth.secret_key.is_empty() {
        err("aws.auth", "set both access_key and secret_key, or neither (to use the default credential chain)".into());
    }
    for (key, d) in [
        ("aws.client_timeout", c.aws.client_timeout),
        ("aws.api_poll_interval", c.aws.api_poll_interval),
        ("aws.poll.interval", c.aws.poll.interval),
        ("aws.poll.max_window", c.aws.poll.max_window),
        ("aws.execution_logs.max_wait", c.aws.execution_logs.max_wait),
        ("traceability.flush_interval", c.traceability.flush_interval),
        ("traceability.client_timeout", c.traceability.client_timeout),
        ("traceability.backoff.init", c.traceability.backoff.init),
        ("traceability.progress_timeout", c.traceability.progress_timeout),
        ("state.flush_interval", c.state.flush_interval),
    ] {
        if d.get().is_zero() {
            err(key, "must be greater than 0s".into());
        }
    }

    if c.aws.poll.page_size == 0 || c.aws.poll.page_size > 10_000 {
        err(
            "aws.poll.page_size",
            format!("{} is out of range; expected 1 to 10000 (the FilterLogEvents maximum)", c.aws.poll.page_size),
        );
    }

    if c.aws.poll.dedupe_capacity == 0 && !c.aws.poll.overlap.get().is_zero() {
        err("aws.poll.dedupe_capacity", "must be at least 1 when aws.poll.overlap is set".into());
    }
    let r = &c.aws.rate_limits;
    for (key, rate) in [
        ("aws.rate_limits.filter_log_events", r.filter_log_events),
        ("aws.rate_limits.describe_log_groups", r.describe_log_groups),
        ("aws.rate_limits.api_gateway", r.api_gateway),
    ] {
        if !(rate >= 0.0 && rate.is_finite()) {
            err(key, format!("{rate} is not a rate; expected calls per second >= 0 (0 = no limit)"));
        }
    }
    if c.aws.execution_logs.max_pending == 0 {
        err("aws.execution_logs.max_pending", "must be at least 1".into());
    }
    let t = &c.traceability;
    if t.host.is_empty() {
        err("traceability.host", "is required: at least one host:port".into());
    }
    for host in t.host.iter() {
        if let Err(why) = check_host_port(host) {
            err("traceability.host", why);
        }
    }
    if t.compression_level > 9 {
        err(
            "traceability.compression_level",
            format!("{} is out of range; expected 0 (none) to 9", t.compression_level),
        );
    }
    if t.bulk_max_size == 0 || t.bulk_max_size > 10_000 {
        err(
            "traceability.bulk_max_size",
            format!("{} is out of range; expected 1 to 10000 (receivers refuse larger windows)", t.bulk_max_size),
        );
    }
    if t.enable_ssl {
        if let Err(e) = crate::tls::client_config(t) {
            for (key, message) in e.keyed() {
                err(&key, message);
            }
        }
    }
    for pattern in t.exception_list.iter() {
        if let Err(e) = regex::Regex::new(pattern) {
            err("traceability.exception_list", format!("'{pattern}' is not a valid regular expression: {e}"));
        }
    }
    if let Err(e) = crate::redaction::Redactor::from_config(&t.redaction) {
        for (key, message) in e.0 {
            err(&key, message);
        }
    }
    let pct = t.sampling.percentage;
    if !(0.0..=100.0).contains(&pct) {
        err(
            "traceability.sampling.percentage",
            format!("{pct} is out of range; expected 0 to 100 (Axway's agent SDK caps it at 10)"),
        );
    }
    if t.worker == 0 || t.worker > 64 {
        err("traceability.worker", format!("{} is out of range; expected 1 to 64 connections per host", t.worker));
    }
    if t.pipelining > 64 {
        err("traceability.pipelining", format!("{} is out of range; expected 0 to 64 windows in flight", t.pipelining));
    }
    if t.max_retries < -1 {
        err(
            "traceability.max_retries",
            format!("{} is out of range; expected -1 (retry forever) or a count >= 0", t.max_retries),
        );
    }
    if let Err(e) = crate::tls::http_client_config(&c.central.ssl) {
        for (key, message) in e.keyed() {
            err(&key, message);
        }
    }
    if t.backoff.init > t.backoff.max {
        err(
            "traceability.backoff.init",
            format!("{} is longer than traceability.backoff.max ({})", t.backoff.init, t.backoff.max),
        );
    }
    if t.format == EventFormat::InsightsV4 {
        if c.central.organization_id.trim().is_empty() {
            err(
                "central.organization_id",
                "is required by traceability.format insights-v4 (the Amplify organization id)".into(),
            );
        }
        if c.central.environment_id.trim().is_empty() {
            err(
                "central.environment_id",
                "is required by traceability.format insights-v4 (the Amplify environment id)".into(),
            );
        }
    }
    if c.central.auth.enabled() {
        use crate::central::{TokenError, TokenSource};
        if c.central.auth.realm.trim().is_empty() {
            err("central.auth.realm", "is required with central.auth.client_id (e.g. Broker)".into());
        }
        match TokenSource::from_config(&c.central) {
            Ok(_) => {}
            Err(TokenError::Key(e)) => err(e.key(), e.to_string()),
            Err(TokenError::BadUrl(url)) => err("central.auth.url", TokenError::BadUrl(url).to_string()),
            // TLS problems are reported under central.ssl above.
            Err(TokenError::Tls(_)) => {}
            Err(e) => err("central.auth", e.to_string()),
        }
    }
    if c.pipeline.mailbox_capacity == 0 {
        err("pipeline.mailbox_capacity", "must be at least 1".into());
    }
    if c.state.path.trim().is_empty() {
        err("state.path", "is required: the file where read positions are kept".into());
    }
    if !["error", "warn", "info", "debug", "trace"].contains(&c.log.level.to_ascii_lowercase().as_str()) {
        err("log.level", format!("'{}' is not a level; expected error, warn, info, debug or trace", c.log.level));
    }
    errors
}

fn check_host_port(host: &str) -> Result<(), String> {
    let expected = "expected host:port, e.g. ingestion.datasearch.axway.com:5044";
    let Some((name, port)) = host.rsplit_once(':') else {
        return Err(format!("'{host}' has no port; {expected}"));
    };
    if name.is_empty() {
        return Err(format!("'{host}' has no host name; {expected}"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("'{host}' has an invalid port '{port}'; {expected}")),
    }
}
