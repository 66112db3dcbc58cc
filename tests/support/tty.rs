//! Drives the built `pymqtt` through a real pseudo-terminal: tmux runs it in a detached
//! session, keys go in with `send-keys` and the screen comes back with `capture-pane`.
//!
//! Every test gets its own tmux server (`tmux -S <socket in a temp dir>`), killed on drop, so
//! tests run in parallel without seeing each other and leave nothing behind. Waits poll the screen for a condition until a
//! deadline; a missed deadline fails the test with the whole screen.
//!
//! rustyline reads the terminal through a buffer that it drops when `readline` returns, so
//! keys sent in one burst across several lines would be lost (as they would for a human who
//! typed that fast). [`Tty::line`] therefore sends one line, waits for its echo, presses
//! Enter and waits for the next prompt.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::deadlines::WAIT;
use super::processes::bin;
use super::scripts::{TempDir, unique_id};

/// The prompts the REPL shows.
const PROMPTS: [&str; 3] = [">>>", "...", "==="];

/// How to start pymqtt in the terminal.
pub struct TtyCommand {
    args: Vec<String>,
    envs: Vec<(String, String)>,
    cwd: Option<PathBuf>,
}

impl TtyCommand {
    /// `pymqtt ARGS...` (no arguments: the REPL).
    pub fn new<S: Into<String>>(args: impl IntoIterator<Item = S>) -> TtyCommand {
        TtyCommand {
            args: args.into_iter().map(Into::into).collect(),
            envs: Vec::new(),
            cwd: None,
        }
    }

    pub fn env(mut self, key: &str, value: impl AsRef<Path>) -> Self {
        self.envs
            .push((key.to_owned(), value.as_ref().display().to_string()));
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Starts it in a 120x40 terminal. Unless the test set `PYMQTT_HISTORY`, history goes to
    /// a file in the terminal's own temp dir (never the user's).
    pub fn start(self) -> Tty {
        let dir = TempDir::new("tty");
        let conf = dir.write(
            "tmux.conf",
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\n\
             set -g default-shell /bin/sh\n",
        );
        let mut envs = self.envs;
        if !envs.iter().any(|(k, _)| k == "PYMQTT_HISTORY") {
            let history = dir.path().join("history");
            envs.push(("PYMQTT_HISTORY".into(), history.display().to_string()));
        }
        let cwd = self.cwd.unwrap_or_else(|| dir.path().to_path_buf());

        // The shell survives Ctrl-C (a trap, which pymqtt does not inherit) and reports the
        // exit status once pymqtt ends.
        let mut line = format!(
            "trap : INT; cd {} && env -u PYMQTT_BROKER",
            quote(&cwd.display().to_string())
        );
        for (k, v) in &envs {
            let _ = write!(line, " {}", quote(&format!("{k}={v}")));
        }
        let _ = write!(line, " {}", quote(bin()));
        for a in &self.args {
            let _ = write!(line, " {}", quote(a));
        }
        line.push_str("; echo EXIT=$?");

        let tty = Tty {
            socket: dir.path().join("tmux.sock"),
            session: "repl".into(),
            _dir: dir,
            label: format!("pymqtt {:?}", self.args),
        };
        let out = tty
            .tmux()
            .arg("-f")
            .arg(&conf)
            .args(["new-session", "-d", "-x", "120", "-y", "40", "-s"])
            .arg(&tty.session)
            .arg(&line)
            .output()
            .expect("cannot run tmux (apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tty
    }
}

/// Single-quotes `s` for sh.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// pymqtt running in a tmux pane.
pub struct Tty {
    /// The tmux server's socket, in the temp dir (removed with it).
    socket: PathBuf,
    session: String,
    _dir: TempDir,
    label: String,
}

impl Tty {
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-u").arg("-S").arg(&self.socket);
        c
    }

    fn tmux_output(&self, args: &[&str]) -> String {
        let out = self
            .tmux()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux_output(&["send-keys", "-t", &self.session, "-l", "--", text]);
    }

    /// Presses tmux-named keys: `Enter`, `Tab`, `Up`, `BSpace`, `C-c`, `C-d`, `C-e`...
    pub fn press(&self, key: &str) {
        self.tmux_output(&["send-keys", "-t", &self.session, key]);
    }

    /// Pastes `text` as a terminal paste does (bracketed, when the program asked for it).
    pub fn paste(&self, text: &str) {
        let buffer = unique_id("paste");
        self.tmux_output(&["set-buffer", "-b", &buffer, "--", text]);
        self.tmux_output(&[
            "paste-buffer",
            "-p",
            "-d",
            "-b",
            &buffer,
            "-t",
            &self.session,
        ]);
    }

    /// Pastes `text` as a terminal without bracketed paste does: the characters as if typed
    /// very fast, each newline an Enter.
    pub fn paste_unbracketed(&self, text: &str) {
        let buffer = unique_id("paste");
        self.tmux_output(&["set-buffer", "-b", &buffer, "--", text]);
        self.tmux_output(&["paste-buffer", "-d", "-b", &buffer, "-t", &self.session]);
    }

    /// Types each line and its Enter in one go, faster than the program reads them.
    pub fn type_ahead(&self, lines: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        for line in lines {
            args.push(line);
            args.push("Enter");
        }
        self.tmux_output(&args);
    }

    /// Everything the pane shows and has scrolled away, wrapped lines joined, trailing
    /// spaces removed.
    pub fn screen(&self) -> String {
        let text = self.tmux_output(&["capture-pane", "-p", "-J", "-S", "-", "-t", &self.session]);
        let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines.join("\n")
    }

    /// The screen with its colours and attributes as escape sequences (`capture-pane -e`).
    pub fn screen_with_escapes(&self) -> String {
        self.tmux_output(&[
            "capture-pane",
            "-p",
            "-e",
            "-J",
            "-S",
            "-",
            "-t",
            &self.session,
        ])
    }

    /// The line the cursor is on, trailing spaces kept (they show the auto-indent).
    pub fn cursor_line(&self) -> String {
        let y = self.tmux_output(&["display-message", "-p", "-t", &self.session, "#{cursor_y}"]);
        let y = y.trim();
        let line = self.tmux_output(&[
            "capture-pane",
            "-p",
            "-N",
            "-S",
            y,
            "-E",
            y,
            "-t",
            &self.session,
        ]);
        line.trim_end_matches('\n').to_owned()
    }

    /// Waits until `pred(screen)` holds; fails the test with the screen after `WAIT`.
    pub fn wait_for(&self, what: &str, mut pred: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: waited {WAIT:?} for {what}; the screen:\n{screen}\n--------------",
                    self.label
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `needle` somewhere.
    pub fn wait_for_text(&self, needle: &str) -> String {
        self.wait_for(&format!("{needle:?} on the screen"), |s| s.contains(needle))
    }

    /// Waits until the screen has a line equal to `line` (trailing spaces ignored).
    pub fn wait_for_line(&self, line: &str) -> String {
        self.wait_for(&format!("a line {line:?}"), |s| {
            s.lines().any(|l| l == line)
        })
    }

    /// Waits until the cursor's line satisfies `pred`.
    pub fn wait_for_cursor_line(&self, what: &str, mut pred: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let line = self.cursor_line();
            if pred(&line) {
                return line;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: waited {WAIT:?} for the cursor line to be {what}; it is {line:?}; the screen:\n{}\n--------------",
                    self.label,
                    self.screen()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the cursor's line is exactly `expected` (trailing spaces included).
    pub fn expect_cursor_line(&self, expected: &str) {
        self.wait_for_cursor_line(&format!("{expected:?}"), |l| l == expected);
    }

    /// How many prompts the screen and its scrollback show.
    fn prompts(&self) -> usize {
        self.screen().lines().filter(|l| is_prompt_line(l)).count()
    }

    /// Waits for the first `>>> ` prompt (the REPL is reading the terminal).
    pub fn wait_ready(&self) {
        self.wait_for_cursor_line("a >>> prompt", |l| l.trim_end() == ">>>");
    }

    /// Types `text`, waits for its echo, presses Enter and waits for the next prompt
    /// (`>>> `, `... ` or `=== `); returns the screen then.
    pub fn line(&self, text: &str) -> String {
        if !text.is_empty() {
            self.type_text(text);
            self.wait_for_cursor_line(&format!("ending in {text:?}"), |l| {
                l.trim_end().ends_with(text.trim_end())
            });
        }
        self.enter()
    }

    /// Presses Enter and waits for the next prompt; returns the screen then.
    pub fn enter(&self) -> String {
        self.key_then_prompt("Enter")
    }

    /// Presses `key` and waits until a new prompt is where the cursor is.
    pub fn key_then_prompt(&self, key: &str) -> String {
        let before = self.prompts();
        self.press(key);
        self.wait_for(&format!("a new prompt after {key}"), |s| {
            s.lines().filter(|l| is_prompt_line(l)).count() > before
        });
        self.wait_for_cursor_line("a prompt", is_prompt_line);
        self.screen()
    }

    /// Waits for the shell's `EXIT=<status>` after pymqtt ends, and returns the status.
    pub fn wait_exit(&self) -> i32 {
        let screen = self.wait_for("EXIT=<status> (pymqtt ended)", |s| {
            s.lines().any(|l| l.starts_with("EXIT="))
        });
        let line = screen.lines().find(|l| l.starts_with("EXIT=")).unwrap();
        line["EXIT=".len()..]
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("bad exit line {line:?}"))
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

fn is_prompt_line(line: &str) -> bool {
    PROMPTS
        .iter()
        .any(|p| line.trim_end() == *p || line.strip_prefix(p).is_some_and(|r| r.starts_with(' ')))
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// Waits until the process's main thread has been asleep (state S in /proc) for ~100 ms in a
/// row: it blocks in a call rather than running Python code. Returns whether that was seen
/// within 3 s.
pub fn wait_blocked(pid: i32) -> bool {
    let stat = format!("/proc/{pid}/task/{pid}/stat");
    let mut asleep_in_a_row = 0;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let state = std::fs::read_to_string(&stat).ok().and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next())
        });
        match state {
            Some('S') => asleep_in_a_row += 1,
            Some(_) => asleep_in_a_row = 0,
            None => return false,
        }
        if asleep_in_a_row >= 5 {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}
