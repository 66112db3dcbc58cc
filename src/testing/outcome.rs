//! A test's result, decided from what its process printed, its exit status and its wire
//! report.

use std::time::Duration;

use super::discover::TestCase;
use super::report_file::{HarnessReport, HowItEnded};

/// What a test came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The output is what `NAME.py.exp` says, and the wire expectations were met.
    Pass,
    /// The output differs from `NAME.py.exp`, or the wire expectations failed.
    Fail,
    /// The time limit passed with something still awaited, or the script would not stop.
    Timeout,
    /// The script ended with an uncaught exception (or a signal) and did not match.
    Crash,
    /// The test could not be run (a bad `.wire` file, no expected output, no broker).
    Error,
}

impl Verdict {
    /// The word a report shows: `PASS`, `FAIL`, `TIMEOUT`, `CRASH` or `ERROR`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Timeout => "TIMEOUT",
            Verdict::Crash => "CRASH",
            Verdict::Error => "ERROR",
        }
    }
}

/// How the test's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessEnd {
    /// Exited with this status.
    Exited(i32),
    /// Killed by a signal (not ours).
    Signalled,
    /// Still running past its limit and the grace after it: killed by the runner.
    Killed,
}

/// A test's result, with what a report shows of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The test.
    pub case: TestCase,
    /// What it came to.
    pub verdict: Verdict,
    /// One line: why it failed (empty for a pass).
    pub reason: String,
    /// Further lines: what the wire check found, what the script published and did to the
    /// board.
    pub details: Vec<String>,
    /// Expected vs actual output, as a unified diff.
    pub diff: Option<String>,
    /// What the script printed (stdout and stderr, interleaved as printed).
    pub output: String,
    /// How long the test took, in real time.
    pub elapsed: Duration,
    /// `--update` wrote the expected output.
    pub updated: bool,
}

/// What [`judge`] looks at.
pub struct Evidence<'a> {
    /// How the test's process ended.
    pub end: ProcessEnd,
    /// The harness's report, if the process got as far as writing it.
    pub report: Option<HarnessReport>,
    /// What the script printed.
    pub output: &'a str,
    /// `NAME.py.exp`'s text, if the file exists.
    pub expected: Option<&'a str>,
    /// The test's time limit, for the words of a timeout.
    pub limit: Duration,
    /// Whether the test's `.wire` file declares sends or expects.
    pub has_wire_activity: bool,
}

/// The verdict, its reason and details.
pub fn judge(e: &Evidence) -> (Verdict, String, Vec<String>) {
    let mut details = Vec::new();
    if let Some(report) = &e.report {
        details.extend(report.failures.iter().map(|f| format!("wire: {f}")));
        details.extend(report.pending.iter().map(|p| format!("waiting for: {p}")));
        if !report.failures.is_empty() || !report.pending.is_empty() {
            // Already labelled (`published: ...`, `board: ...`) by the harness.
            details.extend(report.observed.iter().take(20).cloned());
            if report.observed.is_empty() {
                details.push("published: nothing".into());
            }
        }
        // Shown only under a failure, as all details are.
        details.extend(report.others.iter().cloned());
    }
    let limit = format!("{}s", e.limit.as_secs_f64());
    if e.end == ProcessEnd::Killed {
        return (
            Verdict::Timeout,
            format!(
                "still running after its {limit} limit (it never waited, so it could not be stopped); killed"
            ),
            details,
        );
    }
    let Some(report) = &e.report else {
        return (
            Verdict::Crash,
            format!(
                "the test process ended without a report ({})",
                describe(&e.end)
            ),
            details,
        );
    };
    if report.ended == HowItEnded::NotStarted {
        let why = report.failures.join("; ");
        return (
            Verdict::Error,
            format!("the test could not be set up: {why}"),
            Vec::new(),
        );
    }
    // A script that died of an uncaught exception (its callback's included) is a crash,
    // whatever else the test waited for, unless dying so is what its .exp expects. Its
    // output, traceback and all, is shown with the verdict; what it was still waited for is
    // not (a dead script receives nothing more).
    let crashed = report.ended == HowItEnded::Exited && e.end != ProcessEnd::Exited(0);
    if crashed && e.expected != Some(e.output) {
        let details = report
            .failures
            .iter()
            .map(|f| format!("wire: {f}"))
            .collect();
        return (Verdict::Crash, describe(&e.end), details);
    }
    if !report.failures.is_empty() {
        return (
            Verdict::Fail,
            "the messages on the wire or the pin changes were not as expected".into(),
            details,
        );
    }
    if !report.pending.is_empty() {
        return match report.ended {
            HowItEnded::Limit => (
                Verdict::Timeout,
                format!("the {limit} limit passed before everything expected happened"),
                details,
            ),
            _ => (
                Verdict::Fail,
                format!(
                    "the script ended ({}) before everything expected happened",
                    describe(&e.end)
                ),
                details,
            ),
        };
    }
    let failed_exit = e.end != ProcessEnd::Exited(0);
    match e.expected {
        Some(expected) if expected == e.output => (Verdict::Pass, String::new(), details),
        Some(_) if failed_exit => (
            Verdict::Crash,
            format!("{}, and the output differs", describe(&e.end)),
            details,
        ),
        Some(_) => (
            Verdict::Fail,
            "the output differs from the expected output".into(),
            details,
        ),
        None if failed_exit => (Verdict::Crash, describe(&e.end), details),
        None if e.has_wire_activity => (Verdict::Pass, String::new(), details),
        None => (
            Verdict::Error,
            "there is no expected output to compare with: run `pymqtt test --update` to write it"
                .into(),
            details,
        ),
    }
}

fn describe(end: &ProcessEnd) -> String {
    match end {
        ProcessEnd::Exited(1) => "the script raised an exception (exit status 1)".into(),
        ProcessEnd::Exited(code) => format!("exit status {code}"),
        ProcessEnd::Signalled => "killed by a signal".into(),
        ProcessEnd::Killed => "killed after its limit".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence<'a>(
        end: ProcessEnd,
        report: HarnessReport,
        output: &'a str,
        expected: Option<&'a str>,
    ) -> Evidence<'a> {
        Evidence {
            end,
            report: Some(report),
            output,
            expected,
            limit: Duration::from_secs(5),
            has_wire_activity: false,
        }
    }

    fn clean(ended: HowItEnded) -> HarnessReport {
        HarnessReport {
            ended,
            failures: vec![],
            pending: vec![],
            observed: vec![],
            others: vec![],
        }
    }

    #[test]
    fn output_decides_when_the_wire_is_clean() {
        let pass = judge(&evidence(
            ProcessEnd::Exited(0),
            clean(HowItEnded::Done),
            "a\n",
            Some("a\n"),
        ));
        assert_eq!(pass.0, Verdict::Pass);
        let fail = judge(&evidence(
            ProcessEnd::Exited(0),
            clean(HowItEnded::Exited),
            "b\n",
            Some("a\n"),
        ));
        assert_eq!(fail.0, Verdict::Fail);
        let crash = judge(&evidence(
            ProcessEnd::Exited(1),
            clean(HowItEnded::Exited),
            "Traceback\n",
            Some("a\n"),
        ));
        assert_eq!(crash.0, Verdict::Crash);
        assert!(crash.1.contains("exception"));
        // A traceback that is expected is a pass, as in MicroPython's run-tests.
        let expected_crash = judge(&evidence(
            ProcessEnd::Exited(1),
            clean(HowItEnded::Exited),
            "T\n",
            Some("T\n"),
        ));
        assert_eq!(expected_crash.0, Verdict::Pass);
        let none = judge(&evidence(
            ProcessEnd::Exited(0),
            clean(HowItEnded::Exited),
            "a\n",
            None,
        ));
        assert_eq!(none.0, Verdict::Error);
    }

    #[test]
    fn the_wire_and_the_clock_come_first() {
        let mut waiting = clean(HowItEnded::Limit);
        waiting.pending.push("line 2: ...".into());
        let timeout = judge(&evidence(
            ProcessEnd::Exited(0),
            waiting.clone(),
            "a\n",
            Some("a\n"),
        ));
        assert_eq!(timeout.0, Verdict::Timeout);
        assert!(timeout.2.iter().any(|d| d == "waiting for: line 2: ..."));
        assert!(timeout.2.iter().any(|d| d == "published: nothing"));
        waiting.ended = HowItEnded::Exited;
        assert_eq!(
            judge(&evidence(
                ProcessEnd::Exited(0),
                waiting,
                "a\n",
                Some("a\n")
            ))
            .0,
            Verdict::Fail
        );
        let mut wrong = clean(HowItEnded::Done);
        wrong.failures.push("line 1: expected ...".into());
        assert_eq!(
            judge(&evidence(ProcessEnd::Exited(0), wrong, "a\n", Some("a\n"))).0,
            Verdict::Fail
        );
        let killed = judge(&evidence(
            ProcessEnd::Killed,
            clean(HowItEnded::Limit),
            "",
            Some("a\n"),
        ));
        assert_eq!(killed.0, Verdict::Timeout);
    }
}
