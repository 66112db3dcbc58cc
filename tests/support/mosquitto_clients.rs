//! The other independent client: mosquitto's command-line tools, `mosquitto_sub` and
//! `mosquitto_pub`, run as a user would run them beside a script.

use std::io::Read;
use std::process::{Child, Command, Stdio};

/// `mosquitto_sub -p PORT -t TOPIC -C count -W secs -v` started in the background.
pub struct MosquittoSub {
    child: Child,
}

impl MosquittoSub {
    pub fn start(port: u16, topic: &str, count: usize, secs: u32) -> MosquittoSub {
        let child = Command::new("mosquitto_sub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                topic,
                "-q",
                "1",
                "-v",
            ])
            .args(["-C", &count.to_string(), "-W", &secs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mosquitto_sub");
        MosquittoSub { child }
    }

    /// Waits for it to end (it ends after `count` messages or `secs`), returns (ok, stdout).
    pub fn finish(mut self) -> (bool, String, String) {
        let mut out = String::new();
        let mut err = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .ok();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .ok();
        let st = self.child.wait().expect("wait mosquitto_sub");
        (st.success(), out, err)
    }
}

impl Drop for MosquittoSub {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `mosquitto_pub -h 127.0.0.1 -p PORT -t TOPIC -m MSG`, to be given more and run.
fn mosquitto_pub_command(port: u16, topic: &str, msg: &str) -> Command {
    let mut command = Command::new("mosquitto_pub");
    command.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        topic,
        "-m",
        msg,
    ]);
    command
}

/// `mosquitto_pub -p PORT -t TOPIC -m MSG -q QOS`, run to completion; fails the test on error.
pub fn mosquitto_pub(port: u16, topic: &str, msg: &str, qos: u8) {
    let out = mosquitto_pub_command(port, topic, msg)
        .args(["-q", &qos.to_string()])
        .output()
        .expect("run mosquitto_pub");
    assert!(out.status.success(), "mosquitto_pub failed: {out:?}");
}

/// `mosquitto_pub -t w/t -m x EXTRA` against 127.0.0.1:`port`: its exit status, which is the
/// CONNACK's return code when the broker refused it.
pub fn mosquitto_pub_status(port: u16, extra: &[&str]) -> Option<i32> {
    mosquitto_pub_command(port, "w/t", "x")
        .args(extra)
        .status()
        .expect("run mosquitto_pub")
        .code()
}
