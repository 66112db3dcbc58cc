//! TLS: umqtt.simple scripts with `ssl=True, ssl_params={...}` and `ssl=ctx` against mosquitto
//! TLS listeners (plain, and requiring client certificates), with certificates made by the
//! test; every failure gives its clear error and nothing hangs.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::{Mosquitto, MosquittoConfig, free_port};
use support::certs::{Issued, TestPki};
use support::peers::{Peer, text};
use support::processes::{Pymqtt, assert_exit_code};
use support::scripts::{TempDir, fill, py_path, unique_id};

const RUN: Duration = Duration::from_secs(30);

/// mosquitto with a TLS listener using `server`'s certificate, plus a plain one for the peer.
fn tls_broker(pki: &TestPki, server: &Issued, require_client_cert: bool) -> Mosquitto {
    Mosquitto::start_with(MosquittoConfig {
        listener_options: pki.mosquitto_tls(server, require_client_cert),
        plain_listener: true,
        ..MosquittoConfig::default()
    })
}

/// The script's head: `ssl`, MQTTClient, the paths of the test's certificates, PORT.
fn script(pki: &TestPki, port: u16, body: &str) -> String {
    let head = format!(
        "import ssl\nfrom umqtt.simple import MQTTClient\nPORT = {port}\nCA = {}\n\
         CLIENT_CERT = {}\nCLIENT_KEY = {}\n",
        py_path(&pki.ca),
        py_path(&pki.client.cert),
        py_path(&pki.client.key),
    );
    head + body
}

/// Runs `make_client` (Python that binds `c`, an MQTTClient for the TLS listener), then a
/// round trip through the broker with an independent client on the plain listener: the
/// script publishes, the peer receives it, the peer publishes, the script receives it.
fn round_trip(pki: &TestPki, broker: &Mosquitto, make_client: &str) {
    let topic = unique_id("tls");
    let mut peer = Peer::connect(broker.plain_port(), &unique_id("peer"));
    peer.subscribe(&format!("{topic}/out"), QoS::AtLeastOnce);
    let body = fill(
        r#"@MAKE@
got = []
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe(b"@T@/in", 1)
print("subscribed", flush=True)
c.publish(b"@T@/out", b"hello over tls", qos=1)
c.wait_msg()
print("got", got[0].decode())
c.disconnect()
"#,
        &[("MAKE", make_client), ("T", &topic)],
    );
    let dir = TempDir::new("tls-script");
    let mut p = Pymqtt::script(&dir, "tls.py", &script(pki, broker.port(), &body)).spawn();
    p.expect_stdout("subscribed");
    let sent = peer.expect_publish("the script's publish over TLS");
    assert_eq!(text(&sent), "hello over tls");
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

/// Runs `body` (which prints what it caught) and returns its stdout, failing on a crash.
/// The system's CAs are replaced by one that signed nothing of the test's, so that
/// "unknown issuer" does not depend on the machine.
fn run_ok(pki: &TestPki, port: u16, body: &str) -> String {
    let dir = TempDir::new("tls-error");
    let done = Pymqtt::script(&dir, "err.py", &script(pki, port, body))
        .env("SSL_CERT_FILE", &pki.other_ca)
        .env("SSL_CERT_DIR", pki.dir.path().join("no-such-dir"))
        .run(RUN);
    done.assert_code(0);
    done.stdout
}

/// Connects with `make_client` and prints `caught TYPE|ERRNO|MESSAGE` or `connected`.
fn connect_outcome(pki: &TestPki, port: u16, make_client: &str) -> String {
    let body = format!(
        "{make_client}\ntry:\n    c.connect()\n    print('connected')\n    c.disconnect()\n\
         except OSError as e:\n    print('caught', type(e).__name__, isinstance(e, ssl.SSLError), \
         e.errno, '|', e.args[1] if len(e.args) > 1 else e)\n"
    );
    run_ok(pki, port, &body)
}

#[test]
fn legacy_ssl_params_with_ca_certs_verify_and_carry_messages() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    round_trip(
        &pki,
        &broker,
        r#"c = MQTTClient("legacy", "localhost", port=PORT, ssl=True, ssl_params={"ca_certs": CA})"#,
    );
}

#[test]
fn micropython_cadata_der_and_server_hostname_verify() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    // MicroPython passes the CA as DER bytes; the server is addressed by IP address and the
    // name to check given separately.
    round_trip(
        &pki,
        &broker,
        &format!(
            "c = MQTTClient('der', '127.0.0.1', port=PORT, ssl=True, ssl_params={{\
             'cadata': bytes({:?}), 'server_hostname': 'localhost', 'cert_reqs': ssl.CERT_REQUIRED}})",
            pki.ca_der
        ),
    );
}

#[test]
fn ssl_context_with_cafile_carries_messages() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    round_trip(
        &pki,
        &broker,
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.load_verify_locations(cafile=CA)\n\
         c = MQTTClient('ctx', '127.0.0.1', port=PORT, ssl=ctx)",
    );
    // The context is read at connect(), as MicroPython's umqtt reads it: a CA loaded after
    // the client was made counts.
    round_trip(
        &pki,
        &broker,
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n\
         c = MQTTClient('late-ca', 'localhost', port=PORT, ssl=ctx)\n\
         ctx.load_verify_locations(cafile=CA)",
    );
    // CPython's way: the system's CAs and the given one together.
    round_trip(
        &pki,
        &broker,
        "ctx = ssl.create_default_context(cafile=CA)\n\
         c = MQTTClient('default-ctx', 'localhost', port=PORT, ssl=ctx)",
    );
}

#[test]
fn mutual_tls_needs_the_client_certificate_and_works_with_it() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, true);

    let without = connect_outcome(
        &pki,
        broker.port(),
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n\
         ctx.load_verify_locations(cadata=open(CA).read())\n\
         c = MQTTClient('no-cert', 'localhost', port=PORT, ssl=ctx)",
    );
    assert!(
        without.contains("caught SSLError True") && without.contains("client certificate"),
        "{without}"
    );

    round_trip(
        &pki,
        &broker,
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n\
         ctx.load_verify_locations(cadata=open(CA).read())\n\
         ctx.load_cert_chain(CLIENT_CERT, CLIENT_KEY)\n\
         c = MQTTClient('mtls', 'localhost', port=PORT, ssl=ctx)",
    );
    // The legacy form takes the client certificate as files, too.
    round_trip(
        &pki,
        &broker,
        "c = MQTTClient('mtls-legacy', 'localhost', port=PORT, ssl=True, ssl_params={\
         'ca_certs': CA, 'certfile': CLIENT_CERT, 'keyfile': CLIENT_KEY})",
    );
}

#[test]
fn system_roots_reject_a_private_ca_saying_unknown_issuer_and_how_to_opt_out() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    let out = connect_outcome(
        &pki,
        broker.port(),
        "c = MQTTClient('sys', 'localhost', port=PORT, ssl=True)",
    );
    assert!(out.contains("caught SSLError True -9984 |"), "{out}");
    assert!(out.contains("unknown issuer"), "{out}");
    assert!(
        out.contains("'cert_reqs': ssl.CERT_NONE") && out.contains("ctx.verify_mode"),
        "{out}"
    );
}

#[test]
fn cert_none_opts_out_of_verification_in_both_forms() {
    let pki = TestPki::new();
    // Expired and for another host: only an opt-out connects.
    let broker = tls_broker(&pki, &pki.wrong_host, false);
    round_trip(
        &pki,
        &broker,
        "c = MQTTClient('none', 'localhost', port=PORT, ssl=True, \
         ssl_params={'cert_reqs': ssl.CERT_NONE})",
    );
    round_trip(
        &pki,
        &broker,
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.check_hostname = False\n\
         ctx.verify_mode = ssl.CERT_NONE\nc = MQTTClient('none-ctx', 'localhost', port=PORT, ssl=ctx)",
    );
}

#[test]
fn expired_certificate_says_expired() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.expired, false);
    let out = connect_outcome(
        &pki,
        broker.port(),
        "c = MQTTClient('exp', 'localhost', port=PORT, ssl=True, ssl_params={'ca_certs': CA})",
    );
    assert!(
        out.contains("caught SSLError True") && out.contains("has expired"),
        "{out}"
    );
}

#[test]
fn wrong_host_says_name_mismatch_and_server_hostname_or_check_hostname_fix_it() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.wrong_host, false);
    let out = connect_outcome(
        &pki,
        broker.port(),
        "c = MQTTClient('wrong', 'localhost', port=PORT, ssl=True, ssl_params={'ca_certs': CA})",
    );
    assert!(
        out.contains("caught SSLError True")
            && out.contains("name mismatch")
            && out.contains("other.example")
            && out.contains("localhost"),
        "{out}"
    );
    round_trip(
        &pki,
        &broker,
        "c = MQTTClient('named', '127.0.0.1', port=PORT, ssl=True, \
         ssl_params={'ca_certs': CA, 'server_hostname': 'other.example'})",
    );
    round_trip(
        &pki,
        &broker,
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.load_verify_locations(CA)\n\
         ctx.check_hostname = False\nc = MQTTClient('nocheck', 'localhost', port=PORT, ssl=ctx)",
    );
    // check_hostname=False still verifies the chain: a certificate from an unknown CA fails.
    let out = connect_outcome(
        &pki,
        broker.port(),
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.check_hostname = False\n\
         c = MQTTClient('nocheck-sys', 'localhost', port=PORT, ssl=ctx)",
    );
    assert!(out.contains("unknown issuer"), "{out}");
}

#[test]
fn tls_to_a_plain_port_and_plain_to_nothing_fail_clearly() {
    let pki = TestPki::new();
    let plain = Mosquitto::start();
    let out = connect_outcome(
        &pki,
        plain.port(),
        "c = MQTTClient('tls-plain', 'localhost', port=PORT, ssl=True, ssl_params={'ca_certs': CA})",
    );
    assert!(
        out.contains("caught SSLError True") && out.contains("TLS port"),
        "{out}"
    );

    let out = connect_outcome(
        &pki,
        free_port(),
        "c = MQTTClient('refused', 'localhost', port=PORT, ssl=True)",
    );
    assert!(
        out.contains("caught ConnectionRefusedError False 111"),
        "{out}"
    );
}

#[test]
fn bad_ssl_arguments_raise_the_python_exception_that_fits() {
    let pki = TestPki::new();
    let dir = TempDir::new("tls-args");
    let bad_pem = dir.write("bad.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
    let body = format!(
        r#"BAD = {}
def attempt(what, f):
    try:
        f()
        print(what, "accepted")
    except Exception as e:
        print(what, type(e).__name__, e)
attempt("missing", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"ca_certs": "/nonexistent/ca.pem"}}))
attempt("badpem", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"ca_certs": BAD}}))
attempt("reqs-str", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"cert_reqs": "yes"}}))
attempt("reqs-num", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"cert_reqs": 7}}))
attempt("unknown", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"verify": False}}))
attempt("key-only", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"keyfile": CLIENT_KEY}}))
attempt("cert-as-key", lambda: MQTTClient("a", "h", ssl=True, ssl_params={{"certfile": CLIENT_CERT, "keyfile": CA}}))
attempt("ws-ssl", lambda: MQTTClient("a", "ws://h/mqtt", ssl=True))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
attempt("verify-none", lambda: setattr(ctx, "verify_mode", ssl.CERT_NONE))
attempt("no-args", lambda: ctx.load_verify_locations())
attempt("chain-missing", lambda: ctx.load_cert_chain("/nonexistent/c.pem"))
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
attempt("server-for-mqtt", lambda: MQTTClient("a", "h", ssl=server))
attempt("default", lambda: ssl.create_default_context(cafile=CA))
print("ports", MQTTClient("a", "h", ssl=True).port, MQTTClient("a", "h", ssl=ctx).port, MQTTClient("a", "h").port)
print("errors", issubclass(ssl.SSLError, OSError))
# The standard library modules that use ssl import, and make TLS connections of their own.
import asyncio, ftplib, http.client, smtplib, urllib.request
attempt("https", lambda: urllib.request.urlopen("https://127.0.0.1:1/"))
"#,
        py_path(&bad_pem)
    );
    let out = run_ok(&pki, 1, &body);
    for expected in [
        "missing FileNotFoundError [Errno 2] No such file or directory: '/nonexistent/ca.pem'",
        "badpem SSLError",
        "reqs-str TypeError cert_reqs must be ssl.CERT_NONE",
        "reqs-num ValueError cert_reqs must be ssl.CERT_NONE (0)",
        "unknown TypeError ssl_params: unexpected key \"verify\"",
        "key-only ValueError",
        "cert-as-key SSLError",
        "ws-ssl ValueError",
        "verify-none ValueError Cannot set verify_mode to CERT_NONE when check_hostname is enabled",
        "no-args TypeError",
        "chain-missing FileNotFoundError",
        "server-for-mqtt ValueError ssl=ctx: this SSLContext is for servers",
        "default accepted",
        "ports 8883 8883 1883",
        "errors True",
        "https URLError <urlopen error [Errno 111]",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(expected)),
            "no line starting {expected:?} in:\n{out}"
        );
    }
}

/// A script's own TLS socket (the standard library's `ssl`, and MicroPython's
/// `ssl.wrap_socket`): it speaks MQTT by hand to mosquitto's TLS listener, and the peer on the
/// plain listener receives what it published. Without the CA, the handshake fails verifying.
#[test]
fn scripts_wrap_their_own_sockets_in_tls() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    let topic = unique_id("raw-tls");
    let mut peer = Peer::connect(broker.plain_port(), &unique_id("peer"));
    peer.subscribe(&format!("{topic}/#"), QoS::AtMostOnce);
    let body = fill(
        r#"import socket
def mqtt_publish(sock, client_id, topic, payload):
    def field(b):
        return bytes([len(b) >> 8, len(b) & 255]) + b
    connect = field(b"MQTT") + bytes([4, 2, 0, 60]) + field(client_id)
    sock.sendall(bytes([0x10, len(connect)]) + connect)
    connack = sock.recv(4)
    publish = field(topic) + payload
    sock.sendall(bytes([0x30, len(publish)]) + publish + bytes([0xE0, 0]))
    return connack.hex()

ctx = ssl.create_default_context(cafile=CA)
raw = socket.create_connection(("127.0.0.1", PORT))
tls = ctx.wrap_socket(raw, server_hostname="localhost")
print("context", tls.version(), mqtt_publish(tls, b"ctx", b"@T@/ctx", b"by SSLContext"))
tls.close()

raw = socket.create_connection(("127.0.0.1", PORT))
tls = ssl.wrap_socket(raw, cadata=open(CA, "rb").read(), cert_reqs=ssl.CERT_REQUIRED,
                      server_hostname="localhost")
print("micropython", mqtt_publish(tls, b"mp", b"@T@/mp", b"by wrap_socket"))
tls.close()

raw = socket.create_connection(("127.0.0.1", PORT))
try:
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(raw, server_hostname="localhost")
    print("unverified accepted")
except ssl.SSLError as e:
    print("no CA", type(e).__name__)
"#,
        &[("T", &topic)],
    );
    let out = run_ok(&pki, broker.port(), &body);
    assert!(out.contains("context TLSv1.3 20020000"), "{out}");
    assert!(out.contains("micropython 20020000"), "{out}");
    assert!(out.contains("no CA SSLCertVerificationError"), "{out}");
    let mut got = vec![text(&peer.expect_publish("the first raw publish"))];
    got.push(text(&peer.expect_publish("the second raw publish")));
    got.sort();
    assert_eq!(got, ["by SSLContext", "by wrap_socket"]);
}

/// MicroPython's `ssl.wrap_socket` takes the client certificate and key as data: a broker that
/// requires one accepts the connection.
#[test]
fn micropython_wrap_socket_presents_a_client_certificate_given_as_data() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, true);
    let body = r#"import socket
def connack(sock):
    connect = bytes([0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 4]) + b"mtls"
    sock.sendall(bytes([0x10, len(connect)]) + connect)
    return sock.recv(4).hex()
for form in ("pem", "der"):
    cert, key = open(CLIENT_CERT).read(), open(CLIENT_KEY).read()
    if form == "der":
        cert = ssl.PEM_cert_to_DER_cert(cert)
    raw = socket.create_connection(("127.0.0.1", PORT))
    tls = ssl.wrap_socket(raw, key=key, cert=cert, cadata=open(CA).read(),
                          cert_reqs=ssl.CERT_REQUIRED, server_hostname="localhost")
    print(form, connack(tls))
    tls.close()
"#;
    let out = run_ok(&pki, broker.port(), body);
    assert!(out.contains("pem 20020000"), "{out}");
    assert!(out.contains("der 20020000"), "{out}");
}

/// The redirect rule the test runner relies on: a plain `--broker` address gets plain TCP
/// even for a script that asks for TLS, and says nothing more about it.
#[test]
fn plain_broker_redirect_runs_a_tls_script_without_tls() {
    let pki = TestPki::new();
    let plain = Mosquitto::start();
    let mut peer = Peer::connect(plain.port(), &unique_id("peer"));
    let topic = unique_id("redirected");
    peer.subscribe(&topic, QoS::AtLeastOnce);
    let body = format!(
        "c = MQTTClient('pi', 'broker.emqx.io', ssl=True, ssl_params={{'server_hostname': 'broker.emqx.io'}})\n\
         c.connect()\nc.publish(b'{topic}', b'via plain', qos=1)\nc.disconnect()\n"
    );
    let dir = TempDir::new("tls-redirect");
    let done = Pymqtt::script(&dir, "r.py", &script(&pki, 0, &body))
        .pre_args(["--broker", &plain.addr()])
        .run(RUN);
    done.assert_code(0);
    assert_eq!(
        text(&peer.expect_publish("the redirected publish")),
        "via plain"
    );
    let extra: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| !l.contains("MQTT clients connect to"))
        .collect();
    assert!(extra.is_empty(), "unexpected stderr: {}", done.stderr);
}

#[test]
fn mqtts_broker_redirect_uses_tls_with_the_scripts_settings() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, false);
    let mut peer = Peer::connect(broker.plain_port(), &unique_id("peer"));
    let topic = unique_id("mqtts");
    peer.subscribe(&topic, QoS::AtLeastOnce);
    let to = format!("mqtts://localhost:{}", broker.port());

    // The script's CA is used; the name checked is the redirect's host.
    let body = format!(
        "c = MQTTClient('pi', 'broker.emqx.io', ssl=True, ssl_params={{'ca_certs': CA, \
         'server_hostname': 'broker.emqx.io'}})\nc.connect()\n\
         c.publish(b'{topic}', b'via mqtts', qos=1)\nc.disconnect()\n"
    );
    let dir = TempDir::new("mqtts-redirect");
    Pymqtt::script(&dir, "r.py", &script(&pki, 0, &body))
        .pre_args(["--broker", &to])
        .run(RUN)
        .assert_code(0);
    assert_eq!(text(&peer.expect_publish("the mqtts publish")), "via mqtts");

    // A script without TLS settings gets the secure default: the private CA is unknown.
    let out = Pymqtt::script(
        &dir,
        "plain.py",
        &script(
            &pki,
            0,
            "c = MQTTClient('pi', 'broker.emqx.io')\nc.connect()\n",
        ),
    )
    .pre_args(["--broker", &to])
    .run(RUN);
    out.assert_code(1);
    assert!(
        out.stderr.contains("ssl.SSLError") && out.stderr.contains("unknown issuer"),
        "{}",
        out.stderr
    );
}

#[test]
fn pub_tool_speaks_tls_with_mosquitto_style_flags() {
    let pki = TestPki::new();
    let broker = tls_broker(&pki, &pki.server, true);
    let topic = unique_id("tls-tool");
    let mut peer = Peer::connect(broker.plain_port(), &unique_id("peer"));
    peer.subscribe(&topic, QoS::AtLeastOnce);
    let publish = |extra: &[&str]| {
        let port = broker.port().to_string();
        Pymqtt::new()
            .args([
                "pub",
                "-H",
                "localhost",
                "-p",
                &port,
                "-t",
                &topic,
                "-m",
                "tool",
            ])
            .args(["-q", "1", "--cafile", pki.ca.to_str().unwrap()])
            .args(extra.iter().copied())
            .run(RUN)
    };
    // The broker wants a client certificate: one line saying so.
    let refused = publish(&[]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("requires a client certificate")
            && refused
                .stderr
                .contains("give one with --cert FILE --key FILE"),
        "{}",
        refused.stderr
    );
    publish(&[
        "--cert",
        pki.client.cert.to_str().unwrap(),
        "--key",
        pki.client.key.to_str().unwrap(),
    ])
    .assert_code(0);
    assert_eq!(text(&peer.expect_publish("pymqtt pub over TLS")), "tool");
}

/// A server that accepts the connection and never answers the handshake: connect() gives up
/// at its timeout with ETIMEDOUT, it does not hang.
#[test]
fn a_silent_server_times_out_the_handshake() {
    let pki = TestPki::new();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    // connect_outcome calls c.connect(): make that connect(timeout=1).
    let out = connect_outcome(
        &pki,
        port,
        "c = MQTTClient('silent', 'localhost', port=PORT, ssl=True)\n\
         connect = c.connect\nc.connect = lambda: connect(timeout=1)",
    );
    assert!(out.contains("caught TimeoutError False 110"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    drop(silent);
}
