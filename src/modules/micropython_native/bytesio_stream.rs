//! `io.BytesIO` with MicroPython's stream forms (py/stream.c, extmod's BytesIO):
//!
//! - `BytesIO(64)`: an int is the size to reserve, and the stream starts empty (CPython
//!   wants bytes and raises TypeError);
//! - `write(buf, n)` writes at most `n` bytes of `buf`, and `write(buf, off, n)` at most `n`
//!   from offset `off`, both clamped to `buf`'s length;
//! - `readinto(buf, n)` reads at most `n` bytes into `buf`.
//!
//! Scripts build messages into a preallocated BytesIO and write parts of a buffer that
//! way, MicroPython having no cheap slicing. The standard methods do the work (on the part
//! of the buffer asked for), so errors, positions and the one-argument forms stay CPython's.
//!
//! The builtin types are the process's, so the type is changed once per process.

use std::sync::{Once, OnceLock};

use rustpython_vm::builtins::{PyInt, PyType, PyTypeRef};
use rustpython_vm::function::{ArgBytesLike, FuncArgs, ItemDoc, PyMethodDef, PyMethodFlags};
use rustpython_vm::{
    AsObject, Py, PyObject, PyObjectRef, PyResult, TryFromObject, VirtualMachine, import,
};

type Init = fn(&PyObject, FuncArgs, &VirtualMachine) -> PyResult<()>;

static STANDARD_INIT: OnceLock<Init> = OnceLock::new();
static STANDARD_WRITE: OnceLock<PyObjectRef> = OnceLock::new();
static STANDARD_READINTO: OnceLock<PyObjectRef> = OnceLock::new();

static WRITE: PyMethodDef = PyMethodDef::new_const(
    "write",
    write,
    PyMethodFlags::METHOD,
    ItemDoc::static_text(
        "write($self, b, [off,] [n], /)\n--\n\n\
         Write bytes to file; with n, at most n of them, from offset off (MicroPython).",
    ),
);

static READINTO: PyMethodDef = PyMethodDef::new_const(
    "readinto",
    readinto,
    PyMethodFlags::METHOD,
    ItemDoc::static_text(
        "readinto($self, buffer, [n], /)\n--\n\n\
         Read bytes into buffer; with n, at most n of them (MicroPython).",
    ),
);

/// An argument MicroPython reads as a length or offset; a negative one counts as 0.
fn length(value: &PyObject, vm: &VirtualMachine) -> PyResult<usize> {
    let number: isize = value.try_index(vm)?.try_to_primitive(vm)?;
    Ok(usize::try_from(number).unwrap_or(0))
}

fn write(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let standard = STANDARD_WRITE
        .get()
        .expect("kept before the method was replaced");
    if !args.kwargs.is_empty() || !(2..=3).contains(&args.args.len()) {
        let mut all = args;
        all.prepend_arg(zelf);
        return standard.call(all, vm);
    }
    let data = ArgBytesLike::try_from_object(vm, args.args[0].clone())?;
    let (offset, most) = match &args.args[1..] {
        [n] => (0, length(n, vm)?),
        [off, n] => (length(off, vm)?, length(n, vm)?),
        _ => unreachable!("two or three arguments"),
    };
    let part = data.with_ref(|bytes| {
        let offset = offset.min(bytes.len());
        let end = offset + most.min(bytes.len() - offset);
        bytes[offset..end].to_vec()
    });
    standard.call((zelf, vm.ctx.new_bytes(part)), vm)
}

fn readinto(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let standard = STANDARD_READINTO
        .get()
        .expect("kept before the method was replaced");
    match args.args.as_slice() {
        [buffer, n] if args.kwargs.is_empty() => {
            let most = length(n, vm)?;
            let view = vm
                .ctx
                .types
                .memoryview_type
                .as_object()
                .call((buffer.clone(),), vm)?;
            let end = vm.ctx.new_int(most);
            let slice = vm
                .ctx
                .types
                .slice_type
                .as_object()
                .call((vm.ctx.none(), end), vm)?;
            let part = view.get_item(&*slice, vm)?;
            standard.call((zelf, part), vm)
        }
        _ => {
            let mut all = args;
            all.prepend_arg(zelf);
            standard.call(all, vm)
        }
    }
}

/// `BytesIO(n)` with an int: an empty stream (the size is only what MicroPython reserves).
fn init(zelf: &PyObject, mut args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    let standard = STANDARD_INIT
        .get()
        .expect("kept before the slot was replaced");
    if args.args.len() == 1 && args.args[0].downcast_ref::<PyInt>().is_some() {
        args.args.clear();
    }
    standard(zelf, args, vm)
}

fn replace(
    class: &'static Py<PyType>,
    def: &'static PyMethodDef,
    keep: &OnceLock<PyObjectRef>,
    vm: &VirtualMachine,
) {
    let name = vm.ctx.intern_str(def.name);
    if let Some(standard) = class.get_direct_attr(name) {
        keep.get_or_init(|| standard);
        class.set_attr(name, def.build_method(&vm.ctx, class).into());
    }
}

/// Changes `io.BytesIO` (the first call in a process; later ones find it changed).
pub(super) fn install(vm: &VirtualMachine) -> PyResult<()> {
    static CHANGED: Once = Once::new();
    let io = import::import_builtin(vm, "_io")?;
    let class = PyTypeRef::try_from_object(vm, io.get_attr("BytesIO", vm)?)?;
    CHANGED.call_once(|| {
        // A builtin type lives as long as the process; the methods need it for as long.
        let class: &'static Py<PyType> = Box::leak(Box::new(class));
        replace(class, &WRITE, &STANDARD_WRITE, vm);
        replace(class, &READINTO, &STANDARD_READINTO, vm);
        if let Some(standard) = class.slots.init.load() {
            let _ = STANDARD_INIT.set(standard);
            class.slots.init.store(Some(init));
        }
    });
    Ok(())
}
