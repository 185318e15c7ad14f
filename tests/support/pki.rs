//! Test certificates made at test time: a CA of its own, a server certificate for "localhost"
//! and a client certificate, all RSA, as PEM files in a temporary folder.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, PKCS_RSA_SHA256};
use std::path::PathBuf;

pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A CA name of its own, so that another Pki's CA is a stranger, not a namesake.
        let cn = format!("apigw-agent test CA {}", dir.path().file_name().unwrap().to_string_lossy());
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        for (name, san) in [("server", "localhost"), ("client", "apigw-agent-client")] {
            let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
            let cert = CertificateParams::new(vec![san.to_string()]).unwrap().signed_by(&key, &ca).unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}-key.pem")), key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    pub fn p(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }

    /// A rustls server presenting the "localhost" certificate.
    pub fn server_config(&self) -> std::sync::Arc<rustls::ServerConfig> {
        self.server_config_with(rustls::DEFAULT_VERSIONS)
    }

    /// [`Pki::server_config`] speaking only `versions`.
    pub fn server_config_with(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> std::sync::Arc<rustls::ServerConfig> {
        use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(self.path("server.pem")).unwrap().map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_file(self.path("server-key.pem")).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        std::sync::Arc::new(config)
    }
}
