//! Certificates made for a test: a CA, server certificates signed by it (valid for
//! localhost/127.0.0.1, expired, or for another host), and a client certificate, as PEM files.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, date_time_ymd,
};

use super::scripts::TempDir;

/// A certificate file and its key file.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Issued {
    /// A rustls server configuration presenting this certificate, for a test's own TLS
    /// server (ring, the provider pymqtt uses; no client certificates asked).
    pub fn server_config(&self) -> std::sync::Arc<rustls::ServerConfig> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .expect("read the server's certificate")
            .collect::<Result<Vec<_>, _>>()
            .expect("parse the server's certificate");
        let key = PrivateKeyDer::from_pem_file(&self.key).expect("read the server's key");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the server's certificate and key");
        std::sync::Arc::new(config)
    }
}

/// Everything a TLS test needs, written into a temp folder that lives as long as this.
pub struct TestPki {
    pub dir: TempDir,
    /// The CA certificate (PEM) that signed every other certificate here.
    pub ca: PathBuf,
    /// The CA certificate as DER, for `cadata=` in MicroPython's form.
    pub ca_der: Vec<u8>,
    /// For localhost and 127.0.0.1, valid now.
    pub server: Issued,
    /// For localhost and 127.0.0.1, expired in 2021.
    pub expired: Issued,
    /// For other.example only.
    pub wrong_host: Issued,
    /// A client certificate (mutual TLS).
    pub client: Issued,
    /// Another CA, that signed nothing here: a stand-in for the system's CAs
    /// (`SSL_CERT_FILE`), so that "the system does not know this CA" holds on any machine.
    pub other_ca: PathBuf,
}

impl TestPki {
    pub fn new() -> TestPki {
        let dir = TempDir::new("pki");
        let new_ca = |name: &str| {
            let key = KeyPair::generate().expect("CA key");
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            // create_default_context() verifies strictly (VERIFY_X509_STRICT), which wants every
            // certificate the server sends to name its issuer's key, and mosquitto sends the CA
            // too; OpenSSL's own CAs carry the extension as well.
            params.use_authority_key_identifier_extension = true;
            let cert = params.self_signed(&key).expect("CA certificate");
            (cert, key)
        };
        let (ca_cert, ca_key) = new_ca("pymqtt test CA");
        let ca = dir.write("ca.pem", ca_cert.pem());
        let other_ca = dir.write("other-ca.pem", new_ca("another CA").0.pem());

        let issue = |name: &str, sans: &[&str], client: bool, expired: bool| {
            let key = KeyPair::generate().expect("key");
            let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
            let mut params = CertificateParams::new(sans).expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.use_authority_key_identifier_extension = true;
            params.extended_key_usages = vec![if client {
                ExtendedKeyUsagePurpose::ClientAuth
            } else {
                ExtendedKeyUsagePurpose::ServerAuth
            }];
            if expired {
                params.not_before = date_time_ymd(2020, 1, 1);
                params.not_after = date_time_ymd(2021, 1, 1);
            }
            let cert: Certificate = params.signed_by(&key, &ca_cert, &ca_key).expect("sign");
            Issued {
                cert: dir.write(&format!("{name}.crt"), cert.pem()),
                key: dir.write(&format!("{name}.key"), key.serialize_pem()),
            }
        };
        let server = issue("server", &["localhost", "127.0.0.1"], false, false);
        let expired = issue("expired", &["localhost", "127.0.0.1"], false, true);
        let wrong_host = issue("wrong-host", &["other.example"], false, false);
        let client = issue("client", &[], true, false);
        TestPki {
            ca_der: ca_cert.der().to_vec(),
            dir,
            ca,
            server,
            expired,
            wrong_host,
            client,
            other_ca,
        }
    }

    /// mosquitto listener lines for TLS with `server`'s certificate; with
    /// `require_client_cert`, clients must show a certificate signed by the CA.
    pub fn mosquitto_tls(&self, server: &Issued, require_client_cert: bool) -> Vec<String> {
        let mut lines = vec![
            format!("cafile {}", self.ca.display()),
            format!("certfile {}", server.cert.display()),
            format!("keyfile {}", server.key.display()),
        ];
        if require_client_cert {
            lines.push("require_certificate true".into());
        }
        lines
    }
}
