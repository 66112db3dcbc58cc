//! `pymqtt test`: runs each test in its own pymqtt process, several at a time, and judges
//! it. The process runs the script under [`super::harness`] with a private broker, so tests
//! cannot see each other's messages however many run at once.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::discover::TestCase;
use super::outcome::{Evidence, Outcome, ProcessEnd, Verdict, judge};
use super::report_file::HarnessReport;
use super::wire_spec::{self, WireSpec};

/// The limit of a test whose `.wire` file sets none.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(10);
/// How long past its limit a script that was asked to stop may take before it is killed.
const KILL_GRACE: Duration = Duration::from_secs(3);

/// How `pymqtt test` runs its tests.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The pymqtt binary that runs each test (this one).
    pub pymqtt: PathBuf,
    /// How many tests run at once.
    pub jobs: usize,
    /// `--update`: a test that ends well writes its output to `NAME.py.exp`.
    pub update: bool,
    /// For tests whose `.wire` file sets no limit.
    pub limit: Duration,
    /// `--clock virtual`: every test on the virtual clock, as if its `.wire` said so.
    pub virtual_clock: bool,
}

/// How long a test on the virtual clock may take in real time before it is killed: its
/// limit is in virtual time, which stands still while a script never waits.
const VIRTUAL_REAL_LIMIT: Duration = Duration::from_secs(60);

/// Runs `cases`, at most `jobs` at a time; `on_event` hears of each start and result, on
/// the calling thread. The outcomes come back in the order of `cases`.
pub fn run_all(
    cases: Vec<TestCase>,
    options: &RunOptions,
    mut on_event: impl FnMut(RunEvent),
) -> Vec<Outcome> {
    let scratch = std::env::temp_dir().join(format!("pymqtt-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&scratch);
    let queue = Arc::new(Mutex::new(
        cases.iter().cloned().enumerate().collect::<Vec<_>>(),
    ));
    queue.lock().unwrap_or_else(|p| p.into_inner()).reverse();
    let (events, event_rx) = mpsc::channel();
    let workers: Vec<_> = (0..options.jobs.max(1).min(cases.len().max(1)))
        .map(|_| {
            let queue = Arc::clone(&queue);
            let events = events.clone();
            let options = options.clone();
            let scratch = scratch.clone();
            thread::spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop();
                    let Some((index, case)) = next else { break };
                    let _ = events.send((index, RunEvent::Started(case.clone())));
                    let report = scratch.join(format!("{index}.report"));
                    let outcome = run_one(case, &options, &report);
                    let _ = events.send((index, RunEvent::Finished(Box::new(outcome))));
                }
            })
        })
        .collect();
    drop(events);

    let mut outcomes: Vec<Option<Outcome>> = vec![None; cases.len()];
    for (index, event) in event_rx {
        if let RunEvent::Finished(outcome) = &event {
            outcomes[index] = Some((**outcome).clone());
        }
        on_event(event);
    }
    for worker in workers {
        let _ = worker.join();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    outcomes.into_iter().flatten().collect()
}

/// What [`run_all`] tells its caller as the tests go.
pub enum RunEvent {
    /// The test has started.
    Started(TestCase),
    /// The test is over, with its result.
    Finished(Box<Outcome>),
}

fn run_one(case: TestCase, options: &RunOptions, report_path: &Path) -> Outcome {
    let started = Instant::now();
    let error = |case: TestCase, reason: String| Outcome {
        case,
        verdict: Verdict::Error,
        reason,
        details: Vec::new(),
        diff: None,
        output: String::new(),
        elapsed: started.elapsed(),
        updated: false,
    };
    let spec = match read_spec(&case) {
        Ok(spec) => spec,
        Err(reason) => return error(case, reason),
    };
    let limit = spec.limit.unwrap_or(options.limit);
    let virtual_clock = spec.virtual_clock || options.virtual_clock;
    let real_limit = if virtual_clock {
        VIRTUAL_REAL_LIMIT
    } else {
        limit
    };
    let (end, output) = match run_process(&case, options, limit, real_limit, report_path) {
        Ok(ran) => ran,
        Err(reason) => return error(case, reason),
    };
    let output = String::from_utf8_lossy(&output).into_owned();
    let report = HarnessReport::read(report_path);
    let _ = std::fs::remove_file(report_path);

    let mut updated = false;
    let ran_whole = end != ProcessEnd::Killed && report.is_some();
    // --update writes the output only of a run that ends well and passes with it: never that
    // of a crash (even one whose traceback would match), a timeout or a failed wire
    // expectation, which would then pass for ever.
    let would_pass = || {
        if end != ProcessEnd::Exited(0) {
            return false;
        }
        let (verdict, _, _) = judge(&Evidence {
            end: end.clone(),
            report: report.clone(),
            output: &output,
            expected: Some(&output),
            limit,
            has_wire_activity: spec.has_wire_activity(),
        });
        verdict == Verdict::Pass
    };
    if options.update && ran_whole && would_pass() {
        match std::fs::write(&case.expected, &output) {
            Ok(()) => updated = true,
            Err(e) => {
                let reason = format!("cannot write {}: {e}", case.expected.display());
                return error(case, reason);
            }
        }
    }
    let expected = std::fs::read(&case.expected)
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let (verdict, reason, details) = judge(&Evidence {
        end,
        report,
        output: &output,
        expected: expected.as_deref(),
        limit,
        has_wire_activity: spec.has_wire_activity(),
    });
    let diff = match &expected {
        Some(expected) if *expected != output => Some(unified_diff(&case, expected, &output)),
        _ => None,
    };
    Outcome {
        case,
        verdict,
        reason,
        details,
        diff,
        output,
        elapsed: started.elapsed(),
        updated,
    }
}

fn read_spec(case: &TestCase) -> Result<WireSpec, String> {
    case.wire
        .as_deref()
        .map_or(Ok(WireSpec::default()), wire_spec::read)
}

/// Runs the test's process with its output (stdout and stderr in one pipe, so they
/// interleave as printed) collected; kills it if it outlives its limit by [`KILL_GRACE`].
fn run_process(
    case: &TestCase,
    options: &RunOptions,
    limit: Duration,
    real_limit: Duration,
    report_path: &Path,
) -> Result<(ProcessEnd, Vec<u8>), String> {
    let report_path = std::path::absolute(report_path).unwrap_or(report_path.to_path_buf());
    let mut command = Command::new(&options.pymqtt);
    command
        .arg("--harness-report")
        .arg(&report_path)
        .arg("--harness-limit")
        .arg(limit.as_secs_f64().to_string());
    if let Some(wire) = &case.wire {
        let wire = std::path::absolute(wire).unwrap_or(wire.clone());
        command.arg("--harness-wire").arg(wire);
    }
    if options.virtual_clock {
        command.arg("--harness-virtual-clock");
    }
    run_in_its_folder(&mut command, &case.script);
    let mut reader = output_pipe(&mut command)
        .map_err(|e| format!("cannot make a pipe for the test's output: {e}"))?;
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", options.pymqtt.display()))?;
    // The pipe's writing ends now live only in the child: reading ends when it exits.
    drop(command);
    let collector = thread::spawn(move || {
        let mut output = Vec::new();
        let _ = reader.read_to_end(&mut output);
        output
    });

    let deadline = Instant::now() + real_limit + KILL_GRACE;
    let end = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match status.code() {
                    Some(code) => ProcessEnd::Exited(code),
                    None => ProcessEnd::Signalled,
                };
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break ProcessEnd::Killed;
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for the test's process: {e}")),
        }
    };
    let output = collector.join().unwrap_or_default();
    Ok((end, output))
}

/// Ends `command` (pymqtt with its harness options) with `script`, run in its folder by its
/// file name: relative paths in it work, and a traceback names the file the same way wherever
/// the repository is checked out. No stdin, and no PYMQTT_BROKER from the caller's shell.
pub(super) fn run_in_its_folder(command: &mut Command, script: &Path) {
    command
        .arg(script.file_name().unwrap_or_default())
        .stdin(Stdio::null())
        .env_remove("PYMQTT_BROKER");
    if let Some(dir) = script.parent().filter(|d| !d.as_os_str().is_empty()) {
        command.current_dir(dir);
    }
}

/// Sends `command`'s stdout and stderr into one pipe, so that they interleave as printed;
/// the reading end, which ends once the child (and `command`, which holds a writing end
/// until dropped) is gone.
pub(super) fn output_pipe(command: &mut Command) -> std::io::Result<std::io::PipeReader> {
    let (reader, writer) = std::io::pipe()?;
    command.stdout(writer.try_clone()?).stderr(writer);
    Ok(reader)
}

fn unified_diff(case: &TestCase, expected: &str, output: &str) -> String {
    let expected_name = case.expected.display().to_string();
    let output_name = format!("output of {}", case.name());
    similar::TextDiff::from_lines(expected, output)
        .unified_diff()
        .context_radius(3)
        .header(&expected_name, &output_name)
        .to_string()
}
