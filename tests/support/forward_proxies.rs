//! Real forward proxies on loopback, from Debian's packages (installed by scripts/test.sh):
//! tinyproxy (HTTP CONNECT, Basic auth), microsocks (SOCKS5, user/password) and stunnel (TLS in
//! front of tinyproxy: an HTTPS proxy). Each logs the tunnels it opened, which the tests count.

use super::pki::Pki;
use super::KillOnDrop;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A proxy process on `port`, killed on drop; `log` is where it writes its tunnels.
pub struct ProxyDaemon {
    child: KillOnDrop,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(program: &str, args: &[&str], output: &std::path::Path) -> Child {
    let out = std::fs::File::create(output).unwrap();
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is installed by scripts/test.sh: {e}"))
}

impl ProxyDaemon {
    /// Waits until the proxy accepts connections.
    fn ready(mut self, what: &str) -> ProxyDaemon {
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("{what} exited ({status}) before listening:\n{log}");
            }
            assert!(Instant::now() < until, "{what} did not listen on {} within 10 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
        self
    }

    /// tinyproxy, requiring Basic auth when `auth` is given; any CONNECT port is allowed.
    pub fn tinyproxy(auth: Option<(&str, &str)>) -> ProxyDaemon {
        let dir = tempfile::tempdir().unwrap();
        let (port, log) = (free_port(), dir.path().join("tinyproxy.log"));
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\nLogLevel Connect\nLogFile \"{}\"\n",
            log.display()
        );
        if let Some((user, password)) = auth {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_path = dir.path().join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = spawn("tinyproxy", &["-d", "-c", &conf_path.display().to_string()], &dir.path().join("out"));
        ProxyDaemon { child: KillOnDrop(child), port, log, _dir: dir }.ready("tinyproxy")
    }

    /// microsocks, requiring user/password auth when `auth` is given.
    pub fn microsocks(auth: Option<(&str, &str)>) -> ProxyDaemon {
        let dir = tempfile::tempdir().unwrap();
        let (port, log) = (free_port(), dir.path().join("microsocks.log"));
        let port_text = port.to_string();
        let mut args = vec!["-i", "127.0.0.1", "-p", &port_text];
        if let Some((user, password)) = auth {
            args.extend(["-u", user, "-P", password]);
        }
        let child = spawn("microsocks", &args, &log);
        ProxyDaemon { child: KillOnDrop(child), port, log, _dir: dir }.ready("microsocks")
    }

    /// stunnel terminating TLS (the Pki's "localhost" certificate) in front of `upstream`.
    pub fn stunnel(pki: &Pki, upstream: u16) -> ProxyDaemon {
        let dir = tempfile::tempdir().unwrap();
        let (port, log) = (free_port(), dir.path().join("stunnel.log"));
        let conf = format!(
            "foreground = yes\npid =\noutput = {}\n[https-proxy]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{upstream}\ncert = {}\nkey = {}\n",
            log.display(),
            pki.p("server.pem"),
            pki.p("server-key.pem"),
        );
        let conf_path = dir.path().join("stunnel.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = spawn("stunnel", &[&conf_path.display().to_string()], &dir.path().join("out"));
        ProxyDaemon { child: KillOnDrop(child), port, log, _dir: dir }.ready("stunnel")
    }

    /// Tunnels the proxy opened to `port` (any host name), from its log.
    pub fn tunnels_to(&self, port: u16) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let (tinyproxy, microsocks) = (format!(":{port} HTTP/1.1"), format!(":{port}"));
        log.lines()
            .filter(|l| {
                (l.contains(": CONNECT ") && l.ends_with(&tinyproxy))
                    || (l.contains(": connected to ") && l.ends_with(&microsocks))
            })
            .count()
    }
}
