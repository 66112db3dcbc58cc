//! A Rust panic under a running program becomes a Python exception, never a crash.
//!
//! Nothing pymqtt knows of panics on a script's input; this is the net under what nobody
//! found yet (in pymqtt, RustPython or a crate below them). The program ends with a
//! `SystemError` saying what failed, printed and with exit status 1 as any uncaught
//! exception, where the panic would have ended the process with status 101 and no Python
//! traceback. The interpreter is not used for anything but ending after that: a panic may
//! leave it half-way through an operation.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rustpython_vm::builtins::PyType;
use rustpython_vm::{Py, PyResult, VirtualMachine};

/// Runs `run`, turning a panic in it into a `SystemError` naming `what` and the panic's
/// message.
pub(super) fn as_exception<T>(
    vm: &VirtualMachine,
    what: &str,
    run: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    raised_as(vm, vm.ctx.exceptions.system_error, run, |m| {
        wording(what, m)
    })
}

/// Compiles with `compile`, turning a panic in RustPython's compiler into a `SyntaxError`
/// naming `file`: a compiler that cannot translate a program has rejected its text, and the
/// script's author is the one who can change that text.
pub(super) fn as_syntax_error<T>(
    vm: &VirtualMachine,
    file: &str,
    compile: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    raised_as(vm, vm.ctx.exceptions.syntax_error, compile, |m| {
        compiler_wording(file, m)
    })
}

/// `run`'s result, or an exception of class `class` whose text `words` makes of the panic's
/// message.
fn raised_as<T>(
    vm: &VirtualMachine,
    class: &'static Py<PyType>,
    run: impl FnOnce() -> PyResult<T>,
    words: impl FnOnce(&str) -> String,
) -> PyResult<T> {
    caught(run).unwrap_or_else(|message| {
        Err(vm.new_exception_msg(class.to_owned(), words(&message).into()))
    })
}

/// `run`'s result, or the message of the panic that ended it.
fn caught<R>(run: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(run)).map_err(|payload| message(payload.as_ref()).to_owned())
}

fn wording(what: &str, message: &str) -> String {
    format!("pymqtt internal error while {what}: {message}; please report it")
}

fn compiler_wording(file: &str, message: &str) -> String {
    format!("{file}: the compiler failed on this program ({message}); please report it")
}

fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

#[cfg(test)]
mod tests {
    use super::{caught, compiler_wording, wording};

    #[test]
    fn a_panic_is_caught_with_its_message() {
        assert_eq!(
            caught(|| -> u8 { panic!("the engine broke") }),
            Err("the engine broke".into())
        );
        let limit = 3;
        assert_eq!(
            caught(|| -> u8 { panic!("{limit} too many") }),
            Err("3 too many".into())
        );
        assert_eq!(caught(|| 1 + 1), Ok(2));
    }

    #[test]
    fn the_error_says_what_failed() {
        assert_eq!(
            wording("running the program", "the engine broke"),
            "pymqtt internal error while running the program: the engine broke; please report it"
        );
        assert_eq!(
            compiler_wording("main.py", "StackUnderflow"),
            "main.py: the compiler failed on this program (StackUnderflow); please report it"
        );
    }
}
