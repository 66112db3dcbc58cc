//! Shared helpers for the integration tests, one concern per module.
//!
//! Everything here drives real parts: the built `pymqtt` binary run as a user runs it
//! ([`processes`]), a real mosquitto broker started per test on a free loopback port
//! ([`brokers`]), and an independent MQTT client ([`peers`]: rumqttc's sync API in a thread;
//! [`mosquitto_clients`]: the mosquitto command-line clients), and for failures a server that
//! answers as a test says ([`fault_broker`]).
//!
//! Nothing sleeps and hopes: every wait is for a condition (a line on a pipe, a packet, a
//! process exit, a file) with a deadline ([`deadlines`]), and a missed deadline fails the test
//! with the child's full stdout/stderr.
//!
//! Every test file compiles this whole tree and uses part of it, so each one declares it as
//! `#[allow(dead_code)] mod support;`: what one file leaves unused another one uses.

pub mod brokers;
pub mod certs;
pub mod deadlines;
pub mod fault_broker;
pub mod json;
pub mod mosquitto_clients;
pub mod package_index;
pub mod peers;
pub mod processes;
pub mod scripts;
pub mod test_report;
pub mod tty;
pub mod webdriver;
