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


class SSLCertVerificationError(SSLError, ValueError):
    """CPython's name for a failed certificate check; pymqtt raises SSLError itself."""


CertificateError = SSLCertVerificationError


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
    raise NotImplementedError(
        "https is not available in pymqtt: its ssl module does not wrap sockets (its TLS is "
        "for MQTT only). Use http://, or fetch the file with another tool"
    )


def wrap_socket(sock, *args, **kwargs):
    """MicroPython's and old CPython's ssl.wrap_socket: not available (see SSLContext)."""
    SSLContext(PROTOCOL_TLS_CLIENT).wrap_socket(sock)
