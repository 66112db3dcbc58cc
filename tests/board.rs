//! Board scripts, written as they are for a Pico W or an ESP32, run unchanged on the virtual
//! board: Wi-Fi connect loops, sensors, the LED, `boot.py` then `main.py`, `machine.reset()`
//! after an error, timers that fire while the script computes. Checked on the wire with an
//! independent client against mosquitto, and on the board's trace.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::processes::Pymqtt;
use support::scripts::{TempDir, fill, unique_id};

const RUN: Duration = Duration::from_secs(30);

const BOARD: &str = r#"kind = "pico_w"
unique_id = "e6614c311b3f6b2a"

[wifi]
connect_time = 0.4
networks = [{ ssid = "home", password = "secret", rssi = -48 }]

[sensors."dht:4"]
temperature = [20.5, 21.0]
humidity = 40
"#;

/// boot.py joins the Wi-Fi and names the client; main.py (which relies on boot.py's names)
/// publishes two DHT22 readings as JSON, then lights the LED on command and says so.
#[test]
fn boot_and_main_run_as_a_board_powers_up() {
    let broker = Mosquitto::start();
    let topic = unique_id("pico");
    let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
    peer.subscribe(&format!("{topic}/#"), QoS::AtLeastOnce);

    let dir = TempDir::new("board-folder");
    dir.write("board.toml", BOARD);
    dir.write(
        "boot.py",
        r#"import network, time, machine, ubinascii
wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect("home", "secret")
waited = 0
while not wlan.isconnected():
    time.sleep(0.1)
    waited += 1
print("wifi", wlan.status() == 3, waited >= 3, wlan.status("rssi"))
CLIENT_ID = ubinascii.hexlify(machine.unique_id())
"#,
    );
    dir.write(
        "main.py",
        fill(
            r#"import json, time, dht
from machine import Pin
from umqtt.simple import MQTTClient
led = Pin("LED", Pin.OUT)
sensor = dht.DHT22(Pin(4))
commands = []
client = MQTTClient(CLIENT_ID, "broker.example", keepalive=30)
client.set_callback(lambda t, m: commands.append(m))
client.connect()
client.subscribe(b"@T@/led")
for _ in range(2):
    sensor.measure()
    reading = {"id": CLIENT_ID.decode(), "t": sensor.temperature(), "h": sensor.humidity()}
    client.publish(b"@T@/dht", json.dumps(reading), qos=1)
print("published", flush=True)
while not commands:
    client.wait_msg()
led.value(commands[0] == b"on")
client.publish(b"@T@/state", b"led %d" % led.value(), qos=1)
client.disconnect()
"#,
            &[("T", &topic)],
        ),
    );
    let mut p = Pymqtt::new()
        .args([
            "--broker",
            &format!("127.0.0.1:{}", broker.port()),
            "--board-trace",
        ])
        .arg(dir.path())
        .spawn();
    p.expect_stdout("wifi True True -48");
    p.expect_stdout("published");
    let readings: Vec<String> = (0..2)
        .map(|_| text(&peer.expect_publish("a DHT reading")))
        .collect();
    assert_eq!(
        readings,
        [
            r#"{"id": "e6614c311b3f6b2a", "t": 20.5, "h": 40.0}"#,
            r#"{"id": "e6614c311b3f6b2a", "t": 21.0, "h": 40.0}"#,
        ]
    );
    peer.publish(&format!("{topic}/led"), "on", QoS::AtLeastOnce, false);
    loop {
        let message = peer.expect_publish("the LED's state");
        if message.topic.ends_with("/state") {
            assert_eq!(text(&message), "led 1");
            break;
        }
    }
    let status = p.wait_exit(RUN);
    let stderr = p.stderr();
    assert!(status.success(), "{}", p.describe());
    assert!(stderr.contains("board: wifi connected to home"), "{stderr}");
    assert!(stderr.contains("board: pin LED = 1"), "{stderr}");
}

/// Without the Wi-Fi a board script's connect() fails as on the board; the script resets the
/// board, as such scripts do, and the second time round (reset_cause() says why) it joins
/// first and gets through.
#[test]
fn machine_reset_after_an_error_starts_the_script_again() {
    let broker = Mosquitto::start();
    let topic = unique_id("reset");
    let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
    peer.subscribe(&topic, QoS::AtLeastOnce);
    let dir = TempDir::new("board-reset");
    let script = fill(
        r#"import machine, network, time
from umqtt.simple import MQTTClient
wlan = network.WLAN(network.STA_IF)
if machine.reset_cause() == machine.HARD_RESET:
    wlan.active(True)
    wlan.connect("any network", "any password")
    while not wlan.isconnected():
        time.sleep(0.05)
client = MQTTClient("resetting", "broker.example")
try:
    client.connect()
except OSError as e:
    print("connect failed:", e, flush=True)
    machine.reset()
client.publish(b"@T@", b"after reset %d" % machine.reset_cause(), qos=1)
client.disconnect()
"#,
        &[("T", &topic)],
    );
    let done = Pymqtt::script(&dir, "reset.py", &script)
        .pre_args(["--broker", &format!("127.0.0.1:{}", broker.port())])
        .run(RUN);
    done.assert_code(0);
    // The server named is the script's own, as on the board.
    done.assert_stdout_has_line(
        "connect failed: [Errno 113] cannot reach broker.example:1883: the board's Wi-Fi is \
         not connected",
    );
    assert_eq!(
        text(&peer.expect_publish("the publish after the reset")),
        "after reset 2"
    );
}

/// Wrong password and unknown network end in the port's status numbers; scan() sees the
/// declared networks; os.uname() and unique_id() are the declared ESP32's.
#[test]
fn wifi_failures_report_the_ports_status_numbers() {
    let dir = TempDir::new("board-wifi");
    dir.write(
        "board.toml",
        "kind = \"esp32\"\n[wifi]\nconnect_time = 0.1\nnetworks = [{ ssid = \"home\", \
         password = \"secret\" }, { ssid = \"guest\" }]\n",
    );
    let done = Pymqtt::script(
        &dir,
        "wifi.py",
        r#"import network, time
wlan = network.WLAN(network.STA_IF)
wlan.active(True)
for ssid, key in (("home", "guess"), ("cafe", "x"), ("guest", None), ("home", "secret")):
    wlan.connect(ssid, key)
    print(ssid, wlan.status() == network.STAT_CONNECTING, end=" ")
    time.sleep(0.2)
    print(wlan.status(), wlan.isconnected())
print(sorted(n[0] for n in wlan.scan()))
print(network.STAT_GOT_IP, network.STAT_WRONG_PASSWORD, network.STAT_NO_AP_FOUND)
import os, machine
print(os.uname().sysname, os.uname().machine, len(machine.unique_id()))
"#,
    )
    .run(RUN);
    done.assert_code(0);
    for line in [
        "home True 202 False",
        "cafe True 201 False",
        "guest True 1010 True",
        "home True 1010 True",
        "[b'guest', b'home']",
        "1010 202 201",
        "esp32 Generic ESP32 module with ESP32 6",
    ] {
        done.assert_stdout_has_line(line);
    }
}

/// A timer's callback runs between the script's bytecodes while it computes (no sleep, no
/// wait), as MicroPython's soft interrupts do; an exception in one is printed and the script
/// goes on.
#[test]
fn timer_callbacks_run_while_the_script_computes() {
    let dir = TempDir::new("board-timer");
    let done = Pymqtt::script(
        &dir,
        "timer.py",
        r#"import machine, time
ticks = []
def tick(timer):
    ticks.append(time.ticks_ms())
    if len(ticks) == 2:
        raise ValueError("second tick")
t = machine.Timer(period=20, mode=machine.Timer.PERIODIC, callback=tick)
deadline = time.ticks_add(time.ticks_ms(), 600)
n = 0
while time.ticks_diff(deadline, time.ticks_ms()) > 0:
    n += 1
t.deinit()
print("ticks while computing:", len(ticks) >= 10)
one = []
machine.Timer(period=10, mode=machine.Timer.ONE_SHOT, callback=lambda t: one.append(1))
time.sleep(0.2)
print("one shot:", one)
"#,
    )
    .run(RUN);
    done.assert_code(0);
    done.assert_stdout_has_line("ticks while computing: True");
    done.assert_stdout_has_line("one shot: [1]");
    assert!(
        done.stderr
            .contains("Uncaught exception in IRQ callback handler")
            && done.stderr.contains("ValueError: second tick"),
        "{}",
        done.describe()
    );
}

/// A board file's mistakes are errors naming the file and line, before anything runs.
#[test]
fn a_bad_board_file_names_its_line() {
    let dir = TempDir::new("board-bad");
    dir.write("board.toml", "kind = \"pico_w\"\n[pins]\nGP99 = 1\n");
    let done = Pymqtt::script(&dir, "main.py", "print('ran')\n").run(RUN);
    done.assert_code(2);
    assert!(
        done.stderr
            .contains("board.toml: line 3: pico_w has no pin \"GP99\""),
        "{}",
        done.describe()
    );
    assert!(!done.stdout.contains("ran"));
}

/// `pymqtt main.py` with a boot.py beside it says how to run both.
#[test]
fn main_py_beside_boot_py_says_how_to_run_both() {
    let dir = TempDir::new("board-hint");
    dir.write("boot.py", "BOOTED = True\n");
    let done = Pymqtt::script(&dir, "main.py", "print('main', 'BOOTED' in globals())\n").run(RUN);
    done.assert_code(0);
    done.assert_stdout_has_line("main False");
    assert!(
        done.stderr
            .contains("a boot.py is beside main.py: `pymqtt ")
            && done.stderr.contains("` runs both, as a board does"),
        "{}",
        done.describe()
    );
}

/// `--board-mqtt`: a person (here the test's client) presses a button through the broker and
/// watches the LED's topic; the script's interrupt handler sees the press.
#[test]
fn the_board_on_mqtt_takes_inputs_and_shows_outputs() {
    let broker = Mosquitto::start();
    let prefix = unique_id("boards/pico");
    let mut peer = Peer::connect(broker.port(), &unique_id("person"));
    peer.subscribe(&format!("{prefix}/#"), QoS::AtLeastOnce);
    let dir = TempDir::new("board-mqtt");
    let script = r#"from machine import Pin
import time
led = Pin("LED", Pin.OUT, value=0)
button = Pin(14, Pin.IN, Pin.PULL_UP)
done = Pin(15, Pin.IN, Pin.PULL_DOWN)
presses = []
button.irq(lambda p: presses.append(p.value()), Pin.IRQ_FALLING)
print("ready", flush=True)
while not presses:
    time.sleep(0.01)
led.on()
print("pressed", presses, flush=True)
while not done.value():
    time.sleep(0.01)
"#;
    let mut p = Pymqtt::script(&dir, "button.py", script)
        .pre_args([
            "--broker".to_string(),
            format!("127.0.0.1:{}", broker.port()),
            format!("--board-mqtt={prefix}"),
        ])
        .spawn();
    let kind = peer.expect_publish("the bridge's board topic");
    assert_eq!(
        (kind.topic.as_str(), text(&kind).as_str()),
        (format!("{prefix}/board").as_str(), "pico_w")
    );
    p.expect_stdout("ready");
    peer.publish(
        &format!("{prefix}/pin/14/set"),
        "0",
        QoS::AtLeastOnce,
        false,
    );
    p.expect_stdout("pressed [0]");
    loop {
        let message = peer.expect_publish("the LED's level");
        if message.topic == format!("{prefix}/pin/LED") && text(&message) == "1" {
            break;
        }
    }
    peer.publish(
        &format!("{prefix}/pin/15/set"),
        "1",
        QoS::AtLeastOnce,
        false,
    );
    let status = p.wait_exit(RUN);
    assert!(status.success(), "{}", p.describe());
}

/// `deepsleep(ms)` sleeps, then starts the program again, waking with DEEPSLEEP_RESET; a
/// watchdog nobody feeds resets the board with WDT_RESET.
#[test]
fn deep_sleep_and_the_watchdog_start_the_program_again() {
    let dir = TempDir::new("board-sleep");
    let done = Pymqtt::script(
        &dir,
        "sleepy.py",
        r#"import machine, time
cause = machine.reset_cause()
if cause == machine.PWRON_RESET:
    print("power on", flush=True)
    machine.deepsleep(50)
elif cause == machine.DEEPSLEEP_RESET:
    print("woke from deep sleep", machine.wake_reason() == machine.TIMER_WAKE, flush=True)
    dog = machine.WDT(timeout=100)
    while True:
        time.sleep(0.01)
else:
    print("watchdog reset", cause == machine.WDT_RESET)
"#,
    )
    .pre_args(["--board-trace"])
    .run(RUN);
    done.assert_code(0);
    done.assert_stdout_has_line("power on");
    done.assert_stdout_has_line("woke from deep sleep True");
    done.assert_stdout_has_line("watchdog reset True");
    assert!(
        done.stderr.contains("board: reset (deepsleep)")
            && done.stderr.contains("board: reset (watchdog)"),
        "{}",
        done.describe()
    );
}

/// The I2C devices a board file declares answer a driver's register reads and writes; an
/// address nobody answers is OSError(ENODEV), as on a board. An SPI device answers while
/// its chip select is low.
#[test]
fn i2c_devices_answer_from_their_registers() {
    let dir = TempDir::new("board-i2c");
    dir.write(
        "board.toml",
        "[[i2c]]\naddress = 0x76\nregisters = [[0xD0, 0x60], [0xFA, 0x7E, 0xED]]\n\
         [[spi]]\ncs = \"5\"\nreply = [0x0C, 0x80]\n",
    );
    let done = Pymqtt::script(
        &dir,
        "i2c.py",
        r#"from machine import I2C, SoftI2C, Pin
i2c = SoftI2C(scl=Pin(5), sda=Pin(4))
print("scan", [hex(a) for a in i2c.scan()])
print("chip id", hex(i2c.readfrom_mem(0x76, 0xD0, 1)[0]))
raw = i2c.readfrom_mem(0x76, 0xFA, 2)
print("raw", (raw[0] << 8) | raw[1])
i2c.writeto_mem(0x76, 0xF4, b"\x27")
buf = bytearray(1)
i2c.readfrom_mem_into(0x76, 0xF4, buf)
print("ctrl", buf[0])
try:
    I2C(0).readfrom(0x3C, 1)
except OSError as e:
    print("absent", e.errno)
from machine import SPI
cs = Pin(5, Pin.OUT, value=1)
spi = SPI(1, baudrate=1000000)
for _ in range(2):
    cs.value(0)
    raw = spi.read(2)
    cs.value(1)
    print("max6675", ((raw[0] << 8 | raw[1]) >> 3) * 0.25)
print("nobody selected", spi.read(1))
"#,
    )
    .run(RUN);
    done.assert_code(0);
    for line in [
        "scan ['0x76']",
        "chip id 0x60",
        "raw 32493",
        "ctrl 39",
        "absent 19",
        "max6675 100.0",
        "max6675 100.0",
        r"nobody selected b'\xff'",
    ] {
        done.assert_stdout_has_line(line);
    }
}

/// Readings from a CSV file (one row per measure()), and the other outputs a watcher sees:
/// a PWM duty, a Signal's inverted logic, a NeoPixel strip; a DS18B20 found on its bus.
#[test]
fn csv_readings_and_every_kind_of_output() {
    let dir = TempDir::new("board-outputs");
    dir.write("log.csv", "temperature,humidity\n19.5,60\n20.4,61\n");
    dir.write(
        "board.toml",
        "kind = \"esp32\"\n[sensors.\"dht:4\"]\ncsv = \"log.csv\"\n\
         [sensors.\"ds18x20:13\"]\ntemperature = 4.5\n",
    );
    let done = Pymqtt::script(
        &dir,
        "outputs.py",
        r#"import dht, machine, neopixel, onewire, ds18x20
from machine import Pin, PWM, Signal, RTC
d = dht.DHT22(Pin(4))
for _ in range(3):
    d.measure()
    print("dht", d.temperature(), d.humidity())
pwm = PWM(Pin(15), freq=500, duty_u16=16384)
pwm.duty(1023)
relay = Signal(Pin(5, Pin.OUT), invert=True)
relay.on()
print("relay", relay.value(), Pin(5).value())
strip = neopixel.NeoPixel(Pin(16), 2)
strip[0] = (255, 0, 0)
strip.write()
bus = ds18x20.DS18X20(onewire.OneWire(Pin(13)))
roms = bus.scan()
bus.convert_temp()
print("ds18b20", len(roms), bus.read_temp(roms[0]))
print("rtc", len(RTC().datetime()))
"#,
    )
    .pre_args(["--board-trace"])
    .run(RUN);
    done.assert_code(0);
    for line in [
        "dht 19.5 60.0",
        "dht 20.4 61.0",
        "dht 20.4 61.0",
        "relay 1 0",
        "ds18b20 1 4.5",
        "rtc 8",
    ] {
        done.assert_stdout_has_line(line);
    }
    for event in [
        "board: pin 15 pwm duty_u16=16384 freq=500",
        "board: pin 15 pwm duty_u16=65535 freq=500",
        "board: neopixel 16 = #ff0000 #000000",
    ] {
        assert!(
            done.stderr.contains(event),
            "no {event:?}:\n{}",
            done.describe()
        );
    }
    // Signal(invert=True).on() drives pin 5 low, which it already was: no change to report.
    assert!(
        !done.stderr.contains("board: pin 5 ="),
        "{}",
        done.describe()
    );
}
