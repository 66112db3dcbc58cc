//! pymqtt runs MQTT scripts written for MicroPython's `umqtt.simple` on a host computer,
//! unchanged: a RustPython interpreter with a native `umqtt.simple` backed by rumqttc.
//!
//! The binary is a thin layer over this library: [`Host`] runs a [`Program`] and returns its
//! [`ExitStatus`]; [`BrokerAddress`] and [`Host::builder`]'s `broker` redirect every client to
//! a broker of your choice, over plain MQTT, TLS (`mqtts://`) or WebSocket (`ws://`,
//! `wss://`); [`broker::EmbeddedBroker`] (feature `local-broker`) starts one in-process;
//! [`board`] is the board scripts run on, and [`board_view`] shows it in a browser.
//!
//! That is the embedding API, and every item of it has an example here. The modules behind
//! the command's other parts (`tools`: `pymqtt pub`, `sub` and `broker`; `testing`: `pymqtt
//! test`; `mqtt`: the client in plain Rust; `terminal_style`) are public for the binary and
//! hidden from these pages: they change with the command, not with the API.
//!
//! # Embedding in ten lines
//!
//! ```
//! use pymqtt::{ExitStatus, Host, Program};
//!
//! let host = Host::builder()
//!     .function("gateway.sensor", |name: String| -> f64 { if name == "t" { 21.5 } else { 0.0 } })
//!     .output(|_stream, text| print!("{text}"))
//!     .build();
//! let script = "import gateway\nprint('temperature', gateway.sensor('t'))";
//! assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
//! ```
//!
//! [`HostBuilder`] also sends every client to a broker of the application's (`broker`), adds
//! its `#[pymodule]`s (`module`) and `__main__` values (`global`), and keeps scripts inside a
//! fence (`sandbox`: files under one folder, no processes or sockets of their own, MQTT to the
//! application's broker); [`Host::spawn`] runs a program on its own thread, stopped and
//! joined through its [`ScriptHandle`]. More in docs/embedding.md and `examples/gateway.rs`.
//!
//! # Layout
//!
//! - [`host`]: running programs: the interpreter, `sys.path`, exit status, what one host
//!   keeps for its programs (the `--broker` redirect, open connections, a harness's hooks),
//!   and the sandbox's fence
//! - `modules`: the Python-visible native modules, one file or folder each, named after the
//!   Python module (`umqtt.simple`, the MQTT side of `ssl`, MicroPython's native names)
//! - `mqtt`: the MQTT client in plain Rust, no Python: broker addresses, settings, limits, the
//!   tracker pairing requests with acks, the connection driving rumqttc, TLS
//! - `repl`: the interactive prompt, on rustyline
//! - `tools`: `pymqtt pub` and `pymqtt sub`, over `mqtt`, and `pymqtt broker`
//! - `testing`: `pymqtt test`: the `.wire` format, expectations and stimuli (pure), the harness
//!   inside a test's process, the runner over the processes
//! - [`board`]: the virtual board board scripts run on: pins, analog inputs, sensors, Wi-Fi,
//!   the board file, and the events a watcher sees
//! - [`board_view`]: `--board-view` (feature `board-view`): the board, the script's MQTT
//!   traffic and output, live in a browser
//! - [`broker`]: the embedded rumqttd broker (feature `local-broker`): the listener in front of
//!   it (credentials, keepalive 0, `-v`'s log) and who may connect
//! - `terminal_style`: colour on a terminal only (verdicts, error lines)
//! - pylib/ (not Rust): Python modules frozen into the binary: `umqtt.robust`, `ssl`,
//!   `asyncio`, `json`, `mip`, `upip`, `requests`, `micropython`, and the MicroPython layer's
//!   import rules, `machine` and sockets

// Every public item says what it is: `cargo clippy -- -D warnings` holds it.
#![warn(missing_docs)]

pub mod board;
#[cfg(feature = "board-view")]
pub mod board_view;
#[cfg(feature = "local-broker")]
pub mod broker;
pub mod host;
mod modules;
// The binary's own parts (see the front page): public for `main.rs`, not the embedding API.
#[doc(hidden)]
pub mod mqtt;
mod repl;
#[doc(hidden)]
pub mod terminal_style;
#[doc(hidden)]
pub mod testing;
#[doc(hidden)]
pub mod tools;

pub use host::{
    ExitStatus, GlobalValue, Host, HostBuilder, ModuleDefinition, OutputStream, Program,
    ScriptHandle,
};
pub use mqtt::address::{BrokerAddress, MQTT_PORT, MQTTS_PORT, Scheme};
