//! The MicroPython compatibility layer, tested as MicroPython tests itself: each
//! tests/micropython/NAME.py runs with the built binary and must print exactly what
//! NAME.py.exp holds (MicroPython's tests/run-tests.py convention). They run from
//! tests/micropython as `pymqtt NAME.py`, so tracebacks name the file as MicroPython would.
//! Helper modules live in subfolders, so that every top-level .py is a test.
//!
//! Then the proof that pure-Python MQTT code written for MicroPython runs unchanged: the
//! tests' own small MQTT client (tests/micropython/stream_mqtt/), which speaks MQTT through
//! MicroPython's socket stream API, connects, subscribes and publishes against mosquitto.

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::deadlines::WAIT;
use support::peers::{Peer, text};
use support::processes::{Proc, Pymqtt, assert_exit_code};
use support::scripts::{TempDir, fill, repo_root, unique_id};

fn scripts_dir() -> PathBuf {
    repo_root().join("tests/micropython")
}

/// The test scripts: every top-level .py in tests/micropython, sorted.
fn scripts() -> Vec<PathBuf> {
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(scripts_dir())
        .expect("read tests/micropython")
        .map(|entry| entry.expect("read tests/micropython").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
        .collect();
    scripts.sort();
    scripts
}

fn exp_path(script: &Path) -> PathBuf {
    let mut name = script.file_name().unwrap().to_os_string();
    name.push(".exp");
    script.with_file_name(name)
}

/// A line diff of `expected` and `actual` ("-" expected only, "+" printed only), from their
/// longest common subsequence of lines.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("  {}\n", a[i]);
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            out += &format!("- {}\n", a[i]);
            i += 1;
        } else {
            out += &format!("+ {}\n", b[j]);
            j += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out += "(the two differ in the newline at the end)\n";
    }
    out
}

#[test]
fn every_script_has_an_exp_file() {
    let missing: Vec<String> = scripts()
        .iter()
        .filter(|script| !exp_path(script).exists())
        .map(|script| script.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "test scripts without a .exp file (helper modules belong in a subfolder): {missing:?}"
    );
}

#[test]
fn scripts_print_what_their_exp_files_say() {
    let scripts = scripts();
    assert!(scripts.len() >= 10, "too few scripts found: {scripts:?}");
    // Started together, checked in order: each one takes a fraction of a second.
    let running: Vec<(PathBuf, Proc)> = scripts
        .into_iter()
        .filter(|script| exp_path(script).exists())
        .map(|script| {
            let name = script.file_name().unwrap().to_owned();
            let proc = Pymqtt::new()
                .cwd(scripts_dir())
                .arg(&name)
                .label(&format!("pymqtt {}", name.to_string_lossy()))
                .spawn();
            (script, proc)
        })
        .collect();
    let mut failures = Vec::new();
    for (script, mut proc) in running {
        let status = proc.wait_exit(Duration::from_secs(60));
        let expected = std::fs::read_to_string(exp_path(&script)).expect("read .exp");
        let actual = proc.stdout();
        if actual != expected || !status.success() {
            failures.push(format!(
                "{} (exit status {status:?}): expected output (-) vs printed (+):\n{}\
                 --- stderr ---\n{}",
                script.file_name().unwrap().to_string_lossy(),
                diff(&expected, &actual),
                proc.stderr()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The package of tests/micropython/stream_mqtt/: a pure-Python MQTT client of the tests' own,
/// written over MicroPython's socket stream API.
const STREAM_CLIENT: &str = "stream_mqtt";

/// The import lines of stream_mqtt/client.py, and the same imports by MicroPython's u-names.
const PLAIN_IMPORTS: &str = "import socket\nimport struct\n";
const U_IMPORTS: &str = "import usocket as socket\nimport ustruct as struct\n";

/// How the client's modules are imported: as they are, or by MicroPython's u-names.
#[derive(Clone, Copy)]
enum Imports {
    Plain,
    UNames,
}

/// Copies the stream client's package into `dir`, its imports as `imports` says.
fn write_stream_client(dir: &TempDir, imports: Imports) {
    let package = scripts_dir().join(STREAM_CLIENT);
    for file in ["__init__.py", "client.py"] {
        let mut source = std::fs::read_to_string(package.join(file))
            .unwrap_or_else(|e| panic!("read {STREAM_CLIENT}/{file}: {e}"));
        if file == "client.py" {
            assert!(
                source.contains(PLAIN_IMPORTS),
                "{STREAM_CLIENT}/client.py no longer imports {PLAIN_IMPORTS:?}"
            );
            if let Imports::UNames = imports {
                source = source.replacen(PLAIN_IMPORTS, U_IMPORTS, 1);
            }
        }
        dir.write(&format!("{STREAM_CLIENT}/{file}"), source);
    }
}

/// Runs the stream client from a script next to it, against mosquitto, with an independent
/// client on the other side: CONNECT, SUBSCRIBE, PUBLISH at QoS 0 and 1 both ways, a poll that
/// finds nothing (a non-blocking read), PINGREQ and DISCONNECT.
fn stream_client_round_trip(imports: Imports) {
    let broker = Mosquitto::start();
    let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
    let topic_out = unique_id("stream/out");
    let topic_in = unique_id("stream/in");
    peer.subscribe(&topic_out, QoS::AtLeastOnce);

    let dir = TempDir::new("stream-mqtt");
    write_stream_client(&dir, imports);
    let script = fill(
        r#"from stream_mqtt import Client, PINGRESP

def on_message(topic, payload):
    print("received", topic, payload)

c = Client("@CLIENT@", "127.0.0.1", port=@PORT@, keepalive=30, on_message=on_message)
print("connect", c.connect())
print("granted", c.subscribe(b"@IN@", qos=1))
c.publish(b"@OUT@", b"qos0 from the stream client")
c.publish(b"@OUT@", b"qos1 from the stream client", qos=1)
print("poll", c.poll())
print("subscribed")
c.wait()
c.wait()
c.ping()
print("ping answered", c.wait() == PINGRESP)
c.disconnect()
print("done")
"#,
        &[
            ("CLIENT", &unique_id("stream-mqtt")),
            ("PORT", &broker.port().to_string()),
            ("IN", &topic_in),
            ("OUT", &topic_out),
        ],
    );
    let mut run = Pymqtt::script(&dir, "main.py", &script).spawn();
    run.expect_stdout("connect 0");
    run.expect_stdout("granted 1");

    let first = peer.expect_publish("the QoS 0 publish");
    assert_eq!(first.topic, topic_out);
    assert_eq!(text(&first), "qos0 from the stream client");
    let second = peer.expect_publish("the QoS 1 publish");
    assert_eq!(text(&second), "qos1 from the stream client");
    assert_eq!(second.qos, QoS::AtLeastOnce);

    run.expect_stdout("poll None");
    run.expect_stdout("subscribed");
    peer.publish(
        &topic_in,
        "to the stream client, qos0",
        QoS::AtMostOnce,
        false,
    );
    peer.publish(
        &topic_in,
        "to the stream client, qos1",
        QoS::AtLeastOnce,
        false,
    );
    run.expect_stdout(&format!(
        "received b'{topic_in}' b'to the stream client, qos0'"
    ));
    run.expect_stdout(&format!(
        "received b'{topic_in}' b'to the stream client, qos1'"
    ));
    run.expect_stdout("ping answered True");
    run.expect_stdout("done");
    let status = run.wait_exit(WAIT);
    assert_exit_code(&mut run, status, 0);
}

#[test]
fn a_pure_python_mqtt_client_on_socket_streams_talks_to_mosquitto() {
    stream_client_round_trip(Imports::Plain);
}

#[test]
fn the_same_client_importing_usocket_and_ustruct_talks_to_mosquitto() {
    stream_client_round_trip(Imports::UNames);
}

#[test]
fn ctrl_c_interrupts_sleep_ms() {
    let dir = TempDir::new("sleep-ms");
    let script = "import time\nprint('sleeping')\ntime.sleep_ms(60000)\nprint('woke up')\n";
    let mut run = Pymqtt::script(&dir, "sleep.py", script).spawn();
    run.expect_stdout("sleeping");
    let sent = std::time::Instant::now();
    run.signal(libc::SIGINT);
    let status = run.wait_exit(WAIT);
    assert_exit_code(&mut run, status, 130);
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert!(
        run.stderr().contains("KeyboardInterrupt"),
        "{}",
        run.describe()
    );
}
