//! What `pymqtt test` prints: a line per test as it finishes (with the reasons and the diff
//! under a failure), a progress line on an interactive terminal, and the final count.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::discover::TestCase;
use super::outcome::{Outcome, Verdict};
use super::runner::RunEvent;

pub struct Console {
    total: usize,
    finished: usize,
    running: Vec<String>,
    /// Whether to draw the progress line (standard error is a terminal).
    progress: bool,
    /// Whether the verdicts are in colour: standard output is a terminal and `NO_COLOR`
    /// (no-color.org) is not set. Never in a pipe or a CI log file.
    colour: bool,
}

impl Console {
    pub fn new(total: usize) -> Console {
        Console {
            total,
            finished: 0,
            running: Vec::new(),
            progress: std::io::stderr().is_terminal(),
            colour: crate::terminal_style::colour_for(std::io::stdout().is_terminal()),
        }
    }

    pub fn on_event(&mut self, event: RunEvent) {
        match event {
            RunEvent::Started(case) => self.running.push(case.name()),
            RunEvent::Finished(outcome) => {
                self.finished += 1;
                let name = outcome.case.name();
                self.running.retain(|n| *n != name);
                self.clear_progress();
                let mut out = std::io::stdout().lock();
                let text = result_text(&outcome);
                let text = if self.colour {
                    coloured(&text, outcome.verdict)
                } else {
                    text
                };
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
        }
        self.draw_progress();
    }

    fn clear_progress(&self) {
        if self.progress {
            eprint!("\r\x1b[K");
        }
    }

    fn draw_progress(&self) {
        if !self.progress || self.finished == self.total {
            return;
        }
        let mut line = format!(
            "[{}/{}] running {}",
            self.finished,
            self.total,
            self.running.join(", ")
        );
        if line.chars().count() > 78 {
            line = line.chars().take(75).collect::<String>() + "...";
        }
        eprint!("\r\x1b[K{line}");
        let _ = std::io::stderr().flush();
    }

    /// The final count, e.g. `3 passed, 1 failed (1 timed out)`.
    pub fn summary(outcomes: &[Outcome], elapsed: Duration) -> String {
        let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
        let passed = count(Verdict::Pass);
        let failed = outcomes.len() - passed;
        let mut kinds = Vec::new();
        for (verdict, word) in [
            (Verdict::Timeout, "timed out"),
            (Verdict::Crash, "crashed"),
            (Verdict::Error, "could not run"),
        ] {
            let n = count(verdict);
            if n > 0 {
                kinds.push(format!("{n} {word}"));
            }
        }
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        };
        format!(
            "{passed} passed, {failed} failed{kinds} in {:.1}s",
            elapsed.as_secs_f64()
        )
    }
}

/// `PASS  name (0.4s)`, and for a failure the reason, the details and the diff (or, for a
/// crash without an expected output, what the script printed: its traceback).
pub fn result_text(outcome: &Outcome) -> String {
    let mut text = format!(
        "{:<7} {} ({:.1}s){}\n",
        outcome.verdict.label(),
        outcome.case.name(),
        outcome.elapsed.as_secs_f64(),
        if outcome.updated {
            format!(", wrote {}", file_name(&outcome.case))
        } else {
            String::new()
        }
    );
    if outcome.verdict == Verdict::Pass {
        return text;
    }
    for line in outcome.reason.lines() {
        text.push_str(&format!("    {line}\n"));
    }
    for detail in &outcome.details {
        text.push_str(&format!("    {detail}\n"));
    }
    match &outcome.diff {
        Some(diff) => {
            for line in diff.lines() {
                text.push_str(&format!("    {line}\n"));
            }
        }
        // What a crashed or stuck script printed last says why (its traceback, say).
        None if !outcome.output.is_empty()
            && matches!(outcome.verdict, Verdict::Crash | Verdict::Timeout) =>
        {
            text.push_str("    output:\n");
            for line in outcome.output.lines() {
                text.push_str(&format!("    | {line}\n"));
            }
        }
        None => {}
    }
    text
}

/// `text` with its verdict (the first word) in the verdict's colour: green for PASS, red
/// for the rest, yellow for TIMEOUT.
fn coloured(text: &str, verdict: Verdict) -> String {
    let code = match verdict {
        Verdict::Pass => "32",
        Verdict::Timeout => "33",
        _ => "31",
    };
    let label = verdict.label();
    match text.strip_prefix(label) {
        Some(rest) => format!("{}{rest}", crate::terminal_style::paint(label, code)),
        None => text.to_owned(),
    }
}

fn file_name(case: &TestCase) -> String {
    case.expected
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod colour_tests {
    use super::coloured;
    use crate::testing::outcome::Verdict;

    #[test]
    fn only_the_verdict_is_coloured() {
        assert_eq!(
            coloured("PASS    a.py (0.1s)\n", Verdict::Pass),
            "\x1b[32;1mPASS\x1b[0m    a.py (0.1s)\n"
        );
        assert_eq!(
            coloured("FAIL    b.py (0.1s)\n    why\n", Verdict::Fail),
            "\x1b[31;1mFAIL\x1b[0m    b.py (0.1s)\n    why\n"
        );
        assert!(coloured("TIMEOUT c.py\n", Verdict::Timeout).starts_with("\x1b[33;1m"));
    }
}
