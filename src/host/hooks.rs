//! What a test harness learns from a script (events) and how it ends a script that would run
//! forever (a stop request): the hooks a [`Host`](crate::Host) offers. `pymqtt test` attaches
//! to them; without a harness they are idle. Each host has its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustpython_vm::{PyResult, VirtualMachine};

/// Something the script did that a test's stimulus can wait for.
///
/// ```
/// use std::sync::mpsc;
/// use pymqtt::broker::EmbeddedBroker;
/// use pymqtt::host::{Hooks, ScriptEvent};
/// use pymqtt::{BrokerAddress, Host, Program};
///
/// let broker = EmbeddedBroker::start_on_free_port().unwrap();
/// let (events, heard) = mpsc::channel();
/// let events = std::sync::Mutex::new(events);
/// let host = Host::builder()
///     .broker(BrokerAddress::tcp("127.0.0.1", broker.addr().port()))
///     .hooks(Hooks::new(move |event| drop(events.lock().unwrap().send(event))))
///     .build();
/// let script = "from umqtt.simple import MQTTClient\n\
///               c = MQTTClient('relay', 'localhost')\n\
///               c.set_callback(lambda topic, msg: None)\n\
///               c.connect()\n\
///               c.subscribe(b'relay/set')";
/// host.run(&Program::Source(script.into()));
/// let events: Vec<ScriptEvent> = heard.try_iter().collect();
/// assert_eq!(events, [ScriptEvent::Connected, ScriptEvent::Subscribed("relay/set".into())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptEvent {
    /// A client's `connect()` got its CONNACK.
    Connected,
    /// `subscribe(filter)` got its SUBACK (granted).
    Subscribed(String),
    /// `unsubscribe(filter)` got its UNSUBACK.
    Unsubscribed(String),
    /// `publish()` returned: the message is on its way to the broker.
    Published {
        /// The topic published to.
        topic: String,
        /// The message.
        payload: bytes::Bytes,
        /// The QoS the script asked for (0, 1 or 2).
        qos: u8,
        /// Whether the script asked the broker to retain it.
        retain: bool,
    },
    /// `wait_msg()`/`check_msg()` is about to pass a message to the callback.
    Received {
        /// The topic the message came on.
        topic: String,
        /// The message.
        payload: bytes::Bytes,
    },
    /// `wait_msg()`/`check_msg()` passed a message to the callback and the callback returned.
    Handled,
}

type Listener = Box<dyn Fn(ScriptEvent) + Send + Sync>;

/// A host's hooks. Clones share them: the harness keeps one to ask for a stop, the host
/// hands another to the script's side.
///
/// ```
/// use pymqtt::host::Hooks;
///
/// let hooks = Hooks::new(|event| println!("{event:?}"));
/// let for_the_host = hooks.clone(); // shares the listener and the stop request
/// assert!(for_the_host.attached());
/// assert!(!Hooks::default().attached());
/// ```
#[derive(Clone, Default)]
pub struct Hooks {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    listener: Option<Listener>,
    stop_requested: AtomicBool,
    interrupt_requested: AtomicBool,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("attached", &self.attached())
            .field(
                "stop_requested",
                &self.inner.stop_requested.load(Ordering::Relaxed),
            )
            .finish()
    }
}

impl Hooks {
    /// Hooks that send the script's events to `listener`.
    ///
    /// ```
    /// use pymqtt::host::{Hooks, ScriptEvent};
    ///
    /// let hooks = Hooks::new(|event| {
    ///     if let ScriptEvent::Published { topic, .. } = event {
    ///         println!("published on {topic}");
    ///     }
    /// });
    /// assert!(hooks.attached());
    /// ```
    pub fn new(listener: impl Fn(ScriptEvent) + Send + Sync + 'static) -> Hooks {
        Hooks {
            inner: Arc::new(Inner {
                listener: Some(Box::new(listener)),
                stop_requested: AtomicBool::new(false),
                interrupt_requested: AtomicBool::new(false),
            }),
        }
    }

    /// Whether a harness is attached (the program runs under `pymqtt test`).
    ///
    /// ```
    /// use pymqtt::host::Hooks;
    ///
    /// assert!(Hooks::new(|_| {}).attached());
    /// assert!(!Hooks::default().attached());
    /// ```
    pub fn attached(&self) -> bool {
        self.inner.listener.is_some()
    }

    pub(crate) fn emit(&self, event: ScriptEvent) {
        if let Some(listener) = &self.inner.listener {
            listener(event);
        }
    }

    /// Asks the script to end, as if it called `sys.exit(0)`, the next time it waits: in
    /// `wait_msg()`, `check_msg()`, `time.sleep()` and `sleep_ms/us()`. Ending there, never in
    /// the middle of its own code, means nothing it was printing or publishing is cut short.
    ///
    /// ```
    /// use pymqtt::host::Hooks;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let hooks = Hooks::new(|_| {});
    /// hooks.request_stop(); // asked before it runs: it ends at its first wait
    /// let host = Host::builder().hooks(hooks).build();
    /// let script = "import time\nwhile True:\n    time.sleep(1)";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn request_stop(&self) {
        self.inner.stop_requested.store(true, Ordering::SeqCst);
    }

    /// Raises KeyboardInterrupt in the script, once, the next time it waits (an embedding
    /// application's [`ScriptHandle::interrupt`](super::ScriptHandle::interrupt)). Signals
    /// reach only a process's main thread; this reaches a script on any thread.
    pub(crate) fn request_interrupt(&self) {
        self.inner.interrupt_requested.store(true, Ordering::SeqCst);
    }

    /// Raises KeyboardInterrupt if an interrupt was requested (once), SystemExit(0) if a stop
    /// was. Called where the script waits.
    pub(crate) fn stop_point(&self, vm: &VirtualMachine) -> PyResult<()> {
        if self.inner.interrupt_requested.swap(false, Ordering::SeqCst) {
            return Err(vm.new_exception_empty(vm.ctx.exceptions.keyboard_interrupt.to_owned()));
        }
        if self.inner.stop_requested.load(Ordering::Relaxed) {
            return Err(vm.new_exception(
                vm.ctx.exceptions.system_exit.to_owned(),
                vec![vm.ctx.new_int(0).into()],
            ));
        }
        Ok(())
    }
}
