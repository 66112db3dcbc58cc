//! rustls's errors in words a script's author can act on.

use std::error::Error as StdError;
use std::io;

use rustls::{AlertDescription, CertificateError, Error};

use super::Advice;

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

/// What went wrong in a TLS handshake: the errno, the sentence, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFailure {
    /// The errno MicroPython reports for it (mbedTLS's numbers).
    pub errno: i32,
    /// What went wrong, naming the broker.
    pub message: String,
    /// What to change, when something can be.
    pub advice: Option<Advice>,
}

/// The failure of a TLS handshake with `broker` that ended in `e`.
pub fn rustls_failure(e: &Error, broker: &str) -> TlsFailure {
    let (errno, (message, advice)) = match e {
        Error::InvalidCertificate(cert) => {
            let (problem, advice) = certificate_problem(cert);
            (
                CERT_VERIFY_FAILED,
                (
                    format!("TLS certificate verification failed for {broker}: {problem}"),
                    Some(advice),
                ),
            )
        }
        Error::AlertReceived(alert) => (FATAL_ALERT, alert_problem(*alert, broker)),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => (
            HANDSHAKE_FAILURE,
            (
                format!(
                    "TLS handshake with {broker} failed: the server does not speak TLS there \
                     (is it a plain MQTT port? TLS is usually on 8883): {e}"
                ),
                None,
            ),
        ),
        other => (
            HANDSHAKE_FAILURE,
            (format!("TLS handshake with {broker} failed: {other}"), None),
        ),
    };
    TlsFailure {
        errno,
        message,
        advice,
    }
}

fn certificate_problem(e: &CertificateError) -> (String, Advice) {
    let opt_out = |what: &str| (what.to_string(), Advice::OptOut);
    match e {
        CertificateError::UnknownIssuer => (
            "the server's certificate is signed by an unknown issuer (not a trusted CA)".into(),
            Advice::TrustCaOrOptOut,
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            opt_out("the server's certificate has expired (or this computer's clock is wrong)")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            opt_out("the server's certificate is not valid yet (is this computer's clock right?)")
        }
        CertificateError::NotValidForName => (
            "host name mismatch: the certificate is for another name".into(),
            Advice::HostName,
        ),
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
            (
                format!(
                    "host name mismatch: the certificate is for {presented}, not {}",
                    expected.to_str()
                ),
                Advice::HostName,
            )
        }
        CertificateError::Revoked => opt_out("the server's certificate has been revoked"),
        CertificateError::BadSignature => opt_out("the server's certificate has a bad signature"),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            opt_out("the server's certificate is not meant for a TLS server")
        }
        CertificateError::BadEncoding => opt_out("the server's certificate is malformed"),
        other => opt_out(&format!("{other:?}")),
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

fn alert_problem(alert: AlertDescription, broker: &str) -> (String, Option<Advice>) {
    match alert {
        AlertDescription::CertificateRequired => (
            format!("the broker {broker} requires a client certificate and none was given"),
            Some(Advice::ClientCertificate),
        ),
        AlertDescription::UnknownCA
        | AlertDescription::BadCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::CertificateExpired
        | AlertDescription::CertificateRevoked
        | AlertDescription::AccessDenied => (
            format!(
                "the broker {broker} rejected the client certificate (TLS alert {alert:?}): it \
                 must be signed by a CA the broker trusts, and be valid"
            ),
            None,
        ),
        AlertDescription::HandshakeFailure => (
            format!(
                "the broker {broker} ended the TLS handshake (handshake failure alert): it may \
                 require a client certificate, or share no TLS version or cipher with pymqtt"
            ),
            Some(Advice::ClientCertificate),
        ),
        other => (
            format!("the broker {broker} ended the TLS handshake with alert {other:?}"),
            None,
        ),
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
    fn certificate_problems_say_what_failed_and_what_to_change() {
        let f = rustls_failure(
            &Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "b:8883",
        );
        assert_eq!(f.errno, CERT_VERIFY_FAILED);
        assert_eq!(f.advice, Some(Advice::TrustCaOrOptOut));
        assert!(f.message.contains("unknown issuer"), "{f:?}");
        assert!(
            Advice::TrustCaOrOptOut
                .for_scripts()
                .contains("ssl.CERT_NONE")
        );
        let f = rustls_failure(
            &Error::InvalidCertificate(CertificateError::Expired),
            "b:8883",
        );
        assert!(f.message.contains("expired"), "{f:?}");
        assert_eq!(f.advice, Some(Advice::OptOut));
        let f = rustls_failure(
            &Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("a.example").unwrap(),
                presented: vec!["DnsName(\"b.example\")".into()],
            }),
            "b:8883",
        );
        assert!(
            f.message.contains("is for b.example, not a.example"),
            "{f:?}"
        );
        assert_eq!(f.advice, Some(Advice::HostName));
    }

    #[test]
    fn alerts_point_at_client_certificates() {
        let f = rustls_failure(
            &Error::AlertReceived(AlertDescription::CertificateRequired),
            "b:8883",
        );
        assert_eq!(f.errno, FATAL_ALERT);
        assert!(f.message.contains("requires a client certificate"), "{f:?}");
        assert_eq!(f.advice, Some(Advice::ClientCertificate));
        assert!(
            Advice::ClientCertificate
                .for_scripts()
                .contains("load_cert_chain")
        );
    }
}
