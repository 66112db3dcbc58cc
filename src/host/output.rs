//! A program's output in the embedding application's hands
//! ([`HostBuilder::output`](super::HostBuilder::output)): `sys.stdout` and `sys.stderr` become
//! writers that pass each piece of text to the application's callback, with the stream it
//! went to. Tracebacks go to `sys.stderr`, and so to the callback too.

use std::sync::Arc;

use rustpython_vm::builtins::PyStrRef;
use rustpython_vm::class::PyClassImpl;
use rustpython_vm::function::ArgBytesLike;
use rustpython_vm::{
    Py, PyObjectRef, PyPayload, PyRef, PyResult, TryFromObject, VirtualMachine, pyclass,
};

/// Which of the program's streams a piece of output went to.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use pymqtt::{Host, OutputStream, Program};
///
/// let errors = Arc::new(Mutex::new(String::new()));
/// let sink = Arc::clone(&errors);
/// let host = Host::builder()
///     .output(move |stream, text| {
///         if stream == OutputStream::Stderr {
///             sink.lock().unwrap().push_str(text)
///         }
///     })
///     .build();
/// host.run(&Program::Source("print('fine')\nraise ValueError('sensor missing')".into()));
/// assert!(errors.lock().unwrap().contains("ValueError: sensor missing"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// `sys.stdout`.
    Stdout,
    /// `sys.stderr`, tracebacks included.
    Stderr,
}

/// The application's callback for the program's output.
///
/// ```
/// use pymqtt::host::OutputCallback;
///
/// let to_log: OutputCallback = std::sync::Arc::new(|stream, text| eprint!("[{stream:?}] {text}"));
/// to_log(pymqtt::OutputStream::Stdout, "hello\n");
/// ```
pub type OutputCallback = Arc<dyn Fn(OutputStream, &str) + Send + Sync>;

#[pyclass(module = false, name = "pymqtt_output")]
#[derive(PyPayload)]
struct OutputSink {
    stream: OutputStream,
    callback: OutputCallback,
    /// A `buffer`: it takes bytes, passed on as UTF-8 text (invalid sequences replaced).
    binary: bool,
}

impl std::fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSink")
            .field("stream", &self.stream)
            .field("binary", &self.binary)
            .finish_non_exhaustive()
    }
}

impl OutputSink {
    fn new(stream: OutputStream, callback: OutputCallback, binary: bool) -> PyRef<OutputSink> {
        PyRef::new_ref(
            OutputSink {
                stream,
                callback,
                binary,
            },
            OutputSink::make_static_type(),
            None,
        )
    }
}

#[pyclass]
impl OutputSink {
    #[pymethod]
    fn write(zelf: &Py<Self>, data: PyObjectRef, vm: &VirtualMachine) -> PyResult<usize> {
        if zelf.binary {
            let bytes = ArgBytesLike::try_from_object(vm, data)?;
            let bytes = bytes.borrow_buf();
            (zelf.callback)(zelf.stream, &String::from_utf8_lossy(&bytes));
            return Ok(bytes.len());
        }
        let text = PyStrRef::try_from_object(vm, data)?;
        (zelf.callback)(zelf.stream, &text.as_wtf8().to_string_lossy());
        Ok(text.char_len())
    }

    #[pymethod]
    fn flush(_zelf: &Py<Self>) {}

    #[pymethod]
    fn isatty(_zelf: &Py<Self>) -> bool {
        false
    }

    #[pygetset]
    fn encoding(_zelf: &Py<Self>) -> &'static str {
        "utf-8"
    }

    /// `sys.stdout.buffer`, which scripts write bytes to (MicroPython has it too): the same
    /// stream and callback.
    #[pygetset]
    fn buffer(zelf: &Py<Self>) -> PyRef<OutputSink> {
        OutputSink::new(zelf.stream, Arc::clone(&zelf.callback), true)
    }
}

/// Points `sys.stdout` and `sys.stderr` (and `sys.__stdout__`, `__stderr__`) at `callback`.
pub(super) fn install(vm: &VirtualMachine, callback: &OutputCallback) -> PyResult<()> {
    for (stream, names) in [
        (OutputStream::Stdout, ["stdout", "__stdout__"]),
        (OutputStream::Stderr, ["stderr", "__stderr__"]),
    ] {
        let sink = OutputSink::new(stream, Arc::clone(callback), false);
        for name in names {
            vm.sys_module.set_attr(name, sink.clone(), vm)?;
        }
    }
    Ok(())
}
