//! How a client connects: what the script asked for, turned into rumqttc options.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::{LastWill, MqttOptions, QoS};

use super::address::{BrokerAddress, Scheme};
use super::error::{EIO, MqttError};
use super::inbox::InboxLimit;
use super::limits::MAX_PACKET_SIZE;
use super::tls::TlsOptions;

/// Keepalive sent on the wire when the script asks for none (umqtt's default `keepalive=0`).
///
/// umqtt sends 0, which means "never time me out"; some brokers (rumqttd among them) refuse
/// it. We send this instead and ping automatically while the script is busy elsewhere, so an
/// idle script stays connected for as long as it runs.
pub const IDLE_KEEPALIVE_SECS: u16 = 60;

/// How long `connect()` waits for TCP and CONNACK when the script gives no timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest connect timeout: a longer one, `1e300` or `float('inf')` included, waits this
/// long, which for a connect() is forever.
///
/// Clamped rather than refused: a script that writes a huge timeout means "do not time me
/// out", and gets that. A year also keeps the deadline arithmetic (`Instant + Duration`, which
/// panics past the clock's range) far from its limits.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A connect timeout given in seconds: positive; a huge one is [`MAX_CONNECT_TIMEOUT`]. NaN,
/// zero and negative ones are refused, with the words for the error.
pub fn connect_timeout(seconds: f64) -> Result<Duration, String> {
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!(
            "timeout must be a positive number of seconds, not {seconds}"
        ));
    }
    if seconds >= MAX_CONNECT_TIMEOUT.as_secs_f64() {
        return Ok(MAX_CONNECT_TIMEOUT);
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A client's last will: the message the broker publishes for it if it goes away without a
/// DISCONNECT.
#[derive(Debug, Clone)]
pub struct Will {
    /// The topic the will is published to.
    pub topic: String,
    /// The will's payload.
    pub message: Bytes,
    /// The QoS the broker publishes it with.
    pub qos: QoS,
    /// Whether the broker retains it.
    pub retain: bool,
}

/// How the bytes travel to the broker.
#[derive(Debug, Clone, Default)]
pub enum Transport {
    /// Plain TCP.
    #[default]
    Tcp,
    /// TLS over TCP.
    Tls(TlsOptions),
    /// WebSocket; `path` is the URL's path and query (e.g. `/mqtt`).
    Ws {
        /// The URL's path and query.
        path: String,
    },
    /// WebSocket over TLS.
    Wss {
        /// The URL's path and query.
        path: String,
        /// How TLS is set up.
        tls: TlsOptions,
    },
}

impl Transport {
    /// The transport a broker address of `scheme` asks for: TLS ones with `tls` (the secure
    /// defaults when `None`), WebSocket ones with the URL's `path`.
    pub fn for_scheme(scheme: Scheme, path: &str, tls: Option<TlsOptions>) -> Transport {
        match scheme {
            Scheme::Mqtt => Transport::Tcp,
            Scheme::Mqtts => Transport::Tls(tls.unwrap_or_default()),
            Scheme::Ws => Transport::Ws { path: path.into() },
            Scheme::Wss => Transport::Wss {
                path: path.into(),
                tls: tls.unwrap_or_default(),
            },
        }
    }

    /// The TLS options of a transport that uses TLS.
    pub fn tls(&self) -> Option<&TlsOptions> {
        match self {
            Transport::Tls(tls) | Transport::Wss { tls, .. } => Some(tls),
            Transport::Tcp | Transport::Ws { .. } => None,
        }
    }

    /// The TLS options of a transport that uses TLS, to change.
    pub fn tls_mut(&mut self) -> Option<&mut TlsOptions> {
        match self {
            Transport::Tls(tls) | Transport::Wss { tls, .. } => Some(tls),
            Transport::Tcp | Transport::Ws { .. } => None,
        }
    }
}

/// How one client connects: who it is, which broker, over what, and with which options.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The client id CONNECT carries; empty lets the broker pick one (clean sessions only).
    pub client_id: String,
    /// The broker's host name or IP address.
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// The user name CONNECT carries, if any.
    pub user: Option<String>,
    /// The password CONNECT carries, if any.
    pub password: Option<String>,
    /// Seconds, as the script gave it; 0 means "none asked" (see [`IDLE_KEEPALIVE_SECS`]).
    pub keepalive: u16,
    /// The last will, if the script gave one.
    pub will: Option<Will>,
    /// MQTT's clean-session flag: false asks the broker to keep the session (subscriptions,
    /// unacknowledged messages) from one connection to the next.
    pub clean_session: bool,
    /// How long `connect()` waits for TCP and CONNACK; none: [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Option<Duration>,
    /// How the bytes travel.
    pub transport: Transport,
    /// How much received and unread the connection holds before it stops reading.
    pub inbox: InboxLimit,
}

impl ClientSettings {
    /// Settings for `client_id` at `address` over `transport`: a clean session, no keepalive
    /// asked, no will, credentials or connect timeout (set them on the result).
    pub fn new(
        client_id: impl Into<String>,
        address: &BrokerAddress,
        transport: Transport,
    ) -> Self {
        ClientSettings {
            client_id: client_id.into(),
            host: address.host.clone(),
            port: address.port,
            user: None,
            password: None,
            keepalive: 0,
            will: None,
            clean_session: true,
            connect_timeout: None,
            transport,
            inbox: InboxLimit::default(),
        }
    }

    /// "host:port", or the URL of a WebSocket broker, for messages.
    pub fn broker(&self) -> String {
        let host_port = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        match &self.transport {
            Transport::Tcp | Transport::Tls(_) => host_port,
            Transport::Ws { path } => format!("ws://{host_port}{path}"),
            Transport::Wss { path, .. } => format!("wss://{host_port}{path}"),
        }
    }

    /// How long `connect()` waits: the script's timeout, else [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// The keepalive CONNECT carries: the script's, or [`IDLE_KEEPALIVE_SECS`] when it asked
    /// for none.
    pub fn keepalive_on_wire(&self) -> u16 {
        if self.keepalive == 0 {
            IDLE_KEEPALIVE_SECS
        } else {
            self.keepalive
        }
    }

    /// rumqttc options. The caller has checked that a persistent session has a client id
    /// (rumqttc panics otherwise). Fails when TLS cannot be set up (no system CAs, a client
    /// key that does not fit) or this build lacks the transport.
    pub fn mqtt_options(&self) -> Result<MqttOptions, MqttError> {
        // rumqttc takes a WebSocket broker as a URL in place of the host.
        let address = match &self.transport {
            Transport::Ws { .. } | Transport::Wss { .. } => self.broker(),
            Transport::Tcp | Transport::Tls(_) => self.host.clone(),
        };
        let mut options = MqttOptions::new(self.client_id.clone(), address, self.port);
        options.set_transport(self.rumqttc_transport()?);
        options
            .set_keep_alive(Duration::from_secs(u64::from(self.keepalive_on_wire())))
            .set_clean_session(self.clean_session)
            .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
            .set_inflight(100)
            // A message is acknowledged once the script's callback returned (umqtt's order):
            // one whose callback never finished is sent again by the broker.
            .set_manual_acks(true);
        // umqtt sends the password only together with a user name; so does MQTT 3.1.1.
        if let Some(user) = &self.user {
            options.set_credentials(user.clone(), self.password.clone().unwrap_or_default());
        }
        if let Some(will) = &self.will {
            options.set_last_will(LastWill {
                topic: will.topic.clone(),
                message: will.message.clone(),
                qos: will.qos,
                retain: will.retain,
            });
        }
        Ok(options)
    }

    fn rumqttc_transport(&self) -> Result<rumqttc::Transport, MqttError> {
        match &self.transport {
            Transport::Tcp => Ok(rumqttc::Transport::Tcp),
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => Ok(rumqttc::Transport::Tls(self.rustls(tls)?)),
            #[cfg(not(feature = "tls"))]
            Transport::Tls(_) => Err(unavailable("feature `tls`", "TLS")),
            #[cfg(feature = "websocket")]
            Transport::Ws { .. } => Ok(rumqttc::Transport::Ws),
            #[cfg(not(feature = "websocket"))]
            Transport::Ws { .. } => Err(unavailable("feature `websocket`", "WebSocket")),
            #[cfg(all(feature = "websocket", feature = "tls"))]
            Transport::Wss { tls, .. } => Ok(rumqttc::Transport::Wss(self.rustls(tls)?)),
            #[cfg(not(all(feature = "websocket", feature = "tls")))]
            Transport::Wss { .. } => Err(unavailable(
                "features `websocket` and `tls`",
                "WebSocket over TLS",
            )),
        }
    }

    #[cfg(feature = "tls")]
    fn rustls(&self, tls: &TlsOptions) -> Result<rumqttc::TlsConfiguration, MqttError> {
        let config = super::tls::client_config(tls).map_err(|message| {
            MqttError::tls(
                EIO,
                format!("cannot set up TLS for {}: {message}", self.broker()),
            )
        })?;
        Ok(rumqttc::TlsConfiguration::Rustls(config))
    }
}

/// The error for a transport this build left out.
#[cfg_attr(all(feature = "tls", feature = "websocket"), allow(dead_code))]
fn unavailable(features: &str, what: &str) -> MqttError {
    MqttError::os(
        EIO,
        format!(
            "this pymqtt was built without {what} (cargo {features}); \
             connect with plain MQTT instead (e.g. --broker HOST:1883)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeouts_are_positive_and_huge_ones_wait_the_longest() {
        assert_eq!(connect_timeout(2.5), Ok(Duration::from_millis(2500)));
        for huge in [1e300, f64::INFINITY, f64::MAX] {
            assert_eq!(connect_timeout(huge), Ok(MAX_CONNECT_TIMEOUT));
        }
        for bad in [0.0, -1.0, f64::NEG_INFINITY, f64::NAN] {
            let e = connect_timeout(bad).unwrap_err();
            assert!(e.starts_with("timeout must be a positive"), "{e}");
        }
        // The clamped timeout still leaves room for the deadline arithmetic.
        assert!(
            std::time::Instant::now()
                .checked_add(MAX_CONNECT_TIMEOUT * 2)
                .is_some()
        );
    }
}
