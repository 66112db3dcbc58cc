//! A gateway in the small: it runs the MicroPython MQTT scripts named on its command line side
//! by side, each on a thread of its own, against an MQTT broker embedded in the process. The
//! scripts get a module of the gateway's, `gateway`: `gateway.sensor(name)` reads a value the
//! gateway updates every second (`temperature`, `humidity`, `uptime`), `gateway.log(message)`
//! writes to the gateway's log. Their boards are the gateway's: `Pin(5)` is its relay, whose
//! switching it logs (`relay on`), and the rest of the board is virtual. Every message they publish is printed on stdout as
//! `TOPIC PAYLOAD`; what they print goes to stderr after their name. Ctrl-C stops them all,
//! each at its next wait (its `finally` blocks run), and the gateway exits with 130.
//!
//! ```text
//! cargo run --release --example gateway -- a.py b.py
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pymqtt::board::{Board, BoardConfig, Hardware};
use pymqtt::broker::EmbeddedBroker;
use pymqtt::{BrokerAddress, ExitStatus, Host, Program, ScriptHandle};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use rustpython_vm::{PyResult, VirtualMachine};

/// How long a script has to end after Ctrl-C before the gateway gives up on it.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let scripts: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if scripts.is_empty() {
        eprintln!("usage: gateway SCRIPT.py [SCRIPT.py ...]");
        return ExitCode::from(2);
    }
    let broker = match EmbeddedBroker::start(0) {
        Ok(broker) => broker,
        Err(e) => {
            eprintln!("gateway: cannot start the broker: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!("gateway: broker on {}", broker.addr());
    watch_messages(broker.addr().port());

    let sensors = Sensors::start();
    pymqtt::tools::interrupt::install();
    let mut running: Vec<(String, ScriptHandle)> = Vec::new();
    for script in scripts {
        let name = script.display().to_string();
        match script_host(&name, &broker, &sensors)
            .build()
            .spawn(Program::File(script))
        {
            Ok(handle) => running.push((name, handle)),
            Err(e) => eprintln!("gateway: cannot start {name}: {e}"),
        }
    }

    // Until every script has ended, or Ctrl-C.
    while running.iter().any(|(_, handle)| !handle.is_finished()) {
        if pymqtt::tools::interrupt::requested() {
            eprintln!("gateway: stopping");
            for (name, handle) in &mut running {
                if handle.stop(STOP_TIMEOUT).is_none() {
                    eprintln!("gateway: {name} did not stop within {STOP_TIMEOUT:?}");
                }
            }
            return ExitCode::from(ExitStatus::INTERRUPTED.code() as u8);
        }
        thread::sleep(Duration::from_millis(50));
    }
    let mut worst = ExitStatus::SUCCESS;
    for (name, handle) in &mut running {
        let status = handle.join();
        eprintln!("gateway: {name} ended with status {}", status.code());
        if status != ExitStatus::SUCCESS {
            worst = status;
        }
    }
    ExitCode::from(worst.code().clamp(0, 255) as u8)
}

/// A script's host: the gateway's broker, its `gateway` module, its output after its name.
fn script_host(name: &str, broker: &EmbeddedBroker, sensors: &Sensors) -> pymqtt::HostBuilder {
    let address = BrokerAddress::tcp("127.0.0.1", broker.addr().port());
    let read = sensors.clone();
    let (log_name, out_name) = (name.to_string(), name.to_string());
    let relay = Arc::new(Relay {
        script: name.to_string(),
    });
    let board = Board::new(BoardConfig::default()).with_hardware(relay);
    Host::builder()
        .argv(vec![name.to_string()])
        .broker(address)
        .board(Arc::new(board))
        .function(
            "gateway.sensor",
            move |sensor: String, vm: &VirtualMachine| -> PyResult<f64> {
                read.value(&sensor).ok_or_else(|| {
                    vm.new_key_error(vm.ctx.new_str(format!("no sensor {sensor:?}")).into())
                })
            },
        )
        .function("gateway.log", move |message: String| {
            eprintln!("[{log_name}] {message}");
        })
        .output({
            // A print arrives in pieces (its arguments, then the newline): whole lines only.
            let pending = Mutex::new(String::new());
            move |_stream, text| {
                let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
                pending.push_str(text);
                while let Some(end) = pending.find('\n') {
                    eprintln!("{out_name}: {}", &pending[..end]);
                    pending.drain(..=end);
                }
            }
        })
}

/// The gateway's relay, on pin 5 of each script's board; a real gateway would switch its
/// driver here.
struct Relay {
    script: String,
}

impl Hardware for Relay {
    fn pin_write(&self, pin: &str, level: u8) {
        if pin == "5" {
            let state = if level == 1 { "on" } else { "off" };
            eprintln!("[{}] relay {state}", self.script);
        }
    }
}

/// Prints every message published on the broker as `TOPIC PAYLOAD`, from a client of the
/// gateway's own subscribed to `#`; returns once the subscription is in place, so that no
/// script's first message is missed.
fn watch_messages(port: u16) {
    let (client, mut connection) = Client::new(MqttOptions::new("gateway", "127.0.0.1", port), 64);
    let (subscribed, ready) = mpsc::channel();
    thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.subscribe("#", QoS::AtMostOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = subscribed.send(());
                }
                Ok(Event::Incoming(Packet::Publish(message))) => {
                    println!(
                        "{} {}",
                        message.topic,
                        String::from_utf8_lossy(&message.payload)
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("gateway: watching the broker: {e}");
                    thread::sleep(Duration::from_secs(1));
                }
            }
        }
    });
    if ready.recv_timeout(Duration::from_secs(10)).is_err() {
        eprintln!("gateway: warning: not watching messages (no subscription after 10 s)");
    }
}

/// The gateway's readings, updated every second by a thread of its own.
#[derive(Clone)]
struct Sensors(Arc<Mutex<BTreeMap<&'static str, f64>>>);

impl Sensors {
    fn start() -> Sensors {
        let sensors = Sensors(Arc::default());
        let started = Instant::now();
        let update = sensors.clone();
        update.update(0.0);
        thread::spawn(move || {
            loop {
                thread::sleep(Duration::from_secs(1));
                update.update(started.elapsed().as_secs_f64());
            }
        });
        sensors
    }

    /// Readings at `t` seconds: a slow swing in temperature and humidity, and the uptime.
    fn update(&self, t: f64) {
        let mut values = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let round = |x: f64| (x * 10.0).round() / 10.0;
        values.insert("temperature", round(21.0 + 2.0 * (t / 30.0).sin()));
        values.insert("humidity", round(45.0 + 5.0 * (t / 45.0).cos()));
        values.insert("uptime", t.floor());
    }

    fn value(&self, name: &str) -> Option<f64> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied()
    }
}
