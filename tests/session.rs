//! Broker-side session state: clean_session=False resume, and the last will.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::deadlines::{WAIT, wait_until};
use support::peers::{Peer, text};
use support::processes::Pymqtt;
use support::scripts::{TempDir, script_for_port, unique_id};

const RUN: Duration = Duration::from_secs(30);

#[test]
fn persistent_session_keeps_subscription_and_queues_messages() {
    let m = Mosquitto::start();
    let dir = TempDir::new("session");

    // A: persistent session, subscribe at QoS 1, leave.
    Pymqtt::script(
        &dir,
        "a.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("sess-X", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: None)
print("A connect", c.connect(clean_session=False))
c.subscribe("sess/t", qos=1)
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("A connect 0");

    // Meanwhile, three QoS 1 messages.
    let mut peer = Peer::connect(m.port(), "peer-sess");
    for i in 1..=3 {
        peer.publish("sess/t", format!("queued-{i}"), QoS::AtLeastOnce, false);
    }

    // B: same id, session present, messages arrive without subscribing again.
    Pymqtt::script(
        &dir,
        "b.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("sess-X", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("B got", t, msg))
print("B connect", c.connect(clean_session=False))
for i in range(3):
    print("B ret", c.wait_msg())
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("B connect 1")
    .assert_stdout_has_line("B got b'sess/t' b'queued-1'")
    .assert_stdout_has_line("B got b'sess/t' b'queued-2'")
    .assert_stdout_has_line("B got b'sess/t' b'queued-3'")
    .assert_stdout_has_line("B ret 50");

    // C: a clean session with the same id finds no session.
    Pymqtt::script(
        &dir,
        "c.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("sess-X", "127.0.0.1", PORT)
print("C connect", c.connect())
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("C connect 0");
}

fn will_script(m: &Mosquitto, topic: &str, retain: bool) -> String {
    script_for_port(
        m.port(),
        &format!(
            r#"c = MQTTClient("will-client", "127.0.0.1", PORT)
c.set_last_will({topic:?}, b"gone-bye", retain={}, qos=1)
c.connect()
print("ready")
time.sleep(60)
"#,
            if retain { "True" } else { "False" }
        ),
    )
}

#[test]
fn last_will_is_published_when_the_script_is_killed() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-will");
    peer.subscribe("will/t", QoS::AtLeastOnce);
    let dir = TempDir::new("will");
    let mut p = Pymqtt::script(&dir, "will.py", &will_script(&m, "will/t", false)).spawn();
    p.expect_stdout("ready");
    assert!(
        peer.recv(Duration::from_millis(100)).is_none(),
        "will sent while still connected"
    );
    p.signal(libc::SIGKILL);
    p.wait_exit(RUN);
    let msg = peer.expect_publish("last will");
    assert_eq!(
        (msg.topic.as_str(), text(&msg).as_str()),
        ("will/t", "gone-bye")
    );
    assert_eq!(msg.qos, QoS::AtLeastOnce);
    assert!(!msg.retain);
}

#[test]
fn retained_last_will_reaches_a_later_subscriber() {
    let m = Mosquitto::start();
    let dir = TempDir::new("will-retained");
    let mut p = Pymqtt::script(&dir, "will.py", &will_script(&m, "will/retained", true)).spawn();
    p.expect_stdout("ready");
    p.signal(libc::SIGKILL);
    p.wait_exit(RUN);
    // The broker publishes the will once it notices the dead socket; a later subscriber then
    // gets it as a retained message. Subscribe again until it shows up (or time runs out).
    let mut found = None;
    let ok = wait_until(WAIT, || {
        let mut peer = Peer::connect(m.port(), &unique_id("peer-will-ret"));
        peer.subscribe("will/retained", QoS::AtLeastOnce);
        found = peer.recv(Duration::from_millis(200));
        peer.disconnect();
        found.is_some()
    });
    assert!(ok, "retained will never appeared\n{}", m.log());
    let msg = found.unwrap();
    assert_eq!(text(&msg), "gone-bye");
    assert!(msg.retain, "will set with retain=True was not retained");
}

#[test]
fn last_will_is_not_sent_after_a_clean_disconnect() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-nowill");
    peer.subscribe("wc/t", QoS::AtLeastOnce);
    let dir = TempDir::new("nowill");
    Pymqtt::script(
        &dir,
        "nowill.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("will-clean", "127.0.0.1", PORT)
c.set_last_will("wc/t", "should-not-arrive", qos=1)
c.connect()
c.disconnect()
d = MQTTClient("will-marker", "127.0.0.1", PORT)
d.connect()
d.publish("wc/t", "marker", qos=1)
d.disconnect()
print("done")
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("done");
    let first = peer.expect_publish("marker");
    assert_eq!(
        text(&first),
        "marker",
        "the will was published despite disconnect()"
    );
    if let Some(extra) = peer.recv(Duration::from_millis(300)) {
        panic!("unexpected message after the marker: {:?}", text(&extra));
    }
}
