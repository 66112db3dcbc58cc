//! The embedded MQTT broker behind `--local-broker` and `pymqtt broker`.
//!
//! It is rumqttd running in-process on 127.0.0.1, so a script can be tried with no network and
//! nothing installed. rumqttd has no shutdown API: the broker lives until the process exits,
//! which is what both uses want. Its MQTT port is `front_door`'s, which checks credentials
//! ([`Access`]), describes what clients send (`activity`, `pymqtt broker -v`) and passes
//! connections on to rumqttd's private port.

mod access;
mod activity;
mod faults;
mod front_door;

pub use access::Access;
pub use faults::Faults;

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
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
    PortUnavailable {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the system answered.
        reason: std::io::Error,
    },
    /// The broker thread started but never accepted a connection.
    NotReady {
        /// The port that stayed closed.
        port: u16,
    },
    /// A WebSocket listener was asked of a build without the `websocket` feature.
    NoWebSocket,
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerError::PortUnavailable { addr, reason } => write!(
                f,
                "cannot start the embedded broker on {addr}: {} \
                 (is another broker running? choose another port, or 0 for any free one)",
                crate::mqtt::error::io_detail(reason)
            ),
            BrokerError::NotReady { port } => write!(
                f,
                "the embedded broker on 127.0.0.1:{port} did not start accepting connections"
            ),
            BrokerError::NoWebSocket => write!(
                f,
                "this pymqtt was built without WebSocket support (cargo feature `websocket`)"
            ),
        }
    }
}

impl std::error::Error for BrokerError {}

/// Where the broker's log lines go (`pymqtt broker -v`): one call per line, no newline.
pub type BrokerLog = Arc<dyn Fn(&str) + Send + Sync>;

/// Sees each packet a client sends, with the client's id, before the broker does (`pymqtt
/// test` learns from it the QoS and retain flag a script published with).
pub type PacketWatch = Arc<dyn Fn(&str, &rumqttc::Packet) + Send + Sync>;

/// How to run a broker: its listeners, the address they bind, who may connect, a log, and a
/// watch on what clients send.
#[derive(Clone)]
pub struct BrokerSetup {
    /// The ports to listen on.
    pub listeners: Listeners,
    /// The address the MQTT listener binds: 127.0.0.1 unless other machines (a board on
    /// the LAN) must reach it. The WebSocket listener stays on 127.0.0.1.
    pub bind: IpAddr,
    /// Who may connect.
    pub access: Access,
    /// Where log lines go; none: no log.
    pub log: Option<BrokerLog>,
    /// Called with each packet a client sends, before the broker sees it.
    pub watch: Option<PacketWatch>,
}

impl BrokerSetup {
    /// On 127.0.0.1, open to anyone, silent.
    pub fn loopback(listeners: Listeners) -> BrokerSetup {
        BrokerSetup {
            listeners,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            access: Access::anyone(),
            log: None,
            watch: None,
        }
    }
}

/// A running embedded broker.
#[derive(Debug, Clone)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    websocket_addr: Option<SocketAddr>,
    /// rumqttd's own address, behind the front door.
    private: SocketAddr,
    faults: Arc<Faults>,
}

/// The ports an embedded broker listens on (127.0.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listeners {
    /// MQTT over TCP.
    pub mqtt: u16,
    /// MQTT over WebSocket (any path), with feature `websocket`.
    pub websocket: Option<u16>,
}

impl EmbeddedBroker {
    /// Starts the broker on 127.0.0.1:`port` (0: a free port the system picks; [`Self::addr`]
    /// says which) and returns once it accepts connections.
    pub fn start(port: u16) -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start_with(Listeners {
            mqtt: port,
            websocket: None,
        })
    }

    /// Starts the broker with these listeners and returns once they accept connections. A
    /// port of 0 is a free port the system picks.
    pub fn start_with(listeners: Listeners) -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start_setup(BrokerSetup::loopback(listeners))
    }

    /// Starts the broker as `setup` says and returns once it accepts connections.
    pub fn start_setup(setup: BrokerSetup) -> Result<EmbeddedBroker, BrokerError> {
        let BrokerSetup {
            listeners,
            bind,
            access,
            log,
            watch,
        } = setup;
        if listeners.websocket.is_some() && cfg!(not(feature = "websocket")) {
            return Err(BrokerError::NoWebSocket);
        }
        // Binding here, before rumqttd starts, turns "port in use" into an error the user
        // sees (rumqttd reports a failed bind only in its own log, from its own thread), and
        // port 0 into the port the system picked. The MQTT listener stays ours (the front
        // door); rumqttd gets a private port behind it.
        let (addr, door) = probe_on(bind, listeners.mqtt)?;
        // Held until the WebSocket probe is bound too, so that the two get different ports.
        let (private, private_probe) = probe(0)?;
        // rumqttd binds the WebSocket port itself (it has no call to take a listener, nor to
        // say which port it bound): between our probe's close and its bind another program
        // could take that port, a small race which picked ports' randomness makes rare (as
        // any "find a free port, then use it" has). The private port has the same race.
        let websocket = listeners.websocket.map(probe).transpose()?;
        let websocket_addr = websocket.as_ref().map(|(addr, _)| *addr);
        drop((private_probe, websocket));

        let config = broker_config(private, websocket_addr);
        thread::Builder::new()
            .name("pymqtt-broker".into())
            .spawn(move || {
                let mut broker = Broker::new(config);
                if let Err(e) = broker.start() {
                    eprintln!("pymqtt: embedded broker stopped: {e}");
                }
            })
            .map_err(|reason| BrokerError::PortUnavailable { addr, reason })?;

        for addr in std::iter::once(private).chain(websocket_addr) {
            wait_accepting(addr)?;
        }
        let faults = Arc::new(Faults::default());
        let door_state = front_door::Door {
            access,
            log,
            watch,
            faults: Arc::clone(&faults),
        };
        front_door::serve(door, private, door_state)
            .map_err(|reason| BrokerError::PortUnavailable { addr, reason })?;
        Ok(EmbeddedBroker {
            addr,
            websocket_addr,
            private,
            faults,
        })
    }

    /// Starts the broker on a port the system reports free (for a private broker per test).
    pub fn start_on_free_port() -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start(0)
    }

    /// The address the broker listens on for MQTT over TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the WebSocket listener, if it has one.
    pub fn websocket_addr(&self) -> Option<SocketAddr> {
        self.websocket_addr
    }

    /// The faults a test can put on the broker's MQTT listener (connections over WebSocket
    /// do not pass through it).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Restarts the broker as one without persistence would (see [`Faults::restart`]),
    /// leaving `keep`'s connection alone.
    pub fn restart(&self, keep: &str) {
        self.faults.restart(self.private, keep);
    }
}

/// Binds 127.0.0.1:`port` to see that it is free (0: to have the system pick a free one), and
/// says which address that was.
fn probe(port: u16) -> Result<(SocketAddr, TcpListener), BrokerError> {
    probe_on(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

fn probe_on(ip: IpAddr, port: u16) -> Result<(SocketAddr, TcpListener), BrokerError> {
    TcpListener::bind(SocketAddr::new(ip, port))
        .and_then(|listener| Ok((listener.local_addr()?, listener)))
        .map_err(|reason| BrokerError::PortUnavailable {
            addr: SocketAddr::new(ip, port),
            reason,
        })
}

/// Returns once `addr` accepts connections, or fails after [`READY_TIMEOUT`].
fn wait_accepting(addr: SocketAddr) -> Result<(), BrokerError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(10));
    }
    Err(BrokerError::NotReady { port: addr.port() })
}

/// An MQTT 3.1.1 listener (and maybe a WebSocket one) with limits sized for development use:
/// rumqttd's defaults are all zeros, which would refuse every connection.
fn broker_config(listen: SocketAddr, websocket: Option<SocketAddr>) -> Config {
    let router = RouterConfig {
        max_connections: 10_000,
        max_outgoing_packet_count: 200,
        max_segment_size: 100 * 1024 * 1024,
        max_segment_count: 10,
        ..RouterConfig::default()
    };
    let server = |name: &str, listen: SocketAddr| ServerSettings {
        name: name.into(),
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
        v4: Some(HashMap::from([("1".to_string(), server("v4-1", listen))])),
        ws: websocket.map(|listen| HashMap::from([("1".to_string(), server("ws-1", listen))])),
        ..Config::default()
    }
}
