//! Errors of the MQTT connection, in the terms a MicroPython script sees them: an OS error
//! with an errno (the socket failed) or an MQTT return code (the broker said no).

use std::fmt;
use std::io;

use rumqttc::{ConnectReturnCode, ConnectionError, StateError};

pub const ENOTCONN: i32 = 107;
pub const ETIMEDOUT: i32 = 110;
pub const ECONNRESET: i32 = 104;
pub const EIO: i32 = 5;
/// What MicroPython reports for a host name that does not resolve (`EAI_NONAME`, negated).
pub const EAI_NONAME: i32 = -2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MqttError {
    /// Raised as `OSError(errno, message)`.
    Os { errno: i32, message: String },
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

    /// Translates an event loop failure. `broker` names the peer in messages.
    pub fn from_connection(e: &ConnectionError, broker: &str) -> MqttError {
        match e {
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
            MqttError::Os { errno, message } => write!(f, "[Errno {errno}] {message}"),
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
