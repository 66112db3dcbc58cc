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
//! `b += other` grows past views the same way, and `b += b` works at all (MicroPython's and
//! CPython's result, the bytes twice): RustPython holds a view of the right-hand side while
//! it resizes the left, so a bytearray added to itself met its own view (BufferError).
//!
//! The builtin types are the process's, so the method and the slot are replaced once per
//! process; the standard ones are kept for the common cases, a bytearray nobody views and
//! one added to another object, and for their argument conversions and errors.

use std::sync::{Once, OnceLock};

use rustpython_vm::builtins::PyByteArray;
use rustpython_vm::function::{ArgBytesLike, ItemDoc, PyMethodDef, PyMethodFlags};
use rustpython_vm::protocol::{BufferResizeGuard, PySequence};
use rustpython_vm::{
    AsObject, PyObject, PyObjectRef, PyPayload, PyRef, PyResult, TryFromObject, VirtualMachine,
};

type InplaceConcat = fn(PySequence<'_>, &PyObject, &VirtualMachine) -> PyResult;

static STANDARD_EXTEND: OnceLock<PyObjectRef> = OnceLock::new();
static STANDARD_INPLACE_CONCAT: OnceLock<InplaceConcat> = OnceLock::new();

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

/// `bytearray += other`: a copy of the bytes first when `other` is the bytearray itself.
fn inplace_concat(seq: PySequence<'_>, other: &PyObject, vm: &VirtualMachine) -> PyResult {
    let standard = STANDARD_INPLACE_CONCAT
        .get()
        .expect("kept before the slot was replaced");
    let Some(zelf) = seq.obj.downcast_ref::<PyByteArray>() else {
        return standard(seq, other, vm);
    };
    let viewed = zelf.try_resizable_opt().is_none();
    if !viewed && !other.is(seq.obj) {
        return standard(seq, other, vm);
    }
    // The bytes to add, copied before the bytearray changes (the standard conversion, with
    // its TypeError for what has no buffer).
    let tail = ArgBytesLike::try_from_object(vm, other.to_owned())?
        .borrow_buf()
        .to_vec();
    if viewed {
        // As extend(): grown past its views, as MicroPython grows it.
        zelf.borrow_buf_mut().extend_from_slice(&tail);
        return Ok(seq.obj.to_owned());
    }
    standard(seq, vm.ctx.new_bytes(tail).as_object(), vm)
}

/// Replaces `bytearray.extend` and wraps `+=` (the first call in a process; later ones find
/// them replaced).
pub(super) fn install(vm: &VirtualMachine) {
    static REPLACED: Once = Once::new();
    REPLACED.call_once(|| {
        let concat = &vm.ctx.types.bytearray_type.slots.as_sequence.inplace_concat;
        if let Some(standard) = concat.load() {
            let _ = STANDARD_INPLACE_CONCAT.set(standard);
            concat.store(Some(inplace_concat));
        }
        let bytearray = vm.ctx.types.bytearray_type;
        let name = vm.ctx.intern_str(EXTEND.name);
        let Some(standard) = bytearray.get_direct_attr(name) else {
            return;
        };
        STANDARD_EXTEND.get_or_init(|| standard);
        bytearray.set_attr(name, EXTEND.build_method(&vm.ctx, bytearray).into());
    });
}
