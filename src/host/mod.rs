//! The host: a RustPython interpreter with `umqtt.simple` built in, and the rules for running
//! a program in it the way MicroPython's unix port does (argv, sys.path, exit status).
//!
//! Each [`Host`] keeps its own state (`state`): where its clients connect, the connections
//! to flush when a program ends, and the [`Hooks`] a test harness attached. Two hosts in one
//! process do not share any of it.
//!
//! - `state`: that state, and how native code finds it in the interpreter
//! - [`hooks`]: what a test harness hears from a script, and its stop request
//! - [`clock`]: the virtual clock of `pymqtt test`'s `clock virtual`
//! - [`output`]: a program's stdout and stderr to the embedding application's callback
//! - `application`: the application's own functions and `__main__` values for its scripts
//! - `script_handle`: a program on its own thread ([`Host::spawn`]), interrupted, stopped, joined
//! - `redirect`: `--broker`, applied to a client's settings
//! - [`sandbox`]: the fence a program runs inside ([`HostBuilder::sandbox`]), and its checks
//! - `micropython_path`: `sys.path` as MicroPython's unix port sets it
//! - `source`: program text as MicroPython's lexer reads it (tabs in indentation, CRLF)
//! - `frozen`: the frozen standard library, indexed without keeping it resident
//! - `panics`: a Rust panic under the program becomes a Python `SystemError`
//! - `stack_guard`: nested native iterators get the native stack check Python calls have
//! - `termination`: SIGTERM stops the program, and its connections end with a DISCONNECT
//!
//! ```no_run
//! use pymqtt::{Host, Program};
//!
//! let host = Host::builder()
//!     .broker("127.0.0.1:1883".parse().unwrap())
//!     .argv(vec!["pub.py".into()])
//!     .build();
//! let status = host.run(&Program::File("pub.py".into()));
//! std::process::exit(status.code());
//! ```

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::scope::Scope;
use rustpython_vm::{
    AsObject, Interpreter, InterpreterBuilder, PyResult, Settings, VirtualMachine, py_freeze,
};

mod application;
pub mod clock;
mod frozen;
pub mod hooks;
pub(crate) mod micropython_path;
pub mod output;
mod panics;
pub(crate) mod redirect;
pub mod sandbox;
mod script_handle;
pub(crate) mod source;
mod stack_guard;
pub(crate) mod state;
mod termination;

use std::sync::Arc;

pub use application::{GlobalValue, ModuleDefinition};
pub use hooks::{Hooks, ScriptEvent};
pub use output::{OutputCallback, OutputStream};
pub use script_handle::ScriptHandle;

use rustpython_vm::signal::UserSignalReceiver;

use crate::board::Board;
use crate::mqtt::address::BrokerAddress;
use state::HostState;

/// Exit status of a program, as MicroPython's unix port reports it.
///
/// ```
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let host = Host::builder().output(|_, _| {}).build();
/// assert_eq!(host.run(&Program::Source("pass".into())), ExitStatus::SUCCESS);
/// assert_eq!(host.run(&Program::Source("1 / 0".into())), ExitStatus::EXCEPTION);
/// assert_eq!(host.run(&Program::Source("raise SystemExit(3)".into())).code(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(i32);

impl ExitStatus {
    /// The program ran to its end, or called `sys.exit()` or `sys.exit(0)`.
    ///
    /// ```
    /// # use pymqtt::{ExitStatus, Host, Program};
    /// let host = Host::builder().build();
    /// assert_eq!(host.run(&Program::Source("import sys\nsys.exit(0)".into())), ExitStatus::SUCCESS);
    /// ```
    pub const SUCCESS: ExitStatus = ExitStatus(0);
    /// An uncaught exception (its traceback was printed).
    ///
    /// ```
    /// # use pymqtt::{ExitStatus, Host, Program};
    /// let host = Host::builder().output(|_, _| {}).build();
    /// assert_eq!(host.run(&Program::Source("{}['missing']".into())), ExitStatus::EXCEPTION);
    /// ```
    pub const EXCEPTION: ExitStatus = ExitStatus(1);
    /// The program could not be opened.
    ///
    /// ```
    /// # use pymqtt::{ExitStatus, Host, Program};
    /// let host = Host::builder().output(|_, _| {}).build();
    /// let status = host.run(&Program::File("/nonexistent/main.py".into()));
    /// assert_eq!(status, ExitStatus::CANNOT_OPEN);
    /// ```
    pub const CANNOT_OPEN: ExitStatus = ExitStatus(2);
    /// The command line asked for something this pymqtt cannot do (as a usage error).
    ///
    /// ```
    /// # use pymqtt::ExitStatus;
    /// assert_eq!(ExitStatus::USAGE.code(), 2); // as argparse and MicroPython's unix port say it
    /// ```
    pub const USAGE: ExitStatus = ExitStatus(2);
    /// KeyboardInterrupt ended the program: 128 + SIGINT, as shells report it.
    ///
    /// ```
    /// # use pymqtt::{ExitStatus, Host, Program};
    /// let host = Host::builder().output(|_, _| {}).build();
    /// assert_eq!(host.run(&Program::Source("raise KeyboardInterrupt".into())), ExitStatus::INTERRUPTED);
    /// ```
    pub const INTERRUPTED: ExitStatus = ExitStatus(130);
    /// SIGTERM stopped the program ([`HostBuilder::stop_on_sigterm`]): 128 + SIGTERM.
    ///
    /// ```
    /// # use pymqtt::ExitStatus;
    /// assert_eq!(ExitStatus::TERMINATED.code(), 128 + 15);
    /// ```
    pub const TERMINATED: ExitStatus = ExitStatus(143);

    /// The number, for [`std::process::exit`].
    ///
    /// ```
    /// use pymqtt::ExitStatus;
    ///
    /// assert_eq!(ExitStatus::INTERRUPTED.code(), 130);
    /// ```
    pub fn code(self) -> i32 {
        self.0
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    /// The process's exit code; statuses beyond 0..=255 (`sys.exit(1000)`) are clamped.
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.0.clamp(0, 255) as u8)
    }
}

/// What to run.
///
/// ```
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let board = std::env::temp_dir().join(format!("pymqtt-program-{}", std::process::id()));
/// std::fs::create_dir_all(&board).unwrap();
/// std::fs::write(board.join("boot.py"), "booted = True\n").unwrap();
/// std::fs::write(board.join("main.py"), "assert booted\n").unwrap();
///
/// let host = Host::builder().output(|_, _| {}).build();
/// // boot.py, then main.py, in one namespace.
/// assert_eq!(host.run(&Program::Folder(board.clone())), ExitStatus::SUCCESS);
/// // main.py alone does not see boot.py's name.
/// assert_eq!(host.run(&Program::File(board.join("main.py"))), ExitStatus::EXCEPTION);
/// assert_eq!(host.run(&Program::Module("this".into())), ExitStatus::SUCCESS);
/// std::fs::remove_dir_all(&board).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A script file.
    File(PathBuf),
    /// Source text (`-c CODE`).
    Source(String),
    /// A module run as `__main__` (`-m MODULE`).
    Module(String),
    /// The whole of standard input, as a program.
    Stdin,
    /// A board's folder: `boot.py`, then `main.py`, in one namespace, as a board powers up.
    Folder(PathBuf),
    /// The interactive prompt only.
    Repl,
}

/// The stack of a spawned program's thread: the size a main thread gets on Linux.
const SCRIPT_STACK: usize = 8 * 1024 * 1024;

/// Configures a [`Host`].
///
/// ```
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let host = Host::builder()
///     .argv(vec!["report.py".into()])
///     .global("SITE", "lab")
///     .build();
/// let script = "import sys\nassert sys.argv == ['report.py'] and SITE == 'lab'";
/// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
/// ```
#[derive(Default)]
pub struct HostBuilder {
    argv: Vec<String>,
    broker: Option<BrokerAddress>,
    inspect: bool,
    stop_on_sigterm: bool,
    hooks: Hooks,
    board: Arc<Board>,
    board_trace: bool,
    clock: Option<Arc<clock::VirtualClock>>,
    output: Option<OutputCallback>,
    application: application::Application,
    sandbox: Option<sandbox::Sandbox>,
}

impl std::fmt::Debug for HostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBuilder")
            .field("argv", &self.argv)
            .field("broker", &self.broker)
            .field("inspect", &self.inspect)
            .field("hooks", &self.hooks)
            .field("virtual_clock", &self.clock.is_some())
            .field("output", &self.output.is_some())
            .finish_non_exhaustive()
    }
}

impl HostBuilder {
    /// `sys.argv`. When empty, it is derived from the program (`['']` for the REPL).
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().argv(vec!["sensor.py".into(), "--once".into()]).build();
    /// let script = "import sys\nassert sys.argv == ['sensor.py', '--once']";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn argv(mut self, argv: Vec<String>) -> Self {
        self.argv = argv;
        self
    }

    /// Sends every MQTTClient to this broker, whatever server and port the script gives.
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    /// use pymqtt::{BrokerAddress, ExitStatus, Host, Program};
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// let host = Host::builder()
    ///     .broker(BrokerAddress::tcp("127.0.0.1", broker.addr().port()))
    ///     .build();
    /// // The script names a broker on the internet; its client connects to the embedded one.
    /// let script = "from umqtt.simple import MQTTClient\n\
    ///               c = MQTTClient('sensor-1', 'mqtt.example.com')\n\
    ///               c.connect()\n\
    ///               c.publish(b'site/t', b'21.5')\n\
    ///               c.disconnect()";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn broker(mut self, broker: BrokerAddress) -> Self {
        self.broker = Some(broker);
        self
    }

    /// Reports the script's events to `hooks`, and lets them stop it (`pymqtt test`).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::broker::EmbeddedBroker;
    /// use pymqtt::host::{Hooks, ScriptEvent};
    /// use pymqtt::{BrokerAddress, Host, Program};
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// let events = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&events);
    /// let host = Host::builder()
    ///     .broker(BrokerAddress::tcp("127.0.0.1", broker.addr().port()))
    ///     .hooks(Hooks::new(move |event| seen.lock().unwrap().push(event)))
    ///     .build();
    /// let script = "from umqtt.simple import MQTTClient\n\
    ///               c = MQTTClient('sensor-1', 'localhost')\n\
    ///               c.connect()\n\
    ///               c.publish(b'site/t', b'21.5')";
    /// host.run(&Program::Source(script.into()));
    /// let events = events.lock().unwrap();
    /// assert_eq!(events[0], ScriptEvent::Connected);
    /// assert!(matches!(&events[1], ScriptEvent::Published { topic, .. } if topic == "site/t"));
    /// ```
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// The virtual board the program runs on (made from a board file, or the default Pico
    /// W). The caller may keep a handle to drive its inputs and watch it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let board = Arc::new(Board::default());
    /// let host = Host::builder().board(Arc::clone(&board)).build();
    /// let script = "from machine import Pin\nPin('LED', Pin.OUT).on()";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// assert_eq!(board.pin_value("LED"), 1);
    /// ```
    pub fn board(mut self, board: Arc<Board>) -> Self {
        self.board = board;
        self
    }

    /// Runs programs inside `sandbox`'s fence: files under one folder only, no processes, no
    /// sockets of their own, MQTT only to [`broker`](Self::broker)'s broker, no `ctypes`
    /// (what is enforced, and where the fence stops: [`sandbox`]).
    ///
    /// ```
    /// use pymqtt::host::sandbox::Sandbox;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().sandbox(Sandbox::new()).build();
    /// let script = "try:\n    import ctypes\nexcept PermissionError as e:\n    print(e)";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn sandbox(mut self, sandbox: sandbox::Sandbox) -> Self {
        self.sandbox = Some(sandbox);
        self
    }

    /// Sends what the program prints (`sys.stdout`, `sys.stderr`, tracebacks) to `callback`
    /// instead of the process's streams, a piece of text at a time with the stream it went to.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::{Host, Program};
    ///
    /// let printed = Arc::new(Mutex::new(String::new()));
    /// let sink = Arc::clone(&printed);
    /// let host = Host::builder()
    ///     .output(move |_stream, text| sink.lock().unwrap().push_str(text))
    ///     .build();
    /// host.run(&Program::Source("import sys\nprint('hello')\nsys.stdout.buffer.write(b'bytes')".into()));
    /// assert_eq!(*printed.lock().unwrap(), "hello\nbytes");
    /// ```
    pub fn output(mut self, callback: impl Fn(OutputStream, &str) + Send + Sync + 'static) -> Self {
        self.output = Some(Arc::new(callback));
        self
    }

    /// Gives scripts a function of the application's: `path` is `MODULE.NAME`, and the module
    /// is importable (`import gateway`); without a module, the function is a global of
    /// `__main__`. Arguments and results convert as RustPython's native functions convert
    /// them (`String`, `f64`, `i64`, `bool`, `Vec<u8>`, ...).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let logged = Arc::new(Mutex::new(Vec::<String>::new()));
    /// let log = Arc::clone(&logged);
    /// let host = Host::builder()
    ///     .function("gateway.sensor", |name: String| -> f64 { if name == "t" { 21.5 } else { 0.0 } })
    ///     .function("gateway.log", move |line: String| log.lock().unwrap().push(line))
    ///     .global("SITE", "lab")
    ///     .build();
    /// let script = "import gateway\ngateway.log('%s %s' % (SITE, gateway.sensor('t')))";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// assert_eq!(*logged.lock().unwrap(), ["lab 21.5"]);
    /// ```
    pub fn function<F, K>(mut self, path: &str, f: F) -> Self
    where
        F: rustpython_vm::function::IntoPyNativeFn<K> + Clone + Send + Sync + 'static,
    {
        self.application.add_function(path, f);
        self
    }

    /// Gives scripts a native module of the application's, written with RustPython's
    /// `#[pymodule]`: pass the `module_def` function the macro makes. Scripts import it by
    /// the name the macro gives it, as a module of the standard library.
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// #[rustpython_vm::pymodule]
    /// mod relay {
    ///     #[pyfunction]
    ///     fn state(channel: i64) -> bool {
    ///         channel == 1
    ///     }
    /// }
    ///
    /// let host = Host::builder().module(relay::module_def).build();
    /// let script = "import relay\nassert relay.state(1) and not relay.state(2)";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn module(mut self, definition: ModuleDefinition) -> Self {
        self.application.add_module(definition);
        self
    }

    /// Sets a name in the script's `__main__` before it runs.
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().global("SITE", "lab").global("INTERVAL", 30).build();
    /// let script = "assert SITE == 'lab' and INTERVAL == 30";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn global(mut self, name: &str, value: impl Into<GlobalValue>) -> Self {
        self.application.add_global(name, value.into());
        self
    }

    /// Runs the script on a virtual clock: its time jumps while it waits (`clock virtual`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, Instant};
    /// use pymqtt::host::clock::VirtualClock;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let clock = Arc::new(VirtualClock::new());
    /// clock.set_next_due(None); // nothing of the application's is due: waits may jump
    /// let host = Host::builder().virtual_clock(Arc::clone(&clock)).build();
    /// let started = Instant::now();
    /// assert_eq!(host.run(&Program::Source("import time\ntime.sleep(3600)".into())), ExitStatus::SUCCESS);
    /// assert_eq!(clock.now(), Duration::from_secs(3600));
    /// assert!(started.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn virtual_clock(mut self, clock: Arc<clock::VirtualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Prints each board event (output changes, Wi-Fi, resets) on stderr (`--board-trace`).
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// // Prints "board: ..." lines on stderr as the LED goes on and off.
    /// let host = Host::builder().board_trace(true).build();
    /// let script = "from machine import Pin\nled = Pin('LED', Pin.OUT)\nled.on()\nled.off()";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn board_trace(mut self, trace: bool) -> Self {
        self.board_trace = trace;
        self
    }

    /// Enters the interactive prompt after the program ends (`-i`).
    ///
    /// ```no_run
    /// use pymqtt::{Host, Program};
    ///
    /// // Runs the script, then reads Python from the terminal with its names in scope.
    /// let host = Host::builder().inspect(true).build();
    /// host.run(&Program::Source("reading = 21.5".into()));
    /// ```
    pub fn inspect(mut self, inspect: bool) -> Self {
        self.inspect = inspect;
        self
    }

    /// Makes SIGTERM (a service manager's stop) end the program with `SystemExit(143)` at its
    /// next wait or bytecode check, then, once its queued messages are delivered, disconnect
    /// the clients it left connected with a DISCONNECT, so that brokers discard their last
    /// wills. The exit status is then [`ExitStatus::TERMINATED`]. A signal handler is the
    /// process's: for a program run on the main thread (the `pymqtt` command sets it).
    ///
    /// ```no_run
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().stop_on_sigterm(true).build();
    /// let status = host.run(&Program::File("service.py".into()));
    /// // `systemctl stop` (SIGTERM) ends it with SystemExit(143).
    /// if status == ExitStatus::TERMINATED {
    ///     eprintln!("stopped");
    /// }
    /// ```
    pub fn stop_on_sigterm(mut self, stop: bool) -> Self {
        self.stop_on_sigterm = stop;
        self
    }

    /// Makes the host. With [`board_trace`](Self::board_trace), the board's events are
    /// printed from here on.
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().build();
    /// assert_eq!(host.run(&Program::Source("print('ready')".into())), ExitStatus::SUCCESS);
    /// ```
    pub fn build(self) -> Host {
        if self.board_trace {
            self.board.listen(|event| eprintln!("board: {event}"));
        }
        Host { config: self }
    }
}

/// A configured interpreter host. Each [`Host::run`] uses a fresh interpreter.
///
/// ```
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let host = Host::builder().output(|_, _| {}).build();
/// assert_eq!(host.run(&Program::Source("x = 1".into())), ExitStatus::SUCCESS);
/// // The next run starts afresh: `x` is gone.
/// assert_eq!(host.run(&Program::Source("x".into())), ExitStatus::EXCEPTION);
/// ```
#[derive(Debug)]
pub struct Host {
    config: HostBuilder,
}

impl Host {
    /// A builder with nothing configured: `sys.argv` from the program, the broker each script
    /// names, the default board, output to the process's streams.
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let status = Host::builder().build().run(&Program::Source("import json".into()));
    /// assert_eq!(status, ExitStatus::SUCCESS);
    /// ```
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    /// Runs `program` to completion and returns its exit status. Uncaught exceptions are
    /// printed to stderr; messages published by the program are flushed before returning.
    ///
    /// ```
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let host = Host::builder().output(|_, _| {}).build();
    /// assert_eq!(host.run(&Program::Source("raise ValueError('bad')".into())), ExitStatus::EXCEPTION);
    /// ```
    pub fn run(&self, program: &Program) -> ExitStatus {
        self.run_reporting_state(program, None)
    }

    /// Runs `program` on a thread of its own, with this host's configuration; the handle
    /// interrupts, stops and joins it. Each spawned program has its own host state.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let mut script = Host::builder()
    ///     .output(|_, _| {})
    ///     .build()
    ///     .spawn(Program::Source("import time\nwhile True:\n    time.sleep(1)".into()))
    ///     .unwrap();
    /// std::thread::sleep(Duration::from_millis(300));
    /// assert_eq!(script.stop(Duration::from_secs(5)), Some(ExitStatus::INTERRUPTED));
    /// ```
    pub fn spawn(self, program: Program) -> std::io::Result<ScriptHandle> {
        let slot = script_handle::StateSlot::default();
        let hooks = self.config.hooks.clone();
        let reported = Arc::clone(&slot);
        let thread = std::thread::Builder::new()
            .name("pymqtt-script".into())
            // The main thread's size: deep Python recursion needs what a script has there.
            .stack_size(SCRIPT_STACK)
            .spawn(move || self.run_reporting_state(&program, Some(&reported)))?;
        Ok(ScriptHandle::new(thread, slot, hooks))
    }

    fn run_reporting_state(
        &self,
        program: &Program,
        slot: Option<&script_handle::StateSlot>,
    ) -> ExitStatus {
        let source = match load(program) {
            Ok(source) => source,
            Err(message) => {
                crate::terminal_style::report_error("pymqtt", message);
                return ExitStatus::CANNOT_OPEN;
            }
        };
        let board = Arc::clone(&self.config.board);
        let (soft_irq, soft_irq_rx) = rustpython_vm::signal::user_signal_channel();
        let state = Arc::new(HostState {
            redirect: self.config.broker.clone(),
            hooks: self.config.hooks.clone(),
            board,
            soft_irq_queue: Some(soft_irq),
            folder: matches!(program, Program::Folder(_)),
            clock: self.config.clock.clone(),
            ..HostState::default()
        });
        if let Some(slot) = slot {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&state));
        }
        // Input edges become calls of the script's handlers, on its thread; a lost link
        // fails its MQTT connections.
        let weak = Arc::downgrade(&state);
        state.board.set_irq_sink(move |pin, edge| {
            if let Some(state) = weak.upgrade() {
                let pin = pin.to_string();
                state.soft_irq(move |vm| crate::modules::board::pin_irq(vm, &pin, edge));
            }
        });
        let weak = Arc::downgrade(&state);
        state.board.on_link_lost(move || {
            if let Some(state) = weak.upgrade() {
                state.link_lost();
            }
        });

        let interpreter = self.interpreter(program, soft_irq_rx, slot.is_some());
        interpreter.enter(|vm| {
            if let Err(exc) = state::install(vm, Arc::clone(&state)) {
                return exit_status(vm, exc);
            }
            if let Some(callback) = &self.config.output
                && let Err(exc) = output::install(vm, callback)
            {
                return exit_status(vm, exc);
            }
            // sys.path as MicroPython's unix port sets it (a sandbox's: its folder alone); the
            // program adds its own folder below.
            let path = match &self.config.sandbox {
                None => micropython_path::install(vm),
                Some(_) => sandbox::set_path(vm),
            };
            if let Err(exc) = path {
                return exit_status(vm, exc);
            }
            // MicroPython's names: time.ticks_ms(), utime, machine, sys.print_exception, ...
            if let Err(exc) = crate::modules::micropython_native::install(vm) {
                return exit_status(vm, exc);
            }
            // One `__main__` for the program and the REPL after it (`-i` sees its globals).
            let scope = match vm.new_scope_with_main() {
                Ok(scope) => scope,
                Err(exc) => return exit_status(vm, exc),
            };
            if let Err(exc) = self.config.application.install(vm, &scope) {
                return exit_status(vm, exc);
            }
            // The fence goes up last, once pymqtt's own start-up is done.
            if self.config.sandbox.is_some()
                && let Err(exc) = sandbox::install(vm)
            {
                return exit_status(vm, exc);
            }
            stack_guard::install(vm);
            if self.config.stop_on_sigterm
                && let Err(exc) = termination::install(vm)
            {
                return exit_status(vm, exc);
            }
            let outcome = panics::as_exception(vm, "running the program", || {
                run_program(vm, program, source, &scope)
            });
            let mut status = match outcome {
                Ok(()) => ExitStatus::SUCCESS,
                Err(exc) => exit_status(vm, exc),
            };
            let wants_repl = self.config.inspect && *program != Program::Repl;
            if wants_repl && status != ExitStatus::INTERRUPTED {
                status = match panics::as_exception(vm, "running the REPL", || repl(vm, scope)) {
                    Ok(()) => ExitStatus::SUCCESS,
                    Err(exc) => exit_status(vm, exc),
                };
            }
            shut_down(vm);
            // Before the clients are dropped (closing their sockets), let every publish that
            // returned reach its broker; a second Ctrl-C gives up at once.
            let status = deliver_queued(vm, &state).unwrap_or(status);
            if state.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                for failure in state.open.disconnect_all() {
                    eprintln!("pymqtt: warning: disconnecting on SIGTERM: {failure}");
                }
            }
            status
        })
    }

    fn interpreter(
        &self,
        program: &Program,
        soft_irq: UserSignalReceiver,
        spawned: bool,
    ) -> Interpreter {
        let mut settings = Settings::default();
        // A program on a thread of its own ([`Host::spawn`]) leaves the process's signals to
        // the application: its interpreter would otherwise take SIGINT over from it.
        settings.install_signal_handlers = !spawned;
        settings.argv = match (&self.config.argv, program) {
            (argv, _) if !argv.is_empty() => argv.clone(),
            (_, Program::File(path) | Program::Folder(path)) => vec![path.display().to_string()],
            (_, Program::Source(_)) => vec!["-c".into()],
            (_, Program::Module(_)) => vec!["-m".into()],
            (_, Program::Stdin | Program::Repl) => vec![String::new()],
        };
        // MicroPython does not buffer: every print reaches a pipe at once, so a CI job that
        // kills a looping script still sees every line printed before.
        settings.buffered_stdio = false;
        settings.import_site = false;
        // MicroPython's strings and streams are UTF-8 whatever the locale says; a script that
        // prints a received payload must not fail under LANG=C (the usual CI and service case).
        settings.utf8_mode = 1;
        settings.inspect = self.config.inspect;
        if let Some(sandbox) = &self.config.sandbox {
            settings.xoptions.push(sandbox.xoption());
        }

        let builder = InterpreterBuilder::new().settings(settings);
        let mut standard_native = rustpython_stdlib::stdlib_module_defs(&builder.ctx);
        if self.config.sandbox.is_some() {
            standard_native.retain(|def| !sandbox::REMOVED_MODULES.contains(&def.name.as_str()));
        }
        let builder = builder
            .add_native_modules(&standard_native)
            .add_frozen_modules(frozen::standard_library())
            .init_hook(|vm| {
                // What RustPython's own setup of its frozen library sets: where the library
                // would be as files, for the modules that ask (sysconfig, ...).
                let state = rustpython_vm::common::rc::PyRc::get_mut(&mut vm.state)
                    .expect("no other reference before the interpreter runs");
                state.config.paths.stdlib_dir = Some(rustpython::pylib::LIB_PATH.to_owned());
            });
        let umqtt_simple = crate::modules::umqtt_simple::module_def(&builder.ctx);
        let micropython = crate::modules::micropython_native::module_def(&builder.ctx);
        let board = crate::modules::board::module_def(&builder.ctx);
        let json = crate::modules::json_native::module_def(&builder.ctx);
        let fence = crate::modules::sandbox::module_def(&builder.ctx);
        let builder = builder
            .add_native_module(fence)
            .add_native_module(umqtt_simple)
            .add_native_module(json)
            .add_native_module(micropython)
            .add_native_module(board)
            .init_hook(move |vm| vm.set_user_signal_channel(soft_irq))
            .add_frozen_modules(py_freeze!(dir = "../../pylib"));
        let builder = self.config.application.register_modules(builder);
        #[cfg(feature = "tls")]
        let builder = builder.init_hook(|_vm| install_tls_provider());
        builder.interpreter()
    }
}

/// RustPython's `_ssl` takes its rustls crypto provider from the process (it has no default
/// without aws-lc): give it ring, the provider pymqtt's MQTT connections use. The first call
/// in a process sets it; later ones find it set and change nothing.
#[cfg(feature = "tls")]
fn install_tls_provider() {
    use rustls::crypto::ring;
    use rustpython_stdlib::ssl::providers::CryptoExt;

    let extension = CryptoExt {
        all_cipher_suites: Some(ring::ALL_CIPHER_SUITES),
        default_cipher_suites: Some(ring::DEFAULT_CIPHER_SUITES),
        all_kx_groups: Some(ring::ALL_KX_GROUPS),
        any_supported_key: Some(ring::sign::any_supported_type),
        ticketer: ring::Ticketer::new,
    };
    let _ = CryptoExt::set_provider(ring::default_provider(), extension);
}

/// Reads the program's source up front, so that a missing file is exit status 2 with a
/// message, not a traceback.
fn load(program: &Program) -> Result<Option<String>, String> {
    match program {
        Program::File(path) => std::fs::read_to_string(path)
            .map(Some)
            .map_err(|e| format!("can't open file '{}': {}", path.display(), errno_words(&e))),
        Program::Stdin => {
            let mut source = String::new();
            std::io::stdin()
                .read_to_string(&mut source)
                .map_err(|e| format!("can't read the program from standard input: {e}"))?;
            Ok(Some(source))
        }
        Program::Source(source) => Ok(Some(source.clone())),
        Program::Folder(dir) => {
            if BOOT_SEQUENCE.iter().any(|name| dir.join(name).is_file()) {
                Ok(None)
            } else {
                Err(format!(
                    "{} has no boot.py or main.py (a board runs boot.py, then main.py)",
                    dir.display()
                ))
            }
        }
        Program::Module(_) | Program::Repl => Ok(None),
    }
}

/// What a board runs at power-up, in order, from its folder.
///
/// ```
/// assert_eq!(pymqtt::host::BOOT_SEQUENCE, ["boot.py", "main.py"]);
/// ```
pub const BOOT_SEQUENCE: [&str; 2] = ["boot.py", "main.py"];

/// Compiles and runs the file at `path` (whose text is `text`) in `scope`, reading it as
/// MicroPython reads source (tabs in indentation, CR line endings).
fn run_file(vm: &VirtualMachine, path: &Path, text: &str, scope: &Scope) -> PyResult<()> {
    let source = source::normalise(text);
    let path = path.display().to_string();
    if matches!(source, Cow::Owned(_)) {
        show_in_tracebacks(vm, &path, &source);
    }
    let code = panics::as_syntax_error(vm, &path, || {
        vm.compile(&source, rustpython_vm::compiler::Mode::Exec, path.clone())
            .map_err(|err| err.into_pyexception(vm, Some(&source)))
    })?;
    scope.globals.set_item("__file__", vm.new_pyobj(path), vm)?;
    vm.run_code_obj(code, scope.clone()).map(drop)
}

fn run_program(
    vm: &VirtualMachine,
    program: &Program,
    source: Option<String>,
    scope: &Scope,
) -> PyResult<()> {
    let raw = source.as_deref().unwrap_or_default();
    // Read as MicroPython reads source: tabs in indentation, CRLF line endings.
    let source = source::normalise(raw);
    let source = source.as_ref();
    match program {
        Program::File(path) => {
            vm.insert_sys_path(vm.new_pyobj(script_dir(path)))?;
            run_file(vm, path, raw, scope)
        }
        Program::Folder(dir) => {
            vm.insert_sys_path(vm.new_pyobj(dir.display().to_string()))?;
            for name in BOOT_SEQUENCE {
                let path = dir.join(name);
                if !path.is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    vm.new_os_error(format!(
                        "can't open file '{}': {}",
                        path.display(),
                        errno_words(&e)
                    ))
                })?;
                run_file(vm, &path, &text, scope)?;
            }
            Ok(())
        }
        Program::Source(_) | Program::Stdin => {
            vm.insert_sys_path(vm.new_pyobj(""))?;
            let name = if *program == Program::Stdin {
                "<stdin>"
            } else {
                "<string>"
            };
            vm.run_string(scope.clone(), source, name).map(drop)
        }
        Program::Module(module) => {
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            vm.insert_sys_path(vm.new_pyobj(cwd))?;
            vm.run_module(module)
        }
        Program::Repl => {
            vm.insert_sys_path(vm.new_pyobj(""))?;
            repl(vm, scope.clone())
        }
    }
}

/// Tracebacks show the lines of the file at `path` as `source`, the text compiled, while the
/// file is unchanged, so that their carets line up with the respelled indentation.
fn show_in_tracebacks(vm: &VirtualMachine, path: &str, source: &str) {
    // Only what a traceback shows depends on it: if this fails, they show the file as it is.
    let _ = vm
        .import("_micropython_source", 0)
        .and_then(|module| vm.call_method(&module, "show_in_tracebacks", (path, source)));
}

/// The script's folder, for `sys.path[0]`.
fn script_dir(path: &Path) -> String {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.display().to_string(),
        _ => String::new(),
    }
}

/// The interactive prompt, in `scope` (`__main__`, shared with the program run before it).
fn repl(vm: &VirtualMachine, scope: Scope) -> PyResult<()> {
    crate::repl::run(vm, scope)
}

/// `[Errno 2] No such file or directory`, as CPython says it (Rust's text repeats the number).
fn errno_words(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => format!("[Errno {errno}] {}", crate::mqtt::error::strerror(errno)),
        None => e.to_string(),
    }
}

/// What the interpreter's own `finalize` does that a script can observe: wait for its
/// threads, run its atexit handlers, flush its output. Not the garbage collection and module
/// teardown that follow it there, which took two thirds of pymqtt's start-to-exit time; the
/// objects are freed when the interpreter is dropped.
fn shut_down(vm: &VirtualMachine) {
    let threading = vm
        .sys_module
        .get_attr("modules", vm)
        .and_then(|modules| modules.get_item("threading", vm));
    if let Ok(threading) = threading
        && let Err(exc) = vm.call_method(&threading, "_shutdown", ())
    {
        vm.print_exception(&exc);
    }
    rustpython_vm::stdlib::atexit::_run_exitfuncs(vm);
    for stream in ["stdout", "stderr"] {
        if let Ok(stream) = vm.sys_module.get_attr(stream, vm) {
            let _ = vm.call_method(&stream, "flush", ());
        }
    }
}

/// Waits (up to 5 s a connection) until what the program published has reached its brokers,
/// saying on stderr what it waits for once that takes a while. A Ctrl-C while it waits ends
/// the wait, and the program with the status of an interrupted one.
fn deliver_queued(vm: &VirtualMachine, state: &HostState) -> Option<ExitStatus> {
    let mut check = || vm.check_signals();
    let mut slow = |unsettled: &crate::mqtt::connection::Unsettled| {
        eprintln!(
            "pymqtt: delivering {} queued message(s) to {} before exiting (up to {} s; \
             Ctrl-C again to exit now)",
            unsettled.messages,
            unsettled.broker,
            crate::mqtt::connection::FLUSH_TIMEOUT.as_secs()
        );
    };
    match state.open.flush_or_stop(&mut check, &mut slow) {
        Ok(failures) => {
            for failure in failures {
                eprintln!(
                    "pymqtt: warning: queued messages may not have reached the broker: {failure}"
                );
            }
            None
        }
        Err(_interrupted) => {
            eprintln!("pymqtt: exiting without delivering what is still queued");
            Some(ExitStatus::INTERRUPTED)
        }
    }
}

/// Turns an exception that ended the program into its exit status, printing what MicroPython
/// prints: nothing for SystemExit with a number, the traceback otherwise.
fn exit_status(vm: &VirtualMachine, exc: PyBaseExceptionRef) -> ExitStatus {
    if exc.fast_isinstance(vm.ctx.exceptions.keyboard_interrupt) {
        vm.print_exception(&exc);
        return ExitStatus::INTERRUPTED;
    }
    if exc.fast_isinstance(vm.ctx.exceptions.system_exit) {
        // Handles `sys.exit("message")` (printed, status 1) and codes beyond 255 alike.
        return ExitStatus(vm.handle_exit_exception(exc) as i32);
    }
    vm.print_exception(&exc);
    if let Some(hint) = missing_port_module(vm, &exc) {
        eprintln!("{hint}");
    }
    ExitStatus::EXCEPTION
}

/// MicroPython modules that belong to one port's hardware, which the virtual board does not
/// have (`machine`, `network` and the sensor drivers it does).
const PORT_MODULES: &[(&str, &str)] = &[
    ("rp2", "the RP2040/RP2350 port (PIO, StateMachine)"),
    ("pyb", "the pyboard port"),
    ("bluetooth", "ports with Bluetooth"),
    ("ubluetooth", "ports with Bluetooth"),
    ("espnow", "the ESP32 and ESP8266 ports"),
    ("aioespnow", "the ESP32 and ESP8266 ports"),
    ("framebuf", "MicroPython (a frame buffer for displays)"),
    ("uctypes", "MicroPython (C structures in memory)"),
    ("btree", "MicroPython (a database on a file)"),
    ("openamp", "ports with OpenAMP"),
    ("cryptolib", "MicroPython (AES)"),
    ("lcd160cr", "the pyboard port"),
    ("wm8960", "ports with an audio codec"),
];

/// A hint line for a script that imports a module of a MicroPython port's hardware.
fn missing_port_module(vm: &VirtualMachine, exc: &PyBaseExceptionRef) -> Option<String> {
    let not_found = vm.ctx.exceptions.module_not_found_error;
    if !exc.fast_isinstance(not_found) {
        return None;
    }
    let name = exc.as_object().get_attr("name", vm).ok()?;
    let name = name
        .downcast_ref::<rustpython_vm::builtins::PyStr>()?
        .to_string();
    let (_, whose) = PORT_MODULES.iter().find(|(module, _)| *module == name)?;
    Some(format!(
        "pymqtt: `{name}` is a module of {whose}; pymqtt's virtual board has `machine`, \
         `network` and the sensor drivers, not `{name}` (docs/board.md)"
    ))
}
