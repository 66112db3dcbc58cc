//! Example programs in the style of micropython-lib's umqtt examples (tests/umqtt_examples/):
//! short scripts a MicroPython user writes, with the broker ("localhost") and client ids
//! written into them. Each runs unchanged with `--broker` pointing it at a local mosquitto,
//! and is checked from the other side with an independent client and the broker's log.

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::processes::{Pymqtt, assert_exit_code};
use support::scripts::{TempDir, repo_root, unique_id};

const RUN: Duration = Duration::from_secs(30);

fn example(name: &str) -> PathBuf {
    repo_root().join("tests/umqtt_examples").join(name)
}

/// `pymqtt --broker 127.0.0.1:PORT EXAMPLE`, from a scratch folder.
fn run_example(broker: &Mosquitto, dir: &TempDir, name: &str) -> Pymqtt {
    Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &broker.addr()])
        .arg(example(name))
}

/// publish_once.py connects, publishes one reading and disconnects (from a `main` guarded by
/// `if __name__ == "__main__"`), and exits 0.
#[test]
fn publish_once_publishes_a_reading_and_exits() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-publish-once");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-publish-peer"));
    peer.subscribe("greenhouse/temperature", QoS::AtMostOnce);

    run_example(&broker, &dir, "publish_once.py")
        .run(RUN)
        .assert_code(0);
    let reading = peer.expect_publish("publish_once.py's reading");
    assert_eq!(reading.topic, "greenhouse/temperature");
    assert_eq!(text(&reading), "21.5");
}

#[test]
fn subscribe_and_wait_prints_what_arrives() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-subscribe");
    let mut sub = run_example(&broker, &dir, "subscribe_and_wait.py").spawn();
    broker.expect_log_since(0, "Received SUBSCRIBE from greenhouse-vent");

    let mut peer = Peer::connect(broker.port(), &unique_id("example-subscribe-peer"));
    peer.publish("greenhouse/vent", "open", QoS::AtLeastOnce, false);
    sub.expect_stdout("greenhouse/vent -> open");
    peer.publish("greenhouse/vent", "closed", QoS::AtMostOnce, false);
    sub.expect_stdout("greenhouse/vent -> closed");
    sub.assert_running();
}

/// robust_session.py subscribes only when connect(clean_session=False) finds no session, and
/// then relies on the broker keeping it. A restarted broker without persistence keeps
/// nothing; pymqtt's umqtt.robust subscribes again, so the unchanged script keeps receiving.
#[test]
fn robust_session_keeps_receiving_after_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let dir = TempDir::new("example-robust-session");
    let mut sub = run_example(&broker, &dir, "robust_session.py").spawn();
    sub.expect_stdout("no session on the broker yet: subscribing");
    broker.expect_log_since(0, "Received SUBSCRIBE from greenhouse-logger");

    let mut peer = Peer::connect(broker.port(), &unique_id("example-robust-peer"));
    peer.publish("greenhouse/temperature", "20.0", QoS::AtLeastOnce, false);
    sub.expect_stdout("greenhouse/temperature -> 20.0");

    let mark = broker.log_len();
    broker.restart();
    // client.DEBUG = True in the script: the lost connection is printed.
    sub.expect_stdout_contains("mqtt: ");
    broker.expect_log_since(mark, "Received SUBSCRIBE from greenhouse-logger");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-robust-peer2"));
    peer.publish("greenhouse/temperature", "19.5", QoS::AtLeastOnce, false);
    sub.expect_stdout("greenhouse/temperature -> 19.5");
    sub.assert_running();
}

/// last_will.py's subclass sets a retained last will ("offline") and publishes "online" on
/// connecting; when the script dies, the broker publishes the will.
#[test]
fn last_will_is_online_then_offline() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-last-will");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-will-peer"));
    peer.subscribe("greenhouse/status", QoS::AtMostOnce);

    let mut script = run_example(&broker, &dir, "last_will.py").spawn();
    let online = peer.expect_publish("online");
    assert_eq!(text(&online), "online", "{}", script.describe());
    script.wait_blocked();
    script.signal(libc::SIGINT);
    let status = script.wait_exit(RUN);
    assert_exit_code(&mut script, status, 130);

    let offline = peer.expect_publish("the last will");
    assert_eq!(text(&offline), "offline");
    // Retained, as the script asked: a client arriving later sees the controller is offline.
    let mut late = Peer::connect(broker.port(), &unique_id("example-will-late"));
    late.subscribe("greenhouse/status", QoS::AtMostOnce);
    let retained = late.expect_publish("the retained will");
    assert_eq!(text(&retained), "offline");
    assert!(retained.retain);
}

/// resubscribing_client.py overrides connect() and subscribe(topic) (one argument) in its
/// own subclass; both must keep working on top of pymqtt's umqtt.robust. It publishes three
/// messages to a topic it subscribed to, idles past its keepalive in between, and ends by
/// itself.
#[test]
fn resubscribing_client_runs_to_the_end() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-resubscribing");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-resubscribing-peer"));
    peer.subscribe("greenhouse/lights", QoS::AtMostOnce);

    let run = run_example(&broker, &dir, "resubscribing_client.py").run(RUN);
    run.assert_code(0)
        .assert_stdout_has_line("subscribing to b'greenhouse/lights'")
        .assert_stdout_has_line("b'greenhouse/lights' b'message 1'")
        .assert_stdout_has_line("done");
    assert!(
        run.stdout.contains("b'message 2'") || run.stdout.contains("b'message 3'"),
        "the last wait_msg() got neither message 2 nor 3\n{}",
        run.describe()
    );
    let seen: Vec<String> = peer
        .collect(3, Duration::from_secs(5))
        .iter()
        .map(text)
        .collect();
    assert_eq!(seen, ["message 1", "message 2", "message 3"]);
}
