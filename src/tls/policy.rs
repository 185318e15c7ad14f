//! TLS policy from names: versions and cipher suites as Axway's agents spell them, mapped to what
//! rustls can negotiate. Known-but-insecure suites are dropped with a warning; unknown names and
//! policies that leave nothing to negotiate are errors that say what to use instead.

use crate::config::{SslConfig, TlsVersion};
use rustls::{crypto::CryptoProvider, CipherSuite, SupportedCipherSuite};

/// Why a suite the security document lists cannot be used.
const CBC: &str = "CBC mode is not offered by rustls (padding-oracle attacks; removed from TLS 1.3)";
const RC4: &str = "RC4 is broken (RFC 7465 forbids it)";
const DES3: &str = "3DES has 64-bit blocks (Sweet32) and is not offered by rustls";
const STATIC_RSA: &str = "static RSA key exchange has no forward secrecy and is not offered by rustls";

enum Known {
    Usable(CipherSuite),
    Insecure(&'static str),
}

/// Every cipher suite name the security document allows (IANA/Go spelling).
const SUITES: &[(&str, Known)] = &[
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", Known::Insecure(CBC)),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Known::Usable(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Known::Usable(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        Known::Usable(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ),
    ("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", Known::Insecure(RC4)),
    ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", Known::Insecure(DES3)),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Known::Insecure(CBC)),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Known::Usable(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Known::Usable(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", Known::Usable(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)),
    ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", Known::Insecure(RC4)),
    ("TLS_RSA_WITH_RC4_128_SHA", Known::Insecure(RC4)),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Known::Insecure(DES3)),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_RSA_WITH_AES_128_CBC_SHA256", Known::Insecure(CBC)),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", Known::Insecure(STATIC_RSA)),
    ("TLS_RSA_WITH_AES_256_CBC_SHA", Known::Insecure(CBC)),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", Known::Insecure(STATIC_RSA)),
    ("TLS_AES_128_GCM_SHA256", Known::Usable(CipherSuite::TLS13_AES_128_GCM_SHA256)),
    ("TLS_AES_256_GCM_SHA384", Known::Usable(CipherSuite::TLS13_AES_256_GCM_SHA384)),
    ("TLS_CHACHA20_POLY1305_SHA256", Known::Usable(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)),
];

/// The security document's default list, less its two CBC suites, plus the TLS 1.3 suites.
pub const DEFAULT_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// What a configuration resolves to.
#[derive(Debug, Clone)]
pub struct TlsPolicy {
    /// Versions offered, lowest first.
    pub versions: Vec<TlsVersion>,
    /// Suites offered, in the configured order, by IANA name.
    pub suite_names: Vec<&'static str>,
    pub suites: Vec<SupportedCipherSuite>,
    /// Things the user should know: dropped suites, a raised minimum.
    pub warnings: Vec<String>,
}

/// Folds spelling differences away: case, `-`/`_`, the `TLS` prefix and `WITH`, so that
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ECDHE-RSA-AES-128-GCM-SHA256 and OpenSSL's
/// ECDHE-RSA-AES128-GCM-SHA256 are the same suite.
fn normalize(name: &str) -> String {
    let upper: String = name.trim().to_ascii_uppercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let upper = upper.strip_prefix("TLS").unwrap_or(&upper).to_string();
    upper.replacen("WITH", "", 1)
}

fn lookup(name: &str) -> Option<&'static (&'static str, Known)> {
    let wanted = normalize(name);
    SUITES.iter().find(|(iana, _)| normalize(iana) == wanted)
}

/// TLS 1.3 suite names carry no key exchange ("_WITH_").
fn is_tls13(iana: &str) -> bool {
    !iana.contains("_WITH_")
}

/// Every name accepted, for error messages.
pub fn known_names() -> Vec<&'static str> {
    SUITES.iter().map(|(n, _)| *n).collect()
}

/// Resolves `ssl` (the `traceability.ssl` section) against `provider`. Errors are `(key, message)` pairs.
pub fn resolve(ssl: &SslConfig, provider: &CryptoProvider) -> Result<TlsPolicy, Vec<(String, String)>> {
    resolve_names("traceability.ssl", ssl.min_version, ssl.max_version, &ssl.cipher_suites, provider)
}

/// Resolves versions and suite names given under the section `prefix` (e.g. `central.ssl`).
pub fn resolve_names(
    prefix: &str,
    min_version: TlsVersion,
    max_version: TlsVersion,
    cipher_suites: &[String],
    provider: &CryptoProvider,
) -> Result<TlsPolicy, Vec<(String, String)>> {
    let key = |name: &str| format!("{prefix}.{name}");
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut min = min_version;
    if max_version < TlsVersion::Tls12 {
        errors.push((
            key("max_version"),
            format!("{max_version} cannot be negotiated: only TLS1.2 and TLS1.3 are supported (older versions are insecure); set TLS1.2 or TLS1.3"),
        ));
    }
    if min < TlsVersion::Tls12 {
        warnings.push(format!(
            "{} {min} raised to TLS1.2: TLS1.0 and TLS1.1 are insecure and not supported",
            key("min_version")
        ));
        min = TlsVersion::Tls12;
    }
    if min > max_version && max_version >= TlsVersion::Tls12 {
        errors.push((key("min_version"), format!("{min} is above {} {max_version}", key("max_version"))));
    }
    let versions: Vec<TlsVersion> =
        [TlsVersion::Tls12, TlsVersion::Tls13].into_iter().filter(|v| *v >= min && *v <= max_version).collect();

    let configured: Vec<String> = if cipher_suites.is_empty() {
        DEFAULT_SUITES.iter().map(|s| s.to_string()).collect()
    } else {
        cipher_suites.to_vec()
    };
    let mut names: Vec<&'static str> = Vec::new();
    for name in &configured {
        match lookup(name) {
            None => errors.push((
                key("cipher_suites"),
                format!("invalid tls cipher suite '{name}'; valid names: {}", known_names().join(", ")),
            )),
            Some((iana, Known::Insecure(why))) => warnings.push(format!("cipher suite {iana} dropped: {why}")),
            Some((iana, Known::Usable(_))) if !names.contains(iana) => names.push(iana),
            Some(_) => {}
        }
    }
    // As in Go, naming no TLS 1.3 suite leaves TLS 1.3's own suites on: they are all AEAD.
    if !cipher_suites.is_empty() && !names.iter().any(|n| is_tls13(n)) {
        names.extend(DEFAULT_SUITES.iter().filter(|n| is_tls13(n)));
    }
    let offered = |n: &&str| versions.contains(if is_tls13(n) { &TlsVersion::Tls13 } else { &TlsVersion::Tls12 });
    names.retain(offered);
    let suites: Vec<SupportedCipherSuite> = names
        .iter()
        .filter_map(|n| match lookup(n) {
            Some((_, Known::Usable(cs))) => provider.cipher_suites.iter().find(|s| s.suite() == *cs).copied(),
            _ => None,
        })
        .collect();
    if errors.is_empty() && (suites.is_empty() || versions.is_empty()) {
        errors.push((
            key("cipher_suites"),
            format!(
                "no configured cipher suite can be negotiated with versions {}..{}; use for example TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (TLS1.2) or TLS_AES_128_GCM_SHA256 (TLS1.3)",
                min, max_version
            ),
        ));
    }
    if errors.is_empty() {
        Ok(TlsPolicy { versions, suite_names: names, suites, warnings })
    } else {
        Err(errors)
    }
}
