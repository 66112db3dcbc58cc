//! A program running on a thread of its own ([`Host::spawn`](super::Host::spawn)): the
//! embedding application interrupts it (`KeyboardInterrupt` at its next wait or bytecode
//! check), stops it (an interrupt, then the harness-style stop at its next wait) and waits for
//! its exit status. Each spawned program has its own host state: several run side by side
//! without seeing each other's redirect, connections or board.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ExitStatus;
use super::hooks::Hooks;
use super::state::HostState;

/// Where a running program's state appears once its interpreter is set up.
pub(super) type StateSlot = Arc<Mutex<Option<Arc<HostState>>>>;

/// A program started with [`Host::spawn`](super::Host::spawn).
///
/// ```
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let mut handle = Host::builder().build().spawn(Program::Source("total = 6 * 7".into())).unwrap();
/// assert_eq!(handle.join(), ExitStatus::SUCCESS);
/// ```
#[derive(Debug)]
pub struct ScriptHandle {
    thread: Option<JoinHandle<ExitStatus>>,
    /// The program's host state once it runs (its board, connections, timers).
    state: StateSlot,
    hooks: Hooks,
    status: Option<ExitStatus>,
}

impl ScriptHandle {
    pub(super) fn new(thread: JoinHandle<ExitStatus>, state: StateSlot, hooks: Hooks) -> Self {
        ScriptHandle {
            thread: Some(thread),
            state,
            hooks,
            status: None,
        }
    }

    /// Raises `KeyboardInterrupt` in the program at its next wait (`time.sleep()`,
    /// `sleep_ms()`, `wait_msg()`, `check_msg()`), as Ctrl-C does; the program may catch it.
    /// A program busy in its own code meets it at its next wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let script = "import time\n\
    ///               try:\n    while True:\n        time.sleep(0.05)\n\
    ///               except KeyboardInterrupt:\n    print('interrupted')";
    /// let mut handle = Host::builder().build().spawn(Program::Source(script.into())).unwrap();
    /// while !handle.is_running() {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// handle.interrupt();
    /// assert_eq!(handle.join(), ExitStatus::SUCCESS); // it caught the interrupt and ended
    /// ```
    pub fn interrupt(&self) {
        self.hooks.request_interrupt();
    }

    /// Whether the program has ended.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::{Host, Program};
    ///
    /// let mut handle = Host::builder().build().spawn(Program::Source("pass".into())).unwrap();
    /// while !handle.is_finished() {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// handle.join();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Interrupts the program and waits up to `timeout` for it to end. A program that catches
    /// the interrupt is also asked to end at its next wait, as if it called `sys.exit(0)`.
    /// Returns its exit status, or None if it still runs (in-process code cannot be killed:
    /// a program that never waits runs on).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let script = "import time\nwhile True:\n    time.sleep(1)";
    /// let mut handle = Host::builder().build().spawn(Program::Source(script.into())).unwrap();
    /// while !handle.is_running() {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// assert_eq!(handle.stop(Duration::from_secs(5)), Some(ExitStatus::INTERRUPTED));
    /// ```
    pub fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.interrupt();
        self.hooks.request_stop();
        let deadline = Instant::now() + timeout;
        while !self.is_finished() {
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Some(self.join())
    }

    /// Waits for the program to end and returns its exit status (a panic on its thread, which
    /// the host turns into Python exceptions, counts as an uncaught exception).
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().output(|_, _| {}).build();
    /// let mut handle = host.spawn(Program::Source("raise SystemExit(4)".into())).unwrap();
    /// assert_eq!(handle.join().code(), 4);
    /// assert_eq!(handle.join().code(), 4); // asked again, the same status
    /// ```
    pub fn join(&mut self) -> ExitStatus {
        if let Some(thread) = self.thread.take() {
            self.status = Some(thread.join().unwrap_or(ExitStatus::EXCEPTION));
        }
        self.status.unwrap_or(ExitStatus::EXCEPTION)
    }

    /// Whether the program's host state is set up (its interpreter runs).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::{Host, Program};
    ///
    /// let script = "import time\ntime.sleep(0.2)";
    /// let mut handle = Host::builder().build().spawn(Program::Source(script.into())).unwrap();
    /// // Until its interpreter is set up, a program is neither running nor finished.
    /// while !handle.is_running() && !handle.is_finished() {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// handle.join();
    /// ```
    pub fn is_running(&self) -> bool {
        !self.is_finished()
            && self
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
    }
}
