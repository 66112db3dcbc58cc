//! The embedded MQTT broker behind `--local-broker` and `pymqtt broker`.
//!
//! It is rumqttd running in-process on 127.0.0.1, so a script can be tried with no network and
//! nothing installed. rumqttd has no shutdown API: the broker lives until the process exits,
//! which is what both uses want.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// The port MQTT brokers listen on by default.
pub const DEFAULT_PORT: u16 = 1883;

/// How long `start` waits for the broker to accept connections before giving up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the embedded broker could not be started.
#[derive(Debug)]
pub enum BrokerError {
    /// Something else already listens on the port (or it cannot be bound).
    PortUnavailable { port: u16, reason: std::io::Error },
    /// The broker thread started but never accepted a connection.
    NotReady { port: u16 },
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerError::PortUnavailable { port, reason } => write!(
                f,
                "cannot start the embedded broker on 127.0.0.1:{port}: {reason} \
                 (is another broker running? choose another port with --local-broker=PORT)"
            ),
            BrokerError::NotReady { port } => write!(
                f,
                "the embedded broker on 127.0.0.1:{port} did not start accepting connections"
            ),
        }
    }
}

impl std::error::Error for BrokerError {}

/// A running embedded broker.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Starts the broker on 127.0.0.1:`port` and returns once it accepts connections.
    pub fn start(port: u16) -> Result<EmbeddedBroker, BrokerError> {
        let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        // rumqttd reports a failed bind only in its own log, from its own thread; binding
        // first turns "port in use" into an error the user sees.
        TcpListener::bind(addr).map_err(|reason| BrokerError::PortUnavailable { port, reason })?;

        let config = broker_config(addr);
        thread::Builder::new()
            .name("pymqtt-broker".into())
            .spawn(move || {
                let mut broker = Broker::new(config);
                if let Err(e) = broker.start() {
                    eprintln!("pymqtt: embedded broker stopped: {e}");
                }
            })
            .map_err(|reason| BrokerError::PortUnavailable { port, reason })?;

        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(EmbeddedBroker { addr });
            }
            thread::sleep(Duration::from_millis(10));
        }
        Err(BrokerError::NotReady { port })
    }

    /// Starts the broker on a port the system reports free (for a private broker per test).
    pub fn start_on_free_port() -> Result<EmbeddedBroker, BrokerError> {
        let mut attempts = 0;
        loop {
            let port = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(|reason| BrokerError::PortUnavailable { port: 0, reason })?
                .port();
            attempts += 1;
            match EmbeddedBroker::start(port) {
                // Another program took the port between the two binds: pick again.
                Err(BrokerError::PortUnavailable { .. }) if attempts < 5 => continue,
                result => return result,
            }
        }
    }

    /// The address the broker listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// A single MQTT 3.1.1 listener with limits sized for development use: rumqttd's defaults
/// are all zeros, which would refuse every connection.
fn broker_config(listen: SocketAddr) -> Config {
    let router = RouterConfig {
        max_connections: 10_000,
        max_outgoing_packet_count: 200,
        max_segment_size: 100 * 1024 * 1024,
        max_segment_count: 10,
        ..RouterConfig::default()
    };
    let server = ServerSettings {
        name: "v4-1".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 256 * 1024 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    Config {
        router,
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Config::default()
    }
}
