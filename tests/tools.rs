//! `pymqtt pub` and `pymqtt sub`, the command-line clients that replace the article's MQTTX
//! steps: against mosquitto and the embedded broker, with the mosquitto command-line clients
//! and rumqttc on the other side, and driving the seed's scripts end to end.
//!
//! No sleeping and hoping: `pymqtt sub -d` reports each acknowledged subscription on stderr and
//! `mosquitto_sub -d` prints "Subscribed (mid: ...)", and the tests publish only after that.

#[allow(dead_code)]
mod support;

use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::ffi::OsStringExt;
use std::process::Command;
use std::time::Duration;

use rumqttc::QoS;

use support::brokers::{Mosquitto, MosquittoConfig, free_port, start_embedded_broker};
use support::deadlines::{WAIT, wait_until};
use support::mosquitto_clients::mosquitto_pub;
use support::peers::Peer;
use support::processes::{Finished, Proc, Pymqtt, assert_exit_code};
use support::scripts::{TempDir, repo_root, unique_id};

const SEED_TOPIC: &str = "raspberry/mqtt";
const CONNECTED: &str = r#"Connected to MQTT Broker "broker.emqx.io""#;

/// `pymqtt pub --broker BROKER ARGS...`, run to completion.
fn pub_run(broker: &str, args: &[&str]) -> Finished {
    Pymqtt::new()
        .arg("pub")
        .args(["--broker", broker])
        .args(args)
        .label(&format!("pymqtt pub --broker {broker} {args:?}"))
        .run(WAIT)
}

fn pub_ok(broker: &str, args: &[&str]) {
    pub_run(broker, args).assert_code(0);
}

/// `pymqtt sub --broker BROKER -d ARGS...`, returned once the broker acknowledged every `-t`.
fn start_sub(broker: &str, args: &[&str]) -> Proc {
    let mut p = Pymqtt::new()
        .arg("sub")
        .args(["--broker", broker, "-d"])
        .args(args)
        .label(&format!("pymqtt sub --broker {broker} -d {args:?}"))
        .spawn();
    for _ in args.iter().filter(|a| **a == "-t") {
        p.expect_stderr_contains("pymqtt sub: subscribed to ");
    }
    p
}

fn expect_exit(p: &mut Proc, code: i32) {
    let status = p.wait_exit(WAIT);
    assert_exit_code(p, status, code);
}

/// `mosquitto_sub -d -v -q 2 -C COUNT -W 15 -t TOPIC`, returned once its SUBACK arrived.
/// Its debug lines are plain stdio, block-buffered into a pipe: `stdbuf -oL` (coreutils)
/// makes them arrive as they are printed.
fn start_mosquitto_sub(port: u16, topic: &str, count: usize) -> Proc {
    let mut cmd = Command::new("stdbuf");
    cmd.args([
        "-oL",
        "mosquitto_sub",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        topic,
    ])
    .args(["-q", "2", "-v", "-d", "-C", &count.to_string(), "-W", "15"]);
    let mut p = Proc::spawn_command(cmd, &format!("mosquitto_sub -t {topic} -C {count}"));
    p.expect_stdout_contains("Subscribed (mid:");
    p
}

/// What a `mosquitto_sub -d -v` printed, once it exited 0: each message as
/// (`topic payload`, `qN rN` from its PUBLISH debug line).
fn finish_mosquitto_sub(p: &mut Proc) -> Vec<(String, String)> {
    let status = p.wait_exit(WAIT + Duration::from_secs(5));
    assert_exit_code(p, status, 0);
    let stdout = p.stdout();
    let mut flags = Vec::new();
    let mut lines = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.split_once("received PUBLISH (").map(|(_, r)| r) {
            let parts: Vec<&str> = rest.split(", ").collect();
            flags.push(format!("{} {}", parts[1], parts[2]));
        } else if !line.starts_with("Client ") && !line.starts_with("Subscribed (") {
            lines.push(line.to_string());
        }
    }
    assert_eq!(lines.len(), flags.len(), "{}", p.describe());
    lines.into_iter().zip(flags).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(String::from).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// pymqtt sub
// ---------------------------------------------------------------------------------------------

#[test]
fn sub_prints_what_mosquitto_pub_sends_then_exits_0_after_count() {
    let m = Mosquitto::start();
    let mut s = start_sub(
        &m.addr(),
        &["-t", "tools/a/+", "-t", "tools/b", "-C", "3", "-v"],
    );
    mosquitto_pub(m.port(), "tools/a/1", "one", 0);
    mosquitto_pub(m.port(), "tools/b", "two words", 1);
    mosquitto_pub(m.port(), "tools/a/2", r#"{"msg":"hello"}"#, 2);
    expect_exit(&mut s, 0);
    assert_eq!(
        sorted_lines(&s.stdout()),
        vec![
            "tools/a/1 one",
            r#"tools/a/2 {"msg":"hello"}"#,
            "tools/b two words",
        ],
        "{}",
        s.describe()
    );
}

#[test]
fn sub_prints_payload_bytes_raw_one_per_line() {
    let m = Mosquitto::start();
    let mut s = start_sub(&m.addr(), &["-t", "tools/raw", "-C", "3"]);
    let mut peer = Peer::connect(m.port(), &unique_id("raw-pub"));
    // One publisher, so the order is kept.
    peer.publish(
        "tools/raw",
        b"\xff\x00bin\xfe".to_vec(),
        QoS::AtLeastOnce,
        false,
    );
    peer.publish("tools/raw", "é ✓", QoS::AtLeastOnce, false);
    peer.publish("tools/raw", "", QoS::AtLeastOnce, false);
    expect_exit(&mut s, 0);
    let mut want = b"\xff\x00bin\xfe\n".to_vec();
    want.extend_from_slice("é ✓\n\n".as_bytes());
    assert_eq!(s.stdout_bytes(), want, "{}", s.describe());
}

#[test]
fn sub_timeout_exits_1_and_says_how_many_arrived() {
    let m = Mosquitto::start();
    let r = Pymqtt::new()
        .args(["sub", "--broker", &m.addr(), "-t", "tools/none"])
        .args(["-C", "1", "-W", "0.5"])
        .run(WAIT);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("pymqtt sub: timed out after 500ms (-W): received 0 of 1 messages (-C)"),
        "{}",
        r.describe()
    );
    // Without -C, -W still ends the run with a failure, as mosquitto_sub's does.
    let r = Pymqtt::new()
        .args([
            "sub",
            "--broker",
            &m.addr(),
            "-t",
            "tools/none",
            "-W",
            "0.3",
        ])
        .run(WAIT);
    r.assert_code(1);
    assert!(
        r.stderr.contains("timed out after 300ms"),
        "{}",
        r.describe()
    );
}

#[test]
fn connection_refused_is_one_clear_line_and_status_1() {
    let port = free_port();
    for tool in ["pub", "sub"] {
        let r = Pymqtt::new()
            .args([
                tool,
                "--broker",
                &format!("127.0.0.1:{port}"),
                "-t",
                "tools/x",
            ])
            .args(if tool == "pub" {
                vec!["-m", "x"]
            } else {
                vec![]
            })
            .run(WAIT);
        r.assert_code(1);
        let want = format!("pymqtt {tool}: cannot connect to 127.0.0.1:{port}: Connection refused");
        assert!(r.stderr.starts_with(&want), "{}", r.describe());
        assert!(!r.stderr.contains("panicked"), "{}", r.describe());
    }
}

#[test]
fn ctrl_c_in_sub_disconnects_and_exits_130() {
    let m = Mosquitto::start();
    let id = unique_id("tools-ctrl-c");
    let mut s = start_sub(&m.addr(), &["-t", "tools/c", "-i", &id]);
    s.wait_blocked();
    s.signal(libc::SIGINT);
    match s.try_wait_exit(Duration::from_secs(3)) {
        Some(status) => assert_exit_code(&mut s, status, 130),
        None => panic!("pymqtt sub still runs 3 s after Ctrl-C\n{}", s.describe()),
    }
    assert!(!s.stderr().contains("panicked"), "{}", s.describe());
    let clean = format!("Received DISCONNECT from {id}");
    assert!(
        wait_until(WAIT, || m.log().contains(&clean)),
        "no DISCONNECT from {id}\n{}",
        m.log()
    );
}

/// A TCP listener that accepts connections and never answers: a broker that hangs before
/// CONNACK. Accepted sockets are kept open until the test ends.
fn silent_listener() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        // One connection is all a test makes; then hold it until the process ends.
        if let Ok((socket, _)) = listener.accept() {
            held.push(socket);
            std::thread::park();
        }
    });
    (port, handle)
}

#[test]
fn sub_waiting_for_connack_honours_ctrl_c_and_w() {
    let (port, _silent) = silent_listener();
    let broker = format!("127.0.0.1:{port}");
    let r = Pymqtt::new()
        .args(["sub", "--broker", &broker, "-t", "tools/x", "-W", "0.5"])
        .run(WAIT);
    r.assert_code(1);
    assert!(
        r.stderr.contains(&format!(
            "pymqtt sub: timed out after 500ms (-W): still connecting to {broker}"
        )),
        "{}",
        r.describe()
    );

    let (port, _silent) = silent_listener();
    let mut s = Pymqtt::new()
        .args([
            "sub",
            "--broker",
            &format!("127.0.0.1:{port}"),
            "-t",
            "tools/x",
        ])
        .spawn();
    s.wait_blocked();
    s.signal(libc::SIGINT);
    match s.try_wait_exit(Duration::from_secs(3)) {
        Some(status) => assert_exit_code(&mut s, status, 130),
        None => panic!("pymqtt sub still runs 3 s after Ctrl-C\n{}", s.describe()),
    }
    assert!(!s.stderr().contains("panicked"), "{}", s.describe());
}

// ---------------------------------------------------------------------------------------------
// pymqtt pub
// ---------------------------------------------------------------------------------------------

#[test]
fn pub_qos_0_1_2_reach_mosquitto_sub() {
    let m = Mosquitto::start();
    let mut ms = start_mosquitto_sub(m.port(), "tools/q", 3);
    pub_ok(&m.addr(), &["-t", "tools/q", "-m", "zero"]);
    pub_ok(&m.addr(), &["-t", "tools/q", "-m", "one", "-q", "1"]);
    pub_ok(&m.addr(), &["-t", "tools/q", "-m", "two", "-q", "2"]);
    let mut got = finish_mosquitto_sub(&mut ms);
    got.sort();
    assert_eq!(
        got,
        pairs(&[
            ("tools/q one", "q1 r0"),
            ("tools/q two", "q2 r0"),
            ("tools/q zero", "q0 r0"),
        ])
    );
}

#[test]
fn pub_retain_keeps_the_message_and_an_empty_one_clears_it() {
    let m = Mosquitto::start();
    pub_ok(&m.addr(), &["-t", "tools/r", "-m", "kept", "-r", "-q", "1"]);
    let mut ms = start_mosquitto_sub(m.port(), "tools/r", 1);
    assert_eq!(
        finish_mosquitto_sub(&mut ms),
        pairs(&[("tools/r kept", "q1 r1")])
    );

    pub_ok(&m.addr(), &["-t", "tools/r", "-r", "-m", ""]);
    // A retained message would arrive right after the SUBACK, before this one.
    let mut s = start_sub(&m.addr(), &["-t", "tools/r", "-C", "1", "-v"]);
    mosquitto_pub(m.port(), "tools/r", "after", 0);
    expect_exit(&mut s, 0);
    assert_eq!(s.stdout(), "tools/r after\n", "{}", s.describe());
}

#[test]
fn pub_lines_send_one_message_per_line() {
    let m = Mosquitto::start();
    let mut ms = start_mosquitto_sub(m.port(), "tools/l", 4);
    Pymqtt::new()
        .args([
            "pub",
            "--broker",
            &m.addr(),
            "-t",
            "tools/l",
            "-l",
            "-q",
            "1",
        ])
        .stdin("one\n\ntwo words\nthree")
        .run(WAIT)
        .assert_code(0);
    // mosquitto_sub -v shows an empty message as "(null)".
    assert_eq!(
        finish_mosquitto_sub(&mut ms),
        pairs(&[
            ("tools/l one", "q1 r0"),
            ("tools/l (null)", "q1 r0"),
            ("tools/l two words", "q1 r0"),
            ("tools/l three", "q1 r0"),
        ])
    );
}

#[test]
fn pub_repeat_sends_count_messages() {
    let m = Mosquitto::start();
    let mut ms = start_mosquitto_sub(m.port(), "tools/n", 3);
    let r = pub_run(
        &m.addr(),
        &[
            "-t",
            "tools/n",
            "-m",
            "again",
            "--repeat",
            "3",
            "--interval",
            "50",
            "-d",
        ],
    );
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("pymqtt pub: disconnected after sending 3 message(s)"),
        "{}",
        r.describe()
    );
    assert_eq!(
        finish_mosquitto_sub(&mut ms),
        pairs(&[
            ("tools/n again", "q0 r0"),
            ("tools/n again", "q0 r0"),
            ("tools/n again", "q0 r0"),
        ])
    );
}

#[test]
fn pub_file_stdin_and_message_arrive_byte_for_byte() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), &unique_id("bytes-sub"));
    peer.subscribe("tools/f", QoS::ExactlyOnce);
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    bytes.extend_from_slice(b"\r\n\n");
    let dir = TempDir::new("tools-file");
    let file = dir.write("payload.bin", &bytes);

    pub_ok(
        &m.addr(),
        &["-t", "tools/f", "-q", "2", "-f", file.to_str().unwrap()],
    );
    let got = peer.expect_publish("-f");
    assert_eq!(got.payload.as_ref(), bytes.as_slice());
    assert_eq!(got.qos, QoS::ExactlyOnce);

    Pymqtt::new()
        .args(["pub", "--broker", &m.addr(), "-t", "tools/f", "-s"])
        .stdin(bytes.clone())
        .run(WAIT)
        .assert_code(0);
    assert_eq!(peer.expect_publish("-s").payload.as_ref(), bytes.as_slice());

    // -m takes any bytes the shell passes, UTF-8 or not.
    let raw = OsString::from_vec(b"caf\xe9 \xff".to_vec());
    Pymqtt::new()
        .args(["pub", "--broker", &m.addr(), "-t", "tools/f", "-m"])
        .arg(raw)
        .run(WAIT)
        .assert_code(0);
    assert_eq!(peer.expect_publish("-m").payload.as_ref(), b"caf\xe9 \xff");

    let r = pub_run(&m.addr(), &["-t", "tools/f", "-f", "/no/such/file"]);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("pymqtt pub: cannot read /no/such/file (-f): No such file or directory"),
        "{}",
        r.describe()
    );
}

#[test]
fn pub_disconnects_cleanly_with_the_default_client_id() {
    let m = Mosquitto::start();
    let r = pub_run(&m.addr(), &["-t", "tools/d", "-m", "bye", "-q", "1", "-d"]);
    r.assert_code(0);
    let id = r
        .stderr
        .lines()
        .find_map(|l| l.split_once(" as ").map(|(_, id)| id.to_string()))
        .unwrap_or_else(|| panic!("no 'connected ... as ID' line\n{}", r.describe()));
    assert!(id.starts_with("pymqtt-pub-"), "{}", r.describe());
    let clean = format!("Received DISCONNECT from {id}");
    assert!(
        wait_until(WAIT, || m.log().contains(&clean)),
        "no DISCONNECT from {id}\n{}",
        m.log()
    );
}

// ---------------------------------------------------------------------------------------------
// Choosing the broker, credentials, usage errors, help
// ---------------------------------------------------------------------------------------------

#[test]
fn broker_from_env_and_from_host_and_port_flags() {
    let m = Mosquitto::start();
    let mut s = Pymqtt::new()
        .args(["sub", "-d", "-t", "tools/env", "-C", "2"])
        .env("PYMQTT_BROKER", m.addr())
        .label("pymqtt sub with PYMQTT_BROKER")
        .spawn();
    s.expect_stderr_contains("pymqtt sub: subscribed to tools/env");
    let port = m.port().to_string();
    Pymqtt::new()
        .args(["pub", "-h", "127.0.0.1", "-p", &port])
        .args(["-t", "tools/env", "-m", "via -h -p", "-q", "1"])
        .run(WAIT)
        .assert_code(0);
    // -p replaces the port of --broker.
    pub_ok(
        "127.0.0.1:1",
        &["-p", &port, "-t", "tools/env", "-m", "via -p", "-q", "1"],
    );
    expect_exit(&mut s, 0);
    assert_eq!(s.stdout(), "via -h -p\nvia -p\n", "{}", s.describe());
}

#[test]
fn credentials_are_sent_and_a_refusal_is_explained() {
    let m = Mosquitto::start_with(MosquittoConfig {
        users: vec![("alice".into(), "s3cret".into())],
        ..MosquittoConfig::default()
    });
    let mut s = start_sub(
        &m.addr(),
        &["-u", "alice", "-P", "s3cret", "-t", "tools/u", "-C", "1"],
    );
    pub_ok(
        &m.addr(),
        &["-u", "alice", "-P", "s3cret", "-t", "tools/u", "-m", "ok"],
    );
    expect_exit(&mut s, 0);
    assert_eq!(s.stdout(), "ok\n");

    let r = pub_run(
        &m.addr(),
        &["-u", "alice", "-P", "wrong", "-t", "tools/u", "-m", "no"],
    );
    r.assert_code(1);
    assert!(
        r.stderr.contains(&format!(
            "pymqtt pub: the broker at {} refused the connection: ",
            m.addr()
        )) && r.stderr.contains("check -u and -P"),
        "{}",
        r.describe()
    );
}

#[test]
fn usage_errors_name_the_flag_and_exit_2() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["pub", "-t", "t", "-m", "x", "-q", "3"],
            &[
                "--qos",
                "0 (at most once), 1 (at least once) or 2 (exactly once)",
            ],
        ),
        (&["pub", "-t", "a/#", "-m", "x"], &["--topic", "wildcards"]),
        (
            &["pub", "-t", "t"],
            &["--message", "--file", "--stdin-line"],
        ),
        (&["pub", "-t", "t", "-m", "x", "-P", "pw"], &["--username"]),
        (
            &["pub", "-t", "t", "-m", "x", "--interval", "5"],
            &["--repeat"],
        ),
        (
            &["pub", "-t", "t", "-m", "x", "-p", "0"],
            &["--port", "1 to 65535"],
        ),
        (
            &["pub", "-t", "t", "-m", "x", "-H", "h:1883"],
            &["--host", "-p"],
        ),
        (&["sub"], &["--topic"]),
        (&["sub", "-t", "t", "-C", "0"], &["--count", "1 or more"]),
        (&["sub", "-t", "t", "-W", "soon"], &["--timeout", "seconds"]),
        (&["sub", "-t", "a/#/b"], &["--topic", "whole last level"]),
    ];
    for (args, needles) in cases {
        let r = Pymqtt::new().args(*args).run(WAIT);
        r.assert_code(2);
        for needle in *needles {
            assert!(
                r.stderr.contains(needle),
                "stderr lacks {needle:?}\n{}",
                r.describe()
            );
        }
    }
}

#[test]
fn help_teaches_the_seed_workflow() {
    let r = Pymqtt::new().args(["pub", "--help"]).run(WAIT);
    r.assert_code(0);
    for needle in [
        r#"pymqtt pub -t raspberry/mqtt -m '{"msg":"hello"}'"#,
        "pymqtt broker",
        "pymqtt --broker localhost scripts/sub.py",
        "PYMQTT_BROKER",
    ] {
        assert!(
            r.stdout.contains(needle),
            "lacks {needle:?}\n{}",
            r.describe()
        );
    }
    // pub subscribes to nothing: its -d says what it does report.
    let debug = |help: &str| {
        help.lines()
            .find(|l| l.trim_start().starts_with("-d, --debug"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(
        debug(&r.stdout).contains("connecting and disconnecting")
            && !debug(&r.stdout).contains("subscri"),
        "{}",
        debug(&r.stdout)
    );
    let r = Pymqtt::new().args(["sub", "--help"]).run(WAIT);
    r.assert_code(0);
    assert!(
        debug(&r.stdout).contains("subscriptions"),
        "{}",
        debug(&r.stdout)
    );
    for needle in [
        "pymqtt sub -t raspberry/mqtt -v",
        "pymqtt broker",
        "pymqtt --broker localhost scripts/pub.py",
    ] {
        assert!(
            r.stdout.contains(needle),
            "lacks {needle:?}\n{}",
            r.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The embedded broker
// ---------------------------------------------------------------------------------------------

#[test]
fn pub_and_sub_through_the_embedded_broker() {
    let (mut b, port) = start_embedded_broker();
    let addr = format!("127.0.0.1:{port}");
    let mut s = start_sub(&addr, &["-t", "tools/e", "-C", "4", "-v", "-q", "2"]);
    pub_ok(&addr, &["-t", "tools/e", "-m", "zero"]);
    pub_ok(&addr, &["-t", "tools/e", "-m", "one", "-q", "1"]);
    pub_ok(&addr, &["-t", "tools/e", "-m", "two", "-q", "2"]);
    mosquitto_pub(port, "tools/e", "from mosquitto_pub", 1);
    expect_exit(&mut s, 0);
    assert_eq!(
        sorted_lines(&s.stdout()),
        vec![
            "tools/e from mosquitto_pub",
            "tools/e one",
            "tools/e two",
            "tools/e zero"
        ],
        "{}",
        s.describe()
    );

    let mut ms = start_mosquitto_sub(port, "tools/e2", 2);
    pub_ok(
        &addr,
        &["-t", "tools/e2", "-m", "hi", "-q", "1", "--repeat", "2"],
    );
    let got: Vec<String> = finish_mosquitto_sub(&mut ms)
        .into_iter()
        .map(|(line, _flags)| line)
        .collect();
    assert_eq!(got, vec!["tools/e2 hi", "tools/e2 hi"]);
    b.assert_running();
}

// ---------------------------------------------------------------------------------------------
// The seed article's two test steps, automated (MQTTX replaced by pymqtt pub / sub)
// ---------------------------------------------------------------------------------------------

#[test]
fn seed_publish_test_sub_sees_what_pub_py_sends() {
    let (_b, port) = start_embedded_broker();
    let broker = format!("127.0.0.1:{port}");
    let mut s = Pymqtt::new()
        .args([
            "sub", "--broker", &broker, "-t", SEED_TOPIC, "-C", "2", "-v",
        ])
        .label("pymqtt sub")
        .spawn();
    // pub.py publishes once a second for ever, so it does not matter which starts first.
    let mut publ = Pymqtt::new()
        .args(["--broker", &broker])
        .arg(repo_root().join("scripts/pub.py"))
        .label("pub.py")
        .spawn();
    let status = s.wait_exit(WAIT);
    if status.code() != Some(0) {
        panic!("{}\n{}", s.describe(), publ.describe());
    }
    let line = format!(r#"{SEED_TOPIC} {{"msg":"hello"}}"#);
    assert_eq!(s.stdout(), format!("{line}\n{line}\n"), "{}", s.describe());
    publ.assert_running();
}

#[test]
fn seed_subscribe_test_sub_py_prints_what_pub_sends() {
    let (_b, port) = start_embedded_broker();
    let broker = format!("127.0.0.1:{port}");
    let mut sub_py = Pymqtt::new()
        .args(["--broker", &broker])
        .arg(repo_root().join("scripts/sub.py"))
        .label("sub.py")
        .spawn();
    sub_py.expect_stdout(CONNECTED);
    // sub.py subscribes just after printing that line: publish every 200 ms until it shows
    // the message (75 times is 15 s, the deadline below).
    let payload = r#"{"msg":"from pymqtt pub"}"#;
    let mut publ = Pymqtt::new()
        .args(["pub", "--broker", &broker, "-t", SEED_TOPIC, "-m", payload])
        .args(["--repeat", "75", "--interval", "200"])
        .label("pymqtt pub --repeat 75")
        .spawn();
    let want = format!("received message b'{payload}' on topic b'{SEED_TOPIC}'");
    if sub_py.try_stdout_line(WAIT, |l| l == want).is_none() {
        panic!(
            "sub.py never printed {want:?}\n{}\n{}",
            sub_py.describe(),
            publ.describe()
        );
    }
    sub_py.assert_running();
    publ.kill();
}

#[test]
fn mosquitto_flags_null_message_no_newline_no_retained_and_the_will() {
    let m = Mosquitto::start();
    let addr = m.addr();
    // -R: the retained message already there is skipped; -N: no newline after each.
    pub_ok(&addr, &["-t", "tools/flags", "-m", "old", "-r"]);
    let mut s = start_sub(&addr, &["-t", "tools/flags", "-R", "-N", "-C", "3"]);
    pub_ok(&addr, &["-t", "tools/flags", "-m", "a"]);
    // -n: an empty message, as mosquitto_pub's.
    pub_ok(&addr, &["-t", "tools/flags", "-n"]);
    pub_ok(&addr, &["-t", "tools/flags", "-m", "b"]);
    expect_exit(&mut s, 0);
    assert_eq!(s.stdout(), "ab", "{}", s.describe());

    // --will-*: a sub that dies leaves its will.
    let mut watcher = Peer::connect(m.port(), &unique_id("will-watch"));
    watcher.subscribe("tools/will", QoS::AtLeastOnce);
    let mut dying = start_sub(
        &addr,
        &[
            "-t",
            "tools/x",
            "--will-topic",
            "tools/will",
            "--will-payload",
            "gone",
            "--will-qos",
            "1",
        ],
    );
    dying.kill();
    let will = watcher.expect_publish("the will");
    assert_eq!(support::peers::text(&will), "gone");
}

#[test]
fn dash_c_keeps_the_session_and_dash_k_sets_the_keepalive() {
    let m = Mosquitto::start();
    let addr = m.addr();
    let id = unique_id("tools-c");
    // A session kept by -c: what is published while the tool is away comes on the next run.
    let mut first = start_sub(
        &addr,
        &[
            "-t", "tools/c", "-q", "1", "-c", "-i", &id, "-k", "17", "-C", "1",
        ],
    );
    m.expect_log_since(0, &format!("as {id} (p2, c0, k17)"));
    pub_ok(&addr, &["-t", "tools/c", "-m", "first", "-q", "1"]);
    expect_exit(&mut first, 0);
    pub_ok(&addr, &["-t", "tools/c", "-m", "while away", "-q", "1"]);
    let again = Pymqtt::new()
        .args([
            "sub", "--broker", &addr, "-t", "tools/c", "-q", "1", "-c", "-i", &id, "-C", "1",
        ])
        .run(WAIT);
    again.assert_code(0);
    assert_eq!(again.stdout, "while away\n", "{}", again.describe());
    // -c needs -i, as mosquitto_sub says.
    let refused = Pymqtt::new()
        .args(["sub", "--broker", &addr, "-t", "tools/c", "-c"])
        .run(WAIT);
    refused.assert_code(2);
}
