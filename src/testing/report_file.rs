//! The file through which a test's process tells the runner what happened on the wire.
//! One `key: value` per line, so a half-written file still reads.

use std::path::Path;

/// How the script's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HowItEnded {
    /// The script ended by itself.
    Exited,
    /// Everything the test declared happened (or went wrong); the script was stopped.
    Done,
    /// The time limit passed; the script was asked to stop.
    Limit,
    /// The test could not be set up; the script never ran.
    NotStarted,
}

impl HowItEnded {
    fn name(self) -> &'static str {
        match self {
            HowItEnded::Exited => "exited",
            HowItEnded::Done => "done",
            HowItEnded::Limit => "limit",
            HowItEnded::NotStarted => "not-started",
        }
    }
}

/// What a test's process reports to the runner: how the run ended and what happened on the
/// wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessReport {
    /// How the script's run ended.
    pub ended: HowItEnded,
    /// What went wrong for certain (a wrong message, a lost connection, a setup error).
    pub failures: Vec<String>,
    /// What the test still waited for when it ended.
    pub pending: Vec<String>,
    /// What the script did, in order, described: `published: TOPIC PAYLOAD` for a message,
    /// `board: pin LED = 1` for a change of an output.
    pub observed: Vec<String>,
    /// What the test's other scripts (`run` lines) printed: `NAME | line`.
    pub others: Vec<String>,
}

impl HarnessReport {
    /// The report of a test that could not be set up, with `message` as its failure.
    pub fn error(message: String) -> HarnessReport {
        HarnessReport {
            ended: HowItEnded::NotStarted,
            failures: vec![message],
            pending: Vec::new(),
            observed: Vec::new(),
            others: Vec::new(),
        }
    }

    /// Writes the report to `path`, whole or not at all; a failure to write is not reported
    /// (the runner then finds no report).
    pub fn write(&self, path: &Path) {
        let mut text = format!("ended: {}\n", self.ended.name());
        let lists = [
            ("failure", &self.failures),
            ("pending", &self.pending),
            ("observed", &self.observed),
            ("other", &self.others),
        ];
        for (key, values) in lists {
            for value in values {
                text.push_str(&format!("{key}: {}\n", value.replace('\n', " ")));
            }
        }
        // Written whole and renamed, so the runner never reads half of it.
        let partial = path.with_extension("partial");
        if std::fs::write(&partial, text).is_ok() {
            let _ = std::fs::rename(&partial, path);
        }
    }

    /// Reads the report at `path`; none when there is no file or a line is not `key: value`.
    pub fn read(path: &Path) -> Option<HarnessReport> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut report = HarnessReport {
            ended: HowItEnded::Exited,
            failures: Vec::new(),
            pending: Vec::new(),
            observed: Vec::new(),
            others: Vec::new(),
        };
        for line in text.lines() {
            let (key, value) = line.split_once(": ")?;
            let value = value.to_string();
            match key {
                "ended" => {
                    report.ended = match value.as_str() {
                        "done" => HowItEnded::Done,
                        "limit" => HowItEnded::Limit,
                        "not-started" => HowItEnded::NotStarted,
                        _ => HowItEnded::Exited,
                    }
                }
                "failure" => report.failures.push(value),
                "pending" => report.pending.push(value),
                "observed" => report.observed.push(value),
                "other" => report.others.push(value),
                _ => {}
            }
        }
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_as_written() {
        let dir = std::env::temp_dir().join(format!("pymqtt-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report");
        let report = HarnessReport {
            ended: HowItEnded::Limit,
            failures: vec!["a: b".into()],
            pending: vec!["two\nlines".into()],
            observed: vec!["published: t x".into(), "board: pin LED = 1".into()],
            others: vec!["pub.py | hello".into()],
        };
        report.write(&path);
        let back = HarnessReport::read(&path).unwrap();
        assert_eq!(back.ended, HowItEnded::Limit);
        assert_eq!(back.failures, ["a: b"]);
        assert_eq!(back.pending, ["two lines"]);
        assert_eq!(back.observed, ["published: t x", "board: pin LED = 1"]);
        assert_eq!(back.others, ["pub.py | hello"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
