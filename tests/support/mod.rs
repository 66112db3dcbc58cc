//! Shared helpers for the integration tests.
//!
//! Everything here drives real parts: the built `pymqtt` binary run as a user runs it, a real
//! mosquitto broker started per test on a free loopback port, and an independent MQTT client
//! (rumqttc's sync API in a thread, or the mosquitto command-line clients).
//!
//! Nothing sleeps and hopes: every wait is for a condition (a line on a pipe, a packet, a
//! process exit, a file) with a deadline, and a missed deadline fails the test with the
//! child's full stdout/stderr.

#![allow(dead_code)]

pub mod certs;
pub mod package_index;
pub mod test_report;
pub mod tty;

use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

/// How long a test waits for something that normally takes well under a second. Only a
/// failing test ever waits this long.
pub const WAIT: Duration = Duration::from_secs(15);

/// The binary under test, as cargo built it.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pymqtt")
}

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// Temp dirs and ports
// ---------------------------------------------------------------------------------------------

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

/// A unique id usable as an MQTT client id or topic segment.
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}-{}", unique_suffix())
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("pymqtt-test-{tag}-{}", unique_suffix()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` inside the dir and returns the full path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&p, contents).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

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

/// Polls `cond` every 10 ms until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Fills `@NAME@` placeholders in a script template (Python braces stay untouched).
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("@{k}@"), v);
    }
    assert!(
        !s.contains("@PORT@"),
        "unfilled @PORT@ placeholder in script:\n{s}"
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Reading a child's pipes
// ---------------------------------------------------------------------------------------------

/// A pipe read on a thread: complete lines go to a channel as they arrive, and everything
/// read (partial last line included) is kept in `all`.
struct PipeReader {
    rx: Receiver<String>,
    all: Arc<Mutex<Vec<u8>>>,
    handle: Option<JoinHandle<()>>,
}

impl PipeReader {
    fn start(pipe: impl Read + Send + 'static, name: &str) -> PipeReader {
        let (tx, rx) = mpsc::channel();
        let all = Arc::new(Mutex::new(Vec::new()));
        let all2 = Arc::clone(&all);
        let handle = thread::Builder::new()
            .name(format!("pipe-{name}"))
            .spawn(move || {
                let mut r = BufReader::new(pipe);
                loop {
                    let mut buf = Vec::new();
                    match r.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            all2.lock().unwrap().extend_from_slice(&buf);
                            let line = String::from_utf8_lossy(&buf);
                            let line = line.trim_end_matches(['\n', '\r']).to_string();
                            let _ = tx.send(line);
                        }
                    }
                }
            })
            .expect("spawn pipe reader");
        PipeReader {
            rx,
            all,
            handle: Some(handle),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.all.lock().unwrap()).into_owned()
    }

    fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running pymqtt
// ---------------------------------------------------------------------------------------------

/// How to run the binary: `Pymqtt::new().arg(..).cwd(..).spawn()` or `.run()`.
pub struct Pymqtt {
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    envs: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    label: String,
}

impl Default for Pymqtt {
    fn default() -> Self {
        Self::new()
    }
}

impl Pymqtt {
    pub fn new() -> Pymqtt {
        Pymqtt {
            args: Vec::new(),
            cwd: None,
            envs: Vec::new(),
            stdin: None,
            label: String::new(),
        }
    }

    /// Writes `source` as `name` into `dir` and returns a runner for `pymqtt <that path>`.
    /// The working directory is `dir`.
    pub fn script(dir: &TempDir, name: &str, source: &str) -> Pymqtt {
        let path = dir.write(name, source);
        Pymqtt::new().cwd(dir.path()).arg(path)
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, it: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }

    /// Puts arguments before the ones given so far (for options like `--broker X SCRIPT`).
    pub fn pre_args<I, S>(mut self, it: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut v: Vec<OsString> = it.into_iter().map(Into::into).collect();
        v.append(&mut self.args);
        self.args = v;
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        self.envs.push((k.into(), v.into()));
        self
    }

    /// Feeds these bytes on stdin (then closes it). Without it stdin is /dev/null.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn label(mut self, l: &str) -> Self {
        self.label = l.to_string();
        self
    }

    pub fn spawn(self) -> Proc {
        let mut cmd = Command::new(bin());
        cmd.args(&self.args);
        // Nothing from the developer's environment may redirect the clients, or change
        // where modules are imported from.
        cmd.env_remove("PYMQTT_BROKER");
        cmd.env_remove("MICROPYPATH");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} {:?}: {e}", bin(), self.args));
        if let Some(bytes) = self.stdin {
            let mut sin = child.stdin.take().unwrap();
            thread::spawn(move || {
                let _ = sin.write_all(&bytes);
                // dropped here: stdin is closed
            });
        }
        let out = PipeReader::start(child.stdout.take().unwrap(), "stdout");
        let err = PipeReader::start(child.stderr.take().unwrap(), "stderr");
        let label = if self.label.is_empty() {
            format!("pymqtt {:?}", self.args)
        } else {
            self.label
        };
        Proc {
            child,
            out,
            err,
            status: None,
            label,
            started: Instant::now(),
        }
    }

    /// Runs to completion (killed and failed after `timeout`).
    pub fn run(self, timeout: Duration) -> Finished {
        let mut p = self.spawn();
        let status = p.wait_exit(timeout);
        Finished {
            status,
            stdout: p.stdout(),
            stderr: p.stderr(),
            label: p.label.clone(),
        }
    }
}

/// A finished run.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub label: String,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn describe(&self) -> String {
        format!(
            "{}\n  status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.label, self.status, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code, showing the whole run if it differs.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "unexpected exit status\n{}",
            self.describe()
        );
        self
    }

    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    pub fn assert_stdout_has_line(&self, line: &str) -> &Self {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "stdout has no line {line:?}\n{}",
            self.describe()
        );
        self
    }
}

/// A running pymqtt child; killed on drop if still running.
pub struct Proc {
    child: Child,
    out: PipeReader,
    err: PipeReader,
    status: Option<ExitStatus>,
    pub label: String,
    started: Instant,
}

impl Proc {
    /// Starts any program (mosquitto_sub, say) with stdout and stderr read line by line as
    /// for pymqtt, and stdin from /dev/null.
    pub fn spawn_command(mut cmd: Command, label: &str) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label}: {e}"));
        let out = PipeReader::start(child.stdout.take().unwrap(), "stdout");
        let err = PipeReader::start(child.stderr.take().unwrap(), "stderr");
        Proc {
            child,
            out,
            err,
            status: None,
            label: label.to_string(),
            started: Instant::now(),
        }
    }

    /// Everything read from stdout so far, byte for byte (`stdout()` is lossy UTF-8).
    pub fn stdout_bytes(&self) -> Vec<u8> {
        self.out.all.lock().unwrap().clone()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn stdout(&self) -> String {
        self.out.text()
    }

    pub fn stderr(&self) -> String {
        self.err.text()
    }

    pub fn describe(&mut self) -> String {
        let status = match self.status {
            Some(s) => format!("{s:?}"),
            None => match self.child.try_wait() {
                Ok(Some(s)) => {
                    self.status = Some(s);
                    format!("{s:?}")
                }
                _ => "still running".to_string(),
            },
        };
        // Give the pipe readers a moment to drain what an exited child left behind.
        if self.status.is_some() {
            self.out.join();
            self.err.join();
        }
        format!(
            "{}\n  status: {status} (after {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.label,
            self.started.elapsed(),
            self.stdout(),
            self.stderr()
        )
    }

    fn wait_line_in(
        &mut self,
        which: Which,
        timeout: Duration,
        pred: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            let rx = match which {
                Which::Out => &self.out.rx,
                Which::Err => &self.err.rx,
            };
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if pred(&line) {
                        return Ok(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Err("timed out".into()),
                Err(RecvTimeoutError::Disconnected) => return Err("pipe closed (EOF)".into()),
            }
        }
    }

    /// Waits for a stdout line for which `pred` holds; lines before it are skipped (they stay
    /// in `stdout()`). Returns None on timeout or EOF.
    pub fn try_stdout_line(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        self.wait_line_in(Which::Out, timeout, &mut pred).ok()
    }

    /// Waits for a stdout line equal to `line`; fails the test (with all output) otherwise.
    pub fn expect_stdout(&mut self, line: &str) -> String {
        self.expect_stdout_where(&format!("line == {line:?}"), WAIT, |l| l == line)
    }

    /// Waits for a stdout line containing `needle`.
    pub fn expect_stdout_contains(&mut self, needle: &str) -> String {
        self.expect_stdout_where(&format!("line containing {needle:?}"), WAIT, |l| {
            l.contains(needle)
        })
    }

    pub fn expect_stdout_where(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        match self.wait_line_in(Which::Out, timeout, &mut pred) {
            Ok(l) => l,
            Err(why) => panic!("waiting for stdout {what}: {why}\n{}", self.describe()),
        }
    }

    /// Waits for a stderr line containing `needle`.
    pub fn expect_stderr_contains(&mut self, needle: &str) -> String {
        let mut pred = |l: &str| l.contains(needle);
        match self.wait_line_in(Which::Err, WAIT, &mut pred) {
            Ok(l) => l,
            Err(why) => {
                panic!(
                    "waiting for stderr line containing {needle:?}: {why}\n{}",
                    self.describe()
                )
            }
        }
    }

    /// The next stdout line, whatever it is (fails on timeout/EOF).
    pub fn next_stdout_line(&mut self) -> String {
        self.expect_stdout_where("any line", WAIT, |_| true)
    }

    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none()
            && let Ok(Some(s)) = self.child.try_wait()
        {
            self.status = Some(s);
        }
        self.status
    }

    /// Fails the test if the child has exited.
    pub fn assert_running(&mut self) {
        if self.try_status().is_some() {
            panic!("child exited early\n{}", self.describe());
        }
    }

    /// Waits for the child to exit within `timeout`; on timeout kills it and fails the test.
    /// After this, `stdout()`/`stderr()` hold everything the child wrote.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match self.try_wait_exit(timeout) {
            Some(s) => s,
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "child did not exit within {timeout:?}; killed it\n{}",
                    self.describe()
                );
            }
        }
    }

    /// Like `wait_exit` but returns None on timeout (the child is left running).
    pub fn try_wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_status() {
                self.out.join();
                self.err.join();
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends a signal (libc::SIGINT, SIGTERM, SIGKILL...).
    pub fn signal(&mut self, sig: i32) {
        if self.try_status().is_none() {
            // SAFETY: plain kill(2) on our own child's pid.
            let rc = unsafe { libc::kill(self.pid(), sig) };
            assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
        }
    }

    /// Waits until the child's main thread has been asleep (state S in /proc) for ~100 ms in a
    /// row, i.e. it blocks in a call rather than running Python code. Used before sending a
    /// signal, so the signal lands inside the blocking call the test is about. Returns whether
    /// that was seen within 3 s; callers go on either way (a spinning child is tested too).
    pub fn wait_blocked(&mut self) -> bool {
        tty::wait_blocked(self.pid())
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    Out,
    Err,
}

/// A pymqtt child that may print ("Traceback" etc.); use it in messages.
pub fn assert_exit_code(p: &mut Proc, status: ExitStatus, code: i32) {
    if status.code() != Some(code) {
        panic!(
            "expected exit code {code}, got {status:?}\n{}",
            p.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// mosquitto
// ---------------------------------------------------------------------------------------------

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

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
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

// ---------------------------------------------------------------------------------------------
// The independent client: rumqttc
// ---------------------------------------------------------------------------------------------

/// What the independent client saw from the broker.
#[derive(Debug, Clone)]
pub enum Incoming {
    ConnAck(rumqttc::ConnAck),
    Publish(rumqttc::Publish),
    SubAck(rumqttc::SubAck),
    UnsubAck,
    PubAck(u16),
    PubComp(u16),
    Other(String),
    Error(String),
}

/// An independent MQTT 3.1.1 client (rumqttc's sync API; its event loop runs on a thread).
pub struct Peer {
    client: Client,
    rx: Receiver<Incoming>,
    pending: VecDeque<Incoming>,
    pub id: String,
}

impl Peer {
    /// Connects with a clean session to 127.0.0.1:`port`; fails the test on refusal.
    pub fn connect(port: u16, id: &str) -> Peer {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(30));
        let (p, ack) = Peer::connect_with(o);
        assert_eq!(
            ack.code,
            rumqttc::ConnectReturnCode::Success,
            "independent client {id} refused by broker on port {port}"
        );
        p
    }

    /// Connects with the given options and returns the CONNACK (whatever its code).
    pub fn connect_with(mut o: MqttOptions) -> (Peer, rumqttc::ConnAck) {
        o.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
        let id = o.client_id();
        let (client, mut connection) = Client::new(o, 1000);
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name(format!("peer-{id}"))
            .spawn(move || {
                for ev in connection.iter() {
                    let msg = match ev {
                        Ok(Event::Incoming(p)) => match p {
                            Packet::ConnAck(a) => Incoming::ConnAck(a),
                            Packet::Publish(p) => Incoming::Publish(p),
                            Packet::SubAck(a) => Incoming::SubAck(a),
                            Packet::UnsubAck(_) => Incoming::UnsubAck,
                            Packet::PubAck(a) => Incoming::PubAck(a.pkid),
                            Packet::PubComp(a) => Incoming::PubComp(a.pkid),
                            Packet::PingResp => continue,
                            other => Incoming::Other(format!("{other:?}")),
                        },
                        Ok(Event::Outgoing(_)) => continue,
                        Err(e) => {
                            let _ = tx.send(Incoming::Error(e.to_string()));
                            break; // no reconnect loops in tests
                        }
                    };
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn peer thread");
        let mut peer = Peer {
            client,
            rx,
            pending: VecDeque::new(),
            id: id.clone(),
        };
        let ack = match peer.next_where(WAIT, |i| {
            matches!(i, Incoming::ConnAck(_) | Incoming::Error(_))
        }) {
            Some(Incoming::ConnAck(a)) => a,
            Some(Incoming::Error(e)) => panic!("independent client {id}: connection error: {e}"),
            _ => panic!("independent client {id}: no CONNACK within {WAIT:?}"),
        };
        (peer, ack)
    }

    /// The next event matching `pred` within `timeout`; others are kept for later calls.
    pub fn next_where(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Incoming) -> bool,
    ) -> Option<Incoming> {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ev) => {
                    if pred(&ev) {
                        return Some(ev);
                    }
                    self.pending.push_back(ev);
                }
                Err(_) => return None,
            }
        }
    }

    /// Subscribes and waits for the SUBACK; returns its return codes.
    pub fn subscribe(&mut self, topic: &str, qos: QoS) -> Vec<rumqttc::SubscribeReasonCode> {
        self.client
            .subscribe(topic, qos)
            .expect("peer subscribe request");
        match self.next_where(WAIT, |i| {
            matches!(i, Incoming::SubAck(_) | Incoming::Error(_))
        }) {
            Some(Incoming::SubAck(a)) => {
                for c in &a.return_codes {
                    assert!(
                        !matches!(c, rumqttc::SubscribeReasonCode::Failure),
                        "peer subscription to {topic:?} refused"
                    );
                }
                a.return_codes
            }
            other => panic!("peer {}: no SUBACK for {topic:?}: {other:?}", self.id),
        }
    }

    /// Publishes; for QoS 1/2 waits until the broker's PUBACK/PUBCOMP arrives.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>, qos: QoS, retain: bool) {
        self.client
            .publish(topic, qos, retain, payload)
            .expect("peer publish request");
        let want: fn(&Incoming) -> bool = match qos {
            QoS::AtMostOnce => return,
            QoS::AtLeastOnce => {
                |i: &Incoming| matches!(i, Incoming::PubAck(_) | Incoming::Error(_))
            }
            QoS::ExactlyOnce => {
                |i: &Incoming| matches!(i, Incoming::PubComp(_) | Incoming::Error(_))
            }
        };
        match self.next_where(WAIT, want) {
            Some(Incoming::Error(e)) => panic!("peer {}: error while publishing: {e}", self.id),
            Some(_) => {}
            None => panic!("peer {}: no ack for publish to {topic:?}", self.id),
        }
    }

    /// The next PUBLISH within `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<rumqttc::Publish> {
        match self.next_where(timeout, |i| matches!(i, Incoming::Publish(_))) {
            Some(Incoming::Publish(p)) => Some(p),
            _ => None,
        }
    }

    /// The next PUBLISH or fail the test.
    pub fn expect_publish(&mut self, what: &str) -> rumqttc::Publish {
        self.recv(WAIT)
            .unwrap_or_else(|| panic!("peer {}: no PUBLISH ({what}) within {WAIT:?}", self.id))
    }

    /// Collects PUBLISHes until `n` arrived or `timeout` passed.
    pub fn collect(&mut self, n: usize, timeout: Duration) -> Vec<rumqttc::Publish> {
        let deadline = Instant::now() + timeout;
        let mut v = Vec::new();
        while v.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Some(p) => v.push(p),
                None => break,
            }
        }
        if v.len() < n {
            // Say why, for the failing assertion's output: a lost connection shows here.
            eprintln!(
                "peer {}: {} of {n} PUBLISHes; other events: {:?}",
                self.id,
                v.len(),
                self.pending
            );
        }
        v
    }

    pub fn disconnect(self) {
        let _ = self.client.disconnect();
    }
}

/// Publish payload as text (lossy), for messages.
pub fn text(p: &rumqttc::Publish) -> String {
    String::from_utf8_lossy(&p.payload).into_owned()
}

// ---------------------------------------------------------------------------------------------
// The other independent client: mosquitto_sub / mosquitto_pub
// ---------------------------------------------------------------------------------------------

/// `mosquitto_sub -p PORT -t TOPIC -C count -W secs -v` started in the background.
pub struct MosquittoSub {
    child: Child,
}

impl MosquittoSub {
    pub fn start(port: u16, topic: &str, count: usize, secs: u32) -> MosquittoSub {
        let child = Command::new("mosquitto_sub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                topic,
                "-q",
                "1",
                "-v",
            ])
            .args(["-C", &count.to_string(), "-W", &secs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mosquitto_sub");
        MosquittoSub { child }
    }

    /// Waits for it to end (it ends after `count` messages or `secs`), returns (ok, stdout).
    pub fn finish(mut self) -> (bool, String, String) {
        let mut out = String::new();
        let mut err = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .ok();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .ok();
        let st = self.child.wait().expect("wait mosquitto_sub");
        (st.success(), out, err)
    }
}

impl Drop for MosquittoSub {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `mosquitto_pub -p PORT -t TOPIC -m MSG -q QOS`, run to completion; fails the test on error.
pub fn mosquitto_pub(port: u16, topic: &str, msg: &str, qos: u8) {
    let out = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            topic,
            "-m",
            msg,
        ])
        .args(["-q", &qos.to_string()])
        .output()
        .expect("run mosquitto_pub");
    assert!(out.status.success(), "mosquitto_pub failed: {out:?}");
}

/// The usual head of a client test script: imports, and `PORT` set to the broker's port.
const SCRIPT_HEAD: &str =
    "import sys, time\nfrom umqtt.simple import MQTTClient, MQTTException\nPORT = @PORT@\n";

/// A client test script: [`SCRIPT_HEAD`] with `PORT = port`, then `body`.
#[allow(dead_code)]
pub fn script_for_port(port: u16, body: &str) -> String {
    fill(
        &format!("{SCRIPT_HEAD}{body}"),
        &[("PORT", &port.to_string())],
    )
}

/// `pymqtt broker --port P` on a free port, once it says it listens.
#[allow(dead_code)]
pub fn start_embedded_broker() -> (Proc, u16) {
    let port = free_port();
    let mut b = Pymqtt::new()
        .args(["broker", "--port", &port.to_string()])
        .label("pymqtt broker")
        .spawn();
    b.expect_stderr_contains(&format!("listening on 127.0.0.1:{port}"));
    (b, port)
}
