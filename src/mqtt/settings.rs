//! How a client connects: what the script asked for, turned into rumqttc options.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::{LastWill, MqttOptions, QoS};

use super::limits::MAX_PACKET_SIZE;

/// Keepalive sent on the wire when the script asks for none (umqtt's default `keepalive=0`).
///
/// umqtt sends 0, which means "never time me out"; some brokers (rumqttd among them) refuse
/// it. We send this instead and ping automatically while the script is busy elsewhere, so an
/// idle script stays connected for as long as it runs.
pub const IDLE_KEEPALIVE_SECS: u16 = 60;

/// How long `connect()` waits for TCP and CONNACK when the script gives no timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Will {
    pub topic: String,
    pub message: Bytes,
    pub qos: QoS,
    pub retain: bool,
}

#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub client_id: String,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Seconds, as the script gave it; 0 means "none asked" (see [`IDLE_KEEPALIVE_SECS`]).
    pub keepalive: u16,
    pub will: Option<Will>,
    pub clean_session: bool,
    pub connect_timeout: Option<Duration>,
}

impl ClientSettings {
    /// "host:port", for messages.
    pub fn broker(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    pub fn keepalive_on_wire(&self) -> u16 {
        if self.keepalive == 0 {
            IDLE_KEEPALIVE_SECS
        } else {
            self.keepalive
        }
    }

    /// rumqttc options. The caller has checked that a persistent session has a client id
    /// (rumqttc panics otherwise).
    pub fn mqtt_options(&self) -> MqttOptions {
        let mut options = MqttOptions::new(self.client_id.clone(), self.host.clone(), self.port);
        options
            .set_keep_alive(Duration::from_secs(u64::from(self.keepalive_on_wire())))
            .set_clean_session(self.clean_session)
            .set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE)
            .set_inflight(100);
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
        options
    }
}
