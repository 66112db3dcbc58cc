//! The server certificate check, with Python's `ssl` switches: `verify_mode` (off accepts
//! any certificate), `check_hostname` (off accepts a trusted chain issued for another name)
//! and `server_hostname` (the name to check when it is not the host connected to).

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

#[derive(Debug)]
pub(super) struct ServerVerifier {
    /// The chain and name check; `None` with `CERT_NONE`. The handshake signatures are still
    /// checked then, so the peer at least holds the key of the certificate it showed.
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Checked instead of the host connected to (`server_hostname`).
    name: Option<ServerName<'static>>,
    check_hostname: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerVerifier {
    pub(super) fn new(
        chain: Option<Arc<WebPkiServerVerifier>>,
        name: Option<ServerName<'static>>,
        check_hostname: bool,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> ServerVerifier {
        ServerVerifier {
            chain,
            name,
            check_hostname,
            algorithms,
        }
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        let name = self.name.as_ref().unwrap_or(server_name);
        match chain.verify_server_cert(end_entity, intermediates, name, ocsp_response, now) {
            // webpki checks the name last: this error means the chain itself is trusted.
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_hostname => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
