//! `sys.print_exception(exc, file=sys.stdout)` in MicroPython's format (py/obj.c
//! `mp_obj_print_exception`): the traceback's `File` lines without source lines, then
//! `Type: message`. Chained exceptions (`__cause__`, `__context__`) are not printed, as
//! MicroPython has none.
//!
//! The message follows MicroPython's rules: nothing after `Type: ` without arguments, `str()`
//! of a single argument, `[Errno N] ENAME` for an OSError whose first argument is a known
//! errno. With more arguments it is CPython's `str(exc)` (MicroPython would print the
//! argument tuple), which says more for exceptions such as `UnicodeDecodeError`.

use rustpython_vm::builtins::{PyBaseException, PyInt};
use rustpython_vm::{AsObject, Py, PyResult, VirtualMachine};

/// The text `sys.print_exception(exc)` writes.
fn format(exc: &Py<PyBaseException>, vm: &VirtualMachine) -> PyResult<String> {
    let mut text = String::new();
    if let Some(traceback) = exc.__traceback__() {
        text.push_str("Traceback (most recent call last):\n");
        for entry in traceback.iter() {
            let code = entry.frame.f_code();
            text.push_str(&format!(
                "  File \"{}\", line {}, in {}\n",
                code.source_path().as_str(),
                entry.lineno,
                code.obj_name.as_str()
            ));
        }
    }
    text.push_str(&format!("{}: {}\n", exc.class().name(), message(exc, vm)?));
    Ok(text)
}

/// The part after `Type: `.
fn message(exc: &Py<PyBaseException>, vm: &VirtualMachine) -> PyResult<String> {
    let args = exc.args();
    if exc.fast_isinstance(vm.ctx.exceptions.os_error)
        && (1..=2).contains(&args.len())
        && let Some(name) = errno_name(&args[0], vm)
    {
        let mut text = format!("[Errno {}] {name}", args[0].str(vm)?);
        if let Some(detail) = args.get(1) {
            text.push_str(&format!(": {}", detail.str(vm)?));
        }
        return Ok(text);
    }
    Ok(match args.len() {
        0 => String::new(),
        1 => args[0].str(vm)?.to_string(),
        _ => exc.as_object().str(vm)?.to_string(),
    })
}

/// `errno.errorcode[number]` (e.g. `ETIMEDOUT`), when `number` is an int with a name.
fn errno_name(number: &rustpython_vm::PyObject, vm: &VirtualMachine) -> Option<String> {
    number.downcast_ref::<PyInt>()?;
    let codes = vm.import("errno", 0).ok()?.get_attr("errorcode", vm).ok()?;
    let name = codes.get_item(number, vm).ok()?;
    Some(name.str(vm).ok()?.to_string())
}

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use rustpython_vm::builtins::PyBaseExceptionRef;
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    /// `print_exception(exc, file=sys.stdout)`: prints `exc` and its traceback as
    /// MicroPython does.
    #[pyfunction]
    fn print_exception(
        exc: PyBaseExceptionRef,
        file: OptionalArg<PyObjectRef>,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        let file = match file {
            OptionalArg::Present(file) => file,
            OptionalArg::Missing => vm.sys_module.get_attr("stdout", vm)?,
        };
        let text = super::format(&exc, vm)?;
        vm.call_method(&file, "write", (text,)).map(drop)
    }
}
