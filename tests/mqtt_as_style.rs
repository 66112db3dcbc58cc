//! What mqtt_as relies on, exercised the way it does it: the tests' own asyncio client
//! (tests/micropython/async_mqtt/, written in mqtt_as's style: a non-blocking socket polled
//! by tasks, an input buffer grown under its memoryview, the station's Wi-Fi asked first, a
//! keeper that reconnects) in a board script that names its broker by a name that resolves
//! nowhere. `--broker` sends its sockets to mosquitto; it takes a message larger than its
//! buffer, comes back after a broker restart and subscribes again; and `pymqtt test` runs it
//! against the test's broker and ends it in its event loop's wait.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::processes::Pymqtt;
use support::scripts::{TempDir, repo_root, unique_id};
use support::test_report::{pymqtt_test, seconds, verdict};

const PACKAGE: &str = "async_mqtt";

/// Joins the Wi-Fi, keeps the client running, and says `connected N` and publishes `online N`
/// on each connection.
const BOARD: &str = r#"import time
import network
import uasyncio as asyncio
from async_mqtt import Client

wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect("home", "secret")
while not wlan.isconnected():
    time.sleep_ms(50)

def on_message(topic, msg):
    print("received", topic.decode(), len(msg), bytes(msg[:5]))

def on_connect(client):
    print("connected", client.connections)

client = Client("mqtt.board.invalid", on_message=on_message, on_connect=on_connect,
                subscriptions=[b"board/in"])

async def main():
    asyncio.create_task(client.run())
    while True:
        await client.up.wait()
        await client.publish(b"board/out", b"online %d" % client.connections)
        while client.up.is_set():
            await asyncio.sleep_ms(20)

asyncio.run(main())
"#;

fn board_dir(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    let source = std::fs::read_to_string(
        repo_root().join(format!("tests/micropython/{PACKAGE}/__init__.py")),
    )
    .expect("read the async client");
    dir.write(&format!("{PACKAGE}/__init__.py"), source);
    dir.write("main.py", BOARD);
    dir
}

#[test]
fn an_mqtt_as_style_client_reaches_the_redirected_broker_and_outlives_its_restart() {
    let mut m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), &unique_id("as-peer"));
    peer.subscribe("board/out", QoS::AtLeastOnce);
    let dir = board_dir("mqtt-as-style");
    let mut board = Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &format!("127.0.0.1:{}", m.port()), "main.py"])
        .spawn();
    board.expect_stdout("connected 1");
    assert_eq!(text(&peer.expect_publish("online 1")), "online 1");

    // Larger than its 32-byte buffer, many times over: the buffer grows under its view.
    let mut sender = Peer::connect(m.port(), &unique_id("as-sender"));
    sender.publish("board/in", "L".repeat(5000), QoS::AtLeastOnce, false);
    board.expect_stdout("received board/in 5000 b'LLLLL'");

    m.restart();
    board.expect_stdout("connected 2");
    let mut peer = Peer::connect(m.port(), &unique_id("as-peer2"));
    peer.subscribe("board/out", QoS::AtLeastOnce);
    let mut sender = Peer::connect(m.port(), &unique_id("as-sender2"));
    sender.publish("board/in", "again", QoS::AtLeastOnce, false);
    board.expect_stdout("received board/in 5 b'again'");
    board.assert_running();
    board.kill();
}

#[test]
fn pymqtt_test_runs_the_mqtt_as_style_board_script_and_ends_it_in_its_loop() {
    let dir = board_dir("mqtt-as-style-test");
    dir.write(
        "main.py.wire",
        "limit 10s\non start: send board/in hello retain\nexpect board/out online 1\n",
    );
    dir.write("main.py.exp", "connected 1\nreceived board/in 5 b'hello'\n");
    let run = pymqtt_test(dir.path(), &["main.py"]);
    run.assert_code(0);
    assert_eq!(verdict(&run, "main.py"), "PASS", "{}", run.describe());
    let took = seconds(&run, "main.py");
    assert!(
        took < Duration::from_secs(5).as_secs_f64(),
        "main.py took {took} s\n{}",
        run.describe()
    );
}
