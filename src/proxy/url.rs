//! Proxy URLs as users write them (`http://`, `https://`, `socks5://`, with optional user and
//! password), parsed once at start-up, and shown everywhere with the password masked.

use crate::config::Secret;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How the agent talks to the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// `http://`: an HTTP CONNECT tunnel over plain TCP.
    Http,
    /// `https://`: an HTTP CONNECT tunnel inside TLS to the proxy.
    Https,
    /// `socks5://` or `socks5h://`: SOCKS5; the proxy resolves host names (libbeat's default).
    Socks5,
}

impl ProxyKind {
    fn default_port(self) -> u16 {
        match self {
            ProxyKind::Http => 80,
            ProxyKind::Https => 443,
            ProxyKind::Socks5 => 1080,
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            ProxyKind::Http => "http",
            ProxyKind::Https => "https",
            ProxyKind::Socks5 => "socks5",
        }
    }
}

/// One proxy: where it is and how to authenticate to it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    /// User and password (percent-decoded), for Basic auth or SOCKS5 user/password auth.
    pub auth: Option<(String, Secret)>,
}

/// Why a proxy URL was refused. The texts never repeat the URL: it may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyUrlError {
    #[error("not a URL (expected scheme://[user:password@]host[:port], scheme http, https or socks5)")]
    NotAUrl,
    #[error("scheme '{0}' is not supported: use http, https or socks5")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("a proxy URL takes no path, query or fragment")]
    Path,
    #[error("a password needs a user name")]
    PasswordWithoutUser,
    #[error("SOCKS5 user names and passwords are limited to 255 bytes")]
    Socks5AuthTooLong,
}

impl ProxyUrl {
    /// Parses `scheme://[user[:password]@]host[:port]`.
    pub fn parse(text: &str) -> Result<ProxyUrl, ProxyUrlError> {
        let url = url::Url::parse(text.trim()).map_err(|_| ProxyUrlError::NotAUrl)?;
        let kind = match url.scheme() {
            "http" => ProxyKind::Http,
            "https" => ProxyKind::Https,
            "socks5" | "socks5h" => ProxyKind::Socks5,
            other => return Err(ProxyUrlError::Scheme(other.to_string())),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or(ProxyUrlError::NoHost)?;
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(ProxyUrlError::Path);
        }
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = decode(url.username());
        let password = url.password().map(decode).unwrap_or_default();
        let auth = match (user.is_empty(), password.is_empty()) {
            (true, true) => None,
            (true, false) => return Err(ProxyUrlError::PasswordWithoutUser),
            (false, _) => Some((user, Secret::new(password))),
        };
        if kind == ProxyKind::Socks5 {
            if let Some((user, password)) = &auth {
                if user.len() > 255 || password.expose().len() > 255 {
                    return Err(ProxyUrlError::Socks5AuthTooLong);
                }
            }
        }
        Ok(ProxyUrl {
            kind,
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: url.port().unwrap_or(kind.default_port()),
            auth,
        })
    }

    /// `scheme://host:port`, without any credentials: for errors and logs.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.kind.scheme(), self.host, self.port)
        } else {
            format!("{}://{}:{}", self.kind.scheme(), self.host, self.port)
        }
    }

    /// The first of HTTPS_PROXY, https_proxy, ALL_PROXY, all_proxy that is set, as the AWS SDK's
    /// own client reads them. `None` when none is set; an error names the variable.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<ProxyUrl>, (String, ProxyUrlError)> {
        for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            if let Some(value) = env(name).filter(|v| !v.trim().is_empty()) {
                return ProxyUrl::parse(&value).map(Some).map_err(|e| (name.to_string(), e));
            }
        }
        Ok(None)
    }
}

/// `scheme://user:********@host:port`: the password never shows.
impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = self.address();
        match &self.auth {
            None => f.write_str(&address),
            Some((user, _)) => {
                let (scheme, rest) = address.split_once("://").unwrap_or(("", &address));
                write!(f, "{scheme}://{user}:********@{rest}")
            }
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// A `*.proxy_url` configuration value: empty for a direct connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySetting(pub Option<ProxyUrl>);

impl ProxySetting {
    pub fn get(&self) -> Option<&ProxyUrl> {
        self.0.as_ref()
    }
}

impl Serialize for ProxySetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            None => s.serialize_str(""),
            Some(p) => s.serialize_str(&p.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for ProxySetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through Secret, so that a type error cannot echo a password back.
        let text = Secret::deserialize(d)?;
        if text.expose().trim().is_empty() {
            return Ok(ProxySetting(None));
        }
        ProxyUrl::parse(text.expose()).map(|p| ProxySetting(Some(p))).map_err(de::Error::custom)
    }
}
