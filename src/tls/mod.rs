//! TLS client configuration for the Lumberjack connection (rustls): versions and cipher suites by
//! name, system or configured CAs, verification mode, client certificate, SNI.

mod policy;
mod verify;

#[cfg(test)]
mod tests;

pub use policy::{known_names, resolve, resolve_names, TlsPolicy, DEFAULT_SUITES};

use crate::config::{HttpSslConfig, TlsVersion, TraceabilityConfig, VerificationMode};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use rustls::{crypto::CryptoProvider, RootCertStore};
use std::sync::Arc;

/// Why the TLS settings cannot be used. Each names the configuration key.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}", .0.iter().map(|(k, m)| format!("{k}: {m}")).collect::<Vec<_>>().join("; "))]
    Policy(Vec<(String, String)>),
    #[error("traceability.ssl.certificate_authorities: cannot read CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("traceability.ssl.certificate_authorities: {path} holds no PEM certificate")]
    CaEmpty { path: String },
    #[error("traceability.ssl.certificate_authorities: the system trust store is empty or unreadable; name a CA file")]
    NoRoots,
    #[error("{key}: cannot use {path}: {reason}")]
    ClientIdentity { key: &'static str, path: String, reason: String },
    #[error("traceability.ssl: {0}")]
    Rustls(#[from] rustls::Error),
}

impl TlsError {
    /// `(key, message)` pairs, for the configuration check.
    pub fn keyed(&self) -> Vec<(String, String)> {
        match self {
            TlsError::Policy(errors) => errors.clone(),
            other => {
                let text = other.to_string();
                match text.split_once(": ") {
                    Some((k, m)) if k.starts_with("traceability.") || k.starts_with("central.") => {
                        vec![(k.to_string(), m.to_string())]
                    }
                    _ => vec![("traceability.ssl".to_string(), text)],
                }
            }
        }
    }
}

/// What the Sender needs to open TLS connections.
#[derive(Clone)]
pub struct ClientTls {
    pub config: Arc<rustls::ClientConfig>,
    /// Name for SNI and the certificate check, when not the host's own.
    pub server_name: Option<String>,
    pub policy: TlsPolicy,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("server_name", &self.server_name)
            .field("policy", &self.policy.suite_names)
            .finish()
    }
}

impl ClientTls {
    /// One line for logs and `check-config`: effective versions and suites.
    pub fn describe(&self) -> String {
        let versions: Vec<String> = self.policy.versions.iter().map(TlsVersion::to_string).collect();
        format!("versions {}; cipher suites {}", versions.join(", "), self.policy.suite_names.join(", "))
    }
}

fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The client TLS setup, or `None` when `traceability.enable_ssl` is false. Warnings (dropped
/// suites, a raised minimum, no verification) are in `policy.warnings` for the caller to log.
pub fn client_config(t: &TraceabilityConfig) -> Result<Option<ClientTls>, TlsError> {
    if !t.enable_ssl {
        return Ok(None);
    }
    let ssl = &t.ssl;
    let mut policy = resolve(ssl, &provider()).map_err(TlsError::Policy)?;
    let provider = Arc::new(CryptoProvider { cipher_suites: policy.suites.clone(), ..provider() });
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&protocol_versions(&policy))?;
    let builder = match ssl.verification_mode {
        VerificationMode::None => {
            policy.warnings.push("traceability.ssl.verification_mode is none: the receiver's certificate is NOT checked; anyone on the path can read and change the events".into());
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verify::NoVerification::new(provider)))
        }
        VerificationMode::Certificate => {
            let roots = Arc::new(roots(&ssl.certificate_authorities)?);
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verify::ChainOnly::new(roots, provider)?))
        }
        VerificationMode::Full => builder.with_root_certificates(roots(&ssl.certificate_authorities)?),
    };
    let config = match (ssl.certificate.as_str(), ssl.key.as_str()) {
        ("", "") => builder.with_no_client_auth(),
        ("", _) | (_, "") => {
            return Err(TlsError::ClientIdentity {
                key: if ssl.certificate.is_empty() { "traceability.ssl.certificate" } else { "traceability.ssl.key" },
                path: if ssl.certificate.is_empty() { ssl.key.clone() } else { ssl.certificate.clone() },
                reason: "mutual TLS needs both traceability.ssl.certificate and traceability.ssl.key".into(),
            })
        }
        (cert, key) => {
            let (certs, key) = client_identity(cert, key)?;
            builder.with_client_auth_cert(certs, key)?
        }
    };
    let server_name = Some(ssl.server_name.clone()).filter(|s| !s.is_empty());
    Ok(Some(ClientTls { config: Arc::new(config), server_name, policy }))
}

fn client_identity(cert: &str, key: &str) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).and_then(|it| it.collect::<Result<Vec<_>, _>>()).map_err(|e| {
            TlsError::ClientIdentity { key: "traceability.ssl.certificate", path: cert.into(), reason: e.to_string() }
        })?;
    if certs.is_empty() {
        return Err(TlsError::ClientIdentity {
            key: "traceability.ssl.certificate",
            path: cert.into(),
            reason: "no PEM certificate in it".into(),
        });
    }
    // The key's bytes never go into a message: only the file name and the parser's reason.
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::ClientIdentity {
        key: "traceability.ssl.key",
        path: key.into(),
        reason: format!("not a readable unencrypted PEM private key ({e})"),
    })?;
    Ok((certs, key))
}

fn roots(ca_files: &[String]) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    if ca_files.is_empty() {
        let found = rustls_native_certs::load_native_certs();
        store.add_parsable_certificates(found.certs);
        if store.is_empty() {
            return Err(TlsError::NoRoots);
        }
        return Ok(store);
    }
    for path in ca_files {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| TlsError::CaFile { path: path.clone(), reason: e.to_string() })?;
        if certs.is_empty() {
            return Err(TlsError::CaEmpty { path: path.clone() });
        }
        for cert in certs {
            store.add(cert).map_err(|e| TlsError::CaFile { path: path.clone(), reason: e.to_string() })?;
        }
    }
    Ok(store)
}

/// The TLS setup of the HTTPS clients (`central.ssl`), or `None` when it is left at the defaults
/// (the AWS SDK's own client then applies its equivalent defaults). Trusts the system store.
pub fn http_client_config(c: &HttpSslConfig) -> Result<Option<(rustls::ClientConfig, TlsPolicy)>, TlsError> {
    if *c == HttpSslConfig::default() {
        return Ok(None);
    }
    let mut policy = resolve_names("central.ssl", c.min_version, c.max_version, &c.cipher_suites, &provider())
        .map_err(TlsError::Policy)?;
    let provider = Arc::new(CryptoProvider { cipher_suites: policy.suites.clone(), ..provider() });
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&protocol_versions(&policy))?;
    let config = if c.insecure_skip_verify {
        policy
            .warnings
            .push("central.ssl.insecure_skip_verify is true: AWS and Central certificates are NOT checked".into());
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verify::NoVerification::new(provider)))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(&[]).map_err(|_| {
                TlsError::Policy(vec![("central.ssl".into(), "the system trust store is empty or unreadable".into())])
            })?)
            .with_no_client_auth()
    };
    Ok(Some((config, policy)))
}

/// The HTTPS client TLS when `central.ssl` is left at its defaults: TLS1.2+, AEAD suites, the
/// system trust store.
pub fn default_https_config() -> Result<rustls::ClientConfig, TlsError> {
    let roots = roots(&[]).map_err(|_| {
        TlsError::Policy(vec![("central.ssl".into(), "the system trust store is empty or unreadable".into())])
    })?;
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn protocol_versions(policy: &TlsPolicy) -> Vec<&'static rustls::SupportedProtocolVersion> {
    policy
        .versions
        .iter()
        .map(|v| if *v == TlsVersion::Tls13 { &rustls::version::TLS13 } else { &rustls::version::TLS12 })
        .collect()
}
