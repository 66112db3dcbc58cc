//! `HostBuilder::sandbox`, used as an embedding application uses it: each rule of the fence
//! is tried by a script that tries to get out, and gets a PermissionError; what the fence
//! allows (its folder's files, the frozen library, asyncio, MQTT to the application's broker)
//! still works; and the same scripts without a sandbox do get out, so the checks can fail.

#[allow(dead_code)]
mod support;

use std::sync::{Arc, Mutex};

use pymqtt::host::sandbox::{Access, Sandbox};
use pymqtt::{BrokerAddress, ExitStatus, Host, HostBuilder, Program};
use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::scripts::{TempDir, unique_id};

/// Every attempt prints `WHAT: refused (MESSAGE)`, `WHAT: allowed` or `WHAT: failed (...)`.
const TRIES: &str = r#"
def tries(what, attempt):
    try:
        attempt()
    except PermissionError as e:
        print("%s: refused (%s)" % (what, e))
    except Exception as e:
        print("%s: failed (%s: %s)" % (what, type(e).__name__, e))
    else:
        print("%s: allowed" % what)
"#;

/// Runs `script` on `builder`'s host; its exit status and everything it printed.
fn run(builder: HostBuilder, script: &str) -> (ExitStatus, String) {
    let printed = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&printed);
    let host = builder
        .output(move |_, text| sink.lock().unwrap().push_str(text))
        .build();
    let status = host.run(&Program::Source(format!("{TRIES}\n{script}")));
    let printed = printed.lock().unwrap().clone();
    (status, printed)
}

/// The verdict on `what` in `output`: `refused`, `allowed` or `failed`.
fn verdict<'a>(output: &'a str, what: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{what}: ")))
        .map(|rest| rest.split_whitespace().next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no verdict on {what}:\n{output}"))
}

fn assert_verdicts(output: &str, expected: &[(&str, &str)]) {
    for (what, want) in expected {
        assert_eq!(verdict(output, what), *want, "{what}\n{output}");
    }
}

/// A folder with a data file, a link out of it and a module, beside one outside it with a
/// module of its own.
fn folders() -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
    let root = TempDir::new("sandbox");
    let inside = root.path().join("inside");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(inside.join("data.txt"), "inside data").unwrap();
    std::fs::write(inside.join("helper.py"), "NAME = 'helper inside'\n").unwrap();
    std::fs::write(outside.join("secret.txt"), "outside secret").unwrap();
    std::fs::write(outside.join("evil.py"), "NAME = 'evil outside'\n").unwrap();
    std::os::unix::fs::symlink(&outside, inside.join("link")).unwrap();
    (root, inside, outside)
}

const FILES: &str = r#"
import io, os, pathlib
tries("read inside", lambda: print(open("data.txt").read()))
tries("read by absolute path", lambda: open(FOLDER + "/data.txt").read())
tries("read outside", lambda: open(OUTSIDE + "/secret.txt").read())
tries("read through ..", lambda: open("../outside/secret.txt").read())
tries("read through a link", lambda: open("link/secret.txt").read())
tries("read /etc", lambda: open("/etc/hostname").read())
tries("pathlib outside", lambda: pathlib.Path(OUTSIDE, "secret.txt").read_text())
tries("FileIO outside", lambda: io.FileIO(OUTSIDE + "/secret.txt"))
tries("os.open outside", lambda: os.open(OUTSIDE + "/secret.txt", os.O_RDONLY))
tries("a descriptor number", lambda: open(3))
tries("list inside", lambda: print(sorted(os.listdir())))
tries("list /", lambda: os.listdir("/"))
tries("stat outside", lambda: os.stat(OUTSIDE))
tries("write inside", lambda: open("new.txt", "w").write("x"))
tries("append inside", lambda: open("data.txt", "a").write("x"))
tries("mkdir inside", lambda: os.mkdir("made"))
tries("remove inside", lambda: os.remove("data.txt"))
tries("rename out", lambda: os.rename("data.txt", OUTSIDE + "/stolen.txt"))
tries("write outside", lambda: open(OUTSIDE + "/new.txt", "w").write("x"))
tries("symlink out", lambda: os.symlink(OUTSIDE, "link2"))
tries("chdir", lambda: os.chdir("/"))
"#;

/// FILES for the folders `inside` (the sandbox's) and `outside`.
fn files_script(inside: &std::path::Path, outside: &std::path::Path) -> String {
    format!(
        "FOLDER = {inside:?}\nOUTSIDE = {outside:?}\n{FILES}",
        inside = inside.display().to_string(),
        outside = outside.display().to_string()
    )
}

#[test]
fn files_are_the_folders_only_and_a_read_only_folder_is_not_written() {
    let (_root, inside, outside) = folders();
    let script = files_script(&inside, &outside);
    let builder = Host::builder().sandbox(Sandbox::new().files(&inside, Access::ReadOnly));
    let (status, output) = run(builder, &script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert!(output.contains("inside data"), "{output}");
    assert!(
        output.contains("'data.txt', 'helper.py', 'link'"),
        "{output}"
    );
    assert_verdicts(
        &output,
        &[
            ("read inside", "allowed"),
            ("read by absolute path", "allowed"),
            ("read outside", "refused"),
            ("read through ..", "refused"),
            ("read through a link", "refused"),
            ("read /etc", "refused"),
            ("pathlib outside", "refused"),
            ("FileIO outside", "refused"),
            ("os.open outside", "refused"),
            ("a descriptor number", "refused"),
            ("list inside", "allowed"),
            ("list /", "refused"),
            ("stat outside", "refused"),
            ("write inside", "refused"),
            ("append inside", "refused"),
            ("mkdir inside", "refused"),
            ("remove inside", "refused"),
            ("rename out", "refused"),
            ("write outside", "refused"),
            ("symlink out", "refused"),
            ("chdir", "refused"),
        ],
    );
    assert!(
        output.contains("outside the sandbox's folder") && output.contains("is read-only"),
        "the refusals say why:\n{output}"
    );
    assert_eq!(
        std::fs::read_to_string(inside.join("data.txt")).unwrap(),
        "inside data"
    );
    assert!(!outside.join("stolen.txt").exists() && !inside.join("made").exists());

    // Read-write: the folder's files change; outside is still out of reach.
    let (_root, inside, outside) = folders();
    let script = files_script(&inside, &outside);
    let builder = Host::builder().sandbox(Sandbox::new().files(&inside, Access::ReadWrite));
    let (_, output) = run(builder, &script);
    assert_verdicts(
        &output,
        &[
            ("write inside", "allowed"),
            ("append inside", "allowed"),
            ("mkdir inside", "allowed"),
            ("read outside", "refused"),
            ("rename out", "refused"),
            ("write outside", "refused"),
            ("symlink out", "refused"),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(inside.join("new.txt")).unwrap(),
        "x"
    );
    assert!(inside.join("made").is_dir());
    assert!(!outside.join("new.txt").exists() && !outside.join("stolen.txt").exists());

    // Without a sandbox the reads get out: the checks above can fail. (Only the reads: the
    // rest would change this test process's own folder and files.)
    let (_root, inside, outside) = folders();
    let script = format!(
        "OUTSIDE = {outside:?}\n\
         tries('read outside', lambda: open(OUTSIDE + '/secret.txt').read())\n\
         tries('read through a link', lambda: open({link:?}).read())\n",
        outside = outside.display().to_string(),
        link = inside.join("link/secret.txt").display().to_string(),
    );
    let (_, output) = run(Host::builder(), &script);
    assert_verdicts(
        &output,
        &[
            ("read outside", "allowed"),
            ("read through a link", "allowed"),
        ],
    );
}

#[test]
fn a_sandbox_without_a_folder_gives_no_files_but_the_frozen_library() {
    let script = r#"
import json, asyncio, machine
from umqtt.simple import MQTTClient
print(json.dumps({"ok": True}))
tries("open", lambda: open("anything.txt", "w"))
tries("cwd", lambda: __import__("os").getcwd())
"#;
    let (status, output) = run(Host::builder().sandbox(Sandbox::new()), script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert!(output.contains(r#"{"ok": true}"#), "{output}");
    assert_verdicts(&output, &[("open", "refused"), ("cwd", "refused")]);
    assert!(output.contains("gives the script no files"), "{output}");
}

#[test]
fn no_processes_no_environment() {
    let script = r#"
import os, subprocess
tries("os.system", lambda: os.system("true"))
tries("subprocess", lambda: subprocess.run(["true"]))
tries("os.fork", lambda: os.fork())
tries("os.execv", lambda: os.execv("/bin/true", ["true"]))
tries("os.posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {}))
tries("os.kill", lambda: os.kill(os.getpid(), 0))
tries("os.putenv", lambda: os.putenv("X", "1"))
print("environment:", dict(os.environ))
"#;
    let (status, output) = run(Host::builder().sandbox(Sandbox::new()), script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert_verdicts(
        &output,
        &[
            ("os.system", "refused"),
            ("subprocess", "refused"),
            ("os.fork", "refused"),
            ("os.execv", "refused"),
            ("os.posix_spawn", "refused"),
            ("os.kill", "refused"),
            ("os.putenv", "refused"),
        ],
    );
    assert!(output.contains("environment: {}"), "{output}");
    // Without the sandbox, a script does start a process and sees the environment (only
    // that: forking or exec'ing would be this test process's).
    let control = "import os, subprocess\n\
                   tries('os.system', lambda: os.system('true'))\n\
                   tries('subprocess', lambda: subprocess.run(['true']))\n\
                   print('environment:', dict(os.environ))\n";
    let (_, output) = run(Host::builder(), control);
    assert_verdicts(
        &output,
        &[("os.system", "allowed"), ("subprocess", "allowed")],
    );
    assert!(!output.contains("environment: {}"), "{output}");
}

#[test]
fn no_sockets_of_its_own_but_asyncio_runs() {
    let broker = Mosquitto::start();
    let script = format!(
        r#"
import socket, _socket, asyncio
PORT = {port}
tries("connect", lambda: socket.socket().connect(("127.0.0.1", PORT)))
tries("raw connect", lambda: _socket.socket().connect(("127.0.0.1", PORT)))
tries("create_connection", lambda: socket.create_connection(("127.0.0.1", PORT)))
tries("bind", lambda: socket.socket().bind(("127.0.0.1", 0)))
tries("resolve", lambda: socket.getaddrinfo("localhost", 80))
tries("fromfd", lambda: socket.socket(fileno=3))
import requests
tries("requests", lambda: requests.get("http://127.0.0.1:%d/" % PORT))
async def main():
    await asyncio.sleep(0.01)
    return "asyncio ran"
tries("asyncio", lambda: print(asyncio.run(main())))
"#,
        port = broker.port()
    );
    let (status, output) = run(Host::builder().sandbox(Sandbox::new()), &script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert_verdicts(
        &output,
        &[
            ("connect", "refused"),
            ("raw connect", "refused"),
            ("create_connection", "refused"),
            ("bind", "refused"),
            ("resolve", "refused"),
            ("fromfd", "refused"),
            ("requests", "refused"),
            ("asyncio", "allowed"),
        ],
    );
    assert!(output.contains("asyncio ran"), "{output}");
    // Without the sandbox the connection is made (and only that is tried: a socket over
    // descriptor 3 would be this test process's).
    let control = format!(
        "import socket\ntries('connect', lambda: socket.socket().connect(('127.0.0.1', {})))\n",
        broker.port()
    );
    let (_, output) = run(Host::builder(), &control);
    assert_verdicts(&output, &[("connect", "allowed")]);
}

#[test]
fn no_ctypes_and_no_imports_from_outside_the_folder() {
    let (_root, inside, outside) = folders();
    let script = format!(
        r#"
import sys
OUTSIDE = {outside:?}
tries("ctypes", lambda: __import__("ctypes"))
tries("_ctypes", lambda: __import__("_ctypes"))
tries("mmap", lambda: __import__("mmap"))
tries("multiprocessing", lambda: __import__("multiprocessing"))
tries("helper inside", lambda: print(__import__("helper").NAME))
sys.path.append(OUTSIDE)
tries("module outside", lambda: __import__("evil"))
def load():
    import importlib.util
    spec = importlib.util.spec_from_file_location("evil2", OUTSIDE + "/evil.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
tries("load by path", load)
"#,
        outside = outside.display().to_string()
    );
    let builder = Host::builder().sandbox(Sandbox::new().files(&inside, Access::ReadOnly));
    let (status, output) = run(builder, &script);
    assert_eq!(status, ExitStatus::SUCCESS, "{output}");
    assert!(output.contains("helper inside"), "{output}");
    assert_verdicts(
        &output,
        &[
            ("ctypes", "refused"),
            ("_ctypes", "refused"),
            ("mmap", "refused"),
            ("multiprocessing", "refused"),
            ("helper inside", "allowed"),
            ("module outside", "refused"),
            ("load by path", "refused"),
        ],
    );
    let (_, output) = run(Host::builder(), &script);
    assert_verdicts(&output, &[("module outside", "allowed")]);
}

#[test]
fn mqtt_reaches_the_applications_broker_only() {
    let broker = Mosquitto::start();
    let topic = unique_id("fence");
    let mut peer = Peer::connect(broker.port(), &unique_id("fence-peer"));
    peer.subscribe(&format!("{topic}/#"), QoS::AtLeastOnce);
    let script = format!(
        r#"
import sys
from umqtt.simple import MQTTClient
def publish():
    c = MQTTClient("fenced", "127.0.0.1", port={port})
    c.connect()
    c.publish("{topic}/hello", "from the fence", qos=1)
    c.disconnect()
tries("mqtt", publish)
def ca():
    import ssl
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations("/etc/ssl/certs/ca-certificates.crt")
tries("ssl file", ca)
sys._pymqtt_host = None
tries("mqtt after meddling", publish)
"#,
        port = broker.port()
    );
    // No broker configured: no MQTT at all, whatever the script names or does to sys.
    let (_, output) = run(Host::builder().sandbox(Sandbox::new()), &script);
    assert_verdicts(
        &output,
        &[
            ("mqtt", "refused"),
            ("ssl file", "refused"),
            ("mqtt after meddling", "refused"),
        ],
    );
    assert!(
        output.contains("allows only the broker the application"),
        "{output}"
    );

    // With the application's broker, the script's client goes there.
    let builder = Host::builder()
        .sandbox(Sandbox::new())
        .broker(BrokerAddress::tcp("127.0.0.1", broker.port()));
    let (_, output) = run(builder, &script);
    assert_verdicts(&output, &[("mqtt", "allowed")]);
    let message = peer.expect_publish("the fenced script's message");
    assert_eq!(text(&message), "from the fence");
}
