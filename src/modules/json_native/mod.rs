//! `_json_native`: `json.dumps()`, `loads()`, `dump()` and `load()` in Rust, which
//! pylib/json/__init__.py puts in the standard library's `json` package (MicroPython's
//! `ujson` is that package too).
//!
//! A sensor script calls them once or twice per message, forever: each call goes from the
//! script's bytecode straight into the encoder ([`encode`]) or the parser ([`decode`]), with
//! no Python frames between (the standard library's `dumps` runs four before its C encoder).
//! The output and the errors are the standard library's. A `cls=` other than
//! `JSONEncoder`/`JSONDecoder`, or arguments only such a class knows, take the standard
//! library's own path, as CPython's `dumps(cls=...)` does.

mod decode;
mod encode;

pub(crate) use native::module_def;

#[rustpython_vm::pymodule(name = "_json_native")]
mod native {
    use rustpython_vm::builtins::{PyByteArray, PyBytes, PyStr, PyStrRef};
    use rustpython_vm::common::wtf8::{Wtf8, Wtf8Buf};
    use rustpython_vm::function::{ArgBytesLike, FuncArgs, KwArgs, OptionalArg};
    use rustpython_vm::{AsObject, FromArgs, PyObjectRef, PyRef, PyResult, VirtualMachine};

    use super::decode::{self, Failure, Hooks};
    use super::encode::{self, Format};

    /// The package the standard library's classes come from (JSONEncoder, JSONDecoder,
    /// JSONDecodeError): pylib/json/__init__.py, which loads them when first asked.
    fn package(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        vm.import("json", 0)
    }

    #[derive(FromArgs)]
    struct EncodeArgs {
        #[pyarg(named, optional)]
        skipkeys: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        ensure_ascii: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        check_circular: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        allow_nan: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        cls: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        indent: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        separators: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        default: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        sort_keys: OptionalArg<PyObjectRef>,
    }

    /// A keyword argument's value, or `None` when it was left out or given as `None`.
    fn given(arg: &OptionalArg<PyObjectRef>, vm: &VirtualMachine) -> Option<PyObjectRef> {
        arg.as_option().filter(|value| !vm.is_none(value)).cloned()
    }

    fn truth(arg: &OptionalArg<PyObjectRef>, absent: bool, vm: &VirtualMachine) -> PyResult<bool> {
        match arg.as_option() {
            Some(value) => value.clone().try_to_bool(vm),
            None => Ok(absent),
        }
    }

    impl EncodeArgs {
        /// A class of the caller's (or arguments only such a class takes): the standard
        /// library's path, which constructs it.
        fn custom_encoder(
            &self,
            rest: &KwArgs,
            vm: &VirtualMachine,
        ) -> PyResult<Option<PyObjectRef>> {
            let cls = given(&self.cls, vm);
            if cls.is_none() && rest.is_empty() {
                return Ok(None);
            }
            let standard = package(vm)?.get_attr("JSONEncoder", vm)?;
            if rest.is_empty() && cls.as_ref().is_some_and(|cls| cls.is(&standard)) {
                return Ok(None);
            }
            let passed = |arg: &OptionalArg<PyObjectRef>, absent: PyObjectRef| {
                arg.as_option().cloned().unwrap_or(absent)
            };
            let (yes, no, none) = (
                || vm.ctx.new_bool(true).into(),
                || vm.ctx.new_bool(false).into(),
                || vm.ctx.none(),
            );
            // Every argument, as the standard library's dumps() passes them to the class.
            let standard_args = [
                ("skipkeys", passed(&self.skipkeys, no())),
                ("ensure_ascii", passed(&self.ensure_ascii, yes())),
                ("check_circular", passed(&self.check_circular, yes())),
                ("allow_nan", passed(&self.allow_nan, yes())),
                ("indent", passed(&self.indent, none())),
                ("separators", passed(&self.separators, none())),
                ("default", passed(&self.default, none())),
                ("sort_keys", passed(&self.sort_keys, no())),
            ];
            let kwargs: KwArgs = standard_args
                .into_iter()
                .map(|(name, value)| (Wtf8Buf::from(name), value))
                .chain(
                    rest.iter()
                        .map(|(name, value)| (name.clone(), value.clone())),
                )
                .collect();
            cls.unwrap_or(standard)
                .call(FuncArgs::new(Vec::new(), kwargs), vm)
                .map(Some)
        }

        fn format(&self, vm: &VirtualMachine) -> PyResult<Format> {
            let indent = match given(&self.indent, vm) {
                None => None,
                Some(indent) => Some(indent_text(&indent, vm)?),
            };
            let (item_separator, key_separator) = match given(&self.separators, vm) {
                Some(separators) => separator_pair(&separators, vm)?,
                None if indent.is_some() => (",".into(), ": ".into()),
                None => (", ".into(), ": ".into()),
            };
            Ok(Format {
                indent,
                item_separator,
                key_separator,
                sort_keys: truth(&self.sort_keys, false, vm)?,
                skipkeys: truth(&self.skipkeys, false, vm)?,
                ensure_ascii: truth(&self.ensure_ascii, true, vm)?,
                allow_nan: truth(&self.allow_nan, true, vm)?,
                check_circular: truth(&self.check_circular, true, vm)?,
                default: given(&self.default, vm),
            })
        }
    }

    /// `indent`: a string as it is, a number of spaces, or whatever `" " * indent` makes of
    /// anything else (the standard library's rule, and its TypeError).
    fn indent_text(indent: &PyObjectRef, vm: &VirtualMachine) -> PyResult<Wtf8Buf> {
        if let Some(text) = indent.downcast_ref::<PyStr>() {
            return Ok(text.as_wtf8().to_owned());
        }
        let spaces = vm._mul(vm.ctx.new_str(" ").as_object(), indent)?;
        let spaces: PyStrRef = spaces.try_into_value(vm)?;
        Ok(spaces.as_wtf8().to_owned())
    }

    /// `separators=(item_separator, key_separator)`.
    fn separator_pair(
        separators: &PyObjectRef,
        vm: &VirtualMachine,
    ) -> PyResult<(Wtf8Buf, Wtf8Buf)> {
        let parts: Vec<PyObjectRef> = vm.extract_elements_with(separators, Ok)?;
        let [item, key] = <[PyObjectRef; 2]>::try_from(parts).map_err(|parts| {
            vm.new_value_error(format!(
                "separators must be a pair (item_separator, key_separator), not {} values",
                parts.len()
            ))
        })?;
        let text = |part: PyObjectRef| -> PyResult<Wtf8Buf> {
            match part.downcast_ref::<PyStr>() {
                Some(text) => Ok(text.as_wtf8().to_owned()),
                None => Err(vm.new_type_error(format!(
                    "separators must be str, not {}",
                    part.class().name()
                ))),
            }
        };
        Ok((text(item)?, text(key)?))
    }

    /// `dumps(obj, *, skipkeys=False, ensure_ascii=True, check_circular=True,
    /// allow_nan=True, cls=None, indent=None, separators=None, default=None,
    /// sort_keys=False, **kw)`: `obj` as a JSON `str`.
    #[pyfunction]
    fn dumps(obj: PyObjectRef, args: EncodeArgs, rest: KwArgs, vm: &VirtualMachine) -> PyResult {
        if let Some(encoder) = args.custom_encoder(&rest, vm)? {
            return vm.call_method(&encoder, "encode", (obj,));
        }
        let text = encode::encode(&obj, &args.format(vm)?, vm)?;
        Ok(vm.ctx.new_str(text).into())
    }

    /// `dump(obj, fp, ...)`: `dumps(obj, ...)` written to `fp` (a file or a MicroPython
    /// stream) with one `write()`; nothing is written if encoding fails.
    #[pyfunction]
    fn dump(
        obj: PyObjectRef,
        fp: PyObjectRef,
        args: EncodeArgs,
        rest: KwArgs,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        if let Some(encoder) = args.custom_encoder(&rest, vm)? {
            // The standard library writes what the class's iterencode() yields, part by part.
            let parts = vm.call_method(&encoder, "iterencode", (obj,))?;
            let write = fp.get_attr("write", vm)?;
            let parts = parts.get_iter(vm)?;
            let binary = takes_bytes(&fp, vm)?;
            while let rustpython_vm::protocol::PyIterReturn::Return(part) = parts.next(vm)? {
                let part = if binary { utf8(part, vm)? } else { part };
                write.call((part,), vm)?;
            }
            return Ok(());
        }
        let text: PyObjectRef = vm
            .ctx
            .new_str(encode::encode(&obj, &args.format(vm)?, vm)?)
            .into();
        let text = if takes_bytes(&fp, vm)? {
            utf8(text, vm)?
        } else {
            text
        };
        vm.call_method(&fp, "write", (text,))?;
        Ok(())
    }

    /// Whether `fp` is a binary stream (`io.BytesIO`, a file opened with `"wb"`). MicroPython's
    /// `json.dump()` writes to any stream, and boards' scripts dump to both kinds; the
    /// standard library's would fail on these with a TypeError.
    fn takes_bytes(fp: &PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
        let io = vm.import("_io", 0)?;
        for base in ["_BufferedIOBase", "_RawIOBase"] {
            if fp.is_instance(io.get_attr(base, vm)?.as_object(), vm)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A `str` as UTF-8 bytes, with the codec's error for a lone surrogate.
    fn utf8(text: PyObjectRef, vm: &VirtualMachine) -> PyResult {
        vm.call_method(&text, "encode", ("utf-8",))
    }

    #[derive(FromArgs)]
    struct DecodeArgs {
        #[pyarg(named, optional)]
        cls: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        object_hook: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        parse_float: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        parse_int: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        parse_constant: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        object_pairs_hook: OptionalArg<PyObjectRef>,
    }

    /// What `loads()` was given, as text.
    enum Document {
        Text(PyStrRef),
        /// UTF-8 bytes, read in place (the common case for an MQTT payload). A `bytearray`
        /// is copied first: a hook could change it while it is being read.
        Utf8(PyRef<PyBytes>),
    }

    impl Document {
        /// The standard library's rules: a `str` (not starting with a BOM), or `bytes`/
        /// `bytearray` in UTF-8, -16 or -32.
        fn of(s: PyObjectRef, vm: &VirtualMachine) -> PyResult<Self> {
            if let Ok(text) = s.clone().downcast::<PyStr>() {
                if text.as_wtf8().as_bytes().starts_with("\u{feff}".as_bytes()) {
                    let message = "Unexpected UTF-8 BOM (decode using utf-8-sig)";
                    return Err(decode_error(message, text, 0, vm));
                }
                return Ok(Document::Text(text));
            }
            let bytes = if let Ok(bytes) = s.clone().downcast::<PyBytes>() {
                bytes
            } else if let Some(array) = s.downcast_ref::<PyByteArray>() {
                vm.ctx.new_bytes(array.borrow_buf().to_vec())
            } else {
                return Err(vm.new_type_error(format!(
                    "the JSON object must be str, bytes or bytearray, not {}",
                    s.class().name()
                )));
            };
            if plain_utf8(bytes.as_bytes()) {
                return Ok(Document::Utf8(bytes));
            }
            // Another encoding (or surrogates, which `surrogatepass` lets through): the
            // standard library's detection and decoding.
            let encoding = encoding_of(bytes.as_bytes());
            let text = vm.call_method(bytes.as_object(), "decode", (encoding, "surrogatepass"))?;
            Ok(Document::Text(text.try_into_value(vm)?))
        }

        fn text(&self) -> &Wtf8 {
            match self {
                Document::Text(text) => text.as_wtf8(),
                Document::Utf8(bytes) => {
                    Wtf8::new(std::str::from_utf8(bytes.as_bytes()).expect("checked as UTF-8"))
                }
            }
        }

        fn into_str(self, vm: &VirtualMachine) -> PyStrRef {
            match &self {
                Document::Text(text) => text.clone(),
                Document::Utf8(_) => vm.ctx.new_str(self.text()),
            }
        }
    }

    /// `detect_encoding(b)`: the encoding of a JSON document in bytes, as the standard
    /// library tells it: from a BOM, else from where the NUL bytes are among the first four
    /// (JSON text starts with an ASCII character), else UTF-8.
    #[pyfunction]
    fn detect_encoding(b: ArgBytesLike) -> &'static str {
        b.with_ref(encoding_of)
    }

    fn encoding_of(b: &[u8]) -> &'static str {
        if b.starts_with(b"\x00\x00\xfe\xff") || b.starts_with(b"\xff\xfe\x00\x00") {
            return "utf-32";
        }
        if b.starts_with(b"\xfe\xff") || b.starts_with(b"\xff\xfe") {
            return "utf-16";
        }
        if b.starts_with(b"\xef\xbb\xbf") {
            return "utf-8-sig";
        }
        match *b {
            [0, 0, ..] if b.len() >= 4 => "utf-32-be",
            [0, _, ..] if b.len() >= 4 => "utf-16-be",
            [_, 0, 0, 0, ..] => "utf-32-le",
            [_, 0, ..] if b.len() >= 4 => "utf-16-le",
            [0, _] => "utf-16-be",
            [_, 0] => "utf-16-le",
            _ => "utf-8",
        }
    }

    /// Bytes in UTF-8 (as [`encoding_of`] tells) that are valid UTF-8: read in place.
    fn plain_utf8(bytes: &[u8]) -> bool {
        encoding_of(bytes) == "utf-8" && std::str::from_utf8(bytes).is_ok()
    }

    fn decode_error(
        message: &str,
        doc: PyStrRef,
        pos: usize,
        vm: &VirtualMachine,
    ) -> rustpython_vm::builtins::PyBaseExceptionRef {
        let raised = package(vm)
            .and_then(|json| json.get_attr("JSONDecodeError", vm))
            .and_then(|class| class.call((message.to_owned(), doc, pos), vm));
        match raised {
            Ok(error) => match error.downcast() {
                Ok(error) => error,
                Err(_) => vm.new_value_error(message.to_owned()),
            },
            Err(error) => error,
        }
    }

    impl DecodeArgs {
        fn custom_decoder(
            &self,
            rest: &KwArgs,
            vm: &VirtualMachine,
        ) -> PyResult<Option<PyObjectRef>> {
            let cls = given(&self.cls, vm);
            let only_strict = rest.keys().all(|name| name.as_bytes() == b"strict");
            if cls.is_none() && only_strict {
                return Ok(None);
            }
            let standard = package(vm)?.get_attr("JSONDecoder", vm)?;
            if only_strict && cls.as_ref().is_some_and(|cls| cls.is(&standard)) {
                return Ok(None);
            }
            // As the standard library's loads(): the hooks given, and the rest as they came.
            let hooks = [
                ("object_hook", &self.object_hook),
                ("parse_float", &self.parse_float),
                ("parse_int", &self.parse_int),
                ("parse_constant", &self.parse_constant),
                ("object_pairs_hook", &self.object_pairs_hook),
            ];
            let kwargs: KwArgs = rest
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .chain(hooks.into_iter().filter_map(|(name, hook)| {
                    given(hook, vm).map(|hook| (Wtf8Buf::from(name), hook))
                }))
                .collect();
            cls.unwrap_or(standard)
                .call(FuncArgs::new(Vec::new(), kwargs), vm)
                .map(Some)
        }

        fn hooks(&self, rest: &KwArgs, vm: &VirtualMachine) -> PyResult<Hooks> {
            // As JSONDecoder: a falsy parse_float is float, and float (or int) itself needs
            // no call.
            let hook = |arg: &OptionalArg<PyObjectRef>, builtin: &PyObjectRef| -> PyResult<_> {
                match given(arg, vm) {
                    Some(hook) if !hook.is(builtin) && hook.clone().try_to_bool(vm)? => {
                        Ok(Some(hook))
                    }
                    _ => Ok(None),
                }
            };
            let float = vm.ctx.types.float_type.to_owned().into();
            let int = vm.ctx.types.int_type.to_owned().into();
            let strict = match rest.get("strict") {
                Some(strict) => strict.clone().try_to_bool(vm)?,
                None => true,
            };
            Ok(Hooks {
                object_hook: given(&self.object_hook, vm),
                object_pairs_hook: given(&self.object_pairs_hook, vm),
                parse_float: hook(&self.parse_float, &float)?,
                parse_int: hook(&self.parse_int, &int)?,
                parse_constant: hook(&self.parse_constant, &vm.ctx.none())?,
                lenient: !strict,
            })
        }
    }

    /// `loads(s, *, cls=None, object_hook=None, parse_float=None, parse_int=None,
    /// parse_constant=None, object_pairs_hook=None, **kw)`: the value the JSON document
    /// `s` (`str`, `bytes` or `bytearray`) holds.
    #[pyfunction]
    fn loads(s: PyObjectRef, args: DecodeArgs, rest: KwArgs, vm: &VirtualMachine) -> PyResult {
        let document = Document::of(s, vm)?;
        if let Some(decoder) = args.custom_decoder(&rest, vm)? {
            return vm.call_method(&decoder, "decode", (document.into_str(vm),));
        }
        let hooks = args.hooks(&rest, vm)?;
        let parsed = decode::parse(document.text(), &hooks, vm);
        match parsed {
            Ok(value) => Ok(value),
            Err(Failure::Raised(error)) => Err(error),
            Err(Failure::Syntax(message, offset)) => {
                let doc = document.into_str(vm);
                let pos = decode::char_position(doc.as_wtf8(), offset);
                Err(decode_error(message, doc, pos, vm))
            }
        }
    }

    /// `load(fp, ...)`: `loads(fp.read(), ...)`.
    #[pyfunction]
    fn load(fp: PyObjectRef, args: DecodeArgs, rest: KwArgs, vm: &VirtualMachine) -> PyResult {
        let text = vm.call_method(&fp, "read", ())?;
        loads(text, args, rest, vm)
    }
}
