//! TLS for a client connection: what the script asked for ([`TlsOptions`]), the certificates
//! and keys it gave ([`material`]), and, with the `tls` feature, the rustls configuration made
//! from them and the words for what went wrong.
//!
//! Unlike MicroPython (whose default is `CERT_NONE`), the defaults here are secure: the
//! server's chain is verified against the system's CAs (or the ones given) and its name checked.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub mod material;

#[cfg(feature = "tls")]
mod config;
#[cfg(feature = "tls")]
mod failure;
#[cfg(feature = "tls")]
mod verifier;

#[cfg(feature = "tls")]
pub use config::client_config;
#[cfg(feature = "tls")]
pub use failure::{
    CERT_VERIFY_FAILED, FATAL_ALERT, HANDSHAKE_FAILURE, TlsFailure, find_rustls_error,
    rustls_failure,
};

/// Python's `ssl.CERT_NONE`, `CERT_OPTIONAL`, `CERT_REQUIRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertReqs {
    /// No check of the server's certificate.
    None = 0,
    /// Checked if presented, which for a client means always.
    Optional = 1,
    /// Checked, and it must be there.
    Required = 2,
}

impl CertReqs {
    /// The value of one of `ssl`'s constants (0, 1 or 2), or `None` for any other number.
    pub fn from_int(value: i64) -> Option<CertReqs> {
        match value {
            0 => Some(CertReqs::None),
            1 => Some(CertReqs::Optional),
            2 => Some(CertReqs::Required),
            _ => None,
        }
    }
}

/// A client certificate chain and its private key (mutual TLS).
#[derive(Debug)]
pub struct ClientIdentity {
    /// The client's certificate, then any intermediates, as the certificate file lists them.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the first certificate.
    pub key: PrivateKeyDer<'static>,
}

/// How to secure a connection.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Whether the server's certificate is checked at all. A client treats `CERT_OPTIONAL` as
    /// `CERT_REQUIRED`, as CPython does: the server always presents one.
    pub cert_reqs: CertReqs,
    /// Whether the certificate must name the host (only when `cert_reqs` is not `None`).
    pub check_hostname: bool,
    /// The name the certificate must carry, when it is not the host connected to (also sent
    /// as SNI when the host connected to is that name).
    pub server_hostname: Option<String>,
    /// The CAs trusted; when empty, the system's (`/etc/ssl/certs` and the like).
    pub ca: Vec<CertificateDer<'static>>,
    /// Trust the system's CAs besides `ca` (`load_default_certs()` after loading a CA).
    pub with_system_ca: bool,
    /// The certificate and key the client proves itself with (mutual TLS), if any.
    pub identity: Option<Arc<ClientIdentity>>,
    /// ALPN protocol names offered (`set_alpn_protocols`), e.g. for AWS IoT on port 443.
    pub alpn: Vec<Vec<u8>>,
}

impl Default for TlsOptions {
    /// Secure: the chain verified against the system's CAs and the host name checked.
    fn default() -> Self {
        TlsOptions {
            cert_reqs: CertReqs::Required,
            check_hostname: true,
            server_hostname: None,
            ca: Vec::new(),
            with_system_ca: false,
            identity: None,
            alpn: Vec::new(),
        }
    }
}

impl TlsOptions {
    /// Whether the server's certificate is checked (`cert_reqs` is not `CERT_NONE`).
    pub fn verifies(&self) -> bool {
        self.cert_reqs != CertReqs::None
    }

    /// Whether the system's CAs are trusted.
    pub fn uses_system_ca(&self) -> bool {
        self.ca.is_empty() || self.with_system_ca
    }
}

/// What the user can change after a TLS failure. Kept apart from the message because a
/// script and the command-line tools change different things: `ssl_params` and `SSLContext`
/// there, `--cafile` and `--insecure` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Trust the broker's CA, or connect without verification.
    TrustCaOrOptOut,
    /// Connect without verification (an expired or otherwise bad certificate).
    OptOut,
    /// Name the host the certificate is for, or skip the name check.
    HostName,
    /// Give a client certificate.
    ClientCertificate,
}

impl Advice {
    /// The advice for a Python script.
    pub fn for_scripts(self) -> &'static str {
        match self {
            Advice::TrustCaOrOptOut => {
                "give the broker's CA as ssl_params={'ca_certs': PATH} or \
                 ctx.load_verify_locations(PATH); to connect without verifying the certificate, \
                 pass ssl_params={'cert_reqs': ssl.CERT_NONE} or set ctx.verify_mode = \
                 ssl.CERT_NONE (with ctx.check_hostname = False first)"
            }
            Advice::OptOut => {
                "to connect without verifying the certificate, pass ssl_params={'cert_reqs': \
                 ssl.CERT_NONE} or set ctx.verify_mode = ssl.CERT_NONE (with \
                 ctx.check_hostname = False first)"
            }
            Advice::HostName => {
                "give the name the certificate is for as ssl_params={'server_hostname': NAME} \
                 (with ssl=True or ssl=ctx), or skip only the name check with \
                 ctx.check_hostname = False"
            }
            Advice::ClientCertificate => {
                "give one as ssl_params={'certfile': PATH, 'keyfile': PATH} or \
                 ctx.load_cert_chain(CERTFILE, KEYFILE)"
            }
        }
    }

    /// The advice for `pymqtt pub` and `pymqtt sub`.
    pub fn for_tools(self) -> &'static str {
        match self {
            Advice::TrustCaOrOptOut => "give the broker's CA with --cafile FILE",
            Advice::OptOut => "the certificate cannot be trusted; check the broker and the clock",
            Advice::HostName => "connect by the name the certificate is for, or pass --insecure",
            Advice::ClientCertificate => "give one with --cert FILE --key FILE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_reqs_are_pythons_numbers_and_only_none_skips_verification() {
        assert_eq!(CertReqs::from_int(0), Some(CertReqs::None));
        assert_eq!(CertReqs::from_int(2), Some(CertReqs::Required));
        assert_eq!(CertReqs::from_int(3), None);
        assert!(TlsOptions::default().verifies());
        let optional = TlsOptions {
            cert_reqs: CertReqs::Optional,
            ..TlsOptions::default()
        };
        assert!(optional.verifies() && optional.uses_system_ca());
    }
}
