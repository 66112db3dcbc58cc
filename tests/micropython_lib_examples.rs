//! micropython-lib's own umqtt example scripts, run unchanged (tests/micropython_lib_examples/,
//! copied byte for byte) with `--broker` pointing them at a local mosquitto, and checked from
//! the other side with an independent client and the broker's log.

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

/// The client id every one of these examples uses (they hard-code it).
const SIMPLE_ID: &str = "umqtt_client";

fn example(name: &str) -> PathBuf {
    repo_root()
        .join("tests/micropython_lib_examples")
        .join(name)
}

/// `pymqtt --broker 127.0.0.1:PORT EXAMPLE`, from a scratch folder.
fn run_example(broker: &Mosquitto, dir: &TempDir, name: &str) -> Pymqtt {
    Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &broker.addr()])
        .arg(example(name))
}

#[test]
fn example_pub_publishes_hello() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-pub");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-pub-peer"));
    peer.subscribe("foo_topic", QoS::AtMostOnce);

    run_example(&broker, &dir, "example_pub.py")
        .run(RUN)
        .assert_code(0);
    let message = peer.expect_publish("example_pub.py's message");
    assert_eq!(message.topic, "foo_topic");
    assert_eq!(text(&message), "hello");
}

#[test]
fn example_sub_prints_what_arrives() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-sub");
    let mut sub = run_example(&broker, &dir, "example_sub.py").spawn();
    broker.expect_log_since(0, &format!("Received SUBSCRIBE from {SIMPLE_ID}"));

    let mut peer = Peer::connect(broker.port(), &unique_id("example-sub-peer"));
    peer.publish("foo_topic", "hello", QoS::AtLeastOnce, false);
    sub.expect_stdout("(b'foo_topic', b'hello')");
    peer.publish("foo_topic", "again", QoS::AtMostOnce, false);
    sub.expect_stdout("(b'foo_topic', b'again')");
    sub.assert_running();
}

/// example_sub_robust.py subscribes only when connect(clean_session=False) finds no session,
/// and then relies on the broker keeping it. A restarted broker without persistence keeps
/// nothing; pymqtt's umqtt.robust subscribes again, so the unchanged script keeps receiving.
#[test]
fn example_sub_robust_keeps_receiving_after_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let dir = TempDir::new("example-sub-robust");
    let mut sub = run_example(&broker, &dir, "example_sub_robust.py").spawn();
    sub.expect_stdout("New session being set up");
    broker.expect_log_since(0, &format!("Received SUBSCRIBE from {SIMPLE_ID}"));

    let mut peer = Peer::connect(broker.port(), &unique_id("example-robust-peer"));
    peer.publish("foo_topic", "before", QoS::AtLeastOnce, false);
    sub.expect_stdout("(b'foo_topic', b'before')");

    let mark = broker.log_len();
    broker.restart();
    // c.DEBUG = True in the script: the lost connection is printed.
    sub.expect_stdout_contains("mqtt: ");
    broker.expect_log_since(mark, &format!("Received SUBSCRIBE from {SIMPLE_ID}"));
    let mut peer = Peer::connect(broker.port(), &unique_id("example-robust-peer2"));
    peer.publish("foo_topic", "after", QoS::AtLeastOnce, false);
    sub.expect_stdout("(b'foo_topic', b'after')");
    sub.assert_running();
}

/// example_lwt_robust.py's subclass sets a retained last will ("Offline") and publishes
/// "Online" on connecting; when the script dies, the broker publishes the will.
#[test]
fn example_lwt_robust_is_online_then_offline() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-lwt");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-lwt-peer"));
    peer.subscribe("tele/test/LWT", QoS::AtMostOnce);

    let mut script = run_example(&broker, &dir, "example_lwt_robust.py").spawn();
    let online = peer.expect_publish("Online");
    assert_eq!(text(&online), "Online", "{}", script.describe());
    script.wait_blocked();
    script.signal(libc::SIGINT);
    let status = script.wait_exit(RUN);
    assert_exit_code(&mut script, status, 130);

    let offline = peer.expect_publish("the last will");
    assert_eq!(text(&offline), "Offline");
    // Retained, as the script asked: a client arriving later sees the device is offline.
    let mut late = Peer::connect(broker.port(), &unique_id("example-lwt-late"));
    late.subscribe("tele/test/LWT", QoS::AtMostOnce);
    let retained = late.expect_publish("the retained will");
    assert_eq!(text(&retained), "Offline");
    assert!(retained.retain);
}

/// example_resubscribe_robust.py overrides connect() and subscribe(topic) (one argument) in
/// its own subclass; both must keep working on top of pymqtt's umqtt.robust. It publishes three
/// messages to a topic it subscribed to, sleeping 8 s in between, and ends by itself.
#[test]
fn example_resubscribe_robust_runs_to_the_end() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("example-resubscribe");
    let mut peer = Peer::connect(broker.port(), &unique_id("example-resub-peer"));
    peer.subscribe("test/topic/a", QoS::AtMostOnce);

    let run = run_example(&broker, &dir, "example_resubscribe_robust.py").run(RUN);
    run.assert_code(0)
        .assert_stdout_has_line("Subscribing to b'test/topic/a'")
        .assert_stdout_has_line("b'test/topic/a' b'message 1'");
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
