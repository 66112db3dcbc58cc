//! An asyncio MQTT client written for MicroPython runs unchanged: `micropython-mqtt` as
//! published on PyPI (its `mqtt_async.py`, an older sibling of Peter Hinch's mqtt_as, on
//! uasyncio streams), placed beside a script as a user would, connects to mosquitto,
//! subscribes, publishes and receives its own message; takes a message larger than its
//! read buffer; when the broker restarts, reconnects and subscribes again by itself; and is
//! tested with `pymqtt test`, whose broker its sockets reach whatever server the script names.
//!
//! Its code is not ours and is never committed: the test fetches the published release by
//! name from PyPI into a cache under target/ (once), and is skipped, saying so, when PyPI
//! cannot be reached.

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::peers::Peer;
use support::processes::Pymqtt;
use support::scripts::{TempDir, fill, repo_root, unique_id};
use support::test_report::{block, pymqtt_test, seconds, verdict};

const PACKAGE: &str = "micropython-mqtt";

/// The release's `mqtt_async.py`, from the cache or fetched from PyPI by the package's name
/// (its JSON API names the newest release's files); `None` when PyPI cannot be reached.
fn mqtt_async_source() -> Option<String> {
    let cache = repo_root().join("target/pypi-cache").join(PACKAGE);
    let cached = cache.join("mqtt_async.py");
    if let Ok(text) = std::fs::read_to_string(&cached) {
        return Some(text);
    }
    std::fs::create_dir_all(&cache).ok()?;
    // CPython does the fetching: its urllib and tarfile are at hand on every machine here.
    let fetch = format!(
        r#"
import io, json, sys, tarfile, urllib.request
info = json.load(urllib.request.urlopen("https://pypi.org/pypi/{PACKAGE}/json", timeout=20))
url = next(u["url"] for u in info["urls"] if u["url"].endswith(".tar.gz"))
data = urllib.request.urlopen(url, timeout=20).read()
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    member = next(m for m in tar.getmembers() if m.name.endswith("/mqtt_async.py"))
    sys.stdout.buffer.write(tar.extractfile(member).read())
"#
    );
    let out = Command::new("python3").args(["-c", &fetch]).output().ok()?;
    if !out.status.success() || out.stdout.is_empty() {
        eprintln!(
            "cannot fetch {PACKAGE} from PyPI: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    std::fs::write(&cached, &out.stdout).ok()?;
    String::from_utf8(out.stdout).ok()
}

/// A script in the package's own style: a config, a callback, an asyncio task.
const SCRIPT: &str = r#"import uasyncio as asyncio
from mqtt_async import MQTTClient, config

config.server = "127.0.0.1"
config.port = @PORT@
config.ssid, config.wifi_pw = "home", "secret"
got = []

def on_message(topic, msg, retained, qos):
    got.append((topic, msg))

config.subs_cb = on_message

async def main(client):
    await client.connect()
    await client.subscribe("async/echo", 1)
    await client.publish("async/echo", "hello from mqtt_async", qos=1)
    for _ in range(100):
        if got:
            break
        await asyncio.sleep_ms(50)
    print("received", got)
    await client.disconnect()

asyncio.run(main(MQTTClient(config)))
"#;

#[test]
fn pypis_micropython_mqtt_connects_subscribes_publishes_and_receives() {
    let Some(source) = mqtt_async_source() else {
        eprintln!("skipped: {PACKAGE} is not in the cache and PyPI cannot be reached");
        return;
    };
    let m = Mosquitto::start();
    let dir = TempDir::new("mqtt-async");
    dir.write("mqtt_async.py", &source);
    let script = fill(SCRIPT, &[("PORT", &m.port().to_string())]);
    let run = Pymqtt::script(&dir, "main.py", &script).run(Duration::from_secs(60));
    run.assert_code(0)
        .assert_stdout_has_line("received [(b'async/echo', b'hello from mqtt_async')]");
    assert_eq!(run.stderr, "", "{}", run.describe());
}

/// A long-running subscriber in the package's style: it subscribes in its connect handler,
/// so each new connection (after a broker restart) subscribes again.
const LISTENER: &str = r#"import uasyncio as asyncio
from mqtt_async import MQTTClient, config

config.server = "127.0.0.1"
config.port = @PORT@
config.ssid, config.wifi_pw = "home", "secret"
connections = 0

def on_message(topic, msg, retained, qos):
    print("received", topic.decode(), len(msg), bytes(msg[:5]))

async def on_connect(client):
    global connections
    connections += 1
    await client.subscribe("async/in", 1)
    print("subscribed", connections)

config.subs_cb = on_message
config.connect_coro = on_connect

async def main(client):
    await client.connect()
    while True:
        await asyncio.sleep(1)

asyncio.run(main(MQTTClient(config)))
"#;

#[test]
fn pypis_micropython_mqtt_takes_large_messages_and_comes_back_after_a_broker_restart() {
    let Some(source) = mqtt_async_source() else {
        eprintln!("skipped: {PACKAGE} is not in the cache and PyPI cannot be reached");
        return;
    };
    let mut m = Mosquitto::start();
    let dir = TempDir::new("mqtt-async-restart");
    dir.write("mqtt_async.py", &source);
    let script = fill(LISTENER, &[("PORT", &m.port().to_string())]);
    let mut listener = Pymqtt::script(&dir, "main.py", &script).spawn();
    listener.expect_stdout("subscribed 1");

    let large = "L".repeat(20_000);
    let mut peer = Peer::connect(m.port(), &unique_id("async-peer"));
    peer.publish("async/in", large, QoS::AtLeastOnce, false);
    listener.expect_stdout("received async/in 20000 b'LLLLL'");
    peer.disconnect();

    m.restart();
    // Its keeper notices the lost connection, reconnects and subscribes again.
    listener.expect_stdout("subscribed 2");
    let mut peer = Peer::connect(m.port(), &unique_id("async-peer2"));
    peer.publish("async/in", "after restart", QoS::AtLeastOnce, false);
    listener.expect_stdout("received async/in 13 b'after'");
    listener.assert_running();
    listener.kill();
}

/// A board script on mqtt_async, written for its own broker's name: it reports each message
/// it gets, then publishes a reading and sleeps a minute between readings.
const BOARD: &str = r#"import uasyncio as asyncio
from mqtt_async import MQTTClient, config

config.server = "broker.example.com"
config.ssid, config.wifi_pw = "home", "secret"
asked = asyncio.Event()
question = []

def on_message(topic, msg, retained, qos):
    question.append((topic.decode(), msg.decode()))
    asked.set()

config.subs_cb = on_message

async def main(client):
    await client.connect()
    await client.subscribe("board/ask", 1)
    print("subscribed")
    await asked.wait()
    print("received", *question[0])
    n = 0
    while True:
        n += 1
        await client.publish("board/reading", "reading %d" % n, qos=1)
        await asyncio.sleep(60)

asyncio.run(main(MQTTClient(config)))
"#;

#[test]
fn pymqtt_test_runs_a_micropython_mqtt_script_against_its_broker_and_ends_it_in_asyncio_sleep() {
    let Some(source) = mqtt_async_source() else {
        eprintln!("skipped: {PACKAGE} is not in the cache and PyPI cannot be reached");
        return;
    };
    let dir = TempDir::new("mqtt-async-test");
    dir.write("mqtt_async.py", &source);
    dir.write("board.py", BOARD);
    // The retained message may come before subscribe() returns or after: the script reports
    // it once both have happened, so the order of its output does not race.
    dir.write("board.py.exp", "subscribed\nreceived board/ask now\n");
    dir.write("stuck.py", BOARD);
    dir.write("stuck.py.exp", "subscribed\n");
    dir.write(
        "board.py.wire",
        "limit 10s\non start: send board/ask now retain\nexpect board/reading reading 1\n",
    );
    // Nothing asks this one: it waits in vain, and its limit ends it (also in asyncio).
    dir.write(
        "stuck.py.wire",
        "limit 2s\nexpect board/reading reading 1\n",
    );
    let run = pymqtt_test(dir.path(), &["board.py", "stuck.py"]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "board.py"), "PASS", "{}", run.describe());
    // Ended when its reading came, in its minute's sleep: well before its limit.
    let took = seconds(&run, "board.py");
    assert!(took < 5.0, "board.py took {took} s\n{}", run.describe());
    assert_eq!(verdict(&run, "stuck.py"), "TIMEOUT", "{}", run.describe());
    assert!(
        block(&run, "stuck.py")
            .iter()
            .all(|line| !line.contains("killed")),
        "the limit should stop the waiting loop, not kill it\n{}",
        run.describe()
    );
}
