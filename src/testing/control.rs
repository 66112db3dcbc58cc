//! The script's side of a `pymqtt test` run: what the test harness learns from the script
//! (events) and how it ends a script that would run forever (a stop request).
//!
//! Both are process-wide and idle unless a harness attached: `umqtt.simple` reports its
//! events here whatever the program, and the sleeps and waits ask here whether to stop.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use rustpython_vm::{PyResult, VirtualMachine};

/// Something the script did that a test's stimulus can wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEvent {
    /// A client's `connect()` got its CONNACK.
    Connected,
    /// `subscribe(filter)` got its SUBACK (granted).
    Subscribed(String),
    /// `unsubscribe(filter)` got its UNSUBACK.
    Unsubscribed(String),
    /// `publish()` returned: the message is on its way to the broker.
    Published { topic: String },
    /// `wait_msg()`/`check_msg()` passed a message to the callback and the callback returned.
    Handled,
}

type Listener = Box<dyn Fn(ScriptEvent) + Send + Sync>;

static LISTENER: OnceLock<Listener> = OnceLock::new();
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Sends the script's events to `listener` from now on. Only the first call takes effect:
/// one process runs one test.
pub fn attach(listener: impl Fn(ScriptEvent) + Send + Sync + 'static) {
    let _ = LISTENER.set(Box::new(listener));
}

/// Whether a harness is attached (the program runs under `pymqtt test`).
pub fn attached() -> bool {
    LISTENER.get().is_some()
}

pub(crate) fn emit(event: ScriptEvent) {
    if let Some(listener) = LISTENER.get() {
        listener(event);
    }
}

/// Asks the script to end, as if it called `sys.exit(0)`, the next time it waits: in
/// `wait_msg()`, `check_msg()`, `time.sleep()` and `sleep_ms/us()`. Ending there, never in the
/// middle of its own code, means nothing it was printing or publishing is cut short.
pub fn request_stop() {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// Raises SystemExit(0) if a stop was requested. Called where the script waits.
pub(crate) fn stop_point(vm: &VirtualMachine) -> PyResult<()> {
    if STOP_REQUESTED.load(Ordering::Relaxed) {
        return Err(vm.new_exception(
            vm.ctx.exceptions.system_exit.to_owned(),
            vec![vm.ctx.new_int(0).into()],
        ));
    }
    Ok(())
}
