//! The MicroPython compatibility layer: MicroPython's names on top of RustPython's
//! CPython-style standard library, so that scripts written for MicroPython's unix port run
//! unchanged. [`install`] runs at startup and puts each name where MicroPython has it:
//!
//! - `time.ticks_ms()` and friends, `time.sleep_ms()`/`sleep_us()` ([`ticks`]);
//! - `gc.mem_free()`, `gc.mem_alloc()`, `gc.threshold()` ([`memory`]), added when `gc` is
//!   first imported;
//! - `sys.print_exception()` ([`traceback`]), and `sys.exit()` raising a SystemExit
//!   without arguments ([`system_exit`]);
//! - `const` and `micropython` as built-in names, as MicroPython's parser knows `const()`
//!   and the `@micropython.native`/`viper`/`bytecode` decorators without an import;
//! - `bytes.format()`, and bytes formatted with a spec as their contents ([`bytes_format`]);
//! - `memoryview(str)`, a view of its UTF-8 bytes ([`memoryview_str`]);
//! - under `pymqtt test`'s `clock virtual`, `time`'s clocks and sleeps on the virtual clock
//!   ([`virtual_time`]);
//! - `bytearray.extend()` with memoryviews of it alive ([`bytearray_extend`]);
//! - `io.BytesIO(n)`, `write(buf, n)`, `write(buf, off, n)`, `readinto(buf, n)`
//!   ([`bytesio_stream`]);
//! - `exc.value` on every exception ([`exception_value`]);
//! - MicroPython's wording for a call given one argument too many ([`arity_message`]);
//! - no SyntaxWarning or DeprecationWarning unless asked for ([`quiet_warnings`]);
//! - modules imported from files read as MicroPython reads source, tabs in indentation and
//!   CRLF line endings ([`source`], pylib/_micropython_source.py);
//! - MicroPython's import rules (pylib/_micropython_imports.py): `utime`, `ujson`, ... are the
//!   built-in modules, `machine` is pymqtt's (pylib/_micropython_machine.py) unless the user
//!   has one, and `socket` sockets gain MicroPython's stream methods
//!   (pylib/_micropython_socket.py) when `socket` is first imported.
//!
//! The `micropython` module itself is Python (pylib/micropython.py). The functions written in
//! Rust (those called in loops, and those reading the host's numbers) live in one native
//! module, `_micropython_native`, and are copied from there to where scripts look for them.

mod arity_message;
mod broker_redirect;
mod bytearray_extend;
mod bytes_format;
mod bytesio_stream;
mod exception_value;
mod harness;
mod memory;
mod memoryview_str;
mod quiet_warnings;
mod source;
mod system_exit;
mod ticks;
mod traceback;
mod virtual_time;

use rustpython_vm::{AsObject, PyObject, PyResult, VirtualMachine, import};

pub(crate) use native::module_def;

/// The Rust half of the layer. Nothing here is MicroPython API under this module's name:
/// [`install`] copies the functions to `time`, `sys` and `builtins`,
/// pylib/_micropython_imports.py to `gc`, and pylib/micropython.py imports the rest.
#[rustpython_vm::pymodule(
    name = "_micropython_native",
    with(
        ticks::functions,
        memory::functions,
        traceback::functions,
        source::functions,
        system_exit::functions,
        broker_redirect::functions,
        harness::functions,
        virtual_time::functions
    )
)]
mod native {
    /// `micropython.const(expr)`: `expr` itself. MicroPython's parser inlines it; here it is
    /// an ordinary call, so constants stay ordinary globals (private `_X` ones too).
    #[pyfunction(name = "const")]
    fn identity(value: rustpython_vm::PyObjectRef) -> rustpython_vm::PyObjectRef {
        value
    }
}

/// Adds MicroPython's names to the interpreter, before the program runs: the native
/// functions to the modules already loaded (`time`, `sys`, `builtins`), the methods to
/// `bytes`, the import rules to `sys.meta_path` (which add the rest when `gc` and `socket`
/// are first imported), and the source respelling to importlib's loader.
///
/// It goes around importlib (whose Python code costs more than all of this): the modules are
/// built-in or frozen, and `time` is loaded already.
pub(crate) fn install(vm: &VirtualMachine) -> PyResult<()> {
    let native = import::import_builtin(vm, "_micropython_native")?;
    let time = import::import_builtin(vm, "time")?;
    let places: [(&PyObject, &[&str]); 3] = [
        (&time, ticks::NAMES),
        (vm.sys_module.as_object(), &["print_exception", "exit"]),
        (vm.builtins.as_object(), &["const"]),
    ];
    for (module, names) in places {
        for name in names {
            module.set_attr(*name, native.get_attr(*name, vm)?, vm)?;
        }
    }
    // Ours: it sleeps in slices (Ctrl-C, a stop request under `pymqtt test`) and raises
    // OverflowError for a length too large, where RustPython's panics.
    time.set_attr("sleep", native.get_attr("sleep", vm)?, vm)?;
    if crate::host::state::of(vm).clock.is_some() {
        for name in virtual_time::NAMES {
            let virtual_name = vm.ctx.new_str(format!("virtual_{name}"));
            let function = native.get_attr(&virtual_name, vm)?;
            time.set_attr(*name, function, vm)?;
        }
        import::import_frozen(vm, "_virtual_time")?;
    }
    bytes_format::install(vm);
    memoryview_str::install(vm);
    bytearray_extend::install(vm);
    bytesio_stream::install(vm)?;
    exception_value::install(vm);
    arity_message::install(vm);
    quiet_warnings::install(vm);
    import::import_frozen(vm, "_micropython_imports")?;
    // MicroPython's compiler knows `@micropython.native` (and viper, bytecode) without an
    // import, and the module is small and frozen.
    let micropython = import::import_frozen(vm, "micropython")?;
    vm.builtins.set_attr("micropython", micropython, vm)?;
    import::import_frozen(vm, "_micropython_source")?;
    Ok(())
}
