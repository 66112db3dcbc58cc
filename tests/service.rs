//! `pymqtt service NAME` (what the systemd unit pymqtt@NAME runs) and SIGTERM, the way a
//! service manager stops a program: the script gets SystemExit (its `finally` runs), then its
//! clients are disconnected with a DISCONNECT, so that the broker discards their last wills;
//! the exit status is 143. The control case, SIGKILL, shows the will being published, so the
//! test of its absence can fail.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::deadlines::WAIT;
use support::peers::Peer;
use support::processes::{Proc, Pymqtt};
use support::scripts::{TempDir, script_for_port, unique_id};

/// A sensor that announces itself and then sleeps for ever, with a last will.
fn sensor_script(port: u16, id: &str) -> String {
    script_for_port(
        port,
        &format!(
            r#"import time
c = MQTTClient("{id}", "127.0.0.1", PORT)
c.set_last_will("svc/{id}/will", "died")
c.connect()
c.publish("svc/{id}/status", "up")
try:
    while True:
        time.sleep(1)
finally:
    print("finally ran")
"#
        ),
    )
}

/// Starts the service `sensor` (DIR/sensor.py) and waits until its status reached `peer`.
fn start_sensor(m: &Mosquitto, peer: &mut Peer, id: &str) -> (TempDir, Proc) {
    let dir = TempDir::new("service");
    dir.write("sensor.py", sensor_script(m.port(), id));
    peer.subscribe(&format!("svc/{id}/#"), QoS::AtLeastOnce);
    let p = Pymqtt::new()
        .args(["service", "sensor", "--dir"])
        .arg(dir.path())
        .spawn();
    let status = peer.expect_publish("the service's status");
    assert_eq!(status.topic, format!("svc/{id}/status"));
    (dir, p)
}

/// The first message on the will topic after the service ended: the will, or the sentinel the
/// peer publishes there itself once the process is gone (mosquitto publishes a will as soon as
/// it sees the connection lost, so a will would come first).
fn first_on_will_topic(peer: &mut Peer, id: &str) -> Vec<u8> {
    let topic = format!("svc/{id}/will");
    peer.publish(&topic, "sentinel", QoS::AtLeastOnce, false);
    let message = peer.expect_publish("the will or the sentinel");
    assert_eq!(message.topic, topic);
    message.payload.to_vec()
}

#[test]
fn sigterm_runs_finally_disconnects_cleanly_and_exits_143() {
    let m = Mosquitto::start();
    let id = unique_id("svc-term");
    let mut peer = Peer::connect(m.port(), &unique_id("svc-peer"));
    let (_dir, mut p) = start_sensor(&m, &mut peer, &id);
    p.wait_blocked();
    p.signal(libc::SIGTERM);
    let status = p.wait_exit(WAIT);
    assert_eq!(status.code(), Some(143), "{}", p.describe());
    assert!(p.stdout().contains("finally ran"), "{}", p.describe());
    assert!(!p.stderr().contains("Traceback"), "{}", p.describe());
    assert_eq!(
        first_on_will_topic(&mut peer, &id),
        b"sentinel",
        "the broker published the last will: no DISCONNECT came\n{}",
        p.describe()
    );
}

#[test]
fn sigkill_leaves_the_will_to_the_broker() {
    let m = Mosquitto::start();
    let id = unique_id("svc-kill");
    let mut peer = Peer::connect(m.port(), &unique_id("svc-peer"));
    let (_dir, mut p) = start_sensor(&m, &mut peer, &id);
    p.signal(libc::SIGKILL);
    p.wait_exit(WAIT);
    assert_eq!(first_on_will_topic(&mut peer, &id), b"died");
}

#[test]
fn sigterm_during_wait_msg_stops_the_script() {
    let m = Mosquitto::start();
    let id = unique_id("svc-wait");
    let dir = TempDir::new("service-wait");
    dir.write(
        "listener.py",
        script_for_port(
            m.port(),
            &format!(
                r#"c = MQTTClient("{id}", "127.0.0.1", PORT)
c.set_callback(lambda t, m: print(t, m))
c.connect()
c.subscribe("svc/{id}/never")
print("waiting")
c.wait_msg()
"#
            ),
        ),
    );
    let mut p = Pymqtt::new()
        .args(["service", "listener.py", "--dir"])
        .arg(dir.path())
        .spawn();
    p.expect_stdout("waiting");
    p.wait_blocked();
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait_exit(WAIT).code(), Some(143), "{}", p.describe());
}

#[test]
fn a_board_folder_service_runs_boot_then_main_in_its_folder() {
    let dir = TempDir::new("service-board");
    dir.write("station/boot.py", "print('boot')\n");
    dir.write(
        "station/main.py",
        "import os\nprint(open('settings.txt').read().strip(), os.getcwd().endswith('station'))\n",
    );
    dir.write("station/settings.txt", "interval=60\n");
    let out = Pymqtt::new()
        .args(["service", "station", "--dir"])
        .arg(dir.path())
        .run(Duration::from_secs(30));
    out.assert_code(0);
    assert_eq!(
        out.stdout_lines(),
        ["boot", "interval=60 True"],
        "{}",
        out.describe()
    );
}

#[test]
fn an_unknown_service_says_where_it_looked() {
    let dir = TempDir::new("service-missing");
    let out = Pymqtt::new()
        .args(["service", "nothere", "--dir"])
        .arg(dir.path())
        .run(Duration::from_secs(30));
    out.assert_code(2);
    assert!(
        out.stderr.contains("nothere.py") && out.stderr.contains("nothere/"),
        "{}",
        out.describe()
    );
    let out = Pymqtt::new()
        .args(["service", "../etc", "--dir"])
        .arg(dir.path())
        .run(Duration::from_secs(30));
    out.assert_code(2);
    assert!(
        out.stderr.contains("not a service name"),
        "{}",
        out.describe()
    );
}
