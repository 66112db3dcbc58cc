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
    /// A connection that was up ("connection to PEER lost: DETAIL").
    Lost,
    /// The detail says it all.
    Other,
}

/// An error of the MQTT connection, in parts, so that the Python module and the command-line
/// tools each word it their own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttError {
    pub kind: ErrorKind,
    /// The errno of an OS or TLS error; 0 for a refusal.
    pub errno: i32,
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

    pub fn refused(code: u8) -> MqttError {
        MqttError {
            kind: ErrorKind::Refused(code),
            ..MqttError::os(0, format!("broker refused the connection: code {code}"))
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

    /// The sentence: the detail with where it happened, without advice or errno.
    pub fn message(&self) -> String {
        match (self.stage, &self.peer) {
            (Stage::Connecting, Some(peer)) => format!("cannot reach {peer}: {}", self.detail),
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
            ConnectionError::InvalidUrl(_) | ConnectionError::WsConnect(_) => {
                MqttError::os(EINVAL, format!("not a usable WebSocket URL: {e}"))
                    .at(Stage::Connecting, broker)
            }
            ConnectionError::Io(io) => MqttError::from_io(io, Stage::Connecting, broker),
            ConnectionError::ConnectionRefused(code) => MqttError::refused(return_code(*code)),
            ConnectionError::NetworkTimeout => {
                MqttError::timed_out(&format!("connecting to {broker}"))
            }
            ConnectionError::FlushTimeout => MqttError::timed_out(&format!("sending to {broker}")),
            ConnectionError::MqttState(StateError::Io(io)) => {
                MqttError::from_io(io, Stage::Lost, broker)
            }
            ConnectionError::MqttState(StateError::AwaitPingResp) => {
                MqttError::os(ETIMEDOUT, "no answer to keepalive ping").at(Stage::Lost, broker)
            }
            ConnectionError::MqttState(StateError::ConnectionAborted) => {
                MqttError::os(ECONNRESET, "closed by the broker").at(Stage::Lost, broker)
            }
            other => MqttError::os(ECONNRESET, other.to_string()).at(Stage::Lost, broker),
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
    Mqtt(MqttError),
    /// The caller's check (Ctrl-C, in the Python module) asked to stop.
    Interrupted(E),
}

impl<E> From<MqttError> for WaitError<E> {
    fn from(e: MqttError) -> Self {
        WaitError::Mqtt(e)
    }
}
