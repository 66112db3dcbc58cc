//! `memoryview(str)`: on MicroPython a `str` is a buffer of its UTF-8 bytes, and scripts
//! wrap whatever they send in a memoryview to slice it without copies (mqtt_as's writes do,
//! for topics given as `str`). Here such a view is over the string's UTF-8 bytes, read-only,
//! as it is there. Only the constructor changes: a `str` is still not bytes-like anywhere
//! else (`sock.send("x")`, hashing and the rest keep CPython's TypeError).
//!
//! The builtin types are the process's (every interpreter shares them), so the constructor is
//! wrapped once per process, and the wrapped one is kept for as long.

use std::sync::{Once, OnceLock};

use rustpython_vm::builtins::{PyStr, PyTypeRef};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyResult, VirtualMachine};

type NewFunc = fn(PyTypeRef, FuncArgs, &VirtualMachine) -> PyResult;

static STANDARD_NEW: OnceLock<NewFunc> = OnceLock::new();

fn new_over_str(cls: PyTypeRef, mut args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let standard = STANDARD_NEW
        .get()
        .expect("kept before the slot was replaced");
    let text = args
        .args
        .first()
        .and_then(|first| first.downcast_ref::<PyStr>())
        .map(|text| text.as_wtf8().as_bytes().to_vec());
    if let Some(utf8) = text {
        args.args[0] = vm.ctx.new_bytes(utf8).into();
    }
    standard(cls, args, vm)
}

/// Wraps memoryview's constructor (the first call in a process; later ones find it wrapped).
pub(super) fn install(vm: &VirtualMachine) {
    static WRAPPED: Once = Once::new();
    WRAPPED.call_once(|| {
        let slots = &vm.ctx.types.memoryview_type.slots;
        if let Some(standard) = slots.new.load() {
            STANDARD_NEW.get_or_init(|| standard);
            slots.new.store(Some(new_over_str));
        }
    });
}
