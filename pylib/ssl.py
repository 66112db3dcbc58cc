# pymqtt's `ssl`: the standard library's ssl module (CPython's ssl.py on RustPython's rustls
# `_ssl`, with real TLS sockets), with what MQTT connections and MicroPython scripts need.
#
# Why one module and not two: a script that passes `ssl=ctx` to umqtt.simple and one that
# wraps a socket for https use the same SSLContext, as on MicroPython and CPython. The MQTT
# connection itself is made in Rust (rumqttc on rustls), away from the interpreter, so the
# context below keeps what it was given (CAs, client certificate, ALPN names) where that side
# can read it at each connect(); src/modules/ssl.rs turns it into TLS settings.
#
# Unlike CPython (and MicroPython), a context verifies the server against the system's CAs until
# load_verify_locations() names others, and SSLContext(PROTOCOL_TLS) is a client with the same
# checks as PROTOCOL_TLS_CLIENT: scripts that never load a CA are still safe.

import _imp

try:
    # The standard library's ssl.py runs here, under this module's name, so that its classes
    # are ssl.* and its functions (create_default_context, ...) make the SSLContext below.
    exec(_imp.get_frozen_object("_pymqtt_stdlib_ssl"), globals())
except ImportError as e:
    if getattr(e, "name", None) != "_ssl":
        raise
    raise ImportError(
        "this pymqtt was built without TLS (cargo feature `tls`), so it has no ssl module",
        name="ssl",
    ) from None

del _imp

# The class is extended in place rather than subclassed: the standard library's methods name
# `SSLContext` itself (super(SSLContext, SSLContext)...), so the name must stay that class.
_standard = {
    name: getattr(SSLContext, name)  # noqa: F821 (defined by the standard library's ssl.py)
    for name in (
        "__new__",
        "load_verify_locations",
        "load_cert_chain",
        "set_default_verify_paths",
        "set_alpn_protocols",
        "wrap_socket",
        "wrap_bio",
    )
}


def _new(cls, protocol=None, *args, **kwargs):
    if protocol is None or protocol == PROTOCOL_TLS:  # noqa: F821
        # MicroPython's and older scripts: a client, as secure as PROTOCOL_TLS_CLIENT.
        protocol = PROTOCOL_TLS_CLIENT  # noqa: F821
    self = _standard["__new__"](cls, protocol, *args, **kwargs)
    # What MQTT connections need, read by src/modules/ssl.rs at each connect().
    self._mqtt_ca = []  # ("file", bytes) / ("data", str or bytes) / ("path", folder)
    self._mqtt_chain = None  # (certificate bytes, key bytes or None, password)
    self._mqtt_system_ca = False
    self._mqtt_alpn = []
    return self


def _load_verify_locations(self, cafile=None, capath=None, cadata=None):
    _standard["load_verify_locations"](self, cafile, capath, cadata)
    if cafile is not None:
        with open(cafile, "rb") as f:
            self._mqtt_ca.append(("file", f.read()))
    if capath is not None:
        self._mqtt_ca.append(("path", capath))
    if cadata is not None:
        self._mqtt_ca.append(("data", cadata))


def _load_cert_chain(self, certfile, keyfile=None, password=None):
    _standard["load_cert_chain"](self, certfile, keyfile, password)
    with open(certfile, "rb") as f:
        cert = f.read()
    key = None
    if keyfile is not None:
        with open(keyfile, "rb") as f:
            key = f.read()
    self._mqtt_chain = (cert, key, password)


def _set_default_verify_paths(self):
    _standard["set_default_verify_paths"](self)
    self._mqtt_system_ca = True


def _set_alpn_protocols(self, alpn_protocols):
    _standard["set_alpn_protocols"](self, alpn_protocols)
    self._mqtt_alpn = [str(p) for p in alpn_protocols]


def _default_trust(self):
    # Our default, for sockets as for MQTT: the system's CAs until others are named.
    if self.verify_mode != CERT_NONE and not self._mqtt_ca and not self._mqtt_system_ca:  # noqa: F821
        self.load_default_certs()


def _wrap_socket(self, sock, *args, **kwargs):
    _default_trust(self)
    return _standard["wrap_socket"](self, sock, *args, **kwargs)


def _wrap_bio(self, incoming, outgoing, *args, **kwargs):
    _default_trust(self)
    return _standard["wrap_bio"](self, incoming, outgoing, *args, **kwargs)


SSLContext.__new__ = _new  # noqa: F821
SSLContext.load_verify_locations = _load_verify_locations  # noqa: F821
SSLContext.load_cert_chain = _load_cert_chain  # noqa: F821
SSLContext.set_default_verify_paths = _set_default_verify_paths  # noqa: F821
SSLContext.set_alpn_protocols = _set_alpn_protocols  # noqa: F821
SSLContext.wrap_socket = _wrap_socket  # noqa: F821
SSLContext.wrap_bio = _wrap_bio  # noqa: F821


def wrap_socket(
    sock,
    server_side=False,
    key=None,
    cert=None,
    cert_reqs=CERT_NONE,  # noqa: F821
    cadata=None,
    server_hostname=None,
    do_handshake=True,
):
    """MicroPython's ssl.wrap_socket: `key` and `cert` are the data (PEM or DER), not files."""
    context = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)  # noqa: F821
    if not server_side:
        # MicroPython checks no name unless asked for a verified connection.
        context.check_hostname = cert_reqs != CERT_NONE and server_hostname is not None  # noqa: F821
    context.verify_mode = cert_reqs
    if cadata is not None:
        context.load_verify_locations(cadata=cadata)
    if cert is not None:
        _load_chain_data(context, cert, key)
    return context.wrap_socket(
        sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake,
        server_hostname=server_hostname,
    )


def _load_chain_data(context, cert, key):
    # The standard library loads certificates from files only: hand it private temporary ones.
    import os
    import tempfile

    def pem(data, label):
        if isinstance(data, str):
            data = data.encode()
        data = bytes(data)
        if b"-----BEGIN" in data:
            return data
        return DER_cert_to_PEM_cert(data).replace("CERTIFICATE", label).encode()  # noqa: F821

    folder = tempfile.mkdtemp(prefix="pymqtt-ssl-")
    try:
        cert_path = os.path.join(folder, "cert.pem")
        with open(cert_path, "wb") as f:
            f.write(pem(cert, "CERTIFICATE"))
        key_path = None
        if key is not None:
            key_path = os.path.join(folder, "key.pem")
            with open(key_path, "wb") as f:
                f.write(pem(key, "PRIVATE KEY"))
        context.load_cert_chain(cert_path, key_path)
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
