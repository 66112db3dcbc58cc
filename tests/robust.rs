//! umqtt.robust: reconnecting after the broker restarts, re-subscribing when the session was
//! lost, and the backoff between attempts.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::processes::Pymqtt;
use support::scripts::{TempDir, fill, unique_id};

const RUN: Duration = Duration::from_secs(30);

/// A robust subscriber whose broker restarts (same port, no persistence: its subscription
/// is gone) reconnects, subscribes again, and receives what is published afterwards.
#[test]
fn subscriber_survives_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let dir = TempDir::new("robust-sub");
    let id = unique_id("robust-sub");
    let topic = format!("robust/{id}");
    let script = fill(
        r#"from umqtt.robust import MQTTClient
c = MQTTClient("@ID@", "127.0.0.1", @PORT@)
c.DEBUG = True
c.DELAY = 0.05
c.MAX_DELAY = 0.2
c.set_callback(lambda topic, msg: print("got", msg.decode()))
print("connect", c.connect())
c.subscribe("@TOPIC@", qos=1)
print("subscribed")
while True:
    c.wait_msg()
"#,
        &[
            ("ID", &id),
            ("PORT", &broker.port().to_string()),
            ("TOPIC", &topic),
        ],
    );
    let mut sub = Pymqtt::script(&dir, "sub.py", &script).spawn();
    sub.expect_stdout("connect 0");
    sub.expect_stdout("subscribed");
    let mut peer = Peer::connect(broker.port(), &unique_id("robust-peer"));
    peer.publish(&topic, "before", QoS::AtLeastOnce, false);
    sub.expect_stdout("got before");

    let mark = broker.log_len();
    broker.restart();
    // DEBUG: the lost connection is reported, then the new broker sees the subscription.
    sub.expect_stdout_contains("mqtt: ");
    broker.expect_log_since(mark, &format!("Received SUBSCRIBE from {id}"));

    let mut peer = Peer::connect(broker.port(), &unique_id("robust-peer2"));
    peer.publish(&topic, "after", QoS::AtLeastOnce, false);
    sub.expect_stdout("got after");
    sub.assert_running();
}

/// A robust publisher keeps publishing through a broker restart: the publish that meets the
/// dead connection reconnects and is sent again.
#[test]
fn publisher_survives_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let dir = TempDir::new("robust-pub");
    let topic = format!("robust/{}", unique_id("pub"));
    let script = fill(
        r#"import time
from umqtt.robust import MQTTClient
c = MQTTClient("@ID@", "127.0.0.1", @PORT@)
c.DEBUG = True
c.DELAY = 0.05
c.MAX_DELAY = 0.2
c.connect()
i = 0
while True:
    c.publish("@TOPIC@", str(i), qos=1)
    i += 1
    time.sleep(0.05)
"#,
        &[
            ("ID", &unique_id("robust-pub")),
            ("PORT", &broker.port().to_string()),
            ("TOPIC", &topic),
        ],
    );
    let mut publisher = Pymqtt::script(&dir, "pub.py", &script).spawn();
    let mut peer = Peer::connect(broker.port(), &unique_id("robust-watch"));
    peer.subscribe(&topic, QoS::AtLeastOnce);
    peer.expect_publish("a message before the restart");

    broker.restart();
    let mut peer = Peer::connect(broker.port(), &unique_id("robust-watch2"));
    peer.subscribe(&topic, QoS::AtLeastOnce);
    let after = peer.expect_publish("a message after the restart");
    assert!(
        text(&after).parse::<u64>().is_ok(),
        "unexpected payload {:?}\n{}",
        text(&after),
        publisher.describe()
    );
    publisher.expect_stdout_contains("mqtt: ");
    publisher.assert_running();
}

/// When the broker kept the session (connect() returned 1), reconnect() does not subscribe
/// again; when it did not, it does, with the qos first asked for. Counted in the broker's log.
#[test]
fn resubscribes_only_when_the_session_was_lost() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("robust-session");
    let id = unique_id("robust-sess");
    let script = fill(
        r#"from umqtt.robust import MQTTClient

c = MQTTClient("@ID@", "127.0.0.1", @PORT@)
c.set_callback(lambda t, m: None)
print("first connect", c.connect(clean_session=False))
c.subscribe(b"robust/a", qos=1)
c.subscribe("robust/b")
c.subscribe("robust/c")
c.unsubscribe(b"robust/c")
print("kept", c.reconnect())
c.disconnect()

c = MQTTClient("@ID@", "127.0.0.1", @PORT@)
c.set_callback(lambda t, m: None)
c.connect()  # a clean session: the broker forgets it when this connection ends
c.subscribe("robust/d", qos=2)
print("lost", c.reconnect())
c.disconnect()
"#,
        &[("ID", &id), ("PORT", &broker.port().to_string())],
    );
    Pymqtt::script(&dir, "session.py", &script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("first connect 0")
        .assert_stdout_has_line("kept 1")
        .assert_stdout_has_line("lost 0");

    let log = broker.log();
    let count = |needle: &str| log.matches(needle).count();
    // a, b, c and d, then d again after the lost session; not a or b after the kept one.
    assert_eq!(
        count(&format!("Received SUBSCRIBE from {id}")),
        5,
        "log:\n{log}"
    );
    assert_eq!(count("\trobust/a (QoS 1)"), 1, "log:\n{log}");
    assert_eq!(count("\trobust/b (QoS 0)"), 1, "log:\n{log}");
    assert_eq!(count("\trobust/c (QoS 0)"), 1, "log:\n{log}");
    assert_eq!(count("\trobust/d (QoS 2)"), 2, "log:\n{log}");
}

/// delay(i) doubles from DELAY and stops at MAX_DELAY; a class attribute or an instance
/// attribute changes it, as in micropython-lib.
#[test]
fn backoff_doubles_up_to_max_delay() {
    let dir = TempDir::new("robust-backoff");
    let script = r#"import time
from umqtt.robust import MQTTClient
print("defaults", MQTTClient.DELAY, MQTTClient.MAX_DELAY, MQTTClient.DEBUG)
slept = []
time.sleep = slept.append
c = MQTTClient("backoff", "127.0.0.1")
for i in range(1, 8):
    c.delay(i)
print("default waits", slept)
slept.clear()
c.DELAY = 0.5
c.MAX_DELAY = 3
for i in range(1, 6):
    c.delay(i)
print("custom waits", slept)
slept.clear()
c.delay(10000)
print("far", slept)
"#;
    Pymqtt::script(&dir, "backoff.py", script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("defaults 2 60 False")
        .assert_stdout_has_line("default waits [2, 4, 8, 16, 32, 60, 60]")
        .assert_stdout_has_line("custom waits [0.5, 1.0, 2.0, 3, 3]")
        .assert_stdout_has_line("far [3]");
}
