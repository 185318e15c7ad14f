//! Outbound proxies for every connection the agent opens: HTTP CONNECT, HTTPS and SOCKS5, for
//! the Lumberjack receivers (`traceability.proxy_url`), AxwayID (`central.proxy_url`) and the AWS
//! APIs (`aws.proxy_url`, else HTTPS_PROXY / ALL_PROXY with NO_PROXY, as the SDK reads them).

mod connector;
mod tunnel;
mod url;

pub use connector::{https_connector, Dialer, HttpsDialer};
pub use tunnel::{connect, socks5_reply_text, Stream, TunnelError};
pub use url::{ProxyKind, ProxySetting, ProxyUrl, ProxyUrlError};

/// Hosts reached directly despite a proxy: NO_PROXY's comma list. `*` matches every host; a name
/// matches itself and its subdomains (`example.com` and `.example.com` both match
/// `logs.example.com`); an address matches itself. Ports in entries are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy(Vec<String>);

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        NoProxy(
            list.split(',')
                .map(|entry| {
                    let entry = entry.trim().to_ascii_lowercase();
                    let entry = match entry.strip_prefix('[') {
                        Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
                        None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or_default().into(),
                        None => entry,
                    };
                    entry.trim_start_matches("*.").trim_start_matches('.').to_string()
                })
                .filter(|entry| !entry.is_empty())
                .collect(),
        )
    }

    /// NO_PROXY, else no_proxy, from `env`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> NoProxy {
        env("NO_PROXY").or_else(|| env("no_proxy")).map(|v| NoProxy::parse(&v)).unwrap_or_default()
    }

    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0.iter().any(|entry| {
            entry == "*"
                || host == *entry
                || (host.len() > entry.len()
                    && host.ends_with(entry.as_str())
                    && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
        })
    }
}

#[cfg(test)]
mod tests;
