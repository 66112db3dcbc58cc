//! Hosts embedded in one process keep apart: each `Host` has its own broker redirect and its
//! own open connections, so two hosts running scripts side by side, on two threads, each reach
//! only their own broker.

#[allow(dead_code)]
mod support;

use std::thread;

use pymqtt::{BrokerAddress, ExitStatus, Host, Program};
use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::peers::{Peer, text};
use support::scripts::unique_id;

#[test]
fn two_hosts_on_two_threads_each_reach_only_their_own_broker() {
    let brokers = [Mosquitto::start(), Mosquitto::start()];
    let topic = unique_id("hosts");
    let mut peers: Vec<Peer> = brokers
        .iter()
        .map(|broker| {
            let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
            peer.subscribe(&format!("{topic}/#"), QoS::AtLeastOnce);
            peer
        })
        .collect();

    // Both scripts name the same server; only their host's redirect tells them apart. Each
    // publishes several messages, so that the two interpreters run at the same time.
    let runs: Vec<_> = brokers
        .iter()
        .enumerate()
        .map(|(n, broker)| {
            let address = BrokerAddress::tcp("127.0.0.1", broker.port());
            let source = format!(
                "from umqtt.simple import MQTTClient\n\
                 c = MQTTClient('host-{n}', 'broker.example', keepalive=30)\n\
                 c.connect()\n\
                 for i in range(20):\n    c.publish(b'{topic}/{n}', b'host {n}', qos=1)\n\
                 c.disconnect()\n"
            );
            thread::spawn(move || {
                let host = Host::builder()
                    .argv(vec!["-c".into()])
                    .broker(address)
                    .build();
                host.run(&Program::Source(source))
            })
        })
        .collect();
    for run in runs {
        assert_eq!(run.join().expect("host thread"), ExitStatus::SUCCESS);
    }

    // Every publish was acknowledged before its script ended; a sentinel the peer publishes
    // now arrives after all of them, so what came before it is all that came.
    for (n, peer) in peers.iter_mut().enumerate() {
        peer.publish(&format!("{topic}/end"), "end", QoS::AtLeastOnce, false);
        let mut got = Vec::new();
        loop {
            let message = peer.expect_publish("the host's messages, then the sentinel");
            if message.topic == format!("{topic}/end") {
                break;
            }
            got.push((message.topic.clone(), text(&message)));
        }
        let expected = vec![(format!("{topic}/{n}"), format!("host {n}")); 20];
        assert_eq!(
            got, expected,
            "broker {n} saw other messages than its host's"
        );
    }
}

#[test]
fn every_host_in_a_process_has_micropythons_bytes_format() {
    // The built-in types belong to the process, so pymqtt adds `bytes.format` once; hosts
    // started after it, and alongside each other, all have it.
    let check = "import sys\n\
                 ok = b'home/{}/state'.format('hall') == b'home/hall/state'\n\
                 ok = ok and '{:s}'.format(b'ab') == 'ab' and '{}'.format(b'ab') == \"b'ab'\"\n\
                 sys.exit(0 if ok else 3)\n";
    let run = move || Host::builder().build().run(&Program::Source(check.into()));
    assert_eq!(run(), ExitStatus::SUCCESS);
    let threads: Vec<_> = (0..2).map(|_| thread::spawn(run)).collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), ExitStatus::SUCCESS);
    }
}

#[test]
fn what_a_script_sets_in_gc_stays_in_its_own_host() {
    // MicroPython's gc.threshold() is kept by pymqtt, not by RustPython: a value one host's
    // script set must not show in another host's, before or alongside it.
    let set = "import gc\n\
               assert gc.threshold() == -1\n\
               gc.threshold(4096)\n\
               assert gc.threshold() == 4096\n";
    let first = Host::builder().build().run(&Program::Source(set.into()));
    assert_eq!(first, ExitStatus::SUCCESS);
    let check = "import gc, sys\n\
                 before = gc.threshold()\n\
                 gc.threshold(1234)\n\
                 sys.exit(0 if (before, gc.threshold()) == (-1, 1234) else 3)\n";
    let run = move || Host::builder().build().run(&Program::Source(check.into()));
    assert_eq!(run(), ExitStatus::SUCCESS);
    let threads: Vec<_> = (0..2).map(|_| thread::spawn(run)).collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), ExitStatus::SUCCESS);
    }
}

/// What a spawned script prints, as its host's output callback hears it.
#[derive(Default, Clone)]
struct Printed(std::sync::Arc<std::sync::Mutex<Vec<(pymqtt::OutputStream, String)>>>);

impl Printed {
    fn of(&self, stream: pymqtt::OutputStream) -> String {
        let pieces = self.0.lock().unwrap();
        pieces
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, text)| text.as_str())
            .collect()
    }

    fn wait_for(&self, needle: &str) {
        let deadline = std::time::Instant::now() + support::deadlines::WAIT;
        while !self.of(pymqtt::OutputStream::Stdout).contains(needle) {
            assert!(
                std::time::Instant::now() < deadline,
                "never printed {needle:?}"
            );
            thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

fn spawn(source: &str, printed: &Printed) -> pymqtt::ScriptHandle {
    let sink = printed.clone();
    Host::builder()
        .output(move |stream, text| sink.0.lock().unwrap().push((stream, text.to_string())))
        .build()
        .spawn(Program::Source(source.into()))
        .expect("spawn a script")
}

#[test]
fn spawned_scripts_run_side_by_side_their_output_in_the_application_and_are_interrupted_or_stopped()
{
    use pymqtt::OutputStream::{Stderr, Stdout};
    use std::time::Duration;

    // One catches the interrupt and ends on its own; the other dies of it.
    let (catcher_out, sleeper_out) = (Printed::default(), Printed::default());
    let mut catcher = spawn(
        "import time\n\
         print('catcher up')\n\
         try:\n    while True:\n        time.sleep(0.05)\n\
         except KeyboardInterrupt:\n    print('caught it')\n",
        &catcher_out,
    );
    let mut sleeper = spawn(
        "import time\nprint('sleeper up')\ntime.sleep(3600)\nprint('never')\n",
        &sleeper_out,
    );
    catcher_out.wait_for("catcher up");
    sleeper_out.wait_for("sleeper up");
    catcher.interrupt();
    assert_eq!(catcher.join(), ExitStatus::SUCCESS);
    assert_eq!(catcher_out.of(Stdout), "catcher up\ncaught it\n");
    assert!(!sleeper.is_finished());
    assert_eq!(
        sleeper.stop(Duration::from_secs(5)),
        Some(ExitStatus::INTERRUPTED)
    );
    assert_eq!(sleeper_out.of(Stdout), "sleeper up\n");
    assert!(
        sleeper_out.of(Stderr).contains("KeyboardInterrupt"),
        "{}",
        sleeper_out.of(Stderr)
    );
    // Neither script's output reached the other's callback.
    assert!(!catcher_out.of(Stdout).contains("sleeper"));

    // A script that catches every interrupt is still stopped at its next wait.
    let stubborn_out = Printed::default();
    let mut stubborn = spawn(
        "import time\nprint('stubborn up')\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass\n",
        &stubborn_out,
    );
    stubborn_out.wait_for("stubborn up");
    assert_eq!(
        stubborn.stop(Duration::from_secs(5)),
        Some(ExitStatus::SUCCESS)
    );
}

#[test]
fn the_applications_functions_and_values_reach_its_scripts_and_bad_calls_are_type_errors() {
    let readings = std::sync::Arc::new(std::sync::Mutex::new(21.5_f64));
    let read = std::sync::Arc::clone(&readings);
    let printed = Printed::default();
    let sink = printed.clone();
    let host = Host::builder()
        .function("gateway.sensor", move |name: String| -> f64 {
            if name == "temp" {
                *read.lock().unwrap()
            } else {
                f64::NAN
            }
        })
        .function("gateway.io.relay", |on: bool| -> String {
            format!("relay {}", if on { "on" } else { "off" })
        })
        .function("double", |n: i64| n * 2)
        .global("SITE", "greenhouse")
        .global("LIMIT", 30)
        .output(move |stream, text| sink.0.lock().unwrap().push((stream, text.to_string())))
        .build();
    let script = "import gateway, gateway.io\n\
                  print(SITE, LIMIT, gateway.sensor('temp'), gateway.io.relay(True), double(21))\n\
                  try:\n    gateway.sensor(5)\nexcept TypeError as e:\n    print('TypeError')\n";
    assert_eq!(
        host.run(&Program::Source(script.into())),
        ExitStatus::SUCCESS
    );
    *readings.lock().unwrap() = 19.0;
    assert_eq!(
        host.run(&Program::Source(
            "import gateway\nprint(gateway.sensor('temp'))".into()
        )),
        ExitStatus::SUCCESS
    );
    assert_eq!(
        printed.of(pymqtt::OutputStream::Stdout),
        "greenhouse 30 21.5 relay on 42\nTypeError\n19.0\n"
    );
}

/// A module of the application's written with RustPython's `#[pymodule]`.
#[rustpython_vm::pymodule]
mod greenhouse {
    use rustpython_vm::{PyResult, VirtualMachine};

    #[pyattr]
    const ZONES: i64 = 3;

    #[pyfunction]
    fn valve(zone: i64, vm: &VirtualMachine) -> PyResult<String> {
        if (1..=ZONES).contains(&zone) {
            Ok(format!("valve {zone} open"))
        } else {
            Err(vm.new_value_error(format!("no zone {zone}")))
        }
    }
}

#[test]
fn the_applications_own_pymodule_is_importable_in_every_host_that_has_it() {
    let printed = Printed::default();
    let sink = printed.clone();
    let host = Host::builder()
        .module(greenhouse::module_def)
        .output(move |stream, text| sink.0.lock().unwrap().push((stream, text.to_string())))
        .build();
    let script = "import greenhouse\nfrom greenhouse import valve\n\
                  print(greenhouse.ZONES, valve(2))\n\
                  try:\n    valve(9)\nexcept ValueError as e:\n    print('ValueError:', e)\n";
    // Twice: each run is a fresh interpreter, which gets the module again.
    for _ in 0..2 {
        assert_eq!(
            host.run(&Program::Source(script.into())),
            ExitStatus::SUCCESS
        );
    }
    assert_eq!(
        printed.of(pymqtt::OutputStream::Stdout),
        "3 valve 2 open\nValueError: no zone 9\n".repeat(2)
    );
    // A host without it does not have it.
    let other = Host::builder().output(|_, _| {}).build();
    assert_eq!(
        other.run(&Program::Source("import greenhouse".into())),
        ExitStatus::EXCEPTION
    );
}
