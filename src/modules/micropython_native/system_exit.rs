//! `sys.exit()` with no argument (or None) raises a SystemExit with no arguments, as CPython's
//! and MicroPython's do: `e.args` is `()` and `e.code` None. RustPython's gives it the None
//! it defaulted to, `e.args == (None,)`, which scripts printing the exception show. A tuple
//! still gives its items as the arguments, as in CPython; anything else is the one argument.

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use rustpython_vm::builtins::PyTuple;
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    #[pyfunction]
    fn exit(status: OptionalArg<PyObjectRef>, vm: &VirtualMachine) -> PyResult {
        let args = match status.into_option() {
            None => vec![],
            Some(status) if vm.is_none(&status) => vec![],
            Some(status) => match status.downcast_ref::<PyTuple>() {
                Some(items) => items.as_slice().to_vec(),
                None => vec![status],
            },
        };
        Err(vm.new_exception(vm.ctx.exceptions.system_exit.to_owned(), args))
    }
}
