//! Certificates and private keys as scripts give them: PEM text or DER bytes.
//!
//! MicroPython passes DER bytes (`cadata`, `cert`, `key`), CPython PEM files or PEM text;
//! both are accepted everywhere, told apart by the PEM `-----BEGIN` marker.

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const PEM_MARKER: &[u8] = b"-----BEGIN";

fn is_pem(data: &[u8]) -> bool {
    data.windows(PEM_MARKER.len()).any(|w| w == PEM_MARKER)
}

/// Every certificate in `data`: PEM sections, or one or more concatenated DER certificates.
/// `what` names the source in messages ("ca_certs", a file name).
pub fn certificates(data: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    if is_pem(data) {
        let certs = CertificateDer::pem_slice_iter(data)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{what}: bad PEM: {}", pem_error(&e)))?;
        if certs.is_empty() {
            return Err(format!(
                "{what} holds no certificate (no -----BEGIN CERTIFICATE----- section)"
            ));
        }
        return Ok(certs);
    }
    let mut certs = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let len = der_length(rest).ok_or_else(|| {
            format!("{what} is neither PEM (-----BEGIN CERTIFICATE-----) nor DER certificate data")
        })?;
        certs.push(CertificateDer::from(rest[..len].to_vec()));
        rest = &rest[len..];
    }
    if certs.is_empty() {
        return Err(format!("{what} is empty"));
    }
    Ok(certs)
}

/// The private key in `data`: the first PEM key section (PKCS#8, PKCS#1 or SEC1), or DER.
pub fn private_key(data: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, String> {
    if is_pem(data) {
        return PrivateKeyDer::from_pem_slice(data).map_err(|e| match e {
            pem::Error::NoItemsFound => format!(
                "{what} holds no private key (no -----BEGIN PRIVATE KEY----- section; \
                 encrypted keys are not supported)"
            ),
            e => format!("{what}: bad PEM: {}", pem_error(&e)),
        });
    }
    if der_length(data) != Some(data.len()) {
        return Err(format!(
            "{what} is neither PEM (-----BEGIN PRIVATE KEY-----) nor a DER private key"
        ));
    }
    PrivateKeyDer::try_from(data.to_vec())
        .map_err(|e| format!("{what} is not a private key rustls can use: {e}"))
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a section has no -----END line".into(),
        pem::Error::IllegalSectionStart { .. } => "malformed -----BEGIN line".into(),
        pem::Error::Base64Decode(_) => "the base64 text is damaged".into(),
        other => other.to_string(),
    }
}

/// The length of the DER SEQUENCE at the start of `data` (tag, length and contents), if
/// `data` starts with a whole one.
fn der_length(data: &[u8]) -> Option<usize> {
    const SEQUENCE: u8 = 0x30;
    let (&tag, rest) = data.split_first()?;
    if tag != SEQUENCE {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (content, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let content = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (content, 2 + count)
    };
    let total = header.checked_add(content)?;
    (total <= data.len()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A syntactically valid DER SEQUENCE standing in for a certificate: the parser here only
    // splits; rustls checks the contents during the handshake.
    const FAKE_DER: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05];

    #[test]
    fn der_certificates_may_be_concatenated() {
        let mut two = FAKE_DER.to_vec();
        two.extend_from_slice(FAKE_DER);
        assert_eq!(certificates(&two, "cadata").unwrap().len(), 2);
        assert!(
            certificates(b"not a cert", "cadata")
                .unwrap_err()
                .contains("neither PEM")
        );
        assert!(certificates(&FAKE_DER[..4], "x").is_err());
        assert!(certificates(b"", "x").unwrap_err().contains("empty"));
    }

    #[test]
    fn pem_without_certificates_is_explained() {
        let key_only = b"-----BEGIN PRIVATE KEY-----\nMAMCAQU=\n-----END PRIVATE KEY-----\n";
        assert!(
            certificates(key_only, "ca.pem")
                .unwrap_err()
                .contains("no certificate")
        );
        let cut = b"-----BEGIN CERTIFICATE-----\nMAMCAQU=\n";
        assert!(
            certificates(cut, "ca.pem")
                .unwrap_err()
                .contains("-----END")
        );
        let pem = b"junk\n-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n";
        assert_eq!(certificates(pem, "ca.pem").unwrap()[0].as_ref(), FAKE_DER);
    }

    #[test]
    fn keys_are_found_in_pem_or_rejected_clearly() {
        let cert_only = b"-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n";
        assert!(
            private_key(cert_only, "client.pem")
                .unwrap_err()
                .contains("no private key")
        );
        assert!(
            private_key(b"garbage", "key")
                .unwrap_err()
                .contains("neither PEM")
        );
    }

    #[test]
    fn long_der_lengths_are_read() {
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0u8, 256));
        assert_eq!(der_length(&long), Some(260));
        assert_eq!(der_length(&long[..100]), None);
    }
}
