use super::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn proxy_urls_parse_with_default_ports_and_decoded_credentials() {
    let p = ProxyUrl::parse("http://proxy.corp:3128").unwrap();
    assert_eq!((p.kind, p.host.as_str(), p.port, p.auth.is_none()), (ProxyKind::Http, "proxy.corp", 3128, true));
    assert_eq!(ProxyUrl::parse("https://proxy.corp").unwrap().port, 443);
    assert_eq!(ProxyUrl::parse("http://proxy.corp/").unwrap().port, 80);
    let s = ProxyUrl::parse("socks5://agent:p%40ss%3Aword@10.0.0.1").unwrap();
    assert_eq!((s.kind, s.port), (ProxyKind::Socks5, 1080));
    let (user, password) = s.auth.as_ref().unwrap();
    assert_eq!((user.as_str(), password.expose()), ("agent", "p@ss:word"));
    assert_eq!(ProxyUrl::parse("socks5h://[::1]:1081").unwrap().host, "::1");
}

#[test]
fn the_password_never_shows_in_display_debug_serialize_or_errors() {
    let p = ProxyUrl::parse("http://agent:hunter2@proxy:3128").unwrap();
    assert_eq!(p.to_string(), "http://agent:********@proxy:3128");
    assert_eq!(format!("{p:?}"), "ProxyUrl(http://agent:********@proxy:3128)");
    assert_eq!(p.address(), "http://proxy:3128");
    let setting: ProxySetting = serde_yaml_ng::from_str("\"http://agent:hunter2@proxy:3128\"").unwrap();
    assert_eq!(serde_yaml_ng::to_string(&setting).unwrap().trim(), "http://agent:********@proxy:3128");
    assert_eq!(ProxyUrl::parse("http://[::1]:8080").unwrap().address(), "http://[::1]:8080");
    for bad in ["ftp://agent:hunter2@proxy", "http://agent:hunter2@proxy/path", "hunter2", "http://:hunter2@proxy"] {
        let e = serde_yaml_ng::from_str::<ProxySetting>(&format!("\"{bad}\"")).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[test]
fn bad_proxy_urls_say_what_is_wrong() {
    assert_eq!(ProxyUrl::parse("ftp://proxy"), Err(ProxyUrlError::Scheme("ftp".into())));
    assert_eq!(ProxyUrl::parse("proxy:3128"), Err(ProxyUrlError::Scheme("proxy".into())));
    assert_eq!(ProxyUrl::parse("just words"), Err(ProxyUrlError::NotAUrl));
    assert_eq!(ProxyUrl::parse("http://proxy:3128/x?y"), Err(ProxyUrlError::Path));
    assert_eq!(ProxyUrl::parse("http://:secret@proxy"), Err(ProxyUrlError::PasswordWithoutUser));
    let long = format!("socks5://{}:p@proxy", "u".repeat(256));
    assert_eq!(ProxyUrl::parse(&long), Err(ProxyUrlError::Socks5AuthTooLong));
    let empty: ProxySetting = serde_yaml_ng::from_str("\"\"").unwrap();
    assert_eq!(empty.get(), None);
}

#[test]
fn the_environment_is_read_in_the_sdk_order() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    };
    let p = ProxyUrl::from_env(env(&[("ALL_PROXY", "socks5://a:1"), ("https_proxy", "http://b:2")])).unwrap();
    assert_eq!(p.unwrap().address(), "http://b:2");
    assert_eq!(ProxyUrl::from_env(env(&[("HTTPS_PROXY", "")])).unwrap(), None);
    let e = ProxyUrl::from_env(env(&[("HTTPS_PROXY", "gopher://x")])).unwrap_err();
    assert_eq!(e, ("HTTPS_PROXY".to_string(), ProxyUrlError::Scheme("gopher".into())));
}

#[test]
fn no_proxy_matches_hosts_domains_and_addresses() {
    let n = NoProxy::parse(" .internal.corp, example.com:443, 10.1.2.3, [::1]:80 ,");
    for host in
        ["logs.internal.corp", "internal.corp", "example.com", "a.b.example.com", "10.1.2.3", "::1", "EXAMPLE.COM."]
    {
        assert!(n.matches(host), "{host}");
    }
    for host in ["notexample.com", "corp", "10.1.2.30", "logs.amazonaws.com"] {
        assert!(!n.matches(host), "{host}");
    }
    assert!(NoProxy::parse("*").matches("anything"));
    assert!(!NoProxy::default().matches("anything"));
}

/// A peer on loopback that, step by step, reads so many bytes and answers: a proxy that misbehaves.
async fn scripted_peer(steps: &'static [(usize, &'static [u8])]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        for (expect, reply) in steps {
            let mut buf = vec![0u8; *expect];
            let _ = s.read_exact(&mut buf).await;
            let _ = s.write_all(reply).await;
        }
        let mut rest = [0u8; 64];
        let _ = s.read(&mut rest).await;
    });
    port
}

async fn connect_error(proxy: &str) -> String {
    let proxy = ProxyUrl::parse(proxy).unwrap();
    match connect("receiver.example", 5044, Some(&proxy), None, Duration::from_secs(5)).await {
        Ok(_) => panic!("a tunnel opened"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn refusals_and_garbage_from_a_proxy_are_named() {
    const CONNECT: usize = "CONNECT receiver.example:5044 HTTP/1.1\r\nHost: receiver.example:5044\r\n\r\n".len();
    let port = scripted_peer(&[(CONNECT, b"HTTP/1.1 403 Filtered\r\nContent-Length: 0\r\n\r\n")]).await;
    assert_eq!(
        connect_error(&format!("http://127.0.0.1:{port}")).await,
        format!("proxy http://127.0.0.1:{port} refused the tunnel to receiver.example:5044: HTTP/1.1 403 Filtered")
    );
    let port = scripted_peer(&[(CONNECT, b"SSH-2.0-OpenSSH_9.2\r\n\r\n")]).await;
    assert_eq!(
        connect_error(&format!("http://127.0.0.1:{port}")).await,
        format!("proxy http://127.0.0.1:{port} answered something that is not HTTP: status line 'SSH-2.0-OpenSSH_9.2'")
    );
    // SOCKS5: "no auth" accepted, then CONNECT answered with "connection refused".
    const SOCKS_CONNECT: usize = 4 + 1 + "receiver.example".len() + 2;
    let port = scripted_peer(&[(3, &[5, 0]), (SOCKS_CONNECT, &[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])]).await;
    assert_eq!(
        connect_error(&format!("socks5://127.0.0.1:{port}")).await,
        format!(
            "proxy socks5://127.0.0.1:{port} refused the tunnel to receiver.example:5044: SOCKS5 reply 5 (connection refused)"
        )
    );
    let port = scripted_peer(&[(3, &[5, 0xff])]).await;
    assert_eq!(
        connect_error(&format!("socks5://127.0.0.1:{port}")).await,
        format!(
            "proxy socks5://127.0.0.1:{port} refused the credentials in its URL (user and password): it requires authentication: put user:password@ in the proxy URL"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_proxy_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(s);
    });
    assert_eq!(
        connect_error(&format!("http://127.0.0.1:{port}")).await,
        format!("proxy http://127.0.0.1:{port}: no tunnel to receiver.example:5044 within 5s")
    );
}
