//! MicroPython's formatting of bytes: `bytes.format()`, and bytes given a format spec.
//!
//! MicroPython's `str.format` (py/objstr.c, `mp_obj_str_format`) serves `bytes` too: the
//! template's bytes are copied as they are, each field is filled with the argument's
//! `str()` (or `repr()`) in UTF-8, and the result has the template's type. Board scripts
//! build topics that way: `b'home/{}/state'.format(name)`. CPython's bytes have no `format`.
//!
//! A field with a format spec (`'{:s}'`, `'{:>8}'`) takes a bytes argument's raw contents
//! there, where CPython raises `TypeError`: `'{:s}'.format(b'ab')` is `'ab'`. Without a spec
//! both give `str(arg)`, `"b'ab'"`.
//!
//! Here the template is decoded as UTF-8 with `surrogateescape` (a byte that is not UTF-8
//! becomes a lone surrogate), formatted with `str.format`, and encoded back the same way, so
//! its bytes come back unchanged whatever they are, and text arguments arrive in UTF-8.
//! `bytearray` keeps CPython's methods: MicroPython's format is written for str and bytes
//! templates (py/objstr.c `check_is_str_or_bytes`).

use rustpython_vm::builtins::{PyBytesRef, PyStrRef};
use rustpython_vm::function::{FuncArgs, ItemDoc, PyMethodDef, PyMethodFlags};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

/// `bytes.format(*args, **kwargs)`.
static FORMAT: PyMethodDef = PyMethodDef::new_const(
    "format",
    format,
    PyMethodFlags::METHOD,
    ItemDoc::static_text(
        "format($self, /, *args, **kwargs)\n--\n\n\
         The bytes with its replacement fields filled in, as str.format does (MicroPython).",
    ),
);

/// `bytes.__format__(spec)`.
static DUNDER_FORMAT: PyMethodDef = PyMethodDef::new_const(
    "__format__",
    dunder_format,
    PyMethodFlags::METHOD,
    ItemDoc::static_text(
        "__format__($self, format_spec, /)\n--\n\n\
         str(self) for an empty spec, else the contents formatted as a str (MicroPython).",
    ),
);

/// Adds the two methods to the built-in `bytes` type. The type belongs to the process (every
/// interpreter shares it), so this happens once; the methods hold no interpreter's objects.
pub(super) fn install(vm: &VirtualMachine) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let bytes = vm.ctx.types.bytes_type;
        for method in [&FORMAT, &DUNDER_FORMAT] {
            let name = vm.ctx.intern_str(method.name);
            bytes.set_attr(name, method.build_method(&vm.ctx, bytes).into());
        }
    });
}

/// The bytes as text, each byte that is not UTF-8 as a lone surrogate.
fn decode(bytes: &PyBytesRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    vm.call_method(bytes.as_object(), "decode", ("utf-8", "surrogateescape"))
}

fn format(zelf: PyBytesRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    let template = decode(&zelf, vm)?;
    let text = vm.call_method(&template, "format", args)?;
    vm.call_method(&text, "encode", ("utf-8", "surrogateescape"))
}

fn dunder_format(zelf: PyBytesRef, spec: PyStrRef, vm: &VirtualMachine) -> PyResult<PyStrRef> {
    if spec.is_empty() {
        // `'{}'.format(b'ab')` and `format(b'ab')`: "b'ab'", in MicroPython as in CPython.
        return zelf.as_object().str(vm);
    }
    let text = decode(&zelf, vm)?;
    vm.format(&text, spec)
}
