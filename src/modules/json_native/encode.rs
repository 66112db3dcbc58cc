//! The encoder behind `json.dumps()`/`dump()`: a value to JSON text in one pass, with the
//! standard library's output byte for byte (its separators, indentation, key conversions,
//! escapes, float repr and errors, exception notes included).
//!
//! The text is built in one buffer on the Rust side and becomes one `str` at the end: no
//! Python objects per part, which is where the standard library's own encoder spends its
//! time on small payloads.

use std::borrow::Cow;

use rustpython_vm::builtins::{PyBaseExceptionRef, PyDict, PyFloat, PyInt, PyList, PyStr, PyTuple};
use rustpython_vm::common::wtf8::{Wtf8, Wtf8Buf};
use rustpython_vm::types::Representable;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

/// What the arguments of `dumps()` ask for, checked and converted once per call.
pub(super) struct Format {
    /// One level of indentation; `None` writes everything on one line.
    pub indent: Option<Wtf8Buf>,
    pub item_separator: Wtf8Buf,
    pub key_separator: Wtf8Buf,
    pub sort_keys: bool,
    pub skipkeys: bool,
    pub ensure_ascii: bool,
    pub allow_nan: bool,
    pub check_circular: bool,
    /// Called for a value JSON has no form for; `None` raises `TypeError` for it.
    pub default: Option<PyObjectRef>,
}

/// `value` as JSON text.
pub(super) fn encode(value: &PyObject, format: &Format, vm: &VirtualMachine) -> PyResult<Wtf8Buf> {
    let mut encoder = Encoder {
        format,
        vm,
        out: Wtf8Buf::with_capacity(128),
        open: Vec::new(),
        level: 0,
    };
    encoder.value(value)?;
    Ok(encoder.out)
}

struct Encoder<'a> {
    format: &'a Format,
    vm: &'a VirtualMachine,
    out: Wtf8Buf,
    /// The ids of the containers (and `default()` arguments) being encoded, outermost first:
    /// meeting one of them again inside itself is a circular reference.
    open: Vec<usize>,
    /// The indentation level of the container being written.
    level: usize,
}

impl Encoder<'_> {
    fn value(&mut self, obj: &PyObject) -> PyResult<()> {
        let vm = self.vm;
        // The standard library's order: str, the three constants, int, float (a bool is an
        // int, and an int or float subclass is written as its number, whatever its repr).
        if let Some(text) = obj.downcast_ref::<PyStr>() {
            write_string(&mut self.out, text.as_wtf8(), self.format.ensure_ascii);
        } else if vm.is_none(obj) {
            self.out.push_str("null");
        } else if obj.is(&vm.ctx.true_value) {
            self.out.push_str("true");
        } else if obj.is(&vm.ctx.false_value) {
            self.out.push_str("false");
        } else if let Some(int) = obj.downcast_ref::<PyInt>() {
            self.out.push_str(&int_text(int, vm)?);
        } else if let Some(float) = obj.downcast_ref::<PyFloat>() {
            let text = self.float_text(float.to_f64())?;
            self.out.push_str(&text);
        } else {
            // Containers and default() nest: bounded by the native stack, as CPython's
            // C encoder is, so that deep nesting is a RecursionError and never a crash.
            vm.with_recursion("while encoding a JSON object", || self.nested(obj))?;
        }
        Ok(())
    }

    fn nested(&mut self, obj: &PyObject) -> PyResult<()> {
        if let Some(list) = obj.downcast_ref::<PyList>() {
            // Read at each step: default() may change the list while it is being written,
            // and the standard library sees such changes too.
            self.array(obj, |i| list.borrow_vec().get(i).cloned())
        } else if let Some(tuple) = obj.downcast_ref::<PyTuple>() {
            self.array(obj, |i| tuple.as_slice().get(i).cloned())
        } else if let Some(dict) = obj.downcast_ref::<PyDict>() {
            self.object(obj, dict)
        } else {
            self.defaulted(obj)
        }
    }

    fn array(
        &mut self,
        obj: &PyObject,
        item: impl Fn(usize) -> Option<PyObjectRef>,
    ) -> PyResult<()> {
        let Some(first) = item(0) else {
            self.out.push_str("[]");
            return Ok(());
        };
        self.enter(obj)?;
        self.out.push_char('[');
        self.level += 1;
        self.newline();
        let mut next = Some(first);
        let mut index = 0;
        while let Some(value) = next {
            if index > 0 {
                self.out.push_wtf8(&self.format.item_separator);
                self.newline();
            }
            if let Err(error) = self.value(&value) {
                let note = format!("when serializing {} item {index}", obj.class().name());
                return Err(self.fail(error, note));
            }
            index += 1;
            next = item(index);
        }
        self.level -= 1;
        self.newline();
        self.out.push_char(']');
        self.leave();
        Ok(())
    }

    fn object(&mut self, obj: &PyObject, dict: &Py<PyDict>) -> PyResult<()> {
        let vm = self.vm;
        if dict.is_empty() {
            self.out.push_str("{}");
            return Ok(());
        }
        self.enter(obj)?;
        let items = match self.items(obj, dict) {
            Ok(items) => items,
            Err(error) => {
                self.leave();
                return Err(error);
            }
        };
        self.out.push_char('{');
        self.level += 1;
        let mut first = true;
        for (key, value) in items {
            let key_text = match self.key_text(&key) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(error) => {
                    self.leave();
                    return Err(error);
                }
            };
            if first {
                first = false;
            } else {
                self.out.push_wtf8(&self.format.item_separator);
            }
            self.newline();
            write_string(&mut self.out, &key_text, self.format.ensure_ascii);
            self.out.push_wtf8(&self.format.key_separator);
            if let Err(error) = self.value(&value) {
                let key_repr = key
                    .repr(vm)
                    .map(|r| r.as_wtf8().to_string_lossy().into_owned())
                    .unwrap_or_default();
                let note = format!("when serializing {} item {key_repr}", obj.class().name());
                return Err(self.fail(error, note));
            }
        }
        self.level -= 1;
        self.newline();
        self.out.push_char('}');
        self.leave();
        Ok(())
    }

    /// A dict's items in the order they are written: its own order, or sorted by key.
    fn items(
        &self,
        obj: &PyObject,
        dict: &Py<PyDict>,
    ) -> PyResult<Vec<(PyObjectRef, PyObjectRef)>> {
        let vm = self.vm;
        // A dict subclass may define items() (and the standard library calls it); a plain
        // dict is read directly.
        let items = if obj.class().is(vm.ctx.types.dict_type) {
            dict.items_vec()
        } else {
            let listed = vm.call_method(obj, "items", ())?;
            vm.extract_elements_with(&listed, |item| {
                let pair = item
                    .downcast_ref::<PyTuple>()
                    .map(|pair| pair.as_slice())
                    .filter(|pair| pair.len() == 2)
                    .ok_or_else(|| vm.new_value_error("items must return 2-tuples"))?;
                Ok((pair[0].clone(), pair[1].clone()))
            })?
        };
        if !self.format.sort_keys {
            return Ok(items);
        }
        // list.sort() on the (key, value) pairs, as sorted(dct.items()) is: the same
        // comparisons, so the same TypeError for keys that do not compare.
        let pairs: Vec<PyObjectRef> = items
            .into_iter()
            .map(|(k, v)| vm.new_tuple((k, v)).into())
            .collect();
        let list = vm.ctx.new_list(pairs);
        vm.call_method(list.as_object(), "sort", ())?;
        let sorted = list.borrow_vec();
        Ok(sorted
            .iter()
            .map(|pair| {
                let pair = pair
                    .downcast_ref::<PyTuple>()
                    .expect("built as pairs above");
                (pair.as_slice()[0].clone(), pair.as_slice()[1].clone())
            })
            .collect())
    }

    /// The text a dict key is written as (before escaping), or `None` to skip it. A `str`
    /// key (nearly every key) is borrowed, not copied.
    fn key_text<'k>(&self, key: &'k PyObject) -> PyResult<Option<Cow<'k, Wtf8>>> {
        let vm = self.vm;
        let text = if let Some(text) = key.downcast_ref::<PyStr>() {
            Cow::Borrowed(text.as_wtf8())
        } else if let Some(float) = key.downcast_ref::<PyFloat>() {
            Cow::Owned(self.float_text(float.to_f64())?.into())
        } else if key.is(&vm.ctx.true_value) {
            Cow::Borrowed(Wtf8::new("true"))
        } else if key.is(&vm.ctx.false_value) {
            Cow::Borrowed(Wtf8::new("false"))
        } else if vm.is_none(key) {
            Cow::Borrowed(Wtf8::new("null"))
        } else if let Some(int) = key.downcast_ref::<PyInt>() {
            Cow::Owned(int_text(int, vm)?.into())
        } else if self.format.skipkeys {
            return Ok(None);
        } else {
            return Err(vm.new_type_error(format!(
                "keys must be str, int, float, bool or None, not {}",
                key.class().name()
            )));
        };
        Ok(Some(text))
    }

    /// A value JSON has no form for: what `default()` makes of it, or the standard
    /// library's `TypeError`.
    fn defaulted(&mut self, obj: &PyObject) -> PyResult<()> {
        let vm = self.vm;
        let Some(default) = &self.format.default else {
            return Err(vm.new_type_error(format!(
                "Object of type {} is not JSON serializable",
                obj.class().name()
            )));
        };
        self.enter(obj)?;
        let replaced = match default.call((obj.to_owned(),), vm) {
            Ok(replaced) => replaced,
            Err(error) => {
                self.leave();
                return Err(error);
            }
        };
        if let Err(error) = self.value(&replaced) {
            let note = format!("when serializing {} object", obj.class().name());
            return Err(self.fail(error, note));
        }
        self.leave();
        Ok(())
    }

    fn float_text(&self, value: f64) -> PyResult<String> {
        if value.is_finite() {
            return Ok(rustpython_vm::literal::float::to_string(value));
        }
        if !self.format.allow_nan {
            return Err(self.vm.new_value_error(format!(
                "Out of range float values are not JSON compliant: {}",
                rustpython_vm::literal::float::to_string(value)
            )));
        }
        Ok(if value.is_nan() {
            "NaN"
        } else if value > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned())
    }

    /// Marks `obj` as being encoded, or fails if it already is (a circular reference).
    fn enter(&mut self, obj: &PyObject) -> PyResult<()> {
        if !self.format.check_circular {
            return Ok(());
        }
        let id = obj.get_id();
        if self.open.contains(&id) {
            return Err(self.vm.new_value_error("Circular reference detected"));
        }
        self.open.push(id);
        Ok(())
    }

    fn leave(&mut self) {
        if self.format.check_circular {
            self.open.pop();
        }
    }

    /// Leaves the container whose item failed, noting where in it the failure was (as
    /// CPython 3.14 does).
    fn fail(&mut self, error: PyBaseExceptionRef, note: String) -> PyBaseExceptionRef {
        self.leave();
        // A note that cannot be added leaves the error as it was.
        let _ = error.add_note(self.vm.ctx.new_str(note), self.vm);
        error
    }

    fn newline(&mut self) {
        if let Some(indent) = &self.format.indent {
            self.out.push_char('\n');
            for _ in 0..self.level {
                self.out.push_wtf8(indent);
            }
        }
    }
}

/// An int (or int subclass) as `int.__repr__` writes it.
fn int_text(int: &Py<PyInt>, vm: &VirtualMachine) -> PyResult<String> {
    match i64::try_from(int.as_bigint()) {
        Ok(small) => Ok(small.to_string()),
        // The interpreter's own conversion, with its limit on digits.
        Err(_) => PyInt::repr_str(int, vm),
    }
}

/// `text` as a JSON string, quotes included. With `ascii`, everything outside printable
/// ASCII is a `\uXXXX` escape (a surrogate pair above U+FFFF); without, only `"`, `\` and
/// the control characters are escaped. Hex digits are lower case, as CPython writes them.
pub(super) fn write_string(out: &mut Wtf8Buf, text: &Wtf8, ascii: bool) {
    let bytes = text.as_bytes();
    out.push_char('"');
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let plain = match byte {
            b'"' | b'\\' => false,
            0x20..=0x7e => true,
            0x00..=0x1f => false,
            // DEL and everything above ASCII: escaped only for ASCII output.
            _ => !ascii,
        };
        if plain {
            i += 1;
            continue;
        }
        push_bytes(out, text, plain_from, i);
        if byte < 0x80 {
            match byte {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                _ => push_unicode_escape(out, u32::from(byte)),
            }
            i += 1;
        } else {
            let (code, width) = code_point_at(bytes, i);
            if code >= 0x10000 {
                let offset = code - 0x10000;
                push_unicode_escape(out, 0xd800 | (offset >> 10));
                push_unicode_escape(out, 0xdc00 | (offset & 0x3ff));
            } else {
                push_unicode_escape(out, code);
            }
            i += width;
        }
        plain_from = i;
    }
    push_bytes(out, text, plain_from, bytes.len());
    out.push_char('"');
}

/// Copies `text[from..to]`, a run that starts and ends at code point boundaries.
fn push_bytes(out: &mut Wtf8Buf, text: &Wtf8, from: usize, to: usize) {
    if from < to {
        out.push_wtf8(
            text.get(from..to)
                .expect("runs end at ASCII bytes or code points"),
        );
    }
}

fn push_unicode_escape(out: &mut Wtf8Buf, code: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = [12, 8, 4, 0].map(|shift| char::from(HEX[((code >> shift) & 0xf) as usize]));
    out.push_str("\\u");
    for digit in digits {
        out.push_char(digit);
    }
}

/// The code point WTF-8 encodes at `bytes[i]` (a lead byte), and its length in bytes.
/// WTF-8 is UTF-8 that may also hold lone surrogates, encoded as UTF-8 would encode them.
pub(super) fn code_point_at(bytes: &[u8], i: usize) -> (u32, usize) {
    let lead = u32::from(bytes[i]);
    let continuation = |k: usize| u32::from(bytes[i + k] & 0x3f);
    match lead {
        0xc0..=0xdf => (((lead & 0x1f) << 6) | continuation(1), 2),
        0xe0..=0xef => (
            ((lead & 0x0f) << 12) | (continuation(1) << 6) | continuation(2),
            3,
        ),
        _ => (
            ((lead & 0x07) << 18)
                | (continuation(1) << 12)
                | (continuation(2) << 6)
                | continuation(3),
            4,
        ),
    }
}
