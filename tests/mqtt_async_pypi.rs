//! An asyncio MQTT client written for MicroPython runs unchanged: `micropython-mqtt` as
//! published on PyPI (its `mqtt_async.py`, an older sibling of Peter Hinch's mqtt_as, on
//! uasyncio streams), placed beside a script as a user would, connects to mosquitto,
//! subscribes, publishes and receives its own message.
//!
//! Its code is not ours and is never committed: the test fetches the published release by
//! name from PyPI into a cache under target/ (once), and is skipped, saying so, when PyPI
//! cannot be reached.

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use support::brokers::Mosquitto;
use support::processes::Pymqtt;
use support::scripts::{TempDir, fill, repo_root};

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
