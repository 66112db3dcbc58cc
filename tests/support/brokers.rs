//! The brokers tests talk to: a real mosquitto per test on a free loopback port (configured
//! with users, ACLs, refused subscriptions, TLS or WebSocket listeners as a test asks), and
//! pymqtt's own embedded broker (`pymqtt broker`).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::deadlines::{WAIT, wait_until};
use super::json::json_str;
use super::processes::{Proc, Pymqtt};
use super::scripts::TempDir;

/// Every port `free_port` returned in this test process, so that two brokers of tests running
/// in parallel are never given the same one.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A loopback TCP port that was free a moment ago and has not been handed out before in this
/// test process. Nothing listens on it when this returns.
pub fn free_port() -> u16 {
    let mut guard = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().unwrap().port();
        if port != 1883 && set.insert(port) {
            return port;
        }
    }
}

/// How to configure a test's mosquitto.
#[derive(Default, Clone)]
pub struct MosquittoConfig {
    /// Users for a password file (made with `mosquitto_passwd -b`). Non-empty turns off
    /// anonymous access.
    pub users: Vec<(String, String)>,
    /// Contents of an `acl_file`. Note: mosquitto 2.0's acl_file is only checked for
    /// publish/receive; it never refuses a SUBSCRIBE (see `deny_subscribe`).
    pub acl: Option<String>,
    /// Topic filter patterns whose SUBSCRIBE is refused (SUBACK 0x80), through mosquitto's
    /// dynamic-security plugin applied to anonymous clients.
    pub deny_subscribe: Vec<String>,
    /// Lines for the broker's listener, after its `listener PORT 127.0.0.1`: e.g. `cafile`,
    /// `certfile`, `keyfile`, `require_certificate true` for TLS, `protocol websockets`.
    pub listener_options: Vec<String>,
    /// Also open a plain MQTT listener ([`Mosquitto::plain_port`]), for the independent
    /// client of a test whose main listener speaks TLS or WebSocket.
    pub plain_listener: bool,
}

/// A mosquitto broker on a free 127.0.0.1 port, killed on drop.
pub struct Mosquitto {
    child: Option<Child>,
    port: u16,
    plain_port: Option<u16>,
    dir: TempDir,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        Mosquitto::start_with(MosquittoConfig::default())
    }

    pub fn start_with(cfg: MosquittoConfig) -> Mosquitto {
        let dir = TempDir::new("mosquitto");
        let mut base =
            String::from("user root\npersistence false\nlog_dest stderr\nlog_type all\n");
        if cfg.users.is_empty() {
            base.push_str("allow_anonymous true\n");
        } else {
            let pw = dir.path().join("passwd");
            for (i, (u, p)) in cfg.users.iter().enumerate() {
                let mut c = Command::new("mosquitto_passwd");
                c.arg("-b");
                if i == 0 {
                    c.arg("-c");
                }
                let out = c
                    .arg(&pw)
                    .arg(u)
                    .arg(p)
                    .output()
                    .expect("run mosquitto_passwd");
                assert!(out.status.success(), "mosquitto_passwd failed: {out:?}");
            }
            let _ = writeln!(
                base,
                "allow_anonymous false\npassword_file {}",
                pw.display()
            );
        }
        if let Some(acl) = &cfg.acl {
            let p = dir.write("acl", acl);
            let _ = writeln!(base, "acl_file {}", p.display());
        }
        if !cfg.deny_subscribe.is_empty() {
            let plugin = dynsec_plugin_path();
            let acls: Vec<String> = cfg
                .deny_subscribe
                .iter()
                .map(|t| {
                    format!(
                        r#"{{"acltype":"subscribePattern","topic":{},"priority":0,"allow":false}}"#,
                        json_str(t)
                    )
                })
                .collect();
            let json = format!(
                r#"{{"defaultACLAccess":{{"publishClientSend":true,"publishClientReceive":true,"subscribe":true,"unsubscribe":true}},
"clients":[],
"groups":[{{"groupname":"anon","roles":[{{"rolename":"denied"}}],"clients":[]}}],
"roles":[{{"rolename":"denied","acls":[{}]}}],
"anonymousGroup":"anon"}}"#,
                acls.join(",")
            );
            let p = dir.write("dynsec.json", json);
            let _ = writeln!(
                base,
                "plugin {}\nplugin_opt_config_file {}",
                plugin.display(),
                p.display()
            );
        }

        // A port picked now could be taken by the time mosquitto binds it: retry on another.
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let mut conf = format!("{base}listener {port} 127.0.0.1\n");
            for line in &cfg.listener_options {
                let _ = writeln!(conf, "{line}");
            }
            let plain_port = cfg.plain_listener.then(free_port);
            if let Some(plain) = plain_port {
                let _ = writeln!(conf, "listener {plain} 127.0.0.1");
            }
            let conf_path = dir.write("mosquitto.conf", conf);
            let log = Arc::new(Mutex::new(Vec::new()));
            match spawn_mosquitto(&conf_path, &log) {
                Some(child) => {
                    return Mosquitto {
                        child: Some(child),
                        port,
                        plain_port,
                        dir,
                        log,
                    };
                }
                None => last_log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned(),
            }
        }
        panic!("mosquitto did not start; last log:\n{last_log}");
    }

    /// Kills the broker (as [`Mosquitto::stop`]) and starts a new one with the same
    /// configuration on the same port, as a restarted broker without persistence: every
    /// session and subscription is gone. Its log is appended to the old one.
    pub fn restart(&mut self) {
        self.stop();
        let conf_path = self.dir.path().join("mosquitto.conf");
        // The port was ours a moment ago; give the kernel a few tries to hand it back.
        for _attempt in 0..5 {
            if let Some(child) = spawn_mosquitto(&conf_path, &self.log) {
                self.child = Some(child);
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "mosquitto did not restart on port {}; log:\n{}",
            self.port,
            self.log()
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the plain MQTT listener asked for with `plain_listener`.
    pub fn plain_port(&self) -> u16 {
        self.plain_port
            .expect("MosquittoConfig::plain_listener was not set")
    }

    /// "127.0.0.1:PORT"
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned()
    }

    /// How many bytes of log there are so far: a mark for [`Mosquitto::expect_log_since`].
    pub fn log_len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Waits until the log after byte `mark` has a line containing `needle` (with
    /// `log_type all`, e.g. "Received SUBSCRIBE from CLIENT_ID"); fails the test after [`WAIT`].
    pub fn expect_log_since(&self, mark: usize, needle: &str) {
        let found = wait_until(WAIT, || {
            let log = self.log.lock().unwrap();
            String::from_utf8_lossy(&log[mark.min(log.len())..]).contains(needle)
        });
        assert!(
            found,
            "mosquitto log has no {needle:?} after byte {mark} within {WAIT:?}; log:\n{}",
            self.log()
        );
    }

    /// Kills the broker (SIGKILL) and reaps it: every client connection drops at once.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts mosquitto with `conf_path`, its stderr appended to `log`, and waits until it says
/// it is running. None (the child killed) when it does not within [`WAIT`].
fn spawn_mosquitto(conf_path: &Path, log: &Arc<Mutex<Vec<u8>>>) -> Option<Child> {
    let mut child = Command::new("mosquitto")
        .arg("-c")
        .arg(conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run mosquitto (apt-get install mosquitto mosquitto-clients)");
    let (tx, rx) = mpsc::channel::<()>();
    {
        let log = Arc::clone(log);
        let stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut tx = Some(tx);
            loop {
                let mut buf = Vec::new();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let running = String::from_utf8_lossy(&buf).contains(" running");
                        log.lock().unwrap().extend_from_slice(&buf);
                        if running && let Some(tx) = tx.take() {
                            let _ = tx.send(());
                        }
                    }
                }
            }
        });
    }
    match rx.recv_timeout(WAIT) {
        Ok(()) => Some(child),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// Where Debian's mosquitto package puts the dynamic-security plugin.
fn dynsec_plugin_path() -> PathBuf {
    let out = Command::new("dpkg").args(["-L", "mosquitto"]).output();
    if let Ok(out) = out {
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            if l.ends_with("mosquitto_dynamic_security.so") {
                return PathBuf::from(l);
            }
        }
    }
    for p in [
        "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/mosquitto_dynamic_security.so",
    ] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("mosquitto_dynamic_security.so not found (is Debian's mosquitto package installed?)");
}

/// `pymqtt broker --port P` on a free port, once it says it listens.
pub fn start_embedded_broker() -> (Proc, u16) {
    let port = free_port();
    let mut b = Pymqtt::new()
        .args(["broker", "--port", &port.to_string()])
        .label("pymqtt broker")
        .spawn();
    b.expect_stderr_contains(&format!("listening on 127.0.0.1:{port}"));
    (b, port)
}
