//! MicroPython's asyncio names on `asyncio` and `uasyncio` (pylib/asyncio/), tested in
//! MicroPython's style: each tests/micropython/asyncio/NAME.py runs with the built binary from
//! that folder and must print exactly what NAME.py.exp holds, end with status 0, and print
//! nothing at all on stderr (MicroPython is silent where the standard library would warn).
//!
//! The scripts are the tests' own: every name MicroPython's asyncio has (names.py),
//! sleep_ms() and wait_for_ms() timed, with a timeout that must pass (sleep_ms.py),
//! ThreadSafeFlag set from the loop, another thread, a timer's callback and
//! micropython.schedule() (thread_safe_flag.py), the one event loop of MicroPython's idioms
//! (event_loop.py), Event and Lock (event_lock.py), open_connection() and start_server() over
//! loopback (streams.py), streams over a script's own objects (raw_streams.py), and the
//! warnings the standard library would print (quiet.py).
//!
//! Their timing checks have wide bounds (a 100 ms sleep must take 90 ms to 2 s): a slow
//! machine passes, a timeout or a wake-up that never comes does not.

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::processes::Pymqtt;
use support::scripts::repo_root;

/// The scripts, each run by one test below.
const SCRIPTS: [&str; 8] = [
    "event_lock.py",
    "event_loop.py",
    "names.py",
    "quiet.py",
    "raw_streams.py",
    "sleep_ms.py",
    "streams.py",
    "thread_safe_flag.py",
];

fn scripts_dir() -> PathBuf {
    repo_root().join("tests/micropython/asyncio")
}

/// Runs `name` and checks its output against `name.exp`, its status and its empty stderr.
fn check(name: &str) {
    let expected = std::fs::read_to_string(scripts_dir().join(format!("{name}.exp")))
        .unwrap_or_else(|e| panic!("read {name}.exp: {e}"));
    let run = Pymqtt::new()
        .cwd(scripts_dir())
        .arg(name)
        .label(&format!("pymqtt {name}"))
        .run(Duration::from_secs(60));
    assert!(
        run.stdout == expected && run.status.success() && run.stderr.is_empty(),
        "{name}: expected status 0, empty stderr and this output:\n{expected}\n--- got ---\n{}",
        run.describe()
    );
}

#[test]
fn every_script_is_run_and_has_an_exp_file() {
    let mut found: Vec<String> = std::fs::read_dir(scripts_dir())
        .expect("read tests/micropython/asyncio")
        .map(|entry| entry.expect("read tests/micropython/asyncio").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(
        found, SCRIPTS,
        "a script in tests/micropython/asyncio has no test here"
    );
    for name in SCRIPTS {
        assert!(
            scripts_dir().join(format!("{name}.exp")).exists(),
            "{name} has no .exp file"
        );
    }
}

#[test]
fn names_on_asyncio_uasyncio_and_core() {
    check("names.py");
}

#[test]
fn sleep_ms_and_wait_for_ms_time_out() {
    check("sleep_ms.py");
}

#[test]
fn thread_safe_flag_from_a_thread_a_timer_and_schedule() {
    check("thread_safe_flag.py");
}

#[test]
fn one_event_loop_run_forever_until_a_task_stops_it() {
    check("event_loop.py");
}

#[test]
fn event_and_lock() {
    check("event_lock.py");
}

#[test]
fn open_connection_and_start_server_over_loopback() {
    check("streams.py");
}

#[test]
fn streams_over_a_scripts_own_objects() {
    check("raw_streams.py");
}

#[test]
fn nothing_on_stderr_where_micropython_is_silent() {
    check("quiet.py");
}
