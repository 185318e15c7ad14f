//! Environment variable names for every configuration key.

use super::Config;
use serde_yaml_ng::Value;

/// Keys whose environment name is the one Axway's agents already use.
pub const AXWAY_NAMES: &[(&str, &str)] = &[
    ("aws.region", "AWS_REGION"),
    ("aws.endpoint_url", "AWS_ENDPOINT_URL"),
    ("aws.auth.access_key", "AWS_AUTH_ACCESSKEY"),
    ("aws.auth.secret_key", "AWS_AUTH_SECRETKEY"),
    ("aws.auth.assume_role", "AWS_AUTH_ASSUMEROLE"),
    ("aws.auth.external_id", "AWS_AUTH_EXTERNALID"),
    ("aws.auth.session_name", "AWS_AUTH_SESSIONNAME"),
    ("aws.client_timeout", "AWS_CLIENTTIMEOUT"),
    ("aws.proxy_url", "AWS_PROXYURL"),
    ("aws.log_group", "AWS_LOGGROUP"),
    ("aws.log_group_prefix", "AWS_LOGGROUP_PREFIX"),
    ("aws.api_poll_interval", "AWS_APIPOLLINTERVAL"),
    ("aws.filter", "AWS_FILTER"),
    ("traceability.host", "TRACEABILITY_HOST"),
    ("traceability.compression_level", "TRACEABILITY_COMPRESSIONLEVEL"),
    ("traceability.bulk_max_size", "TRACEABILITY_BULKMAXSIZE"),
    ("traceability.client_timeout", "TRACEABILITY_CLIENTTIMEOUT"),
    ("traceability.enable_ssl", "TRACEABILITY_ENABLE_SSL"),
    ("traceability.pipelining", "TRACEABILITY_PIPELINING"),
    ("traceability.loadbalance", "TRACEABILITY_LOADBALANCE"),
    ("traceability.worker", "TRACEABILITY_WORKER"),
    ("traceability.slow_start", "TRACEABILITY_SLOWSTART"),
    ("traceability.max_retries", "TRACEABILITY_MAXRETRIES"),
    ("traceability.ttl", "TRACEABILITY_TTL"),
    ("traceability.proxy_url", "TRACEABILITY_PROXYURL"),
    ("traceability.exception_list", "TRACEABILITY_EXCEPTION_LIST"),
    ("traceability.sampling.percentage", "TRACEABILITY_SAMPLING_PERCENTAGE"),
    ("traceability.sampling.per_api", "TRACEABILITY_SAMPLING_PER_API"),
    ("traceability.sampling.only_errors", "TRACEABILITY_SAMPLING_ONLYERRORS"),
    ("traceability.redaction.query_argument.show", "TRACEABILITY_REDACTION_QUERYARGUMENT_SHOW"),
    ("traceability.redaction.query_argument.sanitize", "TRACEABILITY_REDACTION_QUERYARGUMENT_SANITIZE"),
    ("traceability.redaction.request_header.show", "TRACEABILITY_REDACTION_REQUESTHEADER_SHOW"),
    ("traceability.redaction.request_header.sanitize", "TRACEABILITY_REDACTION_REQUESTHEADER_SANITIZE"),
    ("traceability.redaction.response_header.show", "TRACEABILITY_REDACTION_RESPONSEHEADER_SHOW"),
    ("traceability.redaction.response_header.sanitize", "TRACEABILITY_REDACTION_RESPONSEHEADER_SANITIZE"),
    ("traceability.ssl.certificate_authorities", "TRACEABILITY_SSL_CERTIFICATEAUTHORITIES"),
    ("traceability.ssl.verification_mode", "TRACEABILITY_SSL_VERIFICATIONMODE"),
    ("traceability.ssl.min_version", "TRACEABILITY_SSL_MINVERSION"),
    ("traceability.ssl.max_version", "TRACEABILITY_SSL_MAXVERSION"),
    ("traceability.ssl.cipher_suites", "TRACEABILITY_SSL_CIPHERSUITES"),
    ("traceability.ssl.server_name", "TRACEABILITY_SSL_SERVERNAME"),
    ("central.organization_id", "CENTRAL_ORGANIZATIONID"),
    ("central.environment_id", "CENTRAL_ENVIRONMENTID"),
    ("central.proxy_url", "CENTRAL_PROXYURL"),
    ("central.auth.client_id", "CENTRAL_AUTH_CLIENTID"),
    ("central.auth.private_key", "CENTRAL_AUTH_PRIVATEKEY"),
    ("central.auth.public_key", "CENTRAL_AUTH_PUBLICKEY"),
    ("central.auth.key_password", "CENTRAL_AUTH_KEYPASSWORD"),
    ("central.ssl.min_version", "CENTRAL_SSL_MINVERSION"),
    ("central.ssl.max_version", "CENTRAL_SSL_MAXVERSION"),
    ("central.ssl.cipher_suites", "CENTRAL_SSL_CIPHERSUITES"),
    ("central.ssl.insecure_skip_verify", "CENTRAL_SSL_INSECURESKIPVERIFY"),
    ("status.port", "STATUS_PORT"),
    ("log.level", "LOG_LEVEL"),
    ("log.format", "LOG_FORMAT"),
];

/// Keys holding secrets. Each can also be read from a file, the Docker/Kubernetes secret
/// convention: `<key>_file` in YAML or `<ENV>_FILE` in the environment, e.g.
/// AWS_AUTH_SECRETKEY_FILE=/run/secrets/aws_secret_key. Proxy URLs may carry a password.
pub const SECRET_KEYS: &[&str] =
    &["aws.auth.access_key", "aws.auth.secret_key", "aws.proxy_url", "traceability.proxy_url", "central.proxy_url"];

/// The environment variable that sets `path` (a dotted YAML path).
pub fn env_name_for(path: &str) -> String {
    AXWAY_NAMES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, e)| e.to_string())
        .unwrap_or_else(|| path.to_ascii_uppercase().replace('.', "_"))
}

/// What kind of YAML value a leaf holds by default, so that an env string is typed the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    Text,
    Number,
    Bool,
}

/// Every leaf key of the configuration with its env name and kind, derived from the defaults so
/// that no key can be forgotten.
pub fn env_names() -> Vec<(String, String, LeafKind)> {
    let defaults = serde_yaml_ng::to_value(Config::default()).expect("defaults serialize");
    let mut out = Vec::new();
    walk(&defaults, String::new(), &mut out);
    out
}

fn walk(value: &Value, prefix: String, out: &mut Vec<(String, String, LeafKind)>) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                let key = k.as_str().expect("string keys");
                let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                walk(v, path, out);
            }
        }
        leaf => {
            let kind = match leaf {
                Value::Number(_) => LeafKind::Number,
                Value::Bool(_) => LeafKind::Bool,
                _ => LeafKind::Text,
            };
            out.push((env_name_for(&prefix), prefix, kind));
        }
    }
}
