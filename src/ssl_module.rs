//! `_pymqtt_ssl`: the native half of pymqtt's `ssl` module (pylib/ssl.py adds the pure
//! Python names). RustPython is built without its OpenSSL-based `ssl`; this one holds TLS
//! settings for MQTT connections: an `SSLContext` is a [`TlsOptions`] that
//! `MQTTClient(..., ssl=ctx)` uses. It does not wrap sockets.
//!
//! Certificates and keys are read and parsed when loaded, so a missing file or bad PEM
//! fails at `load_verify_locations()`/`load_cert_chain()`, not later at `connect()`.

use std::path::Path;

use rustpython_vm::builtins::{PyBaseExceptionRef, PyStr};
use rustpython_vm::function::{ArgBytesLike, FsPath};
use rustpython_vm::{
    AsObject, PyObject, PyObjectRef, PyResult, TryFromBorrowedObject, VirtualMachine,
};

use crate::mqtt::tls::{TlsOptions, material};

pub(crate) use native::module_def;

/// The `ssl.SSLError` type (an OSError), for TLS failures raised elsewhere.
pub(crate) fn ssl_error_type(vm: &VirtualMachine) -> rustpython_vm::builtins::PyTypeRef {
    native::ssl_error(vm)
}

/// `ssl.SSLError(errno, message)`.
pub(crate) fn new_ssl_error(
    vm: &VirtualMachine,
    errno: Option<i32>,
    message: impl Into<String>,
) -> PyBaseExceptionRef {
    vm.new_os_subtype_error(ssl_error_type(vm), errno, message.into())
        .upcast()
}

/// The settings of `obj` if it is an `ssl.SSLContext`.
pub(crate) fn context_options(obj: &PyObject) -> Option<TlsOptions> {
    obj.downcast_ref::<native::SslContext>()
        .map(|ctx| ctx.options.lock().clone())
}

/// The text of a path argument (str, bytes or os.PathLike).
pub(crate) fn path_arg(obj: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<String> {
    let path = FsPath::try_from_path_like(obj.to_owned(), true, vm).map_err(|_| {
        vm.new_type_error(format!(
            "{what} must be a path (str, bytes or os.PathLike), not {}",
            obj.class().name()
        ))
    })?;
    Ok(path.to_string_lossy().into_owned())
}

/// The bytes of the file at `path`; a failure is the OSError `open()` would raise.
pub(crate) fn read_file(path: &str, vm: &VirtualMachine) -> PyResult<Vec<u8>> {
    std::fs::read(Path::new(path)).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(crate::mqtt::error::EIO);
        let strerror = std::io::Error::from_raw_os_error(errno).to_string();
        let strerror = strerror
            .rsplit_once(" (os error")
            .map_or(strerror.as_str(), |(text, _)| text)
            .to_string();
        match vm
            .ctx
            .exceptions
            .os_error
            .as_object()
            .call((errno, strerror, path.to_string()), vm)
        {
            Ok(exc) => exc
                .downcast::<rustpython_vm::builtins::PyBaseException>()
                .unwrap_or_else(|_| vm.new_os_error(format!("cannot read {path}: {e}"))),
            Err(exc) => exc,
        }
    })
}

/// Certificate or key data given in memory: str (PEM text) or bytes-like (PEM or DER).
pub(crate) fn data_arg(obj: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<Vec<u8>> {
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Ok(s.as_bytes().to_vec());
    }
    match ArgBytesLike::try_from_borrowed_object(vm, obj) {
        Ok(buf) => Ok(buf.borrow_buf().to_vec()),
        Err(_) => Err(vm.new_type_error(format!(
            "{what} must be str (PEM) or bytes (PEM or DER), not {}",
            obj.class().name()
        ))),
    }
}

/// Parses certificates; bad data is an `ssl.SSLError`, as in CPython.
pub(crate) fn certificates(
    data: &[u8],
    what: &str,
    vm: &VirtualMachine,
) -> PyResult<Vec<rustls_pki_types::CertificateDer<'static>>> {
    material::certificates(data, what).map_err(|m| new_ssl_error(vm, None, m))
}

pub(crate) fn private_key(
    data: &[u8],
    what: &str,
    vm: &VirtualMachine,
) -> PyResult<rustls_pki_types::PrivateKeyDer<'static>> {
    material::private_key(data, what).map_err(|m| new_ssl_error(vm, None, m))
}

/// Every certificate in the files of folder `dir` (CPython's `capath`); files that hold
/// none are skipped, as OpenSSL does.
fn certificates_in_folder(
    dir: &str,
    vm: &VirtualMachine,
) -> PyResult<Vec<rustls_pki_types::CertificateDer<'static>>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vm.new_errno_error(
            e.raw_os_error().unwrap_or(crate::mqtt::error::EIO),
            format!("cannot read capath {dir}: {e}"),
        )
        .upcast::<rustpython_vm::builtins::PyBaseException>()
    })?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        if let Ok(data) = std::fs::read(entry.path())
            && let Ok(found) = material::certificates(&data, "")
        {
            certs.extend(found);
        }
    }
    if certs.is_empty() {
        return Err(new_ssl_error(
            vm,
            None,
            format!("capath {dir} holds no certificate files"),
        ));
    }
    Ok(certs)
}

#[rustpython_vm::pymodule(name = "_pymqtt_ssl")]
mod native {
    use std::sync::Arc;

    use rustpython_vm::builtins::{PyListRef, PyStr, PyTypeRef};
    use rustpython_vm::common::lock::PyMutex;
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::types::{Constructor, Representable};
    use rustpython_vm::{FromArgs, Py, PyObjectRef, PyPayload, PyResult, VirtualMachine, pyclass};

    use crate::mqtt::tls::{CertReqs, ClientIdentity, TlsOptions};

    #[pyattr]
    const CERT_NONE: i64 = CertReqs::None as i64;
    #[pyattr]
    const CERT_OPTIONAL: i64 = CertReqs::Optional as i64;
    #[pyattr]
    const CERT_REQUIRED: i64 = CertReqs::Required as i64;
    /// CPython's numbers, so code that prints or compares them sees the usual values.
    #[pyattr]
    const PROTOCOL_TLS: i64 = 2;
    #[pyattr]
    const PROTOCOL_TLS_CLIENT: i64 = 16;
    #[pyattr]
    const PROTOCOL_TLS_SERVER: i64 = 17;
    #[pyattr]
    const HAS_SNI: bool = true;
    #[pyattr]
    const HAS_ALPN: bool = true;
    #[pyattr]
    const OPENSSL_VERSION: &str = "rustls 0.23 (ring), not OpenSSL";

    #[pyattr(name = "SSLError", once)]
    pub(super) fn ssl_error(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type(
            "ssl",
            "SSLError",
            Some(vec![vm.ctx.exceptions.os_error.to_owned()]),
        )
    }

    #[derive(FromArgs)]
    pub(crate) struct NewArgs {
        #[pyarg(any, default = PROTOCOL_TLS_CLIENT)]
        protocol: i64,
    }

    #[derive(FromArgs)]
    struct VerifyLocationsArgs {
        #[pyarg(any, default)]
        cafile: Option<PyObjectRef>,
        #[pyarg(any, default)]
        capath: Option<PyObjectRef>,
        #[pyarg(any, default)]
        cadata: Option<PyObjectRef>,
    }

    #[derive(FromArgs)]
    struct CertChainArgs {
        #[pyarg(any)]
        certfile: PyObjectRef,
        #[pyarg(any, default)]
        keyfile: Option<PyObjectRef>,
        #[pyarg(any, default)]
        password: Option<PyObjectRef>,
    }

    /// TLS settings for `MQTTClient(..., ssl=ctx)`.
    #[pyattr]
    #[pyclass(name = "SSLContext", module = "ssl")]
    #[derive(Debug, PyPayload)]
    pub(crate) struct SslContext {
        pub(crate) options: PyMutex<TlsOptions>,
        protocol: i64,
    }

    impl Constructor for SslContext {
        type Args = NewArgs;

        fn py_new(
            _cls: &Py<rustpython_vm::builtins::PyType>,
            args: NewArgs,
            vm: &VirtualMachine,
        ) -> PyResult<Self> {
            match args.protocol {
                // PROTOCOL_TLS is CPython's old "either side"; it is a client here, with the
                // same secure defaults as PROTOCOL_TLS_CLIENT.
                PROTOCOL_TLS_CLIENT | PROTOCOL_TLS => Ok(SslContext {
                    options: PyMutex::new(TlsOptions::default()),
                    protocol: args.protocol,
                }),
                PROTOCOL_TLS_SERVER => Err(vm.new_not_implemented_error(
                    "pymqtt's ssl module makes client connections only \
                     (SSLContext(ssl.PROTOCOL_TLS_CLIENT) for MQTTClient(..., ssl=ctx)); \
                     for a TLS broker, run mosquitto",
                )),
                other => Err(vm.new_value_error(format!(
                    "unknown protocol {other}: use ssl.PROTOCOL_TLS_CLIENT"
                ))),
            }
        }
    }

    impl Representable for SslContext {
        fn repr_str(zelf: &Py<Self>, _vm: &VirtualMachine) -> PyResult<String> {
            let options = zelf.options.lock();
            Ok(format!(
                "<ssl.SSLContext verify_mode={} check_hostname={} CAs={} client_cert={}>",
                options.cert_reqs as i64,
                options.check_hostname,
                if options.ca.is_empty() {
                    "system".to_string()
                } else {
                    options.ca.len().to_string()
                },
                options.identity.is_some()
            ))
        }
    }

    #[pyclass(with(Constructor, Representable))]
    impl SslContext {
        #[pygetset]
        fn protocol(&self) -> i64 {
            self.protocol
        }

        #[pygetset]
        fn verify_mode(&self) -> i64 {
            self.options.lock().cert_reqs as i64
        }

        #[pygetset(setter)]
        fn set_verify_mode(&self, value: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let mode = super::cert_reqs_arg(&value, "verify_mode", vm)?;
            let mut options = self.options.lock();
            if mode == CertReqs::None && options.check_hostname {
                // CPython's rule and message: the name check needs a verified certificate.
                return Err(vm.new_value_error(
                    "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.",
                ));
            }
            options.cert_reqs = mode;
            Ok(())
        }

        #[pygetset]
        fn check_hostname(&self) -> bool {
            self.options.lock().check_hostname
        }

        #[pygetset(setter)]
        fn set_check_hostname(&self, value: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let check = value.try_to_bool(vm)?;
            let mut options = self.options.lock();
            // As CPython: turning the name check on turns verification on.
            if check && options.cert_reqs == CertReqs::None {
                options.cert_reqs = CertReqs::Required;
            }
            options.check_hostname = check;
            Ok(())
        }

        /// Trust these CAs (instead of the system's, unless `load_default_certs()` is called).
        #[pymethod]
        fn load_verify_locations(
            &self,
            args: VerifyLocationsArgs,
            vm: &VirtualMachine,
        ) -> PyResult<()> {
            let given = |o: &Option<PyObjectRef>| o.as_ref().filter(|o| !vm.is_none(o)).cloned();
            let (cafile, capath, cadata) = (
                given(&args.cafile),
                given(&args.capath),
                given(&args.cadata),
            );
            if cafile.is_none() && capath.is_none() && cadata.is_none() {
                return Err(vm.new_type_error("cafile, capath and cadata cannot be all omitted"));
            }
            let mut certs = Vec::new();
            if let Some(cafile) = cafile {
                let path = super::path_arg(&cafile, "cafile", vm)?;
                let data = super::read_file(&path, vm)?;
                certs.extend(super::certificates(&data, &path, vm)?);
            }
            if let Some(capath) = capath {
                let dir = super::path_arg(&capath, "capath", vm)?;
                certs.extend(super::certificates_in_folder(&dir, vm)?);
            }
            if let Some(cadata) = cadata {
                let data = super::data_arg(&cadata, "cadata", vm)?;
                certs.extend(super::certificates(&data, "cadata", vm)?);
            }
            self.options.lock().ca.extend(certs);
            Ok(())
        }

        /// The client certificate (and its key) for brokers that ask for one.
        #[pymethod]
        fn load_cert_chain(&self, args: CertChainArgs, vm: &VirtualMachine) -> PyResult<()> {
            if args.password.as_ref().is_some_and(|p| !vm.is_none(p)) {
                return Err(vm.new_not_implemented_error(
                    "encrypted private keys are not supported: decrypt the key first \
                     (openssl pkey -in KEY -out KEY.plain) and keep it readable only to you",
                ));
            }
            let certfile = super::path_arg(&args.certfile, "certfile", vm)?;
            let cert_data = super::read_file(&certfile, vm)?;
            let chain = super::certificates(&cert_data, &certfile, vm)?;
            let key = match args.keyfile.as_ref().filter(|k| !vm.is_none(k)) {
                Some(keyfile) => {
                    let keyfile = super::path_arg(keyfile, "keyfile", vm)?;
                    let key_data = super::read_file(&keyfile, vm)?;
                    super::private_key(&key_data, &keyfile, vm)?
                }
                None => super::private_key(&cert_data, &certfile, vm)?,
            };
            self.options.lock().identity = Some(Arc::new(ClientIdentity { chain, key }));
            Ok(())
        }

        /// Trust the system's CAs too.
        #[pymethod]
        fn load_default_certs(&self, _purpose: OptionalArg<PyObjectRef>) {
            self.options.lock().with_system_ca = true;
        }

        #[pymethod]
        fn set_default_verify_paths(&self) {
            self.options.lock().with_system_ca = true;
        }

        #[pymethod]
        fn set_alpn_protocols(&self, protocols: PyListRef, vm: &VirtualMachine) -> PyResult<()> {
            let mut names = Vec::new();
            for item in protocols.borrow_vec().iter() {
                let name = item
                    .downcast_ref::<PyStr>()
                    .and_then(|s| s.to_str())
                    .filter(|s| !s.is_empty() && s.len() < 256)
                    .ok_or_else(|| {
                        vm.new_value_error(
                            "ALPN protocols must be non-empty str of at most 255 bytes",
                        )
                    })?;
                names.push(name.as_bytes().to_vec());
            }
            self.options.lock().alpn = names;
            Ok(())
        }

        #[pymethod]
        fn set_ciphers(&self, _ciphers: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            Err(vm.new_not_implemented_error(
                "pymqtt's TLS (rustls) chooses its own safe cipher suites; set_ciphers() is \
                 not supported",
            ))
        }

        #[pymethod]
        fn wrap_bio(
            &self,
            _args: rustpython_vm::function::FuncArgs,
            vm: &VirtualMachine,
        ) -> PyResult<()> {
            Err(super::no_socket_wrapping(vm))
        }

        #[pymethod]
        fn wrap_socket(
            &self,
            _args: rustpython_vm::function::FuncArgs,
            vm: &VirtualMachine,
        ) -> PyResult<()> {
            Err(super::no_socket_wrapping(vm))
        }
    }
}

/// Why `wrap_socket` is refused, with what works instead.
pub(crate) fn no_socket_wrapping(vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_not_implemented_error(
        "pymqtt's ssl module does not wrap sockets (no https, no TLS sockets of your own): \
         its TLS is for MQTT only; pass the context to umqtt.simple as MQTTClient(..., \
         ssl=ctx), or use ssl=True, ssl_params={...}",
    )
}

/// `cert_reqs`/`verify_mode`: one of `ssl.CERT_NONE`, `CERT_OPTIONAL`, `CERT_REQUIRED`.
pub(crate) fn cert_reqs_arg(
    value: &PyObjectRef,
    what: &str,
    vm: &VirtualMachine,
) -> PyResult<crate::mqtt::tls::CertReqs> {
    use rustpython_vm::builtins::{PyBool, PyInt};
    let number = value
        .downcast_ref::<PyInt>()
        .filter(|_| value.downcast_ref::<PyBool>().is_none())
        .ok_or_else(|| {
            vm.new_type_error(format!(
                "{what} must be ssl.CERT_NONE, ssl.CERT_OPTIONAL or ssl.CERT_REQUIRED, not {}",
                value.class().name()
            ))
        })?;
    number
        .try_to_primitive::<i64>(vm)
        .ok()
        .and_then(crate::mqtt::tls::CertReqs::from_int)
        .ok_or_else(|| {
            vm.new_value_error(format!(
                "{what} must be ssl.CERT_NONE (0), ssl.CERT_OPTIONAL (1) or ssl.CERT_REQUIRED \
                 (2), not {}",
                number.as_bigint()
            ))
        })
}
