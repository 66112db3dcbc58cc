//! umqtt.simple's MQTTClient against a real mosquitto, with an independent rumqttc client on
//! the other side. Scripts pass the broker as server/port arguments (no --broker).

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::{Mosquitto, MosquittoConfig, free_port};
use support::deadlines::WAIT;
use support::peers::{Peer, text};
use support::processes::{Pymqtt, assert_exit_code};
use support::scripts::{TempDir, script_for_port};

const RUN: Duration = Duration::from_secs(30);

#[test]
fn publish_at_qos_0_1_2_reaches_an_independent_subscriber() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-qos");
    peer.subscribe("qos/#", QoS::ExactlyOnce);
    let dir = TempDir::new("pub-qos");
    let r = Pymqtt::script(
        &dir,
        "pubqos.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("pub-qos", "127.0.0.1", PORT)
print("connect", c.connect())
c.publish("qos/t0", b"m0")
c.publish("qos/t1", b"m1", qos=1)
c.publish(b"qos/t2", "m2", False, 2)
print("published")
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("connect 0")
        .assert_stdout_has_line("published");
    let mut got: Vec<(String, String, QoS, bool)> = peer
        .collect(3, WAIT)
        .iter()
        .map(|p| (p.topic.clone(), text(p), p.qos, p.retain))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            (
                "qos/t0".to_string(),
                "m0".to_string(),
                QoS::AtMostOnce,
                false
            ),
            (
                "qos/t1".to_string(),
                "m1".to_string(),
                QoS::AtLeastOnce,
                false
            ),
            (
                "qos/t2".to_string(),
                "m2".to_string(),
                QoS::ExactlyOnce,
                false
            ),
        ],
        "script output:\n{}",
        r.describe()
    );
}

#[test]
fn wait_msg_calls_back_with_bytes_and_returns_the_fixed_header_byte() {
    let m = Mosquitto::start();
    let dir = TempDir::new("wait-msg");
    let mut p = Pymqtt::script(
        &dir,
        "waitmsg.py",
        &script_for_port(
            m.port(),
            r#"got = []
def cb(topic, msg):
    got.append(topic)
    print("cb", type(topic).__name__, type(msg).__name__, topic, msg)
c = MQTTClient(b"sub-qos", "127.0.0.1", PORT)
c.set_callback(cb)
print("connect", c.connect())
c.subscribe(b"w/0")
c.subscribe("w/1", qos=1)
c.subscribe("w/2", 2)
print("ready")
for i in range(3):
    r = c.wait_msg()
    print("ret", got[-1].decode(), r)
c.disconnect()
"#,
        ),
    )
    .spawn();
    p.expect_stdout("connect 0");
    p.expect_stdout("ready");
    let mut peer = Peer::connect(m.port(), "peer-wait");
    peer.publish("w/0", "m0", QoS::AtMostOnce, false);
    peer.publish("w/1", "m1", QoS::AtLeastOnce, false);
    peer.publish("w/2", "m2", QoS::ExactlyOnce, false);
    p.expect_stdout("cb bytes bytes b'w/0' b'm0'");
    p.expect_stdout("ret w/0 48");
    p.expect_stdout("cb bytes bytes b'w/1' b'm1'");
    p.expect_stdout("ret w/1 50");
    p.expect_stdout("cb bytes bytes b'w/2' b'm2'");
    p.expect_stdout("ret w/2 52");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

#[test]
fn check_msg_returns_none_when_idle_and_processes_a_pending_message() {
    let m = Mosquitto::start();
    let dir = TempDir::new("check-msg");
    let mut p = Pymqtt::script(
        &dir,
        "checkmsg.py",
        &script_for_port(
            m.port(),
            r#"hits = []
c = MQTTClient("chk", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: hits.append((t, msg)))
c.connect()
print("idle", repr(c.check_msg()))
c.subscribe("chk/t", 1)
print("idle-after-subscribe", repr(c.check_msg()), hits)
print("ready")
deadline = time.time() + 20
r = None
while not hits and time.time() < deadline:
    r = c.check_msg()
    if r is None:
        time.sleep(0.01)
print("hits", hits, "ret", r)
c.disconnect()
"#,
        ),
    )
    .spawn();
    p.expect_stdout("idle None");
    p.expect_stdout("idle-after-subscribe None []");
    p.expect_stdout("ready");
    let mut peer = Peer::connect(m.port(), "peer-chk");
    peer.publish("chk/t", "pending", QoS::AtLeastOnce, false);
    p.expect_stdout("hits [(b'chk/t', b'pending')] ret 50");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

/// The callback runs in the script's main thread, and only inside wait_msg/check_msg.
#[test]
fn callback_runs_only_inside_wait_msg_on_the_main_thread() {
    let m = Mosquitto::start();
    let dir = TempDir::new("cb-thread");
    let r = Pymqtt::script(
        &dir,
        "cbthread.py",
        &script_for_port(
            m.port(),
            r#"import threading
calls = []
def cb(t, msg):
    calls.append(threading.current_thread() is threading.main_thread())
c = MQTTClient("cbthread", "127.0.0.1", PORT)
c.set_callback(cb)
c.connect()
c.subscribe("cbt/t", 1)
c.publish("cbt/t", "to-myself", qos=1)
time.sleep(0.5)  # give a (wrong) background delivery the chance to show
print("before", calls)
c.wait_msg()
print("after", calls)
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("before []")
        .assert_stdout_has_line("after [True]");
}

#[test]
fn exception_in_callback_propagates_from_wait_msg_and_client_stays_usable() {
    let m = Mosquitto::start();
    let dir = TempDir::new("cb-raise");
    let r = Pymqtt::script(
        &dir,
        "cbraise.py",
        &script_for_port(
            m.port(),
            r#"def bad(t, msg):
    raise RuntimeError("cb-boom " + msg.decode())
c = MQTTClient("cbraise", "127.0.0.1", PORT)
c.set_callback(bad)
c.connect()
c.subscribe("cbr/t", 1)
c.publish("cbr/t", "one", qos=1)
try:
    c.wait_msg()
    print("no exception")
except RuntimeError as e:
    print("caught", e)
c.set_callback(lambda t, msg: print("second", t, msg))
c.publish("cbr/t", "two", qos=1)
c.wait_msg()
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("caught cb-boom one")
        .assert_stdout_has_line("second b'cbr/t' b'two'");
}

#[test]
fn unsubscribe_stops_delivery() {
    let m = Mosquitto::start();
    let dir = TempDir::new("unsub");
    let r = Pymqtt::script(
        &dir,
        "unsub.py",
        &script_for_port(
            m.port(),
            r#"seen = []
c = MQTTClient("unsub", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: seen.append((t, msg)))
c.connect()
c.subscribe("u/x", 1)
c.subscribe("u/y", 1)
c.unsubscribe("u/x")
c.publish("u/x", "should-not-arrive", qos=1)
c.publish("u/y", "yes", qos=1)
c.wait_msg()
print("seen", seen)
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("seen [(b'u/y', b'yes')]");
}

#[test]
fn utf8_topics_and_payloads_in_both_directions() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-utf8");
    let t_out = "ü/日本/out";
    peer.subscribe(t_out, QoS::AtLeastOnce);
    peer.subscribe("bin/out", QoS::AtLeastOnce);
    let dir = TempDir::new("utf8");
    let mut p = Pymqtt::script(
        &dir,
        "utf8.py",
        &script_for_port(
            m.port(),
            r#"got = []
c = MQTTClient("utf8-ñ", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: got.append((t, msg)))
c.connect()
c.subscribe("ü/日本/in", 1)
print("ready")
c.wait_msg()
t, msg = got[0]
print("in", t.decode("utf-8"), msg.decode("utf-8"), len(t), len(msg))
c.publish("ü/日本/out", "héllo ✓ wörld", qos=1)
c.publish(b"bin/out", b"\x00\x01\xfe\xff", qos=1)
print("done")
c.disconnect()
"#,
        ),
    )
    .spawn();
    p.expect_stdout("ready");
    let t_in = "ü/日本/in";
    let payload = "ñandú € ✓";
    peer.publish(t_in, payload, QoS::AtLeastOnce, false);
    p.expect_stdout(&format!(
        "in {t_in} {payload} {} {}",
        t_in.len(),
        payload.len()
    ));
    let a = peer.expect_publish("utf-8 message from the script");
    assert_eq!(a.topic, t_out);
    assert_eq!(&a.payload[..], "héllo ✓ wörld".as_bytes());
    let b = peer.expect_publish("binary message from the script");
    assert_eq!(b.topic, "bin/out");
    assert_eq!(&b.payload[..], b"\x00\x01\xfe\xff");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

/// 100 KB in, 150 KB out: far past one-byte remaining lengths and small default packet limits.
#[test]
fn large_payloads_in_both_directions() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-big");
    peer.subscribe("big/out", QoS::AtLeastOnce);
    let dir = TempDir::new("big");
    let mut p = Pymqtt::script(
        &dir,
        "big.py",
        &script_for_port(
            m.port(),
            r#"got = []
c = MQTTClient("big", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: got.append(msg))
c.connect()
c.subscribe("big/in", 1)
print("ready")
c.wait_msg()
msg = got[0]
print("in", len(msg), msg == bytes(range(256)) * 400)
c.publish("big/out", bytes(i % 251 for i in range(150000)), qos=1)
print("sent")
c.disconnect()
"#,
        ),
    )
    .spawn();
    p.expect_stdout("ready");
    let big_in: Vec<u8> = (0..400).flat_map(|_| 0u8..=255).collect();
    peer.publish("big/in", big_in, QoS::AtLeastOnce, false);
    p.expect_stdout("in 102400 True");
    p.expect_stdout("sent");
    let out = peer.expect_publish("150 KB message");
    let want: Vec<u8> = (0..150000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(out.payload.len(), want.len());
    assert!(out.payload[..] == want[..], "150 KB payload corrupted");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

#[test]
fn retained_message_reaches_later_subscribers_and_wait_msg_returns_0x31() {
    let m = Mosquitto::start();
    let dir = TempDir::new("retain");
    Pymqtt::script(
        &dir,
        "retain_pub.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("ret-pub", "127.0.0.1", PORT)
c.connect()
c.publish("ret/t", "kept", retain=True, qos=1)
c.disconnect()
print("published")
"#,
        ),
    )
    .run(RUN)
    .assert_code(0);
    // A subscriber arriving afterwards gets it, flagged retained.
    let mut peer = Peer::connect(m.port(), "peer-ret");
    peer.subscribe("ret/t", QoS::AtLeastOnce);
    let msg = peer.expect_publish("retained message");
    assert_eq!(
        (msg.topic.as_str(), text(&msg).as_str(), msg.retain),
        ("ret/t", "kept", true)
    );
    // And so does a script.
    Pymqtt::script(
        &dir,
        "retain_sub.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("ret-sub", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("cb", t, msg))
c.connect()
c.subscribe("ret/t")
print("ret", hex(c.wait_msg()))
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("cb b'ret/t' b'kept'")
    .assert_stdout_has_line("ret 0x31");
}

#[test]
fn ping_works_after_connect() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-ping");
    peer.subscribe("ping/t", QoS::AtLeastOnce);
    let dir = TempDir::new("ping");
    Pymqtt::script(
        &dir,
        "ping.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("pinger", "127.0.0.1", PORT, keepalive=30)
c.connect(timeout=5)
c.ping()
c.ping()
print("pinged")
c.publish("ping/t", "after-ping", qos=1)
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("pinged");
    assert_eq!(
        text(&peer.expect_publish("message after ping")),
        "after-ping"
    );
}

#[test]
fn subclass_with_super_init_and_overridden_publish() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-subclass");
    peer.subscribe("sub/x", QoS::AtLeastOnce);
    let dir = TempDir::new("subclass");
    Pymqtt::script(
        &dir,
        "subclass.py",
        &script_for_port(
            m.port(),
            r#"class C(MQTTClient):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.extra = 1
    def publish(self, topic, msg, retain=False, qos=0):
        self.extra += 1
        return super().publish(b"sub/" + topic, msg, retain, qos)
c = C(client_id="subcls", server="127.0.0.1", port=PORT, keepalive=60)
print("isinstance", isinstance(c, MQTTClient), c.extra)
c.connect()
c.publish(b"x", b"via-subclass", qos=1)
print("extra", c.extra)
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("isinstance True 1")
    .assert_stdout_has_line("extra 2");
    let msg = peer.expect_publish("subclass publish");
    assert_eq!(
        (msg.topic.as_str(), text(&msg).as_str()),
        ("sub/x", "via-subclass")
    );
}

#[test]
fn two_clients_in_one_script_talk_to_each_other() {
    let m = Mosquitto::start();
    let dir = TempDir::new("two-clients");
    Pymqtt::script(
        &dir,
        "two.py",
        &script_for_port(
            m.port(),
            r#"rx = MQTTClient("two-rx", "127.0.0.1", PORT)
tx = MQTTClient("two-tx", "127.0.0.1", PORT)
rx.set_callback(lambda t, msg: print("rx got", t, msg))
rx.connect()
tx.connect()
rx.subscribe("two/t", 2)
tx.publish("two/t", "over", qos=2)
print("ret", rx.wait_msg())
tx.disconnect()
rx.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("rx got b'two/t' b'over'")
    .assert_stdout_has_line("ret 52");
}

#[test]
fn credentials_as_str_and_bytes_are_sent() {
    let m = Mosquitto::start_with(MosquittoConfig {
        users: vec![("alice".into(), "s3cret".into())],
        acl: Some("user alice\ntopic readwrite cred/#\n".into()),
        ..Default::default()
    });
    let dir = TempDir::new("creds");
    Pymqtt::script(
        &dir,
        "creds.py",
        &script_for_port(
            m.port(),
            r#"a = MQTTClient("cred-str", "127.0.0.1", PORT, "alice", "s3cret")
b = MQTTClient(b"cred-bytes", "127.0.0.1", PORT, user=b"alice", password=b"s3cret")
print("connect", a.connect(), b.connect())
b.set_callback(lambda t, msg: print("b got", t, msg))
b.subscribe("cred/t", 1)
a.publish("cred/t", "authorized", qos=1)
b.wait_msg()
a.disconnect()
b.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("connect 0 0")
    .assert_stdout_has_line("b got b'cred/t' b'authorized'");
}

fn nothing_lost(ending: &str, tag: &str) {
    const N: usize = 200;
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), &format!("peer-{tag}"));
    peer.subscribe("bulk/t", QoS::AtMostOnce);
    let dir = TempDir::new(tag);
    let r = Pymqtt::script(
        &dir,
        "bulk.py",
        &script_for_port(
            m.port(),
            &format!(
                r#"c = MQTTClient("{tag}", "127.0.0.1", PORT)
c.connect()
for i in range({N}):
    c.publish("bulk/t", "%d" % i)
{ending}
print("sent")
"#
            ),
        ),
    )
    .run(RUN);
    r.assert_code(0).assert_stdout_has_line("sent");
    let got: Vec<String> = peer.collect(N, WAIT).iter().map(text).collect();
    let want: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    assert_eq!(
        got.len(),
        N,
        "subscriber got {} of {N} messages\n{}",
        got.len(),
        r.describe()
    );
    assert_eq!(got, want, "messages out of order or altered");
}

#[test]
fn qos0_burst_then_script_end_loses_nothing() {
    nothing_lost("", "burst-end");
}

#[test]
fn qos0_burst_then_disconnect_loses_nothing() {
    nothing_lost("c.disconnect()", "burst-disconnect");
}

/// publish(qos>=1) returns only after the broker's acknowledgement: a script that hard-exits
/// (os._exit: no disconnect, no flushing at exit) right after it still got its messages out.
#[test]
fn qos1_and_qos2_publish_have_reached_the_broker_when_they_return() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-acked");
    peer.subscribe("acked/#", QoS::ExactlyOnce);
    let dir = TempDir::new("acked");
    let r = Pymqtt::script(
        &dir,
        "acked.py",
        &script_for_port(
            m.port(),
            r#"import os
c = MQTTClient("acked", "127.0.0.1", PORT)
c.connect()
c.publish("acked/1", "q1", qos=1)
c.publish("acked/2", "q2", qos=2)
print("returned")
os._exit(7)
"#,
        ),
    )
    .run(RUN);
    r.assert_code(7).assert_stdout_has_line("returned");
    let mut got: Vec<(String, String)> = peer
        .collect(2, WAIT)
        .iter()
        .map(|p| (p.topic.clone(), text(p)))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("acked/1".to_string(), "q1".to_string()),
            ("acked/2".to_string(), "q2".to_string())
        ],
        "{}",
        r.describe()
    );
}

/// While the script sleeps, nobody calls into the client; the connection must still be
/// driven (pings sent), or the broker drops it after 1.5 x keepalive without traffic. The
/// embedded broker enforces that strictly (mosquitto 2.0 here did not), so it is the judge.
#[test]
fn idle_script_stays_connected_past_the_keepalive() {
    let port = free_port();
    let dir = TempDir::new("idle");
    Pymqtt::script(
        &dir,
        "idle.py",
        r#"import time
from umqtt.simple import MQTTClient
c = MQTTClient("idler", "example.invalid", keepalive=1)
c.connect()
time.sleep(4)
c.publish("idle/t", "still-here", qos=1)
print("published")
c.disconnect()
"#,
    )
    .pre_args([format!("--local-broker={port}")])
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("published");
}
