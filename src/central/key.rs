//! The service account's RSA key pair: read from PEM files (PKCS#8, encrypted PKCS#8 or PKCS#1),
//! checked to belong together, and the `kid` AxwayID knows the public key by.

use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use std::fmt;
use std::path::Path;

/// Why the key files cannot be used. Messages name files, never their contents.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {path}: {reason}")]
    Read { key: &'static str, path: String, reason: String },
    #[error("{path} holds no PEM private key (expected PRIVATE KEY, ENCRYPTED PRIVATE KEY or RSA PRIVATE KEY)")]
    NoPrivateKey { path: String },
    #[error("{path} is a legacy OpenSSL-encrypted key; convert it with `openssl pkcs8 -topk8 -in {path}`")]
    LegacyEncrypted { path: String },
    #[error("{path} is encrypted: set central.auth.key_password to a file holding its password")]
    NeedsPassword { path: String },
    #[error("cannot decrypt {path} with the password in {password_path} (wrong password or unsupported cipher)")]
    Decrypt { path: String, password_path: String },
    #[error("{path} is not an RSA private key usable for RS256: {reason}")]
    NotRsa { path: String, reason: String },
    #[error("{path} holds no PEM public key (expected PUBLIC KEY, as `openssl rsa -pubout` writes it)")]
    NoPublicKey { path: String },
    #[error("the public key in {public} does not belong to the private key in {private}")]
    Mismatch { private: String, public: String },
}

impl KeyError {
    /// The configuration key to fix.
    pub fn key(&self) -> &'static str {
        match self {
            KeyError::Read { key, .. } => key,
            KeyError::Decrypt { .. } => "central.auth.key_password",
            KeyError::NoPublicKey { .. } | KeyError::Mismatch { .. } => "central.auth.public_key",
            _ => "central.auth.private_key",
        }
    }
}

/// Signs client assertions. Debug shows only the `kid`.
pub struct SigningKey {
    pair: RsaKeyPair,
    kid: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads the pair; `password_file` is empty for an unencrypted private key.
    pub fn load(private_key: &str, public_key: &str, password_file: &str) -> Result<SigningKey, KeyError> {
        let private_pem = read(private_key, "central.auth.private_key")?;
        let password = if password_file.is_empty() {
            None
        } else {
            let text = read(password_file, "central.auth.key_password")?;
            Some(String::from_utf8_lossy(&text).trim_end_matches(['\r', '\n']).to_string())
        };
        let pair = private_pair(&private_pem, private_key, password.as_deref(), password_file)?;
        let public_pem = read(public_key, "central.auth.public_key")?;
        let no_public = || KeyError::NoPublicKey { path: public_key.into() };
        let (label, spki) = pkcs8::der::pem::decode_vec(&public_pem).map_err(|_| no_public())?;
        if label != "PUBLIC KEY" {
            return Err(no_public());
        }
        // An SPKI ends with the PKCS#1 RSAPublicKey that the private key's public half is.
        if !spki.ends_with(pair.public_key().as_ref()) {
            return Err(KeyError::Mismatch { private: private_key.into(), public: public_key.into() });
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki);
        Ok(SigningKey { pair, kid: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()) })
    }

    /// base64url (no padding) of the SHA-256 of the DER public key, as AxwayID expects in `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut signature)
            .expect("RSA signing into a buffer of the modulus length");
        signature
    }
}

fn read(path: &str, key: &'static str) -> Result<Vec<u8>, KeyError> {
    std::fs::read(Path::new(path)).map_err(|e| KeyError::Read { key, path: path.into(), reason: e.to_string() })
}

fn private_pair(pem: &[u8], path: &str, password: Option<&str>, password_path: &str) -> Result<RsaKeyPair, KeyError> {
    if pem.windows(9).any(|w| w == b"Proc-Type") {
        return Err(KeyError::LegacyEncrypted { path: path.into() });
    }
    let (label, der) = pkcs8::der::pem::decode_vec(pem).map_err(|_| KeyError::NoPrivateKey { path: path.into() })?;
    let not_rsa = |e: aws_lc_rs::error::KeyRejected| KeyError::NotRsa { path: path.into(), reason: e.to_string() };
    match label {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).map_err(not_rsa),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der).map_err(not_rsa),
        "ENCRYPTED PRIVATE KEY" => {
            let password = password.ok_or_else(|| KeyError::NeedsPassword { path: path.into() })?;
            let decrypt = || KeyError::Decrypt { path: path.into(), password_path: password_path.into() };
            let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|_| decrypt())?;
            let plain = info.decrypt(password).map_err(|_| decrypt())?;
            RsaKeyPair::from_pkcs8(plain.as_bytes()).map_err(not_rsa)
        }
        _ => Err(KeyError::NoPrivateKey { path: path.into() }),
    }
}
