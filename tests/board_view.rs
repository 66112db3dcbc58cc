//! `--board-view`, in a real browser: Debian's headless Chromium, driven through chromedriver,
//! opens the page a board script's pymqtt serves, clicks the button's switch, types a
//! temperature and drops the Wi-Fi, as a person would; the script's reactions are checked on
//! the wire by an independent client on mosquitto and on the page (the LED's lamp, the topic's
//! payload, the output). The page as it ends up is kept in `target/tmp/board-view.png`.

#[allow(dead_code)]
mod support;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::processes::Pymqtt;
use support::scripts::{TempDir, unique_id};
use support::webdriver::{Browser, ENTER};

const PAGE_WAIT: Duration = Duration::from_secs(15);
const WIRE_WAIT: Duration = Duration::from_secs(15);

const BOARD: &str = r#"kind = "pico_w"

[wifi]
connect_time = 0.3
networks = [{ ssid = "home", password = "secret" }]

[sensors."dht:4"]
temperature = 21.5
humidity = 40
"#;

/// A board script as a Pico W tutorial has it: join the Wi-Fi, light the LED while the button
/// on GP14 (pulled up) is pressed and say so, publish a DHT22 reading every 200 ms, run the
/// fan (PWM on GP15) and colour a NeoPixel strip (GP16) by the temperature, and reconnect when
/// the network goes.
const SCRIPT: &str = r#"import json, time
import network
import dht
from machine import Pin, PWM
from neopixel import NeoPixel
from umqtt.simple import MQTTClient

TOPIC = "@TOPIC@"
wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect("home", "secret")
while not wlan.isconnected():
    time.sleep_ms(50)

def connect():
    client = MQTTClient("view-board", "broker.example.com")
    client.connect()
    return client

led = Pin("LED", Pin.OUT, value=0)
button = Pin(14, Pin.IN, Pin.PULL_UP)
sensor = dht.DHT22(Pin(4))
fan = PWM(Pin(15), freq=25000, duty_u16=0)
strip = NeoPixel(Pin(16), 3)
client = connect()
print("connected")
pressed = False
n = 0
while True:
    try:
        if (button.value() == 0) != pressed:
            pressed = not pressed
            led.value(pressed)
            client.publish(TOPIC + "/button", "pressed" if pressed else "released")
        n += 1
        sensor.measure()
        reading = {"n": n, "temperature": sensor.temperature()}
        hot = reading["temperature"] > 25
        fan.duty_u16(49152 if hot else 0)
        strip.fill((255, 0, 0) if hot else (0, 0, 255))
        strip.write()
        client.publish(TOPIC + "/reading", json.dumps(reading))
    except OSError as e:
        print("lost the broker:", e)
        while not wlan.isconnected():
            time.sleep_ms(100)
        client = connect()
        print("reconnected")
    time.sleep_ms(200)
"#;

/// The script's next message on `suffix` whose payload satisfies `pred`.
fn next_on(peer: &mut Peer, topic: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + WIRE_WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let message = peer
            .recv(left)
            .unwrap_or_else(|| panic!("no message on {topic} as expected within {WIRE_WAIT:?}"));
        if message.topic == topic && pred(&text(&message)) {
            return text(&message);
        }
    }
}

fn temperature(payload: &str) -> f64 {
    let reading: serde_json::Value = serde_json::from_str(payload).expect("a JSON reading");
    reading["temperature"].as_f64().expect("a temperature")
}

#[test]
fn a_person_in_the_browser_presses_the_button_warms_the_sensor_and_drops_the_wifi() {
    let broker = Mosquitto::start();
    // The broker is this test's own: the topics can be a greenhouse's.
    let topic = "greenhouse".to_string();
    let mut peer = Peer::connect(broker.port(), &unique_id("view-peer"));
    peer.subscribe(&format!("{topic}/#"), QoS::AtMostOnce);

    let dir = TempDir::new("board-view");
    dir.write("board.toml", BOARD);
    let script = SCRIPT.replace("@TOPIC@", &topic);
    let mut board = Pymqtt::script(&dir, "main.py", &script)
        .pre_args(["--broker", &broker.addr(), "--board-view=0"])
        .spawn();
    let announced = board.expect_stderr_contains("board view on http://127.0.0.1:");
    let url = announced
        .split_whitespace()
        .last()
        .expect("the view's address")
        .to_string();
    board.expect_stdout("connected");
    let reading = format!("{topic}/reading");
    assert_eq!(temperature(&next_on(&mut peer, &reading, |_| true)), 21.5);

    let browser = Browser::start(1200, 1000);
    browser.open(&url);
    let lamp = "document.querySelector('[data-pin=\"LED\"] .lamp')";
    browser.wait_for(
        PAGE_WAIT,
        &format!("return {lamp} !== null && !{lamp}.classList.contains('on')"),
        "return document.getElementById('pins').innerText",
    );
    browser.wait_for(
        PAGE_WAIT,
        &format!("return document.querySelector('[data-topic=\"{reading}\"]') !== null"),
        "return document.getElementById('topics').innerText",
    );

    // The button: its switch reads 1 (pulled up); a click pulls it low, as pressing does.
    let switch = browser.find("[data-control=\"pin/14\"]");
    switch.click();
    assert_eq!(
        next_on(&mut peer, &format!("{topic}/button"), |_| true),
        "pressed"
    );
    browser.wait_for(
        PAGE_WAIT,
        &format!("return {lamp}.classList.contains('on')"),
        &format!("return {lamp}.className"),
    );
    switch.click();
    assert_eq!(
        next_on(&mut peer, &format!("{topic}/button"), |_| true),
        "released"
    );
    browser.wait_for(
        PAGE_WAIT,
        &format!("return !{lamp}.classList.contains('on')"),
        &format!("return {lamp}.className"),
    );

    // The temperature, typed into the sensor's box: the next readings carry it, on the wire
    // and in the topic's payload on the page.
    let degrees = browser.find("input[type=number][data-control=\"sensor/dht/4/temperature\"]");
    degrees.clear();
    degrees.type_keys(&format!("30.5{ENTER}"));
    next_on(&mut peer, &reading, |p| temperature(p) == 30.5);
    // The script's answer on the board: the fan at 75 % and the strip red.
    browser.wait_for(
        PAGE_WAIT,
        "return document.querySelector('[data-pin=\"15\"] .mode').textContent.startsWith('pwm 75%')\
         && [...document.querySelectorAll('[data-strip=\"16\"] .pixel')].map(p => p.title).join(' ')\
            === '#ff0000 #ff0000 #ff0000'",
        "return document.getElementById('board-side').innerText",
    );
    browser.wait_for(
        PAGE_WAIT,
        &format!(
            "return document.querySelector('[data-topic=\"{reading}\"] .payload')\
             .textContent.includes('\"temperature\": 30.5')"
        ),
        &format!(
            "return document.querySelector('[data-topic=\"{reading}\"] .payload').textContent"
        ),
    );

    // The Wi-Fi, dropped for a second: the script loses the broker, waits for the network,
    // connects again and goes on publishing.
    let seconds = browser.find("#wifi-drop-seconds");
    seconds.clear();
    seconds.type_keys("1");
    browser.find("#wifi-drop").click();
    board.expect_stdout_contains("lost the broker");
    board.expect_stdout("reconnected");
    let n_after = |p: &str| {
        serde_json::from_str::<serde_json::Value>(p).expect("JSON")["n"]
            .as_u64()
            .unwrap_or(0)
    };
    let first_after = n_after(&next_on(&mut peer, &reading, |_| true));
    next_on(&mut peer, &reading, |p| n_after(p) > first_after);
    browser.wait_for(
        PAGE_WAIT,
        "return document.getElementById('output').textContent.includes('reconnected')",
        "return document.getElementById('output').textContent",
    );
    browser.wait_for(
        PAGE_WAIT,
        "return [...document.querySelectorAll('#events li')].some(li => li.textContent.includes('wifi dropped for 1s'))\
         && document.getElementById('wifi-card').dataset.up === 'true'\
         && [...document.querySelectorAll('#events li[data-kind=client]')].filter(li => li.textContent.includes('MQTT connected')).length === 2",
        "return document.getElementById('events').innerText + ' / up=' + document.getElementById('wifi-card').dataset.up",
    );

    // For a person to look at (and docs/board.md's picture).
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("board-view.png");
    std::fs::write(&shot, png).expect("write the screenshot");
    eprintln!("the board view as the test left it: {}", shot.display());
    board.kill();
}

/// What a page elsewhere cannot do: a control posted as a form (no preflight), or one from
/// another origin, or a request naming the view by a name that is not its own (DNS
/// rebinding) is refused, and the board keeps its inputs.
#[test]
fn other_sites_cannot_change_the_board() {
    let dir = TempDir::new("board-view-fence");
    let mut board = Pymqtt::script(
        &dir,
        "main.py",
        "from machine import Pin\nimport time\nb = Pin(14, Pin.IN, Pin.PULL_UP)\nprint('up')\n\
         while True:\n    time.sleep(0.05)\n",
    )
    .pre_args(["--board-view=0"])
    .spawn();
    let announced = board.expect_stderr_contains("board view on http://");
    let addr = announced
        .trim_end_matches('/')
        .rsplit("http://")
        .next()
        .expect("address")
        .to_string();
    board.expect_stdout("up");
    let body = r#"{"control":"pin/14","value":"0"}"#;
    let http = |request: String| -> String {
        let mut stream = TcpStream::connect(&addr).expect("connect to the view");
        std::io::Write::write_all(&mut stream, request.as_bytes()).expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        reply
    };
    let post = |host: &str, content_type: &str, origin: Option<&str>| {
        let origin = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        http(format!(
            "POST /control HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{origin}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    };
    let status = |reply: &str| reply.lines().next().unwrap_or("").to_string();
    let level = || {
        let reply = http(format!(
            "GET /board HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ));
        let json = reply.split_once("\r\n\r\n").expect("a body").1;
        let board: serde_json::Value = serde_json::from_str(json).expect("JSON");
        board["pins"]
            .as_array()
            .and_then(|pins| pins.iter().find(|p| p["id"] == "14"))
            .map(|p| p["level"].clone())
            .expect("pin 14")
    };
    assert_eq!(level(), 1);
    let form = post(&addr, "text/plain", None);
    assert!(status(&form).contains(" 415 "), "{form}");
    let cross = post(&addr, "application/json", Some("http://evil.example"));
    assert!(status(&cross).contains(" 403 "), "{cross}");
    let rebound = post("evil.example:80", "application/json", None);
    assert!(status(&rebound).contains(" 421 "), "{rebound}");
    let bad = http(format!(
        "POST /control HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 32\r\nConnection: close\r\n\r\n{{\"control\":\"pin/14\",\"value\":\"7\"}}"
    ));
    assert!(
        status(&bad).contains(" 400 ") && bad.contains("0 or 1"),
        "{bad}"
    );
    assert_eq!(level(), 1, "nothing refused changed the board");
    // The page's own way in works.
    let own = post(&addr, "application/json", Some(&format!("http://{addr}")));
    assert!(status(&own).contains(" 204 "), "{own}");
    assert_eq!(level(), 0);
    board.kill();
}

#[test]
fn a_busy_port_is_a_usage_error_and_a_shared_view_warns() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let run = Pymqtt::new()
        .args([
            format!("--board-view={port}"),
            "-c".into(),
            "print(1)".into(),
        ])
        .run(Duration::from_secs(20));
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("is in use (--board-view=0 takes a free port)"),
        "{}",
        run.describe()
    );

    let shared = Pymqtt::new()
        .args([
            "--board-view=0",
            "--board-view-bind",
            "0.0.0.0",
            "-c",
            "print(1)",
        ])
        .run(Duration::from_secs(20));
    shared.assert_code(0);
    assert!(
        shared
            .stderr
            .contains("warning: the board view listens on 0.0.0.0:")
            && shared.stderr.contains("can change the board's inputs"),
        "{}",
        shared.describe()
    );
}
