//! `central.*`: Amplify Central identifiers, the TLS policy of the HTTPS clients, and the AxwayID
//! service account whose token travels with the events.

use super::{Dur, List, ProxySetting, TlsVersion};
use serde::{Deserialize, Serialize};

/// `central.*`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CentralConfig {
    /// Amplify organization id (CENTRAL_ORGANIZATIONID); required by insights-v4.
    pub organization_id: String,
    /// Amplify environment name (CENTRAL_ENVIRONMENT).
    pub environment: String,
    /// Amplify environment id (CENTRAL_ENVIRONMENTID); required by insights-v4.
    pub environment_id: String,
    /// Deployment name stamped as apicDeployment (CENTRAL_DEPLOYMENT).
    pub deployment: String,
    /// TLS policy of the agent's HTTPS clients (AWS APIs, Amplify Central).
    pub ssl: HttpSslConfig,
    /// Proxy to AxwayID: `http://`, `https://` or `socks5://`, with optional `user:password@`
    /// (CENTRAL_PROXYURL).
    pub proxy_url: ProxySetting,
    /// The AxwayID service account whose access token goes with every event (`fields.token`).
    pub auth: CentralAuthConfig,
}

/// `central.ssl.*`: TLS of the HTTPS clients, named as Axway's agents name them. Left at the
/// defaults, and without a proxy, AWS calls use the SDK's own client (TLS1.2+, AEAD suites); any
/// change switches them to the agent's client, which applies exactly this policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSslConfig {
    /// Lowest TLS version (CENTRAL_SSL_MINVERSION); TLS1.0/1.1 are raised to TLS1.2 with a warning.
    pub min_version: TlsVersion,
    /// Highest TLS version (CENTRAL_SSL_MAXVERSION).
    pub max_version: TlsVersion,
    /// Cipher suites, as for traceability.ssl.cipher_suites (CENTRAL_SSL_CIPHERSUITES).
    pub cipher_suites: List,
    /// Accept any server certificate: for tests only, warned loudly (CENTRAL_SSL_INSECURESKIPVERIFY).
    pub insecure_skip_verify: bool,
}

impl Default for HttpSslConfig {
    fn default() -> Self {
        HttpSslConfig {
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            cipher_suites: List::default(),
            insecure_skip_verify: false,
        }
    }
}

impl Default for CentralConfig {
    fn default() -> Self {
        CentralConfig {
            organization_id: String::new(),
            environment: String::new(),
            environment_id: String::new(),
            deployment: "prod".into(),
            ssl: HttpSslConfig::default(),
            proxy_url: ProxySetting::default(),
            auth: CentralAuthConfig::default(),
        }
    }
}

/// `central.auth.*`: the client-credentials flow with a private-key JWT (RS256), as Axway's
/// agents do it. Leave `client_id` empty to send events without a token (own Logstash, Vector).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CentralAuthConfig {
    /// AxwayID base URL (CENTRAL_AUTH_URL); https, or http only to a loopback address.
    pub url: String,
    /// AxwayID realm (CENTRAL_AUTH_REALM).
    pub realm: String,
    /// Service account client id (CENTRAL_AUTH_CLIENTID); empty = no token.
    pub client_id: String,
    /// PEM file of the RSA private key: PKCS#8, encrypted PKCS#8 or PKCS#1 (CENTRAL_AUTH_PRIVATEKEY).
    pub private_key: String,
    /// PEM file of the matching public key, as registered for the service account (CENTRAL_AUTH_PUBLICKEY).
    pub public_key: String,
    /// File holding the password of an encrypted private key (CENTRAL_AUTH_KEYPASSWORD).
    pub key_password: String,
    /// Upper bound of one token request (CENTRAL_AUTH_TIMEOUT).
    pub timeout: Dur,
}

impl Default for CentralAuthConfig {
    fn default() -> Self {
        CentralAuthConfig {
            url: "https://login.axway.com/auth".into(),
            realm: "Broker".into(),
            client_id: String::new(),
            private_key: "/etc/private_key.pem".into(),
            public_key: "/etc/public_key".into(),
            key_password: String::new(),
            timeout: Dur::secs(10),
        }
    }
}

impl CentralAuthConfig {
    /// Tokens are requested only when a client id is set.
    pub fn enabled(&self) -> bool {
        !self.client_id.trim().is_empty()
    }
}
