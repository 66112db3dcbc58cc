//! The parser behind `json.loads()`/`load()`: JSON text to Python values in one pass, with the
//! standard library's results and errors (each error's message and position as CPython's
//! scanner reports them).
//!
//! It reads the text's bytes (UTF-8, or WTF-8 for a `str` holding lone surrogates) and counts
//! positions in bytes; an error converts its position to characters, which is what
//! `JSONDecodeError.pos` counts.

use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::common::wtf8::{CodePoint, Wtf8, Wtf8Buf};
use rustpython_vm::{AsObject, PyObjectRef, VirtualMachine};

/// The hooks of `loads()`; `None` is the built-in behaviour.
#[derive(Default)]
pub(super) struct Hooks {
    pub object_hook: Option<PyObjectRef>,
    pub object_pairs_hook: Option<PyObjectRef>,
    pub parse_float: Option<PyObjectRef>,
    pub parse_int: Option<PyObjectRef>,
    pub parse_constant: Option<PyObjectRef>,
    /// `strict=False` lets control characters stand in strings.
    pub lenient: bool,
}

/// Why parsing stopped.
pub(super) enum Failure {
    /// Malformed JSON: CPython's message, and the byte offset it points at.
    Syntax(&'static str, usize),
    /// An exception from Python code (a hook, an int too long to convert, recursion).
    Raised(PyBaseExceptionRef),
}

impl From<PyBaseExceptionRef> for Failure {
    fn from(error: PyBaseExceptionRef) -> Self {
        Failure::Raised(error)
    }
}

type Parsed<T> = Result<T, Failure>;

/// The one JSON value `text` holds, with nothing but whitespace around it.
pub(super) fn parse(text: &Wtf8, hooks: &Hooks, vm: &VirtualMachine) -> Parsed<PyObjectRef> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        hooks,
        vm,
    };
    let start = parser.skip_whitespace(0);
    let (value, end) = parser.value(start)?;
    let end = parser.skip_whitespace(end);
    if end != parser.bytes.len() {
        return Err(Failure::Syntax("Extra data", end));
    }
    Ok(value)
}

/// `byte_offset` into `text` as a count of characters.
pub(super) fn char_position(text: &Wtf8, byte_offset: usize) -> usize {
    text.as_bytes()[..byte_offset]
        .iter()
        .filter(|&&b| b & 0xc0 != 0x80)
        .count()
}

struct Parser<'a> {
    text: &'a Wtf8,
    bytes: &'a [u8],
    hooks: &'a Hooks,
    vm: &'a VirtualMachine,
}

impl Parser<'_> {
    fn at(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    fn skip_whitespace(&self, mut pos: usize) -> usize {
        while matches!(self.at(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            pos += 1;
        }
        pos
    }

    fn has_word(&self, pos: usize, word: &[u8]) -> bool {
        self.bytes[pos..].starts_with(word)
    }

    /// The value starting at `pos`, and where it ends.
    fn value(&mut self, pos: usize) -> Parsed<(PyObjectRef, usize)> {
        let vm = self.vm;
        match self.at(pos) {
            Some(b'"') => {
                let (text, end) = self.string(pos)?;
                Ok((vm.ctx.new_str(text).into(), end))
            }
            Some(b'{') => self.nested(pos, "while decoding a JSON object from a unicode string"),
            Some(b'[') => self.nested(pos, "while decoding a JSON array from a unicode string"),
            Some(b'n') if self.has_word(pos, b"null") => Ok((vm.ctx.none(), pos + 4)),
            Some(b't') if self.has_word(pos, b"true") => {
                Ok((vm.ctx.new_bool(true).into(), pos + 4))
            }
            Some(b'f') if self.has_word(pos, b"false") => {
                Ok((vm.ctx.new_bool(false).into(), pos + 5))
            }
            Some(b'N') if self.has_word(pos, b"NaN") => self.constant("NaN", f64::NAN, pos),
            Some(b'I') if self.has_word(pos, b"Infinity") => {
                self.constant("Infinity", f64::INFINITY, pos)
            }
            Some(b'-') if self.has_word(pos, b"-Infinity") => {
                self.constant("-Infinity", f64::NEG_INFINITY, pos)
            }
            _ => self.number(pos),
        }
    }

    /// An object or array: nesting bounded by the native stack, as CPython's C scanner is,
    /// so that deep nesting is a RecursionError and never a crash.
    fn nested(&mut self, pos: usize, context: &str) -> Parsed<(PyObjectRef, usize)> {
        let mut inner = None;
        self.vm.with_recursion(context, || {
            inner = Some(if self.bytes[pos] == b'{' {
                self.object(pos)
            } else {
                self.array(pos)
            });
            Ok(())
        })?;
        inner.expect("ran unless the recursion check failed")
    }

    fn constant(&self, name: &str, value: f64, pos: usize) -> Parsed<(PyObjectRef, usize)> {
        let vm = self.vm;
        let end = pos + name.len();
        let value = match &self.hooks.parse_constant {
            Some(hook) => hook.call((name.to_owned(),), vm)?,
            None => vm.ctx.new_float(value).into(),
        };
        Ok((value, end))
    }

    fn digits(&self, mut pos: usize) -> usize {
        while matches!(self.at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
        pos
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: an int unless it has a fraction
    /// or an exponent.
    fn number(&self, start: usize) -> Parsed<(PyObjectRef, usize)> {
        let vm = self.vm;
        let mut end = start;
        if self.at(end) == Some(b'-') {
            end += 1;
        }
        end = match self.at(end) {
            Some(b'0') => end + 1,
            Some(b'1'..=b'9') => self.digits(end + 1),
            _ => return Err(Failure::Syntax("Expecting value", start)),
        };
        let mut is_float = false;
        if self.at(end) == Some(b'.') && matches!(self.at(end + 1), Some(b'0'..=b'9')) {
            end = self.digits(end + 1);
            is_float = true;
        }
        if matches!(self.at(end), Some(b'e' | b'E')) {
            let mut exponent = end + 1;
            if matches!(self.at(exponent), Some(b'+' | b'-')) {
                exponent += 1;
            }
            if matches!(self.at(exponent), Some(b'0'..=b'9')) {
                end = self.digits(exponent);
                is_float = true;
            }
        }
        let literal = std::str::from_utf8(&self.bytes[start..end]).expect("ASCII digits");
        let hook = if is_float {
            &self.hooks.parse_float
        } else {
            &self.hooks.parse_int
        };
        let value = if let Some(hook) = hook {
            hook.call((literal.to_owned(),), vm)?
        } else if is_float {
            let value: f64 = literal.parse().expect("a valid float literal");
            vm.ctx.new_float(value).into()
        } else if let Ok(small) = literal.parse::<i64>() {
            vm.ctx.new_int(small).into()
        } else {
            // Long ints go through int() itself, for its limit on digits.
            vm.ctx
                .types
                .int_type
                .as_object()
                .call((literal.to_owned(),), vm)?
        };
        Ok((value, end))
    }

    /// The string whose opening quote is at `quote`: its text, and the offset after its
    /// closing quote.
    fn string(&self, quote: usize) -> Parsed<(Wtf8Buf, usize)> {
        let bytes = self.bytes;
        let mut out = Wtf8Buf::new();
        let mut run = quote + 1;
        let mut pos = run;
        loop {
            let Some(&byte) = bytes.get(pos) else {
                return Err(Failure::Syntax("Unterminated string starting at", quote));
            };
            match byte {
                b'"' => {
                    self.push_run(&mut out, run, pos);
                    return Ok((out, pos + 1));
                }
                b'\\' => {
                    self.push_run(&mut out, run, pos);
                    pos = self.escape(&mut out, quote, pos)?;
                    run = pos;
                }
                0x00..=0x1f if !self.hooks.lenient => {
                    return Err(Failure::Syntax("Invalid control character at", pos));
                }
                _ => pos += 1,
            }
        }
    }

    fn push_run(&self, out: &mut Wtf8Buf, from: usize, to: usize) {
        if from < to {
            out.push_wtf8(self.text.get(from..to).expect("runs end at ASCII bytes"));
        }
    }

    /// The escape whose backslash is at `backslash`, added to `out`; returns the offset
    /// after it.
    fn escape(&self, out: &mut Wtf8Buf, quote: usize, backslash: usize) -> Parsed<usize> {
        let Some(kind) = self.at(backslash + 1) else {
            return Err(Failure::Syntax("Unterminated string starting at", quote));
        };
        let plain = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(out, backslash),
            _ => return Err(Failure::Syntax("Invalid \\escape", backslash)),
        };
        out.push_char(plain);
        Ok(backslash + 2)
    }

    /// `\uXXXX`, and a surrogate pair written as two of them.
    fn unicode_escape(&self, out: &mut Wtf8Buf, backslash: usize) -> Parsed<usize> {
        let digits = backslash + 2;
        // As CPython's scanner: four digits and at least one more character must follow,
        // else the escape itself is what is wrong (not the missing closing quote).
        if digits + 4 >= self.bytes.len() {
            return Err(Failure::Syntax("Invalid \\uXXXX escape", backslash + 1));
        }
        let mut code = self.hex4(digits)?;
        let mut end = digits + 4;
        if (0xd800..0xdc00).contains(&code)
            && end + 6 < self.bytes.len()
            && self.bytes[end] == b'\\'
            && self.bytes[end + 1] == b'u'
        {
            let low = self.hex4(end + 2)?;
            if (0xdc00..0xe000).contains(&low) {
                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                end += 6;
            }
        }
        let code = CodePoint::from_u32(code).expect("at most U+10FFFF");
        out.push(code);
        Ok(end)
    }

    fn hex4(&self, at: usize) -> Parsed<u32> {
        let mut code = 0;
        for &digit in &self.bytes[at..at + 4] {
            let value = char::from(digit)
                .to_digit(16)
                .ok_or(Failure::Syntax("Invalid \\uXXXX escape", at - 1))?;
            code = code << 4 | value;
        }
        Ok(code)
    }

    fn object(&mut self, open: usize) -> Parsed<(PyObjectRef, usize)> {
        let vm = self.vm;
        // Straight into the dict, unless object_pairs_hook wants the pairs as they came
        // (duplicate keys included).
        let dict = vm.ctx.new_dict();
        let mut pairs: Vec<PyObjectRef> = Vec::new();
        let wants_pairs = self.hooks.object_pairs_hook.is_some();
        let mut pos = self.skip_whitespace(open + 1);
        match self.at(pos) {
            Some(b'"') => loop {
                let (key, after_key) = self.string(pos)?;
                pos = self.skip_whitespace(after_key);
                if self.at(pos) != Some(b':') {
                    return Err(Failure::Syntax("Expecting ':' delimiter", pos));
                }
                pos = self.skip_whitespace(pos + 1);
                let (value, after_value) = self.value(pos)?;
                let key = vm.ctx.new_str(key);
                if wants_pairs {
                    pairs.push(vm.new_tuple((key, value)).into());
                } else {
                    dict.set_item(&*key, value, vm)?;
                }
                pos = self.skip_whitespace(after_value);
                match self.at(pos) {
                    Some(b'}') => break,
                    Some(b',') => {
                        let comma = pos;
                        pos = self.skip_whitespace(pos + 1);
                        match self.at(pos) {
                            Some(b'"') => {}
                            Some(b'}') => {
                                return Err(Failure::Syntax(
                                    "Illegal trailing comma before end of object",
                                    comma,
                                ));
                            }
                            _ => {
                                return Err(Failure::Syntax(
                                    "Expecting property name enclosed in double quotes",
                                    pos,
                                ));
                            }
                        }
                    }
                    _ => return Err(Failure::Syntax("Expecting ',' delimiter", pos)),
                }
            },
            Some(b'}') => {}
            _ => {
                return Err(Failure::Syntax(
                    "Expecting property name enclosed in double quotes",
                    pos,
                ));
            }
        }
        let end = pos + 1;
        if let Some(hook) = &self.hooks.object_pairs_hook {
            return Ok((hook.call((vm.ctx.new_list(pairs),), vm)?, end));
        }
        let value = match &self.hooks.object_hook {
            Some(hook) => hook.call((dict,), vm)?,
            None => dict.into(),
        };
        Ok((value, end))
    }

    fn array(&mut self, open: usize) -> Parsed<(PyObjectRef, usize)> {
        let mut items = Vec::new();
        let mut pos = self.skip_whitespace(open + 1);
        if self.at(pos) != Some(b']') {
            loop {
                let (value, after) = self.value(pos)?;
                items.push(value);
                pos = self.skip_whitespace(after);
                match self.at(pos) {
                    Some(b']') => break,
                    Some(b',') => {
                        let comma = pos;
                        pos = self.skip_whitespace(pos + 1);
                        if self.at(pos) == Some(b']') {
                            return Err(Failure::Syntax(
                                "Illegal trailing comma before end of array",
                                comma,
                            ));
                        }
                    }
                    _ => return Err(Failure::Syntax("Expecting ',' delimiter", pos)),
                }
            }
        }
        Ok((self.vm.ctx.new_list(items).into(), pos + 1))
    }
}
