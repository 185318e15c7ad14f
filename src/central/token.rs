//! The AxwayID token client: client-credentials grant with a private-key JWT, the token cached
//! until 0.8 x `expires_in`, one request at a time, and the wall clock corrected by the server's
//! `Date` when AxwayID refuses an assertion that a skewed clock made stale or premature.

use super::assertion::client_assertion;
use super::clock::{Clock, SystemClock};
use super::key::{KeyError, SigningKey};
use crate::config::CentralConfig;
use crate::proxy::{https_connector, HttpsDialer, NoProxy};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::{macros::format_description, PrimitiveDateTime};

/// Share of `expires_in` after which a token is replaced.
const REFRESH_AT: f64 = 0.8;
/// A server clock this far from ours (seconds) makes us correct the assertion's times.
const MAX_SKEW_SECS: i64 = 2;
/// Token replies are small; anything bigger is not one.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// An access token. Debug and Display never show it.
pub struct Token {
    value: String,
    /// Counts tokens obtained: a window framed with an older one is re-framed.
    pub generation: u64,
}

impl Token {
    pub fn new(value: impl Into<String>, generation: u64) -> Token {
        Token { value: value.into(), generation }
    }
    /// The real value: only for putting into `fields.token`.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(generation {}, \"********\")", self.generation)
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("central.auth.url '{0}' must be https://host[/path] (http:// only to 127.0.0.1 or localhost)")]
    BadUrl(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("AxwayID at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("AxwayID refused a token for client '{client_id}' (HTTP {status}: {error}{description}); check central.auth.client_id and that central.auth.public_key is the key registered for it")]
    Refused { client_id: String, status: u16, error: String, description: String },
    #[error("AxwayID at {url} answered with no usable token: {reason}")]
    BadReply { url: String, reason: String },
}

impl TokenError {
    /// A refusal will not go away by retrying: the configuration is wrong.
    pub fn is_refusal(&self) -> bool {
        matches!(self, TokenError::Refused { .. })
    }
}

/// Gets and caches tokens for one service account.
pub struct TokenSource {
    key: SigningKey,
    client_id: String,
    token_url: String,
    audience: String,
    timeout: Duration,
    http: Client<HttpsDialer, Full<Bytes>>,
    clock: Arc<dyn Clock>,
    /// Held across a fetch: callers queue behind the one request in flight.
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    cached: Option<(Arc<Token>, Instant)>,
    /// Server minus local wall clock, seconds, learnt from a refusal's `Date`.
    skew_secs: i64,
    generation: u64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource").field("client_id", &self.client_id).field("token_url", &self.token_url).finish()
    }
}

impl TokenSource {
    pub fn from_config(c: &CentralConfig) -> Result<TokenSource, TokenError> {
        let a = &c.auth;
        let base = a.url.trim_end_matches('/');
        check_url(base)?;
        let key = SigningKey::load(&a.private_key, &a.public_key, &a.key_password)?;
        let tls = match crate::tls::http_client_config(&c.ssl)? {
            Some((config, _)) => config,
            None => crate::tls::default_https_config()?,
        };
        let https = https_connector(tls, c.proxy_url.get().cloned(), NoProxy::default(), a.timeout.get());
        Ok(TokenSource {
            key,
            client_id: a.client_id.trim().to_string(),
            token_url: format!("{base}/realms/{}/protocol/openid-connect/token", a.realm),
            audience: format!("{base}/realms/{}", a.realm),
            timeout: a.timeout.get(),
            http: Client::builder(TokioExecutor::new()).build(https),
            clock: Arc::new(SystemClock),
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    /// Replaces the clocks (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> TokenSource {
        self.clock = clock;
        self
    }

    /// The cached token, or a new one when it is due for refresh; concurrent callers share one request.
    pub async fn token(&self) -> Result<Arc<Token>, TokenError> {
        let mut state = self.state.lock().await;
        if let Some((token, refresh_at)) = &state.cached {
            if self.clock.now() < *refresh_at {
                return Ok(token.clone());
            }
        }
        let (value, expires_in) = match self.request(state.skew_secs).await {
            Err(Refusal { error, server_time: Some(server) }) => {
                let skew = server - self.clock.unix_now();
                if (skew - state.skew_secs).abs() <= MAX_SKEW_SECS {
                    return Err(error);
                }
                tracing::warn!(
                    skew_seconds = skew,
                    "this machine's clock is {}s {} AxwayID's; correcting the assertion's times and retrying",
                    skew.abs(),
                    if skew < 0 { "ahead of" } else { "behind" }
                );
                state.skew_secs = skew;
                self.request(skew).await.map_err(|r| r.error)?
            }
            other => other.map_err(|r| r.error)?,
        };
        state.generation += 1;
        let token = Arc::new(Token::new(value, state.generation));
        let refresh_at = self.clock.now() + expires_in.mul_f64(REFRESH_AT);
        state.cached = Some((token.clone(), refresh_at));
        tracing::info!(expires_in = ?expires_in, generation = state.generation, "obtained an AxwayID access token");
        Ok(token)
    }

    /// When the cached token is due for refresh (now when there is none).
    pub async fn refresh_due(&self) -> Instant {
        let state = self.state.lock().await;
        state.cached.as_ref().map(|(_, at)| *at).unwrap_or_else(|| self.clock.now())
    }

    async fn request(&self, skew_secs: i64) -> Result<(String, Duration), Refusal> {
        let assertion = client_assertion(&self.key, &self.client_id, &self.audience, self.clock.unix_now() + skew_secs);
        let form = format!(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"
        );
        let request = hyper::Request::post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from(form)))
            .expect("a valid request");
        let unreachable =
            |reason: String| Refusal::plain(TokenError::Unreachable { url: self.token_url.clone(), reason });
        let response = tokio::time::timeout(self.timeout, async {
            let response = self.http.request(request).await.map_err(|e| unreachable(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_REPLY_BYTES)
                .collect()
                .await
                .map_err(|e| unreachable(format!("reading the reply: {e}")))?
                .to_bytes();
            Ok::<_, Refusal>((parts, body))
        })
        .await
        .map_err(|_| unreachable(format!("no reply within central.auth.timeout ({:?})", self.timeout)))?;
        let (parts, body) = response?;
        let reply: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        if !parts.status.is_success() {
            let text = |k: &str| reply.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let error = TokenError::Refused {
                client_id: self.client_id.clone(),
                status: parts.status.as_u16(),
                error: text("error").unwrap_or_else(|| "no error code".into()),
                description: text("error_description").map(|d| format!(": {d}")).unwrap_or_default(),
            };
            let server_time = parts.headers.get("date").and_then(|d| d.to_str().ok()).and_then(http_date);
            return Err(Refusal { error, server_time: server_time.filter(|_| parts.status.is_client_error()) });
        }
        let bad =
            |reason: &str| Refusal::plain(TokenError::BadReply { url: self.token_url.clone(), reason: reason.into() });
        let value = reply.get("access_token").and_then(|v| v.as_str()).filter(|v| !v.is_empty());
        let value = value.ok_or_else(|| bad("no access_token"))?;
        let expires_in = reply.get("expires_in").and_then(|v| v.as_u64()).filter(|s| *s > 0);
        let expires_in = expires_in.ok_or_else(|| bad("no positive expires_in"))?;
        Ok((value.to_string(), Duration::from_secs(expires_in)))
    }
}

/// A failed request, with the server's clock when it told it.
struct Refusal {
    error: TokenError,
    server_time: Option<i64>,
}

impl Refusal {
    fn plain(error: TokenError) -> Refusal {
        Refusal { error, server_time: None }
    }
}

fn check_url(base: &str) -> Result<(), TokenError> {
    let bad = || TokenError::BadUrl(base.to_string());
    let uri: hyper::Uri = base.parse().map_err(|_| bad())?;
    let host = uri.host().ok_or_else(bad)?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if host == "localhost" || host.starts_with("127.") || host == "[::1]" => Ok(()),
        _ => Err(bad()),
    }
}

/// `Fri, 04 Dec 2026 17:07:59 GMT` as Unix seconds.
fn http_date(text: &str) -> Option<i64> {
    let format =
        format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
    PrimitiveDateTime::parse(text, format).ok().map(|t| t.assume_utc().unix_timestamp())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
