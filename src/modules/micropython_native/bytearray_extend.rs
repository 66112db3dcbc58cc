//! `bytearray.extend()` while a memoryview of it is alive. MicroPython grows the bytearray
//! (the view keeps what it saw); CPython, and RustPython, refuse with `BufferError: Existing
//! exports of data`. Scripts written for MicroPython grow their receive buffer that way:
//! mqtt_as keeps a memoryview of its input buffer and extends the buffer when a message
//! larger than it arrives, then takes a new view.
//!
//! Growing is safe here: a RustPython view reaches its bytearray's storage through the
//! bytearray at each access, within the range it was made with, so a longer buffer leaves
//! every existing view's bytes where they were. Only growing is allowed past a view; the
//! methods that shrink or move bytes (`clear`, `del b[:n]`, slice assignment) keep refusing.
//!
//! The builtin types are the process's, so the method is replaced once per process; the
//! standard one is kept for the common case, a bytearray nobody views, and for its argument
//! conversions and errors.

use std::sync::{Once, OnceLock};

use rustpython_vm::builtins::PyByteArray;
use rustpython_vm::function::{ItemDoc, PyMethodDef, PyMethodFlags};
use rustpython_vm::protocol::BufferResizeGuard;
use rustpython_vm::{AsObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};

static STANDARD_EXTEND: OnceLock<PyObjectRef> = OnceLock::new();

static EXTEND: PyMethodDef = PyMethodDef::new_const(
    "extend",
    extend,
    PyMethodFlags::METHOD,
    ItemDoc::static_text(
        "extend($self, iterable_of_ints, /)\n--\n\n\
         Append all the items from the iterator or sequence to the end of the bytearray; \
         memoryviews of it may be alive (MicroPython).",
    ),
);

fn extend(zelf: PyRef<PyByteArray>, items: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
    let standard = STANDARD_EXTEND
        .get()
        .expect("kept before the method was replaced");
    let viewed = zelf.try_resizable_opt().is_none();
    if !viewed {
        return standard.call((zelf, items), vm).map(drop);
    }
    // The standard conversions into a fresh bytearray (TypeError, ValueError as CPython's),
    // then the bytes appended past the views.
    let tail = if items.is(&zelf) {
        zelf.borrow_buf().to_vec()
    } else {
        let fresh = PyByteArray::from(Vec::new()).into_ref(&vm.ctx);
        standard.call((fresh.clone(), items), vm)?;
        std::mem::take(&mut *fresh.borrow_buf_mut())
    };
    zelf.borrow_buf_mut().extend_from_slice(&tail);
    Ok(())
}

/// Replaces `bytearray.extend` (the first call in a process; later ones find it replaced).
pub(super) fn install(vm: &VirtualMachine) {
    static REPLACED: Once = Once::new();
    REPLACED.call_once(|| {
        let bytearray = vm.ctx.types.bytearray_type;
        let name = vm.ctx.intern_str(EXTEND.name);
        let Some(standard) = bytearray.get_direct_attr(name) else {
            return;
        };
        STANDARD_EXTEND.get_or_init(|| standard);
        bytearray.set_attr(name, EXTEND.build_method(&vm.ctx, bytearray).into());
    });
}
