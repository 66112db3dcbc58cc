//! Errors of the MQTT connection, in the terms a MicroPython script sees them: an OS error
//! with an errno (the socket failed) or an MQTT return code (the broker said no).

use std::fmt;
use std::io;

use rumqttc::{ConnectReturnCode, ConnectionError, Packet, StateError};

use super::limits::MAX_PACKET_SIZE;

use super::tls::Advice;

// Linux's errno values, which MicroPython's unix port reports as they are.
/// Not connected: a call that needs the connection was made without one.
pub const ENOTCONN: i32 = 107;
/// A wait for the broker ran out of time.
pub const ETIMEDOUT: i32 = 110;
/// The connection was closed under the client (also a stream that ended mid-packet).
pub const ECONNRESET: i32 = 104;
/// An I/O failure that came with no errno of its own.
pub const EIO: i32 = 5;
/// An invalid argument (an unusable WebSocket URL, a SUBSCRIBE without a filter).
pub const EINVAL: i32 = 22;
/// What MicroPython reports for a host name that does not resolve (`EAI_NONAME`, negated).
pub const EAI_NONAME: i32 = -2;

/// Which Python exception an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `OSError(errno, message)`: the socket failed, or a wait timed out.
    Os,
    /// `ssl.SSLError(errno, message)`, an OSError: TLS could not be set up or its handshake
    /// failed, with MicroPython's (mbedTLS's) errno where it has one.
    Tls,
    /// The broker refused with this CONNACK return code: `MQTTException(code)`.
    Refused(u8),
}

/// What was going on when it failed: the words around [`MqttError::detail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reaching the broker ("cannot reach PEER: DETAIL").
    Connecting,
    /// The MQTT handshake with a peer that took the TCP connection: CONNECT sent, no CONNACK
    /// yet ("cannot connect to PEER: DETAIL; is PEER an MQTT port?"). What fails here is
    /// most often a port that is not MQTT's.
    Handshake,
    /// A connection that was up ("connection to PEER lost: DETAIL").
    Lost,
    /// The detail says it all.
    Other,
}

/// An error of the MQTT connection, in parts, so that the Python module and the command-line
/// tools each word it their own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttError {
    /// Which Python exception it becomes.
    pub kind: ErrorKind,
    /// The errno of an OS or TLS error; 0 for a refusal.
    pub errno: i32,
    /// What was going on when it failed.
    pub stage: Stage,
    /// The broker concerned (`host:port`, or its URL), when the error concerns one.
    pub peer: Option<String>,
    /// The cause in words: no errno, no "(os error N)".
    pub detail: String,
    /// What to change, worded by whoever shows the error (a script and the tools change
    /// different things).
    pub advice: Option<Advice>,
}

impl MqttError {
    /// An OS error with this errno, at no particular stage of a connection.
    pub fn os(errno: i32, detail: impl Into<String>) -> MqttError {
        MqttError {
            kind: ErrorKind::Os,
            errno,
            stage: Stage::Other,
            peer: None,
            detail: detail.into(),
            advice: None,
        }
    }

    /// A TLS failure without advice.
    pub fn tls(errno: i32, detail: impl Into<String>) -> MqttError {
        MqttError {
            kind: ErrorKind::Tls,
            ..MqttError::os(errno, detail)
        }
    }

    /// The broker refused the connection with this CONNACK return code.
    pub fn refused(code: u8) -> MqttError {
        MqttError {
            kind: ErrorKind::Refused(code),
            ..MqttError::os(0, format!("broker refused the connection: code {code}"))
        }
    }

    /// A call that needs a connection, made before `connect()` ([`ENOTCONN`]).
    pub fn not_connected() -> MqttError {
        MqttError::os(
            ENOTCONN,
            "MQTT client is not connected: call connect() first",
        )
    }

    /// A wait that ran out of time ([`ETIMEDOUT`]); `what` completes "timed out ...".
    pub fn timed_out(what: &str) -> MqttError {
        MqttError::os(ETIMEDOUT, format!("timed out {what}"))
    }

    /// An OS error of the process itself (starting a thread or the runtime), not of a
    /// connection.
    pub fn from_local_io(e: &io::Error) -> MqttError {
        MqttError::os(e.raw_os_error().unwrap_or(EIO), io_detail(e))
    }

    /// A socket error at `stage` of the connection to `peer`.
    fn from_io(e: &io::Error, stage: Stage, peer: &str) -> MqttError {
        let errno = match e.raw_os_error() {
            Some(errno) => errno,
            // The resolver's failures carry no errno; MicroPython reports them as -2.
            None if e.to_string().contains("lookup address") => EAI_NONAME,
            None if e.kind() == io::ErrorKind::UnexpectedEof => ECONNRESET,
            None => EIO,
        };
        MqttError::os(errno, io_detail(e)).at(stage, peer)
    }

    /// The same error, said to have happened at `stage` of the connection to `peer`.
    pub fn at(mut self, stage: Stage, peer: &str) -> MqttError {
        self.stage = stage;
        self.peer = Some(peer.to_string());
        self
    }

    /// The same error, from a connection that never got its CONNACK: what would read as a
    /// connection lost is a failed handshake.
    pub fn before_connack(mut self) -> MqttError {
        if self.stage == Stage::Lost {
            self.stage = Stage::Handshake;
        }
        self
    }

    /// The sentence: the detail with where it happened, without advice or errno.
    pub fn message(&self) -> String {
        match (self.stage, &self.peer) {
            (Stage::Connecting, Some(peer)) => format!("cannot reach {peer}: {}", self.detail),
            (Stage::Handshake, Some(peer)) => {
                format!(
                    "cannot connect to {peer}: {}; is {peer} an MQTT port?",
                    self.detail
                )
            }
            (Stage::Lost, Some(peer)) => format!("connection to {peer} lost: {}", self.detail),
            _ => self.detail.clone(),
        }
    }

    /// The message with a script's advice appended, without the errno.
    pub fn message_for_scripts(&self) -> String {
        with_advice(&self.message(), self.advice.map(Advice::for_scripts))
    }

    /// Translates an event loop failure. `broker` names the peer in messages.
    pub fn from_connection(e: &ConnectionError, broker: &str) -> MqttError {
        #[cfg(feature = "tls")]
        if let Some(tls) = super::tls::find_rustls_error(e) {
            let failure = super::tls::rustls_failure(tls, broker);
            return MqttError {
                advice: failure.advice,
                ..MqttError::tls(failure.errno, failure.message)
            };
        }
        match e {
            #[cfg(feature = "tls")]
            ConnectionError::Tls(tls) => MqttError::tls(
                super::tls::HANDSHAKE_FAILURE,
                format!(
                    "TLS handshake with {broker} failed: {} (is it a TLS port? MQTT over TLS \
                     is usually on 8883)",
                    tls_cause(tls)
                ),
            ),
            #[cfg(feature = "websocket")]
            ConnectionError::Websocket(_) => websocket_failure(e, broker),
            #[cfg(feature = "websocket")]
            ConnectionError::ResponseValidation(_) => MqttError::os(
                ECONNRESET,
                format!(
                    "{broker} answered the WebSocket handshake without the `mqtt` subprotocol: \
                     is it an MQTT WebSocket endpoint? (check the path, e.g. /mqtt)"
                ),
            ),
            #[cfg(feature = "websocket")]
            ConnectionError::InvalidUrl(url) => {
                MqttError::os(EINVAL, format!("not a usable WebSocket URL: {url}"))
                    .at(Stage::Connecting, broker)
            }
            #[cfg(feature = "websocket")]
            ConnectionError::WsConnect(http) => {
                MqttError::os(EINVAL, format!("not a usable WebSocket URL: {http}"))
                    .at(Stage::Connecting, broker)
            }
            ConnectionError::Io(io) => MqttError::from_io(io, Stage::Connecting, broker),
            ConnectionError::ConnectionRefused(code) => MqttError::refused(return_code(*code)),
            // Only CONNECT's answer is awaited this way, so the stage is known.
            ConnectionError::NotConnAck(packet) => MqttError::os(
                ECONNRESET,
                format!(
                    "the answer to CONNECT was {}, not a CONNACK",
                    packet_name(packet)
                ),
            )
            .at(Stage::Handshake, broker),
            ConnectionError::NetworkTimeout => {
                MqttError::timed_out(&format!("connecting to {broker}"))
            }
            ConnectionError::FlushTimeout => MqttError::timed_out(&format!("sending to {broker}")),
            // The event loop's own request channel closed: it lives as long as the engine,
            // so this is pymqtt's fault, not the broker's.
            ConnectionError::RequestsDone => MqttError::os(
                EIO,
                "the client stopped taking requests (a pymqtt bug: please report it)",
            )
            .at(Stage::Lost, broker),
            ConnectionError::MqttState(state) => MqttError::from_state(state, broker),
        }
    }

    /// Translates a failure of the MQTT exchange (rumqttc's `StateError`, whose text is Rust's
    /// debug formatting in places).
    fn from_state(e: &StateError, broker: &str) -> MqttError {
        let lost =
            |errno: i32, detail: String| MqttError::os(errno, detail).at(Stage::Lost, broker);
        match e {
            StateError::Io(io) => MqttError::from_io(io, Stage::Lost, broker),
            StateError::Deserialization(rumqttc::Error::Io(io)) if closed_mid_packet(io) => {
                lost(ECONNRESET, MID_PACKET.into())
            }
            StateError::Deserialization(rumqttc::Error::Io(io)) => {
                MqttError::from_io(io, Stage::Lost, broker)
            }
            StateError::Deserialization(packet) => lost(ECONNRESET, packet_failure(packet)),
            StateError::AwaitPingResp => lost(ETIMEDOUT, "no answer to keepalive ping".into()),
            StateError::ConnectionAborted => {
                lost(ECONNRESET, "the broker closed the connection".into())
            }
            StateError::Unsolicited(pkid) => lost(
                ECONNRESET,
                format!(
                    "the broker acknowledged packet id {pkid}, which was not waiting for an \
                     acknowledgement"
                ),
            ),
            StateError::WrongPacket => lost(
                ECONNRESET,
                "the broker sent a packet that does not fit the exchange under way".into(),
            ),
            StateError::CollisionTimeout => lost(
                ETIMEDOUT,
                "the broker did not acknowledge a message whose packet id was needed again".into(),
            ),
            // Neither can come from what pymqtt sends: a SUBSCRIBE always has its filter, and
            // every request is one the state accepts.
            StateError::EmptySubscription => lost(
                EINVAL,
                "a SUBSCRIBE needs a topic filter (a pymqtt bug: please report it)".into(),
            ),
            StateError::InvalidState => lost(
                EIO,
                "the MQTT exchange got into a state it cannot go on from (a pymqtt bug: \
                 please report it)"
                    .into(),
            ),
        }
    }
}

/// A stream that ended with part of a packet read.
const MID_PACKET: &str = "the connection closed in the middle of a packet";

/// Whether `io` is the framing layer's (tokio-util's) "bytes remaining on stream": the stream
/// ended with an incomplete packet buffered. It has no kind of its own, only its text.
fn closed_mid_packet(io: &io::Error) -> bool {
    io.raw_os_error().is_none() && io.to_string() == "bytes remaining on stream"
}

/// A packet, as MQTT's specification names it ("a PUBACK").
fn packet_name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "a CONNECT",
        Packet::ConnAck(_) => "a CONNACK",
        Packet::Publish(_) => "a PUBLISH",
        Packet::PubAck(_) => "a PUBACK",
        Packet::PubRec(_) => "a PUBREC",
        Packet::PubRel(_) => "a PUBREL",
        Packet::PubComp(_) => "a PUBCOMP",
        Packet::Subscribe(_) => "a SUBSCRIBE",
        Packet::SubAck(_) => "a SUBACK",
        Packet::Unsubscribe(_) => "an UNSUBSCRIBE",
        Packet::UnsubAck(_) => "an UNSUBACK",
        Packet::PingReq => "a PINGREQ",
        Packet::PingResp => "a PINGRESP",
        Packet::Disconnect => "a DISCONNECT",
    }
}

/// Why the broker's bytes could not be read as MQTT 3.1.1, or a packet could not be written.
fn packet_failure(e: &rumqttc::Error) -> String {
    use rumqttc::Error as E;
    let not_mqtt = |what: String| format!("the broker sent bytes that are not MQTT ({what})");
    let malformed = |what: &str| format!("the broker sent a malformed packet ({what})");
    match e {
        E::InvalidPacketType(t) => not_mqtt(format!("there is no packet type {t}")),
        E::MalformedRemainingLength => not_mqtt("a packet length longer than 4 bytes".into()),
        E::NotConnect(_) | E::InvalidProtocol | E::InvalidProtocolLevel(_) => {
            not_mqtt("a packet only a client sends".into())
        }
        E::UnexpectedConnect => {
            "the broker sent a CONNECT, which only a client sends (is it an MQTT broker?)".into()
        }
        E::InvalidConnectReturnCode(code) => {
            format!("the broker's CONNACK has return code {code}, which MQTT 3.1.1 does not define")
        }
        E::InvalidSubscribeReasonCode(code) => {
            format!("the broker's SUBACK has return code {code}, which MQTT 3.1.1 does not define")
        }
        E::InvalidQoS(qos) => malformed(&format!("QoS {qos} does not exist")),
        E::InvalidPropertyType(p) => malformed(&format!("MQTT 5 property {p} in MQTT 3.1.1")),
        E::PacketIdZero => malformed("packet id 0, which MQTT forbids"),
        E::TopicNotUtf8 => malformed("a topic that is not UTF-8"),
        E::IncorrectPacketFormat => malformed("its flags or fields are wrong"),
        E::MalformedPacket | E::BoundaryCrossed(_) | E::PayloadSizeIncorrect => {
            malformed("its fields do not add up to its length")
        }
        E::PayloadRequired => malformed("a payload it must have is missing"),
        E::EmptySubscription => malformed("a subscription without a topic filter"),
        E::PayloadTooLong | E::PayloadSizeLimitExceeded(_) => {
            format!("the broker sent a packet larger than the {MAX_PACKET_SIZE} bytes MQTT allows")
        }
        // The codec asks for more bytes rather than failing; at the end of the stream this is
        // the same as "bytes remaining".
        E::InsufficientBytes(_) => MID_PACKET.into(),
        E::Io(io) if closed_mid_packet(io) => MID_PACKET.into(),
        E::Io(io) => io_detail(io),
        E::OutgoingPacketTooLarge { pkt_size, max } => format!(
            "a packet of {pkt_size} bytes is larger than the {max} bytes the connection allows"
        ),
    }
}

/// What the TLS layer said, without rumqttc's prefixes.
#[cfg(feature = "tls")]
fn tls_cause(e: &rumqttc::TlsError) -> String {
    match e {
        rumqttc::TlsError::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            "the connection was closed during the handshake".into()
        }
        rumqttc::TlsError::Io(io) => io_detail(io),
        // Reached only through the source chain's rustls error, which the caller words first.
        rumqttc::TlsError::TLS(tls) => tls.to_string(),
        rumqttc::TlsError::Addr(_) | rumqttc::TlsError::DNSName(_) => {
            "the host is not a name a certificate can be for".into()
        }
        // webpki's text is its debug formatting.
        rumqttc::TlsError::WebPki(_) => "the certificate could not be verified".into(),
        rumqttc::TlsError::NoValidCertInChain => "no usable CA certificate".into(),
        rumqttc::TlsError::NoValidClientCertInChain => "no usable client certificate".into(),
        rumqttc::TlsError::NoValidKeyInChain => "no usable client key".into(),
    }
}

/// A failed WebSocket connection (the TLS failures of `wss://` were handled before).
#[cfg(feature = "websocket")]
fn websocket_failure(e: &(dyn std::error::Error + 'static), broker: &str) -> MqttError {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            #[cfg(feature = "tls")]
            if broker.starts_with("wss://") && io.kind() == io::ErrorKind::UnexpectedEof {
                return MqttError::tls(
                    super::tls::HANDSHAKE_FAILURE,
                    format!(
                        "TLS handshake with {broker} failed: the connection was closed during \
                         the handshake (is it a TLS port? ws:// is WebSocket without TLS)"
                    ),
                );
            }
            return MqttError::from_io(io, Stage::Connecting, broker);
        }
        cause = c.source();
    }
    // rumqttc's own prefix ("Websocket: ") says nothing more than the message does.
    let e = e.source().unwrap_or(e);
    let detail = e.to_string();
    let hint = if detail.contains("HTTP error") {
        " (check the path: brokers usually serve MQTT over WebSocket on /mqtt)"
    } else if detail.contains("Handshake not finished") {
        " (is it a WebSocket port? a plain MQTT port does not answer HTTP)"
    } else {
        ""
    };
    MqttError::os(
        ECONNRESET,
        format!("WebSocket connection to {broker} failed: {e}{hint}"),
    )
}

/// `message; advice`.
pub fn with_advice(message: &str, advice: Option<&str>) -> String {
    match advice {
        Some(advice) => format!("{message}; {advice}"),
        None => message.to_string(),
    }
}

/// The CONNACK return code as the number on the wire.
fn return_code(code: ConnectReturnCode) -> u8 {
    match code {
        ConnectReturnCode::Success => 0,
        ConnectReturnCode::RefusedProtocolVersion => 1,
        ConnectReturnCode::BadClientId => 2,
        ConnectReturnCode::ServiceUnavailable => 3,
        ConnectReturnCode::BadUserNamePassword => 4,
        ConnectReturnCode::NotAuthorized => 5,
    }
}

impl fmt::Display for MqttError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Os | ErrorKind::Tls => {
                write!(f, "[Errno {}] {}", self.errno, self.message_for_scripts())
            }
            ErrorKind::Refused(_) => f.write_str(&self.detail),
        }
    }
}

/// What an OS error says, without Rust's "(os error N)" (the errno is reported apart).
pub fn io_detail(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => strerror(errno),
        None => e.to_string(),
    }
}

/// The C library's words for `errno`, as Python's `os.strerror`.
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: the buffer is writable for its length. On success the XSI strerror_r (the one
    // the libc crate binds) has written a terminated string into it.
    if unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) } != 0 {
        return format!("error {errno}");
    }
    // SAFETY: terminated within the buffer, as said above.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
    if text.is_empty() {
        format!("error {errno}")
    } else {
        text.into_owned()
    }
}

impl std::error::Error for MqttError {}

/// Why a blocking wait ended without its result.
#[derive(Debug)]
pub enum WaitError<E> {
    /// The connection failed.
    Mqtt(MqttError),
    /// The caller's check (Ctrl-C, in the Python module) asked to stop.
    Interrupted(E),
}

impl<E> From<MqttError> for WaitError<E> {
    fn from(e: MqttError) -> Self {
        WaitError::Mqtt(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "127.0.0.1:8080";

    /// The message a script sees for `e` when it ends `connect()`.
    fn at_connect(e: ConnectionError) -> String {
        MqttError::from_connection(&e, PEER)
            .before_connack()
            .message_for_scripts()
    }

    fn deserialization(e: rumqttc::Error) -> ConnectionError {
        ConnectionError::MqttState(StateError::Deserialization(e))
    }

    #[test]
    fn a_wrong_answer_to_connect_names_the_packet_and_asks_about_the_port() {
        let e = at_connect(ConnectionError::NotConnAck(Packet::PubAck(
            rumqttc::PubAck::new(21584),
        )));
        assert_eq!(
            e,
            "cannot connect to 127.0.0.1:8080: the answer to CONNECT was a PUBACK, not a \
             CONNACK; is 127.0.0.1:8080 an MQTT port?"
        );
    }

    #[test]
    fn a_stream_ending_inside_a_packet_says_so() {
        let remaining = io::Error::other("bytes remaining on stream");
        let e = MqttError::from_connection(&deserialization(rumqttc::Error::Io(remaining)), PEER);
        assert_eq!(
            e.message(),
            "connection to 127.0.0.1:8080 lost: the connection closed in the middle of a packet"
        );
        assert_eq!(e.errno, ECONNRESET);
    }

    #[test]
    fn no_failure_shows_rust_debug_text() {
        let failures = [
            ConnectionError::NotConnAck(Packet::PingResp),
            ConnectionError::RequestsDone,
            ConnectionError::MqttState(StateError::InvalidState),
            ConnectionError::MqttState(StateError::Unsolicited(7)),
            ConnectionError::MqttState(StateError::WrongPacket),
            ConnectionError::MqttState(StateError::CollisionTimeout),
            ConnectionError::MqttState(StateError::EmptySubscription),
            ConnectionError::MqttState(StateError::Io(io::Error::from_raw_os_error(104))),
            deserialization(rumqttc::Error::NotConnect(rumqttc::PacketType::PubAck)),
            deserialization(rumqttc::Error::InvalidPacketType(0)),
            deserialization(rumqttc::Error::MalformedRemainingLength),
            deserialization(rumqttc::Error::InvalidQoS(3)),
            deserialization(rumqttc::Error::PayloadSizeLimitExceeded(1 << 30)),
            deserialization(rumqttc::Error::InsufficientBytes(2)),
            deserialization(rumqttc::Error::OutgoingPacketTooLarge {
                pkt_size: 10,
                max: 5,
            }),
        ];
        for failure in failures {
            let debug = format!("{failure:?}");
            for message in [
                MqttError::from_connection(&failure, PEER).message_for_scripts(),
                at_connect(failure),
            ] {
                assert!(
                    !message.contains(['{', '}', '`'])
                        && !message.contains("Mqtt state")
                        && !message.contains("IO:"),
                    "{debug} reads {message:?}"
                );
            }
        }
    }
}
