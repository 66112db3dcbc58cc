//! `pymqtt test` on board scripts, run as a user runs it on folders written here: `.wire`
//! lines that drive the board's inputs (`pin`, `adc`, `sensor`, `wifi drop`) and expect its
//! outputs (`expect pin`), in order with the script's messages; the `board.toml` beside a
//! script; and mistakes in either, named by file and line.
//!
//! The scripts reach the board through `_board`, the private module `machine`, `network` and
//! the sensor drivers are built on, so these tests need nothing but the board itself.

#[allow(dead_code)]
mod support;

use support::scripts::TempDir;
use support::test_report::{assert_block_has, pymqtt_test, verdict};

/// Publishes pin 14's level whenever it changes, and shows it on the LED: a button and a
/// lamp, with MQTT.
const BUTTON: &str = "\
import time
import _board
from umqtt.simple import MQTTClient

button = _board.pin_id(14)
led = _board.pin_id('LED')
c = MQTTClient('board', 'broker.example.com')
c.connect()
last = None
while True:
    level = _board.pin_value(button)
    if level != last:
        c.publish('button/14', str(level))
        _board.pin_write(led, level)
        print('button', level)
        last = level
    time.sleep(0.02)
";

/// Joins Wi-Fi, then publishes a count; when the link goes, says why, waits for the network
/// and connects again.
const WIFI: &str = "\
import time
import _board
from umqtt.simple import MQTTClient

def join():
    while _board.wifi_status() != 'up':
        time.sleep(0.05)

_board.wifi_used()
_board.wifi_connect('home', 'pw')
join()
print('wifi up')
c = MQTTClient('w', 'broker.example.com')
c.connect()
n = 0
while True:
    try:
        c.publish('count', str(n))
        n += 1
    except OSError as e:
        print('OSError', e.args[0])
        join()
        c.connect()
        c.publish('status', 'reconnected')
        print('reconnected')
    time.sleep(0.05)
";

#[test]
fn pin_lines_drive_inputs_and_expect_outputs_in_order_with_the_messages() {
    let dir = TempDir::new("board-pins");
    // The Pico W of the board file: GP14 is high at power-up.
    dir.write("pico/board.toml", "kind = \"pico_w\"\n[pins]\nGP14 = 1\n");
    let pressed = "on +300ms: pin GP14 = 0\n";
    let cases = [
        (
            "button",
            "expect button/14 1\nexpect pin LED = 1\nexpect button/14 0\nexpect pin LED = 0\n",
        ),
        // The LED comes on after the message that says so.
        ("order", "expect pin LED = 1\nexpect button/14 1\n"),
        ("level", "expect button/14 1\nexpect pin LED = 0\n"),
        // The LED goes off once, not twice: the test waits in vain for the second time.
        ("never", "expect pin LED = 1\nexpect pin LED = 0 x2\n"),
    ];
    for (name, expects) in cases {
        dir.write(&format!("pico/{name}.py"), BUTTON);
        dir.write(
            &format!("pico/{name}.py.wire"),
            format!("limit 2s\n{pressed}{expects}"),
        );
    }
    dir.write("pico/button.py.exp", "button 1\nbutton 0\n");
    // The same script on an ESP8266: its pin 14 is D5, its LED is GPIO2.
    dir.write("esp/board.toml", "kind = \"esp8266\"\n");
    dir.write("esp/lamp.py", BUTTON);
    dir.write(
        "esp/lamp.py.wire",
        "limit 2s\non +300ms: pin D5 = 1\nexpect button/14 0\nexpect button/14 1\n\
         expect pin LED = 1\n",
    );

    let run = pymqtt_test(dir.path(), &["-j", "2"]);
    run.assert_code(1);
    assert_eq!(
        verdict(&run, "pico/button.py"),
        "PASS",
        "{}",
        run.describe()
    );
    assert_eq!(verdict(&run, "esp/lamp.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "pico/order.py"), "FAIL");
    assert_block_has(
        &run,
        "pico/order.py",
        "line 3: expected pin change 1 of 2, `pin LED = 1`, but the script published \
         button/14 1",
    );
    assert_block_has(&run, "pico/order.py", "published: button/14 1");
    assert_block_has(&run, "pico/order.py", "board: pin LED = 1");
    assert_eq!(verdict(&run, "pico/level.py"), "FAIL");
    assert_block_has(
        &run,
        "pico/level.py",
        "line 4: expected pin change 2 of 2, `pin LED = 0`, but the script set pin LED to 1",
    );
    assert_eq!(verdict(&run, "pico/never.py"), "TIMEOUT");
    assert_block_has(
        &run,
        "pico/never.py",
        "line 4: the script has not made pin change 3 of 3, `pin LED = 0`",
    );
    assert!(
        run.stdout.contains("2 passed, 3 failed"),
        "{}",
        run.describe()
    );
}

#[test]
fn sensor_and_adc_lines_set_what_the_script_reads_from_then_on() {
    let dir = TempDir::new("board-readings");
    dir.write(
        "weather.py",
        "import time\n\
         import _board\n\
         from umqtt.simple import MQTTClient\n\
         c = MQTTClient('weather', 'broker.example.com')\n\
         c.connect()\n\
         last = None\n\
         while True:\n\
         \x20   reading = '%.1f %.1f %d' % (_board.sensor('dht:4', 'temperature'),\n\
         \x20       _board.sensor('dht:4', 'humidity'), _board.adc_read_u16(_board.pin_id(26)))\n\
         \x20   if reading != last:\n\
         \x20       c.publish('weather', reading)\n\
         \x20       last = reading\n\
         \x20   time.sleep(0.02)\n",
    );
    // The default board's readings first: 21.5 °C, 48 %, mid-scale.
    dir.write(
        "weather.py.wire",
        "limit 3s\n\
         on +300ms: sensor dht GP4 temperature=30 humidity=55\n\
         on start +600ms: adc 26 = 1000\n\
         expect weather \"21.5 48.0 32768\"\n\
         expect weather \"30.0 55.0 32768\"\n\
         expect weather \"30.0 55.0 1000\"\n",
    );
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(0);
    assert_eq!(verdict(&run, "weather.py"), "PASS", "{}", run.describe());
}

#[test]
fn a_wifi_drop_cuts_the_scripts_connection_until_the_network_is_back() {
    let dir = TempDir::new("board-wifi");
    dir.write("drop.py", WIFI);
    dir.write(
        "drop.py.wire",
        "limit 5s\non connect +200ms: wifi drop 1s\nexpect status reconnected\n",
    );
    // ECONNRESET, as the board's own stack reports a lost link.
    dir.write("drop.py.exp", "wifi up\nOSError 104\nreconnected\n");
    // Without the drop, nothing ever goes wrong, and the test waits in vain.
    dir.write("steady.py", WIFI);
    dir.write("steady.py.wire", "limit 1s\nexpect status reconnected\n");
    dir.write("steady.py.exp", "wifi up\n");
    let run = pymqtt_test(dir.path(), &["-j", "2"]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "drop.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "steady.py"), "TIMEOUT", "{}", run.describe());
    assert_block_has(
        &run,
        "steady.py",
        "line 2: the script has not published message 1 of 1, `status reconnected`",
    );
}

#[test]
fn mistakes_in_board_lines_and_board_files_name_the_file_and_line() {
    let dir = TempDir::new("board-mistakes");
    let cases = [
        (
            "level",
            "on start: pin 14 = 2\n",
            "level.py.wire: line 1: bad level `2`",
        ),
        (
            "driver",
            "limit 1s\non start: sensor bme280 4 temperature=1\n",
            "driver.py.wire: line 2: unknown sensor driver \"bme280\"",
        ),
        (
            "length",
            "on connect: wifi drop soon\n",
            "length.py.wire: line 1: bad duration `soon`",
        ),
        // Only the board knows its pins: the default board is a Pico W, which has no D4.
        (
            "name",
            "limit 1s\nexpect t *\nexpect pin D4 = 1\n",
            "name.py.wire: line 3: pico_w has no pin \"D4\": the script runs on the default \
             board",
        ),
    ];
    for (name, wire, _) in cases {
        dir.write(&format!("{name}.py"), BUTTON);
        dir.write(&format!("{name}.py.wire"), wire);
    }
    dir.write(
        "broken/board.toml",
        "kind = \"pico_w\"\n[pins]\nGP99x = 1\n",
    );
    dir.write("broken/t.py", BUTTON);
    dir.write("broken/t.py.wire", "expect pin LED = 1\n");

    let run = pymqtt_test(dir.path(), &["-j", "2"]);
    run.assert_code(1);
    for (name, _, message) in cases {
        let test = format!("{name}.py");
        assert_eq!(verdict(&run, &test), "ERROR", "{}", run.describe());
        assert_block_has(&run, &test, message);
    }
    assert_eq!(verdict(&run, "broken/t.py"), "ERROR");
    assert_block_has(
        &run,
        "broken/t.py",
        "board.toml: line 3: pico_w has no pin \"GP99x\"",
    );
}

/// `pymqtt test DIR` tests a board's folder as the board runs it: boot.py joins the Wi-Fi
/// with `network`, main.py (using boot.py's names) publishes a DHT22 reading and mirrors a
/// button on the LED with an interrupt handler; the .wire drives the button and the sensor.
#[test]
fn a_boards_folder_is_tested_as_the_board_powers_up() {
    let dir = TempDir::new("board-folder-test");
    dir.write(
        "pico/board.toml",
        "kind = \"pico_w\"\n[wifi]\nnetworks = [{ ssid = \"home\", password = \"pw\" }]\n",
    );
    dir.write(
        "pico/boot.py",
        "import network, time\nwlan = network.WLAN(network.STA_IF)\nwlan.active(True)\n\
         wlan.connect('home', 'pw')\nwhile not wlan.isconnected():\n    time.sleep(0.05)\n\
         print('joined', wlan.status())\n",
    );
    dir.write(
        "pico/main.py",
        r#"import json, time, dht
from machine import Pin
from umqtt.simple import MQTTClient
led = Pin("LED", Pin.OUT, value=0)
button = Pin(14, Pin.IN, Pin.PULL_UP)
presses = []
button.irq(lambda p: presses.append(1), Pin.IRQ_FALLING)
client = MQTTClient("pico", "broker.example.com")
client.connect()
sensor = dht.DHT22(Pin(4))
while not presses:
    time.sleep(0.02)
led.on()
sensor.measure()
client.publish("pico/dht", json.dumps({"t": sensor.temperature(), "ok": wlan.isconnected()}))
while True:
    time.sleep(0.1)
"#,
    );
    dir.write(
        "pico/main.py.wire",
        "limit 3s\non connect: sensor dht 4 temperature=30.5\non connect +200ms: pin 14 = 0\n\
         expect pin LED = 1\nexpect pico/dht \"{\\\"t\\\": 30.5, \\\"ok\\\": true}\"\n",
    );
    dir.write("pico/main.py.exp", "joined 3\n");
    let run = pymqtt_test(dir.path(), &["pico"]);
    assert_eq!(verdict(&run, "pico/main.py"), "PASS", "{}", run.describe());
    run.assert_code(0);
}
