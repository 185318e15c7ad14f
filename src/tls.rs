//! TLS client configuration for the Lumberjack connection (rustls): system or configured CAs,
//! and the verification mode.

use crate::config::{TraceabilityConfig, VerificationMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime};
use rustls::{crypto::CryptoProvider, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("traceability.ssl.certificate_authorities: cannot read CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("traceability.ssl.certificate_authorities: {path} holds no PEM certificate")]
    CaEmpty { path: String },
    #[error("no trusted CA certificates: the system store is empty or unreadable; set traceability.ssl.certificate_authorities")]
    NoRoots,
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The client config, or `None` when `traceability.enable_ssl` is false.
pub fn client_config(t: &TraceabilityConfig) -> Result<Option<Arc<rustls::ClientConfig>>, TlsError> {
    if !t.enable_ssl {
        return Ok(None);
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let config = match t.ssl.verification_mode {
        VerificationMode::None => {
            tracing::warn!("traceability.ssl.verification_mode is none: the receiver's certificate is NOT checked; anyone on the path can read and change the events");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
                .with_no_client_auth()
        }
        VerificationMode::Full => {
            builder.with_root_certificates(roots(&t.ssl.certificate_authorities)?).with_no_client_auth()
        }
    };
    Ok(Some(Arc::new(config)))
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

/// `verification_mode: none`: accepts any certificate, but still checks the handshake signatures
/// so the session keys belong to whoever holds the presented certificate.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
