//! What a long-running script meets, against a real mosquitto: a message is acknowledged
//! only once its callback returned, so what the script did not finish (its callback raised,
//! the process was killed) comes again to the session that resumes; and a script that does
//! not read while messages pour in holds a bounded amount of them, then gets what it held in
//! order.

#[allow(dead_code)]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::fault_broker::{FaultBroker, read_packet, stay_silent};

use support::peers::Peer;
use support::processes::Pymqtt;
use support::scripts::{TempDir, fill, py_path, script_for_port, unique_id};

const RUN: Duration = Duration::from_secs(60);

/// Subscribes with a persistent session, says READY, waits for the file GO, then handles
/// messages (numbers) until EXPECT were handled; the callback raises at RAISE_AT.
const HANDLER: &str = r#"import os, time
c = MQTTClient("@CLIENT@", "127.0.0.1", PORT)
handled = []
def on_message(topic, msg):
    n = int(msg)
    if n == @RAISE_AT@:
        raise RuntimeError("callback failed at %d" % n)
    handled.append(n)
c.set_callback(on_message)
print("session", c.connect(clean_session=False))
c.subscribe(b"@TOPIC@", @QOS@)
print("READY")
deadline = time.time() + 20
while not os.path.exists(@GO@) and time.time() < deadline:
    time.sleep(0.01)
while len(handled) < @EXPECT@ and time.time() < deadline:
    c.wait_msg()
print("handled", sorted(handled))
c.disconnect()
"#;

fn handler(
    port: u16,
    client: &str,
    topic: &str,
    qos: u8,
    raise_at: &str,
    expect: usize,
    go: &str,
) -> String {
    script_for_port(
        port,
        &fill(
            HANDLER,
            &[
                ("CLIENT", client),
                ("TOPIC", topic),
                ("QOS", &qos.to_string()),
                ("RAISE_AT", raise_at),
                ("EXPECT", &expect.to_string()),
                ("GO", go),
            ],
        ),
    )
}

fn publish_numbers(port: u16, topic: &str, qos: QoS, numbers: std::ops::RangeInclusive<u32>) {
    let mut peer = Peer::connect(port, &unique_id("rel-pub"));
    for n in numbers {
        peer.publish(topic, n.to_string(), qos, false);
    }
    peer.disconnect();
}

fn redelivered_after_a_failed_callback(qos: u8) {
    let m = Mosquitto::start();
    let dir = TempDir::new("rel-raise");
    let client = unique_id("rel-raise");
    let topic = format!("rel/{client}");
    let go = dir.path().join("go");
    let qos_level = if qos == 1 {
        QoS::AtLeastOnce
    } else {
        QoS::ExactlyOnce
    };

    // First run: messages 1..49 handled, the callback raises at 50 and the script dies.
    let script = handler(m.port(), &client, &topic, qos, "50", 100, &py_path(&go));
    let mut first = Pymqtt::script(&dir, "first.py", &script).spawn();
    first.expect_stdout("READY");
    publish_numbers(m.port(), &topic, qos_level, 1..=100);
    std::fs::write(&go, "").unwrap();
    let status = first.wait_exit(RUN);
    assert_eq!(status.code(), Some(1), "{}", first.describe());
    assert!(
        first
            .stderr()
            .contains("RuntimeError: callback failed at 50"),
        "{}",
        first.describe()
    );

    // Second run, same session: 50 (whose callback did not finish) and everything after it
    // come again; 1..49, handled and acknowledged, do not.
    let script = handler(m.port(), &client, &topic, qos, "None", 51, &py_path(&go));
    let second = Pymqtt::script(&dir, "second.py", &script).run(RUN);
    second.assert_code(0).assert_stdout_has_line("session 1");
    let expected: Vec<String> = (50..=100).map(|n| n.to_string()).collect();
    second.assert_stdout_has_line(&format!("handled [{}]", expected.join(", ")));
}

#[test]
fn qos1_message_whose_callback_raised_comes_again_with_those_after_it() {
    redelivered_after_a_failed_callback(1);
}

#[test]
fn qos2_message_whose_callback_raised_comes_again_with_those_after_it() {
    redelivered_after_a_failed_callback(2);
}

/// A broker that delivers one QoS 1 message and then watches how the client leaves: what it
/// reads after the PUBACK, and whether the client keeps its socket open while the broker
/// holds back its answer for [`HOLD`] (a client that closes with input unread makes the
/// broker's kernel see a reset, and mosquitto may then drop the acks unread).
fn watching_broker(leaving: std::sync::mpsc::Sender<Vec<String>>) -> FaultBroker {
    FaultBroker::start(move |mut stream: TcpStream| {
        let mut seen = Vec::new();
        let exchange = (|| -> std::io::Result<()> {
            read_packet(&mut stream)?; // CONNECT
            stream.write_all(&[0x20, 0x02, 0x00, 0x00])?;
            let subscribe = read_packet(&mut stream)?;
            stream.write_all(&[0x90, 0x03, subscribe[2], subscribe[3], 0x01])?;
            stream.write_all(&[0x32, 0x06, 0x00, 0x01, b't', 0x00, 0x01, b'1'])?;
            let puback = read_packet(&mut stream)?;
            seen.push(format!("{puback:02x?}"));
            let next = read_packet(&mut stream)?;
            seen.push(format!("{next:02x?}"));
            seen.push(still_open_after(&mut stream, HOLD).to_string());
            match next[0] {
                0xc0 => stream.write_all(&[0xd0, 0x00])?, // PINGREQ: PINGRESP
                _ => stream.shutdown(std::net::Shutdown::Both)?,
            }
            Ok(())
        })();
        if let Err(e) = exchange {
            seen.push(format!("ended: {:?}", e.kind()));
        }
        let _ = leaving.send(seen);
        stay_silent(stream);
    })
}

const HOLD: Duration = Duration::from_millis(300);

/// True when nothing, not even the end of the stream, arrives for `hold`.
fn still_open_after(stream: &mut TcpStream, hold: Duration) -> bool {
    stream.set_read_timeout(Some(hold)).unwrap();
    let mut byte = [0u8; 1];
    matches!(
        stream.read(&mut byte),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
    )
}

fn leave_after_one_message(ending: &str) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let broker = watching_broker(tx);
    let dir = TempDir::new("rel-leave");
    let script = script_for_port(
        broker.port(),
        &format!(
            r#"c = MQTTClient("leave", "127.0.0.1", PORT)
c.set_callback(lambda t, m: print("handled", m))
c.connect()
c.subscribe(b"t", 1)
c.wait_msg()
{ending}
"#
        ),
    );
    let run = Pymqtt::script(&dir, "leave.py", &script).run(RUN);
    run.assert_code(0).assert_stdout_has_line("handled b'1'");
    rx.recv_timeout(RUN)
        .expect("the broker saw the client leave")
}

#[test]
fn a_script_that_ends_without_disconnect_waits_until_the_broker_has_read_its_acks() {
    // PUBACK, then a PINGREQ whose answer the client waits for before it closes.
    assert_eq!(
        leave_after_one_message("print('end')"),
        ["[40, 02, 00, 01]", "[c0, 00]", "true"]
    );
}

#[test]
fn disconnect_leaves_the_closing_to_the_broker_that_read_it() {
    // PUBACK, DISCONNECT, and the socket open until the broker closes it.
    assert_eq!(
        leave_after_one_message("c.disconnect()"),
        ["[40, 02, 00, 01]", "[e0, 00]", "true"]
    );
}

#[test]
fn messages_received_but_never_handled_come_again_after_a_kill() {
    let m = Mosquitto::start();
    let dir = TempDir::new("rel-kill");
    let client = unique_id("rel-kill");
    let topic = format!("rel/{client}");
    let never = dir.path().join("never");

    // The first run never reads: the messages reach its connection (its background thread
    // reads them off the socket) and wait there until the process is killed.
    let script = handler(m.port(), &client, &topic, 1, "None", 100, &py_path(&never));
    let mut first = Pymqtt::script(&dir, "first.py", &script).spawn();
    first.expect_stdout("READY");
    publish_numbers(m.port(), &topic, QoS::AtLeastOnce, 1..=100);
    // The broker has every message (each PUBACKed); give it time to pass them on, so that
    // a client acknowledging on arrival would have lost them by the time of the kill.
    std::thread::sleep(Duration::from_millis(500));
    first.kill();

    let go = dir.path().join("go");
    std::fs::write(&go, "").unwrap();
    let script = handler(m.port(), &client, &topic, 1, "None", 100, &py_path(&go));
    let second = Pymqtt::script(&dir, "second.py", &script).run(RUN);
    second.assert_code(0);
    let expected: Vec<String> = (1..=100).map(|n| n.to_string()).collect();
    second.assert_stdout_has_line(&format!("handled [{}]", expected.join(", ")));
}

/// Sleeps (not reading) until the file GO appears, then reads until the messages stop, and
/// reports what it got and how its memory grew.
const SLEEPER: &str = r#"import os, time
def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
c = MQTTClient("@CLIENT@", "127.0.0.1", PORT, incoming_messages=@LIMIT@)
got = []
c.set_callback(lambda topic, msg: got.append(int(msg.split()[0])))
c.connect()
c.subscribe(b"@TOPIC@")
before = rss_kib()
print("READY")
deadline = time.time() + 60
while not os.path.exists(@GO@) and time.time() < deadline:
    time.sleep(0.05)
during = rss_kib()
quiet = time.time() + 2
while time.time() < quiet:
    if c.check_msg() is not None:
        quiet = time.time() + 2
    else:
        time.sleep(0.001)
print("got", len(got), "first", got[:3], "in order", all(a < b for a, b in zip(got, got[1:])))
print("prefix", got[:@LIMIT@] == list(range(@LIMIT@)))
print("growth KiB", during - before)
"#;

#[test]
fn a_script_that_does_not_read_holds_a_bounded_inbox_and_gets_it_in_order() {
    let m = Mosquitto::start();
    let dir = TempDir::new("rel-flood");
    let client = unique_id("rel-flood");
    let topic = format!("rel/{client}");
    let go = dir.path().join("go");
    let limit = 1000;
    let script = script_for_port(
        m.port(),
        &fill(
            SLEEPER,
            &[
                ("CLIENT", &client),
                ("TOPIC", &topic),
                ("LIMIT", &limit.to_string()),
                ("GO", &py_path(&go)),
            ],
        ),
    );
    let mut sleeper = Pymqtt::script(&dir, "sleeper.py", &script).spawn();
    sleeper.expect_stdout("READY");

    // 200,000 messages of ~100 bytes while the script sleeps: unbounded, that is some
    // 40 MB; bounded at 1,000 messages it is well under 8 MB.
    let count = 200_000;
    let payload_pad = "x".repeat(90);
    let lines: String = (0..count).map(|n| format!("{n} {payload_pad}\n")).collect();
    let status = std::process::Command::new("mosquitto_pub")
        .args(["-p", &m.port().to_string(), "-t", &topic, "-l"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(lines.as_bytes())?;
            child.wait()
        })
        .expect("mosquitto_pub runs");
    assert!(status.success());
    // The broker passes the flood on as fast as the script's socket takes it. Nothing says
    // when it is done; the pause only gives it the time to reach an unbounded inbox, for
    // this test to catch one (a bounded one passes however long it is).
    std::thread::sleep(Duration::from_secs(2));
    std::fs::write(&go, "").unwrap();

    let status = sleeper.wait_exit(RUN);
    assert_eq!(status.code(), Some(0), "{}", sleeper.describe());
    let out = sleeper.stdout();
    assert!(out.contains("in order True"), "{out}");
    assert!(
        out.contains("prefix True"),
        "the first {limit} in order: {out}"
    );
    let growth: i64 = out
        .lines()
        .find_map(|l| l.strip_prefix("growth KiB "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no growth line: {out}"));
    assert!(
        growth < 8 * 1024,
        "grew {growth} KiB while not reading: {out}"
    );
    // The connection stopped reading (the broker held the rest): nothing was dropped here.
    assert!(
        !sleeper.stderr().contains("dropped"),
        "{}",
        sleeper.describe()
    );
}

/// Publishes to its own subscription without reading: every publish drives the connection,
/// which reads what came back. The inbox keeps twice its limit and drops the QoS 0 rest.
const BUSY_PUBLISHER: &str = r#"c = MQTTClient("@CLIENT@", "127.0.0.1", PORT, incoming_messages=10)
got = []
c.set_callback(lambda topic, msg: got.append(msg))
c.connect()
c.subscribe(b"@TOPIC@", 1)  # the QoS 1 sentinel comes back at QoS 1, never dropped
for i in range(500):
    c.publish(b"@TOPIC@", str(i))
# Its PUBACK comes after every message the broker sent back before it.
c.publish(b"@TOPIC@", b"end", qos=1)
while c.check_msg() is not None:
    pass
print("held", len(got), got[:2], got[-1])
"#;

#[test]
fn a_busy_script_that_does_not_read_keeps_twice_its_limit_and_says_what_it_dropped() {
    let m = Mosquitto::start();
    let dir = TempDir::new("rel-busy");
    let client = unique_id("rel-busy");
    let topic = format!("rel/{client}");
    let script = script_for_port(
        m.port(),
        &fill(BUSY_PUBLISHER, &[("CLIENT", &client), ("TOPIC", &topic)]),
    );
    let run = Pymqtt::script(&dir, "busy.py", &script).run(RUN);
    run.assert_code(0)
        .assert_stdout_has_line("held 21 [b'0', b'1'] b'end'");
    assert!(
        run.stderr
            .contains("pymqtt: warning: 480 QoS 0 message(s) dropped"),
        "{}",
        run.describe()
    );
}

/// Out-of-range values a script can pass, each with the exception CPython (or MicroPython)
/// raises, and nesting that runs native code deep.
const BAD_VALUES: &str = r#"import time
from machine import I2C, PWM, Pin, Timer

def outcome(call):
    try:
        call()
        return "ok"
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)

print(outcome(lambda: time.sleep(1e19)))
print(outcome(lambda: time.sleep(2**70)))
print(outcome(lambda: time.sleep(float("nan"))))
print(outcome(lambda: time.sleep(-1)))
print(outcome(lambda: time.sleep_ms(10**30)))
print(outcome(lambda: time.sleep_us(2**64)))
print(outcome(lambda: time.sleep_ms(-10**30)))
print(outcome(lambda: PWM(Pin(2)).freq(2**40)))
print(outcome(lambda: I2C(0).writeto(300, b"x")))
print(outcome(lambda: Timer(-1).init(period=2**70, callback=print)))

# Each of these iterators calls the one inside it natively: nested deep enough, that runs
# out of native stack, which must be a RuntimeError (RecursionError), as on MicroPython.
for nest in (enumerate, zip, lambda x: map(max, x, ()), lambda x: filter(None, x)):
    x = (1, 2)
    for _ in range(300000):
        x = nest(x)
    print(outcome(lambda: tuple(x)).split(":")[0])

# A return in a finally whose try holds another try/finally that returns: RustPython 0.5's
# compiler panicked on it before the script's first line.
def nested():
    try:
        try:
            return 1
        finally:
            pass
    finally:
        return 2
print("nested finally", nested())
"#;

#[test]
fn out_of_range_values_and_deep_native_nesting_raise_python_exceptions() {
    let dir = TempDir::new("rel-bad");
    let run = Pymqtt::script(&dir, "bad.py", BAD_VALUES).run(RUN);
    run.assert_code(0);
    let expected = [
        "OverflowError: sleep length is too large",
        "OverflowError: sleep length is too large",
        "ValueError: Invalid value NaN (not a number)",
        "ValueError: sleep length must be non-negative",
        "OverflowError: sleep length is too large",
        "OverflowError: sleep length is too large",
        "ok",
        "ValueError: PWM frequency 1099511627776 Hz is out of range",
        "ValueError: I2C address must be 0..127, not 300",
        "ok",
        "RecursionError",
        "RecursionError",
        "RecursionError",
        "RecursionError",
        "nested finally 2",
    ];
    assert_eq!(run.stdout_lines(), expected, "{}", run.describe());
}
