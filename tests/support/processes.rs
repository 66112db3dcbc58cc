//! Running the built `pymqtt` binary as a user runs it: [`Pymqtt`] says how, [`Proc`] is a
//! running child whose stdout and stderr are read line by line as they arrive, and
//! [`Finished`] a run that ended. A wait that misses its deadline fails the test with the
//! child's whole output.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::deadlines::WAIT;
use super::scripts::TempDir;
use super::tty;

/// The binary under test, as cargo built it.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pymqtt")
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

/// Fails the test unless `status` (of `p`) has exit code `code`, showing all `p` printed.
pub fn assert_exit_code(p: &mut Proc, status: ExitStatus, code: i32) {
    if status.code() != Some(code) {
        panic!(
            "expected exit code {code}, got {status:?}\n{}",
            p.describe()
        );
    }
}
