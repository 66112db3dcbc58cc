//! Nested native iterators (`map(map(map(...)))`, `zip`, `enumerate`, `filter`) get the
//! native stack check that Python calls have, so that nesting them too deep is a
//! `RecursionError` (a `RuntimeError`, as MicroPython raises) and not a segfault.
//!
//! RustPython checks the native stack when it enters a Python frame, but these iterators
//! call their inner iterator's `__next__` natively, with no frame between: `tuple(x)` of a
//! few hundred thousand nested maps ran off the end of the stack. Their `__next__` slot is
//! wrapped in the interpreter's own check (`with_recursion`, a read of the stack pointer);
//! nothing else about them changes.
//!
//! The builtin types are the process's (every interpreter shares them), so the slots are
//! wrapped once per process, and the wrapped functions are kept for as long.

use std::sync::{Once, OnceLock};

use rustpython_vm::protocol::PyIterReturn;
use rustpython_vm::{Py, PyObject, PyResult, VirtualMachine, builtins::PyType};

type IterNext = fn(&PyObject, &VirtualMachine) -> PyResult<PyIterReturn>;

/// The wrapped `__next__` of each guarded type, in the order of [`guarded_types`].
static ORIGINAL: [OnceLock<IterNext>; 4] = [
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
];

fn guarded_types(vm: &VirtualMachine) -> [&'static Py<PyType>; 4] {
    let types = &vm.ctx.types;
    [
        types.map_type,
        types.zip_type,
        types.enumerate_type,
        types.filter_type,
    ]
}

fn guarded<const I: usize>(zelf: &PyObject, vm: &VirtualMachine) -> PyResult<PyIterReturn> {
    let original = ORIGINAL[I]
        .get()
        .expect("kept before the slot was replaced");
    vm.with_recursion("while iterating", || original(zelf, vm))
}

/// Wraps the slots (the first call in a process; later ones find them wrapped).
pub(crate) fn install(vm: &VirtualMachine) {
    static WRAPPED: Once = Once::new();
    WRAPPED.call_once(|| {
        let guards: [IterNext; 4] = [guarded::<0>, guarded::<1>, guarded::<2>, guarded::<3>];
        for ((ty, original), guard) in guarded_types(vm).into_iter().zip(&ORIGINAL).zip(guards) {
            if let Some(next) = ty.slots.iternext.load() {
                original.get_or_init(|| next);
                ty.slots.iternext.store(Some(guard));
            }
        }
    });
}
