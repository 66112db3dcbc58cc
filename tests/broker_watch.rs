//! `pymqtt broker` as a broker to watch and to reach from a board: `-v` says what each client
//! does, checked against what independent clients (rumqttc, mosquitto's tools, a raw socket)
//! did; bound off loopback it wants credentials, takes mosquitto_passwd's files and answers
//! a wrong login with CONNACK 5; it takes umqtt's keepalive 0; Ctrl-C says it stopped.

#[allow(dead_code)]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use bytes::BytesMut;
use rumqttc::{Connect, LastWill, Login, QoS};

use support::brokers::free_port;
use support::deadlines::WAIT;
use support::mosquitto_clients::mosquitto_pub_status;
use support::peers::{Peer, text};
use support::processes::{Proc, Pymqtt};
use support::scripts::TempDir;

/// `pymqtt broker --port P ARGS`, once it listens.
fn broker(args: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let mut b = Pymqtt::new()
        .args(["broker", "--port", &port.to_string()])
        .args(args)
        .label("pymqtt broker")
        .spawn();
    b.expect_stderr_contains(&format!(":{port}; "));
    (b, port)
}

/// A CONNECT's bytes.
fn connect_packet(connect: &Connect) -> Vec<u8> {
    let mut buf = BytesMut::new();
    connect.write(&mut buf).expect("encode CONNECT");
    buf.to_vec()
}

/// Sends `connect` on a raw socket and returns the CONNACK's return code, and the socket.
fn raw_connect(port: u16, connect: &Connect) -> (u8, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(&connect_packet(connect)).unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).expect("a CONNACK");
    assert_eq!(connack[..2], [0x20, 0x02], "not a CONNACK: {connack:?}");
    (connack[3], s)
}

#[test]
fn verbose_says_who_connects_subscribes_publishes_leaves_and_whose_will_goes_out() {
    let (mut b, port) = broker(&["-v"]);
    let mut watcher = Peer::connect(port, "watcher");
    watcher.subscribe("status/#", QoS::AtLeastOnce);
    let line = b.expect_stderr_contains("as watcher (keepalive 30 s, clean session).");
    assert!(
        line.contains("New client connected from 127.0.0.1:"),
        "{line}"
    );
    b.expect_stderr_contains("Received SUBSCRIBE from watcher: status/# (QoS 1).");

    let mut publisher = Peer::connect(port, "sensor");
    publisher.publish("status/temp", "21.5", QoS::AtLeastOnce, true);
    assert_eq!(text(&watcher.expect_publish("the reading")), "21.5");
    b.expect_stderr_contains(
        "Received PUBLISH from sensor (\"status/temp\", QoS 1, 4 bytes, retained).",
    );
    publisher.disconnect();
    b.expect_stderr_contains("Client sensor disconnected.");

    // A board that vanishes: no DISCONNECT, so its will goes out, and the log says so.
    let mut board = Connect::new("board-7");
    board.keep_alive = 0;
    board.last_will = Some(LastWill::new(
        "status/board-7",
        "offline",
        QoS::AtMostOnce,
        false,
    ));
    let (code, socket) = raw_connect(port, &board);
    assert_eq!(code, 0);
    b.expect_stderr_contains("as board-7 (no keepalive, clean session, will to status/board-7).");
    drop(socket);
    b.expect_stderr_contains(
        "Client board-7 closed its connection; sending its will to status/board-7 (QoS 0, 7 bytes).",
    );
    assert_eq!(text(&watcher.expect_publish("the will")), "offline");
    b.assert_running();
}

#[test]
fn keepalive_zero_on_the_wire_is_accepted() {
    // umqtt's default; rumqttd alone closes such a connection before any CONNACK.
    let (_b, port) = broker(&[]);
    let mut c = Connect::new("no-keepalive");
    c.keep_alive = 0;
    let (code, _socket) = raw_connect(port, &c);
    assert_eq!(code, 0);
}

#[test]
fn off_loopback_it_wants_credentials_or_an_explicit_allow_anonymous() {
    let run = Pymqtt::new()
        .args(["broker", "--bind", "0.0.0.0", "--port", "0"])
        .run(WAIT);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--password-file FILE")
            && run.stderr.contains("--allow-anonymous to let anyone in"),
        "{}",
        run.describe()
    );
    let (_open, port) = broker(&["--bind", "0.0.0.0", "--allow-anonymous"]);
    assert_eq!(mosquitto_pub_status(port, &[]), Some(0));
}

#[test]
fn a_mosquitto_passwd_file_lets_its_users_in_and_a_wrong_login_gets_connack_5() {
    let dir = TempDir::new("broker-passwords");
    let file = dir.path().join("passwords");
    for (i, (user, password)) in [("board", "s3cret"), ("phone", "other pass")]
        .iter()
        .enumerate()
    {
        let mut cmd = Command::new("mosquitto_passwd");
        if i == 0 {
            cmd.arg("-c");
        }
        let made = cmd.arg("-b").arg(&file).args([user, password]).status();
        assert!(made.expect("run mosquitto_passwd").success());
    }
    let file = file.to_str().unwrap();
    let (mut b, port) = broker(&["--bind", "0.0.0.0", "--password-file", file, "-v"]);
    assert_eq!(
        mosquitto_pub_status(port, &["-u", "board", "-P", "s3cret"]),
        Some(0)
    );
    assert_eq!(
        mosquitto_pub_status(port, &["-u", "phone", "-P", "other pass"]),
        Some(0)
    );
    assert_eq!(
        mosquitto_pub_status(port, &["-u", "board", "-P", "wrong"]),
        Some(5)
    );
    assert_eq!(mosquitto_pub_status(port, &[]), Some(5));
    b.expect_stderr_contains("not authorized (user \"board\", wrong or unknown); sent CONNACK 5.");
    b.expect_stderr_contains("not authorized (no user name); sent CONNACK 5.");

    // One user on the command line, and clients without a user name let in besides.
    let (_b, port) = broker(&["--user", "u", "--password", "p", "--allow-anonymous"]);
    let mut login = Connect::new("cli-user");
    login.login = Some(Login::new("u", "p"));
    assert_eq!(raw_connect(port, &login).0, 0);
    login.login = Some(Login::new("u", "nope"));
    assert_eq!(raw_connect(port, &login).0, 5);
    assert_eq!(raw_connect(port, &Connect::new("anonymous")).0, 0);
}

#[test]
fn a_password_file_it_cannot_use_is_named_with_its_line() {
    let dir = TempDir::new("broker-bad-passwords");
    let file = dir.write("passwords", "board:plain-text\n");
    let run = Pymqtt::new()
        .args(["broker", "--port", "0", "--password-file"])
        .arg(&file)
        .run(WAIT);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("line 1: the password of user \"board\" is not hashed")
            && run.stderr.contains("mosquitto_passwd -U"),
        "{}",
        run.describe()
    );
}

#[test]
fn ctrl_c_stops_the_broker_and_says_so() {
    let (mut b, _port) = broker(&[]);
    b.signal(libc::SIGINT);
    let status = b.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", b.describe());
    assert!(
        b.stderr().contains("pymqtt: broker stopped"),
        "{}",
        b.describe()
    );
}
