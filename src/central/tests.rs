//! Tests of the key handling and the client assertion (the token endpoint itself is exercised
//! against a real OAuth server in tests/central_token.rs).

use super::*;
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

struct Keys {
    dir: tempfile::TempDir,
    pair: rcgen::KeyPair,
}

impl Keys {
    fn new() -> Keys {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("private.pem"), pair.serialize_pem()).unwrap();
        std::fs::write(dir.path().join("public.pem"), pair.public_key_pem()).unwrap();
        Keys { dir, pair }
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
    fn load(&self) -> Result<SigningKey, KeyError> {
        SigningKey::load(&self.path("private.pem"), &self.path("public.pem"), "")
    }
}

fn part(jwt: &str, i: usize) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

#[test]
fn the_assertion_is_an_rs256_jwt_with_axways_claims_and_kid() {
    let keys = Keys::new();
    let key = keys.load().unwrap();
    use rcgen::PublicKeyData;
    let spki = keys.pair.subject_public_key_info();
    let kid = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki).as_ref());
    assert_eq!(key.kid(), kid);

    let jwt = client_assertion(&key, "DOSA_1234", "https://login.example/auth/realms/Broker", 1_796_400_000);
    assert_eq!(part(&jwt, 0), serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}));
    let claims = part(&jwt, 1);
    assert_eq!(claims["iss"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer:DOSA_1234");
    assert_eq!(claims["sub"], "DOSA_1234");
    assert_eq!(claims["aud"], "https://login.example/auth/realms/Broker");
    assert_eq!((claims["iat"].as_i64(), claims["exp"].as_i64()), (Some(1_796_400_000), Some(1_796_400_060)));
    assert_eq!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap().get_version_num(), 4);
    let other = client_assertion(&key, "DOSA_1234", "a", 1_796_400_000);
    assert_ne!(part(&other, 1)["jti"], claims["jti"], "jti repeats");

    // The signature verifies with the public key alone.
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, keys.pair.der_bytes())
        .verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).unwrap())
        .expect("signature verifies");
}

#[test]
fn key_problems_name_the_file_and_the_key_to_fix() {
    let keys = Keys::new();
    let other = Keys::new();
    let mismatch = SigningKey::load(&keys.path("private.pem"), &other.path("public.pem"), "").unwrap_err();
    assert_eq!(mismatch.key(), "central.auth.public_key");
    assert_eq!(
        mismatch.to_string(),
        format!(
            "the public key in {} does not belong to the private key in {}",
            other.path("public.pem"),
            keys.path("private.pem")
        )
    );
    let missing = SigningKey::load(&keys.path("nope.pem"), &keys.path("public.pem"), "").unwrap_err();
    assert_eq!(missing.key(), "central.auth.private_key");
    assert!(missing.to_string().starts_with(&format!("cannot read {}: ", keys.path("nope.pem"))), "{missing}");
    // A public key given as the private key, and the other way round.
    let swapped = SigningKey::load(&keys.path("public.pem"), &keys.path("private.pem"), "").unwrap_err();
    assert!(matches!(swapped, KeyError::NoPrivateKey { .. }), "{swapped}");
    let swapped = SigningKey::load(&keys.path("private.pem"), &keys.path("private.pem"), "").unwrap_err();
    assert!(matches!(swapped, KeyError::NoPublicKey { .. }), "{swapped}");
    // Debug shows the kid and nothing of the key.
    let key = keys.load().unwrap();
    assert_eq!(format!("{key:?}"), format!("SigningKey {{ kid: {:?}, .. }}", key.kid()));
}

#[test]
fn a_token_never_shows_in_debug() {
    let t = Token::new("eyJsecret", 3);
    assert_eq!(format!("{t:?}"), "Token(generation 3, \"********\")");
    assert_eq!(t.expose(), "eyJsecret");
}

#[test]
fn the_token_url_must_be_https_except_on_loopback() {
    let keys = Keys::new();
    let mut c = crate::config::CentralConfig::default();
    c.auth.client_id = "c".into();
    c.auth.private_key = keys.path("private.pem");
    c.auth.public_key = keys.path("public.pem");
    for (url, ok) in [
        ("https://login.axway.com/auth", true),
        ("http://127.0.0.1:8080/auth", true),
        ("http://localhost:1/auth", true),
        ("http://login.axway.com/auth", false),
        ("ftp://x/auth", false),
        ("login.axway.com", false),
    ] {
        c.auth.url = url.into();
        let result = TokenSource::from_config(&c);
        assert_eq!(result.is_ok(), ok, "{url}: {:?}", result.err());
    }
}
