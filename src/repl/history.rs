//! Input history kept across sessions: `$PYMQTT_HISTORY`, else `pymqtt/history` in the
//! user's data directory (`~/.local/share/pymqtt/history` on Linux). An empty
//! `PYMQTT_HISTORY` keeps history for the session only, as does input that is not a terminal.
//!
//! Each line is appended to the file as soon as it is entered, so a session that is killed
//! keeps its history; the file holds the last [`MAX_ENTRIES`] lines.

use std::io::IsTerminal;
use std::path::PathBuf;

use rustyline::history::FileHistory;
use rustyline::{Editor, Helper};

/// The environment variable naming the history file.
pub const ENV: &str = "PYMQTT_HISTORY";

/// How many lines the history keeps.
pub const MAX_ENTRIES: usize = 1000;

/// Where history is kept for this session.
pub struct History {
    path: Option<PathBuf>,
    warned: bool,
}

impl History {
    /// Picks the file from the environment and the platform's data directory. Input that
    /// is not a terminal (`... | pymqtt -i script.py`) is not recorded.
    pub fn from_env() -> History {
        let path = match std::env::var_os(ENV) {
            _ if !std::io::stdin().is_terminal() => None,
            Some(path) if path.is_empty() => None,
            Some(path) => Some(PathBuf::from(path)),
            None => dirs::data_dir().map(|dir| dir.join("pymqtt").join("history")),
        };
        History {
            path,
            warned: false,
        }
    }

    /// Loads earlier sessions' lines into `editor` (a missing file is a first session).
    pub fn load<H: Helper>(&mut self, editor: &mut Editor<H, FileHistory>) {
        let Some(path) = &self.path else { return };
        if path.exists()
            && let Err(e) = editor.load_history(path)
        {
            self.warn(&format!("cannot read {}: {e}", path.display()));
        }
    }

    /// Adds a line the user entered (not blank ones) and appends it to the file.
    pub fn add<H: Helper>(&mut self, editor: &mut Editor<H, FileHistory>, line: &str) {
        let line = line.trim_end();
        if line.trim().is_empty() {
            return;
        }
        if !matches!(editor.add_history_entry(line), Ok(true)) {
            return; // a repeat of the line before
        }
        let Some(path) = self.path.clone() else {
            return;
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            self.warn(&format!("cannot create {}: {e}", dir.display()));
            return;
        }
        if let Err(e) = editor.append_history(&path) {
            self.warn(&format!("cannot write {}: {e}", path.display()));
        }
    }

    /// Reports a history problem once per session; the REPL goes on without the file.
    fn warn(&mut self, message: &str) {
        if !self.warned {
            self.warned = true;
            eprintln!("pymqtt: history: {message} (set {ENV} to another file)");
        }
    }
}
