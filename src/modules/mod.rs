//! The Python-visible modules written in Rust, a file (or a folder) each, named after the
//! Python module; the frozen Python modules around them are in pylib/.
//!
//! - [`umqtt_simple`]: `umqtt.simple`, MicroPython's MQTT client, on [`crate::mqtt`]
//! - [`ssl`]: the MQTT side of `ssl` (pylib/ssl.py is the module): an `SSLContext`'s settings,
//!   and `ssl_params` ([`ssl::params`])
//! - [`json_native`]: `_json_native`, `json.dumps()`/`loads()`/`dump()`/`load()` in Rust
//!   (pylib/json/ is the module)
//! - [`board`]: `_board`, the virtual board for pylib's `machine`, `network` and drivers
//! - [`sandbox`]: `_pymqtt_sandbox`, the checks of a sandboxed host for pylib/_sandbox.py
//! - [`micropython_native`]: `_micropython_native`, MicroPython's names that are Rust
//!   (`time.ticks_ms()`, `gc.mem_free()`, `sys.print_exception()`), and the startup hook that
//!   puts them in place
//!
//! Not a Python module: [`arguments`], the checks of numeric and yes/no arguments the modules
//! share, whose errors name the argument.

pub(crate) mod arguments;
pub(crate) mod board;
pub(crate) mod json_native;
pub(crate) mod micropython_native;
pub(crate) mod sandbox;
pub(crate) mod ssl;
pub(crate) mod umqtt_simple;
