//! rustls's errors in words a script's author can act on.

use std::error::Error as StdError;
use std::io;

use rustls::{AlertDescription, CertificateError, Error};

use super::{HOSTNAME_HINT, OPT_OUT_HINT};

/// MicroPython's errno for a failed certificate check (mbedTLS's
/// `MBEDTLS_ERR_X509_CERT_VERIFY_FAILED`), so scripts written for it see the same number.
pub const CERT_VERIFY_FAILED: i32 = -0x2700;
/// MicroPython's errno for an alert from the peer (`MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE`).
pub const FATAL_ALERT: i32 = -0x7780;
/// MicroPython's errno for other handshake failures (`MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE`).
pub const HANDSHAKE_FAILURE: i32 = -0x6A80;

/// The rustls error somewhere in `e`'s chain of causes, if any.
///
/// `io::Error` hides the error it wraps from `source()` (it returns that error's own
/// source), so wrapped errors are looked at through `get_ref` too.
pub fn find_rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<Error>() {
            return Some(found);
        }
        next = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    None
}

/// `(errno, message)` for a failed TLS handshake with `broker`.
pub fn rustls_failure(e: &Error, broker: &str) -> (i32, String) {
    match e {
        Error::InvalidCertificate(cert) => (
            CERT_VERIFY_FAILED,
            format!(
                "TLS certificate verification failed for {broker}: {}",
                certificate_problem(cert)
            ),
        ),
        Error::AlertReceived(alert) => (FATAL_ALERT, alert_problem(*alert, broker)),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => (
            HANDSHAKE_FAILURE,
            format!(
                "TLS handshake with {broker} failed: the server does not speak TLS there \
                 (is it a plain MQTT port? TLS is usually on 8883): {e}"
            ),
        ),
        other => (
            HANDSHAKE_FAILURE,
            format!("TLS handshake with {broker} failed: {other}"),
        ),
    }
}

fn certificate_problem(e: &CertificateError) -> String {
    match e {
        CertificateError::UnknownIssuer => format!(
            "the server's certificate is signed by an unknown issuer (no trusted CA; give the \
             broker's CA as ssl_params={{'ca_certs': PATH}} or ctx.load_verify_locations(PATH)); \
             {OPT_OUT_HINT}"
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => format!(
            "the server's certificate has expired (or this computer's clock is wrong); \
             {OPT_OUT_HINT}"
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
            "the server's certificate is not valid yet (is this computer's clock right?); \
             {OPT_OUT_HINT}"
        ),
        CertificateError::NotValidForName => {
            format!("host name mismatch: the certificate is for another name; {HOSTNAME_HINT}")
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let presented = if presented.is_empty() {
                "no names".to_string()
            } else {
                presented
                    .iter()
                    .map(|name| bare_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "host name mismatch: the certificate is for {presented}, not {}; {HOSTNAME_HINT}",
                expected.to_str()
            )
        }
        CertificateError::Revoked => {
            format!("the server's certificate has been revoked; {OPT_OUT_HINT}")
        }
        CertificateError::BadSignature => {
            format!("the server's certificate has a bad signature; {OPT_OUT_HINT}")
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("the server's certificate is not meant for a TLS server; {OPT_OUT_HINT}")
        }
        CertificateError::BadEncoding => {
            format!("the server's certificate is malformed; {OPT_OUT_HINT}")
        }
        other => format!("{other:?}; {OPT_OUT_HINT}"),
    }
}

/// `DnsName("a.example")` (how rustls lists a certificate's names) -> `a.example`.
fn bare_name(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
}

fn alert_problem(alert: AlertDescription, broker: &str) -> String {
    let client_cert_hint = "if it requires a client certificate, give one as \
        ssl_params={'certfile': PATH, 'keyfile': PATH} or ctx.load_cert_chain(CERTFILE, KEYFILE)";
    match alert {
        AlertDescription::CertificateRequired => format!(
            "the broker {broker} requires a client certificate and none was given: give one as \
             ssl_params={{'certfile': PATH, 'keyfile': PATH}} or ctx.load_cert_chain(CERTFILE, KEYFILE)"
        ),
        AlertDescription::UnknownCA
        | AlertDescription::BadCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::CertificateExpired
        | AlertDescription::CertificateRevoked
        | AlertDescription::AccessDenied => format!(
            "the broker {broker} rejected the client certificate (TLS alert {alert:?}): it \
             must be signed by a CA the broker trusts, and be valid"
        ),
        AlertDescription::HandshakeFailure => format!(
            "the broker {broker} ended the TLS handshake (handshake failure alert): \
             {client_cert_hint}; else the broker and pymqtt share no TLS version or cipher"
        ),
        other => format!("the broker {broker} ended the TLS handshake with alert {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_are_found_inside_io_errors() {
        let inner = Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = io::Error::new(io::ErrorKind::InvalidData, inner.clone());
        let outer = io::Error::other(io);
        assert_eq!(find_rustls_error(&outer), Some(&inner));
        assert_eq!(find_rustls_error(&io::Error::other("plain")), None);
    }

    #[test]
    fn certificate_problems_say_what_failed_and_how_to_opt_out() {
        let (errno, m) = rustls_failure(
            &Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "b:8883",
        );
        assert_eq!(errno, CERT_VERIFY_FAILED);
        assert!(
            m.contains("unknown issuer") && m.contains("ssl.CERT_NONE"),
            "{m}"
        );
        let (_, m) = rustls_failure(
            &Error::InvalidCertificate(CertificateError::Expired),
            "b:8883",
        );
        assert!(m.contains("expired"), "{m}");
        let (_, m) = rustls_failure(
            &Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("a.example").unwrap(),
                presented: vec!["DnsName(\"b.example\")".into()],
            }),
            "b:8883",
        );
        assert!(
            m.contains("is for b.example, not a.example") && m.contains("check_hostname"),
            "{m}"
        );
    }

    #[test]
    fn alerts_point_at_client_certificates() {
        let (errno, m) = rustls_failure(
            &Error::AlertReceived(AlertDescription::CertificateRequired),
            "b:8883",
        );
        assert_eq!(errno, FATAL_ALERT);
        assert!(
            m.contains("client certificate") && m.contains("load_cert_chain"),
            "{m}"
        );
    }
}
