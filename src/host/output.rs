//! A program's output in the embedding application's hands
//! ([`HostBuilder::output`](super::HostBuilder::output)): `sys.stdout` and `sys.stderr` become
//! writers that pass each piece of text to the application's callback, with the stream it
//! went to. Tracebacks go to `sys.stderr`, and so to the callback too.

use std::sync::Arc;

use rustpython_vm::builtins::PyStrRef;
use rustpython_vm::class::PyClassImpl;
use rustpython_vm::function::ArgBytesLike;
use rustpython_vm::{Py, PyPayload, PyRef, PyResult, VirtualMachine, pyclass};

/// Which of the program's streams a piece of output went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// `sys.stdout`.
    Stdout,
    /// `sys.stderr`, tracebacks included.
    Stderr,
}

/// The application's callback for the program's output.
pub type OutputCallback = Arc<dyn Fn(OutputStream, &str) + Send + Sync>;

#[pyclass(module = false, name = "pymqtt_output")]
#[derive(PyPayload)]
struct OutputSink {
    stream: OutputStream,
    callback: OutputCallback,
}

impl std::fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSink")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

#[pyclass]
impl OutputSink {
    #[pymethod]
    fn write(zelf: &Py<Self>, text: PyStrRef) -> usize {
        (zelf.callback)(zelf.stream, &text.as_wtf8().to_string_lossy());
        text.char_len()
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
    /// callback, the bytes as UTF-8 text (invalid sequences replaced).
    #[pygetset]
    fn buffer(zelf: &Py<Self>) -> PyRef<OutputBuffer> {
        PyRef::new_ref(
            OutputBuffer {
                stream: zelf.stream,
                callback: Arc::clone(&zelf.callback),
            },
            OutputBuffer::make_static_type(),
            None,
        )
    }
}

#[pyclass(module = false, name = "pymqtt_output_buffer")]
#[derive(PyPayload)]
struct OutputBuffer {
    stream: OutputStream,
    callback: OutputCallback,
}

impl std::fmt::Debug for OutputBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputBuffer")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

#[pyclass]
impl OutputBuffer {
    #[pymethod]
    fn write(zelf: &Py<Self>, data: ArgBytesLike) -> usize {
        let bytes = data.borrow_buf();
        (zelf.callback)(zelf.stream, &String::from_utf8_lossy(&bytes));
        bytes.len()
    }

    #[pymethod]
    fn flush(_zelf: &Py<Self>) {}
}

/// Points `sys.stdout` and `sys.stderr` (and `sys.__stdout__`, `__stderr__`) at `callback`.
pub(super) fn install(vm: &VirtualMachine, callback: &OutputCallback) -> PyResult<()> {
    for (stream, names) in [
        (OutputStream::Stdout, ["stdout", "__stdout__"]),
        (OutputStream::Stderr, ["stderr", "__stderr__"]),
    ] {
        let sink = PyRef::new_ref(
            OutputSink {
                stream,
                callback: Arc::clone(callback),
            },
            OutputSink::make_static_type(),
            None,
        );
        for name in names {
            vm.sys_module.set_attr(name, sink.clone(), vm)?;
        }
    }
    Ok(())
}
