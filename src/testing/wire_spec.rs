//! The `.wire` file: what the test broker sends a script and what it expects the script to
//! publish. One directive per line; `#` starts a comment.
//!
//! ```text
//! limit 5s                                   # end the test after 5 s (default 10 s)
//! on subscribe raspberry/mqtt: send raspberry/mqtt {"msg":"hello"}
//! on connect +200ms: send cmd/led "on" qos=1 retain
//! on start +1s: send cmd/led off             # 1 s after the script started
//! expect sensors/temp "21.5"                 # the script must publish this ...
//! expect sensors/+ * x3                      # ... then 3 more on sensors/+, any payload
//! ```
//!
//! Words are separated by blanks; a word with blanks (or empty) is written in double quotes,
//! where `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH` are escapes. Everything else is taken as
//! written, so JSON payloads need no quoting.

use std::fmt;
use std::time::Duration;

/// When a stimulus is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Before the script starts (with a delay: that long after it started).
    Start,
    /// When the script's client has connected (its first `connect()`).
    Connect,
    /// When the script has subscribed to exactly this filter.
    Subscribe(String),
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Start => f.write_str("start"),
            Trigger::Connect => f.write_str("connect"),
            Trigger::Subscribe(filter) => write!(f, "subscribe {filter}"),
        }
    }
}

/// A message the test broker publishes to the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stimulus {
    pub line: usize,
    pub trigger: Trigger,
    pub delay: Duration,
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

/// Messages the script must publish: `count` on topics matching `topic` (a filter), with
/// this payload (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub line: usize,
    pub topic: String,
    pub payload: Option<Vec<u8>>,
    pub count: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireSpec {
    pub limit: Option<Duration>,
    pub sends: Vec<Stimulus>,
    pub expects: Vec<Expectation>,
}

impl WireSpec {
    /// Whether the test says what must happen on the wire (and so when the script is done).
    pub fn has_wire_activity(&self) -> bool {
        !self.sends.is_empty() || !self.expects.is_empty()
    }
}

/// A line the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SpecError {}

/// Reads and parses a `.wire` file; the error names the file (and the line).
pub fn read(path: &std::path::Path) -> Result<WireSpec, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<WireSpec, SpecError> {
    let mut spec = WireSpec::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fail = |message: String| SpecError { line, message };
        let words = tokenize(raw).map_err(fail)?;
        let Some(first) = words.first() else {
            continue;
        };
        match first.as_bare() {
            Some("limit") => {
                let [_, value] = words.as_slice() else {
                    return Err(fail("expected `limit DURATION`, e.g. `limit 5s`".into()));
                };
                let limit = duration(value).map_err(fail)?;
                if limit.is_zero() {
                    return Err(fail("the limit must be more than 0".into()));
                }
                spec.limit = Some(limit);
            }
            Some("on") => spec.sends.push(stimulus(line, &words[1..]).map_err(fail)?),
            Some("expect") => spec
                .expects
                .push(expectation(line, &words[1..]).map_err(fail)?),
            _ => {
                return Err(fail(format!(
                    "unknown directive {}: expected `limit`, `on` or `expect`",
                    first.show()
                )));
            }
        }
    }
    Ok(spec)
}

/// `TRIGGER [+DELAY]: send TOPIC PAYLOAD [qos=N] [retain]`
fn stimulus(line: usize, words: &[Word]) -> Result<Stimulus, String> {
    const FORM: &str = "expected `on start|connect|subscribe FILTER [+DELAY]: send TOPIC PAYLOAD \
                        [qos=N] [retain]`";
    let colon = words
        .iter()
        .position(|w| *w == Word::Colon)
        .ok_or_else(|| format!("missing ':' after the trigger; {FORM}"))?;
    let (when, action) = (&words[..colon], &words[colon + 1..]);
    let (when, delay) = match when.split_last() {
        Some((last, rest)) if last.as_bare().is_some_and(|w| w.starts_with('+')) => {
            let text = last.as_bare().unwrap_or_default();
            (rest, duration(&Word::Bare(text[1..].to_string()))?)
        }
        _ => (when, Duration::ZERO),
    };
    let trigger = match when {
        [w] if w.as_bare() == Some("start") => Trigger::Start,
        [w] if w.as_bare() == Some("connect") => Trigger::Connect,
        [w, filter] if w.as_bare() == Some("subscribe") => {
            let filter = filter.text()?;
            check_filter(&filter)?;
            Trigger::Subscribe(filter)
        }
        _ => return Err(format!("unknown trigger; {FORM}")),
    };
    let [verb, topic, payload, options @ ..] = action else {
        return Err(FORM.into());
    };
    if verb.as_bare() != Some("send") {
        return Err(format!("expected `send` after ':'; {FORM}"));
    }
    let topic = topic.text()?;
    if topic.is_empty() || topic.contains(['+', '#']) {
        return Err(format!(
            "cannot send to {topic:?}: a topic name must be non-empty, without + or #"
        ));
    }
    let mut message = Stimulus {
        line,
        trigger,
        delay,
        topic,
        payload: payload.bytes(),
        qos: 0,
        retain: false,
    };
    for option in options {
        match option.as_bare() {
            Some("retain") => message.retain = true,
            Some("qos=0") => message.qos = 0,
            Some("qos=1") => message.qos = 1,
            Some("qos=2") => message.qos = 2,
            _ => {
                return Err(format!(
                    "unknown option {}: expected qos=0, qos=1, qos=2 or retain",
                    option.show()
                ));
            }
        }
    }
    Ok(message)
}

/// `TOPIC PAYLOAD [xN]`, PAYLOAD `*` meaning any.
fn expectation(line: usize, words: &[Word]) -> Result<Expectation, String> {
    const FORM: &str = "expected `expect TOPIC PAYLOAD [xN]` (PAYLOAD * for any)";
    let (topic, payload, count) = match words {
        [topic, payload] => (topic, payload, 1),
        [topic, payload, count] => {
            let count = count
                .as_bare()
                .and_then(|c| c.strip_prefix('x'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("bad count {}: {FORM}, N from 1", count.show()))?;
            (topic, payload, count)
        }
        _ => return Err(FORM.into()),
    };
    let topic = topic.text()?;
    check_filter(&topic)?;
    let payload = match payload {
        Word::Bare(star) if star == "*" => None,
        other => Some(other.bytes()),
    };
    Ok(Expectation {
        line,
        topic,
        payload,
        count,
    })
}

fn check_filter(filter: &str) -> Result<(), String> {
    if rumqttc::valid_filter(filter) {
        Ok(())
    } else {
        Err(format!("{filter:?} is not a valid topic filter"))
    }
}

/// `500ms`, `2s`, `1.5s`, `1m`.
fn duration(word: &Word) -> Result<Duration, String> {
    let text = word.as_bare().unwrap_or_default();
    let bad = || {
        format!(
            "bad duration {}: write e.g. 500ms, 2s, 1.5s or 1m",
            word.show()
        )
    };
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|at| text.split_at(at))
        .ok_or_else(bad)?;
    let number: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| bad())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Bare(String),
    Quoted(Vec<u8>),
    /// The ':' that ends an `on` trigger.
    Colon,
}

impl Word {
    fn as_bare(&self) -> Option<&str> {
        match self {
            Word::Bare(s) => Some(s),
            _ => None,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Word::Bare(s) => s.as_bytes().to_vec(),
            Word::Quoted(b) => b.clone(),
            Word::Colon => b":".to_vec(),
        }
    }

    /// As a topic: UTF-8 text.
    fn text(&self) -> Result<String, String> {
        String::from_utf8(self.bytes()).map_err(|_| "a topic must be UTF-8".to_string())
    }

    fn show(&self) -> String {
        match self {
            Word::Bare(s) => format!("`{s}`"),
            Word::Quoted(b) => format!("{:?}", String::from_utf8_lossy(b)),
            Word::Colon => "`:`".into(),
        }
    }
}

fn tokenize(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            break;
        } else if c == '"' {
            chars.next();
            words.push(Word::Quoted(quoted(&mut chars)?));
            if chars.next_if(|&(_, c)| c == ':').is_some() {
                words.push(Word::Colon);
            }
        } else {
            let mut end = line.len();
            while let Some(&(at, c)) = chars.peek() {
                if c.is_whitespace() {
                    end = at;
                    break;
                }
                chars.next();
            }
            let word = &line[start..end];
            match word.strip_suffix(':') {
                Some("") => words.push(Word::Colon),
                Some(before) => {
                    words.push(Word::Bare(before.to_string()));
                    words.push(Word::Colon);
                }
                None => words.push(Word::Bare(word.to_string())),
            }
        }
    }
    Ok(words)
}

fn quoted(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let Some((_, c)) = chars.next() else {
            return Err("a quoted word is not closed with '\"'".into());
        };
        match c {
            '"' => return Ok(out),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push(b'\n'),
                Some('r') => out.push(b'\r'),
                Some('t') => out.push(b'\t'),
                Some('"') => out.push(b'"'),
                Some('\\') => out.push(b'\\'),
                Some('x') => {
                    let hex: String = (0..2)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    let byte = u8::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == 2)
                        .ok_or_else(|| format!("bad escape \\x{hex}: expected two hex digits"))?;
                    out.push(byte);
                }
                other => {
                    return Err(format!(
                        "unknown escape \\{}: use \\\" \\\\ \\n \\r \\t or \\xHH",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            },
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let spec = parse(
            "# comment\n\
             limit 5s\n\
             on subscribe raspberry/mqtt: send raspberry/mqtt {\"msg\":\"hello\"}\n\
             on connect +200ms: send cmd/led \"on\" qos=1 retain\n\
             on start +1s: send cmd/led off   # trailing comment\n\
             expect sensors/temp \"21.5\"\n\
             expect sensors/+ * x3\n",
        )
        .unwrap();
        assert_eq!(spec.limit, Some(Duration::from_secs(5)));
        assert_eq!(spec.sends.len(), 3);
        assert_eq!(
            spec.sends[0].trigger,
            Trigger::Subscribe("raspberry/mqtt".into())
        );
        assert_eq!(spec.sends[0].payload, br#"{"msg":"hello"}"#);
        assert_eq!(spec.sends[1].delay, Duration::from_millis(200));
        assert!(spec.sends[1].retain);
        assert_eq!(spec.sends[1].qos, 1);
        assert_eq!(spec.sends[2].trigger, Trigger::Start);
        assert_eq!(spec.sends[2].payload, b"off");
        assert_eq!(spec.expects[0].payload.as_deref(), Some(&b"21.5"[..]));
        assert_eq!(spec.expects[1].payload, None);
        assert_eq!(spec.expects[1].count, 3);
        assert_eq!(spec.expects[1].line, 7);
    }

    #[test]
    fn quoted_words_take_escapes_and_a_colon() {
        let spec = parse("on subscribe \"a b\": send t \"x\\n\\\"y\\x00\"\n").unwrap();
        assert_eq!(spec.sends[0].trigger, Trigger::Subscribe("a b".into()));
        assert_eq!(spec.sends[0].payload, b"x\n\"y\0");
        let spec = parse("on start: send t \"\"").unwrap();
        assert_eq!(spec.sends[0].payload, b"");
    }

    #[test]
    fn mistakes_name_their_line() {
        let cases = [
            ("limit", "limit DURATION"),
            ("limit 5 s", "limit DURATION"),
            ("limit 5parsecs", "bad duration"),
            ("limit 0s", "more than 0"),
            ("on start send t x", "missing ':'"),
            ("on later: send t x", "unknown trigger"),
            ("on start: publish t x", "expected `send`"),
            ("on start: send t/# x", "topic name"),
            ("on start: send t x qos=3", "unknown option"),
            ("on subscribe a/#/b: send t x", "not a valid topic filter"),
            ("expect t", "expect TOPIC PAYLOAD"),
            ("expect t x x0", "bad count"),
            ("expect t \"open", "not closed"),
            ("expect t \"\\q\"", "unknown escape"),
            ("send t x", "unknown directive"),
        ];
        for (text, needle) in cases {
            let err = parse(&format!("# first\n{text}\n")).unwrap_err();
            assert_eq!(err.line, 2, "{text}");
            assert!(err.message.contains(needle), "{text}: {}", err.message);
        }
    }
}
