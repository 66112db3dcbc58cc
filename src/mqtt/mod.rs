//! The MQTT client underneath `umqtt.simple`, in plain Rust: no Python here.

pub mod address;
pub mod connection;
pub mod error;
pub mod inbox;
pub mod limits;
pub mod settings;
pub mod tls;
pub mod tracker;

pub use connection::{Connection, Engine, OpenConnections};
pub use error::{MqttError, WaitError};
pub use settings::{ClientSettings, Transport, Will};
