//! The test harness's stop request (`pymqtt test`, src/host/hooks.rs) where Python code
//! waits on its own: asyncio's event loop waits in its selector, not in `time.sleep()` or
//! `wait_msg()`, whose stop points the native code has (pylib/asyncio/__init__.py).

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use rustpython_vm::{PyResult, VirtualMachine};

    use crate::host::state as host_state;

    /// Whether a harness is attached: a waiting loop then looks for its stop request.
    #[pyfunction]
    fn harness_attached(vm: &VirtualMachine) -> bool {
        host_state::of(vm).hooks.attached()
    }

    /// Raises SystemExit(0) if the harness asked the script to stop.
    #[pyfunction]
    fn stop_point(vm: &VirtualMachine) -> PyResult<()> {
        host_state::of(vm).hooks.stop_point(vm)
    }
}
