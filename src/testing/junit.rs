//! `--junit FILE`: the results as JUnit XML, which CI systems (GitLab, Jenkins, GitHub
//! Actions through a reporter) show per test.

use std::fmt::Write as _;
use std::time::Duration;

use super::outcome::{Outcome, Verdict};

pub fn render(outcomes: &[Outcome], elapsed: Duration) -> String {
    let count = |f: &dyn Fn(&Verdict) -> bool| outcomes.iter().filter(|o| f(&o.verdict)).count();
    let failures = count(&|v| matches!(v, Verdict::Fail | Verdict::Timeout));
    let errors = count(&|v| matches!(v, Verdict::Crash | Verdict::Error));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"pymqtt test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"pymqtt\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{:.3}\">",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    for outcome in outcomes {
        let script = &outcome.case.script;
        let classname = script
            .parent()
            .map(|p| p.display().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".into());
        let name = script.file_name().unwrap_or_default().to_string_lossy();
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            escape(&name),
            escape(&classname),
            escape(&outcome.case.name()),
            outcome.elapsed.as_secs_f64()
        );
        let element = match outcome.verdict {
            Verdict::Pass => None,
            Verdict::Fail => Some(("failure", "failure")),
            Verdict::Timeout => Some(("failure", "timeout")),
            Verdict::Crash => Some(("error", "crash")),
            Verdict::Error => Some(("error", "error")),
        };
        xml.push_str(">\n");
        if let Some((tag, kind)) = element {
            let mut body = outcome.details.join("\n");
            if let Some(diff) = &outcome.diff {
                body.push('\n');
                body.push_str(diff);
            }
            let _ = writeln!(
                xml,
                "      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>",
                escape(&outcome.reason),
                escape(body.trim())
            );
        }
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>\n    </testcase>",
            escape(&outcome.output)
        );
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot hold
/// (most control characters) become `\xHH`, so a script printing binary junk still gives
/// a file CI can parse.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(escape("x\u{1}y\nz"), "x\\x01y\nz");
    }
}
