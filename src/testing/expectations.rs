//! Checks what the script did against a `.wire` file's `expect` lines.
//!
//! The `expect` lines, each repeated its count, form one sequence. What the script did that
//! some `expect` line could match, its messages on topics an `expect TOPIC` line matches and
//! its changes of pins an `expect pin` line names, must be exactly that sequence, in that
//! order; messages on other topics and changes of other pins are recorded (for the report)
//! but not judged. The order is the script's (`script_order` makes it so).
//!
//! `unordered expect` lines stand apart: each is met once that many of the script's messages
//! matched it, whenever they came and whatever came between ("one ack, plus telemetry
//! whenever"). A message one of them takes is not judged by the sequence; more than it asks
//! for, and messages on its topic that do not match it, are recorded but not judged.

use super::payload_match::PayloadMatch;
use super::wire_spec::{Expectation, Expected};

/// A message the script published, as the test broker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The topic it went to.
    pub topic: String,
    /// The message.
    pub payload: Vec<u8>,
    /// The QoS and retain flag the script published it with.
    pub qos: u8,
    /// Whether the script asked the broker to retain it.
    pub retain: bool,
}

impl Published {
    /// As a report shows it: `TOPIC PAYLOAD`, and ` (retained)` for a retained one.
    pub fn describe(&self) -> String {
        format!(
            "{} {}{}",
            self.topic,
            show_payload(&self.payload),
            if self.retain { " (retained)" } else { "" }
        )
    }
}

/// Something the script did that an `expect` line may be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The script published a message.
    Message(Published),
    /// The script changed an output pin's level (the pin by the board's id for it).
    Output {
        /// The board's id for the pin.
        pin: String,
        /// The level it was set to: 0 or 1.
        level: u8,
    },
}

impl Observed {
    /// As the `.wire` format would write it: `t/x 21.5`, `pin LED = 1`.
    pub fn describe(&self) -> String {
        match self {
            Observed::Message(message) => message.describe(),
            Observed::Output { pin, level } => format!("pin {pin} = {level}"),
        }
    }

    fn as_deed(&self) -> String {
        match self {
            Observed::Message(message) => format!("the script published {}", message.describe()),
            Observed::Output { pin, level } => format!("the script set pin {pin} to {level}"),
        }
    }
}

/// The judge of a test's `expect` lines: takes what the script did, one thing at a time, and
/// says whether all that was expected happened and what went wrong.
#[derive(Debug)]
pub struct ExpectationCheck {
    /// The expected sequence: each `expect` line, repeated its count.
    sequence: Vec<Expectation>,
    matched: usize,
    /// The `unordered expect` lines, with how many messages each has taken.
    unordered: Vec<(Expectation, usize)>,
    problems: Vec<String>,
    observed: Vec<Observed>,
}

impl ExpectationCheck {
    /// `expects` with pins named by the board's ids
    /// ([`WireSpec::resolve_pins`](super::wire_spec::WireSpec::resolve_pins)).
    pub fn new(expects: &[Expectation]) -> ExpectationCheck {
        let sequence = expects
            .iter()
            .filter(|e| !e.unordered)
            .flat_map(|e| std::iter::repeat_n(e.clone(), e.count))
            .collect();
        let unordered = expects
            .iter()
            .filter(|e| e.unordered)
            .map(|e| (e.clone(), 0))
            .collect();
        ExpectationCheck {
            sequence,
            matched: 0,
            unordered,
            problems: Vec::new(),
            observed: Vec::new(),
        }
    }

    /// Takes the next thing the script did.
    pub fn observe(&mut self, observed: Observed) {
        if let Some((_, taken)) = self
            .unordered
            .iter_mut()
            .find(|(e, taken)| *taken < e.count && mismatch(e, &observed).is_none())
        {
            *taken += 1;
            self.observed.push(observed);
            return;
        }
        let judged = self.sequence.iter().any(|e| concerns(e, &observed));
        if judged && self.problems.is_empty() {
            match self.sequence.get(self.matched) {
                Some(expected) => match mismatch(expected, &observed) {
                    None => self.matched += 1,
                    Some(why) => self.problems.push(format!(
                        "line {}: expected {} {} of {}, `{}`, but {}{}",
                        expected.line,
                        noun(expected),
                        self.matched + 1,
                        self.sequence.len(),
                        describe_expected(expected),
                        observed.as_deed(),
                        why.map(|why| format!(" ({why})")).unwrap_or_default()
                    )),
                },
                None => self.problems.push(format!(
                    "{} after all {} expected {}",
                    observed.as_deed(),
                    self.sequence.len(),
                    self.plural_noun()
                )),
            }
        }
        self.observed.push(observed);
    }

    /// Everything expected happened, and nothing judged went wrong.
    pub fn met(&self) -> bool {
        self.matched == self.sequence.len()
            && self.problems.is_empty()
            && self.unordered.iter().all(|(e, taken)| *taken >= e.count)
    }

    /// Something wrong or extra happened: the test has failed, whatever comes next.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The wrong and extra messages and pin changes, described.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The next expected step that has not come (while nothing went wrong).
    pub fn missing(&self) -> Option<String> {
        if self.failed() {
            return None;
        }
        let verb = |e: &Expectation| match e.what {
            Expected::Message { .. } => "published",
            Expected::Output { .. } => "made",
        };
        if let Some(next) = self.sequence.get(self.matched) {
            return Some(format!(
                "line {}: the script has not {} {} {} of {}, `{}`",
                next.line,
                verb(next),
                noun(next),
                self.matched + 1,
                self.sequence.len(),
                describe_expected(next)
            ));
        }
        let (e, taken) = self.unordered.iter().find(|(e, taken)| *taken < e.count)?;
        Some(format!(
            "line {}: the script has {} only {taken} of {} {}, `{}` (unordered)",
            e.line,
            verb(e),
            e.count,
            if e.count == 1 { noun(e) } else { plural(e) },
            describe_expected(e)
        ))
    }

    /// Everything the script did, in order.
    pub fn observed(&self) -> &[Observed] {
        &self.observed
    }

    /// What the sequence is made of, for "after all N expected ...".
    fn plural_noun(&self) -> &'static str {
        let messages = self
            .sequence
            .iter()
            .any(|e| matches!(e.what, Expected::Message { .. }));
        let outputs = self
            .sequence
            .iter()
            .any(|e| matches!(e.what, Expected::Output { .. }));
        match (messages, outputs) {
            (true, true) => "messages and pin changes",
            (false, true) => "pin changes",
            _ => "messages",
        }
    }
}

/// Whether `observed` is the kind of thing `expected` judges (its topic, its pin).
fn concerns(expected: &Expectation, observed: &Observed) -> bool {
    match (&expected.what, observed) {
        (Expected::Message { topic, .. }, Observed::Message(message)) => {
            rumqttc::matches(&message.topic, topic)
        }
        (Expected::Output { pin, .. }, Observed::Output { pin: changed, .. }) => pin == changed,
        _ => false,
    }
}

/// `None` when `expected` takes `observed`; else `Some` of why not, when that is worth saying
/// (`Some(None)`: another topic, pin or level, which the deed itself shows).
fn mismatch(expected: &Expectation, observed: &Observed) -> Option<Option<String>> {
    if !concerns(expected, observed) {
        return Some(None);
    }
    match (&expected.what, observed) {
        (
            Expected::Message {
                payload,
                qos,
                retain,
                ..
            },
            Observed::Message(message),
        ) => {
            if let Err(why) = payload.check(&message.payload) {
                // "another payload" says nothing the two payloads side by side do not.
                let worth_saying = !matches!(payload, PayloadMatch::Exact(_));
                return Some(worth_saying.then_some(why));
            }
            if let Some(qos) = qos.filter(|q| *q != message.qos) {
                return Some(Some(format!("at QoS {}, not {qos}", message.qos)));
            }
            if *retain && !message.retain {
                return Some(Some("not retained".into()));
            }
            None
        }
        (Expected::Output { level, .. }, Observed::Output { level: set, .. }) if level == set => {
            None
        }
        _ => Some(None),
    }
}

fn noun(e: &Expectation) -> &'static str {
    match e.what {
        Expected::Message { .. } => "message",
        Expected::Output { .. } => "pin change",
    }
}

fn plural(e: &Expectation) -> &'static str {
    match e.what {
        Expected::Message { .. } => "messages",
        Expected::Output { .. } => "pin changes",
    }
}

fn describe_expected(e: &Expectation) -> String {
    match &e.what {
        Expected::Message {
            topic,
            payload,
            qos,
            retain,
        } => {
            let mut text = format!("{topic} {payload}");
            if let Some(qos) = qos {
                text.push_str(&format!(" qos={qos}"));
            }
            if *retain {
                text.push_str(" retain");
            }
            text
        }
        Expected::Output { pin, level } => format!("pin {pin} = {level}"),
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
    use crate::board::BoardKind;
    use crate::testing::wire_spec::parse;

    fn published(topic: &str, payload: &str) -> Observed {
        Observed::Message(Published {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec(),
            qos: 0,
            retain: false,
        })
    }

    fn output(pin: &str, level: u8) -> Observed {
        Observed::Output {
            pin: pin.into(),
            level,
        }
    }

    /// The check of `spec`'s expectations, on the default board (a Pico W).
    fn check(spec: &str) -> ExpectationCheck {
        let mut spec = parse(spec).unwrap();
        spec.resolve_pins(BoardKind::default_kind()).unwrap();
        ExpectationCheck::new(&spec.expects)
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
        assert_eq!(c.observed().len(), 4);
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
        assert!(c.problems()[0].contains("after all 1 expected messages"));
    }

    fn published_with(topic: &str, payload: &str, qos: u8, retain: bool) -> Observed {
        Observed::Message(Published {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec(),
            qos,
            retain,
        })
    }

    #[test]
    fn json_regex_qos_and_retain_judge_the_message_and_say_why_not() {
        let spec = "expect t/json json {\"temp\": 21.5}\nexpect t/re /^ok \\d+$/ qos=1 retain\n";
        let mut c = check(spec);
        c.observe(published("t/json", r#"{"temp": 21.50, "hum": 40}"#));
        c.observe(published_with("t/re", "ok 42", 1, true));
        assert!(c.met(), "{:?}", c.problems());

        let mut c = check(spec);
        c.observe(published("t/json", r#"{"temp": 22}"#));
        assert_eq!(
            c.problems(),
            [
                r#"line 1: expected message 1 of 2, `t/json json {"temp":21.5}`, but the script published t/json "{\"temp\": 22}" (`temp` is 22, not 21.5)"#
            ]
        );
        let mut c = check(spec);
        c.observe(published("t/json", r#"{"temp": 21.5}"#));
        c.observe(published_with("t/re", "ok 42", 0, true));
        assert!(
            c.problems()[0].ends_with("(at QoS 0, not 1)"),
            "{:?}",
            c.problems()
        );
        let mut c = check(spec);
        c.observe(published("t/json", r#"{"temp": 21.5}"#));
        c.observe(published_with("t/re", "ok 42", 1, false));
        assert!(
            c.problems()[0].ends_with("(not retained)"),
            "{:?}",
            c.problems()
        );
        let mut c = check(spec);
        c.observe(published("t/json", r#"{"temp": 21.5}"#));
        c.observe(published_with("t/re", "nope", 1, true));
        assert!(
            c.problems()[0].ends_with(r"(no match for /^ok \d+$/)"),
            "{:?}",
            c.problems()
        );
    }

    #[test]
    fn unordered_lines_take_their_messages_whenever_they_come() {
        let spec = "expect cmd/ack ok\nunordered expect telemetry/+ * x2\n";
        // Telemetry before, around and after the ack; more than asked for is not judged.
        let mut c = check(spec);
        c.observe(published("telemetry/t", "1"));
        assert!(!c.met());
        assert_eq!(
            c.missing().unwrap(),
            "line 1: the script has not published message 1 of 1, `cmd/ack ok`"
        );
        c.observe(published("cmd/ack", "ok"));
        assert_eq!(
            c.missing().unwrap(),
            "line 2: the script has published only 1 of 2 messages, `telemetry/+ *` (unordered)"
        );
        c.observe(published("telemetry/h", "2"));
        c.observe(published("telemetry/t", "3"));
        assert!(c.met(), "{:?}", c.problems());
        // The sequence is still judged: a wrong ack fails.
        let mut c = check(spec);
        c.observe(published("telemetry/t", "1"));
        c.observe(published("cmd/ack", "no"));
        assert!(c.failed());
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
    fn pin_changes_take_part_in_the_same_order_with_their_counts() {
        let spec = "expect sensors/temp *\nexpect pin LED = 1\nexpect pin GP15 = 0 x2\n";
        let mut c = check(spec);
        c.observe(published("sensors/temp", "21.5"));
        c.observe(output("3", 1));
        c.observe(output("LED", 1));
        c.observe(output("15", 0));
        assert!(!c.met());
        assert_eq!(
            c.missing().unwrap(),
            "line 3: the script has not made pin change 4 of 4, `pin 15 = 0`"
        );
        c.observe(output("15", 0));
        assert!(c.met(), "{:?}", c.problems());
        assert_eq!(c.observed().len(), 5, "pin 3 is recorded, not judged");

        // The LED before the message: the order is wrong.
        let mut c = check(spec);
        c.observe(output("LED", 1));
        assert_eq!(
            c.problems(),
            [
                "line 1: expected message 1 of 4, `sensors/temp *`, but the script set pin LED \
              to 1"
            ]
        );

        // The right pin at the wrong level, and a change too many.
        let mut c = check(spec);
        c.observe(published("sensors/temp", "21.5"));
        c.observe(output("LED", 0));
        assert_eq!(
            c.problems(),
            [
                "line 2: expected pin change 2 of 4, `pin LED = 1`, but the script set pin LED \
              to 0"
            ]
        );
        let mut c = check("expect pin LED = 1\n");
        c.observe(output("LED", 1));
        c.observe(output("LED", 0));
        assert_eq!(
            c.problems(),
            ["the script set pin LED to 0 after all 1 expected pin changes"]
        );
    }

    #[test]
    fn a_message_judged_by_no_line_does_not_disturb_the_pins() {
        let mut c = check("expect pin LED = 1\nexpect pin LED = 0\n");
        c.observe(output("LED", 1));
        c.observe(published("status", "on"));
        c.observe(output("LED", 0));
        assert!(c.met(), "{:?}", c.problems());
        assert_eq!(
            c.observed()
                .iter()
                .map(Observed::describe)
                .collect::<Vec<_>>(),
            ["pin LED = 1", "status on", "pin LED = 0"]
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
