//! A live MQTT connection, driven by whichever thread needs it.
//!
//! rumqttc's `EventLoop` only makes progress while someone polls it. Two needs pull apart:
//! a script blocked in `publish(qos=1)` or `wait_msg()` wants its answer with no thread hop
//! (polling on its own thread is ~3x faster than handing over to a poller thread), while a
//! script sleeping in `time.sleep()` still needs pings sent and incoming acks answered.
//!
//! So the event loop lives in an [`Engine`] behind a mutex. A blocking call takes the engine
//! and polls it itself ("foreground"). A background poller thread takes it only once the
//! foreground has left it alone for `FOREGROUND_GRACE`, and gives it back the moment a
//! foreground call asks (the request interrupts the poller's poll through a `Notify`). A tight
//! loop of publishes therefore never pays for a hand-over.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rumqttc::{
    AsyncClient, ClientError, ConnectionError, EventLoop, NetworkOptions, PingReq, Publish, QoS,
    Request,
};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use super::error::{MqttError, WaitError};
use super::settings::ClientSettings;
use super::tracker::{Kind, Message, Outcome, Ticket, Tracker};

/// How long the foreground keeps the engine after a blocking call returns, so that the next
/// call of a loop finds it free. Short enough that an idle script is driven almost at once.
const FOREGROUND_GRACE: Duration = Duration::from_millis(10);

/// How often the poller looks again while a foreground call holds the engine.
const BUSY_FOREGROUND_RECHECK: Duration = Duration::from_millis(100);

/// How often a blocking wait comes up for air to run the caller's check (Ctrl-C). The brief
/// asks for KeyboardInterrupt within 100 ms.
const CHECK_INTERVAL: Duration = Duration::from_millis(20);

/// How often the poller looks again while the inbox is full.
const INBOX_FULL_RECHECK: Duration = Duration::from_millis(20);

/// How many events a ready-only poll takes at most before returning, so that a broker
/// sending without pause cannot keep `check_msg()` from returning.
const READY_EVENTS_PER_CHECK: usize = 64;

/// How long a waiting `wait_message` holds the engine before giving others a turn.
const MESSAGE_WAIT_TURN: Duration = Duration::from_millis(100);

/// How long `disconnect()` and interpreter exit wait for queued publishes to be acknowledged.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the exit flush waits before it says what it waits for: a script that ends
/// right after publishing settles well within this, and hears nothing.
pub const FLUSH_NOTICE_AFTER: Duration = Duration::from_millis(500);

/// How long the program's end waits for the broker to confirm it read the last acks, and
/// `disconnect()` for the broker to close the connection after DISCONNECT.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Capacity of rumqttc's request channel. Whoever queues a request holds the engine and
/// drives it until the request is taken, so the channel never holds more than a few.
///
/// Requests go through the channel rather than the event loop's `pending` queue: rumqttc
/// takes a pending request only after a zero-length timer, which costs a 1 ms timer tick.
const REQUEST_CHANNEL_CAPACITY: usize = 64;

/// The event loop plus what the script waits on.
pub struct Engine {
    /// Always `Some` until drop, which shuts it down without waiting (see `Drop`).
    runtime: Option<Runtime>,
    requests: AsyncClient,
    eventloop: EventLoop,
    tracker: Tracker,
    /// Set when the connection failed; the event loop is never polled again after that,
    /// because rumqttc would silently reconnect.
    failure: Option<MqttError>,
    broker: String,
    /// A failure from outside the connection (the virtual board's Wi-Fi dropped), taken up by
    /// whoever drives next: the connection then fails as a dead network makes it fail.
    cut: Arc<Mutex<Option<MqttError>>>,
}

impl Engine {
    fn new(settings: &ClientSettings) -> Result<Engine, MqttError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| MqttError::from_local_io(&e))?;
        let (requests, mut eventloop) =
            AsyncClient::new(settings.mqtt_options()?, REQUEST_CHANNEL_CAPACITY);
        let mut network = NetworkOptions::new();
        // umqtt writes whole packets; without this, Nagle's algorithm delays small ones ~40 ms.
        network.set_tcp_nodelay(true);
        network.set_connection_timeout(settings.connect_timeout().as_secs_f64().ceil().max(1.0) as u64);
        eventloop.set_network_options(network);
        Ok(Engine {
            runtime: Some(runtime),
            requests,
            eventloop,
            tracker: Tracker::new(settings.inbox),
            failure: None,
            broker: settings.broker(),
            cut: Arc::default(),
        })
    }

    /// Queues a PUBLISH; its ticket completes when written (QoS 0) or acknowledged.
    pub fn publish(
        &mut self,
        topic: String,
        payload: Bytes,
        qos: QoS,
        retain: bool,
    ) -> Result<Ticket, MqttError> {
        self.requests
            .try_publish(topic, qos, retain, payload)
            .map_err(queue_error)?;
        Ok(self.tracker.expect(Kind::Publish, qos != QoS::AtMostOnce))
    }

    /// Queues a SUBSCRIBE; its ticket completes with the broker's SUBACK.
    pub fn subscribe(&mut self, filter: String, qos: QoS) -> Result<Ticket, MqttError> {
        self.requests
            .try_subscribe(filter, qos)
            .map_err(queue_error)?;
        Ok(self.tracker.expect(Kind::Subscribe, true))
    }

    /// Queues an UNSUBSCRIBE; its ticket completes with the broker's UNSUBACK.
    pub fn unsubscribe(&mut self, filter: String) -> Result<Ticket, MqttError> {
        self.requests.try_unsubscribe(filter).map_err(queue_error)?;
        Ok(self.tracker.expect(Kind::Unsubscribe, true))
    }

    /// Queues a PINGREQ (AsyncClient has no call for it; the pending queue's 1 ms timer tick
    /// does not matter here).
    pub fn ping(&mut self) {
        self.eventloop.pending.push_back(Request::PingReq(PingReq));
    }

    /// Acknowledges a received message once the script has handled it: PUBACK for QoS 1,
    /// PUBREC for QoS 2 (rumqttc answers the broker's PUBREL with PUBCOMP itself). Through
    /// the request channel, so that acks leave in the order the messages came (MQTT asks it);
    /// when a burst of handled messages has filled the channel, the connection is driven
    /// until some of the acks are written.
    pub fn acknowledge<E>(
        &mut self,
        message: &Message,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(), WaitError<E>> {
        let qos = match message.qos {
            1 => QoS::AtLeastOnce,
            2 => QoS::ExactlyOnce,
            _ => return Ok(()),
        };
        let mut publish = Publish::new("", qos, Vec::<u8>::new());
        publish.pkid = message.pkid;
        loop {
            // The only refusal while the event loop lives is a full channel.
            if self.requests.try_ack(&publish).is_ok() {
                self.tracker.ack_queued(message.qos, message.pkid);
                return Ok(());
            }
            let queued = self.tracker.acks_unsent();
            self.drive_until(
                "acknowledging received messages",
                None,
                |t| (t.acks_unsent() < queued).then_some(()),
                check,
            )?;
        }
    }

    fn disconnect(&mut self) -> Result<(), MqttError> {
        self.requests.try_disconnect().map_err(queue_error)
    }

    /// Makes sure the broker has read what was written to it that it answers with nothing
    /// (acks, QoS 0 publishes): a PINGREQ behind them, whose PINGRESP comes only once the
    /// broker read what came before. False if no answer came by `deadline`.
    ///
    /// Written is not yet read. A process that ends with input unread closes its socket with
    /// a reset rather than a FIN, and mosquitto, meeting the reset while it writes to us,
    /// drops the connection without reading the acks still in its buffer: the messages they
    /// acknowledged would come again to the next session.
    fn confirm_read<E>(
        &mut self,
        deadline: Instant,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, WaitError<E>> {
        if !self.tracker.unconfirmed_writes() {
            return Ok(true);
        }
        // rumqttc fails the connection on a second PINGREQ while one is unanswered (a
        // keepalive ping): that one's answer comes first.
        if self.eventloop.state.await_pingresp {
            let answered = self.tracker.pings_answered();
            let back = self.drive(
                Some(deadline),
                |t| (t.pings_answered() > answered).then_some(()),
                check,
            )?;
            if back.is_none() {
                return Ok(false);
            }
        }
        let answered = self.tracker.pings_answered();
        self.tracker.confirming();
        self.ping();
        let back = self.drive(
            Some(deadline),
            |t| (t.pings_answered() > answered).then_some(()),
            check,
        )?;
        Ok(back.is_some())
    }

    /// What the connection waits for and what has come in.
    pub fn tracker(&mut self) -> &mut Tracker {
        &mut self.tracker
    }

    /// Why the connection failed, once it has; it is not driven again after that.
    pub fn failure(&self) -> Option<&MqttError> {
        self.failure.as_ref()
    }

    /// Takes up a cut made from outside; true when the connection is now failed.
    fn take_cut(&mut self) -> bool {
        if let Some(e) = self.cut.lock().unwrap_or_else(|p| p.into_inner()).take()
            && self.failure.is_none()
        {
            self.failure = Some(e);
        }
        self.failure.is_some()
    }

    fn fail(&mut self, e: ConnectionError) {
        self.failure = Some(MqttError::from_connection(&e, &self.broker));
    }

    /// Polls the event loop on this thread until `until` yields a value, the connection fails,
    /// `deadline` passes (an ETIMEDOUT error naming `what`) or `check` returns an error.
    pub fn drive_until<T, E>(
        &mut self,
        what: &str,
        deadline: Option<Instant>,
        until: impl FnMut(&mut Tracker) -> Option<T>,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<T, WaitError<E>> {
        self.drive(deadline, until, check)?
            .ok_or_else(|| WaitError::Mqtt(MqttError::timed_out(what)))
    }

    /// Like [`Engine::drive_until`], but a passed deadline is `Ok(None)`, not an error.
    ///
    /// One poll stays the same future across check intervals, so a slow step (a TCP connect,
    /// a large write) is never cancelled half-way and restarted.
    pub fn drive<T, E>(
        &mut self,
        deadline: Option<Instant>,
        mut until: impl FnMut(&mut Tracker) -> Option<T>,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Option<T>, WaitError<E>> {
        loop {
            if let Some(value) = until(&mut self.tracker) {
                return Ok(Some(value));
            }
            self.take_cut();
            if let Some(failure) = &self.failure {
                return Err(WaitError::Mqtt(failure.clone()));
            }
            let polled = {
                let Engine {
                    runtime,
                    eventloop,
                    cut,
                    ..
                } = self;
                let runtime = runtime.as_ref().expect("runtime lives until drop");
                // Timers made outside `block_on` need the runtime entered.
                let _entered = runtime.enter();
                let mut poll = pin!(eventloop.poll());
                loop {
                    let slice = match deadline {
                        Some(deadline) => {
                            let left = deadline.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Ok(None);
                            }
                            left.min(CHECK_INTERVAL)
                        }
                        None => CHECK_INTERVAL,
                    };
                    match runtime.block_on(tokio::time::timeout(slice, poll.as_mut())) {
                        Ok(polled) => break Some(polled),
                        Err(_elapsed) => {
                            check().map_err(WaitError::Interrupted)?;
                            if cut.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
                                // Taken up at the top of the outer loop.
                                break None;
                            }
                        }
                    }
                }
            };
            match polled {
                Some(Ok(event)) => self.tracker.record(event),
                Some(Err(e)) => self.fail(e),
                None => {}
            }
        }
    }

    /// Takes what the connection has ready now, without waiting: one turn of the runtime's
    /// I/O driver, then the events that turn made ready, until `until` yields a value or
    /// nothing more is ready. `check_msg()` with nothing pending costs this and no timer.
    pub fn drive_ready<T>(
        &mut self,
        mut until: impl FnMut(&mut Tracker) -> Option<T>,
    ) -> Result<Option<T>, MqttError> {
        for _ in 0..READY_EVENTS_PER_CHECK {
            if let Some(value) = until(&mut self.tracker) {
                return Ok(Some(value));
            }
            self.take_cut();
            if let Some(failure) = &self.failure {
                return Err(failure.clone());
            }
            let Engine {
                runtime, eventloop, ..
            } = self;
            let runtime = runtime.as_ref().expect("runtime lives until drop");
            let polled = runtime.block_on(async {
                let mut poll = pin!(eventloop.poll());
                // The first poll registers interest; yielding lets the driver look at the
                // socket once (a zero-timeout epoll) before the second.
                for turn in 0..2 {
                    if let std::task::Poll::Ready(polled) = poll_once(poll.as_mut()).await {
                        return Some(polled);
                    }
                    if turn == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                None
            });
            match polled {
                Some(Ok(event)) => self.tracker.record(event),
                Some(Err(e)) => self.fail(e),
                None => return Ok(until(&mut self.tracker)),
            }
        }
        Ok(until(&mut self.tracker))
    }

    /// One poll that gives way as soon as `give_way` is notified (the poller's turn).
    fn poll_once_or_give_way(&mut self, give_way: &Notify) {
        if self.take_cut() {
            return;
        }
        let Engine {
            runtime, eventloop, ..
        } = self;
        let runtime = runtime.as_ref().expect("runtime lives until drop");
        let polled = runtime.block_on(async {
            tokio::select! {
                biased;
                _ = give_way.notified() => None,
                polled = eventloop.poll() => Some(polled),
            }
        });
        match polled {
            Some(Ok(event)) => self.tracker.record(event),
            Some(Err(e)) => self.fail(e),
            None => {}
        }
    }
}

impl Drop for Engine {
    /// A name lookup interrupted by Ctrl-C may still run on tokio's blocking pool; a plain
    /// drop would wait for it to finish.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Polls `future` once: its result if it is ready, else `Pending` (and it stays pollable).
async fn poll_once<F: Future + Unpin>(mut future: F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut future).poll(cx)))
        .await
}

/// A request the channel would not take: only possible if many threads queue at once.
fn queue_error(e: ClientError) -> MqttError {
    MqttError::os(super::error::EIO, format!("cannot queue the request: {e}"))
}

/// What the connection's users (the script's threads and the poller) share.
struct Shared {
    engine: Mutex<Engine>,
    /// Foreground calls waiting for or holding the engine.
    foreground: AtomicUsize,
    /// When the foreground last released the engine, in nanoseconds since `epoch`.
    last_foreground: AtomicU64,
    epoch: Instant,
    /// Asks the poller to stop polling and release the engine.
    give_way: Notify,
    closed: AtomicBool,
    /// The engine's slot for a failure from outside, reachable while the engine is busy.
    cut: Arc<Mutex<Option<MqttError>>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Engine> {
        // A panic while driving cannot leave the engine half-updated in a way that matters
        // more than losing the connection would, so a poisoned lock is taken as it is.
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> R {
        self.foreground.fetch_add(1, Ordering::SeqCst);
        self.give_way.notify_one();
        let result = f(&mut self.lock());
        let now = self.epoch.elapsed().as_nanos() as u64;
        self.last_foreground.store(now, Ordering::SeqCst);
        self.foreground.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// How long the poller should still leave the engine to the foreground.
    fn foreground_claim(&self) -> Option<Duration> {
        if self.foreground.load(Ordering::SeqCst) > 0 {
            // The foreground drives the connection itself (a `wait_msg()` may last minutes):
            // look again now and then rather than a hundred times a second.
            return Some(BUSY_FOREGROUND_RECHECK);
        }
        let last = Duration::from_nanos(self.last_foreground.load(Ordering::SeqCst));
        let idle = self.epoch.elapsed().saturating_sub(last);
        (idle < FOREGROUND_GRACE).then(|| FOREGROUND_GRACE - idle)
    }

    /// Waits (bounded) until every publish and ack queued so far is settled.
    fn flush(&self, timeout: Duration) -> Result<(), MqttError> {
        let mut never = || Ok::<(), ()>(());
        match self.settle(timeout, &mut never) {
            Ok(true) => Ok(()),
            Ok(false) => Err(MqttError::timed_out(
                "waiting for queued messages to reach the broker",
            )),
            Err(WaitError::Mqtt(e)) => Err(e),
            Err(WaitError::Interrupted(())) => unreachable!("the check never fails"),
        }
    }

    /// Drives the connection until everything queued is settled (true) or `timeout` passed
    /// (false); `check` may stop it.
    fn settle<E>(
        &self,
        timeout: Duration,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, WaitError<E>> {
        self.with_engine(|engine| {
            let deadline = Some(Instant::now() + timeout);
            let settled = engine.drive(deadline, |t| t.settled().then_some(()), check)?;
            Ok(settled.is_some())
        })
    }

    /// See [`Engine::confirm_read`]; a connection already failed has nothing to confirm.
    fn confirm_read<E>(
        &self,
        timeout: Duration,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, WaitError<E>> {
        self.with_engine(|engine| {
            if engine.failure.is_some() {
                return Ok(true);
            }
            engine.confirm_read(Instant::now() + timeout, check)
        })
    }

    fn unsettled(&self) -> usize {
        self.with_engine(|engine| {
            if engine.failure.is_some() {
                0
            } else {
                engine.tracker.unsettled()
            }
        })
    }

    /// [`Connection::disconnect`]'s exchange with the broker: what is queued, then DISCONNECT,
    /// then the broker's close. The poller is not stopped here.
    fn disconnect(&self) -> Result<(), MqttError> {
        let flushed = self.flush(FLUSH_TIMEOUT);
        let sent = self.with_engine(|engine| {
            if engine.failure.is_some() {
                return Ok(());
            }
            engine.disconnect()?;
            let deadline = Some(Instant::now() + FLUSH_TIMEOUT);
            let mut never = || Ok::<(), ()>(());
            engine
                .drive_until(
                    "disconnecting",
                    deadline,
                    |t| t.disconnect_sent().then_some(()),
                    &mut never,
                )
                .map_err(|e| match e {
                    WaitError::Mqtt(e) => e,
                    WaitError::Interrupted(()) => unreachable!("the check never fails"),
                })?;
            // The broker closes once it read the DISCONNECT (and so everything before it).
            // Closing first, with its packets still unread on our side, would send a reset
            // that can make it drop the connection unread: it would then publish the will.
            let closed = Some(Instant::now() + CLOSE_TIMEOUT);
            let _ = engine.drive(closed, |_| None::<()>, &mut never);
            Ok(())
        });
        flushed.and(sent)
    }

    fn broker(&self) -> String {
        self.with_engine(|engine| engine.broker.clone())
    }
}

fn run_poller(shared: Arc<Shared>) {
    while !shared.closed.load(Ordering::SeqCst) {
        if let Some(wait) = shared.foreground_claim() {
            thread::park_timeout(wait);
            continue;
        }
        let mut engine = shared.lock();
        if engine.failure.is_some() {
            // Nothing left to drive; the foreground reports the failure on its next call.
            drop(engine);
            thread::park_timeout(Duration::from_secs(1));
            continue;
        }
        if engine.tracker.inbox_full() {
            // Leave the socket unread until the script takes messages: TCP pushes back and
            // the broker queues (or drops) by its own rules, as for a board not reading.
            drop(engine);
            thread::park_timeout(INBOX_FULL_RECHECK);
            continue;
        }
        engine.poll_once_or_give_way(&shared.give_way);
    }
}

/// The connections a program opened, to flush when it ends (each host keeps its own).
#[derive(Default)]
pub struct OpenConnections {
    open: Mutex<Vec<Weak<Shared>>>,
}

impl std::fmt::Debug for OpenConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("OpenConnections")
            .field(
                "open",
                &open.iter().filter(|w| w.strong_count() > 0).count(),
            )
            .finish()
    }
}

impl OpenConnections {
    /// Remembers `connection` for [`cut_all`](Self::cut_all) and
    /// [`disconnect_all`](Self::disconnect_all), as long as it exists.
    pub fn track(&self, connection: &Connection) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|w| w.strong_count() > 0);
        open.push(Arc::downgrade(&connection.shared));
    }

    /// The connections that still exist (taken out of the lock, which their work must not hold).
    fn alive(&self) -> Vec<Arc<Shared>> {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Fails every open connection from outside, as a network gone dead would (the virtual
    /// board's Wi-Fi dropped): whatever drives one next reports `e`, and nothing more reaches
    /// its broker. The sockets stay open until the connections are dropped, so a broker notices
    /// only when keepalive runs out, as with a real drop.
    pub fn cut_all(&self, e: &MqttError) {
        for shared in self.alive() {
            *shared.cut.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
            shared.give_way.notify_one();
        }
    }

    /// Disconnects every connection still open, as each one's `disconnect()` would (queued
    /// messages first, then DISCONNECT, so that brokers discard the last wills): the program
    /// was stopped on purpose (SIGTERM, a service manager's stop). Returns the failures.
    pub fn disconnect_all(&self) -> Vec<MqttError> {
        let mut failures = Vec::new();
        for shared in self.alive() {
            if shared.closed.swap(true, Ordering::SeqCst) {
                continue;
            }
            if let Err(e) = shared.disconnect() {
                failures.push(e);
            }
            // Its poller sees `closed` and ends; the connection's owner joins it.
            shared.give_way.notify_one();
        }
        failures
    }

    /// Waits (bounded by [`FLUSH_TIMEOUT`] each) until every open connection has delivered
    /// what its script published. Called when the program ends, so that a script that ends
    /// right after `publish()` loses nothing. Returns the failures, with the broker they
    /// concern, or the error `check` gave to stop the wait (a second Ctrl-C). `slow` hears,
    /// once per connection, what is still to deliver when it has not settled within
    /// [`FLUSH_NOTICE_AFTER`]: its broker and how many messages.
    pub fn flush_or_stop<E>(
        &self,
        check: &mut dyn FnMut() -> Result<(), E>,
        slow: &mut dyn FnMut(&Unsettled),
    ) -> Result<Vec<MqttError>, E> {
        let mut failures = Vec::new();
        for shared in self.alive() {
            if shared.closed.load(Ordering::SeqCst) {
                continue;
            }
            let mut settled = shared.settle(FLUSH_NOTICE_AFTER, check);
            if matches!(settled, Ok(false)) {
                slow(&Unsettled {
                    broker: shared.broker(),
                    messages: shared.unsettled(),
                });
                settled = shared.settle(FLUSH_TIMEOUT - FLUSH_NOTICE_AFTER, check);
            }
            if matches!(settled, Ok(true)) {
                // Best effort: a broker that does not answer a ping within a second has
                // the acks in its socket buffer all the same.
                match shared.confirm_read(CLOSE_TIMEOUT, check) {
                    Err(WaitError::Interrupted(e)) => return Err(e),
                    Ok(_) | Err(WaitError::Mqtt(_)) => {}
                }
            }
            match settled {
                Ok(true) => {}
                Ok(false) => failures.push(
                    MqttError::timed_out("waiting for queued messages to reach the broker")
                        .at(super::error::Stage::Other, &shared.broker()),
                ),
                Err(WaitError::Mqtt(e)) => failures.push(e),
                Err(WaitError::Interrupted(e)) => return Err(e),
            }
        }
        Ok(failures)
    }
}

/// What a connection still has to deliver when the program ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    /// The broker, as messages name it (`host:port`, or a WebSocket URL).
    pub broker: String,
    /// Publishes not yet written or acknowledged, and acks not yet written.
    pub messages: usize,
}

/// An open MQTT connection.
pub struct Connection {
    shared: Arc<Shared>,
    poller: Mutex<Option<thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects (TCP and CONNACK) on the calling thread. Returns the connection and whether
    /// the broker resumed a stored session.
    pub fn open<E>(
        settings: &ClientSettings,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(Connection, bool), WaitError<E>> {
        let mut engine = Engine::new(settings)?;
        // rumqttc enforces the connect timeout itself; ours is only a backstop.
        let deadline = Instant::now() + settings.connect_timeout() + Duration::from_secs(2);
        let session_present = engine.drive_until(
            &format!("connecting to {}", settings.broker()),
            Some(deadline),
            |t| t.connack(),
            check,
        )?;

        let cut = Arc::clone(&engine.cut);
        let shared = Arc::new(Shared {
            cut,
            engine: Mutex::new(engine),
            foreground: AtomicUsize::new(0),
            last_foreground: AtomicU64::new(0),
            epoch: Instant::now(),
            give_way: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let poller = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("pymqtt-poller".into())
                .spawn(move || run_poller(shared))
                .map_err(|e| MqttError::from_local_io(&e))?
        };
        Ok((
            Connection {
                shared,
                poller: Mutex::new(Some(poller)),
            },
            session_present,
        ))
    }

    /// Queues a request (`queue` returns its ticket), then drives the connection on the
    /// calling thread until the request's outcome (its ack, or for a QoS 0 publish its
    /// writing) arrives. `what` names the wait in a timeout's message; `check` may stop it.
    pub fn request<E>(
        &self,
        what: &str,
        queue: impl FnOnce(&mut Engine) -> Result<Ticket, MqttError>,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Outcome, WaitError<E>> {
        self.with_engine(|engine| {
            let ticket = queue(engine)?;
            engine.drive_until(what, None, |t| t.take_outcome(ticket), check)
        })
    }

    /// Runs `f` with the engine held by the calling thread.
    pub fn with_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> R {
        self.shared.with_engine(f)
    }

    /// Blocks until a message arrives (or the connection fails, or `check` says stop).
    ///
    /// The wait holds the engine in turns of `MESSAGE_WAIT_TURN`, so that another thread of
    /// the script can publish on the same client meanwhile, as it could with umqtt's socket.
    pub fn wait_message<E>(
        &self,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Message, WaitError<E>> {
        loop {
            let deadline = Some(Instant::now() + MESSAGE_WAIT_TURN);
            let turn =
                self.with_engine(|engine| engine.drive(deadline, Tracker::pop_message, check))?;
            if let Some(message) = turn {
                return Ok(message);
            }
            if self.shared.foreground.load(Ordering::SeqCst) > 0 {
                // Someone else is waiting for the engine: let them have it first.
                thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// A message if one is waiting or the connection has one ready, without waiting.
    pub fn ready_message(&self) -> Result<Option<Message>, MqttError> {
        self.with_engine(|engine| engine.drive_ready(Tracker::pop_message))
    }

    /// Acknowledges `message`, which the script has handled.
    pub fn acknowledge<E>(
        &self,
        message: &Message,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(), WaitError<E>> {
        if message.qos == 0 {
            return Ok(());
        }
        self.with_engine(|engine| engine.acknowledge(message, check))
    }

    /// Waits (bounded) until every publish queued so far is settled.
    pub fn flush(&self, timeout: Duration) -> Result<(), MqttError> {
        self.shared.flush(timeout)
    }

    /// Delivers what is queued, sends DISCONNECT and closes. The broker then discards the
    /// last will. Failures are returned only after the connection is closed regardless.
    pub fn disconnect(&self) -> Result<(), MqttError> {
        let result = self.shared.disconnect();
        self.stop_poller();
        result
    }

    /// Whether `disconnect()` has been called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    fn stop_poller(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.give_way.notify_one();
        let poller = self.poller.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(poller) = poller {
            poller.thread().unpark();
            let _ = poller.join();
        }
    }
}

impl Drop for Connection {
    /// Dropping closes the socket without DISCONNECT, as a script that dies does: the broker
    /// then publishes the last will.
    fn drop(&mut self) {
        self.stop_poller();
    }
}
