//! The command line as a user drives it: scripts, -c, -m, argv, exit codes, --help/--version,
//! stdin as the program, unbuffered output, --broker / PYMQTT_BROKER.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use rumqttc::QoS;

use support::brokers::Mosquitto;
use support::deadlines::{WAIT, wait_until};
use support::peers::{Peer, text};
use support::processes::{Finished, Pymqtt, assert_exit_code};
use support::scripts::{TempDir, fill};

const RUN: Duration = Duration::from_secs(30);

#[test]
fn version_prints_name_and_version() {
    let r = Pymqtt::new().arg("--version").run(RUN);
    r.assert_code(0);
    assert!(
        r.stdout.contains("pymqtt 0.1.0"),
        "--version output\n{}",
        r.describe()
    );
    // What it is built on, and with (the default features).
    assert!(
        r.stdout
            .contains("(RustPython 0.6.0, rumqttc 0.25; features: local-broker, tls, websocket)"),
        "--version output\n{}",
        r.describe()
    );
}

#[test]
fn help_exits_zero_and_shows_examples() {
    let r = Pymqtt::new().arg("--help").run(RUN);
    r.assert_code(0);
    assert!(
        r.stdout.contains("Examples"),
        "--help has no Examples section\n{}",
        r.describe()
    );
    assert!(
        r.stdout.contains("--broker"),
        "--help does not mention --broker\n{}",
        r.describe()
    );
}

#[test]
fn script_gets_argv_main_name_and_its_folder_on_sys_path() {
    let dir = TempDir::new("argv");
    dir.write(
        "scriptdir/helper_mod.py",
        "VALUE = 'helper-from-script-folder'\n",
    );
    let script = dir.write(
        "scriptdir/show.py",
        r#"import os, sys
print("argv", repr(sys.argv))
print("name", __name__)
here = os.path.dirname(os.path.abspath(__file__))
print("path0-is-script-folder", os.path.realpath(sys.path[0]) == os.path.realpath(here))
import helper_mod
print("helper", helper_mod.VALUE)
"#,
    );
    // Run from another folder, so only sys.path[0] can make helper_mod importable.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let r = Pymqtt::new()
        .cwd(&elsewhere)
        .arg(&script)
        .args(["one", "two words", "--flag", "-x"])
        .run(RUN);
    r.assert_code(0);
    let expected_argv = format!(
        "argv ['{}', 'one', 'two words', '--flag', '-x']",
        script.display()
    );
    r.assert_stdout_has_line(&expected_argv);
    r.assert_stdout_has_line("name __main__");
    r.assert_stdout_has_line("path0-is-script-folder True");
    r.assert_stdout_has_line("helper helper-from-script-folder");
}

#[test]
fn micropythons_implementation_options_are_accepted_as_its_test_runner_passes_them() {
    // MicroPython's tests/run-tests.py runs `micropython -X emit=bytecode TEST.py`.
    let r = Pymqtt::new()
        .args(["-X", "emit=bytecode", "-X", "heapsize=2M", "-c"])
        .arg("import sys; print(sys.argv)")
        .run(RUN);
    r.assert_code(0);
    assert_eq!(r.stdout, "['-c']\n", "{}", r.describe());
}

#[test]
fn dash_c_runs_code_with_argv() {
    let r = Pymqtt::new()
        .args([
            "-c",
            "import sys; print('argv', sys.argv); print('name', __name__)",
            "a",
            "b c",
        ])
        .run(RUN);
    r.assert_code(0);
    r.assert_stdout_has_line("argv ['-c', 'a', 'b c']");
    r.assert_stdout_has_line("name __main__");
}

#[test]
fn dash_m_runs_module_as_main_with_args() {
    let dir = TempDir::new("dash-m");
    dir.write(
        "mymod.py",
        "import sys\nprint('mod-name', __name__)\nprint('mod-args', sys.argv[1:])\n",
    );
    let r = Pymqtt::new()
        .cwd(dir.path())
        .args(["-m", "mymod", "x", "--y"])
        .run(RUN);
    r.assert_code(0);
    r.assert_stdout_has_line("mod-name __main__");
    r.assert_stdout_has_line("mod-args ['x', '--y']");
}

#[test]
fn dash_m_can_run_umqtt_importing_module() {
    let dir = TempDir::new("dash-m-umqtt");
    dir.write(
        "checkmod.py",
        "from umqtt.simple import MQTTClient, MQTTException\nprint('classes', MQTTClient.__name__, MQTTException.__name__)\n",
    );
    let r = Pymqtt::new()
        .cwd(dir.path())
        .args(["-m", "checkmod"])
        .run(RUN);
    r.assert_code(0);
    r.assert_stdout_has_line("classes MQTTClient MQTTException");
}

#[test]
fn normal_end_exits_zero() {
    let dir = TempDir::new("exit0");
    Pymqtt::script(&dir, "ok.py", "print('done')\n")
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("done");
}

#[test]
fn uncaught_exception_prints_traceback_and_exits_1() {
    let dir = TempDir::new("exit1");
    let r = Pymqtt::script(
        &dir,
        "boom.py",
        "def f():\n    raise ValueError('boom-7f3a')\nprint('before')\nf()\nprint('after')\n",
    )
    .run(RUN);
    r.assert_code(1);
    r.assert_stdout_has_line("before");
    assert!(
        !r.stdout.contains("after"),
        "script went on after the exception\n{}",
        r.describe()
    );
    assert!(
        r.stderr.contains("Traceback"),
        "no traceback on stderr\n{}",
        r.describe()
    );
    assert!(
        r.stderr.contains("ValueError: boom-7f3a"),
        "exception not shown\n{}",
        r.describe()
    );
    assert!(
        r.stderr.contains("boom.py"),
        "traceback does not name the script\n{}",
        r.describe()
    );
}

#[test]
fn sys_exit_code_is_the_exit_status() {
    let dir = TempDir::new("sysexit");
    Pymqtt::script(
        &dir,
        "e3.py",
        "import sys\nprint('x')\nsys.exit(3)\nprint('not here')\n",
    )
    .run(RUN)
    .assert_code(3);
    Pymqtt::script(&dir, "e0.py", "import sys\nsys.exit(0)\n")
        .run(RUN)
        .assert_code(0);
    Pymqtt::script(&dir, "enone.py", "import sys\nsys.exit()\n")
        .run(RUN)
        .assert_code(0);
    let r = Pymqtt::new().args(["-c", "raise SystemExit(42)"]).run(RUN);
    r.assert_code(42);
    assert!(
        !r.stderr.contains("Traceback"),
        "SystemExit printed a traceback\n{}",
        r.describe()
    );
}

#[test]
fn keyboard_interrupt_from_script_exits_130_with_traceback() {
    let dir = TempDir::new("kbi");
    let r = Pymqtt::script(&dir, "kbi.py", "print('start')\nraise KeyboardInterrupt\n").run(RUN);
    r.assert_code(130);
    assert!(
        r.stderr.contains("Traceback"),
        "no traceback\n{}",
        r.describe()
    );
    assert!(
        r.stderr.contains("KeyboardInterrupt"),
        "no KeyboardInterrupt\n{}",
        r.describe()
    );
}

#[test]
fn missing_script_exits_2_naming_the_path() {
    let dir = TempDir::new("missing");
    let path = dir.path().join("no_such_script_9c1.py");
    let r = Pymqtt::new().arg(&path).run(RUN);
    r.assert_code(2);
    assert!(
        r.stderr.contains(&path.display().to_string()),
        "stderr does not name the script path\n{}",
        r.describe()
    );
}

#[test]
fn stdin_is_the_program_when_no_script_is_given() {
    let r = Pymqtt::new()
        .stdin("import sys\nx = 6 * 7\nprint('from stdin', x)\nprint('argv0', repr(sys.argv[0]))\n")
        .run(RUN);
    r.assert_code(0);
    r.assert_stdout_has_line("from stdin 42");
}

#[test]
fn stdin_program_exception_exits_1() {
    let r = Pymqtt::new()
        .stdin("print('a')\nraise RuntimeError('stdin-err')\n")
        .run(RUN);
    r.assert_code(1);
    assert!(
        r.stderr.contains("RuntimeError: stdin-err"),
        "{}",
        r.describe()
    );
}

/// Lines are readable from the pipe while the script still runs (not at exit).
#[test]
fn output_streams_through_a_pipe_while_the_script_runs() {
    let dir = TempDir::new("stream");
    let go = dir.path().join("go");
    let script = fill(
        r#"import os, sys, time
print("first line")
print("err line", file=sys.stderr)
deadline = time.time() + 30
while not os.path.exists(@GO@) and time.time() < deadline:
    time.sleep(0.01)
print("second line", os.path.exists(@GO@))
"#,
        &[("GO", &format!("{:?}", go.display().to_string()))],
    );
    let mut p = Pymqtt::script(&dir, "stream.py", &script).spawn();
    p.expect_stdout("first line");
    p.expect_stderr_contains("err line");
    p.assert_running();
    std::fs::write(&go, "").unwrap();
    p.expect_stdout("second line True");
    let st = p.wait_exit(RUN);
    assert_exit_code(&mut p, st, 0);
}

/// After SIGTERM everything printed before (even without a newline) is in the pipe.
#[test]
fn everything_printed_before_sigterm_reaches_the_pipe() {
    let dir = TempDir::new("sigterm");
    let flag = dir.path().join("printed");
    let script = fill(
        r#"import sys, time
for i in range(100):
    print("line", i)
sys.stdout.write("written-no-newline ")
print("tail-no-newline", end="")
print("stderr-no-newline", end="", file=sys.stderr)
open(@FLAG@, "w").close()
time.sleep(60)
"#,
        &[("FLAG", &format!("{:?}", flag.display().to_string()))],
    );
    let mut p = Pymqtt::script(&dir, "term.py", &script).spawn();
    assert!(
        wait_until(WAIT, || flag.exists()),
        "script never got to its flag\n{}",
        p.describe()
    );
    p.signal(libc::SIGTERM);
    p.wait_exit(RUN);
    let out = p.stdout();
    for i in 0..100 {
        assert!(
            out.contains(&format!("line {i}\n")),
            "line {i} lost\n{}",
            p.describe()
        );
    }
    assert!(
        out.contains("written-no-newline"),
        "sys.stdout.write output lost\n{}",
        p.describe()
    );
    assert!(
        out.contains("tail-no-newline"),
        "print(end='') output lost\n{}",
        p.describe()
    );
    assert!(
        p.stderr().contains("stderr-no-newline"),
        "stderr output lost\n{}",
        p.describe()
    );
}

// --- --broker / PYMQTT_BROKER ------------------------------------------------------------

/// Two clients with made-up servers and ports: both end up on the --broker address.
const REDIRECTED: &str = r#"from umqtt.simple import MQTTClient
a = MQTTClient("redir-a", "mqtt.example.invalid", 9)
b = MQTTClient("redir-b", "other.example.invalid", port=12345, user="u", password="p")
print("connect", a.connect(), b.connect())
a.publish("redir/t", "from-a", qos=1)
b.publish("redir/t", "from-b", qos=1)
a.disconnect()
b.disconnect()
print("done")
"#;

fn notice_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("pymqtt:"))
        .collect()
}

fn check_redirect(r: &Finished, peer: &mut Peer, hostport: &str) {
    r.assert_code(0);
    r.assert_stdout_has_line("connect 0 0");
    let mut got: Vec<String> = (0..2)
        .map(|_| text(&peer.expect_publish("redirected")))
        .collect();
    got.sort();
    assert_eq!(got, ["from-a", "from-b"]);
    let notices = notice_lines(&r.stderr);
    assert_eq!(
        notices.len(),
        1,
        "expected exactly one 'pymqtt:' notice line\n{}",
        r.describe()
    );
    assert!(
        notices[0].contains(hostport),
        "notice does not name {hostport}\n{}",
        r.describe()
    );
}

#[test]
fn broker_flag_redirects_every_client_and_prints_one_notice() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-redir");
    peer.subscribe("redir/t", QoS::AtLeastOnce);
    let dir = TempDir::new("redir");
    let r = Pymqtt::script(&dir, "redir.py", REDIRECTED)
        .pre_args(["--broker", &m.addr()])
        .run(RUN);
    check_redirect(&r, &mut peer, &m.addr());
}

#[test]
fn broker_flag_with_equals_sign() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-redir-eq");
    peer.subscribe("redir/t", QoS::AtLeastOnce);
    let dir = TempDir::new("redir-eq");
    let r = Pymqtt::script(&dir, "redir.py", REDIRECTED)
        .pre_args([format!("--broker={}", m.addr())])
        .run(RUN);
    check_redirect(&r, &mut peer, &m.addr());
}

#[test]
fn pymqtt_broker_env_redirects_like_the_flag() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-redir-env");
    peer.subscribe("redir/t", QoS::AtLeastOnce);
    let dir = TempDir::new("redir-env");
    let r = Pymqtt::script(&dir, "redir.py", REDIRECTED)
        .env("PYMQTT_BROKER", m.addr())
        .run(RUN);
    check_redirect(&r, &mut peer, &m.addr());
}

#[test]
fn broker_flag_accepts_a_host_name() {
    let m = Mosquitto::start();
    let mut peer = Peer::connect(m.port(), "peer-redir-name");
    peer.subscribe("redir/t", QoS::AtLeastOnce);
    let dir = TempDir::new("redir-name");
    let hostport = format!("localhost:{}", m.port());
    let r = Pymqtt::script(&dir, "redir.py", REDIRECTED)
        .pre_args(["--broker", &hostport])
        .run(RUN);
    check_redirect(&r, &mut peer, &hostport);
}

#[test]
fn broker_flag_port_defaults_to_1883() {
    // Whether or not something listens on 1883 here, the notice must name it; the script
    // only tries once and reports.
    let dir = TempDir::new("redir-default");
    let r = Pymqtt::script(
        &dir,
        "d.py",
        "from umqtt.simple import MQTTClient\nc = MQTTClient('redir-default', 'x.example.invalid', 4242)\ntry:\n    c.connect()\n    c.disconnect()\nexcept Exception as e:\n    print('connect failed', type(e).__name__)\nprint('end')\n",
    )
    .pre_args(["--broker", "127.0.0.1"])
    .run(RUN);
    r.assert_code(0);
    r.assert_stdout_has_line("end");
    let notices = notice_lines(&r.stderr);
    assert_eq!(
        notices.len(),
        1,
        "expected one notice line\n{}",
        r.describe()
    );
    assert!(
        notices[0].contains("127.0.0.1:1883"),
        "notice lacks 127.0.0.1:1883\n{}",
        r.describe()
    );
}

#[test]
fn an_unknown_option_or_a_local_broker_port_without_equals_is_a_usage_error_naming_it() {
    let dir = TempDir::new("cli-options");
    let run = Pymqtt::new()
        .cwd(dir.path())
        .args(["--brokr", "x"])
        .run(WAIT);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("pymqtt: unknown option '--brokr' (options go before the script"),
        "{}",
        run.describe()
    );
    assert!(
        !run.stderr.contains("can't open file"),
        "{}",
        run.describe()
    );

    dir.write("x.py", "print('ran')\n");
    let run = Pymqtt::new()
        .cwd(dir.path())
        .args(["--local-broker", "18950", "x.py"])
        .run(WAIT);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("--local-broker takes its port with '=': --local-broker=18950"),
        "{}",
        run.describe()
    );
    // A script's own options still go to the script.
    let run = Pymqtt::new()
        .cwd(dir.path())
        .args(["x.py", "--verbose"])
        .run(WAIT);
    run.assert_code(0).assert_stdout_has_line("ran");
}

#[test]
fn importing_a_ports_hardware_module_adds_a_hint_to_the_traceback() {
    let run = Pymqtt::new().args(["-c", "import rp2"]).run(WAIT);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("ModuleNotFoundError: No module named 'rp2'")
            && run
                .stderr
                .contains("pymqtt: `rp2` is a module of the RP2040/RP2350 port"),
        "{}",
        run.describe()
    );
    let run = Pymqtt::new()
        .args(["-c", "import not_a_port_module"])
        .run(WAIT);
    run.assert_code(1);
    assert!(!run.stderr.contains("pymqtt:"), "{}", run.describe());
}

#[test]
fn completions_are_scripts_the_shells_read() {
    let dir = TempDir::new("cli-completions");
    let bash = Pymqtt::new().args(["completions", "bash"]).run(WAIT);
    bash.assert_code(0);
    for word in ["pub", "sub", "broker", "--local-broker", "--will-topic"] {
        assert!(bash.stdout.contains(word), "no {word} in\n{}", bash.stdout);
    }
    // bash itself checks it (and defines the function).
    let script = dir.write("pymqtt.bash", &bash.stdout);
    let checked = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && declare -F _pymqtt", script.display()))
        .output()
        .expect("bash runs");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let zsh = Pymqtt::new().args(["completions", "zsh"]).run(WAIT);
    zsh.assert_code(0);
    assert!(zsh.stdout.contains("#compdef pymqtt"), "{}", zsh.stdout);
    Pymqtt::new()
        .args(["completions", "tcsh"])
        .run(WAIT)
        .assert_code(2);
}
