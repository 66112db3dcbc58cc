//! The board provided by the application (`Board::with_hardware`), as an embedder uses it:
//! a script's `Pin`, `PWM`, `ADC`, `dht`, `I2C` and `SPI` calls reach the application's
//! drivers, its readings come back, what it leaves out stays the virtual board's, its
//! network going down is the script's Wi-Fi going down, and the board still reports every
//! change to its watchers.

#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pymqtt::board::i2c::Nack;
use pymqtt::board::pins::{Mode, Pull};
use pymqtt::board::{Board, BoardConfig, Hardware};
use pymqtt::{ExitStatus, Host, Program};

/// A gateway's parts: a relay on pin 5, a door contact on pin 6, a fan on PWM 15, a mains
/// meter on ADC 26, a humidity sensor (its DHT on pin 4), a device at I2C 0x48, a network.
#[derive(Default)]
struct Gateway {
    calls: Mutex<Vec<String>>,
    door_open: AtomicBool,
    network_down: AtomicBool,
}

impl Gateway {
    fn log(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

impl Hardware for Gateway {
    fn pin_setup(&self, pin: &str, mode: Option<Mode>, pull: Option<Pull>) {
        self.log(format!("setup {pin} {mode:?} {pull:?}"));
    }
    fn pin_write(&self, pin: &str, level: u8) {
        self.log(format!("write {pin} {level}"));
    }
    fn pin_read(&self, pin: &str) -> Option<u8> {
        (pin == "6").then(|| u8::from(self.door_open.load(Ordering::SeqCst)))
    }
    fn pwm(&self, pin: &str, duty_u16: u16, freq: u32) {
        self.log(format!("pwm {pin} {duty_u16} {freq}"));
    }
    fn adc_read_u16(&self, pin: &str) -> Option<u16> {
        (pin == "26").then_some(41_000)
    }
    fn sensor(&self, device: &str, quantity: &str) -> Option<f64> {
        (device == "dht:4" && quantity == "humidity").then_some(63.5)
    }
    fn i2c_scan(&self) -> Option<Vec<u8>> {
        Some(vec![0x48])
    }
    fn i2c_write(&self, address: u8, data: &[u8]) -> Option<Result<(), Nack>> {
        self.log(format!("i2c write {address:#x} {data:?}"));
        Some(if address == 0x48 { Ok(()) } else { Err(Nack) })
    }
    fn i2c_read(&self, address: u8, n: usize) -> Option<Result<Vec<u8>, Nack>> {
        Some(if address == 0x48 {
            Ok(vec![0x19; n])
        } else {
            Err(Nack)
        })
    }
    fn spi_transfer(&self, write: &[u8]) -> Option<Vec<u8>> {
        Some(write.iter().map(|b| b ^ 0xFF).collect())
    }
    fn network_up(&self) -> Option<bool> {
        Some(!self.network_down.load(Ordering::SeqCst))
    }
}

fn run(board: Board, script: &str) -> (ExitStatus, String) {
    let printed = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&printed);
    let host = Host::builder()
        .board(Arc::new(board))
        .output(move |_, text| sink.lock().unwrap().push_str(text))
        .build();
    let status = host.run(&Program::Source(script.into()));
    let printed = printed.lock().unwrap().clone();
    (status, printed)
}

#[test]
fn a_scripts_pins_sensors_and_buses_reach_the_applications_drivers() {
    let gateway = Arc::new(Gateway::default());
    // Closed: the contact reads 0, where the pull-up alone would read 1.
    gateway.door_open.store(false, Ordering::SeqCst);
    let board = Board::new(BoardConfig::default()).with_hardware(gateway.clone());
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    board.listen(move |event| seen.lock().unwrap().push(event.to_string()));

    let script = r#"
from machine import Pin, PWM, ADC, I2C, SPI
import dht
relay = Pin(5, Pin.OUT, value=0)
relay.on()
door = Pin(6, Pin.IN, Pin.PULL_UP)
print("door", door.value())
print("unwired", Pin(7, Pin.IN, Pin.PULL_UP).value())
PWM(Pin(15), freq=25000, duty_u16=32768)
print("meter", ADC(26).read_u16(), "other", ADC(27).read_u16())
sensor = dht.DHT22(Pin(4))
sensor.measure()
print("humidity", sensor.humidity(), "temperature", sensor.temperature())
i2c = I2C(0)
print("scan", i2c.scan())
i2c.writeto(0x48, b"\x01")
print("read", list(i2c.readfrom(0x48, 2)))
try:
    i2c.writeto(0x50, b"\x00")
except OSError as e:
    print("nack", e.errno)
print("spi", list(SPI(0).read(2, 0x0F)))
"#;
    let (status, output) = run(board, script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    for line in [
        "door 0",
        "unwired 1",
        "meter 41000 other 32768",
        // The application's humidity; the temperature it left to the virtual board.
        "humidity 63.5 temperature 21.5",
        "scan [72]",
        "read [25, 25]",
        "nack 19",
        "spi [240, 240]",
    ] {
        assert!(output.lines().any(|l| l == line), "{line:?} in:\n{output}");
    }
    let calls = gateway.calls.lock().unwrap().clone();
    for call in [
        "setup 5 Some(Out) None",
        "write 5 0",
        "write 5 1",
        "setup 6 Some(In) Some(Up)",
        "pwm 15 32768 25000",
        "i2c write 0x48 [1]",
    ] {
        assert!(calls.iter().any(|c| c == call), "{call:?} in {calls:?}");
    }
    // The board kept and reported what the script did, as it does without hardware.
    let events = events.lock().unwrap().clone();
    assert!(events.iter().any(|e| e == "pin 5 = 1"), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("pin 15 pwm duty_u16=32768")),
        "{events:?}"
    );
}

#[test]
fn the_applications_network_down_is_the_scripts_wifi_down() {
    let gateway = Arc::new(Gateway::default());
    let board = Board::new(BoardConfig::default()).with_hardware(gateway.clone());
    let script = r#"
import network, time
wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect("home", "pw")
while not wlan.isconnected():
    time.sleep_ms(10)
print("up")
import _board_test
_board_test.take_network()
print("after", wlan.isconnected())
from umqtt.simple import MQTTClient
try:
    MQTTClient("gw", "127.0.0.1", port=1).connect()
except OSError as e:
    print("connect", e.errno)
"#;
    let taker = Arc::clone(&gateway);
    let printed = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&printed);
    let host = Host::builder()
        .board(Arc::new(board))
        .function("_board_test.take_network", move || {
            taker.network_down.store(true, Ordering::SeqCst)
        })
        .output(move |_, text| sink.lock().unwrap().push_str(text))
        .build();
    let status = host.run(&Program::Source(script.into()));
    let output = printed.lock().unwrap().clone();
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert!(output.contains("up\nafter False\n"), "{output}");
    // EHOSTUNREACH: what a board's connect() raises with its Wi-Fi down.
    assert!(output.contains("connect 113"), "{output}");
}
