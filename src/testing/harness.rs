//! One test, inside the process that runs its script (`pymqtt test` starts one such process
//! per test): a private embedded broker, an independent MQTT client on it that sends the
//! `.wire` stimuli and watches what the script publishes, the virtual board the script runs
//! on (its `board.toml`, or the default board), whose inputs the test drives and whose
//! outputs it watches, and the script itself, redirected to that broker. The verdict goes to
//! a report file for the runner.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, Incoming, MqttOptions, QoS};

use super::companions::Companion;
use super::expectations::{ExpectationCheck, Observed, Published};
use super::report_file::{HarnessReport, HowItEnded};
use super::schedule::Schedule;
use super::script_order::ScriptOrder;
use super::wire_spec::{Action, BrokerFault, Stimulus, WireSpec};
use crate::board::{Board, BoardConfig, BoardEvent};
use crate::broker::{BrokerSetup, EmbeddedBroker, Listeners, PacketWatch};
use crate::host::clock::VirtualClock;
use crate::host::{Hooks, ScriptEvent};
use crate::{BrokerAddress, ExitStatus, Host, Program};

/// How long the harness waits, after the script ended, for messages still on their way.
const SETTLE: Duration = Duration::from_secs(1);
/// How long setting up the broker and the watching client may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// The board file a test's script runs on, beside it (else the default board).
use crate::board::file::BOARD_FILE;

/// How often the harness looks at a virtual clock's time (real time).
const VIRTUAL_TURN: Duration = Duration::from_millis(2);

/// What the harness thread hears about.
enum Input {
    /// With the virtual clock's time when the script emitted it.
    Script(ScriptEvent, Option<Duration>),
    /// A message the watching client received.
    Wire(Published),
    /// The script changed an output pin's level (the board's event).
    Output {
        pin: String,
        level: u8,
    },
    WatcherFailed(String),
    ScriptEnded,
}

/// The test process's entry point (`pymqtt --harness-report FILE [--harness-wire FILE]
/// [--harness-limit SECONDS] SCRIPT [ARGS]`, as the runner starts it).
pub fn run_from_command_line(
    script_and_args: &[String],
    report: &Path,
    wire: Option<&Path>,
    limit: Option<f64>,
    virtual_clock: bool,
) -> ExitStatus {
    let mut spec = match wire.map(super::wire_spec::read).transpose() {
        Ok(spec) => spec.unwrap_or_default(),
        Err(message) => {
            HarnessReport::error(message).write(report);
            return ExitStatus::CANNOT_OPEN;
        }
    };
    spec.virtual_clock |= virtual_clock;
    let Some(script) = script_and_args.first() else {
        HarnessReport::error("no script to run".into()).write(report);
        return ExitStatus::CANNOT_OPEN;
    };
    let (spec, board) = match on_its_board(Path::new(script), spec, wire) {
        Ok(ready) => ready,
        Err(message) => {
            HarnessReport::error(message).write(report);
            return ExitStatus::CANNOT_OPEN;
        }
    };
    let limit = limit
        .and_then(|l| Duration::try_from_secs_f64(l).ok())
        .unwrap_or(super::runner::DEFAULT_LIMIT);
    run(
        Path::new(script),
        script_and_args.to_vec(),
        spec,
        Arc::new(board),
        limit,
        report,
    )
}

/// What a test's script is run as: a `main.py` with a `boot.py` beside it is a board's
/// folder, run as the board powers up (boot.py, then main.py); anything else is a script.
pub(super) fn program_of(script: &Path) -> Program {
    let folder = script.parent().unwrap_or(Path::new(""));
    let is_main = script.file_name().is_some_and(|name| name == "main.py");
    if is_main && folder.join("boot.py").is_file() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        Program::Folder(folder.to_path_buf())
    } else {
        Program::File(script.to_path_buf())
    }
}

/// The board `script` runs on (the `board.toml` beside it, else the default board), and
/// `spec` with its pins named as that board names them. The errors name the file and line.
pub(super) fn on_its_board(
    script: &Path,
    mut spec: WireSpec,
    wire: Option<&Path>,
) -> Result<(WireSpec, Board), String> {
    let folder = script.parent().unwrap_or(Path::new(""));
    let (config, which) = if let Some((config, file)) = BoardConfig::beside(folder)? {
        let which = format!("the {} of {}", config.kind.name, file.display());
        (config, which)
    } else {
        let config = BoardConfig::default();
        let which = format!(
            "the default board, a {} ({BOARD_FILE} beside it would choose another)",
            config.kind.name
        );
        (config, which)
    };
    if let Err(e) = spec.resolve_pins(config.kind) {
        let wire = wire.map(shown).unwrap_or_else(|| ".wire file".into());
        return Err(format!("{wire}: {e}: the script runs on {which}"));
    }
    Ok((spec, Board::new(config)))
}

/// `path` as the test's folder (the current one) sees it: the runner passes absolute paths.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Runs `script` as one test on `board` and writes the verdict on the wire and the board to
/// `report`. `spec`'s pins must be the board's pin ids ([`WireSpec::resolve_pins`]). Returns
/// the script's exit status (2 when the test could not be set up; the report says why).
pub fn run(
    script: &Path,
    argv: Vec<String>,
    spec: WireSpec,
    board: Arc<Board>,
    limit: Duration,
    report: &Path,
) -> ExitStatus {
    let (inputs, input_rx) = mpsc::channel();
    let setup = set_up(inputs.clone());
    let (broker, watcher, watcher_id) = match setup {
        Ok(ready) => ready,
        Err(message) => {
            HarnessReport::error(message).write(report);
            return ExitStatus::CANNOT_OPEN;
        }
    };
    let clock = spec.virtual_clock.then(|| Arc::new(VirtualClock::new()));
    let script_events = inputs.clone();
    let event_clock = clock.clone();
    let hooks = Hooks::new(move |event| {
        // Counted before it is sent: the clock waits until the harness has taken it in.
        let at = event_clock.as_ref().map(|clock| {
            clock.event_sent();
            clock.now()
        });
        let _ = script_events.send(Input::Script(event, at));
    });
    // Through the same channel as the script's events, which come from the same thread: the
    // harness hears of its pin changes and its publishes in the order it made them.
    let outputs = inputs.clone();
    board.listen(move |event| {
        if let BoardEvent::Output { pin, level } = event {
            let _ = outputs.send(Input::Output {
                pin: pin.clone(),
                level: *level,
            });
        }
    });

    let start = Instant::now();
    let mut session = Session {
        schedule: Schedule::new(&spec.stimuli, start),
        order: ScriptOrder::new(),
        check: ExpectationCheck::new(&spec.expects),
        ends_when_done: spec.has_wire_activity(),
        watcher,
        watcher_id,
        broker: broker.clone(),
        folder: match script.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
            _ => PathBuf::from("."),
        },
        companions: Vec::new(),
        board: Arc::clone(&board),
        echoes: VecDeque::new(),
        announced: 0,
        seen: 0,
        failures: Vec::new(),
        report: report.to_path_buf(),
        hooks: hooks.clone(),
        clock: clock.clone(),
        holding_since: None,
        released: 0,
        start,
    };
    // What is due at the start (retained messages, say) is at the broker before the
    // script runs, so the script finds it whatever it does first.
    if let Err(message) = session.send_due(start, &input_rx) {
        HarnessReport::error(message).write(report);
        return ExitStatus::CANNOT_OPEN;
    }

    let deadline = start + limit;
    let referee = thread::Builder::new()
        .name("pymqtt-test-harness".into())
        .spawn(move || session.referee(input_rx, deadline));
    let Ok(referee) = referee else {
        HarnessReport::error("cannot start the harness thread".into()).write(report);
        return ExitStatus::CANNOT_OPEN;
    };

    let mut host = Host::builder()
        .argv(argv)
        .broker(BrokerAddress::tcp(
            broker.addr().ip().to_string(),
            broker.addr().port(),
        ))
        .hooks(hooks)
        .board(board);
    if let Some(clock) = clock {
        host = host.virtual_clock(clock);
    }
    let host = host.build();
    let status = host.run(&program_of(script));
    let _ = inputs.send(Input::ScriptEnded);
    if referee.join().is_err() {
        HarnessReport::error("the harness thread panicked".into()).write(report);
    }
    status
}

/// Starts the private broker and the watching client, subscribed to everything.
fn set_up(inputs: Sender<Input>) -> Result<(EmbeddedBroker, Client, String), String> {
    let watcher_id = format!("pymqtt-test-harness-{}", std::process::id());
    // What clients publish, as they send it: the watcher's copies carry the QoS of its
    // subscription and the broker's retain flag, not the script's.
    let sent: Arc<Mutex<VecDeque<Published>>> = Arc::default();
    let watch: PacketWatch = {
        let sent = Arc::clone(&sent);
        let watcher_id = watcher_id.clone();
        Arc::new(move |client: &str, packet: &rumqttc::Packet| {
            if let rumqttc::Packet::Publish(p) = packet
                && client != watcher_id
            {
                sent.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(Published {
                        topic: p.topic.clone(),
                        payload: p.payload.to_vec(),
                        qos: p.qos as u8,
                        retain: p.retain,
                    });
            }
        })
    };
    let mut setup = BrokerSetup::loopback(Listeners {
        mqtt: 0,
        websocket: None,
    });
    setup.watch = Some(watch);
    let broker = EmbeddedBroker::start_setup(setup).map_err(|e| e.to_string())?;
    let addr = broker.addr();
    let mut options = MqttOptions::new(watcher_id.clone(), addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(
        crate::mqtt::limits::MAX_PACKET_SIZE,
        crate::mqtt::limits::MAX_PACKET_SIZE,
    );
    let (client, mut connection) = Client::new(options, 1000);
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::Builder::new()
        .name("pymqtt-test-watcher".into())
        .spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        let _ = ready_tx.send(());
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let mut sent = sent.lock().unwrap_or_else(|e| e.into_inner());
                        let as_sent = sent
                            .iter()
                            .position(|m| m.topic == p.topic && m.payload == p.payload);
                        let message = match as_sent.and_then(|at| sent.remove(at)) {
                            Some(message) => message,
                            None => Published {
                                topic: p.topic,
                                payload: p.payload.to_vec(),
                                qos: p.qos as u8,
                                retain: p.retain,
                            },
                        };
                        drop(sent);
                        if inputs.send(Input::Wire(message)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = inputs.send(Input::WatcherFailed(e.to_string()));
                        return;
                    }
                }
            }
        })
        .map_err(|e| format!("cannot start the watching client: {e}"))?;
    // QoS 2, so the script's own QoS decides what the watcher sees.
    client
        .subscribe("#", QoS::ExactlyOnce)
        .map_err(|e| format!("the watching client cannot subscribe: {e}"))?;
    ready_rx
        .recv_timeout(SETUP_TIMEOUT)
        .map_err(|_| format!("the test broker on {addr} did not accept the watching client"))?;
    Ok((broker, client, watcher_id))
}

struct Session {
    schedule: Schedule,
    /// What the script did, put in the order it did it before it is judged.
    order: ScriptOrder,
    check: ExpectationCheck,
    /// Stop the script once everything happened (only tests that declared something).
    ends_when_done: bool,
    watcher: Client,
    /// The watcher's client id: broker faults leave its connection alone.
    watcher_id: String,
    /// The test broker, for `broker restart`, `broker down`, `drop` and `withhold acks`.
    broker: EmbeddedBroker,
    /// The test's folder, where `run` finds the other scripts.
    folder: PathBuf,
    /// The other scripts `run` lines started.
    companions: Vec<Companion>,
    /// The script's board: where `pin`, `adc`, `sensor` and `wifi` stimuli go.
    board: Arc<Board>,
    /// Stimuli sent whose copy has not come back to the watcher yet (it sees everything,
    /// its own messages too): those copies are not the script's.
    echoes: VecDeque<(String, Vec<u8>)>,
    /// Messages the script said it published, and those of them the watcher has seen.
    announced: usize,
    seen: usize,
    failures: Vec<String>,
    report: PathBuf,
    /// The script's host's hooks: how the test asks the script to stop.
    hooks: Hooks,
    /// The script's virtual clock (`clock virtual`): stimuli and the limit follow it.
    clock: Option<Arc<VirtualClock>>,
    /// With a virtual clock: since when the script's publishes hold it (their copies not come
    /// or not judged yet).
    holding_since: Option<Instant>,
    /// How many of the script's publishes no longer hold the clock.
    released: usize,
    start: Instant,
}

impl Session {
    /// Does what is due now and waits until the broker routed what it published (its copy
    /// came back).
    fn send_due(&mut self, now: Instant, inputs: &Receiver<Input>) -> Result<(), String> {
        let due = self.schedule.take_due(now);
        self.apply(due);
        let deadline = Instant::now() + SETUP_TIMEOUT;
        while !self.echoes.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match inputs.recv_timeout(left) {
                Ok(input) => self.take(input, Instant::now()),
                Err(_) => return Err("the test broker did not route the first messages".into()),
            }
            if let Some(failure) = self.failures.first() {
                return Err(failure.clone());
            }
        }
        Ok(())
    }

    /// Publishes the messages among `due` and does the rest to the board, in order.
    fn apply(&mut self, due: Vec<Stimulus>) {
        for stimulus in due {
            match &stimulus.action {
                Action::Send(message) => {
                    let qos = match message.qos {
                        0 => QoS::AtMostOnce,
                        1 => QoS::AtLeastOnce,
                        _ => QoS::ExactlyOnce,
                    };
                    self.echoes
                        .push_back((message.topic.clone(), message.payload.clone()));
                    let sent = self.watcher.publish(
                        message.topic.clone(),
                        qos,
                        message.retain,
                        message.payload.clone(),
                    );
                    if let Err(e) = sent {
                        self.failures
                            .push(format!("line {}: could not send: {e}", stimulus.line));
                    }
                }
                Action::Pin { pin, level } => self.board.set_input(pin, *level),
                Action::Adc { pin, value } => self.board.set_adc(pin, *value),
                Action::Sensor {
                    driver,
                    pin,
                    readings,
                } => {
                    // The key the sensor drivers read by, as board files name sensors.
                    let device = format!("{driver}:{pin}");
                    for (quantity, value) in readings {
                        self.board.set_sensor(&device, quantity, *value);
                    }
                }
                Action::WifiDrop(length) => self.board.wifi_drop(*length),
                Action::Broker(fault) => match fault {
                    BrokerFault::Restart => {
                        self.broker.restart(&self.watcher_id);
                        self.schedule.connections_cut(true);
                    }
                    BrokerFault::Down(length) => {
                        self.broker.faults().down(*length, &self.watcher_id);
                        self.schedule.connections_cut(false);
                    }
                    BrokerFault::Drop => {
                        self.broker.faults().drop_clients(&self.watcher_id);
                        self.schedule.connections_cut(false);
                    }
                    BrokerFault::WithholdAcks(length) => {
                        self.broker.faults().withhold_acks(*length);
                    }
                },
                Action::Run { script, args } => {
                    let addr = self.broker.addr();
                    match Companion::start(&self.folder, script, args, &addr.to_string()) {
                        Ok(companion) => self.companions.push(companion),
                        Err(e) => self.failures.push(format!("line {}: {e}", stimulus.line)),
                    }
                }
            }
        }
    }

    /// The time stimuli and the limit follow: the virtual clock's, or the real one.
    fn schedule_now(&self) -> Instant {
        match &self.clock {
            Some(clock) => self.start + clock.now(),
            None => Instant::now(),
        }
    }

    fn take(&mut self, input: Input, now: Instant) {
        match input {
            Input::Script(event, at) => {
                if let ScriptEvent::Published { topic, .. } = &event {
                    self.announced += 1;
                    self.order.announced(topic, now);
                }
                // A trigger's delay counts from when the script did it, on its clock.
                let when = at.map_or(now, |at| self.start + at);
                self.schedule.on_event(&event, when);
                if let Some(clock) = &self.clock {
                    if matches!(event, ScriptEvent::Published { .. }) {
                        // The clock waits for its copy to be judged: the test may be over
                        // (the referee lets it go, see `release_judged`).
                        self.holding_since.get_or_insert(now);
                    } else {
                        clock.event_taken();
                    }
                }
            }
            Input::Output { pin, level } => self.order.output(&pin, level),
            Input::Wire(message) => {
                let echo = self.echoes.iter().position(|(topic, payload)| {
                    *topic == message.topic && *payload == message.payload
                });
                match echo {
                    Some(at) => {
                        self.echoes.remove(at);
                    }
                    None => {
                        self.seen += 1;
                        self.schedule.on_script_published(&message.topic);
                        self.order.arrived(message);
                    }
                }
            }
            Input::WatcherFailed(e) => self
                .failures
                .push(format!("the watching client lost the test broker: {e}")),
            Input::ScriptEnded => {}
        }
        self.judge(now);
    }

    /// Lets the virtual clock go on past the script's publishes whose copies came and were
    /// judged (or, after [`super::script_order::LOST_AFTER`], that were given up as lost).
    fn release_judged(&mut self, now: Instant) {
        let Some(clock) = &self.clock else {
            return;
        };
        let lost = self
            .holding_since
            .is_some_and(|since| now >= since + super::script_order::LOST_AFTER);
        let judged = if lost {
            self.announced
        } else {
            self.announced.min(self.seen)
        };
        for _ in self.released..judged {
            clock.event_taken();
        }
        self.released = self.released.max(judged);
        if self.released >= self.announced {
            self.holding_since = None;
        }
    }

    /// Passes what the script did, in its order, to the check as soon as it can be judged.
    fn judge(&mut self, now: Instant) {
        for observed in self.order.release(now) {
            self.check.observe(observed);
        }
    }

    fn done(&self) -> bool {
        self.schedule.finished() && self.check.met()
    }

    /// Runs while the script runs: sends stimuli when due, watches the script's messages,
    /// asks the script to stop when the test is over, and writes the report.
    fn referee(mut self, inputs: Receiver<Input>, deadline: Instant) {
        let mut ended = None;
        let mut script_ended_at = None;
        loop {
            let now = Instant::now();
            let schedule_now = self.schedule_now();
            let due = self.schedule.take_due(schedule_now);
            self.apply(due);
            // A message lost on its way stops holding back what the script did after it.
            self.judge(now);

            let failing = !self.failures.is_empty() || self.check.failed();
            if ended.is_none() {
                if self.ends_when_done && (self.done() || failing) {
                    ended = Some(HowItEnded::Done);
                    self.hooks.request_stop();
                } else if schedule_now >= deadline {
                    ended = Some(HowItEnded::Limit);
                    self.hooks.request_stop();
                    // Written now too: if the script never stops, the runner kills it and
                    // still learns what the test was waiting for.
                    let report = self.report(HowItEnded::Limit);
                    report.write(&self.report);
                }
            }
            // Judged, and the test's end decided: the clock may go on past those messages.
            self.release_judged(now);
            if let Some(at) = script_ended_at {
                // What the script published just before it ended may still be on its way
                // to the watcher: judge it too (a message too many fails the test).
                let all_seen = self.seen >= self.announced;
                if !self.ends_when_done || all_seen || now >= at + SETTLE {
                    break;
                }
            }

            let mut wait = Duration::from_millis(100);
            if let Some(next) = self.schedule.next_due(schedule_now) {
                wait = wait.min(next);
            }
            if ended.is_none() {
                wait = wait.min(deadline.saturating_duration_since(schedule_now));
            }
            if let Some(clock) = &self.clock {
                // The clock may jump to what is due next: a stimulus, or the limit.
                let since_start = schedule_now - self.start;
                let mut next = self
                    .schedule
                    .next_due(schedule_now)
                    .map(|left| since_start + left);
                if ended.is_none() {
                    let limit = deadline - self.start;
                    next = Some(next.map_or(limit, |n| n.min(limit)));
                }
                if !self.echoes.is_empty() {
                    // A message sent is on its way through the broker: it arrives now, not
                    // after the clock's next jump.
                    next = Some(since_start);
                }
                clock.set_next_due(next);
                clock.set_undelivered(self.schedule.undelivered());
                // Its time passes only while the script waits: look again soon.
                wait = VIRTUAL_TURN;
            }
            match inputs.recv_timeout(wait) {
                Ok(Input::ScriptEnded) => {
                    script_ended_at = Some(Instant::now());
                    if ended.is_none() {
                        ended = Some(HowItEnded::Exited);
                    }
                }
                Ok(input) => self.take(input, Instant::now()),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        for observed in self.order.finish() {
            self.check.observe(observed);
        }
        let mut report = self.report(ended.unwrap_or(HowItEnded::Exited));
        for companion in std::mem::take(&mut self.companions) {
            report.others.extend(companion.finish());
        }
        report.write(&self.report);
    }

    fn report(&mut self, ended: HowItEnded) -> HarnessReport {
        let mut failures = self.failures.clone();
        failures.extend(self.companions.iter_mut().filter_map(Companion::failure));
        failures.extend(self.check.problems().iter().cloned());
        let mut pending = self.schedule.pending();
        pending.extend(self.check.missing());
        HarnessReport {
            ended,
            failures,
            pending,
            observed: self
                .check
                .observed()
                .iter()
                .map(|observed| match observed {
                    Observed::Message(_) => format!("published: {}", observed.describe()),
                    Observed::Output { .. } => format!("board: {}", observed.describe()),
                })
                .collect(),
            others: Vec::new(),
        }
    }
}
