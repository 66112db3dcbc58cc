//! `pymqtt test`, run as a user runs it, on test folders written here: passing, failing
//! (with the diff), crashing (with the traceback), timing out, wire stimuli and
//! expectations (JSON, regex, unordered), broker faults, other scripts (`run`), `--update`,
//! `--junit`, `--record`, parallel runs, and the seed scripts in this repository.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use support::brokers::Mosquitto;
use support::peers::Peer;
use support::processes::{Proc, Pymqtt};
use support::scripts::{TempDir, repo_root};
use support::test_report::{assert_block_has, pymqtt_test, verdict};
use support::tty::TtyCommand;

const SUBSCRIBER: &str = "\
from umqtt.simple import MQTTClient
c = MQTTClient('s', 'broker.example.com', 1883)
c.set_callback(lambda t, m: print(t.decode(), m.decode()))
c.connect()
c.subscribe(b'a/#')
while True:
    c.wait_msg()
";

#[test]
fn the_seed_scripts_are_tested_unchanged_in_this_repository() {
    let run = pymqtt_test(&repo_root(), &["scripts"]);
    run.assert_code(0);
    assert_eq!(
        verdict(&run, "scripts/sub.py"),
        "PASS",
        "{}",
        run.describe()
    );
    assert_eq!(
        verdict(&run, "scripts/pub.py"),
        "PASS",
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("2 passed, 0 failed")),
        "{}",
        run.describe()
    );
    // They name the broker of the article; the test ran with no network at all.
    let seed = std::fs::read_to_string(repo_root().join("scripts/sub.py")).unwrap();
    assert!(seed.contains("SERVER=\"broker.emqx.io\""));
}

#[test]
fn output_is_compared_with_the_expected_file_and_a_difference_shown_as_a_diff() {
    let dir = TempDir::new("runner-diff");
    dir.write("same.py", "print('one')\nprint('two')\n");
    dir.write("same.py.exp", "one\ntwo\n");
    dir.write("differs.py", "print('one')\nprint('two')\n");
    dir.write("differs.py.exp", "one\nthree\n");
    dir.write(
        "helper.py",
        "raise SystemExit('not a test: it has no .exp or .wire')\n",
    );
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "same.py"), "PASS");
    assert_eq!(verdict(&run, "differs.py"), "FAIL");
    assert_block_has(&run, "differs.py", "the output differs");
    assert_block_has(&run, "differs.py", "--- differs.py.exp");
    assert_block_has(&run, "differs.py", "-three");
    assert_block_has(&run, "differs.py", "+two");
    assert!(!run.stdout.contains("helper.py"), "{}", run.describe());
    assert!(
        run.stdout.contains("1 passed, 1 failed"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_crash_is_reported_with_its_traceback() {
    let dir = TempDir::new("runner-crash");
    let crash = "print('before')\ndef f():\n    raise ValueError('boom')\nf()\n";
    dir.write("with_exp.py", crash);
    dir.write("with_exp.py.exp", "before\n");
    dir.write("wire_only.py", crash);
    dir.write("wire_only.py.wire", "limit 5s\nexpect never/published *\n");
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "with_exp.py"), "CRASH");
    assert_block_has(&run, "with_exp.py", "raised an exception (exit status 1)");
    assert_block_has(&run, "with_exp.py", "+ValueError: boom");
    assert_block_has(&run, "with_exp.py", "File \"with_exp.py\", line 4");
    // With a .wire file and no expected output, a crash too, its traceback shown.
    assert_eq!(verdict(&run, "wire_only.py"), "CRASH");
    assert_block_has(&run, "wire_only.py", "raised an exception (exit status 1)");
    assert_block_has(&run, "wire_only.py", "ValueError: boom");
    assert!(
        run.stdout.contains("0 passed, 2 failed (2 crashed)"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_script_that_outlives_its_limit_is_stopped_or_killed_and_reported_as_a_timeout() {
    let dir = TempDir::new("runner-timeout");
    // Waits for messages that never come: stopped cleanly at the limit, output kept.
    dir.write(
        "waits.py",
        SUBSCRIBER.replace("c.connect()", "c.connect()\nprint('waiting')"),
    );
    dir.write("waits.py.wire", "limit 1s\nexpect b/out *\n");
    dir.write("waits.py.exp", "waiting\n");
    // Never waits at all: it cannot be stopped, so it is killed after the limit.
    dir.write(
        "spins.py",
        "print('spinning', flush=True)\nwhile True:\n    pass\n",
    );
    dir.write("spins.py.wire", "limit 1s\n");
    dir.write("spins.py.exp", "spinning\n");
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "waits.py"), "TIMEOUT");
    assert_block_has(&run, "waits.py", "the 1s limit passed");
    assert_block_has(
        &run,
        "waits.py",
        "has not published message 1 of 1, `b/out *`",
    );
    assert_eq!(verdict(&run, "spins.py"), "TIMEOUT");
    assert_block_has(&run, "spins.py", "killed");
    assert_block_has(&run, "spins.py", "| spinning");
    assert!(
        run.stdout.contains("0 passed, 2 failed (2 timed out)"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_looping_script_with_nothing_declared_runs_to_its_limit_and_passes_on_its_output() {
    let dir = TempDir::new("runner-limit");
    dir.write(
        "loops.py",
        "import time\nprint('up')\nwhile True:\n    time.sleep(0.05)\n",
    );
    dir.write("loops.py.wire", "limit 1s\n");
    dir.write("loops.py.exp", "up\n");
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(0);
    assert_eq!(verdict(&run, "loops.py"), "PASS");
}

#[test]
fn stimuli_arrive_on_their_triggers_in_the_declared_order() {
    let dir = TempDir::new("runner-stimuli");
    dir.write("sub.py", SUBSCRIBER);
    dir.write(
        "sub.py.wire",
        "limit 10s\n\
         on start: send a/kept \"retained before the script started\" retain\n\
         on connect +600ms: send a/later \"600 ms after connecting\"\n\
         on subscribe a/# +300ms: send a/late \"300 ms after subscribing\"\n\
         on subscribe a/#: send a/1 one\n\
         on subscribe a/#: send a/2 two qos=1\n\
         on subscribe a/#: send a/3 three qos=2\n\
         on start +100ms: send elsewhere ignored\n",
    );
    dir.write(
        "sub.py.exp",
        "a/kept retained before the script started\na/1 one\na/2 two\na/3 three\n\
         a/late 300 ms after subscribing\na/later 600 ms after connecting\n",
    );
    // Twice, for the same verdict each time.
    for _ in 0..2 {
        let run = pymqtt_test(dir.path(), &[]);
        run.assert_code(0);
        assert_eq!(verdict(&run, "sub.py"), "PASS", "{}", run.describe());
    }
}

#[test]
fn the_scripts_messages_are_checked_in_order_and_count() {
    let dir = TempDir::new("runner-expect");
    let publisher = |messages: &[(&str, &str)]| {
        let mut s = String::from(
            "from umqtt.simple import MQTTClient\nc = MQTTClient('p', 'broker.example.com')\nc.connect()\n",
        );
        for (topic, payload) in messages {
            s.push_str(&format!("c.publish({topic:?}, {payload:?})\n"));
        }
        s.push_str("c.disconnect()\n");
        s
    };
    let wire = "expect t/a one\nexpect t/+ * x2\n";
    let cases: [(&str, &[(&str, &str)]); 4] = [
        (
            "right",
            &[
                ("t/a", "one"),
                ("other", "ignored"),
                ("t/b", "x"),
                ("t/c", "y"),
            ],
        ),
        (
            "wrong",
            &[("t/a", "one"), ("t/b", "x"), ("t/a", "z"), ("t/a", "extra")],
        ),
        ("order", &[("t/b", "x"), ("t/a", "one"), ("t/c", "y")]),
        ("short", &[("t/a", "one"), ("t/b", "x")]),
    ];
    for (name, messages) in cases {
        dir.write(&format!("{name}.py"), publisher(messages));
        dir.write(&format!("{name}.py.wire"), wire);
    }
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "right.py"), "PASS");
    assert_eq!(verdict(&run, "wrong.py"), "FAIL");
    assert_block_has(&run, "wrong.py", "after all 3 expected messages");
    assert_eq!(verdict(&run, "order.py"), "FAIL");
    assert_block_has(
        &run,
        "order.py",
        "line 1: expected message 1 of 3, `t/a one`, but the script published t/b x",
    );
    assert_eq!(verdict(&run, "short.py"), "FAIL");
    assert_block_has(
        &run,
        "short.py",
        "has not published message 3 of 3, `t/+ *`",
    );
    assert_block_has(&run, "short.py", "published: t/b x");
}

#[test]
fn json_regex_qos_and_unordered_expectations_pass_and_fail_readably() {
    let dir = TempDir::new("runner-content");
    // Telemetry now and then, a JSON reading with a changing timestamp, a retained status.
    let script = |temp: &str, status_qos: u8| {
        format!(
            "import json, time\n\
             from umqtt.simple import MQTTClient\n\
             c = MQTTClient('p', 'broker.example.com')\n\
             c.connect()\n\
             c.publish(b'telemetry/up', b'1')\n\
             c.publish(b'sensor/room', json.dumps({{'temp': {temp}, 'at': time.time(), 'unit': 'C'}}))\n\
             c.publish(b'telemetry/rssi', b'-55')\n\
             c.publish(b'status', b'online since 12:00', retain=True, qos={status_qos})\n\
             c.disconnect()\n"
        )
    };
    let wire = "expect sensor/room json {\"temp\": 21.5, \"unit\": \"C\"}\n\
                expect status /^online since \\d\\d:\\d\\d$/ qos=1 retain\n\
                unordered expect telemetry/+ * x2\n";
    for (name, source) in [
        ("right.py", script("21.50", 1)),
        ("warm.py", script("23", 1)),
        ("qos0.py", script("21.5", 0)),
    ] {
        dir.write(name, source);
        dir.write(&format!("{name}.wire"), wire);
    }
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "right.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "warm.py"), "FAIL");
    assert_block_has(
        &run,
        "warm.py",
        r#"line 1: expected message 1 of 2, `sensor/room json {"temp":21.5,"unit":"C"}`, but the script published sensor/room"#,
    );
    assert_block_has(&run, "warm.py", "(`temp` is 23, not 21.5)");
    assert_eq!(verdict(&run, "qos0.py"), "FAIL");
    assert_block_has(&run, "qos0.py", "(at QoS 0, not 1)");
}

/// Cut, restarted, down, slow: what each does to a session and a reconnect, as a real
/// broker without persistence shows it.
const FAULTS: &str = r#"import time
from umqtt.simple import MQTTClient

c = MQTTClient("keeper", "broker.example.com", keepalive=30)
c.set_callback(print)
print("first connect, session kept:", c.connect(clean_session=False))
c.subscribe(b"cmd", 1)

def until_cut():
    try:
        while True:
            c.wait_msg()
    except OSError:
        pass

def reconnect():
    refused = False
    while True:
        try:
            return c.connect(clean_session=False), refused
        except OSError:
            refused = True
            time.sleep(0.1)

for fault in ("drop", "restart", "down"):
    until_cut()
    kept, refused = reconnect()
    print("after", fault, "session kept:", kept)
    if fault == "down":
        print("refused while it was down:", refused)
time.sleep(1.5)
start = time.time()
c.publish(b"slow/ack", b"x", qos=1)
print("publish waited for its ack:", time.time() - start > 0.8)
c.disconnect()
"#;

#[test]
fn broker_faults_cut_restart_take_down_and_slow_the_broker() {
    let dir = TempDir::new("runner-faults");
    dir.write("faults.py", FAULTS);
    dir.write(
        "faults.py.wire",
        "limit 15s\n\
         on subscribe cmd +200ms: drop\n\
         on subscribe cmd +800ms: broker restart\n\
         on subscribe cmd +1500ms: broker down 1s\n\
         on subscribe cmd +2600ms: withhold acks 3s\n\
         expect slow/ack x qos=1\n",
    );
    dir.write(
        "faults.py.exp",
        "first connect, session kept: 0\n\
         after drop session kept: 1\n\
         after restart session kept: 0\n\
         after down session kept: 1\n\
         refused while it was down: True\n\
         publish waited for its ack: True\n",
    );
    // umqtt.robust comes back after a restart and subscribes again: the second command
    // reaches it only through the new subscription (the restart forgot the old one).
    dir.write(
        "robust.py",
        "from umqtt.robust import MQTTClient\n\
         c = MQTTClient('robust-sub', 'broker.example.com', keepalive=30)\n\
         c.set_callback(lambda t, m: print(t.decode(), m.decode()))\n\
         c.connect(clean_session=False)\n\
         c.subscribe(b'cmd', 1)\n\
         while True:\n    c.wait_msg()\n",
    );
    dir.write(
        "robust.py.wire",
        "limit 8s\n\
         on subscribe cmd: send cmd first qos=1\n\
         on subscribe cmd +300ms: broker restart\n\
         on subscribe cmd +1s: send cmd second qos=1 retain\n",
    );
    dir.write("robust.py.exp", "cmd first\ncmd second\n");
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(0);
    assert_eq!(verdict(&run, "faults.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "robust.py"), "PASS", "{}", run.describe());
}

#[test]
fn run_lines_start_other_scripts_against_the_same_broker_and_report_their_failures() {
    let dir = TempDir::new("runner-run");
    let listener = "from umqtt.simple import MQTTClient\n\
                    c = MQTTClient('listener', 'broker.example.com')\n\
                    c.set_callback(lambda t, m: print('got', m.decode()))\n\
                    c.connect()\n\
                    c.subscribe(b'ping')\n\
                    while True:\n    c.wait_msg()\n";
    // Its arguments are its own sys.argv; it names its broker, and reaches the test's.
    dir.write(
        "pinger.py",
        "import sys\n\
         from umqtt.simple import MQTTClient\n\
         c = MQTTClient('pinger', 'other.example.com')\n\
         c.connect()\n\
         c.publish(b'ping', sys.argv[1].encode())\n\
         c.disconnect()\n",
    );
    dir.write("broken.py", "print('starting')\nraise ValueError('boom')\n");
    dir.write("listener.py", listener);
    dir.write(
        "listener.py.wire",
        "on subscribe ping: run pinger.py ping-1\nexpect ping ping-1\n",
    );
    dir.write("listener.py.exp", "got ping-1\n");
    dir.write("waiting.py", listener);
    dir.write(
        "waiting.py.wire",
        "limit 3s\non subscribe ping: run broken.py\nexpect ping *\n",
    );
    dir.write("waiting.py.exp", "");
    let run = pymqtt_test(dir.path(), &["listener.py", "waiting.py"]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "listener.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "waiting.py"), "FAIL", "{}", run.describe());
    assert_block_has(
        &run,
        "waiting.py",
        "broken.py ended with status 1 before the test did",
    );
    assert_block_has(&run, "waiting.py", "broken.py | starting");
    assert_block_has(&run, "waiting.py", "broken.py | ValueError: boom");
}

const LAMP: &str = "from umqtt.simple import MQTTClient\n\
    \n\
    def on_message(topic, msg):\n\
    \x20   print('lamp', msg.decode())\n\
    \x20   c.publish(b'lamp/state', msg, retain=True, qos=1)\n\
    \n\
    c = MQTTClient('lamp', 'broker.example.com')\n\
    c.set_callback(on_message)\n\
    c.connect()\n\
    c.subscribe(b'lamp/set')\n\
    print('ready')\n\
    while True:\n\
    \x20   c.wait_msg()\n";

/// Records lamp.py while `drive` publishes to it on `port`, then replays the recording.
fn record_then_replay(dir: &TempDir, extra: &[&str], drive: impl FnOnce(&mut Proc)) {
    dir.write("lamp.py", LAMP);
    let mut recording = Pymqtt::new()
        .args(["test", "--record", "lamp.py", "--limit", "3s"])
        .args(extra)
        .cwd(dir.path())
        .spawn();
    drive(&mut recording);
    let status = recording.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", recording.describe());
    assert!(
        recording
            .stderr()
            .contains("pymqtt test: wrote lamp.py.wire and lamp.py.exp"),
        "{}",
        recording.describe()
    );
    let wire = std::fs::read_to_string(dir.path().join("lamp.py.wire")).unwrap();
    let lines: Vec<&str> = wire
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("limit"))
        .collect();
    assert_eq!(lines.len(), 4, "{wire}");
    assert!(
        lines[0].starts_with("on subscribe lamp/set +") && lines[0].ends_with(": send lamp/set on"),
        "{wire}"
    );
    assert_eq!(lines[1], "expect lamp/state on qos=1 retain", "{wire}");
    assert!(lines[2].ends_with(": send lamp/set off"), "{wire}");
    assert_eq!(lines[3], "expect lamp/state off qos=1 retain", "{wire}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lamp.py.exp")).unwrap(),
        "ready\nlamp on\nlamp off\n"
    );
    // Replayed against the test's broker, the recording passes.
    let replay = pymqtt_test(dir.path(), &["lamp.py"]);
    replay.assert_code(0);
    assert_eq!(verdict(&replay, "lamp.py"), "PASS", "{}", replay.describe());
}

#[test]
fn a_run_driven_by_hand_is_recorded_as_a_test_that_passes_when_replayed() {
    let dir = TempDir::new("runner-record");
    record_then_replay(&dir, &[], |recording| {
        let line = recording.expect_stdout_contains("drive it with e.g. `pymqtt pub -p ");
        let port: u16 = line
            .split("-p ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        recording.expect_stdout("ready");
        let mut driver = Peer::connect(port, "lamp-driver");
        driver.subscribe("lamp/state", rumqttc::QoS::AtLeastOnce);
        driver.publish("lamp/set", "on", rumqttc::QoS::AtMostOnce, false);
        recording.expect_stdout("lamp on");
        driver.publish("lamp/set", "off", rumqttc::QoS::AtMostOnce, false);
        recording.expect_stdout("lamp off");
    });
}

#[test]
fn a_run_against_a_real_broker_is_recorded_too() {
    let broker = Mosquitto::start();
    let dir = TempDir::new("runner-record-mosquitto");
    let address = format!("127.0.0.1:{}", broker.port());
    record_then_replay(&dir, &["--broker", &address], |recording| {
        recording.expect_stdout("ready");
        let mut driver = Peer::connect(broker.port(), "lamp-driver");
        driver.publish("lamp/set", "on", rumqttc::QoS::AtLeastOnce, false);
        recording.expect_stdout("lamp on");
        driver.publish("lamp/set", "off", rumqttc::QoS::AtLeastOnce, false);
        recording.expect_stdout("lamp off");
    });
}

/// Publishes a reading every minute, saying how many minutes of its life have passed by
/// time.time(), ticks and localtime().
const EVERY_MINUTE: &str = "import time\n\
    from umqtt.simple import MQTTClient\n\
    c = MQTTClient('meter', 'broker.example.com', keepalive=60)\n\
    c.connect()\n\
    start, t0, first = time.time(), time.ticks_ms(), time.localtime()\n\
    n = 0\n\
    while True:\n\
    \x20   n += 1\n\
    \x20   minutes = round((time.time() - start) / 60)\n\
    \x20   ticks = time.ticks_diff(time.ticks_ms(), t0) // 60000\n\
    \x20   hour = (time.localtime()[3] - first[3]) % 24\n\
    \x20   c.publish(b'meter/reading', b'%d at %d min (%d by ticks, +%d h)' % (n, minutes, ticks, hour))\n\
    \x20   time.sleep(60)\n";

#[test]
fn on_a_virtual_clock_an_hour_of_a_scripts_life_takes_a_moment() {
    let dir = TempDir::new("runner-virtual");
    dir.write("meter.py", EVERY_MINUTE);
    let mut wire = String::from("clock virtual\nlimit 2h\n");
    for n in 0..=60 {
        wire.push_str(&format!(
            "expect meter/reading /^{} at {n} min \\({n} by ticks, \\+[01] h\\)$/\n",
            n + 1
        ));
    }
    dir.write("meter.py.wire", &wire);
    dir.write("meter.py.exp", "");
    // A subscriber: its messages come at their virtual times, wherever it waits.
    dir.write(
        "listener.py",
        "import time\n\
         from umqtt.simple import MQTTClient\n\
         start = time.time()\n\
         c = MQTTClient('listener', 'broker.example.com')\n\
         c.set_callback(lambda t, m: print(m.decode(), 'at', round(time.time() - start), 's'))\n\
         c.connect()\n\
         c.subscribe(b'cmd')\n\
         c.wait_msg()\n\
         time.sleep(3600)\n\
         c.check_msg()\n\
         while True:\n    c.wait_msg()\n",
    );
    dir.write(
        "listener.py.wire",
        "clock virtual\nlimit 3h\n\
         on subscribe cmd +10m: send cmd first\n\
         on subscribe cmd +30m: send cmd second\n\
         on subscribe cmd +2h: send cmd third\n",
    );
    // The second comes while it sleeps an hour, and is read when it wakes.
    dir.write(
        "listener.py.exp",
        "first at 600 s\nsecond at 4200 s\nthird at 7200 s\n",
    );
    // machine.Timer and asyncio's sleeps follow it too.
    dir.write(
        "ticker.py",
        "import time\n\
         import uasyncio as asyncio\n\
         from machine import Timer\n\
         from umqtt.simple import MQTTClient\n\
         c = MQTTClient('ticker', 'broker.example.com')\n\
         c.connect()\n\
         start = time.time()\n\
         beats = []\n\
         Timer(period=60000, mode=Timer.PERIODIC,\n\
         \x20     callback=lambda t: beats.append(round((time.time() - start) / 60)))\n\
         async def report():\n\
         \x20   for n in range(3):\n\
         \x20       await asyncio.sleep(600)\n\
         \x20       minutes = round((time.time() - start) / 60)\n\
         \x20       c.publish(b'tick', ('%d min, last beat %s' % (minutes, beats[-1])).encode())\n\
         asyncio.run(report())\n\
         time.sleep(1)\n",
    );
    dir.write(
        "ticker.py.wire",
        "clock virtual\nlimit 2h\n\
         expect tick 10 min, last beat 10\n\
         expect tick 20 min, last beat 20\n\
         expect tick 30 min, last beat 30\n",
    );
    dir.write("ticker.py.exp", "");
    let started = std::time::Instant::now();
    let run = pymqtt_test(dir.path(), &["meter.py", "listener.py", "ticker.py"]);
    run.assert_code(0);
    assert_eq!(verdict(&run, "meter.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "listener.py"), "PASS", "{}", run.describe());
    assert_eq!(verdict(&run, "ticker.py"), "PASS", "{}", run.describe());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "an hour of virtual time took {:?}\n{}",
        started.elapsed(),
        run.describe()
    );

    // Without `clock virtual`, the same test takes real minutes: its 2 s limit ends it
    // after one reading. `--clock virtual` puts every test on the virtual clock.
    dir.write(
        "meter.py.wire",
        wire.replace("clock virtual\nlimit 2h\n", ""),
    );
    let run = pymqtt_test(dir.path(), &["--limit", "2s", "meter.py"]);
    assert_eq!(verdict(&run, "meter.py"), "TIMEOUT", "{}", run.describe());
    let run = pymqtt_test(
        dir.path(),
        &["--clock", "virtual", "--limit", "2h", "meter.py"],
    );
    assert_eq!(verdict(&run, "meter.py"), "PASS", "{}", run.describe());
}

#[test]
fn update_writes_the_expected_output_which_then_passes() {
    let dir = TempDir::new("runner-update");
    let script = dir.write(
        "new.py",
        "print('héllo')\nimport sys\nprint('to stderr', file=sys.stderr)\n",
    );
    assert!(script.is_file());
    let first = pymqtt_test(dir.path(), &["new.py"]);
    first.assert_code(1);
    assert_eq!(verdict(&first, "new.py"), "ERROR");
    assert_block_has(&first, "new.py", "pymqtt test --update");

    let update = pymqtt_test(dir.path(), &["--update", "new.py"]);
    update.assert_code(0);
    assert_block_has(&update, "new.py", "wrote new.py.exp");
    let written = std::fs::read_to_string(dir.path().join("new.py.exp")).unwrap();
    assert_eq!(written, "héllo\nto stderr\n");

    let again = pymqtt_test(dir.path(), &["./new.py"]);
    again.assert_code(0);
    assert_eq!(verdict(&again, "new.py"), "PASS");

    // A crash is never written down as what is expected, nor a failed wire expectation.
    dir.write("boom.py", "print('before')\nraise RuntimeError('boom')\n");
    dir.write("quiet.py", "print('quiet')\n");
    dir.write("quiet.py.wire", "expect never/published *\n");
    let crashed = pymqtt_test(dir.path(), &["--update", "boom.py", "quiet.py"]);
    crashed.assert_code(1);
    assert_eq!(verdict(&crashed, "boom.py"), "CRASH");
    assert_ne!(verdict(&crashed, "quiet.py"), "PASS");
    assert!(
        !dir.path().join("boom.py.exp").exists(),
        "{}",
        crashed.describe()
    );
    assert!(
        !dir.path().join("quiet.py.exp").exists(),
        "{}",
        crashed.describe()
    );
}

#[test]
fn junit_xml_reports_every_test_for_ci() {
    let dir = TempDir::new("runner-junit");
    dir.write("ok.py", "print('ok')\n");
    dir.write("ok.py.exp", "ok\n");
    dir.write("bad.py", "print('<bad> & \"worse\"')\n");
    dir.write("bad.py.exp", "good\n");
    dir.write("boom.py", "raise RuntimeError('boom')\n");
    dir.write("boom.py.exp", "");
    dir.write("slow.py", SUBSCRIBER);
    dir.write("slow.py.wire", "limit 1s\nexpect never *\n");
    let run = pymqtt_test(dir.path(), &["--junit", "report.xml"]);
    run.assert_code(1);
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    assert_eq!(suite.attribute("tests"), Some("4"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(suite.attribute("errors"), Some("1"));
    let case = |name: &str| {
        suite
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}\n{xml}"))
    };
    let child = |name: &str, tag: &str| case(name).children().find(|n| n.has_tag_name(tag));
    assert!(child("ok.py", "failure").is_none() && child("ok.py", "error").is_none());
    let failure = child("bad.py", "failure").expect("bad.py fails");
    assert!(
        failure
            .text()
            .unwrap_or_default()
            .contains("+<bad> & \"worse\""),
        "{xml}"
    );
    let out = child("bad.py", "system-out")
        .unwrap()
        .text()
        .unwrap_or_default();
    assert_eq!(out, "<bad> & \"worse\"\n");
    assert_eq!(
        child("slow.py", "failure").unwrap().attribute("type"),
        Some("timeout")
    );
    let error = child("boom.py", "error").expect("boom.py errors");
    assert_eq!(error.attribute("type"), Some("crash"));
    assert!(
        child("boom.py", "system-out")
            .unwrap()
            .text()
            .unwrap_or_default()
            .contains("RuntimeError: boom"),
        "{xml}"
    );
}

/// Each of two tests waits until the other has started: they pass only side by side.
#[test]
fn tests_run_side_by_side_with_jobs_and_never_see_each_others_messages() {
    let dir = TempDir::new("runner-parallel");
    let script = |me: &str, other: &str| {
        format!(
            "import os, time\n\
             from umqtt.simple import MQTTClient\n\
             open('{me}.started', 'w').close()\n\
             c = MQTTClient('{me}', 'broker.example.com')\n\
             c.set_callback(lambda t, m: print('got', m.decode()))\n\
             c.connect()\n\
             c.subscribe('shared/topic')\n\
             c.publish('shared/topic', '{me}')\n\
             c.wait_msg()\n\
             while not os.path.exists('{other}.started'):\n\
             \x20   time.sleep(0.01)\n\
             c.publish('shared/topic', '{me} again')\n\
             c.wait_msg()\n\
             end = time.time() + 0.5\n\
             while time.time() < end:\n\
             \x20   c.check_msg()\n\
             \x20   time.sleep(0.01)\n"
        )
    };
    dir.write("a.py", script("a", "b"));
    dir.write("a.py.exp", "got a\ngot a again\n");
    dir.write("b.py", script("b", "a"));
    dir.write("b.py.exp", "got b\ngot b again\n");
    for me in ["a", "b"] {
        let wire =
            format!("limit 5s\nexpect shared/topic {me}\nexpect shared/topic \"{me} again\"\n");
        dir.write(&format!("{me}.py.wire"), wire);
    }
    let run = pymqtt_test(dir.path(), &["-j", "2"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("2 passed, 0 failed"),
        "{}",
        run.describe()
    );

    // One at a time, the first waits for the second in vain.
    for flag in ["a.started", "b.started"] {
        std::fs::remove_file(dir.path().join(flag)).unwrap();
    }
    let serial = pymqtt_test(dir.path(), &["-j", "1"]);
    serial.assert_code(1);
    assert_eq!(verdict(&serial, "a.py"), "TIMEOUT", "{}", serial.describe());
    assert_block_has(&serial, "a.py", "has not published message 2 of 2");
}

#[test]
fn mistakes_in_the_command_or_the_wire_file_are_explained() {
    let dir = TempDir::new("runner-mistakes");
    let none = pymqtt_test(dir.path(), &[]);
    none.assert_code(2);
    assert!(
        none.stderr.contains("no tests found"),
        "{}",
        none.describe()
    );

    dir.write("t.py", "print(1)\n");
    dir.write("t.py.wire", "# fine\non start send x y\nexpect t\n");
    let bad = pymqtt_test(dir.path(), &[]);
    bad.assert_code(1);
    assert_eq!(verdict(&bad, "t.py"), "ERROR");
    // Every bad line at once.
    assert_block_has(&bad, "t.py", "t.py.wire: line 2: missing ':'");
    assert_block_has(&bad, "t.py", "t.py.wire: line 3: ");

    let missing = pymqtt_test(dir.path(), &["nothing/here"]);
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("nothing/here: no such file"),
        "{}",
        missing.describe()
    );
    let zero = pymqtt_test(dir.path(), &["-j", "0"]);
    zero.assert_code(2);
}

#[test]
fn an_interactive_terminal_shows_progress() {
    let dir = TempDir::new("runner-progress");
    dir.write("slow.py", SUBSCRIBER);
    dir.write(
        "slow.py.wire",
        "limit 10s\non subscribe a/# +3s: send a/x done\n",
    );
    dir.write("slow.py.exp", "a/x done\n");
    let tty = TtyCommand::new(["test", "slow.py"]).cwd(dir.path()).start();
    tty.wait_for_text("[0/1] running slow.py");
    tty.wait_for_text("1 passed, 0 failed");
    assert_eq!(tty.wait_exit(), 0);
}

#[test]
fn tls_and_websocket_scripts_are_tested_unchanged_against_the_plain_test_broker() {
    let dir = TempDir::new("runner-transports");
    let script = |connect: &str| {
        format!(
            "import ssl\nfrom umqtt.simple import MQTTClient\n{connect}\n\
             c.connect()\nc.publish('secure/t', 'hi')\nprint('sent')\n"
        )
    };
    dir.write(
        "legacy_tls.py",
        script(
            "c = MQTTClient('t', 'broker.emqx.io', 8883, ssl=True, \
             ssl_params={'server_hostname': 'broker.emqx.io'})",
        ),
    );
    dir.write(
        "context_tls.py",
        script(
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n\
             c = MQTTClient('t', 'broker.emqx.io', 8883, ssl=ctx)",
        ),
    );
    dir.write(
        "websocket.py",
        script("c = MQTTClient('t', 'wss://broker.emqx.io:8084/mqtt')"),
    );
    for name in ["legacy_tls", "context_tls", "websocket"] {
        dir.write(&format!("{name}.py.wire"), "expect secure/t hi\n");
        dir.write(&format!("{name}.py.exp"), "sent\n");
    }
    let run = pymqtt_test(dir.path(), &[]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("3 passed, 0 failed"),
        "{}",
        run.describe()
    );
}

#[test]
fn an_exception_in_a_callback_is_a_crash_with_its_traceback_not_a_wait() {
    let dir = TempDir::new("runner-callback-crash");
    dir.write(
        "cb.py",
        "from umqtt.simple import MQTTClient\n\
         c = MQTTClient('cb', 'broker.example')\n\
         def on_message(topic, msg):\n    raise ValueError('bad payload ' + msg.decode())\n\
         c.set_callback(on_message)\n\
         c.connect()\n\
         c.subscribe(b'cmd')\n\
         while True:\n    c.wait_msg()\n",
    );
    dir.write(
        "cb.py.wire",
        "on subscribe cmd: send cmd hello\nexpect state *\n",
    );
    let run = pymqtt_test(dir.path(), &["cb.py"]);
    run.assert_code(1);
    assert_eq!(verdict(&run, "cb.py"), "CRASH");
    assert_block_has(&run, "cb.py", "ValueError: bad payload hello");
    assert!(
        !run.stdout.contains("must call wait_msg()"),
        "{}",
        run.describe()
    );
}
