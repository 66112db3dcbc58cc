//! A Python function called with one positional argument too many says
//! `f() takes 0 positional arguments but 1 were given`, MicroPython's wording (py/bc.c's
//! detailed message, the same for every count), where RustPython's CPython wording says
//! `1 was given`. The rest of the message is already MicroPython's, letter for letter.
//!
//! Scripts and tools written for MicroPython read that text: its test suite's platform
//! probe (`tests/feature_check/target_info.py`) tells MicroPython's error-reporting levels
//! apart by its length, and pymqtt's messages are the "detailed" level (they name the
//! function), which is 56 characters for `(lambda: 0)(0)`.
//!
//! The message is made inside RustPython's argument binding, so the function type's two call
//! slots are wrapped: the call runs as before and only a failing call's error is looked at.
//! The builtin types are the process's, so the slots are wrapped once per process.

use std::sync::{Once, OnceLock};

use rustpython_vm::builtins::{PyBaseExceptionRef, PyStr};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyResult, VirtualMachine};

type Call = fn(&PyObject, FuncArgs, &VirtualMachine) -> PyResult;
type VectorCall =
    fn(&PyObject, Vec<PyObjectRef>, usize, Option<&[PyObjectRef]>, &VirtualMachine) -> PyResult;

static STANDARD_CALL: OnceLock<Call> = OnceLock::new();
static STANDARD_VECTORCALL: OnceLock<VectorCall> = OnceLock::new();

const CPYTHON_ENDING: &str = " but 1 was given";
const MICROPYTHON_ENDING: &str = " but 1 were given";

/// Respells the binding error of the call that just failed. Only a TypeError with no
/// traceback yet comes from the binding: one raised inside the function has passed through
/// its frame, which gave it a traceback.
fn respell(error: PyBaseExceptionRef, vm: &VirtualMachine) -> PyBaseExceptionRef {
    if !error.class().is(vm.ctx.exceptions.type_error) || error.__traceback__().is_some() {
        return error;
    }
    let args = error.args();
    let [message] = args.as_slice() else {
        return error;
    };
    let Some(text) = message.downcast_ref::<PyStr>().and_then(|s| s.to_str()) else {
        return error;
    };
    if let Some(start) = text.strip_suffix(CPYTHON_ENDING)
        && start.contains("() takes ")
    {
        let respelled = vm.ctx.new_str(format!("{start}{MICROPYTHON_ENDING}"));
        let new_args = vm.ctx.new_tuple(vec![respelled.into()]);
        // The setter takes any tuple; failing, the CPython wording stays.
        let _ = error.as_object().set_attr("args", new_args, vm);
    }
    error
}

fn call(function: &PyObject, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let standard = STANDARD_CALL
        .get()
        .expect("kept before the slot was replaced");
    standard(function, args, vm).map_err(|error| respell(error, vm))
}

fn vectorcall(
    function: &PyObject,
    args: Vec<PyObjectRef>,
    nargs: usize,
    kwnames: Option<&[PyObjectRef]>,
    vm: &VirtualMachine,
) -> PyResult {
    let standard = STANDARD_VECTORCALL
        .get()
        .expect("kept before the slot was replaced");
    standard(function, args, nargs, kwnames, vm).map_err(|error| respell(error, vm))
}

/// Wraps the function type's call slots (the first call in a process; later ones find them
/// wrapped).
pub(super) fn install(vm: &VirtualMachine) {
    static WRAPPED: Once = Once::new();
    WRAPPED.call_once(|| {
        let slots = &vm.ctx.types.function_type.slots;
        if let Some(standard) = slots.call.load() {
            let _ = STANDARD_CALL.set(standard);
            slots.call.store(Some(call));
        }
        if let Some(standard) = slots.vectorcall.load() {
            let _ = STANDARD_VECTORCALL.set(standard);
            slots.vectorcall.store(Some(vectorcall));
        }
    });
}
