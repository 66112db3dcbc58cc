//! Python arguments of the native modules checked into Rust values, with errors that name the
//! argument and say what it must be.
//!
//! RustPython's own conversions (an `i64` or `bool` parameter) word their errors in Rust terms
//! ("Python int too large to convert to Rust i64", "Expected type bool") and do not say which
//! argument was wrong; a script's author needs both.

use std::ops::RangeInclusive;

use rustpython_vm::builtins::{PyFloat, PyInt};
use rustpython_vm::common::int::bigint_to_finite_float;
use rustpython_vm::{PyObject, PyResult, VirtualMachine};

/// An integer argument named `what` within `range`; `expected` words the range for the error
/// ("0, 1 or 2"). Takes what CPython's int arguments take: an int (a bool is one) or an object
/// with `__index__`.
pub(crate) fn int_in(
    obj: &PyObject,
    what: &str,
    range: RangeInclusive<i64>,
    expected: &str,
    vm: &VirtualMachine,
) -> PyResult<i64> {
    let int = match obj.try_index_opt(vm) {
        Some(int) => int?,
        None => {
            return Err(
                vm.new_type_error(format!("{what} must be an int, not {}", obj.class().name()))
            );
        }
    };
    i64::try_from(int.as_bigint())
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            vm.new_value_error(format!(
                "{what} must be {expected}, not {}",
                int.as_bigint()
            ))
        })
}

/// A yes/no argument named `what`: a bool, or an int as micropython-lib's umqtt takes one (it
/// shifts the value into a header bit), nonzero meaning yes.
pub(crate) fn flag(obj: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<bool> {
    match obj.downcast_ref::<PyInt>() {
        Some(int) => Ok(*int.as_bigint() != 0.into()),
        None => Err(vm.new_type_error(format!(
            "{what} must be True or False, not {}",
            obj.class().name()
        ))),
    }
}

/// A number of seconds named `what`: an int or a float, as given. An int too large for a float
/// is an infinity of its sign, so that the caller's range check words it.
pub(crate) fn seconds(obj: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<f64> {
    if let Some(float) = obj.downcast_ref::<PyFloat>() {
        return Ok(float.to_f64());
    }
    if let Some(int) = obj.downcast_ref::<PyInt>() {
        let value = int.as_bigint();
        return Ok(
            bigint_to_finite_float(value).unwrap_or(if *value < 0.into() {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
        );
    }
    Err(vm.new_type_error(format!(
        "{what} must be a number of seconds (int or float), not {}",
        obj.class().name()
    )))
}
