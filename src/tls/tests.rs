//! Tests of the TLS policy: every documented name, spellings, insecure names, versions.

use super::*;
use crate::config::{List, SslConfig, TlsVersion};

fn ssl(suites: &[&str], min: TlsVersion, max: TlsVersion) -> SslConfig {
    SslConfig { cipher_suites: List::of(suites), min_version: min, max_version: max, ..SslConfig::default() }
}

fn resolved(suites: &[&str], min: TlsVersion, max: TlsVersion) -> Result<TlsPolicy, Vec<(String, String)>> {
    resolve(&ssl(suites, min, max), &rustls::crypto::aws_lc_rs::default_provider())
}

/// The 25 names of the full list in shared/seed/aws-gateway-agent-security.md (copied: the build must not depend on shared/).
const SECURITY_DOCUMENT_NAMES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_RC4_128_SHA",
];

#[test]
fn every_name_of_the_security_document_is_accepted() {
    assert_eq!(known_names().len(), 25);
    for &name in SECURITY_DOCUMENT_NAMES {
        assert!(known_names().contains(&name), "{name}");
        // Alone, each is either usable or dropped with a warning: never an unknown name.
        match resolved(&[name], TlsVersion::Tls12, TlsVersion::Tls13) {
            Ok(p) => {
                assert!(p.suite_names.contains(&name) || p.warnings.iter().any(|w| w.contains(name)), "{name}: {p:?}")
            }
            Err(e) => panic!("{name} refused: {e:?}"),
        }
    }
}

#[test]
fn default_is_the_documents_list_without_cbc_plus_tls13() {
    let p = resolved(&[], TlsVersion::Tls12, TlsVersion::Tls13).unwrap();
    assert_eq!(p.suite_names, DEFAULT_SUITES);
    assert_eq!(p.suites.len(), 9);
    assert_eq!(p.versions, vec![TlsVersion::Tls12, TlsVersion::Tls13]);
    assert!(p.warnings.is_empty());
}

#[test]
fn openssl_like_spellings_name_the_same_suites() {
    let p = resolved(
        &["ECDHE-RSA-AES-128-GCM-SHA256", "ecdhe-ecdsa-aes256-gcm-sha384", "ECDHE-RSA-CHACHA20-POLY1305"],
        TlsVersion::Tls12,
        TlsVersion::Tls12,
    )
    .unwrap();
    assert_eq!(
        p.suite_names,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"
        ]
    );
}

#[test]
fn insecure_names_are_dropped_with_a_warning_naming_them_and_why() {
    let p = resolved(
        &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    )
    .unwrap();
    assert_eq!(p.warnings[0], "cipher suite TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 dropped: CBC mode is not offered by rustls (padding-oracle attacks; removed from TLS 1.3)");
    assert_eq!(p.warnings[1], "cipher suite TLS_RSA_WITH_RC4_128_SHA dropped: RC4 is broken (RFC 7465 forbids it)");
    // Naming no TLS 1.3 suite keeps TLS 1.3's suites, as Go does.
    assert_eq!(
        p.suite_names,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
}

#[test]
fn an_unknown_name_is_an_error_listing_the_valid_ones() {
    let e = resolved(&["TLS_FOO_BAR"], TlsVersion::Tls12, TlsVersion::Tls13).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].0, "traceability.ssl.cipher_suites");
    assert!(
        e[0].1
            .starts_with("invalid tls cipher suite 'TLS_FOO_BAR'; valid names: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "),
        "{}",
        e[0].1
    );
    assert!(e[0].1.ends_with("TLS_CHACHA20_POLY1305_SHA256"));
}

#[test]
fn a_policy_with_nothing_left_to_negotiate_is_an_error_that_says_what_to_use() {
    let e = resolved(
        &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
        TlsVersion::Tls12,
        TlsVersion::Tls12,
    )
    .unwrap_err();
    assert_eq!(e[0].0, "traceability.ssl.cipher_suites");
    assert!(e[0].1.starts_with("no configured cipher suite can be negotiated with versions TLS1.2..TLS1.2; use for example TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), "{}", e[0].1);
    // TLS 1.3 suites alone with TLS 1.2 only: nothing either.
    assert!(resolved(&["TLS_AES_128_GCM_SHA256"], TlsVersion::Tls12, TlsVersion::Tls12).is_err());
}

#[test]
fn versions_below_tls12_are_raised_or_refused() {
    let p = resolved(&[], TlsVersion::Tls10, TlsVersion::Tls13).unwrap();
    assert_eq!(p.versions, vec![TlsVersion::Tls12, TlsVersion::Tls13]);
    assert_eq!(
        p.warnings,
        vec!["traceability.ssl.min_version TLS1.0 raised to TLS1.2: TLS1.0 and TLS1.1 are insecure and not supported"]
    );
    let e = resolved(&[], TlsVersion::Tls10, TlsVersion::Tls11).unwrap_err();
    assert_eq!(e[0].0, "traceability.ssl.max_version");
    assert!(e[0].1.starts_with("TLS1.1 cannot be negotiated: only TLS1.2 and TLS1.3 are supported"), "{}", e[0].1);
    let e = resolved(&[], TlsVersion::Tls13, TlsVersion::Tls12).unwrap_err();
    assert_eq!(
        e[0],
        ("traceability.ssl.min_version".to_string(), "TLS1.3 is above traceability.ssl.max_version TLS1.2".to_string())
    );
    let p = resolved(&[], TlsVersion::Tls13, TlsVersion::Tls13).unwrap();
    assert_eq!(p.suite_names, ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]);
}

#[test]
fn a_client_certificate_needs_its_key() {
    let mut t = crate::config::TraceabilityConfig::default();
    t.ssl.certificate = "/etc/hostname".into();
    let e = client_config(&t).unwrap_err();
    assert_eq!(
        e.keyed(),
        vec![(
            "traceability.ssl.key".to_string(),
            "cannot use /etc/hostname: mutual TLS needs both traceability.ssl.certificate and traceability.ssl.key"
                .to_string()
        )]
    );
}
