//! Running `pymqtt test` and reading its report: each test's block is its result line
//! (`PASS    name (0.1s)`) and the indented lines below it.

use std::path::Path;
use std::time::Duration;

use super::processes::{Finished, Pymqtt};

/// Long enough for any of these runs; only a broken runner takes it.
const RUN: Duration = Duration::from_secs(60);

/// `pymqtt test ARGS` in `dir`.
pub fn pymqtt_test(dir: &Path, args: &[&str]) -> Finished {
    Pymqtt::new().arg("test").args(args).cwd(dir).run(RUN)
}

/// The lines of a test's block in the report: its result line and the indented lines below.
pub fn block<'a>(run: &'a Finished, name: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no result line for {name}\n{}", run.describe()));
    let mut out = vec![lines[start]];
    out.extend(
        lines[start + 1..]
            .iter()
            .take_while(|l| l.starts_with("    ")),
    );
    out
}

/// The test's verdict: `PASS`, `FAIL`, `TIMEOUT`, `CRASH` or `ERROR`.
pub fn verdict<'a>(run: &'a Finished, name: &str) -> &'a str {
    block(run, name)[0]
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

pub fn assert_block_has(run: &Finished, name: &str, needle: &str) {
    let lines = block(run, name);
    assert!(
        lines.iter().any(|l| l.contains(needle)),
        "{name}'s report has no {needle:?}:\n{}\n\n{}",
        lines.join("\n"),
        run.describe()
    );
}

/// How long the test took, as its result line says (`PASS    name (0.4s)`).
pub fn seconds(run: &Finished, name: &str) -> f64 {
    block(run, name)[0]
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration for {name}\n{}", run.describe()))
}
