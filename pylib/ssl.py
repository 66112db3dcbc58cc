# pymqtt's `ssl` module: TLS settings for MQTT connections (MQTTClient(..., ssl=ctx)).
#
# RustPython is built without its OpenSSL-based ssl module; this one is pymqtt's own, on
# rustls (src/ssl_module.rs holds SSLContext and the constants). It has what MicroPython's
# ssl offers a umqtt.simple script, and CPython's names around it. It does not wrap sockets:
# wrap_socket() raises NotImplementedError saying so, and so does https in http.client/urllib.
#
# Unlike MicroPython, a new SSLContext verifies the server (CERT_REQUIRED, check_hostname on)
# against the system's CAs until load_verify_locations() names others.

from _pymqtt_ssl import (  # noqa: F401
    CERT_NONE,
    CERT_OPTIONAL,
    CERT_REQUIRED,
    HAS_ALPN,
    HAS_SNI,
    OPENSSL_VERSION,
    PROTOCOL_TLS,
    PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER,
    SSLContext,
    SSLError,
)


_NO_SOCKETS = (
    "pymqtt's ssl module does not wrap sockets (no https, asyncio TLS, ftplib/smtplib TLS...): "
    "its TLS is for MQTT only; pass the context to umqtt.simple as MQTTClient(..., ssl=ctx), "
    "or use ssl=True, ssl_params={...}"
)


class SSLCertVerificationError(SSLError, ValueError):
    """CPython's name for a failed certificate check; pymqtt raises SSLError itself."""


CertificateError = SSLCertVerificationError


# CPython's other SSLError subclasses: the standard library names some of them when imported
# (asyncio's sslproto does), so they exist even though pymqtt never raises them.
class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class _NoSockets:
    """A CPython ssl class pymqtt cannot offer: `isinstance` checks work, making one fails."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_NO_SOCKETS)


class SSLSocket(_NoSockets):
    pass


class SSLObject(_NoSockets):
    pass


class MemoryBIO(_NoSockets):
    pass


class SSLSession(_NoSockets):
    pass


class _Purpose:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "<Purpose.{}>".format(self.name)


class Purpose:
    SERVER_AUTH = _Purpose("SERVER_AUTH")
    CLIENT_AUTH = _Purpose("CLIENT_AUTH")


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """A client context that verifies the server against the system's CAs, plus any given."""
    if purpose is Purpose.CLIENT_AUTH:
        raise NotImplementedError(
            "pymqtt's ssl module makes client contexts only (Purpose.SERVER_AUTH)"
        )
    context = SSLContext(PROTOCOL_TLS_CLIENT)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    context.load_default_certs()
    return context


def _create_default_https_context(*args, **kwargs):
    raise NotImplementedError(_NO_SOCKETS)


_create_stdlib_context = _create_default_https_context


def wrap_socket(sock, *args, **kwargs):
    """MicroPython's and old CPython's ssl.wrap_socket: not available (see SSLContext)."""
    SSLContext(PROTOCOL_TLS_CLIENT).wrap_socket(sock)
