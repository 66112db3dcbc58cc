//! What the programs of one [`Host`](crate::Host) share: where their clients connect, the
//! connections to flush when a program ends, the hooks a test harness attached, and the
//! virtual board.
//!
//! It lives in the interpreter, as a private attribute of `sys`: native code reaches it from
//! any of the script's threads with only the `VirtualMachine` in hand, and two hosts in one
//! process (an embedder's, on two threads) never see each other's. RustPython offers no slot
//! of its own for an embedder's data.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, Mutex};

use rustpython_vm::class::PyClassImpl;
use rustpython_vm::{PyPayload, PyRef, PyResult, VirtualMachine, pyclass};

use rustpython_vm::signal::UserSignalSender;

use super::hooks::Hooks;
use crate::board::Board;
use crate::mqtt::address::BrokerAddress;
use crate::mqtt::error::ECONNRESET;
use crate::mqtt::{MqttError, OpenConnections};

/// The `sys` attribute that holds it.
const ATTRIBUTE: &str = "_pymqtt_host";

#[derive(Debug, Default)]
pub(crate) struct HostState {
    /// Where every client connects instead of the server its script names (`--broker`).
    pub redirect: Option<BrokerAddress>,
    pub open: OpenConnections,
    pub hooks: Hooks,
    pub board: Arc<Board>,
    /// Runs callbacks (pin interrupts, timers) on the script's main thread between bytecodes,
    /// as MicroPython's soft interrupts run; `None` until the interpreter takes the other end.
    pub soft_irq_queue: Option<UserSignalSender>,
    /// Whether the program is a board's folder (boot.py, then main.py): resets run both again.
    pub folder: bool,
    /// The stop flags of running `machine.Timer`s, by the token the Python side gave.
    pub timers: Mutex<BTreeMap<u64, Arc<AtomicBool>>>,
    /// Where to write a byte each time a callback is queued: the write end of the self-pipe
    /// of an asyncio event loop running on the main thread (pylib/asyncio/__init__.py). Such a
    /// loop waits in `select()`, where nothing checks the queue, so without the byte a timer's
    /// callback that sets a `ThreadSafeFlag` would run only once something else woke it.
    pub wakeup_fd: Mutex<Option<i32>>,
    /// The virtual clock the script's time follows (`pymqtt test`'s `clock virtual`); None:
    /// the system's.
    pub clock: Option<Arc<crate::host::clock::VirtualClock>>,
    /// SIGTERM asked the program to stop (`HostBuilder::stop_on_sigterm`): its connections
    /// are disconnected cleanly when it has ended.
    pub stopping: AtomicBool,
    /// `gc.threshold()`'s value, -1 until the script sets one: kept, as MicroPython keeps it,
    /// but it changes nothing here (RustPython's collector runs on its own object counts).
    pub gc_threshold: GcThreshold,
}

/// `gc.threshold()`'s value; -1 (none set) to start with, as MicroPython reports it.
#[derive(Debug)]
pub(crate) struct GcThreshold(pub AtomicI64);

impl Default for GcThreshold {
    fn default() -> Self {
        GcThreshold(AtomicI64::new(-1))
    }
}

impl HostState {
    /// The board's Wi-Fi link was lost: its MQTT connections fail as a device's do.
    pub fn link_lost(&self) {
        self.open.cut_all(&MqttError::os(
            ECONNRESET,
            "connection reset: the Wi-Fi connection was lost",
        ));
    }

    /// Queues `callback` to run on the script's main thread between bytecodes.
    pub fn soft_irq(
        &self,
        callback: impl FnOnce(&VirtualMachine) -> PyResult<()> + Send + 'static,
    ) {
        if let Some(sender) = &self.soft_irq_queue {
            let _ = sender.send(Box::new(callback));
            self.wake_loop();
        }
    }

    /// Wakes the event loop that registered [`wakeup_fd`](Self::wakeup_fd), if one did.
    fn wake_loop(&self) {
        let fd = self.wakeup_fd.lock().unwrap_or_else(|p| p.into_inner());
        #[cfg(unix)]
        if let Some(fd) = *fd {
            // SAFETY: writing one byte from a live buffer. The descriptor is open: the loop
            // unregisters it (under the lock held here) before it can close it. Its socket
            // is non-blocking, and a full one already holds a byte that wakes the loop, so
            // the result does not matter. asyncio skips a 0 byte (it reads signal numbers
            // there).
            unsafe {
                libc::write(fd, [0u8].as_ptr().cast(), 1);
            }
        }
        #[cfg(not(unix))]
        let _ = fd;
    }
}

#[pyclass(module = false, name = "pymqtt_host")]
#[derive(Debug, PyPayload)]
struct HostHandle(Arc<HostState>);

#[pyclass]
impl HostHandle {}

/// Puts `state` in the interpreter, for [`of`].
pub(crate) fn install(vm: &VirtualMachine, state: Arc<HostState>) -> PyResult<()> {
    let handle = PyRef::new_ref(HostHandle(state), HostHandle::make_static_type(), None);
    vm.sys_module.set_attr(ATTRIBUTE, handle, vm)
}

/// The state of the host running this interpreter; a fresh, idle one (no redirect, no
/// harness) if the script removed it.
pub(crate) fn of(vm: &VirtualMachine) -> Arc<HostState> {
    vm.sys_module
        .get_attr(ATTRIBUTE, vm)
        .ok()
        .and_then(|handle| handle.downcast_ref::<HostHandle>().map(|h| h.0.clone()))
        .unwrap_or_default()
}
