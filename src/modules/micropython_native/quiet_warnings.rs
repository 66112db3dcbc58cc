//! No `SyntaxWarning` and no `DeprecationWarning` unless a script asks for them: MicroPython
//! has neither, so a script written for it never sees one there. RustPython's compiler warns
//! about code MicroPython runs as it is (`return` or `break` in a `finally` block, `x is 5`,
//! `"\z"`), and its library about calls MicroPython has as the only form
//! (`gen.throw(type, value)`); on stderr, those lines are noise to a user and a difference to
//! any tool that compares a script's output with MicroPython's.
//!
//! Two "ignore" entries go in front of the interpreter's default filters.
//! `warnings.filterwarnings()`, `simplefilter()` and `catch_warnings()` put theirs in front
//! of these, so a script that wants the warnings back still gets them.

use rustpython_vm::{PyObjectRef, VirtualMachine};

pub(super) fn install(vm: &VirtualMachine) {
    let ctx = &vm.ctx;
    let ignore = |category: PyObjectRef| -> PyObjectRef {
        let entry = vec![
            ctx.new_str("ignore").into(),
            ctx.none(),
            category,
            ctx.none(),
            ctx.new_int(0).into(),
        ];
        ctx.new_tuple(entry).into()
    };
    let filters: &rustpython_vm::Py<rustpython_vm::builtins::PyList> = &vm.state.warnings.filters;
    let mut list = filters.borrow_vec_mut();
    list.insert(
        0,
        ignore(ctx.exceptions.deprecation_warning.to_owned().into()),
    );
    list.insert(0, ignore(ctx.exceptions.syntax_warning.to_owned().into()));
}
