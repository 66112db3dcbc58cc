//! How MQTTClient fails: the exceptions a umqtt.simple script can catch.

#[allow(dead_code)]
mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::{Mosquitto, MosquittoConfig, free_port};
use support::fault_broker::{FaultBroker, read_packet, stay_silent};
use support::peers::{Peer, text};
use support::processes::{Pymqtt, assert_exit_code};
use support::scripts::{TempDir, script_for_port};

const RUN: Duration = Duration::from_secs(30);

#[test]
fn mqtt_exception_is_an_exception_carrying_its_code() {
    let dir = TempDir::new("mqttexc");
    let run = Pymqtt::script(
        &dir,
        "exc.py",
        r#"import umqtt.simple
from umqtt.simple import MQTTException
print("subclass", issubclass(MQTTException, Exception))
print("same", umqtt.simple.MQTTException is MQTTException)
e = MQTTException(5)
print("args", e.args)
try:
    raise MQTTException(128)
except Exception as x:
    print("caught", type(x).__name__, x.args)
# In words, the code still args[0]; other values as any exception's.
print("words", str(MQTTException(5)))
print("words", str(MQTTException(0x80)))
print("plain", str(MQTTException(99)), str(MQTTException("x", 1)))
raise MQTTException(4)
"#,
    )
    .run(RUN);
    run.assert_code(1)
        .assert_stdout_has_line("subclass True")
        .assert_stdout_has_line("same True")
        .assert_stdout_has_line("args (5,)")
        .assert_stdout_has_line("caught MQTTException (128,)")
        .assert_stdout_has_line("words 5 (not authorized: check user and password)")
        .assert_stdout_has_line(
            "words 128 (subscription refused: the broker does not allow this topic filter)",
        )
        .assert_stdout_has_line("plain 99 ('x', 1)");
    assert!(
        run.stderr
            .contains("MQTTException: 4 (bad user name or password)"),
        "{}",
        run.describe()
    );
}

#[test]
fn connection_refused_raises_oserror_111() {
    let port = free_port(); // nothing listens there
    let dir = TempDir::new("refused");
    Pymqtt::script(
        &dir,
        "refused.py",
        &script_for_port(
            port,
            r#"c = MQTTClient("refused", "127.0.0.1", PORT)
try:
    c.connect()
    print("connected?!")
except OSError as e:
    print("oserror", e.args[0])
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("oserror 111");
}

#[test]
fn unknown_host_raises_oserror() {
    let dir = TempDir::new("unknown-host");
    Pymqtt::script(
        &dir,
        "unknown.py",
        r#"from umqtt.simple import MQTTClient
c = MQTTClient("nohost", "nonexistent.invalid", 1883)
try:
    c.connect()
    print("connected?!")
except OSError as e:
    print("oserror", isinstance(e, OSError))
"#,
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("oserror True");
}

#[test]
fn bad_credentials_raise_mqtt_exception_with_connack_code() {
    let m = Mosquitto::start_with(MosquittoConfig {
        users: vec![("alice".into(), "right".into())],
        ..Default::default()
    });
    let dir = TempDir::new("badcreds");
    let r = Pymqtt::script(
        &dir,
        "badcreds.py",
        &script_for_port(
            m.port(),
            r#"def attempt(label, **kw):
    c = MQTTClient(label, "127.0.0.1", PORT, **kw)
    try:
        print(label, "connected", c.connect())
        c.disconnect()
    except MQTTException as e:
        code = e.args[0]
        print(label, "MQTTException", len(e.args), type(code).__name__, code)
    except Exception as e:
        print(label, "other", type(e).__name__, e)
attempt("wrongpw", user="alice", password="wrong")
attempt("nouser")
attempt("good", user="alice", password="right")
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0).assert_stdout_has_line("good connected 0");
    for label in ["wrongpw", "nouser"] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{label} ")))
            .unwrap_or_else(|| panic!("no line for {label}\n{}", r.describe()));
        // mosquitto 2.0 answers 5 (not authorized); 4 (bad user name or password) is also a
        // legitimate answer under MQTT 3.1.1.
        assert!(
            line == format!("{label} MQTTException 1 int 5")
                || line == format!("{label} MQTTException 1 int 4"),
            "{label}: expected MQTTException((4|5,)), got {line:?}\n{}",
            r.describe()
        );
    }
}

#[test]
fn subscribe_refused_by_broker_raises_mqtt_exception_128() {
    // mosquitto 2.0's acl_file never refuses a SUBSCRIBE (its default ACL check passes every
    // subscription and filters at delivery), so the refusal comes from the dynamic-security
    // plugin, which answers SUBACK 0x80.
    let m = Mosquitto::start_with(MosquittoConfig {
        deny_subscribe: vec!["secret/#".into()],
        ..Default::default()
    });
    let dir = TempDir::new("suback80");
    Pymqtt::script(
        &dir,
        "denied.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("denied", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("got", t, msg))
c.connect()
try:
    c.subscribe("secret/plans", 1)
    print("subscribed?!")
except MQTTException as e:
    print("refused", e.args)
c.subscribe("open/t", 1)
c.publish("open/t", "still-works", qos=1)
c.wait_msg()
c.disconnect()
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("refused (128,)")
    .assert_stdout_has_line("got b'open/t' b'still-works'");
}

#[test]
fn subscribe_without_callback_is_an_assertion_error() {
    let m = Mosquitto::start();
    let dir = TempDir::new("nocb");
    let r = Pymqtt::script(
        &dir,
        "nocb.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("nocb", "127.0.0.1", PORT)
c.connect()
try:
    c.subscribe("t")
    print("subscribed?!")
except AssertionError as e:
    print("assert", e)
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("assert Subscribe callback is not set");
}

#[test]
fn invalid_publish_arguments_raise_value_and_type_errors() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-invalid");
    peer.subscribe("ok/#", QoS::AtLeastOnce);
    let dir = TempDir::new("invalid-pub");
    let r = Pymqtt::script(
        &dir,
        "invalid.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("invalid", "127.0.0.1", PORT)
c.connect()
def attempt(label, *a, **k):
    try:
        c.publish(*a, **k)
        print(label, "no exception")
    except Exception as e:
        print(label, type(e).__name__)
attempt("plus", "a/+/b", "x")
attempt("hash", "a/#", "x")
attempt("bytes-plus", b"a/+", b"x")
attempt("qos3", "ok/t", "x", qos=3)
attempt("topic-int", 5, "x")
c.publish("ok/t", "still-connected", qos=1)
print("valid publish done")
c.disconnect()
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("plus ValueError")
        .assert_stdout_has_line("hash ValueError")
        .assert_stdout_has_line("bytes-plus ValueError")
        .assert_stdout_has_line("qos3 ValueError")
        .assert_stdout_has_line("topic-int TypeError")
        .assert_stdout_has_line("valid publish done");
    let msg = peer.expect_publish("the valid publish after the refused ones");
    assert_eq!(
        (msg.topic.as_str(), text(&msg).as_str()),
        ("ok/t", "still-connected")
    );
    // None of the invalid ones went out.
    assert!(
        peer.recv(Duration::from_millis(200)).is_none(),
        "an invalid publish got through"
    );
}

#[test]
fn publish_before_connect_raises_oserror_enotconn() {
    let m = Mosquitto::start();
    let dir = TempDir::new("notconn");
    Pymqtt::script(
        &dir,
        "notconn.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("notconn", "127.0.0.1", PORT)
try:
    c.publish("t", "x")
    print("published?!")
except OSError as e:
    print("oserror", e.args[0])
"#,
        ),
    )
    .run(RUN)
    .assert_code(0)
    .assert_stdout_has_line("oserror 107");
}

#[test]
fn broker_going_away_raises_oserror_from_wait_msg() {
    let mut m = Mosquitto::start();
    let dir = TempDir::new("lost");
    let mut p = Pymqtt::script(
        &dir,
        "lost.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("lost", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("got", t, msg))
c.connect()
c.subscribe("lost/t")
print("ready")
try:
    c.wait_msg()
    print("returned?!")
except OSError as e:
    print("lost connection", type(e).__name__)
"#,
        ),
    )
    .spawn();
    p.expect_stdout("ready");
    m.stop();
    p.expect_stdout_contains("lost connection");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

/// Fails the test if a run's output shows Rust's words instead of the script's: a panic, a
/// Rust type, or rumqttc's debug formatting.
fn assert_no_rust_text(output: &str, describe: &str) {
    for rust in [
        "panicked",
        "Rust",
        "i64",
        "u16",
        "{",
        "}",
        "PubAck",
        "ConnAck",
        "IO:",
        "Mqtt state",
    ] {
        assert!(
            !output.contains(rust),
            "the output shows {rust:?}\n{describe}"
        );
    }
}

#[test]
fn numeric_arguments_out_of_range_or_of_the_wrong_type_are_named() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-limits");
    peer.subscribe("will/limits", QoS::AtLeastOnce);
    let dir = TempDir::new("limits");
    let r = Pymqtt::script(
        &dir,
        "limits.py",
        &script_for_port(
            m.port(),
            r#"def attempt(label, f):
    try:
        f()
        print(label, "accepted")
    except Exception as e:
        print(label, type(e).__name__, e)
attempt("port-huge", lambda: MQTTClient("a", "127.0.0.1", 2**64))
attempt("port-str", lambda: MQTTClient("a", "127.0.0.1", "abc"))
attempt("port-float", lambda: MQTTClient("a", "127.0.0.1", 1883.0))
attempt("port-negative", lambda: MQTTClient("a", "127.0.0.1", -1))
attempt("keepalive-huge", lambda: MQTTClient("a", "127.0.0.1", PORT, keepalive=2**70))
attempt("keepalive-str", lambda: MQTTClient("a", "127.0.0.1", PORT, keepalive="60"))
c = MQTTClient("limits", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("got", t, msg))
attempt("will-too-large", lambda: c.set_last_will("will/limits", b"w" * 65536))
attempt("will-qos-huge", lambda: c.set_last_will("will/limits", "m", qos=2**70))
attempt("will-retain-str", lambda: c.set_last_will("will/limits", "m", retain="yes"))
attempt("timeout-negative", lambda: c.connect(timeout=-1))
attempt("timeout-nan", lambda: c.connect(timeout=float("nan")))
attempt("timeout-str", lambda: c.connect(timeout="5"))
attempt("clean-session-str", lambda: c.connect(clean_session="no"))
# The largest will MQTT carries; a timeout past any clock is "wait as long as it takes".
c.set_last_will("will/limits", b"w" * 65535, qos=1)
print("connect", c.connect(timeout=1e300))
attempt("publish-qos-huge", lambda: c.publish("ok/t", "x", qos=2**70))
attempt("publish-retain-list", lambda: c.publish("ok/t", "x", retain=[]))
attempt("subscribe-qos-huge", lambda: c.subscribe("ok/t", qos=2**70))
attempt("subscribe-qos-str", lambda: c.subscribe("ok/t", qos="1"))
c.subscribe("ok/t", 1)
c.publish("ok/t", "still-connected", qos=1)
c.wait_msg()
# Ends without disconnect(): the broker publishes the will.
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0);
    let huge70 = "1180591620717411303424";
    for line in [
        "port-huge ValueError port must be 0..65535 (0: the default), not 18446744073709551616"
            .to_string(),
        "port-str TypeError port must be an int, not str".into(),
        "port-float TypeError port must be an int, not float".into(),
        "port-negative ValueError port must be 0..65535 (0: the default), not -1".into(),
        format!("keepalive-huge ValueError keepalive must be 0..65535 seconds, not {huge70}"),
        "keepalive-str TypeError keepalive must be an int, not str".into(),
        "will-too-large ValueError will message of 65536 bytes is too large: MQTT allows at \
         most 65535 bytes in a last will"
            .into(),
        format!("will-qos-huge ValueError qos must be 0, 1 or 2, not {huge70}"),
        "will-retain-str TypeError retain must be True or False, not str".into(),
        "timeout-negative ValueError timeout must be a positive number of seconds, not -1".into(),
        "timeout-nan ValueError timeout must be a positive number of seconds, not NaN".into(),
        "timeout-str TypeError timeout must be a number of seconds (int or float), not str".into(),
        "clean-session-str TypeError clean_session must be True or False, not str".into(),
        "connect 0".into(),
        format!("publish-qos-huge ValueError qos must be 0, 1 or 2, not {huge70}"),
        "publish-retain-list TypeError retain must be True or False, not list".into(),
        format!("subscribe-qos-huge ValueError qos must be 0, 1 or 2, not {huge70}"),
        "subscribe-qos-str TypeError qos must be an int, not str".into(),
        "got b'ok/t' b'still-connected'".into(),
    ] {
        r.assert_stdout_has_line(&line);
    }
    assert_no_rust_text(&format!("{}{}", r.stdout, r.stderr), &r.describe());
    let will = peer.expect_publish("the largest last will");
    assert_eq!(will.payload.len(), 65535, "{}", r.describe());
}

/// The answers of servers that are not MQTT brokers (or are broken ones) to CONNECT.
fn answer_connect_with(reply: &'static [u8], then_close: bool) -> FaultBroker {
    FaultBroker::start(move |mut stream: TcpStream| {
        if read_packet(&mut stream).is_err() {
            return;
        }
        let _ = stream.write_all(reply);
        if !then_close {
            stay_silent(stream);
        }
    })
}

#[test]
fn a_server_that_answers_connect_wrongly_is_described_in_words() {
    let cases = [
        // (label, what it sends, closes after, words the error must have)
        (
            "garbage",
            answer_connect_with(b"\x00\xff\xff\xff\xff\x7fgarbage", false),
            "sent bytes that are not MQTT",
        ),
        (
            "puback",
            answer_connect_with(b"\x40\x02\x54\x50", false),
            "the answer to CONNECT was a PUBACK, not a CONNACK",
        ),
        (
            "truncated",
            answer_connect_with(b"\x20\x02\x00", true),
            "the connection closed in the middle of a packet",
        ),
        (
            "http",
            answer_connect_with(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                true,
            ),
            "the connection closed in the middle of a packet",
        ),
        (
            "closes",
            answer_connect_with(b"", true),
            "closed the connection",
        ),
    ];
    let mut body = String::from(
        "def attempt(label, port):\n    c = MQTTClient(label, '127.0.0.1', port)\n    try:\n        \
         c.connect(timeout=5)\n        print(label, 'connected?!')\n    except OSError as e:\n        \
         print(label, 'OSError', e.args[0], e)\n",
    );
    for (label, server, _) in &cases {
        body.push_str(&format!("attempt({label:?}, {})\n", server.port()));
    }
    let dir = TempDir::new("not-mqtt");
    let r = Pymqtt::script(&dir, "notmqtt.py", &script_for_port(0, &body)).run(RUN);
    r.assert_code(0);
    for (label, server, words) in &cases {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{label} ")))
            .unwrap_or_else(|| panic!("no line for {label}\n{}", r.describe()));
        let peer = format!("127.0.0.1:{}", server.port());
        for want in [
            format!("{label} OSError 104 [Errno 104] cannot connect to {peer}: "),
            words.to_string(),
            format!("is {peer} an MQTT port?"),
        ] {
            assert!(
                line.contains(&want),
                "{label}: no {want:?} in {line:?}\n{}",
                r.describe()
            );
        }
    }
    assert_no_rust_text(&format!("{}{}", r.stdout, r.stderr), &r.describe());
}

#[test]
fn a_silent_server_ends_connect_with_the_timeout_error_in_time() {
    let server = FaultBroker::start(|mut stream: TcpStream| {
        let _ = read_packet(&mut stream);
        stay_silent(stream);
    });
    let dir = TempDir::new("silent");
    let r = Pymqtt::script(
        &dir,
        "silent.py",
        &script_for_port(
            server.port(),
            r#"c = MQTTClient("silent", "127.0.0.1", PORT)
start = time.time()
try:
    c.connect(timeout=2)
    print("connected?!")
except OSError as e:
    print("error", type(e).__name__, e.args[0], e)
print("after", round(time.time() - start, 1))
"#,
        ),
    )
    .run(RUN);
    r.assert_code(0).assert_stdout_has_line(&format!(
        "error TimeoutError 110 [Errno 110] timed out connecting to 127.0.0.1:{}",
        server.port()
    ));
    let after: f64 = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("after "))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed time\n{}", r.describe()));
    // rumqttc counts its timeout in whole seconds: 2 s is 2 s, and not the backstop's 4.
    assert!(
        (1.9..3.0).contains(&after),
        "connect(timeout=2) gave up after {after} s\n{}",
        r.describe()
    );
}
