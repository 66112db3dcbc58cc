//! The test harness's stop request (`pymqtt test`, src/host/hooks.rs) where Python code
//! waits on its own: asyncio's event loop waits in its selector, not in `time.sleep()` or
//! `wait_msg()`, whose stop points the native code has (pylib/asyncio/__init__.py); and the
//! KeyboardInterrupt a script schedules for its next wait (pylib/micropython.py).

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use rustpython_vm::{PyResult, VirtualMachine};

    use crate::host::state as host_state;

    /// Whether a harness is attached: a waiting loop then looks for its stop request.
    #[pyfunction]
    fn harness_attached(vm: &VirtualMachine) -> bool {
        host_state::of(vm).hooks.attached()
    }

    /// On a virtual clock (`clock virtual`): waits as an event loop waits in its selector,
    /// `seconds` at most (None: for I/O alone), moving the clock on as a sleep does; one turn
    /// of it, after which the loop looks at its sockets and timers again. False (and no wait)
    /// on the real clock.
    #[pyfunction]
    fn virtual_wait(seconds: Option<f64>, vm: &VirtualMachine) -> PyResult<bool> {
        let Some(clock) = host_state::of(vm).clock.clone() else {
            return Ok(false);
        };
        let length = seconds
            .and_then(|s| std::time::Duration::try_from_secs_f64(s.max(0.0)).ok())
            .unwrap_or(std::time::Duration::MAX);
        let until = clock.now().saturating_add(length);
        vm.allow_threads(|| clock.wait(Some(until), std::time::Duration::from_millis(2)));
        // A timer that fired in the wait runs its callback now, before the loop's own.
        vm.check_signals()?;
        Ok(true)
    }

    /// Raises KeyboardInterrupt at the script's next wait, once: MicroPython's
    /// `micropython.schedule(micropython.kbd_intr, ...)`, a Ctrl-C a script asks for itself.
    #[pyfunction]
    fn interrupt_at_next_wait(vm: &VirtualMachine) {
        host_state::of(vm).hooks.request_interrupt();
    }

    /// Raises SystemExit(0) if the harness asked the script to stop.
    #[pyfunction]
    fn stop_point(vm: &VirtualMachine) -> PyResult<()> {
        host_state::of(vm).hooks.stop_point(vm)
    }
}
