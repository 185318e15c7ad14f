//! A real OAuth token endpoint for the Central tests (tests/support/token_server.py, built on
//! authlib) and RSA key files made by the openssl command line, in every PEM form users have.

use super::KillOnDrop;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct TokenServer {
    _child: KillOnDrop,
    pub port: u16,
}

/// The venv's Python (beside $MOTO_SERVER, or .venv/bin), which has authlib.
fn python() -> PathBuf {
    let moto = std::env::var("MOTO_SERVER")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/moto_server").to_string());
    Path::new(&moto).with_file_name("python")
}

impl TokenServer {
    /// Accepts assertions signed by the key whose public half is `public_key`, for `client_id`.
    pub fn start(public_key: &Path, client_id: &str, expires_in: u64) -> TokenServer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/token_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("--public-key")
            .arg(public_key)
            .args(["--client-id", client_id, "--expires-in", &expires_in.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the token server: {e}. Run scripts/test.sh, which installs authlib.")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("token server said {line:?}"));
        TokenServer { port: port.parse().unwrap(), _child: KillOnDrop(child) }
    }

    /// What to put in central.auth.url.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/auth", self.port)
    }

    /// (token requests received, tokens issued)
    pub fn stats(&self) -> (u64, u64) {
        let (_, body) = super::http_get(self.port, "/stats");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        (v["requests"].as_u64().unwrap(), v["issued"].as_u64().unwrap())
    }
}

/// A fresh RSA key pair in `dir`: `private.pem` (PKCS#8), `public.pem` (SPKI), and the same private
/// key as `encrypted.pem` (PKCS#8, password in `password.txt`) and `rsa.pem` (PKCS#1).
pub fn openssl_keys(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (installed by scripts/test.sh)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "private.pem"]);
    openssl(&["pkey", "-in", "private.pem", "-pubout", "-out", "public.pem"]);
    std::fs::write(dir.join("password.txt"), "s3cret pass\n").unwrap();
    openssl(&["pkcs8", "-topk8", "-in", "private.pem", "-out", "encrypted.pem", "-passout", "file:password.txt"]);
    openssl(&["pkey", "-in", "private.pem", "-traditional", "-out", "rsa.pem"]);
}
