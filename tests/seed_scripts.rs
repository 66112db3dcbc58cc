//! The two scripts of the article the project starts from (../shared/seeds/000_1a8ddf74c61b6c4e.txt)
//! ship as scripts/sub.py and scripts/pub.py byte for byte, and run unchanged: against a real
//! mosquitto through --broker, and against the embedded broker through --local-broker, with an
//! independent client on the other side of `raspberry/mqtt`.
//!
//! The scripts hard-code broker.emqx.io; every run here redirects, so nothing leaves the machine.

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rumqttc::QoS;

use support::brokers::{Mosquitto, free_port};
use support::deadlines::WAIT;
use support::peers::{Peer, text};
use support::processes::{Proc, Pymqtt};
use support::scripts::{TempDir, repo_root, unique_id};

const TOPIC: &str = "raspberry/mqtt";

/// The article, beside the repository: CI checks out the shared folder next to the clone.
const ARTICLE: &str = "../shared/seeds/000_1a8ddf74c61b6c4e.txt";

/// The article's text; fails the test, saying where it looked, when it is not there.
fn article() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(ARTICLE);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the article that scripts/sub.py and scripts/pub.py come from, \
             expected at {} (the shared folder beside the repository): {e}",
            path.display()
        )
    })
}

/// The contents of every ```python fenced block, each line with its newline.
fn python_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None => {
                if line.trim_start() == "```python" {
                    current = Some(String::new());
                }
            }
            Some(b) => {
                if line.trim_start() == "```" {
                    blocks.push(current.take().unwrap());
                } else {
                    b.push_str(line);
                    b.push('\n');
                }
            }
        }
    }
    blocks
}

fn sub_py() -> PathBuf {
    repo_root().join("scripts/sub.py")
}

fn pub_py() -> PathBuf {
    repo_root().join("scripts/pub.py")
}

#[test]
fn scripts_are_byte_for_byte_the_articles_python_blocks() {
    let blocks = python_blocks(&article());
    assert_eq!(
        blocks.len(),
        2,
        "the article should have exactly two ```python blocks"
    );
    assert!(
        blocks[0].starts_with("# sub.py\n"),
        "first block is not sub.py:\n{}",
        blocks[0]
    );
    assert!(
        blocks[1].starts_with("# pub.py\n"),
        "second block is not pub.py:\n{}",
        blocks[1]
    );
    let sub = std::fs::read(sub_py()).expect("read scripts/sub.py");
    let publ = std::fs::read(pub_py()).expect("read scripts/pub.py");
    assert!(
        sub == blocks[0].as_bytes(),
        "scripts/sub.py differs from the article's sub.py block"
    );
    assert!(
        publ == blocks[1].as_bytes(),
        "scripts/pub.py differs from the article's pub.py block"
    );
}

const HELLO: &str = r#"{"msg":"hello"}"#;

/// sub.py prints this for each message on raspberry/mqtt.
fn received_line(payload: &str) -> String {
    format!("received message b'{payload}' on topic b'{TOPIC}'")
}

/// Publishes `payload` (QoS 0, as a user does from MQTTX) every 200 ms until sub.py reports
/// it. Repeating covers the moment between sub.py's "Connected" line and its SUBSCRIBE.
fn publish_until_received(p: &mut Proc, peer: &mut Peer, payload: &str) {
    let want = received_line(payload);
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        peer.publish(TOPIC, payload, QoS::AtMostOnce, false);
        if p.try_stdout_line(Duration::from_millis(200), |l| l == want)
            .is_some()
        {
            return;
        }
        p.assert_running();
    }
    panic!("sub.py never printed {want:?}\n{}", p.describe());
}

fn run_sub_py(redirect: Vec<String>, broker_port: u16) {
    let dir = TempDir::new("article-sub");
    let mut p = Pymqtt::new()
        .cwd(dir.path())
        .args(redirect)
        .arg(sub_py())
        .spawn();
    p.expect_stdout(r#"Connected to MQTT Broker "broker.emqx.io""#);
    let mut peer = Peer::connect(broker_port, &unique_id("mqttx-pub"));
    publish_until_received(&mut p, &mut peer, r#"{"msg":"from mqttx"}"#);
    // Once subscribed, a single QoS 1 message is enough, and a second one too.
    peer.publish(TOPIC, "second ✓", QoS::AtLeastOnce, false);
    let want = format!(
        "received message {} on topic b'{TOPIC}'",
        py_bytes_repr("second ✓")
    );
    p.expect_stdout(&want);
    p.assert_running();
}

/// Python's repr() of a bytes object holding `s` encoded as UTF-8.
fn py_bytes_repr(s: &str) -> String {
    let mut o = String::from("b'");
    for b in s.bytes() {
        match b {
            b'\'' => o.push_str("\\'"),
            b'\\' => o.push_str("\\\\"),
            0x20..=0x7e => o.push(b as char),
            b'\n' => o.push_str("\\n"),
            _ => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o.push('\'');
    o
}

#[test]
fn sub_py_receives_through_broker_flag_on_mosquitto() {
    let m = Mosquitto::start();
    run_sub_py(vec!["--broker".into(), m.addr()], m.port());
}

#[test]
fn sub_py_receives_through_local_broker() {
    let port = free_port();
    run_sub_py(vec![format!("--local-broker={port}")], port);
}

fn expect_hello(peer: &mut Peer, p: &mut Proc) {
    let msg = match peer.recv(WAIT) {
        Some(m) => m,
        None => panic!("no message from pub.py on {TOPIC}\n{}", p.describe()),
    };
    assert_eq!(msg.topic, TOPIC);
    assert_eq!(text(&msg), HELLO);
    assert_eq!(msg.qos, QoS::AtMostOnce);
    assert!(!msg.retain);
}

#[test]
fn pub_py_publishes_through_broker_flag_on_mosquitto() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "mqttx-sub");
    peer.subscribe(TOPIC, QoS::AtLeastOnce);
    let dir = TempDir::new("article-pub");
    let mut p = Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &m.addr()])
        .arg(pub_py())
        .spawn();
    p.expect_stdout(r#"Connected to MQTT Broker "broker.emqx.io""#);
    p.expect_stdout(&format!("send message b'{HELLO}' on topic {TOPIC}"));
    // The loop goes on: two messages, one second apart.
    expect_hello(&mut peer, &mut p);
    expect_hello(&mut peer, &mut p);
    p.assert_running();
    let notices: Vec<String> = p
        .stderr()
        .lines()
        .filter(|l| l.starts_with("pymqtt:"))
        .map(String::from)
        .collect();
    assert_eq!(
        notices.len(),
        1,
        "one redirect notice expected\n{}",
        p.describe()
    );
    assert!(
        notices[0].contains(&m.addr()),
        "notice lacks {}\n{}",
        m.addr(),
        p.describe()
    );
}

#[test]
fn pub_py_publishes_through_local_broker() {
    let port = free_port();
    let dir = TempDir::new("article-pub-local");
    let mut p = Pymqtt::new()
        .cwd(dir.path())
        .arg(format!("--local-broker={port}"))
        .arg(pub_py())
        .spawn();
    // The first "send message" line means the broker is up and the script connected.
    p.expect_stdout(&format!("send message b'{HELLO}' on topic {TOPIC}"));
    let mut peer = Peer::connect(port, "mqttx-sub-local");
    // QoS 0 subscription: rumqttd delivers at the subscription's QoS, not min(pub, sub).
    peer.subscribe(TOPIC, QoS::AtMostOnce);
    expect_hello(&mut peer, &mut p);
    expect_hello(&mut peer, &mut p);
    p.assert_running();
}

/// The article's whole scenario on one machine: sub.py hosts the embedded broker, pub.py is
/// pointed at it, and sub.py prints what pub.py sends.
#[test]
fn pub_py_to_sub_py_through_sub_py_local_broker() {
    let port = free_port();
    let dir = TempDir::new("article-both");
    let mut sub = Pymqtt::new()
        .cwd(dir.path())
        .arg(format!("--local-broker={port}"))
        .arg(sub_py())
        .label("sub.py")
        .spawn();
    sub.expect_stdout(r#"Connected to MQTT Broker "broker.emqx.io""#);
    let mut publ = Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &format!("127.0.0.1:{port}")])
        .arg(pub_py())
        .label("pub.py")
        .spawn();
    // pub.py sends every second forever; sub.py may subscribe after the first one.
    let want = received_line(HELLO);
    let line = sub.try_stdout_line(WAIT, |l| l == want);
    if line.is_none() {
        panic!(
            "sub.py never received pub.py's message\n{}\n{}",
            sub.describe(),
            publ.describe()
        );
    }
    publ.assert_running();
    sub.assert_running();
}
