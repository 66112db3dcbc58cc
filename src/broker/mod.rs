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
///
/// ```
/// assert_eq!(pymqtt::broker::DEFAULT_PORT, 1883);
/// ```
pub const DEFAULT_PORT: u16 = 1883;

/// How long `start` waits for the broker to accept connections before giving up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the embedded broker could not be started.
///
/// ```
/// use pymqtt::broker::{BrokerError, EmbeddedBroker};
///
/// let first = EmbeddedBroker::start_on_free_port().unwrap();
/// // The port is taken: the second broker says so instead of starting.
/// let second = EmbeddedBroker::start(first.addr().port());
/// assert!(matches!(second, Err(BrokerError::PortUnavailable { .. })), "{second:?}");
/// ```
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
///
/// ```
/// use std::sync::Arc;
/// use pymqtt::broker::{BrokerLog, BrokerSetup, EmbeddedBroker, Listeners};
///
/// let log: BrokerLog = Arc::new(|line| eprintln!("broker: {line}"));
/// let mut setup = BrokerSetup::loopback(Listeners { mqtt: 0, websocket: None });
/// setup.log = Some(log);
/// let broker = EmbeddedBroker::start_setup(setup).unwrap();
/// ```
pub type BrokerLog = Arc<dyn Fn(&str) + Send + Sync>;

/// Sees each packet a client sends, with the client's id, before the broker does (`pymqtt
/// test` learns from it the QoS and retain flag a script published with).
///
/// ```
/// use std::sync::Arc;
/// use pymqtt::broker::{BrokerSetup, EmbeddedBroker, Listeners, PacketWatch};
///
/// let watch: PacketWatch = Arc::new(|client, packet| {
///     if let rumqttc::Packet::Publish(publish) = packet {
///         println!("{client} published on {} at {:?}", publish.topic, publish.qos);
///     }
/// });
/// let mut setup = BrokerSetup::loopback(Listeners { mqtt: 0, websocket: None });
/// setup.watch = Some(watch);
/// let broker = EmbeddedBroker::start_setup(setup).unwrap();
/// ```
pub type PacketWatch = Arc<dyn Fn(&str, &rumqttc::Packet) + Send + Sync>;

/// How to run a broker: its listeners, the address they bind, who may connect, a log, and a
/// watch on what clients send.
///
/// ```
/// use pymqtt::broker::{Access, BrokerSetup, EmbeddedBroker, Listeners};
/// use pymqtt::{BrokerAddress, ExitStatus, Host, Program};
///
/// let mut access = Access::users_only();
/// access.add_user("gateway", "s3cret");
/// let mut setup = BrokerSetup::loopback(Listeners { mqtt: 0, websocket: None });
/// setup.access = access;
/// let broker = EmbeddedBroker::start_setup(setup).unwrap();
///
/// let host = Host::builder()
///     .broker(BrokerAddress::tcp("127.0.0.1", broker.addr().port()))
///     .output(|_, _| {})
///     .build();
/// let connect = |user: &str| {
///     format!("from umqtt.simple import MQTTClient\n\
///              MQTTClient('c', 'localhost', user='gateway', password={user:?}).connect()")
/// };
/// assert_eq!(host.run(&Program::Source(connect("s3cret"))), ExitStatus::SUCCESS);
/// assert_eq!(host.run(&Program::Source(connect("guess"))), ExitStatus::EXCEPTION);
/// ```
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
    ///
    /// ```
    /// use pymqtt::broker::{BrokerSetup, Listeners};
    ///
    /// let setup = BrokerSetup::loopback(Listeners { mqtt: 0, websocket: None });
    /// assert!(setup.bind.is_loopback() && setup.access.is_open());
    /// ```
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
///
/// ```
/// use pymqtt::broker::EmbeddedBroker;
/// use pymqtt::{BrokerAddress, ExitStatus, Host, Program};
///
/// let broker = EmbeddedBroker::start_on_free_port().unwrap();
/// let host = Host::builder()
///     .broker(BrokerAddress::tcp("127.0.0.1", broker.addr().port()))
///     .build();
/// // A retained message, read back by a second client.
/// let script = "from umqtt.simple import MQTTClient\n\
///               got = []\n\
///               p = MQTTClient('p', 'localhost')\n\
///               p.connect()\n\
///               p.publish(b'site/t', b'21.5', retain=True, qos=1)\n\
///               s = MQTTClient('s', 'localhost')\n\
///               s.set_callback(lambda t, m: got.append(m))\n\
///               s.connect()\n\
///               s.subscribe(b'site/t')\n\
///               s.wait_msg()\n\
///               assert got == [b'21.5'], got";
/// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
/// ```
#[derive(Debug, Clone)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    websocket_addr: Option<SocketAddr>,
    /// rumqttd's own address, behind the front door.
    private: SocketAddr,
    faults: Arc<Faults>,
}

/// The ports an embedded broker listens on (127.0.0.1).
///
/// ```
/// use pymqtt::broker::{EmbeddedBroker, Listeners};
///
/// let broker = EmbeddedBroker::start_with(Listeners { mqtt: 0, websocket: Some(0) }).unwrap();
/// assert!(broker.websocket_addr().is_some());
/// ```
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
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start(0).unwrap(); // 0: a free port
    /// assert_ne!(broker.addr().port(), 0);
    /// ```
    pub fn start(port: u16) -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start_with(Listeners {
            mqtt: port,
            websocket: None,
        })
    }

    /// Starts the broker with these listeners and returns once they accept connections. A
    /// port of 0 is a free port the system picks.
    ///
    /// ```
    /// use pymqtt::broker::{EmbeddedBroker, Listeners};
    ///
    /// let broker = EmbeddedBroker::start_with(Listeners { mqtt: 0, websocket: None }).unwrap();
    /// assert!(broker.websocket_addr().is_none());
    /// ```
    pub fn start_with(listeners: Listeners) -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start_setup(BrokerSetup::loopback(listeners))
    }

    /// Starts the broker as `setup` says and returns once it accepts connections.
    ///
    /// ```
    /// use pymqtt::broker::{BrokerSetup, EmbeddedBroker, Listeners};
    ///
    /// let broker = EmbeddedBroker::start_setup(BrokerSetup::loopback(Listeners {
    ///     mqtt: 0,
    ///     websocket: None,
    /// }))
    /// .unwrap();
    /// assert!(broker.addr().ip().is_loopback());
    /// ```
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
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let a = EmbeddedBroker::start_on_free_port().unwrap();
    /// let b = EmbeddedBroker::start_on_free_port().unwrap();
    /// assert_ne!(a.addr(), b.addr());
    /// ```
    pub fn start_on_free_port() -> Result<EmbeddedBroker, BrokerError> {
        EmbeddedBroker::start(0)
    }

    /// The address the broker listens on for MQTT over TCP.
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// std::net::TcpStream::connect(broker.addr()).unwrap();
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the WebSocket listener, if it has one.
    ///
    /// ```
    /// use pymqtt::broker::{EmbeddedBroker, Listeners};
    ///
    /// let broker = EmbeddedBroker::start_with(Listeners { mqtt: 0, websocket: Some(0) }).unwrap();
    /// let url = format!("ws://{}/mqtt", broker.websocket_addr().unwrap());
    /// ```
    pub fn websocket_addr(&self) -> Option<SocketAddr> {
        self.websocket_addr
    }

    /// The faults a test can put on the broker's MQTT listener (connections over WebSocket
    /// do not pass through it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.faults().withhold_acks(Duration::from_millis(200)); // a slow broker
    /// ```
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Restarts the broker as one without persistence would (see [`Faults::restart`]),
    /// leaving `keep`'s connection alone.
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.restart(""); // every client is cut, sessions and retained messages forgotten
    /// std::net::TcpStream::connect(broker.addr()).unwrap(); // and it takes connections again
    /// ```
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
