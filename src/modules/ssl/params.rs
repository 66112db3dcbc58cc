//! What a script asks of TLS in `MQTTClient(..., ssl=..., ssl_params=...)`, as [`TlsOptions`].
//!
//! Two forms, as umqtt.simple takes them: the legacy `ssl=True, ssl_params={...}` (the keys of
//! MicroPython's `ssl.wrap_socket` and CPython's old one) and `ssl=ctx`, an `ssl.SSLContext`.
//! Unlike MicroPython, `ssl=True` verifies the server unless `cert_reqs` says `CERT_NONE`.

use std::sync::Arc;

use rustpython_vm::builtins::{PyDict, PyStr};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use crate::mqtt::tls::{ClientIdentity, TlsOptions};

/// The `ssl_params` keys understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    ServerHostname,
    CertReqs,
    /// A CA file path, or CA data (PEM text, or PEM/DER bytes).
    CaCerts,
    /// CA data, as MicroPython's `cadata`.
    CaData,
    CertFile,
    KeyFile,
    /// Client certificate data (MicroPython's `cert`).
    Cert,
    /// Client key data (MicroPython's `key`).
    Key,
    /// Accepted and ignored: the handshake always happens in `connect()`.
    DoHandshake,
    /// Must be false: a client is never the server side.
    ServerSide,
}

const PARAM_NAMES: &[(&str, Param)] = &[
    ("server_hostname", Param::ServerHostname),
    ("cert_reqs", Param::CertReqs),
    ("ca_certs", Param::CaCerts),
    ("cadata", Param::CaData),
    ("certfile", Param::CertFile),
    ("keyfile", Param::KeyFile),
    ("cert", Param::Cert),
    ("key", Param::Key),
    ("do_handshake", Param::DoHandshake),
    ("server_side", Param::ServerSide),
];

fn param(name: &str) -> Result<Param, String> {
    PARAM_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .ok_or_else(|| {
            let known: Vec<&str> = PARAM_NAMES.iter().map(|(n, _)| *n).collect();
            format!(
                "ssl_params: unexpected key {name:?} (pymqtt understands {})",
                known.join(", ")
            )
        })
}

/// The TLS settings the script asked for, or `None` for a plain connection.
pub(crate) fn tls_options(
    ssl: Option<&PyObjectRef>,
    ssl_params: Option<&PyObjectRef>,
    vm: &VirtualMachine,
) -> PyResult<Option<TlsOptions>> {
    let Some(ssl) = ssl.filter(|s| !vm.is_none(s)) else {
        return Ok(None);
    };
    let params = ssl_params.filter(|p| !vm.is_none(p));
    if let Some(mut options) = super::context_options(ssl, vm)? {
        // With a context, only the name to check can come from ssl_params.
        if let Some(params) = params {
            for (name, value) in items(params, vm)? {
                match param(&name).map_err(|m| vm.new_type_error(m))? {
                    Param::ServerHostname => options.server_hostname = hostname(&value, vm)?,
                    _ => {
                        return Err(vm.new_type_error(format!(
                            "ssl_params[{name:?}] cannot be combined with ssl=ctx: set it on the \
                             SSLContext (only server_hostname may be given here)"
                        )));
                    }
                }
            }
        }
        return Ok(Some(options));
    }
    if !ssl.clone().try_to_bool(vm)? {
        return Ok(None);
    }
    let mut options = TlsOptions::default();
    let (mut cert, mut key) = (None, None);
    if let Some(params) = params {
        for (name, value) in items(params, vm)? {
            let given = !vm.is_none(&value);
            match param(&name).map_err(|m| vm.new_type_error(m))? {
                Param::ServerHostname => options.server_hostname = hostname(&value, vm)?,
                Param::CertReqs if given => {
                    options.cert_reqs = super::cert_reqs_arg(&value, "cert_reqs", vm)?;
                }
                Param::CaCerts | Param::CaData if given => {
                    options.ca.extend(ca(&name, &value, vm)?);
                }
                Param::CertFile if given => {
                    let path = super::path_arg(&value, "certfile", vm)?;
                    cert = Some((super::read_file(&path, vm)?, path));
                }
                Param::Cert if given => {
                    cert = Some((super::data_arg(&value, "cert", vm)?, "cert".into()));
                }
                Param::KeyFile if given => {
                    let path = super::path_arg(&value, "keyfile", vm)?;
                    key = Some((super::read_file(&path, vm)?, path));
                }
                Param::Key if given => {
                    key = Some((super::data_arg(&value, "key", vm)?, "key".into()));
                }
                Param::ServerSide if value.clone().try_to_bool(vm)? => {
                    return Err(vm.new_value_error(
                        "ssl_params: server_side=True makes no sense for an MQTT client",
                    ));
                }
                _ => {}
            }
        }
    }
    options.identity = identity(cert, key, vm)?;
    Ok(Some(options))
}

/// The dict's items with str keys.
fn items(params: &PyObjectRef, vm: &VirtualMachine) -> PyResult<Vec<(String, PyObjectRef)>> {
    let dict = params.downcast_ref::<PyDict>().ok_or_else(|| {
        vm.new_type_error(format!(
            "ssl_params must be a dict, not {}",
            params.class().name()
        ))
    })?;
    dict.items_vec()
        .into_iter()
        .map(|(k, v)| {
            let name = k
                .downcast_ref::<PyStr>()
                .and_then(|s| s.to_str().map(str::to_owned))
                .ok_or_else(|| vm.new_type_error("ssl_params keys must be str"))?;
            Ok((name, v))
        })
        .collect()
}

fn hostname(value: &PyObjectRef, vm: &VirtualMachine) -> PyResult<Option<String>> {
    if vm.is_none(value) {
        return Ok(None);
    }
    let name = value
        .downcast_ref::<PyStr>()
        .and_then(|s| s.to_str().map(str::to_owned))
        .ok_or_else(|| {
            vm.new_type_error(format!(
                "server_hostname must be str, not {}",
                value.class().name()
            ))
        })?;
    if name.is_empty() {
        return Err(vm.new_value_error("server_hostname must not be empty"));
    }
    Ok(Some(name))
}

/// `ca_certs`/`cadata`: a path (str not holding PEM, or os.PathLike), else the data itself.
fn ca(
    name: &str,
    value: &PyObjectRef,
    vm: &VirtualMachine,
) -> PyResult<Vec<rustls_pki_types::CertificateDer<'static>>> {
    let is_pem_text = value
        .downcast_ref::<PyStr>()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.contains("-----BEGIN"));
    let is_path = name == "ca_certs"
        && !is_pem_text
        && (value.downcast_ref::<PyStr>().is_some()
            || vm.get_attribute_opt(value, "__fspath__")?.is_some());
    if is_path {
        let path = super::path_arg(value, name, vm)?;
        let data = super::read_file(&path, vm)?;
        return super::certificates(&data, &path, vm);
    }
    let data = super::data_arg(value, name, vm)?;
    super::certificates(&data, name, vm)
}

/// The client certificate and key; the key may sit in the certificate's file.
fn identity(
    cert: Option<(Vec<u8>, String)>,
    key: Option<(Vec<u8>, String)>,
    vm: &VirtualMachine,
) -> PyResult<Option<Arc<ClientIdentity>>> {
    let Some((cert_data, cert_name)) = cert else {
        return match key {
            Some(_) => Err(vm.new_value_error(
                "ssl_params: a key (keyfile/key) needs its certificate (certfile/cert)",
            )),
            None => Ok(None),
        };
    };
    let chain = super::certificates(&cert_data, &cert_name, vm)?;
    let key = match key {
        Some((key_data, key_name)) => super::private_key(&key_data, &key_name, vm)?,
        None => super::private_key(&cert_data, &cert_name, vm)?,
    };
    Ok(Some(Arc::new(ClientIdentity { chain, key })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micropython_and_cpython_keys_are_known() {
        assert_eq!(param("server_hostname"), Ok(Param::ServerHostname));
        assert_eq!(param("cadata"), Ok(Param::CaData));
        assert_eq!(param("key"), Ok(Param::Key));
        let e = param("verify").unwrap_err();
        assert!(e.contains("\"verify\"") && e.contains("cert_reqs"), "{e}");
    }
}
