//! MQTT over WebSocket: `server="ws://..."`/`"wss://..."`, `--broker ws://...`, and the embedded
//! broker's WebSocket listener (`pymqtt broker --ws-port`).

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::{Mosquitto, MosquittoConfig, free_port};
use support::certs::TestPki;
use support::peers::{Peer, text};
use support::processes::{Proc, Pymqtt, assert_exit_code};
use support::scripts::{TempDir, fill, py_path, unique_id};

const RUN: Duration = Duration::from_secs(30);

/// `pymqtt broker --port P --ws-port W` on free ports, once it says it listens on both.
fn embedded_broker_with_websocket() -> (Proc, u16, u16) {
    let (port, ws_port) = (free_port(), free_port());
    let mut b = Pymqtt::new()
        .args([
            "broker",
            "--port",
            &port.to_string(),
            "--ws-port",
            &ws_port.to_string(),
        ])
        .label("pymqtt broker --ws-port")
        .spawn();
    b.expect_stderr_contains(&format!(
        "listening on 127.0.0.1:{port} and ws://127.0.0.1:{ws_port}/mqtt"
    ));
    (b, port, ws_port)
}

#[test]
fn a_websocket_listener_beside_credentials_is_said_to_check_none() {
    let (port, ws_port) = (free_port(), free_port());
    let mut b = Pymqtt::new()
        .args(["broker", "--port", &port.to_string(), "--ws-port"])
        .arg(ws_port.to_string())
        .args(["--user", "board", "--password", "s3cret"])
        .label("pymqtt broker --ws-port --user")
        .spawn();
    b.expect_stderr_contains("only the users given may connect");
    let said = b.stderr();
    assert!(
        said.contains(&format!(
            "the WebSocket listener ws://127.0.0.1:{ws_port}/mqtt checks no credentials"
        )),
        "{said}"
    );
    // Without credentials there is nothing to warn of (the warning comes before this line).
    let (open, _, _) = embedded_broker_with_websocket();
    let said = open.stderr();
    assert!(!said.contains("checks no credentials"), "{said}");
}

/// The script (`make_client` binds `c`) publishes to TOPIC/out and waits for TOPIC/in; an
/// independent client on plain MQTT port `peer_port` receives and answers.
fn round_trip(peer_port: u16, make_client: &str, pre_args: &[&str]) {
    let topic = unique_id("ws");
    let mut peer = Peer::connect(peer_port, &unique_id("peer"));
    peer.subscribe(&format!("{topic}/out"), QoS::AtLeastOnce);
    let source = fill(
        r#"import ssl
from umqtt.simple import MQTTClient
@MAKE@
got = []
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(b"@T@/in", 1)
print("subscribed", flush=True)
c.publish(b"@T@/out", b"hello over websocket", qos=1)
c.wait_msg()
print("got", got[0].decode())
c.disconnect()
"#,
        &[("MAKE", make_client), ("T", &topic)],
    );
    let dir = TempDir::new("ws-script");
    let mut p = Pymqtt::script(&dir, "ws.py", &source)
        .pre_args(pre_args.iter().copied())
        .spawn();
    p.expect_stdout("subscribed");
    let sent = peer.expect_publish("the script's publish over WebSocket");
    assert_eq!(text(&sent), "hello over websocket");
    peer.publish(
        &format!("{topic}/in"),
        "from the peer",
        QoS::AtLeastOnce,
        false,
    );
    p.expect_stdout("got from the peer");
    let status = p.wait_exit(RUN);
    assert_exit_code(&mut p, status, 0);
}

#[test]
fn ws_url_reaches_the_embedded_brokers_websocket_listener() {
    let (_broker, port, ws_port) = embedded_broker_with_websocket();
    round_trip(
        port,
        &format!("c = MQTTClient('ws-client', 'ws://127.0.0.1:{ws_port}/mqtt')"),
        &[],
    );
}

#[test]
fn broker_redirect_to_ws_carries_a_script_written_for_another_broker() {
    let (_broker, port, ws_port) = embedded_broker_with_websocket();
    let to = format!("ws://127.0.0.1:{ws_port}/mqtt");
    round_trip(
        port,
        "c = MQTTClient('pi', 'broker.emqx.io', ssl=True)",
        &["--broker", &to],
    );
}

#[test]
fn ws_to_a_plain_mqtt_port_fails_clearly() {
    let (_broker, port, _ws_port) = embedded_broker_with_websocket();
    let dir = TempDir::new("ws-wrong-port");
    let source = format!(
        "from umqtt.simple import MQTTClient\nc = MQTTClient('x', 'ws://127.0.0.1:{port}/mqtt')\n\
         try:\n    c.connect()\n    print('connected?!')\nexcept OSError as e:\n    print('caught', e)\n"
    );
    let done = Pymqtt::script(&dir, "w.py", &source).run(RUN);
    done.assert_code(0);
    assert!(
        done.stdout.contains("caught") && done.stdout.contains("is it a WebSocket port?"),
        "{}",
        done.stdout
    );
}

/// mosquitto with a WebSocket-over-TLS listener, and a plain one for the peer.
fn wss_mosquitto(pki: &TestPki) -> Mosquitto {
    let mut options = vec!["protocol websockets".to_string()];
    options.extend(pki.mosquitto_tls(&pki.server, false));
    Mosquitto::start_with(MosquittoConfig {
        listener_options: options,
        plain_listener: true,
        ..MosquittoConfig::default()
    })
}

#[test]
fn wss_url_with_an_ssl_context_verifies_and_carries_messages() {
    let pki = TestPki::new();
    let broker = wss_mosquitto(&pki);
    round_trip(
        broker.plain_port(),
        &format!(
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.load_verify_locations({})\n\
             c = MQTTClient('wss-client', 'wss://localhost:{}/mqtt', ssl=ctx)",
            py_path(&pki.ca),
            broker.port()
        ),
        &[],
    );
}

#[test]
fn wss_redirect_and_default_verification() {
    let pki = TestPki::new();
    let broker = wss_mosquitto(&pki);
    let to = format!("wss://localhost:{}/mqtt", broker.port());
    // The script's CA serves the redirect.
    round_trip(
        broker.plain_port(),
        &format!(
            "c = MQTTClient('pi', 'broker.emqx.io', ssl=True, ssl_params={{'ca_certs': {}}})",
            py_path(&pki.ca)
        ),
        &["--broker", &to],
    );
    // Without one, the system's CAs (here: another CA, as on any machine) do not know the
    // test CA.
    let dir = TempDir::new("wss-default");
    let done = Pymqtt::script(
        &dir,
        "d.py",
        &format!(
            "from umqtt.simple import MQTTClient\n\
             MQTTClient('d', 'wss://localhost:{}/mqtt').connect()\n",
            broker.port()
        ),
    )
    .env("SSL_CERT_FILE", &pki.other_ca)
    .run(RUN);
    done.assert_code(1);
    assert!(
        done.stderr.contains("ssl.SSLError") && done.stderr.contains("unknown issuer"),
        "{}",
        done.stderr
    );
}

#[test]
fn pub_tool_speaks_websocket_too() {
    let (_broker, port, ws_port) = embedded_broker_with_websocket();
    let topic = unique_id("ws-tool");
    let mut peer = Peer::connect(port, &unique_id("peer"));
    peer.subscribe(&topic, QoS::AtLeastOnce);
    Pymqtt::new()
        .args([
            "pub",
            "--broker",
            &format!("ws://127.0.0.1:{ws_port}/mqtt"),
            "-t",
            &topic,
            "-m",
            "from the tool",
            "-q",
            "1",
        ])
        .run(RUN)
        .assert_code(0);
    assert_eq!(
        text(&peer.expect_publish("pymqtt pub over ws")),
        "from the tool"
    );
}

#[test]
fn broker_urls_with_unknown_schemes_are_usage_errors() {
    let done = Pymqtt::new()
        .args(["--broker", "http://127.0.0.1:8083/mqtt", "-c", "pass"])
        .run(RUN);
    done.assert_code(2);
    assert!(
        done.stderr
            .contains("unknown scheme; use mqtt://, mqtts://, ws:// or wss://"),
        "{}",
        done.stderr
    );
}
