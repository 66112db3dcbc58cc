//! [`TlsOptions`] turned into a rustls `ClientConfig` on the ring provider.

use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};

use super::TlsOptions;
use super::verifier::ServerVerifier;

/// The system's trusted CAs, read once per process (reading them takes tens of milliseconds).
fn system_roots() -> Result<Arc<RootCertStore>, String> {
    static ROOTS: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                return Err(format!(
                    "no trusted CA certificates found on this system{why}: install the \
                     ca-certificates package (or set SSL_CERT_FILE), or give the broker's CA \
                     as ssl_params={{'ca_certs': PATH}} or ctx.load_verify_locations(PATH)"
                ));
            }
            Ok(Arc::new(roots))
        })
        .clone()
}

/// The CAs given, plus the system's when asked.
fn trusted_roots(options: &TlsOptions) -> Result<Arc<RootCertStore>, String> {
    if options.ca.is_empty() {
        return system_roots();
    }
    let mut roots = RootCertStore::empty();
    let (_added, ignored) = roots.add_parsable_certificates(options.ca.iter().cloned());
    if roots.is_empty() {
        return Err(format!(
            "none of the {ignored} CA certificate(s) given can be used as a trust anchor \
             (are they CA certificates?)"
        ));
    }
    if options.with_system_ca {
        roots.roots.extend(system_roots()?.roots.iter().cloned());
    }
    Ok(Arc::new(roots))
}

/// The name a certificate must carry, as rustls spells names.
pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    ServerName::try_from(bare.to_string())
        .map_err(|_| format!("{name:?} is not a valid host name or IP address"))
}

/// The rustls configuration for `options`. Errors are sentences for an OSError.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = if options.verifies() {
        let verifier =
            WebPkiServerVerifier::builder_with_provider(trusted_roots(options)?, provider.clone())
                .build()
                .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
        Some(verifier)
    } else {
        None
    };
    let name = options
        .server_hostname
        .as_deref()
        .map(server_name)
        .transpose()?;
    let verifier = ServerVerifier::new(
        chain,
        name,
        options.check_hostname,
        provider.signature_verification_algorithms,
    );
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let config = match &options.identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|e| format!("the client certificate and key cannot be used: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    let mut config = config;
    config.alpn_protocols = options.alpn.clone();
    Ok(Arc::new(config))
}
