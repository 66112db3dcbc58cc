//! Modules imported from files read as MicroPython reads them (tabs in indentation, CRLF
//! line endings): see [`crate::host::source`]. The host respells a program's own text before
//! compiling it; modules come through importlib's `SourceLoader.source_to_code`, which
//! pylib/_micropython_source.py points at [`functions::source_text`] first.

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use std::borrow::Cow;

    use rustpython_vm::builtins::{PyBytes, PyStr};
    use rustpython_vm::{PyObjectRef, VirtualMachine};

    use crate::host::source::normalise;

    /// `source_text(data)`: `data` (the module's bytes or text) respelled for the compiler, or
    /// `data` itself when nothing changes. Anything else, and bytes that are not UTF-8 (a
    /// coding declaration's job, which the compiler does), are returned as they are.
    #[pyfunction]
    fn source_text(data: PyObjectRef, vm: &VirtualMachine) -> PyObjectRef {
        if let Some(bytes) = data.downcast_ref::<PyBytes>() {
            let Ok(text) = std::str::from_utf8(bytes.as_bytes()) else {
                return data;
            };
            return match normalise(text) {
                Cow::Borrowed(_) => data,
                Cow::Owned(text) => vm.ctx.new_bytes(text.into_bytes()).into(),
            };
        }
        if let Some(text) = data.downcast_ref::<PyStr>().and_then(|s| s.to_str()) {
            return match normalise(text) {
                Cow::Borrowed(_) => data,
                Cow::Owned(text) => vm.ctx.new_str(text).into(),
            };
        }
        data
    }
}
