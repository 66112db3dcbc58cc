//! SIGTERM, the way a service manager (systemd, `docker stop`) ends a program: as a stop, not
//! a crash. The program gets `SystemExit(143)` at its next wait or bytecode check, so its
//! `finally` blocks and `with` statements run; once it has ended and its queued messages are
//! delivered, the host disconnects whatever it left connected with a DISCONNECT, so that the
//! broker discards the last wills (a will is for a client that died, not one that was
//! stopped).
//!
//! The handler goes in through the interpreter's `_signal` module, as a script's own
//! `signal.signal(SIGTERM, ...)` would: the interpreter runs it on the main thread between
//! bytecodes and in every wait that checks for Ctrl-C, and a script can still install its own.

use std::sync::atomic::Ordering;

use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use super::ExitStatus;

/// Makes SIGTERM stop the program (see the module's text). Signal handlers belong to the
/// process and only its main thread may set them: for a program run there.
pub(super) fn install(vm: &VirtualMachine) -> PyResult<()> {
    let handler = vm.new_function(
        "_pymqtt_stop",
        |_signal: i32, _frame: PyObjectRef, vm: &VirtualMachine| -> PyResult<()> {
            super::state::of(vm).stopping.store(true, Ordering::SeqCst);
            let status = vm.new_pyobj(ExitStatus::TERMINATED.code());
            Err(vm.new_exception(vm.ctx.exceptions.system_exit.to_owned(), vec![status]))
        },
    );
    let signal = vm.import("_signal", 0)?;
    vm.call_method(&signal, "signal", (libc::SIGTERM, handler))?;
    Ok(())
}
