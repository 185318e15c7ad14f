//! The client assertion: a JWT signed RS256 with the service account's key, claims as AxwayID
//! expects them (iss/sub the client, aud the realm, a 60 s lifetime, a fresh jti).

use super::key::SigningKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

/// How long an assertion is valid.
pub const ASSERTION_LIFETIME_SECS: i64 = 60;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    kid: &'a str,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: String,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

/// `header.claims.signature`, each base64url without padding; `now` is Unix seconds.
pub fn client_assertion(key: &SigningKey, client_id: &str, audience: &str, now: i64) -> String {
    let header = Header { alg: "RS256", typ: "JWT", kid: key.kid() };
    let claims = Claims {
        iss: format!("urn:ietf:params:oauth:client-assertion-type:jwt-bearer:{client_id}"),
        sub: client_id,
        aud: audience,
        exp: now + ASSERTION_LIFETIME_SECS,
        iat: now,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let signing_input = format!("{}.{}", base64_json(&header), base64_json(&claims));
    let signature = URL_SAFE_NO_PAD.encode(key.sign(signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

fn base64_json<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JWT parts serialize"))
}
