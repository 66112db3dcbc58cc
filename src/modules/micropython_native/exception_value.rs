//! `exc.value` on every exception, as MicroPython has it: the first argument, or None
//! (py/objexcept.c answers `value` and `errno` from the same place). Scripts and MicroPython's
//! own test suite read it from any exception (`except TypeError as e: e.value`); CPython has
//! it only on StopIteration, whose own `value` still comes first.
//!
//! The builtin types are the process's, so the attribute is added once per process.

use std::sync::Once;

use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::{PyObjectRef, VirtualMachine};

fn value(exc: PyBaseExceptionRef, vm: &VirtualMachine) -> PyObjectRef {
    exc.args().first().cloned().unwrap_or_else(|| vm.ctx.none())
}

/// Adds `value` to BaseException (the first call in a process; later ones find it).
pub(super) fn install(vm: &VirtualMachine) {
    static ADDED: Once = Once::new();
    ADDED.call_once(|| {
        let base = vm.ctx.exceptions.base_exception_type;
        let getter = vm.ctx.new_readonly_getset("value", base, value);
        base.set_attr(vm.ctx.intern_str("value"), getter.into());
    });
}
