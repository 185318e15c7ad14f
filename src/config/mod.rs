//! The agent's configuration: typed sections (documented as user documentation), loading from YAML
//! with environment overrides, and validation that names the key and the bad value.
//!
//! Every key can be set by an environment variable: the name Axway users already have where one
//! exists (see [`env::AXWAY_NAMES`]), otherwise the YAML path upper-cased with `.` turned into `_`.

mod central;
mod env;
mod load;
mod redaction;
mod validate;
mod values;

#[cfg(test)]
mod tests;

pub use crate::proxy::ProxySetting;
pub use central::{CentralAuthConfig, CentralConfig, HttpSslConfig};
pub use env::{env_name_for, env_names};
pub use load::{load, load_from_str, ConfigError};
pub use redaction::{parse_rules, KeyedRedaction, PathRedaction, RedactionConfig, Rule, Rules};
pub use values::{parse_duration, Dur, List, Secret, StartPosition};

use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the access logs and the API catalog come from.
    pub aws: AwsConfig,
    /// Where the events go (Lumberjack v2) and in which format.
    pub traceability: TraceabilityConfig,
    /// Amplify Central identifiers stamped on every event.
    pub central: CentralConfig,
    /// Sizes of the internal queues between actors.
    pub pipeline: PipelineConfig,
    /// Where read positions are persisted.
    pub state: StateConfig,
    /// The HTTP endpoint for `/metrics` and `/status`.
    pub status: StatusConfig,
    /// The agent's own logs.
    pub log: LogConfig,
}

/// `aws.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// AWS Region of the API Gateway and its log groups (AWS_REGION). Required.
    pub region: String,
    /// Endpoint to use instead of AWS's, e.g. an emulator such as moto (AWS_ENDPOINT_URL).
    pub endpoint_url: String,
    /// Static credentials; leave both empty to use the SDK's default chain (instance/IRSA role).
    pub auth: AwsAuthConfig,
    /// Upper bound of one AWS operation including retries (AWS_CLIENTTIMEOUT).
    pub client_timeout: Dur,
    /// Proxy for the AWS APIs: `http://`, `https://` or `socks5://`, with optional
    /// `user:password@` (AWS_PROXYURL). Empty: HTTPS_PROXY / ALL_PROXY, as the SDK reads them.
    /// NO_PROXY applies either way.
    pub proxy_url: ProxySetting,
    /// Log groups holding the API Gateway access logs: a list or a comma list (AWS_LOGGROUP).
    pub log_group: List,
    /// Also every log group whose name starts with one of these, found at start-up
    /// (AWS_LOGGROUP_PREFIX), e.g. `/aws/apigateway/`.
    pub log_group_prefix: List,
    /// How often the prefixes are listed again: new groups are read, vanished ones dropped;
    /// 0s = only at start-up (AWS_DISCOVERY_INTERVAL).
    pub discovery_interval: Dur,
    /// Read only these log streams of each group (AWS_LOG_STREAMS); empty = all.
    pub log_streams: List,
    /// Read only the log streams whose name starts with this (AWS_LOG_STREAM_PREFIX).
    pub log_stream_prefix: String,
    /// How often the API catalog (REST and HTTP APIs, stages, tags) is refreshed (AWS_APIPOLLINTERVAL).
    pub api_poll_interval: Dur,
    /// Tag expression selecting the API stages traced, e.g. `tag.Env == prod && tag.Team.Exists()`;
    /// empty traces every stage (AWS_FILTER). API tags apply, overridden by stage tags.
    pub filter: String,
    /// How log groups are read.
    pub poll: PollConfig,
    /// Request/response headers and query strings from execution logs (off by default).
    pub execution_logs: ExecutionLogsConfig,
    /// Calls per second, per API, shared by all log groups.
    pub rate_limits: RateLimitsConfig,
}

/// `aws.rate_limits.*`: calls per second per API for the whole agent (0 = no limit), so that many
/// log groups stay under the account and Region quotas; defaults are AWS's documented quotas.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsConfig {
    /// FilterLogEvents (AWS_RATE_LIMITS_FILTER_LOG_EVENTS); AWS's quota is 5 per second.
    pub filter_log_events: f64,
    /// DescribeLogGroups (AWS_RATE_LIMITS_DESCRIBE_LOG_GROUPS); AWS's quota is 5 per second.
    pub describe_log_groups: f64,
    /// GetRestApis, GetStages, GetApis (AWS_RATE_LIMITS_API_GATEWAY); about 10 per second.
    pub api_gateway: f64,
    /// At most this many FilterLogEvents calls at once over all log groups (each group has its
    /// own poller); 0 = one per group (AWS_RATE_LIMITS_CONCURRENT_READS).
    pub concurrent_reads: usize,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig { filter_log_events: 5.0, describe_log_groups: 5.0, api_gateway: 10.0, concurrent_reads: 4 }
    }
}

/// `aws.execution_logs.*`: when enabled, the execution-log groups of the traced REST API stages
/// (`API-Gateway-Execution-Logs_{apiId}/{stage}`, found at start-up) are read too, and their
/// `Method request headers`, `Method request query string` and `Endpoint response headers` lines
/// are joined to the access-log call by request id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionLogsConfig {
    /// Read execution logs (AWS_EXECUTION_LOGS_ENABLED). Needs INFO execution logging on the stages.
    pub enabled: bool,
    /// Most calls held waiting for their lines, and most requests' lines held; past it the oldest
    /// calls go on without them (AWS_EXECUTION_LOGS_MAX_PENDING).
    pub max_pending: usize,
    /// Longest a call waits for its `Method completed` line before it goes without headers
    /// (AWS_EXECUTION_LOGS_MAX_WAIT).
    pub max_wait: Dur,
}

impl Default for ExecutionLogsConfig {
    fn default() -> Self {
        ExecutionLogsConfig { enabled: false, max_pending: 10_000, max_wait: Dur::secs(30) }
    }
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            region: String::new(),
            endpoint_url: String::new(),
            auth: AwsAuthConfig::default(),
            client_timeout: Dur::secs(30),
            proxy_url: ProxySetting::default(),
            log_group: List::default(),
            log_group_prefix: List::default(),
            discovery_interval: Dur::secs(300),
            log_streams: List::default(),
            log_stream_prefix: String::new(),
            api_poll_interval: Dur::secs(60),
            filter: String::new(),
            execution_logs: ExecutionLogsConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            poll: PollConfig::default(),
        }
    }
}

/// `aws.auth.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwsAuthConfig {
    /// AWS access key id (AWS_AUTH_ACCESSKEY). Never logged.
    pub access_key: Secret,
    /// AWS secret access key (AWS_AUTH_SECRETKEY). Never logged.
    pub secret_key: Secret,
    /// A role to assume on top of those credentials (or the default chain's), e.g. a role in the
    /// account that owns the API Gateway (AWS_AUTH_ASSUMEROLE).
    pub assume_role: String,
    /// The external id the role's trust policy asks for (AWS_AUTH_EXTERNALID).
    pub external_id: String,
    /// Session name shown in CloudTrail (AWS_AUTH_SESSIONNAME).
    pub session_name: String,
}

impl Default for AwsAuthConfig {
    fn default() -> Self {
        AwsAuthConfig {
            access_key: Secret::default(),
            secret_key: Secret::default(),
            assume_role: String::new(),
            external_id: String::new(),
            session_name: "apigw-agent".into(),
        }
    }
}

/// `aws.poll.*`: how FilterLogEvents windows are chosen.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PollConfig {
    /// Pause between scans once a log group is caught up (AWS_POLL_INTERVAL).
    pub interval: Dur,
    /// Windows end this long before now, so that late-ingested events are still seen (AWS_POLL_LATENCY).
    pub latency: Dur,
    /// Longest time span one window covers; bounds the work redone after a crash (AWS_POLL_MAX_WINDOW).
    pub max_window: Dur,
    /// Where to start when no checkpoint exists: `beginning` (oldest event kept), `end` (now), or
    /// an RFC 3339 time such as `2026-12-01T00:00:00Z` (AWS_POLL_START_POSITION).
    pub start_position: StartPosition,
    /// Each window also re-reads this much before its start, for events ingested late with an
    /// older timestamp; those already read are dropped by eventId (AWS_POLL_OVERLAP). 0s = none.
    pub overlap: Dur,
    /// Most eventIds remembered for that (AWS_POLL_DEDUPE_CAPACITY).
    pub dedupe_capacity: usize,
    /// Most events asked for per FilterLogEvents page, 1-10000 (AWS_POLL_PAGE_SIZE).
    pub page_size: usize,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            interval: Dur::secs(10),
            latency: Dur::secs(5),
            max_window: Dur::secs(3600),
            start_position: StartPosition::Beginning,
            overlap: Dur::secs(0),
            dedupe_capacity: 100_000,
            page_size: 10_000,
        }
    }
}

/// `traceability.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TraceabilityConfig {
    /// Lumberjack receivers as `host:port`, a list or a comma list (TRACEABILITY_HOST).
    pub host: List,
    /// zlib level 1-9 of each window's C frame; 0 sends plain J frames (TRACEABILITY_COMPRESSIONLEVEL).
    pub compression_level: u32,
    /// Most events in one window, 1-10000 (go-lumber servers refuse more) (TRACEABILITY_BULKMAXSIZE).
    pub bulk_max_size: usize,
    /// A partial window is sent after this long (TRACEABILITY_FLUSH_INTERVAL).
    pub flush_interval: Dur,
    /// Dial, TLS handshake, write of a window, and each wait for an ACK frame (TRACEABILITY_CLIENTTIMEOUT).
    pub client_timeout: Dur,
    /// TLS on the Lumberjack connection (TRACEABILITY_ENABLE_SSL).
    pub enable_ssl: bool,
    /// TLS settings.
    pub ssl: SslConfig,
    /// Proxy to the receivers: `socks5://` (as libbeat), `http://` or `https://` (CONNECT), with
    /// optional `user:password@` (TRACEABILITY_PROXYURL). TLS to the receiver runs inside the tunnel.
    pub proxy_url: ProxySetting,
    /// Send to every host at once (`worker` connections each) instead of failing over in order (TRACEABILITY_LOADBALANCE).
    pub loadbalance: bool,
    /// Connections per host, 1-64 (TRACEABILITY_WORKER).
    pub worker: usize,
    /// Windows in flight per connection, their ACKs matched in order; 0 or 1 = one at a time (TRACEABILITY_PIPELINING).
    pub pipelining: usize,
    /// Start windows at 10 events, x1.5 per acknowledged window up to bulk_max_size, halve on errors (TRACEABILITY_SLOWSTART).
    pub slow_start: bool,
    /// Give up after this many failed attempts in a row at one window; -1 = retry forever (TRACEABILITY_MAXRETRIES).
    /// Giving up stops the agent with an error; nothing is dropped: the checkpoint stays before that window.
    pub max_retries: i64,
    /// Reconnect after a connection has been open this long, e.g. to rebalance behind a load balancer; 0s = never (TRACEABILITY_TTL).
    pub ttl: Dur,
    /// Fail over when a receiver sends only ACK(0) keepalives for this long (TRACEABILITY_PROGRESS_TIMEOUT).
    pub progress_timeout: Dur,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// Event format: `insights-v4`, `logevent-v1` or `raw` (TRACEABILITY_FORMAT).
    pub format: EventFormat,
    /// Regular expressions on the request path; a match drops the whole transaction (TRACEABILITY_EXCEPTION_LIST).
    pub exception_list: List,
    /// Which transactions are sent.
    pub sampling: SamplingConfig,
    /// What of each transaction is sent: paths, query arguments and headers are redacted by default.
    pub redaction: RedactionConfig,
}

/// `traceability.sampling.*`: decisions are a pure function of the transaction (request) id, so a
/// transaction read twice is decided the same way, and its summary and leg always travel together.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SamplingConfig {
    /// Share of transactions sent, 0-100 (TRACEABILITY_SAMPLING_PERCENTAGE). Default 100: every
    /// transaction. Axway's agent SDK caps this at 10 and defaults to 10.
    pub percentage: f64,
    /// Sample each API independently (the API id is part of the decision) (TRACEABILITY_SAMPLING_PER_API).
    pub per_api: bool,
    /// Send only transactions with an HTTP status of 400 or more, sampled by `percentage` (TRACEABILITY_SAMPLING_ONLYERRORS).
    pub only_errors: bool,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig { percentage: 100.0, per_api: false, only_errors: false }
    }
}

impl Default for TraceabilityConfig {
    fn default() -> Self {
        TraceabilityConfig {
            host: List::of(&["ingestion.datasearch.axway.com:5044"]),
            compression_level: 3,
            bulk_max_size: 2048,
            flush_interval: Dur::secs(1),
            client_timeout: Dur::secs(60),
            enable_ssl: true,
            ssl: SslConfig::default(),
            proxy_url: ProxySetting::default(),
            loadbalance: false,
            worker: 1,
            pipelining: 2,
            slow_start: false,
            max_retries: -1,
            ttl: Dur::secs(0),
            progress_timeout: Dur::secs(300),
            backoff: BackoffConfig::default(),
            format: EventFormat::InsightsV4,
            exception_list: List::default(),
            sampling: SamplingConfig::default(),
            redaction: RedactionConfig::default(),
        }
    }
}

/// `traceability.ssl.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SslConfig {
    /// Lowest TLS version offered: TLS1.0, TLS1.1, TLS1.2 or TLS1.3 (TRACEABILITY_SSL_MINVERSION).
    /// rustls speaks only TLS1.2 and TLS1.3: a lower minimum is raised to TLS1.2 with a warning.
    pub min_version: TlsVersion,
    /// Highest TLS version offered (TRACEABILITY_SSL_MAXVERSION); below TLS1.2 is refused.
    pub max_version: TlsVersion,
    /// Cipher suites by IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL-like name
    /// (ECDHE-RSA-AES-128-GCM-SHA256); empty = the secure default list (TRACEABILITY_SSL_CIPHERSUITES).
    pub cipher_suites: List,
    /// PEM files of CAs to trust instead of the system store (TRACEABILITY_SSL_CERTIFICATEAUTHORITIES).
    pub certificate_authorities: List,
    /// `full` checks the chain and the host name, `certificate` only the chain, `none` nothing
    /// (TRACEABILITY_SSL_VERIFICATIONMODE).
    pub verification_mode: VerificationMode,
    /// PEM client certificate (chain) for mutual TLS (TRACEABILITY_SSL_CERTIFICATE).
    pub certificate: String,
    /// PEM private key of that certificate, unencrypted (TRACEABILITY_SSL_KEY).
    pub key: String,
    /// Name sent as SNI and checked against the certificate instead of the host's (TRACEABILITY_SSL_SERVERNAME).
    pub server_name: String,
}

impl Default for SslConfig {
    fn default() -> Self {
        SslConfig {
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            cipher_suites: List::default(),
            certificate_authorities: List::default(),
            verification_mode: VerificationMode::Full,
            certificate: String::new(),
            key: String::new(),
            server_name: String::new(),
        }
    }
}

/// A TLS protocol version, as Axway's agents name them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    #[serde(rename = "TLS1.0")]
    Tls10,
    #[serde(rename = "TLS1.1")]
    Tls11,
    #[serde(rename = "TLS1.2")]
    Tls12,
    #[serde(rename = "TLS1.3")]
    Tls13,
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls10 => "TLS1.0",
            TlsVersion::Tls11 => "TLS1.1",
            TlsVersion::Tls12 => "TLS1.2",
            TlsVersion::Tls13 => "TLS1.3",
        })
    }
}

/// How the receiver's certificate is checked.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VerificationMode {
    #[default]
    Full,
    Certificate,
    None,
}

/// `traceability.backoff.*`: equal-jitter exponential backoff between reconnects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffConfig {
    /// First wait (TRACEABILITY_BACKOFF_INIT).
    pub init: Dur,
    /// Longest wait (TRACEABILITY_BACKOFF_MAX).
    pub max: Dur,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig { init: Dur::secs(1), max: Dur::secs(60) }
    }
}

/// The shape of the events sent.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum EventFormat {
    /// Axway Insights envelope v4 (current agent SDK): summary + leg per API call.
    #[default]
    #[serde(rename = "insights-v4")]
    InsightsV4,
    /// Legacy LogEvent (transactionSummary / transactionEvent): summary + leg per API call.
    #[serde(rename = "logevent-v1")]
    LogEventV1,
    /// The parsed access-log record itself, one event per API call, for your own Logstash/Vector.
    #[serde(rename = "raw")]
    Raw,
}

/// `pipeline.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Messages each bounded queue between two actors holds (PIPELINE_MAILBOX_CAPACITY).
    /// With the receiver stalled, at most this many chunks/batches wait between each pair.
    pub mailbox_capacity: usize,
    /// On SIGTERM/SIGINT, how long to wait for outstanding ACKs before exiting (PIPELINE_SHUTDOWN_TIMEOUT).
    pub shutdown_timeout: Dur,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { mailbox_capacity: 4, shutdown_timeout: Dur::secs(30) }
    }
}

/// `state.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// JSON file of per-log-group positions, written atomically after ACKs (STATE_PATH).
    pub path: String,
    /// Checkpoints are written at most this often (and at shutdown) (STATE_FLUSH_INTERVAL).
    pub flush_interval: Dur,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig { path: "data/state.json".into(), flush_interval: Dur::secs(1) }
    }
}

/// `status.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StatusConfig {
    /// Address the status server binds (STATUS_HOST).
    pub host: String,
    /// Port of `/metrics` and `/status` (STATUS_PORT); 0 disables the server.
    pub port: u16,
}

impl Default for StatusConfig {
    fn default() -> Self {
        StatusConfig { host: "0.0.0.0".into(), port: 8989 }
    }
}

/// `log.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug` or `trace` (LOG_LEVEL).
    pub level: String,
    /// `line` or `json` (LOG_FORMAT).
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), format: LogFormat::Line }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Line,
    Json,
}
