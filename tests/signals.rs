//! Ctrl-C: SIGINT to the child while it blocks in wait_msg / connect / sleep becomes a
//! KeyboardInterrupt in the script; uncaught, it prints a traceback and exits with 130.
//!
//! The 3 s bound is a responsiveness check (a blocked native call that ignores Ctrl-C hangs
//! for ever), not a performance figure.

#[allow(dead_code)]
mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::brokers::{Mosquitto, free_port};
use support::deadlines::{WAIT, wait_until};
use support::processes::{Proc, Pymqtt, assert_exit_code};
use support::scripts::{TempDir, repo_root, script_for_port};

const PROMPT: Duration = Duration::from_secs(3);

/// Sends SIGINT and checks: exits on its own within PROMPT, status 130 (not killed by the
/// signal), traceback with KeyboardInterrupt on stderr.
fn interrupt_and_expect_130(p: &mut Proc) {
    p.wait_blocked();
    p.assert_running();
    let sent = Instant::now();
    p.signal(libc::SIGINT);
    let status = match p.try_wait_exit(PROMPT) {
        Some(s) => s,
        None => {
            let d = p.describe();
            p.kill();
            panic!("still running {PROMPT:?} after SIGINT\n{d}");
        }
    };
    let took = sent.elapsed();
    assert_eq!(
        status.code(),
        Some(130),
        "expected exit status 130 after Ctrl-C (took {took:?})\n{}",
        p.describe()
    );
    let err = p.stderr();
    assert!(
        err.contains("Traceback"),
        "no traceback after Ctrl-C\n{}",
        p.describe()
    );
    assert!(
        err.contains("KeyboardInterrupt"),
        "no KeyboardInterrupt\n{}",
        p.describe()
    );
}

#[test]
fn ctrl_c_during_wait_msg_exits_130() {
    let m = Mosquitto::start();
    let dir = TempDir::new("sigint-wait");
    let mut p = Pymqtt::script(
        &dir,
        "wait.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("sigint-wait", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: print("got", t, msg))
c.connect()
c.subscribe("never/t")
print("waiting")
c.wait_msg()
print("returned?!")
"#,
        ),
    )
    .spawn();
    p.expect_stdout("waiting");
    interrupt_and_expect_130(&mut p);
    assert!(!p.stdout().contains("returned?!"));
}

#[test]
fn ctrl_c_during_connect_exits_130() {
    // A server that accepts the TCP connection and never answers CONNECT: connect() blocks.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let dir = TempDir::new("sigint-connect");
    let mut p = Pymqtt::script(
        &dir,
        "connect.py",
        &script_for_port(
            port,
            r#"c = MQTTClient("sigint-connect", "127.0.0.1", PORT)
print("connecting")
c.connect()
print("connected?!")
"#,
        ),
    )
    .spawn();
    p.expect_stdout("connecting");
    let mut held = None;
    let accepted = wait_until(WAIT, || match listener.accept() {
        Ok((s, _)) => {
            held = Some(s);
            true
        }
        Err(_) => false,
    });
    assert!(
        accepted,
        "the script never opened its TCP connection\n{}",
        p.describe()
    );
    interrupt_and_expect_130(&mut p);
    drop(held);
}

#[test]
fn ctrl_c_during_sleep_exits_130() {
    let dir = TempDir::new("sigint-sleep");
    let mut p = Pymqtt::script(
        &dir,
        "sleep.py",
        "import time\nprint('sleeping')\ntime.sleep(60)\n",
    )
    .spawn();
    p.expect_stdout("sleeping");
    interrupt_and_expect_130(&mut p);
}

#[test]
fn ctrl_c_is_a_catchable_keyboard_interrupt() {
    let m = Mosquitto::start();
    let dir = TempDir::new("sigint-caught");
    let mut p = Pymqtt::script(
        &dir,
        "caught.py",
        &script_for_port(
            m.port(),
            r#"c = MQTTClient("sigint-caught", "127.0.0.1", PORT)
c.set_callback(lambda t, msg: None)
c.connect()
c.subscribe("never/t")
try:
    print("waiting")
    c.wait_msg()
except KeyboardInterrupt:
    print("caught KeyboardInterrupt")
    c.disconnect()
print("clean exit")
"#,
        ),
    )
    .spawn();
    p.expect_stdout("waiting");
    p.wait_blocked();
    p.signal(libc::SIGINT);
    let st = match p.try_wait_exit(PROMPT) {
        Some(s) => s,
        None => panic!("still running {PROMPT:?} after SIGINT\n{}", p.describe()),
    };
    assert_exit_code(&mut p, st, 0);
    assert!(
        p.stdout()
            .contains("caught KeyboardInterrupt\nclean exit\n"),
        "{}",
        p.describe()
    );
}

#[test]
fn ctrl_c_during_wait_msg_on_the_local_broker_exits_130() {
    let port = free_port();
    let dir = TempDir::new("sigint-local");
    let mut p = Pymqtt::script(
        &dir,
        "local.py",
        r#"from umqtt.simple import MQTTClient
c = MQTTClient("sigint-local", "broker.emqx.io", 1883)
c.set_callback(lambda t, msg: None)
c.connect()
c.subscribe("never/t")
print("waiting")
c.wait_msg()
"#,
    )
    .pre_args([format!("--local-broker={port}")])
    .spawn();
    p.expect_stdout("waiting");
    interrupt_and_expect_130(&mut p);
}

#[test]
fn ctrl_c_stops_the_article_sub_py() {
    let m = Mosquitto::start();
    let dir = TempDir::new("sigint-seed");
    let mut p = Pymqtt::new()
        .cwd(dir.path())
        .args(["--broker", &m.addr()])
        .arg(repo_root().join("scripts/sub.py"))
        .spawn();
    p.expect_stdout(r#"Connected to MQTT Broker "broker.emqx.io""#);
    interrupt_and_expect_130(&mut p);
}

/// A broker that answers CONNECT and then never acknowledges anything.
fn silent_broker() -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut answered = false;
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    if !answered {
                        // CONNACK, session not present, accepted.
                        let _ = stream.write_all(&[0x20, 0x02, 0x00, 0x00]);
                        answered = true;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn second_ctrl_c_ends_the_exit_flush_at_once_and_the_first_says_what_it_waits_for() {
    let port = silent_broker();
    let dir = TempDir::new("sigint-flush");
    let mut p = Pymqtt::script(
        &dir,
        "pub.py",
        &script_for_port(
            port,
            "c = MQTTClient('flush', '127.0.0.1', PORT)\nc.connect()\nprint('connected', flush=True)\nc.publish(b't', b'never acked', qos=1)\n",
        ),
    )
    .spawn();
    p.expect_stdout("connected");
    p.wait_blocked();
    p.signal(libc::SIGINT);
    // The KeyboardInterrupt ends the program; the unacknowledged publish is still queued,
    // and the exit says so once it has waited a while.
    p.expect_stderr_contains("delivering 1 queued message(s) to 127.0.0.1:");
    p.signal(libc::SIGINT);
    // Within PROMPT, where the flush would wait 4.5 s more.
    let status = p
        .try_wait_exit(PROMPT)
        .unwrap_or_else(|| panic!("still flushing after a second Ctrl-C\n{}", p.describe()));
    assert_eq!(status.code(), Some(130), "{}", p.describe());
    assert!(
        p.stderr()
            .contains("exiting without delivering what is still queued"),
        "{}",
        p.describe()
    );
}
