//! pymqtt runs MQTT scripts written for MicroPython's `umqtt.simple` on a host computer,
//! unchanged: a RustPython interpreter with a native `umqtt.simple` backed by rumqttc.
//!
//! The binary is a thin layer over this library: [`Host`] runs a [`Program`] and returns its
//! [`ExitStatus`]; [`BrokerAddress`] and [`Host::builder`]'s `broker` redirect every client to
//! a broker of your choice, over plain MQTT, TLS (`mqtts://`) or WebSocket (`ws://`,
//! `wss://`); [`broker::EmbeddedBroker`] (feature `local-broker`) starts one in-process;
//! [`tools`] holds `pymqtt pub` and `pymqtt sub`; [`testing`] holds `pymqtt test`.

#[cfg(feature = "local-broker")]
pub mod broker;
pub mod broker_address;
pub mod host;
mod micropython;
mod micropython_path;
pub mod mqtt;
pub mod redirect;
mod repl;
mod ssl_module;
mod ssl_params;
pub mod testing;
pub mod tools;
mod umqtt_simple;

pub use broker_address::BrokerAddress;
pub use host::{ExitStatus, Host, HostBuilder, Program};
