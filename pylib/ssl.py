# pymqtt's `ssl`: the standard library's ssl module (CPython's ssl.py on RustPython's rustls
# `_ssl`, with real TLS sockets), with what MQTT connections and MicroPython scripts need.
#
# Why one module and not two: a script that passes `ssl=ctx` to umqtt.simple and one that
# wraps a socket for https use the same SSLContext, as on MicroPython and CPython. The MQTT
# connection itself is made in Rust (rumqttc on rustls), away from the interpreter, so the
# context below keeps what it was given (CAs, client certificate, ALPN names) where that side
# can read it at each connect(); src/ssl_module.rs turns it into TLS settings.
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

_StandardSSLContext = SSLContext  # noqa: F821 (defined by the standard library's ssl.py)


class SSLContext(_StandardSSLContext):
    """The standard library's SSLContext, verifying by default, that keeps what it loads for
    MQTTClient(..., ssl=ctx)."""

    def __new__(cls, protocol=None, *args, **kwargs):
        if protocol is None or protocol == PROTOCOL_TLS:  # noqa: F821
            # MicroPython and older scripts: a client, secure as PROTOCOL_TLS_CLIENT is.
            protocol = PROTOCOL_TLS_CLIENT  # noqa: F821
        self = super().__new__(cls, protocol, *args, **kwargs)
        # Read by src/ssl_module.rs at each MQTT connect().
        self._mqtt_ca = []  # ("file", bytes) / ("data", str or bytes) / ("path", folder)
        self._mqtt_chain = None  # (certificate bytes, key bytes or None, password)
        self._mqtt_system_ca = False
        self._mqtt_alpn = []
        return self

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        super().load_verify_locations(cafile, capath, cadata)
        if cafile is not None:
            with open(cafile, "rb") as f:
                self._mqtt_ca.append(("file", f.read()))
        if capath is not None:
            self._mqtt_ca.append(("path", capath))
        if cadata is not None:
            self._mqtt_ca.append(("data", cadata))

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        super().load_cert_chain(certfile, keyfile, password)
        with open(certfile, "rb") as f:
            cert = f.read()
        key = None
        if keyfile is not None:
            with open(keyfile, "rb") as f:
                key = f.read()
        self._mqtt_chain = (cert, key, password)

    def set_default_verify_paths(self):
        super().set_default_verify_paths()
        self._mqtt_system_ca = True

    def set_alpn_protocols(self, alpn_protocols):
        super().set_alpn_protocols(alpn_protocols)
        self._mqtt_alpn = [str(p) for p in alpn_protocols]

    def _default_trust(self):
        # Our default, for sockets as for MQTT: the system's CAs until others are named.
        if self.verify_mode != CERT_NONE and not self._mqtt_ca and not self._mqtt_system_ca:  # noqa: F821
            self.load_default_certs()

    def wrap_socket(self, sock, *args, **kwargs):
        self._default_trust()
        return super().wrap_socket(sock, *args, **kwargs)

    def wrap_bio(self, incoming, outgoing, *args, **kwargs):
        self._default_trust()
        return super().wrap_bio(incoming, outgoing, *args, **kwargs)


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
