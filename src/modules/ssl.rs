//! The MQTT side of `ssl`: what an `ssl.SSLContext` (pylib/ssl.py, the standard library's
//! module on RustPython's rustls `_ssl`) was given, as the [`TlsOptions`] that
//! `MQTTClient(..., ssl=ctx)` connects with, and the parsing of certificates and keys that
//! `ssl_params` shares with it.
//!
//! The MQTT connection is made by rumqttc on its own thread, not through a Python socket, so
//! the context's settings are read here at each `connect()` rather than used in place. The
//! context has checked the files and data already when they were loaded.

pub(crate) mod params;

use std::sync::Arc;

use rustpython_vm::builtins::{PyBaseExceptionRef, PyListRef, PyStr, PyTuple, PyTypeRef};
use rustpython_vm::function::{ArgBytesLike, FsPath};
use rustpython_vm::{
    AsObject, PyObject, PyObjectRef, PyResult, TryFromBorrowedObject, VirtualMachine,
};

use crate::mqtt::tls::{CertReqs, ClientIdentity, TlsOptions, material};

/// CPython's `ssl.PROTOCOL_TLS_SERVER`: a context that cannot make client connections.
const PROTOCOL_TLS_SERVER: i64 = 17;

/// The `ssl.SSLError` type (an OSError), for TLS failures raised elsewhere; plain `OSError`
/// in a build without TLS, where there is no `ssl` module.
pub(crate) fn ssl_error_type(vm: &VirtualMachine) -> PyTypeRef {
    vm.import("_ssl", 0)
        .and_then(|ssl| ssl.get_attr("SSLError", vm))
        .ok()
        .and_then(|t| t.downcast::<rustpython_vm::builtins::PyType>().ok())
        .unwrap_or_else(|| vm.ctx.exceptions.os_error.to_owned())
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

/// Whether `obj` is an `ssl.SSLContext`. The `ssl` module is imported already if it is one.
pub(crate) fn is_context(obj: &PyObject, vm: &VirtualMachine) -> PyResult<bool> {
    let modules = vm.sys_module.get_attr("modules", vm)?;
    let Ok(ssl) = modules.get_item("ssl", vm) else {
        return Ok(false);
    };
    let Some(context_type) = vm.get_attribute_opt(&ssl, "SSLContext")? else {
        return Ok(false);
    };
    obj.is_instance(&context_type, vm)
}

/// The settings of `obj` if it is an `ssl.SSLContext`, as they are now.
pub(crate) fn context_options(obj: &PyObject, vm: &VirtualMachine) -> PyResult<Option<TlsOptions>> {
    if !is_context(obj, vm)? {
        return Ok(None);
    }
    let protocol = obj.get_attr("protocol", vm)?;
    if protocol.try_index(vm)?.as_bigint() == &PROTOCOL_TLS_SERVER.into() {
        return Err(vm.new_value_error(
            "ssl=ctx: this SSLContext is for servers (PROTOCOL_TLS_SERVER); an MQTT client \
             needs ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
        ));
    }
    let mut options = TlsOptions {
        cert_reqs: cert_reqs_arg(&obj.get_attr("verify_mode", vm)?, "verify_mode", vm)?,
        check_hostname: obj.get_attr("check_hostname", vm)?.try_to_bool(vm)?,
        with_system_ca: obj.get_attr("_mqtt_system_ca", vm)?.try_to_bool(vm)?,
        ..TlsOptions::default()
    };
    for source in list(obj, "_mqtt_ca", vm)? {
        let (kind, value) = pair(&source, vm)?;
        let found = match kind.as_str() {
            "file" => certificates(&data_arg(&value, "cafile", vm)?, "cafile", vm)?,
            "path" => certificates_in_folder(&path_arg(&value, "capath", vm)?, vm)?,
            _ => certificates(&data_arg(&value, "cadata", vm)?, "cadata", vm)?,
        };
        options.ca.extend(found);
    }
    if options.ca.is_empty() && options.with_system_ca {
        // Only the system's were asked for: that is the default already.
        options.with_system_ca = false;
    }
    let chain = obj.get_attr("_mqtt_chain", vm)?;
    if !vm.is_none(&chain) {
        let items = chain
            .downcast_ref::<PyTuple>()
            .map(|t| t.as_slice().to_vec())
            .filter(|items| items.len() == 3)
            .ok_or_else(|| vm.new_type_error("SSLContext._mqtt_chain is not what ssl.py keeps"))?;
        if !vm.is_none(&items[2]) {
            return Err(vm.new_not_implemented_error(
                "MQTT connections cannot use an encrypted private key (load_cert_chain with a \
                 password): decrypt the key first (openssl pkey -in KEY -out KEY.plain) and keep \
                 it readable only to you",
            ));
        }
        let cert = data_arg(&items[0], "certfile", vm)?;
        let chain = certificates(&cert, "certfile", vm)?;
        let key = if vm.is_none(&items[1]) {
            private_key(&cert, "certfile", vm)?
        } else {
            private_key(&data_arg(&items[1], "keyfile", vm)?, "keyfile", vm)?
        };
        options.identity = Some(Arc::new(ClientIdentity { chain, key }));
    }
    for name in list(obj, "_mqtt_alpn", vm)? {
        options
            .alpn
            .push(name.str(vm)?.to_string_lossy().into_owned().into_bytes());
    }
    Ok(Some(options))
}

fn list(obj: &PyObject, name: &'static str, vm: &VirtualMachine) -> PyResult<Vec<PyObjectRef>> {
    let value = obj.get_attr(name, vm)?;
    let list = value
        .downcast::<rustpython_vm::builtins::PyList>()
        .map_err(|_| vm.new_type_error(format!("SSLContext.{name} is not what ssl.py keeps")))?;
    let items: PyListRef = list;
    Ok(items.borrow_vec().to_vec())
}

fn pair(obj: &PyObject, vm: &VirtualMachine) -> PyResult<(String, PyObjectRef)> {
    let items = obj
        .downcast_ref::<PyTuple>()
        .map(|t| t.as_slice().to_vec())
        .filter(|items| items.len() == 2)
        .ok_or_else(|| vm.new_type_error("SSLContext._mqtt_ca is not what ssl.py keeps"))?;
    let kind = items[0]
        .downcast_ref::<PyStr>()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((kind, items[1].clone()))
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
    let real = crate::host::sandbox::path(vm, path, false)?;
    std::fs::read(real).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(crate::mqtt::error::EIO);
        let strerror = crate::mqtt::error::strerror(errno);
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
    let entries = std::fs::read_dir(crate::host::sandbox::path(vm, dir, false)?).map_err(|e| {
        vm.new_errno_error(
            e.raw_os_error().unwrap_or(crate::mqtt::error::EIO),
            format!("cannot read capath {dir}: {e}"),
        )
        .upcast::<rustpython_vm::builtins::PyBaseException>()
    })?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        // In a sandbox, a link out of the folder is no certificate of it.
        let Ok(real) = crate::host::sandbox::path(vm, &entry.path().to_string_lossy(), false)
        else {
            continue;
        };
        if let Ok(data) = std::fs::read(real)
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

/// `cert_reqs`/`verify_mode`: one of `ssl.CERT_NONE`, `CERT_OPTIONAL`, `CERT_REQUIRED`.
pub(crate) fn cert_reqs_arg(
    value: &PyObjectRef,
    what: &str,
    vm: &VirtualMachine,
) -> PyResult<CertReqs> {
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
        .and_then(CertReqs::from_int)
        .ok_or_else(|| {
            vm.new_value_error(format!(
                "{what} must be ssl.CERT_NONE (0), ssl.CERT_OPTIONAL (1) or ssl.CERT_REQUIRED \
                 (2), not {}",
                number.as_bigint()
            ))
        })
}
