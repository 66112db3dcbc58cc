//! examples/gateway.rs, run as a person runs it: two scripts side by side against its embedded
//! broker, reading the gateway's sensors (which it updates every second) and logging through
//! it; every published message on its stdout as `TOPIC PAYLOAD`; Ctrl-C stops both, the
//! running one's `finally` included, and the gateway exits with 130.

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Command;

use support::deadlines::{WAIT, wait_until};
use support::processes::Proc;
use support::scripts::TempDir;

/// The example's binary, which `cargo test` builds beside the test binaries.
fn gateway_binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/PROFILE/deps/TEST");
    let binary = profile_dir.join("examples/gateway");
    assert!(
        binary.is_file(),
        "no {} (cargo test builds it)",
        binary.display()
    );
    binary
}

const PUBLISHER: &str = r#"import time
from umqtt.simple import MQTTClient
import gateway
c = MQTTClient("gw-a", "broker.example")
c.connect()
gateway.log("a started")
try:
    gateway.sensor("pressure")
except KeyError as e:
    print("no such sensor:", e)
try:
    while True:
        c.publish(b"gw/a/uptime", str(gateway.sensor("uptime")))
        time.sleep(0.2)
finally:
    gateway.log("a stopping")
    c.disconnect()
"#;

const ONE_SHOT: &str = r#"from umqtt.simple import MQTTClient
from machine import Pin
import gateway
Pin(5, Pin.OUT).on()
c = MQTTClient("gw-b", "broker.example")
c.connect()
c.publish(b"gw/b", b"temperature %.1f" % gateway.sensor("temperature"))
c.disconnect()
print("b done")
"#;

#[test]
fn two_scripts_share_the_gateway_its_sensors_and_its_ctrl_c() {
    let dir = TempDir::new("gateway");
    dir.write("a.py", PUBLISHER);
    dir.write("b.py", ONE_SHOT);
    let mut command = Command::new(gateway_binary());
    command.args(["a.py", "b.py"]).current_dir(dir.path());
    let mut gateway = Proc::spawn_command(command, "gateway a.py b.py");

    let line = gateway.expect_stdout_contains("gw/b temperature ");
    let reading: f64 = line["gw/b temperature ".len()..].parse().unwrap();
    assert!((19.0..=23.0).contains(&reading), "{line}");
    // The uptime the gateway updates every second reaches the script: it goes up.
    gateway.expect_stdout("gw/a/uptime 0.0");
    gateway.expect_stdout("gw/a/uptime 1.0");
    gateway.expect_stdout("gw/a/uptime 2.0");
    // The two scripts' lines come in either order.
    for line in [
        "[a.py] a started",
        "a.py: no such sensor: 'no sensor \"pressure\"'",
        "b.py: b done",
        // Pin 5 of b.py's board is the gateway's relay.
        "[b.py] relay on",
    ] {
        let seen = wait_until(WAIT, || gateway.stderr().lines().any(|l| l == line));
        assert!(seen, "no stderr line {line:?}\n{}", gateway.describe());
    }

    gateway.signal(libc::SIGINT);
    let status = gateway.wait_exit(WAIT);
    assert_eq!(status.code(), Some(130), "{}", gateway.describe());
    let stderr = gateway.stderr();
    assert!(
        stderr.contains("gateway: stopping"),
        "{}",
        gateway.describe()
    );
    assert!(
        stderr.contains("[a.py] a stopping"),
        "{}",
        gateway.describe()
    );
}
