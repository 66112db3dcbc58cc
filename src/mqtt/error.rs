//! Errors of the MQTT connection, in the terms a MicroPython script sees them: an OS error
//! with an errno (the socket failed) or an MQTT return code (the broker said no).

use std::fmt;
use std::io;

use rumqttc::{ConnectReturnCode, ConnectionError, StateError};

use super::tls::Advice;

pub const ENOTCONN: i32 = 107;
pub const ETIMEDOUT: i32 = 110;
pub const ECONNRESET: i32 = 104;
pub const EIO: i32 = 5;
pub const EINVAL: i32 = 22;
/// What MicroPython reports for a host name that does not resolve (`EAI_NONAME`, negated).
pub const EAI_NONAME: i32 = -2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MqttError {
    /// Raised as `OSError(errno, message)`.
    Os { errno: i32, message: String },
    /// TLS could not be set up or its handshake failed: raised as `ssl.SSLError(errno,
    /// message)`, an OSError, with MicroPython's (mbedTLS's) errno where it has one. `advice`
    /// is worded by whoever shows the error (a script and the tools change different things).
    Tls {
        errno: i32,
        message: String,
        advice: Option<Advice>,
    },
    /// The broker refused with this return code: `MQTTException(code)`.
    Refused(u8),
}

impl MqttError {
    pub fn os(errno: i32, message: impl Into<String>) -> MqttError {
        MqttError::Os {
            errno,
            message: message.into(),
        }
    }

    pub fn not_connected() -> MqttError {
        MqttError::os(
            ENOTCONN,
            "MQTT client is not connected: call connect() first",
        )
    }

    pub fn timed_out(what: &str) -> MqttError {
        MqttError::os(ETIMEDOUT, format!("timed out {what}"))
    }

    fn from_io(e: &io::Error, context: &str) -> MqttError {
        let errno = match e.raw_os_error() {
            Some(errno) => errno,
            // The resolver's failures carry no errno; MicroPython reports them as -2.
            None if e.to_string().contains("lookup address") => EAI_NONAME,
            None if e.kind() == io::ErrorKind::UnexpectedEof => ECONNRESET,
            None => EIO,
        };
        MqttError::os(errno, format!("{context}: {e}"))
    }

    /// A TLS failure without advice.
    pub fn tls(errno: i32, message: impl Into<String>) -> MqttError {
        MqttError::Tls {
            errno,
            message: message.into(),
            advice: None,
        }
    }

    /// The message of an OS or TLS error with a script's advice appended, without the errno.
    pub fn message_for_scripts(&self) -> String {
        match self {
            MqttError::Os { message, .. } => message.clone(),
            MqttError::Tls {
                message, advice, ..
            } => with_advice(message, advice.map(Advice::for_scripts)),
            MqttError::Refused(code) => format!("broker refused the connection: code {code}"),
        }
    }

    /// Translates an event loop failure. `broker` names the peer in messages.
    pub fn from_connection(e: &ConnectionError, broker: &str) -> MqttError {
        #[cfg(feature = "tls")]
        if let Some(tls) = super::tls::find_rustls_error(e) {
            let failure = super::tls::rustls_failure(tls, broker);
            return MqttError::Tls {
                errno: failure.errno,
                message: failure.message,
                advice: failure.advice,
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
            ConnectionError::InvalidUrl(_) | ConnectionError::WsConnect(_) => MqttError::os(
                EINVAL,
                format!("cannot reach {broker}: not a usable WebSocket URL: {e}"),
            ),
            ConnectionError::Io(io) => MqttError::from_io(io, &format!("cannot reach {broker}")),
            ConnectionError::ConnectionRefused(code) => MqttError::Refused(return_code(*code)),
            ConnectionError::NetworkTimeout => {
                MqttError::timed_out(&format!("connecting to {broker}"))
            }
            ConnectionError::FlushTimeout => MqttError::timed_out(&format!("sending to {broker}")),
            ConnectionError::MqttState(StateError::Io(io)) => {
                MqttError::from_io(io, &format!("connection to {broker} lost"))
            }
            ConnectionError::MqttState(StateError::AwaitPingResp) => MqttError::os(
                ETIMEDOUT,
                format!("connection to {broker} lost: no answer to keepalive ping"),
            ),
            ConnectionError::MqttState(StateError::ConnectionAborted) => MqttError::os(
                ECONNRESET,
                format!("connection to {broker} lost: closed by the broker"),
            ),
            other => MqttError::os(ECONNRESET, format!("connection to {broker} lost: {other}")),
        }
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
        rumqttc::TlsError::Io(io) => io.to_string(),
        other => other.to_string(),
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
            return MqttError::from_io(io, &format!("cannot reach {broker}"));
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
        match self {
            MqttError::Os { errno, .. } | MqttError::Tls { errno, .. } => {
                write!(f, "[Errno {errno}] {}", self.message_for_scripts())
            }
            MqttError::Refused(code) => write!(f, "broker refused the connection: code {code}"),
        }
    }
}

impl std::error::Error for MqttError {}

/// Why a blocking wait ended without its result.
#[derive(Debug)]
pub enum WaitError<E> {
    Mqtt(MqttError),
    /// The caller's check (Ctrl-C, in the Python module) asked to stop.
    Interrupted(E),
}

impl<E> From<MqttError> for WaitError<E> {
    fn from(e: MqttError) -> Self {
        WaitError::Mqtt(e)
    }
}
