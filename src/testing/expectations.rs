//! Checks what the script published against a `.wire` file's `expect` lines.
//!
//! The `expect` lines, each repeated its count, form one sequence. The script's messages on
//! topics that some `expect` line matches must be exactly that sequence, in that order;
//! messages on other topics are recorded (for the report) but not judged.

use super::wire_spec::Expectation;

/// A message the script published, as the test broker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Published {
    pub fn describe(&self) -> String {
        format!(
            "{} {}{}",
            self.topic,
            show_payload(&self.payload),
            if self.retain { " (retained)" } else { "" }
        )
    }
}

#[derive(Debug)]
pub struct ExpectationCheck {
    /// The expected sequence: each `expect` line, repeated its count.
    sequence: Vec<Expectation>,
    matched: usize,
    problems: Vec<String>,
    published: Vec<Published>,
}

impl ExpectationCheck {
    pub fn new(expects: &[Expectation]) -> ExpectationCheck {
        let sequence = expects
            .iter()
            .flat_map(|e| std::iter::repeat_n(e.clone(), e.count))
            .collect();
        ExpectationCheck {
            sequence,
            matched: 0,
            problems: Vec::new(),
            published: Vec::new(),
        }
    }

    /// Takes the next message the script published.
    pub fn observe(&mut self, message: Published) {
        let judged = self
            .sequence
            .iter()
            .any(|e| rumqttc::matches(&message.topic, &e.topic));
        if judged && self.problems.is_empty() {
            match self.sequence.get(self.matched) {
                Some(expected) if accepts(expected, &message) => self.matched += 1,
                Some(expected) => self.problems.push(format!(
                    "line {}: expected message {} of {}, `{}`, but the script published {}",
                    expected.line,
                    self.matched + 1,
                    self.sequence.len(),
                    describe_expected(expected),
                    message.describe()
                )),
                None => self.problems.push(format!(
                    "the script published {} after all {} expected messages",
                    message.describe(),
                    self.sequence.len()
                )),
            }
        }
        self.published.push(message);
    }

    /// Every expected message was published, and nothing judged went wrong.
    pub fn met(&self) -> bool {
        self.matched == self.sequence.len() && self.problems.is_empty()
    }

    /// A wrong or extra message was published: the test has failed, whatever comes next.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The wrong and extra messages, described.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The next expected message that has not come (while nothing went wrong).
    pub fn missing(&self) -> Option<String> {
        let next = self.sequence.get(self.matched).filter(|_| !self.failed())?;
        Some(format!(
            "line {}: the script has not published message {} of {}, `{}`",
            next.line,
            self.matched + 1,
            self.sequence.len(),
            describe_expected(next)
        ))
    }

    /// Everything the script published, in order.
    pub fn published(&self) -> &[Published] {
        &self.published
    }
}

fn accepts(expected: &Expectation, message: &Published) -> bool {
    rumqttc::matches(&message.topic, &expected.topic)
        && expected
            .payload
            .as_ref()
            .is_none_or(|payload| *payload == message.payload)
}

fn describe_expected(e: &Expectation) -> String {
    match &e.payload {
        Some(payload) => format!("{} {}", e.topic, show_payload(payload)),
        None => format!("{} *", e.topic),
    }
}

/// A payload as the `.wire` format would write it: bare when it can be, else quoted.
pub fn show_payload(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(text)
            if !text.is_empty()
                && text != "*"
                && !text.starts_with('"')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            text.to_string()
        }
        _ => {
            let mut out = String::from('"');
            for chunk in payload.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                        c => out.push(c),
                    }
                }
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            out.push('"');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::wire_spec::parse;

    fn published(topic: &str, payload: &str) -> Published {
        Published {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec(),
            retain: false,
        }
    }

    fn check(spec: &str) -> ExpectationCheck {
        ExpectationCheck::new(&parse(spec).unwrap().expects)
    }

    #[test]
    fn a_sequence_in_order_is_met_and_other_topics_are_ignored() {
        let mut c = check("expect a/b one\nexpect a/+ * x2\n");
        c.observe(published("a/b", "one"));
        c.observe(published("other", "noise"));
        assert!(!c.met());
        c.observe(published("a/c", "x"));
        c.observe(published("a/d", "y"));
        assert!(c.met(), "{:?}", c.missing());
        assert_eq!(c.published().len(), 4);
    }

    #[test]
    fn a_wrong_or_extra_message_fails_and_says_which() {
        let mut c = check("expect t one\nexpect t two\n");
        c.observe(published("t", "two"));
        let problems = c.problems();
        assert!(problems[0].contains("line 1"), "{problems:?}");
        assert!(problems[0].contains("t two"), "{problems:?}");
        assert!(c.failed());
        assert_eq!(c.missing(), None);

        let mut c = check("expect t one\n");
        c.observe(published("t", "one"));
        c.observe(published("t", "one"));
        assert!(c.failed());
        assert!(c.problems()[0].contains("after all 1 expected"));
    }

    #[test]
    fn a_missing_message_is_named() {
        let mut c = check("expect t one\nexpect t two\n");
        c.observe(published("t", "one"));
        assert!(!c.failed());
        let missing = c.missing().unwrap();
        assert!(
            missing.contains("not published message 2 of 2, `t two`"),
            "{missing}"
        );
    }

    #[test]
    fn payloads_are_shown_as_the_format_writes_them() {
        assert_eq!(show_payload(br#"{"msg":"hello"}"#), r#"{"msg":"hello"}"#);
        assert_eq!(show_payload(b"a b"), r#""a b""#);
        assert_eq!(show_payload(b""), r#""""#);
        assert_eq!(show_payload(b"\xff\n"), r#""\xff\n""#);
    }
}
