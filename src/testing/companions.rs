//! The other scripts of a test (`run OTHER.py [ARGS]` lines): each a pymqtt process of its
//! own, started by the harness against the test's broker (`--broker`), in the test's folder,
//! its output kept apart for the report. They end with the test: whatever still runs then is
//! killed; one that ended by itself with a failing status fails the test.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;

/// The report shows at most this many lines of a companion's output.
const SHOWN_LINES: usize = 20;

/// A companion script, running or ended.
#[derive(Debug)]
pub struct Companion {
    name: String,
    child: Child,
    /// stdout and stderr, as they came.
    output: Arc<Mutex<String>>,
    readers: Vec<thread::JoinHandle<()>>,
}

impl Companion {
    /// Starts `script` (relative to `folder`) with `args`, its MQTT clients sent to `broker`.
    pub fn start(
        folder: &Path,
        script: &str,
        args: &[String],
        broker: &str,
    ) -> Result<Companion, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot run {script}: {e}"))?;
        let path: PathBuf = folder.join(script);
        if !path.is_file() {
            return Err(format!(
                "cannot run {script}: there is no such file beside the test"
            ));
        }
        let mut child = Command::new(exe)
            .arg("--broker")
            .arg(broker)
            .arg(&path)
            .args(args)
            .current_dir(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {script}: {e}"))?;
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let streams: [Option<Box<dyn Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ];
        for mut stream in streams.into_iter().flatten() {
            let output = Arc::clone(&output);
            readers.push(thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = stream.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&chunk[..n]);
                    output
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_str(&text);
                }
            }));
        }
        Ok(Companion {
            name: script.to_string(),
            child,
            output,
            readers,
        })
    }

    /// A failure if it ended by itself with a failing status.
    pub fn failure(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) if !status.success() => Some(format!(
                "{} ended with status {} before the test did",
                self.name,
                status
                    .code()
                    .map_or_else(|| "(killed)".to_string(), |c| c.to_string())
            )),
            _ => None,
        }
    }

    /// Ends it if it still runs, and returns its output as report lines: `NAME | line`.
    pub fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let output = self.output.lock().unwrap_or_else(|p| p.into_inner());
        // The notice every redirected run starts with says nothing here.
        let lines: Vec<&str> = output
            .lines()
            .filter(|line| !line.starts_with("pymqtt: MQTT clients connect to "))
            .collect();
        let mut shown: Vec<String> = lines
            .iter()
            .take(SHOWN_LINES)
            .map(|line| format!("{} | {line}", self.name))
            .collect();
        if lines.len() > SHOWN_LINES {
            shown.push(format!(
                "{} | ... ({} more lines)",
                self.name,
                lines.len() - SHOWN_LINES
            ));
        }
        if lines.is_empty() {
            shown.push(format!("{} printed nothing", self.name));
        }
        shown
    }
}
