//! What both tools need to reach a broker: the flags (`--broker`, `-h`, `-p`, `-u`, `-P`, `-i`,
//! `-k`, `-c`, `--will-*`), the client settings made from them, and the connection, with
//! failures worded for a terminal.

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::Failure;
use super::parse;
use crate::mqtt::address::{BrokerAddress, Scheme};
use crate::mqtt::error::{ETIMEDOUT, ErrorKind, MqttError, Stage, with_advice};
use crate::mqtt::tls::{Advice, ClientIdentity, TlsOptions, material};
use crate::mqtt::{ClientSettings, Connection, Transport, WaitError};

/// The broker when neither a flag nor `PYMQTT_BROKER` names one.
pub const DEFAULT_HOST: &str = "localhost";

/// Broker and client identity, as mosquitto_pub/mosquitto_sub take them: `-h` is the host, and
/// help is `--help` (the tools turn clap's `-h` off).
#[derive(Args, Debug, Clone, Default)]
pub struct ConnectArgs {
    /// Broker to connect to: HOST or HOST:PORT, or a mqtts://, ws:// or wss:// URL (default:
    /// localhost:1883)
    #[arg(
        long,
        value_name = "HOST[:PORT]",
        env = "PYMQTT_BROKER",
        help_heading = "Connection"
    )]
    pub broker: Option<BrokerAddress>,

    /// Broker host, as mosquitto's -h (overrides the host of --broker); -H too
    #[arg(short = 'h', short_alias = 'H', long = "host", value_name = "HOST", value_parser = host,
          help_heading = "Connection")]
    pub host: Option<String>,

    /// Broker port, as mosquitto's -p (overrides the port of --broker)
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = parse::port,
          help_heading = "Connection")]
    pub port: Option<u16>,

    /// User name sent to the broker
    #[arg(short = 'u', long = "username", value_name = "USER",
          value_parser = parse::mqtt_string, help_heading = "Connection")]
    pub user: Option<String>,

    /// Password sent to the broker (needs -u)
    #[arg(short = 'P', long = "pw", value_name = "PASS", requires = "user",
          value_parser = parse::mqtt_string, help_heading = "Connection")]
    pub password: Option<String>,

    /// Client id [default: pymqtt-pub-PID or pymqtt-sub-PID, PID being this process's id]
    #[arg(short = 'i', long = "id", value_name = "CLIENT_ID",
          value_parser = parse::mqtt_string, help_heading = "Connection")]
    pub client_id: Option<String>,

    /// Keepalive in seconds, as mosquitto's -k [default: 60]
    #[arg(short = 'k', long = "keepalive", value_name = "SECONDS",
          value_parser = clap::value_parser!(u16).range(5..), help_heading = "Connection")]
    pub keepalive: Option<u16>,

    /// Keep the session when disconnecting (no clean session), as mosquitto's -c; needs -i
    #[arg(
        short = 'c',
        long = "disable-clean-session",
        requires = "client_id",
        help_heading = "Connection"
    )]
    pub keep_session: bool,

    /// Last will: the topic the broker publishes to if this client disappears
    #[arg(long = "will-topic", value_name = "TOPIC", value_parser = parse::publish_topic,
          requires = "will_payload", help_heading = "Last will")]
    pub will_topic: Option<String>,

    /// Last will: its message
    #[arg(
        long = "will-payload",
        value_name = "MESSAGE",
        requires = "will_topic",
        help_heading = "Last will"
    )]
    pub will_payload: Option<String>,

    /// Last will: its QoS [default: 0]
    #[arg(long = "will-qos", value_name = "QOS", value_parser = parse::qos,
          help_heading = "Last will")]
    pub will_qos: Option<rumqttc::QoS>,

    /// Last will: retained
    #[arg(long = "will-retain", help_heading = "Last will")]
    pub will_retain: bool,

    /// mosquitto's -V (protocol version): pymqtt speaks MQTT 3.1.1 only
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION",
          value_parser = protocol_version, hide = true)]
    pub protocol_version: Option<String>,

    /// Trust this CA (PEM file) instead of the system's; turns on TLS for a plain address
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cafile: Option<PathBuf>,

    /// Client certificate (PEM file) for brokers that require one; needs --key
    #[arg(long, value_name = "FILE", requires = "key", help_heading = "TLS")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM file) of --cert
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "TLS")]
    pub key: Option<PathBuf>,

    /// Do not check that the certificate names the broker host (the chain is still verified)
    #[arg(long, help_heading = "TLS")]
    pub insecure: bool,

    /// Report connecting, subscriptions and disconnecting on stderr
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,
}

impl ConnectArgs {
    /// Whether a TLS flag asks for TLS (as mosquitto_pub's do).
    fn wants_tls(&self) -> bool {
        self.cafile.is_some() || self.cert.is_some() || self.insecure
    }

    /// `--broker` (or `PYMQTT_BROKER`, or localhost:1883) with `-H` and `-p` applied; a TLS
    /// flag turns a plain address into `mqtts://` (port 8883 when none is given).
    pub fn broker_address(&self) -> BrokerAddress {
        let mut address = self
            .broker
            .clone()
            .unwrap_or_else(|| BrokerAddress::tcp(DEFAULT_HOST, Scheme::Mqtt.default_port()));
        if self.wants_tls() && address.scheme == Scheme::Mqtt {
            address.scheme = Scheme::Mqtts;
            if self.broker.is_none() {
                address.port = Scheme::Mqtts.default_port();
            }
        }
        if let Some(host) = &self.host {
            address.host = host.clone();
        }
        if let Some(port) = self.port {
            address.port = port;
        }
        address
    }

    /// Prints `pymqtt TOOL: what` on stderr with `-d`.
    pub(crate) fn debug(&self, tool: &str, what: impl std::fmt::Display) {
        if self.debug {
            eprintln!("pymqtt {tool}: {what}");
        }
    }

    /// TLS settings from the flags: the system's CAs unless `--cafile`.
    fn tls_options(&self) -> Result<TlsOptions, String> {
        let mut tls = TlsOptions {
            check_hostname: !self.insecure,
            ..TlsOptions::default()
        };
        if let Some(cafile) = &self.cafile {
            tls.ca = material::certificates(&read(cafile)?, &cafile.display().to_string())?;
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            tls.identity = Some(Arc::new(ClientIdentity {
                chain: material::certificates(&read(cert)?, &cert.display().to_string())?,
                key: material::private_key(&read(key)?, &key.display().to_string())?,
            }));
        }
        Ok(tls)
    }

    /// Client settings for `tool` ("pub" or "sub"): a clean session, keepalive 60 s, TLS for
    /// `mqtts://` and `wss://` (and the TLS flags). Fails when a certificate file cannot be
    /// read or parsed.
    pub fn settings(&self, tool: &str) -> Result<ClientSettings, String> {
        let broker = self.broker_address();
        let tls = match broker.scheme.is_tls() {
            true => Some(self.tls_options()?),
            false => None,
        };
        let client_id = self
            .client_id
            .clone()
            .unwrap_or_else(|| format!("pymqtt-{tool}-{}", std::process::id()));
        let transport = Transport::for_scheme(broker.scheme, &broker.path, tls);
        let mut settings = ClientSettings::new(client_id, &broker, transport);
        settings.user = self.user.clone();
        settings.password = self.password.clone();
        if let Some(keepalive) = self.keepalive {
            settings.keepalive = keepalive;
        }
        settings.clean_session = !self.keep_session;
        if let (Some(topic), Some(payload)) = (&self.will_topic, &self.will_payload) {
            settings.will = Some(crate::mqtt::Will {
                topic: topic.clone(),
                message: bytes::Bytes::from(payload.clone().into_bytes()),
                qos: self.will_qos.unwrap_or(rumqttc::QoS::AtMostOnce),
                retain: self.will_retain,
            });
        }
        Ok(settings)
    }
}

/// `-V`: only MQTT 3.1.1 (mosquitto's `mqttv311`, `311`), which is what pymqtt speaks anyway.
fn protocol_version(s: &str) -> Result<String, String> {
    match s {
        "mqttv311" | "311" => Ok(s.to_owned()),
        _ => Err("pymqtt speaks MQTT 3.1.1 only (-V mqttv311)".into()),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// `-H`: a host name or address; the port goes in `-p`.
fn host(s: &str) -> Result<String, String> {
    let s = s.trim();
    let unbracketed = s
        .strip_prefix('[')
        .and_then(|v6| v6.strip_suffix(']'))
        .unwrap_or(s);
    if unbracketed.is_empty() {
        return Err("the host must not be empty, e.g. -H localhost".into());
    }
    if unbracketed.contains(':') && unbracketed.parse::<Ipv6Addr>().is_err() {
        return Err("give the port with -p, e.g. -H localhost -p 1883, \
                    or both with --broker localhost:1883"
            .into());
    }
    Ok(unbracketed.to_string())
}

/// Connects (TCP and CONNACK). `check` runs every few milliseconds meanwhile and may stop the
/// attempt (Ctrl-C, `-W`).
pub(crate) fn open(
    settings: &ClientSettings,
    check: &mut dyn FnMut() -> Result<(), Failure>,
) -> Result<Connection, Failure> {
    Connection::open(settings, check)
        .map(|(connection, _session_present)| connection)
        .map_err(|e| match e {
            WaitError::Interrupted(failure) => failure,
            WaitError::Mqtt(e) => {
                Failure::Message(connect_error(&e.before_connack(), &settings.broker()))
            }
        })
}

/// A failure after the connection was made.
pub(crate) fn failure(e: WaitError<Failure>) -> Failure {
    match e {
        WaitError::Interrupted(failure) => failure,
        WaitError::Mqtt(e) => Failure::Message(describe(&e)),
    }
}

/// An error of an open connection, for a terminal: no errno.
pub(crate) fn describe(e: &MqttError) -> String {
    match e.kind {
        ErrorKind::Os => e.message(),
        ErrorKind::Tls => with_advice(&e.message(), e.advice.map(Advice::for_tools)),
        ErrorKind::Refused(code) => format!("the broker refused: {}", refusal(code)),
    }
}

/// Why connecting failed, as `cannot connect to HOST:PORT: Connection refused`.
fn connect_error(e: &MqttError, broker: &str) -> String {
    match e.kind {
        ErrorKind::Refused(code) => {
            format!(
                "the broker at {broker} refused the connection: {}",
                refusal(code)
            )
        }
        ErrorKind::Tls => format!(
            "cannot connect to {broker}: {}",
            with_advice(&e.message(), e.advice.map(Advice::for_tools))
        ),
        ErrorKind::Os => {
            // The broker is named once, here: the detail alone says what went wrong.
            let detail = match e.stage {
                Stage::Connecting | Stage::Lost => e.detail.clone(),
                Stage::Handshake => format!("{}; is it an MQTT port?", e.detail),
                Stage::Other if e.errno == ETIMEDOUT => "timed out".to_string(),
                Stage::Other => e.message(),
            };
            let hint = if e.errno == libc::ECONNREFUSED {
                " (is a broker running there? `pymqtt broker` starts one on localhost:1883)"
            } else {
                ""
            };
            format!("cannot connect to {broker}: {detail}{hint}")
        }
    }
}

/// The CONNACK return codes of MQTT 3.1.1, with what to change.
fn refusal(code: u8) -> String {
    match code {
        1 => "unacceptable protocol version (it does not speak MQTT 3.1.1)".into(),
        2 => "client id rejected (choose another with -i)".into(),
        3 => "server unavailable".into(),
        4 => "bad user name or password (check -u and -P)".into(),
        5 => "not authorized (check -u and -P)".into(),
        other => format!("return code {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_flags_override_broker() {
        let args = ConnectArgs {
            broker: Some("example.org:1884".parse().unwrap()),
            port: Some(1999),
            ..ConnectArgs::default()
        };
        assert_eq!(args.broker_address().to_string(), "example.org:1999");
        let args = ConnectArgs {
            host: Some("10.0.0.2".into()),
            ..ConnectArgs::default()
        };
        assert_eq!(args.broker_address().to_string(), "10.0.0.2:1883");
        assert_eq!(
            ConnectArgs::default().broker_address().to_string(),
            "localhost:1883"
        );
    }

    #[test]
    fn tls_flags_turn_on_tls() {
        let args = ConnectArgs {
            insecure: true,
            ..ConnectArgs::default()
        };
        assert_eq!(args.broker_address().to_string(), "mqtts://localhost:8883");
        let args = ConnectArgs {
            broker: Some("h:1884".parse().unwrap()),
            cafile: Some("/nonexistent/ca.pem".into()),
            ..ConnectArgs::default()
        };
        assert_eq!(args.broker_address().to_string(), "mqtts://h:1884");
        let e = args.settings("pub").unwrap_err();
        assert!(e.starts_with("cannot read /nonexistent/ca.pem: "), "{e}");
        let args = ConnectArgs {
            broker: Some("ws://h/mqtt".parse().unwrap()),
            insecure: true,
            ..ConnectArgs::default()
        };
        assert_eq!(args.broker_address().to_string(), "ws://h:80/mqtt");
    }

    #[test]
    fn host_flag_takes_no_port() {
        assert_eq!(host("[::1]"), Ok("::1".into()));
        assert!(host("localhost:1883").unwrap_err().contains("-p"));
    }

    #[test]
    fn connection_refused_reads_like_a_sentence() {
        let e = MqttError::os(111, crate::mqtt::error::strerror(111))
            .at(Stage::Connecting, "127.0.0.1:1");
        assert_eq!(e.message(), "cannot reach 127.0.0.1:1: Connection refused");
        assert!(
            connect_error(&e, "127.0.0.1:1")
                .starts_with("cannot connect to 127.0.0.1:1: Connection refused (is a broker")
        );
        assert_eq!(
            connect_error(&MqttError::refused(5), "b:1"),
            "the broker at b:1 refused the connection: not authorized (check -u and -P)"
        );
    }
}
