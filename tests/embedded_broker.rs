//! The embedded broker: `pymqtt broker --port P` on its own, and `--local-broker=P` in-process.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::{MqttOptions, QoS};

use support::brokers::{Mosquitto, free_port, start_embedded_broker};
use support::deadlines::WAIT;
use support::mosquitto_clients::{MosquittoSub, mosquitto_pub};
use support::peers::{Peer, text};
use support::processes::{Pymqtt, assert_exit_code};
use support::scripts::{TempDir, fill};

const RUN: Duration = Duration::from_secs(30);

#[test]
fn broker_subcommand_relays_between_independent_clients() {
    let (mut b, port) = start_embedded_broker();
    let mut sub = Peer::connect(port, "eb-sub");
    sub.subscribe("eb/#", QoS::ExactlyOnce);
    let mut publ = Peer::connect(port, "eb-pub");
    publ.publish("eb/0", "zero", QoS::AtMostOnce, false);
    publ.publish("eb/1", "one", QoS::AtLeastOnce, false);
    publ.publish("eb/2", "two", QoS::ExactlyOnce, false);
    let mut got: Vec<(String, String)> = sub
        .collect(3, WAIT)
        .iter()
        .map(|p| (p.topic.clone(), text(p)))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("eb/0".to_string(), "zero".to_string()),
            ("eb/1".to_string(), "one".to_string()),
            ("eb/2".to_string(), "two".to_string()),
        ],
        "broker:\n{}",
        b.describe()
    );
    // It runs until killed.
    b.assert_running();
}

#[test]
fn broker_subcommand_accepts_any_username_and_password() {
    let (mut b, port) = start_embedded_broker();
    let mut o = MqttOptions::new("eb-creds", "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_credentials("nobody-in-particular", "whatever-password");
    let (mut peer, ack) = Peer::connect_with(o);
    assert_eq!(
        ack.code,
        rumqttc::ConnectReturnCode::Success,
        "{}",
        b.describe()
    );
    peer.subscribe("creds/t", QoS::AtLeastOnce);
    peer.publish("creds/t", "hi", QoS::AtLeastOnce, false);
    assert_eq!(text(&peer.expect_publish("own message")), "hi");
    b.assert_running();
}

#[test]
fn broker_subcommand_works_with_mosquitto_command_line_clients() {
    let (mut b, port) = start_embedded_broker();
    let dir = TempDir::new("eb-mosq-clients");
    // A script (default keepalive 0, credentials given) subscribes; mosquitto_pub publishes;
    // the script publishes back; mosquitto_sub receives.
    let sub = MosquittoSub::start(port, "back/t", 1, 15);
    let mut p = Pymqtt::script(
        &dir,
        "echo.py",
        &fill(
            r#"from umqtt.simple import MQTTClient
c = MQTTClient("eb-echo", "127.0.0.1", @PORT@, "emqx", "public")
def cb(t, msg):
    print("got", t, msg)
    c.publish(b"back/t", b"echo:" + msg, qos=1)
c.set_callback(cb)
c.connect()
c.subscribe("in/t", 1)
print("ready")
c.wait_msg()
c.disconnect()
"#,
            &[("PORT", &port.to_string())],
        ),
    )
    .spawn();
    p.expect_stdout("ready");
    mosquitto_pub(port, "in/t", "hello-from-mosquitto_pub", 1);
    p.expect_stdout("got b'in/t' b'hello-from-mosquitto_pub'");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
    let (ok, out, err) = sub.finish();
    assert!(ok, "mosquitto_sub failed: {err}\nbroker:\n{}", b.describe());
    assert_eq!(out.trim_end(), "back/t echo:hello-from-mosquitto_pub");
}

/// keepalive=0 is umqtt's default; the embedded broker refuses keepalive 0 on the wire, so the
/// client must still connect (and stay connected while idle).
#[test]
fn default_keepalive_zero_connects_to_the_embedded_broker() {
    let (mut b, port) = start_embedded_broker();
    let dir = TempDir::new("eb-keepalive");
    let src = fill(
        r#"from umqtt.simple import MQTTClient
rx = MQTTClient("ka-rx", "127.0.0.1", @PORT@)
tx = MQTTClient("ka-tx", "127.0.0.1", @PORT@, keepalive=0)
rx.set_callback(lambda t, msg: print("rx", t, msg))
print("connect", rx.connect(), tx.connect())
rx.subscribe("ka/t", 1)
tx.publish("ka/t", "alive", qos=1)
print("ret", rx.wait_msg())
tx.ping()
rx.disconnect()
tx.disconnect()
"#,
        &[("PORT", &port.to_string())],
    );
    let r = Pymqtt::script(&dir, "ka.py", &src).run(RUN);
    if r.code() != Some(0) {
        panic!("{}\nbroker:\n{}", r.describe(), b.describe());
    }
    r.assert_stdout_has_line("connect 0 0");
    r.assert_stdout_has_line("rx b'ka/t' b'alive'");
    r.assert_stdout_has_line("ret 50");
}

#[test]
fn local_broker_serves_the_script_and_independent_clients() {
    let port = free_port();
    let dir = TempDir::new("local-broker");
    // The script hard-codes another broker: --local-broker redirects it to the embedded one.
    let mut p = Pymqtt::script(
        &dir,
        "local.py",
        r#"from umqtt.simple import MQTTClient
c = MQTTClient("lb-script", "broker.emqx.io", 1883, "emqx", "public")
c.set_callback(lambda t, msg: print("got", t, msg))
print("connect", c.connect())
c.subscribe("ctl/go", 1)
c.subscribe("ctl/done", 1)
print("ready")
c.wait_msg()
c.publish("lb/data", "d0")
c.publish("lb/data", "d1", qos=1)
c.publish("lb/data", "d2", qos=2)
c.subscribe("lb/echo")
c.publish("lb/echo", "to-myself", qos=1)
# Its own message, and the peer's word that it has the data: ending sooner would take the
# broker down with data still unread in the peer's socket, which the reset then discards.
c.wait_msg()
c.wait_msg()
c.disconnect()
print("done")
"#,
    )
    .pre_args([format!("--local-broker={port}")])
    .spawn();
    p.expect_stdout("connect 0");
    let mut peer = Peer::connect(port, "lb-peer");
    peer.subscribe("lb/data", QoS::ExactlyOnce);
    p.expect_stdout("ready");
    peer.publish("ctl/go", "go", QoS::AtLeastOnce, false);
    p.expect_stdout("got b'ctl/go' b'go'");
    let got: Vec<String> = peer.collect(3, WAIT).iter().map(text).collect();
    assert_eq!(got, ["d0", "d1", "d2"], "{}", p.describe());
    // QoS 0: the script's end takes the broker down, and with it any PUBACK still on its way.
    peer.publish("ctl/done", "ok", QoS::AtMostOnce, false);
    p.expect_stdout("done");
    for line in ["got b'lb/echo' b'to-myself'", "got b'ctl/done' b'ok'"] {
        assert!(
            p.stdout().lines().any(|l| l == line),
            "no {line:?}\n{}",
            p.describe()
        );
    }
    // The script's end ends the process, broker and all.
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

#[test]
fn local_broker_port_in_use_is_reported() {
    // Something already listens on the port: the embedded broker cannot start there.
    let m = Mosquitto::start();
    let dir = TempDir::new("local-broker-busy");
    let r = Pymqtt::script(&dir, "noop.py", "print('ran')\n")
        .pre_args([format!("--local-broker={}", m.port())])
        .run(RUN);
    assert_ne!(
        r.code(),
        Some(0),
        "started on a busy port?\n{}",
        r.describe()
    );
    assert!(
        r.stderr.contains(&m.port().to_string()),
        "the error does not name the port\n{}",
        r.describe()
    );
    assert!(
        r.stderr
            .contains("Address already in use (is another broker running?")
            && !r.stderr.contains("os error"),
        "not said in words, once\n{}",
        r.describe()
    );
}

/// The port in a startup line such as "... listening on 127.0.0.1:PORT ...".
fn port_after(line: &str, prefix: &str) -> u16 {
    line.split(prefix)
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no port after {prefix:?} in {line:?}"))
}

#[test]
fn broker_subcommand_on_port_0_names_the_free_port_it_took() {
    let mut b = Pymqtt::new()
        .args(["broker", "--port", "0"])
        .label("pymqtt broker --port 0")
        .spawn();
    let line = b.expect_stderr_contains("listening on 127.0.0.1:");
    let port = port_after(&line, "listening on 127.0.0.1:");
    assert_ne!(port, 0, "{}", b.describe());
    let mut sub = Peer::connect(port, "eb0-sub");
    sub.subscribe("eb0/t", QoS::AtLeastOnce);
    let mut publ = Peer::connect(port, "eb0-pub");
    publ.publish("eb0/t", "through-port-0", QoS::AtLeastOnce, false);
    assert_eq!(text(&sub.expect_publish("relayed")), "through-port-0");
    b.assert_running();
}

#[test]
fn local_broker_0_serves_the_script_on_a_free_port() {
    let dir = TempDir::new("local-broker-0");
    let r = Pymqtt::script(
        &dir,
        "own.py",
        r#"from umqtt.simple import MQTTClient
c = MQTTClient("lb0", "broker.emqx.io", 1883)
c.set_callback(lambda t, msg: print("got", t, msg))
c.connect()
c.subscribe("lb0/t", 1)
c.publish("lb0/t", "to-myself", qos=1)
c.wait_msg()
c.disconnect()
"#,
    )
    .pre_args(["--local-broker=0"])
    .run(RUN);
    r.assert_code(0)
        .assert_stdout_has_line("got b'lb0/t' b'to-myself'");
    let notice = r
        .stderr
        .lines()
        .find(|l| l.contains("connect to 127.0.0.1:"))
        .unwrap_or_else(|| panic!("no notice naming the port\n{}", r.describe()));
    assert_ne!(port_after(notice, "127.0.0.1:"), 0, "{}", r.describe());
}
