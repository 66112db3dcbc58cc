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
    pub fn interrupt(&self) {
        self.hooks.request_interrupt();
    }

    /// Whether the program has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Interrupts the program and waits up to `timeout` for it to end. A program that catches
    /// the interrupt is also asked to end at its next wait, as if it called `sys.exit(0)`.
    /// Returns its exit status, or None if it still runs (in-process code cannot be killed:
    /// a program that never waits runs on).
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
    pub fn join(&mut self) -> ExitStatus {
        if let Some(thread) = self.thread.take() {
            self.status = Some(thread.join().unwrap_or(ExitStatus::EXCEPTION));
        }
        self.status.unwrap_or(ExitStatus::EXCEPTION)
    }

    /// Whether the program's host state is set up (its interpreter runs).
    pub fn is_running(&self) -> bool {
        !self.is_finished()
            && self
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
    }
}
