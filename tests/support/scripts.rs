//! What a test writes for pymqtt to run: a scratch folder, the scripts in it (templates with
//! `@NAME@` placeholders), and unique names for client ids and topics, so that tests running
//! in parallel never meet on a broker.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Counts names handed out, so that two made in the same nanosecond still differ.
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

/// The usual head of a client test script: imports, and `PORT` set to the broker's port.
const SCRIPT_HEAD: &str =
    "import sys, time\nfrom umqtt.simple import MQTTClient, MQTTException\nPORT = @PORT@\n";

/// A client test script: [`SCRIPT_HEAD`] with `PORT = port`, then `body`.
pub fn script_for_port(port: u16, body: &str) -> String {
    fill(
        &format!("{SCRIPT_HEAD}{body}"),
        &[("PORT", &port.to_string())],
    )
}

/// A Python string literal for a path, to put a test's file into a script.
pub fn py_path(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}
