//! `--broker ADDRESS`: where every MQTTClient connects, whatever the script hard-codes.
//!
//! The redirect's scheme decides the transport, not the script: a plain `host:port` (or
//! `mqtt://`) address gets plain TCP even when the script asked for TLS, so that a script
//! written for a TLS broker runs unchanged against a local plain one. `mqtts://` and `wss://`
//! use the script's TLS settings (CAs, client certificate, verification) when it has any,
//! else verify against the system's CAs; the name checked is the redirect's host.

use crate::mqtt::address::BrokerAddress;
use crate::mqtt::{ClientSettings, Transport};

/// Points `settings` at `to`, with the transport `to`'s scheme asks for.
pub fn apply(to: &BrokerAddress, settings: &mut ClientSettings) {
    // The script's TLS settings, but its server_hostname names the script's broker, not this.
    let tls = settings.transport.tls().cloned().map(|mut tls| {
        tls.server_hostname = None;
        tls
    });
    settings.transport = Transport::for_scheme(to.scheme, &to.path, tls);
    settings.host = to.host.clone();
    settings.port = to.port;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::tls::{CertReqs, TlsOptions};

    fn tls_script() -> ClientSettings {
        ClientSettings::new(
            "c",
            &BrokerAddress::tcp("broker.emqx.io", 8883),
            Transport::Tls(TlsOptions {
                cert_reqs: CertReqs::None,
                check_hostname: false,
                server_hostname: Some("broker.emqx.io".into()),
                ..TlsOptions::default()
            }),
        )
    }

    #[test]
    fn plain_redirect_drops_tls() {
        let mut settings = tls_script();
        apply(&BrokerAddress::tcp("127.0.0.1", 1884), &mut settings);
        assert!(matches!(settings.transport, Transport::Tcp));
        assert_eq!(settings.broker(), "127.0.0.1:1884");
    }

    #[test]
    fn tls_redirect_keeps_the_scripts_settings_but_not_its_name() {
        let mut settings = tls_script();
        apply(&"mqtts://localhost:9883".parse().unwrap(), &mut settings);
        let Transport::Tls(tls) = &settings.transport else {
            panic!("expected TLS, got {:?}", settings.transport);
        };
        assert_eq!(tls.cert_reqs, CertReqs::None);
        assert_eq!(tls.server_hostname, None);
        assert_eq!(settings.broker(), "localhost:9883");
    }

    #[test]
    fn websocket_redirects_keep_the_path() {
        let mut settings = tls_script();
        settings.transport = Transport::Tcp;
        apply(&"wss://h:8084/mqtt".parse().unwrap(), &mut settings);
        let Transport::Wss { path, tls } = &settings.transport else {
            panic!("expected wss, got {:?}", settings.transport);
        };
        assert_eq!(
            (path.as_str(), tls.cert_reqs),
            ("/mqtt", CertReqs::Required)
        );
        assert_eq!(settings.broker(), "wss://h:8084/mqtt");
        apply(&"ws://h:8083".parse().unwrap(), &mut settings);
        assert_eq!(settings.broker(), "ws://h:8083/");
    }
}
