//! `pymqtt test`: regression tests for MQTT scripts, with no device and no internet.
//!
//! A test is a script (`NAME.py`, unchanged) with its expected output (`NAME.py.exp`, as in
//! MicroPython's run-tests) and/or a `.wire` file ([`wire_spec`]) that says what a test
//! broker sends the script, what the test does to the script's board, and what the script must
//! publish and do with the board's outputs. The runner ([`runner`]) starts one pymqtt process
//! per test; inside it, the [`harness`] starts a private embedded broker, redirects the
//! script's clients to it, runs the script on its board (the `board.toml` beside it, or the
//! default one), plays the stimuli, watches the script's messages and pin changes (put back in
//! the script's order by `script_order`, judged by [`expectations`], payloads as
//! `payload_match` says), and ends a script that would loop forever once the
//! test is over, through the hooks the host offers ([`crate::host::hooks`]). It also starts
//! the test's other scripts (`companions`), puts faults on its broker
//! ([`crate::broker::Faults`]) and, with `clock virtual`, runs the script on a virtual clock
//! ([`crate::host::clock`]). [`recorder`] (`--record`) runs a script for real and writes what
//! it did as a test (`recording`).

#[cfg(feature = "local-broker")]
mod companions;
#[cfg(feature = "local-broker")]
mod console;
#[cfg(feature = "local-broker")]
pub mod discover;
#[cfg(feature = "local-broker")]
pub mod expectations;
#[cfg(feature = "local-broker")]
pub mod harness;
#[cfg(feature = "local-broker")]
mod junit;
#[cfg(feature = "local-broker")]
pub mod outcome;
mod payload_match;
#[cfg(feature = "local-broker")]
pub mod recorder;
#[cfg(feature = "local-broker")]
mod recording;
#[cfg(feature = "local-broker")]
pub mod report_file;
#[cfg(feature = "local-broker")]
pub mod runner;
#[cfg(feature = "local-broker")]
mod schedule;
#[cfg(feature = "local-broker")]
mod script_order;
pub mod wire_spec;

use std::path::PathBuf;

#[cfg(feature = "local-broker")]
use crate::ExitStatus;

const EXAMPLES: &str = "\
A test is a script NAME.py with, beside it, its expected output NAME.py.exp and/or a
NAME.py.wire file saying what the test broker sends and expects (docs/testing.md).

The .wire file, one line each (# comments; \"quote\" words with blanks):
  limit 5s                                 end the test after 5 s (or 500ms, 1m, 1h, 5)
  clock virtual                            time jumps while the script waits (also --clock)
  on start: send cmd/led on                publish to the script before it starts
  on connect +200ms: send t \"x y\" qos=1    200 ms after its connect(); qos=0|1|2, retain
  on subscribe cmd/#: send cmd/led off     once it has subscribed to exactly cmd/#
  on +1s: pin GP14 = 0                     an input's level (an edge calls its irq handler)
  on +1s: adc 26 = 1000                    what ADC(26).read_u16() reads from then on
  on +2s: sensor dht 4 temperature=30      what a sensor reads from then on
  on +3s: wifi drop 3s                     no network for 3 s
  on connect +1s: broker restart           connections cut, sessions and retained gone
  on +1s: broker down 3s                   connections cut and refused for 3 s
  on +1s: drop                             the script's connections cut (a NAT timeout)
  on +1s: withhold acks 2s                 PUBACK, SUBACK and the other acks wait 2 s
  on subscribe t/#: run pub.py ARG         another script of the test, same broker
  expect sensors/temp 21.5                 the script must publish this (filters; * any)
  expect sensors/+ * x3                    ... three times; the expect lines are in order
  expect room json {\"temp\": 21.5}          JSON holding at least these keys and values
  expect status /^online/ qos=1 retain     a regular expression; published so
  unordered expect telemetry/+ * x2        two of these whenever, apart from the order
  expect pin LED = 1                       the script drives LED to 1

Examples:
  pymqtt test                        run the tests under the current folder
  pymqtt test tests/mqtt sub.py      run these folders' tests and this script
  pymqtt test --update sub.py        write sub.py.exp from what sub.py prints now
  pymqtt test -j 1 --junit out.xml   one at a time, with a JUnit report for CI
  pymqtt test --record lamp.py       run lamp.py for real (drive it with pymqtt pub) and
                                     write lamp.py.wire and lamp.py.exp from what it did";

/// `pymqtt test --clock`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    // `#[doc = concat!(..)]` rather than `///`: clap takes a `///` for the value's help, which
    // would add a list of the values to `pymqtt test --help` and change its whole layout.
    #[doc = concat!("Each test on the clock its `.wire` file says (the default).")]
    Real,
    #[doc = concat!("Every test on the virtual clock: time jumps while the script waits.")]
    Virtual,
}

/// `pymqtt test`'s options.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = EXAMPLES)]
pub struct TestArgs {
    /// Test scripts, or folders to search for them (default: the current folder)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// How many tests run at once (default: the number of CPUs)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Write each test's output to its NAME.py.exp (creating or replacing it)
    #[arg(long)]
    pub update: bool,

    /// Also write the results to FILE as JUnit XML
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Time limit of a test whose .wire file sets none: 5s, 500ms, 1m, or seconds (with
    /// --record: how long to record)
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = wire_spec::limit_argument)]
    pub limit: std::time::Duration,

    /// The clock of every test: `virtual` (time jumps while the script waits) as a .wire
    /// file's `clock virtual` says, or `real` (each test as its .wire file says)
    #[arg(long, value_enum, default_value = "real")]
    pub clock: Clock,

    /// Run SCRIPT for real and write SCRIPT.wire (what it received and published) and
    /// SCRIPT.exp (what it printed): a test of what it did
    #[arg(long, value_name = "SCRIPT", conflicts_with_all = ["paths", "update", "junit"])]
    pub record: Option<PathBuf>,

    /// With --record: the broker the script talks to (default: a test broker, whose
    /// address is printed for `pymqtt pub` to drive the script)
    #[arg(long, value_name = "HOST[:PORT]", requires = "record")]
    pub broker: Option<crate::BrokerAddress>,
}

/// Runs `pymqtt test`; returns its exit status: 0 when every test passed, 1 when one did
/// not, 2 when there was nothing to run.
#[cfg(feature = "local-broker")]
pub fn run(args: &TestArgs) -> ExitStatus {
    use std::time::Instant;

    if let Some(script) = &args.record {
        let pymqtt = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                eprintln!("pymqtt test: cannot find this pymqtt: {e}");
                return ExitStatus::CANNOT_OPEN;
            }
        };
        return recorder::record(&pymqtt, script, args.limit, args.broker.as_ref());
    }

    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let cases = match discover::discover(&paths) {
        Ok(cases) if cases.is_empty() => {
            eprintln!(
                "pymqtt test: no tests found: a test is NAME.py with NAME.py.exp or NAME.py.wire \
                 beside it (or a .py file named on the command line)"
            );
            return ExitStatus::USAGE;
        }
        Ok(cases) => cases,
        Err(message) => {
            eprintln!("pymqtt test: {message}");
            return ExitStatus::USAGE;
        }
    };
    let limit = args.limit;
    let pymqtt = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("pymqtt test: cannot find the pymqtt binary to run the tests with: {e}");
            return ExitStatus::USAGE;
        }
    };
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
    });
    let options = runner::RunOptions {
        pymqtt,
        jobs,
        update: args.update,
        limit,
        virtual_clock: args.clock == Clock::Virtual,
    };

    let started = Instant::now();
    let mut console = console::Console::new(cases.len());
    let outcomes = runner::run_all(cases, &options, |event| console.on_event(event));
    let elapsed = started.elapsed();
    {
        use std::io::Write;
        // A closed pipe (`pymqtt test | head`) is no reason to fail.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            console::Console::summary(&outcomes, elapsed)
        );
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, junit::render(&outcomes, elapsed))
    {
        eprintln!("pymqtt test: cannot write {}: {e}", path.display());
        return ExitStatus::EXCEPTION;
    }
    let all_passed = outcomes.iter().all(|o| o.verdict == outcome::Verdict::Pass);
    if all_passed {
        ExitStatus::SUCCESS
    } else {
        ExitStatus::EXCEPTION
    }
}

#[cfg(test)]
mod cheat_sheet_tests {
    /// Every line of `pymqtt test --help`'s .wire cheat sheet is a valid line.
    #[test]
    fn the_help_s_wire_lines_parse() {
        let sheet = super::EXAMPLES
            .split("The .wire file")
            .nth(1)
            .and_then(|rest| rest.split("Examples:").next())
            .expect("a cheat sheet in the help");
        let lines: Vec<&str> = sheet
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_start().split("   ").next().unwrap().trim_end())
            .collect();
        assert!(lines.len() >= 10, "{lines:?}");
        for line in lines {
            if let Err(e) = super::wire_spec::parse(line) {
                panic!("cheat sheet line {line:?}: {}", e.message);
            }
        }
    }
}
