//! The `.wire` file: what the test broker sends a script, what the test does to the board the
//! script runs on, and what it expects the script to publish and the board's outputs to do.
//! One directive per line; `#` starts a comment.
//!
//! ```text
//! limit 5s                                   # end the test after 5 s (default 10 s)
//! clock virtual                              # time jumps while the script waits
//! on subscribe raspberry/mqtt: send raspberry/mqtt {"msg":"hello"}
//! on connect +200ms: send cmd/led "on" qos=1 retain
//! on start +1s: send cmd/led off             # 1 s after the script started
//! on +300ms: pin GP14 = 0                    # `on +DELAY` is short for `on start +DELAY`
//! on +2s: sensor dht 4 temperature=30 humidity=55
//! on start +1s: adc 26 = 1000
//! on connect +200ms: wifi drop 1s
//! expect sensors/temp "21.5"                 # the script must publish this ...
//! expect sensors/+ * x3                      # ... then 3 more on sensors/+, any payload
//! expect pin LED = 1                         # ... then drive the LED high
//! ```
//!
//! Words are separated by blanks; a word with blanks (or empty) is written in double quotes,
//! where `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH` are escapes. Everything else is taken as
//! written, so JSON payloads need no quoting.
//!
//! Pin names are kept as written: which pin `LED` or `D4` is depends on the board, which is
//! known only when the test runs (its `board.toml`). [`WireSpec::resolve_pins`] turns them
//! into the board's pin ids, or says which line names a pin the board lacks.

use std::fmt;
use std::time::Duration;

use super::payload_match::PayloadMatch;
use crate::board::BoardKind;
use crate::board::file::SENSOR_DRIVERS;

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

/// Something the test does to the script's world once its trigger and delay have passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    /// The `.wire` line it comes from, counted from 1.
    pub line: usize,
    /// The event it waits for.
    pub trigger: Trigger,
    /// How long after its trigger it happens.
    pub delay: Duration,
    /// What it does.
    pub action: Action,
}

impl Stimulus {
    /// The message this stimulus publishes, if it is a `send`.
    pub fn message(&self) -> Option<&Message> {
        match &self.action {
            Action::Send(message) => Some(message),
            _ => None,
        }
    }
}

/// What a stimulus does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `send TOPIC PAYLOAD [qos=N] [retain]`: the test broker publishes to the script.
    Send(Message),
    /// `pin NAME = 0|1`: the outside world puts a level on an input.
    Pin {
        /// The input, by name until [`WireSpec::resolve_pins`], then by the board's id.
        pin: String,
        /// The level put on it: 0 or 1.
        level: u8,
    },
    /// `adc NAME = N`: what an analog input reads from now on.
    Adc {
        /// The analog input, named as for `pin`.
        pin: String,
        /// What it reads, 0 to 65535 (`read_u16()`'s scale).
        value: u16,
    },
    /// `sensor DRIVER PIN QUANTITY=VALUE...`: what a sensor reads from now on.
    Sensor {
        /// The sensor's driver, as the board file names it (`dht`, ...).
        driver: String,
        /// The pin the sensor is on, named as for `pin`.
        pin: String,
        /// Each quantity it reports and its value, in the order written.
        readings: Vec<(String, f64)>,
    },
    /// `wifi drop DURATION`: every network is out of reach that long.
    WifiDrop(Duration),
    /// `broker restart`, `broker down DURATION`, `drop`, `withhold acks DURATION`.
    Broker(BrokerFault),
    /// `run OTHER.py [ARGS]`: another script of the test, against the same broker.
    Run {
        /// The script, as the line names it.
        script: String,
        /// Its `sys.argv[1:]`.
        args: Vec<String>,
    },
}

/// What the test broker does to the script's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerFault {
    /// It restarts without persistence: connections cut, sessions and retained messages gone.
    Restart,
    /// It is gone that long: connections cut, new ones closed at once.
    Down(Duration),
    /// It closes the script's connections, as a NAT timeout would.
    Drop,
    /// Its PUBACKs, SUBACKs (all its acks) wait that long.
    WithholdAcks(Duration),
}

impl fmt::Display for Action {
    /// As the `.wire` line writes it (a `send`'s payload left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Send(message) => write!(f, "send {}", message.topic),
            Action::Pin { pin, level } => write!(f, "pin {pin} = {level}"),
            Action::Adc { pin, value } => write!(f, "adc {pin} = {value}"),
            Action::Sensor {
                driver,
                pin,
                readings,
            } => {
                write!(f, "sensor {driver} {pin}")?;
                for (quantity, value) in readings {
                    write!(f, " {quantity}={value}")?;
                }
                Ok(())
            }
            Action::WifiDrop(duration) => write!(f, "wifi drop {}s", duration.as_secs_f64()),
            Action::Broker(BrokerFault::Restart) => f.write_str("broker restart"),
            Action::Broker(BrokerFault::Down(d)) => write!(f, "broker down {}s", d.as_secs_f64()),
            Action::Broker(BrokerFault::Drop) => f.write_str("drop"),
            Action::Broker(BrokerFault::WithholdAcks(d)) => {
                write!(f, "withhold acks {}s", d.as_secs_f64())
            }
            Action::Run { script, args } => {
                write!(f, "run {script}")?;
                args.iter().try_for_each(|a| write!(f, " {a}"))
            }
        }
    }
}

/// A message the test broker publishes to the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic it is published to.
    pub topic: String,
    /// The message.
    pub payload: Vec<u8>,
    /// Its QoS (`qos=N`; 0 when the line names none).
    pub qos: u8,
    /// Whether it is published retained (`retain`).
    pub retain: bool,
}

/// Something the script must do, `count` times in a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The `.wire` line it comes from, counted from 1.
    pub line: usize,
    /// What the script must do.
    pub what: Expected,
    /// How many times (`xN`; 1 when the line says nothing).
    pub count: usize,
    /// `unordered expect ...`: judged apart from the sequence of the other `expect` lines,
    /// its `count` messages may come whenever.
    pub unordered: bool,
}

/// What an `expect` line asks of the script.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// `expect TOPIC PAYLOAD [qos=N] [retain]`: a message on a topic matching `topic` (a
    /// filter), its payload as `payload` says, published with that QoS and retain flag when
    /// the line names them.
    Message {
        /// The topic filter the message's topic must match.
        topic: String,
        /// What its payload must be.
        payload: PayloadMatch,
        /// The QoS it must have been published with, when the line names one.
        qos: Option<u8>,
        /// `retain` on the line: it must have been published retained.
        retain: bool,
    },
    /// `expect pin NAME = 0|1`: the script drives output `pin` to `level` (one change).
    Output {
        /// The output, by name until [`WireSpec::resolve_pins`], then by the board's id.
        pin: String,
        /// The level it must be driven to: 0 or 1.
        level: u8,
    },
}

/// A `.wire` file, read: the test's limit and clock, its stimuli and its expectations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireSpec {
    /// `limit DURATION`: when the test ends; none: the runner's default.
    pub limit: Option<Duration>,
    /// `clock virtual`: the script's time jumps while it waits (src/host/clock.rs); the
    /// limit and every delay are in that time.
    pub virtual_clock: bool,
    /// The `on` and `run` lines, in file order.
    pub stimuli: Vec<Stimulus>,
    /// The `expect` and `unordered expect` lines, in file order.
    pub expects: Vec<Expectation>,
}

impl WireSpec {
    /// Whether the test says what must happen (and so when the script is done).
    pub fn has_wire_activity(&self) -> bool {
        !self.stimuli.is_empty() || !self.expects.is_empty()
    }

    /// Replaces every pin name with the id of the pin it names on a board of `kind` (`GP15`
    /// is `15` on a Pico W, `D4` is `2` on an ESP8266), as the board's events name pins. The
    /// error names the first line whose pin the board lacks.
    pub fn resolve_pins(&mut self, kind: &BoardKind) -> Result<(), SpecError> {
        let resolve = |line: usize, pin: &mut String| {
            let id = kind.pin_id(pin).ok_or_else(|| SpecError {
                line,
                message: format!("{} has no pin {pin:?}", kind.name),
            })?;
            *pin = id;
            Ok(())
        };
        // In file order, so the error is the first such line.
        let mut pins: Vec<(usize, &mut String)> = Vec::new();
        for stimulus in &mut self.stimuli {
            match &mut stimulus.action {
                Action::Pin { pin, .. } | Action::Adc { pin, .. } | Action::Sensor { pin, .. } => {
                    pins.push((stimulus.line, pin));
                }
                Action::Send(_) | Action::WifiDrop(_) | Action::Broker(_) | Action::Run { .. } => {}
            }
        }
        for expectation in &mut self.expects {
            if let Expected::Output { pin, .. } = &mut expectation.what {
                pins.push((expectation.line, pin));
            }
        }
        pins.sort_by_key(|(line, _)| *line);
        pins.into_iter()
            .try_for_each(|(line, pin)| resolve(line, pin))
    }
}

/// A line the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong with it.
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
    parse_all(&text).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {e}", path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Reads and parses a `.wire` file's text; the first mistake is the error.
pub fn parse(text: &str) -> Result<WireSpec, SpecError> {
    parse_all(text).map_err(|mut errors| errors.remove(0))
}

/// Like [`parse`], but every mistake is an error, each naming its line: a test with a bad
/// `.wire` file reports all its bad lines at once.
pub fn parse_all(text: &str) -> Result<WireSpec, Vec<SpecError>> {
    let mut spec = WireSpec::default();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if let Err(message) = parse_line(&mut spec, line, raw) {
            errors.push(SpecError { line, message });
        }
    }
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(errors)
    }
}

fn parse_line(spec: &mut WireSpec, line: usize, raw: &str) -> Result<(), String> {
    let words = with_raw_payload(raw, tokenize_at(raw)?);
    let Some(first) = words.first() else {
        return Ok(());
    };
    match first.as_bare() {
        Some("limit") => {
            let [_, value] = words.as_slice() else {
                return Err("expected `limit DURATION`, e.g. `limit 5s`".into());
            };
            let limit = limit_duration(value)?;
            if limit.is_zero() {
                return Err("the limit must be more than 0".into());
            }
            spec.limit = Some(limit);
        }
        Some("clock") => match words.get(1).and_then(Word::as_bare) {
            Some("virtual") if words.len() == 2 => spec.virtual_clock = true,
            Some("real") if words.len() == 2 => spec.virtual_clock = false,
            _ => return Err("expected `clock virtual` or `clock real`".into()),
        },
        Some("on") => spec.stimuli.push(stimulus(line, &words[1..])?),
        // `run OTHER.py` alone: as the test starts.
        Some("run") => spec.stimuli.push(Stimulus {
            line,
            trigger: Trigger::Start,
            delay: Duration::ZERO,
            action: run(&words[1..])?,
        }),
        Some("expect") => spec.expects.push(expectation(line, &words[1..], false)?),
        Some("unordered") if words.get(1).and_then(Word::as_bare) == Some("expect") => {
            spec.expects.push(expectation(line, &words[2..], true)?);
        }
        Some("unordered") => return Err("expected `unordered expect ...`".into()),
        _ => {
            return Err(format!(
                "unknown directive {}: expected `limit`, `clock`, `on`, `run`, `expect` or \
                 `unordered expect`",
                first.show()
            ));
        }
    }
    Ok(())
}

/// `TRIGGER [+DELAY]: ACTION`
fn stimulus(line: usize, words: &[Word]) -> Result<Stimulus, String> {
    const FORM: &str = "expected `on start|connect|subscribe FILTER [+DELAY]: ACTION`, ACTION \
                        one of `send TOPIC PAYLOAD [qos=N] [retain]`, `pin NAME = 0|1`, \
                        `adc NAME = N`, `sensor DRIVER PIN QUANTITY=VALUE...`, \
                        `wifi drop DURATION`, `broker restart`, `broker down DURATION`, \
                        `drop`, `withhold acks DURATION`, `run OTHER.py [ARGS]`";
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
        // `on +1s:` counts from the start, as `on start +1s:` does.
        [] if !delay.is_zero() => Trigger::Start,
        [w] if w.as_bare() == Some("start") => Trigger::Start,
        [w] if w.as_bare() == Some("connect") => Trigger::Connect,
        [w, filter] if w.as_bare() == Some("subscribe") => {
            let filter = filter.text()?;
            check_filter(&filter)?;
            Trigger::Subscribe(filter)
        }
        _ => return Err(format!("unknown trigger; {FORM}")),
    };
    let Some((verb, rest)) = action.split_first() else {
        return Err(format!("nothing to do after ':'; {FORM}"));
    };
    let action = match verb.as_bare() {
        Some("send") => Action::Send(message(rest)?),
        Some("pin") => {
            let (pin, level) = assignment(rest, "pin NAME = 0|1")?;
            Action::Pin {
                pin,
                level: pin_level(level)?,
            }
        }
        Some("adc") => {
            let (pin, value) = assignment(rest, "adc NAME = N")?;
            let value = value
                .as_bare()
                .and_then(|v| v.parse::<u16>().ok())
                .ok_or_else(|| {
                    format!(
                        "bad reading {}: an analog input reads a whole number from 0 to 65535",
                        value.show()
                    )
                })?;
            Action::Adc { pin, value }
        }
        Some("sensor") => sensor(rest)?,
        Some("wifi") => match rest {
            [drop, length] if drop.as_bare() == Some("drop") => {
                let length = duration(length)?;
                if length.is_zero() {
                    return Err("a Wi-Fi drop must last more than 0".into());
                }
                Action::WifiDrop(length)
            }
            _ => return Err("expected `wifi drop DURATION`, e.g. `wifi drop 3s`".into()),
        },
        Some("broker") => match rest {
            [restart] if restart.as_bare() == Some("restart") => {
                Action::Broker(BrokerFault::Restart)
            }
            [down, length] if down.as_bare() == Some("down") => {
                Action::Broker(BrokerFault::Down(lasting(length, "the broker's outage")?))
            }
            _ => {
                return Err(
                    "expected `broker restart` or `broker down DURATION`, e.g. `broker down 3s`"
                        .into(),
                );
            }
        },
        Some("drop") if rest.is_empty() => Action::Broker(BrokerFault::Drop),
        Some("run") => run(rest)?,
        Some("withhold") => match rest {
            [acks, length] if acks.as_bare() == Some("acks") => Action::Broker(
                BrokerFault::WithholdAcks(lasting(length, "withholding acks")?),
            ),
            _ => return Err("expected `withhold acks DURATION`, e.g. `withhold acks 2s`".into()),
        },
        _ => {
            return Err(format!("unknown action {} after ':'; {FORM}", verb.show()));
        }
    };
    Ok(Stimulus {
        line,
        trigger,
        delay,
        action,
    })
}

/// `TOPIC PAYLOAD [qos=N] [retain]`, after `send`.
fn message(words: &[Word]) -> Result<Message, String> {
    const FORM: &str = "expected `send TOPIC PAYLOAD [qos=N] [retain]`";
    let [topic, payload, options @ ..] = words else {
        return Err(FORM.into());
    };
    let topic = topic.text()?;
    if topic.is_empty() || topic.contains(['+', '#']) {
        return Err(format!(
            "cannot send to {topic:?}: a topic name must be non-empty, without + or #"
        ));
    }
    let mut message = Message {
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

/// `NAME = VALUE`, after `pin` or `adc`: the pin's name, as written, and the value's word.
fn assignment<'a>(words: &'a [Word], form: &str) -> Result<(String, &'a Word), String> {
    match words {
        [pin, equals, value] if equals.as_bare() == Some("=") => Ok((pin.text()?, value)),
        _ => Err(format!("expected `{form}` (with blanks around '=')")),
    }
}

fn pin_level(word: &Word) -> Result<u8, String> {
    match word.as_bare() {
        Some("0") => Ok(0),
        Some("1") => Ok(1),
        _ => Err(format!("bad level {}: a pin level is 0 or 1", word.show())),
    }
}

/// `DRIVER PIN QUANTITY=VALUE...`, after `sensor`.
fn sensor(words: &[Word]) -> Result<Action, String> {
    const FORM: &str = "expected `sensor DRIVER PIN QUANTITY=VALUE...`, e.g. \
                        `sensor dht 4 temperature=30 humidity=55`";
    let [driver, pin, values @ ..] = words else {
        return Err(FORM.into());
    };
    if values.is_empty() {
        return Err(FORM.into());
    }
    let driver = driver.text()?;
    if !SENSOR_DRIVERS.contains(&driver.as_str()) {
        return Err(format!(
            "unknown sensor driver {driver:?} (known: {})",
            SENSOR_DRIVERS.join(", ")
        ));
    }
    let readings = values
        .iter()
        .map(|word| {
            word.as_bare()
                .and_then(|w| w.split_once('='))
                .and_then(|(quantity, value)| {
                    let value = value.parse::<f64>().ok().filter(|v| v.is_finite())?;
                    (!quantity.is_empty()).then(|| (quantity.to_string(), value))
                })
                .ok_or_else(|| {
                    format!(
                        "bad reading {}: write QUANTITY=NUMBER, e.g. temperature=21.5",
                        word.show()
                    )
                })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Action::Sensor {
        driver,
        pin: pin.text()?,
        readings,
    })
}

/// `TOPIC PAYLOAD [qos=N] [retain] [xN]` (PAYLOAD `*`, `json ...` or `/REGEX/`); or
/// `pin NAME = 0|1 [xN]`.
fn expectation(line: usize, words: &[Word], unordered: bool) -> Result<Expectation, String> {
    const FORM: &str = "expected `expect TOPIC PAYLOAD [qos=N] [retain] [xN]` (PAYLOAD * for \
                        any, json {...} or /REGEX/) or `expect pin NAME = 0|1 [xN]`";
    // `pin` followed by `NAME =` is a pin; a topic named `pin` has a payload after it.
    let is_pin = words.first().and_then(Word::as_bare) == Some("pin")
        && words.get(2).and_then(Word::as_bare) == Some("=");
    let (what, options) = if is_pin {
        if !(4..=5).contains(&words.len()) {
            return Err(FORM.into());
        }
        let (pin, level) = assignment(&words[1..4], "expect pin NAME = 0|1")?;
        let level = pin_level(level)?;
        (Expected::Output { pin, level }, &words[4..])
    } else {
        let [topic, payload, options @ ..] = words else {
            return Err(FORM.into());
        };
        let topic = topic.text()?;
        check_filter(&topic)?;
        let payload = PayloadMatch::parse(&payload.bytes(), matches!(payload, Word::Quoted(_)))?;
        let message = Expected::Message {
            topic,
            payload,
            qos: None,
            retain: false,
        };
        (message, options)
    };
    let mut expectation = Expectation {
        line,
        what,
        count: 1,
        unordered,
    };
    for option in options {
        let text = option.as_bare().unwrap_or_default();
        match (&mut expectation.what, text) {
            (_, count) if count.starts_with('x') => {
                expectation.count = count[1..]
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("bad count {}: {FORM}, N from 1", option.show()))?;
            }
            (Expected::Message { retain, .. }, "retain") => *retain = true,
            (Expected::Message { qos, .. }, level) if level.starts_with("qos=") => {
                *qos = Some(match &level[4..] {
                    "0" => 0,
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(format!("bad option {}: qos is 0, 1 or 2", option.show())),
                });
            }
            _ => return Err(format!("unknown option {}: {FORM}", option.show())),
        }
    }
    Ok(expectation)
}

/// `OTHER.py [ARGS]`, after `run`.
fn run(words: &[Word]) -> Result<Action, String> {
    let [script, args @ ..] = words else {
        return Err("expected `run OTHER.py [ARGS]`".into());
    };
    let script = script.text()?;
    if std::path::Path::new(&script).is_absolute() || script.split('/').any(|p| p == "..") {
        return Err(format!(
            "cannot run {script:?}: name a script in the test's folder (or below it)"
        ));
    }
    Ok(Action::Run {
        script,
        args: args.iter().map(Word::text).collect::<Result<_, _>>()?,
    })
}

/// A duration that must be more than 0.
fn lasting(word: &Word, what: &str) -> Result<Duration, String> {
    let length = duration(word)?;
    if length.is_zero() {
        return Err(format!("{what} must last more than 0"));
    }
    Ok(length)
}

fn check_filter(filter: &str) -> Result<(), String> {
    if rumqttc::valid_filter(filter) {
        Ok(())
    } else {
        Err(format!("{filter:?} is not a valid topic filter"))
    }
}

/// `500ms`, `2s`, `1.5s`, `1m`.
/// `limit`'s value: a duration, or a bare number of seconds (as `--limit` takes it).
fn limit_duration(word: &Word) -> Result<Duration, String> {
    let text = word.as_bare().unwrap_or_default();
    match text.parse::<f64>() {
        Ok(seconds) => Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("bad duration {}: write e.g. 5s or 5", word.show())),
        Err(_) => duration(word),
    }
}

/// `--limit`'s value: `5s`, `500ms`, `1m`, or a bare number of seconds, as a `.wire` file's
/// `limit` takes it.
pub fn limit_argument(text: &str) -> Result<Duration, String> {
    let limit = limit_duration(&Word::Bare(text.to_owned()))?;
    if limit.is_zero() {
        return Err("the limit must be more than 0".into());
    }
    Ok(limit)
}

fn duration(word: &Word) -> Result<Duration, String> {
    let text = word.as_bare().unwrap_or_default();
    let bad = || {
        format!(
            "bad duration {}: write e.g. 500ms, 2s, 1.5s, 1m or 1h",
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
        "h" => number * 3600.0,
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

/// The words of `line`, each with the byte offset it starts at.
fn tokenize_at(line: &str) -> Result<Vec<(Word, usize)>, String> {
    let mut words: Vec<(Word, usize)> = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            break;
        } else if c == '"' {
            chars.next();
            words.push((Word::Quoted(quoted(&mut chars)?), start));
            if let Some((at, _)) = chars.next_if(|&(_, c)| c == ':') {
                words.push((Word::Colon, at));
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
                Some("") => words.push((Word::Colon, start)),
                Some(before) => {
                    words.push((Word::Bare(before.to_string()), start));
                    words.push((Word::Colon, end - 1));
                }
                None => words.push((Word::Bare(word.to_string()), start)),
            }
        }
    }
    Ok(words)
}

/// A message's payload is the rest of its line, blanks and all, when it is not quoted:
/// `send t/cmd {"t": 21.5, "on": true}` sends that JSON as written. What follows it and is an
/// option of the line (`qos=1`, `retain`; an expectation's `x3`) stays an option, and a
/// comment (` #` after a blank) is not part of it.
fn with_raw_payload(line: &str, words: Vec<(Word, usize)>) -> Vec<Word> {
    let bare = |i: usize| words.get(i).and_then(|(w, _)| w.as_bare());
    let payload_at = match bare(0) {
        Some("expect") if bare(1).is_some_and(|w| w != "pin") => Some(2),
        Some("unordered") if bare(1) == Some("expect") && bare(2).is_some_and(|w| w != "pin") => {
            Some(3)
        }
        Some("on") => words
            .iter()
            .position(|(w, _)| *w == Word::Colon)
            .filter(|&colon| bare(colon + 1) == Some("send"))
            .map(|colon| colon + 3),
        _ => None,
    };
    let Some(at) = payload_at.filter(|&at| matches!(words.get(at), Some((Word::Bare(_), _))))
    else {
        return words.into_iter().map(|(w, _)| w).collect();
    };
    let is_option = |w: &Word| {
        w.as_bare().is_some_and(|w| {
            let count = w
                .strip_prefix('x')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            w == "retain" || w.starts_with("qos=") || (count && bare(0) != Some("on"))
        })
    };
    // The options at the end of the line, after the payload's first word.
    let mut options_from = words.len();
    while options_from > at + 1 && is_option(&words[options_from - 1].0) {
        options_from -= 1;
    }
    let start = words[at].1;
    let end = words
        .get(options_from)
        .map_or_else(|| comment_start(line, start), |(_, at)| *at);
    let payload = line[start..end].trim_end().to_string();
    let mut out: Vec<Word> = words[..at].iter().map(|(w, _)| w.clone()).collect();
    out.push(Word::Bare(payload));
    out.extend(words[options_from..].iter().map(|(w, _)| w.clone()));
    out
}

/// Where a comment starts in `line` after `from` (a `#` after a blank), or its end.
fn comment_start(line: &str, from: usize) -> usize {
    let bytes = line.as_bytes();
    (from..bytes.len())
        .find(|&i| bytes[i] == b'#' && i > from && bytes[i - 1].is_ascii_whitespace())
        .unwrap_or(line.len())
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

    fn sent(stimulus: &Stimulus) -> &Message {
        stimulus.message().expect("a send")
    }

    fn expected_message(e: &Expectation) -> (&str, Option<&[u8]>) {
        match &e.what {
            Expected::Message { topic, payload, .. } => match payload {
                PayloadMatch::Exact(bytes) => (topic, Some(bytes.as_slice())),
                PayloadMatch::Any => (topic, None),
                other => panic!("not an exact payload: {other:?}"),
            },
            other => panic!("not a message: {other:?}"),
        }
    }

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
        assert_eq!(spec.stimuli.len(), 3);
        assert_eq!(
            spec.stimuli[0].trigger,
            Trigger::Subscribe("raspberry/mqtt".into())
        );
        assert_eq!(sent(&spec.stimuli[0]).payload, br#"{"msg":"hello"}"#);
        assert_eq!(spec.stimuli[1].delay, Duration::from_millis(200));
        assert!(sent(&spec.stimuli[1]).retain);
        assert_eq!(sent(&spec.stimuli[1]).qos, 1);
        assert_eq!(spec.stimuli[2].trigger, Trigger::Start);
        assert_eq!(sent(&spec.stimuli[2]).payload, b"off");
        assert_eq!(
            expected_message(&spec.expects[0]),
            ("sensors/temp", Some(&b"21.5"[..]))
        );
        assert_eq!(expected_message(&spec.expects[1]), ("sensors/+", None));
        assert_eq!(spec.expects[1].count, 3);
        assert_eq!(spec.expects[1].line, 7);
    }

    #[test]
    fn broker_faults_parse_and_their_mistakes_are_named() {
        let spec = parse(
            "on connect +1s: broker restart\non +2s: broker down 3s\non +1s: drop\n\
             on subscribe a: withhold acks 500ms\n",
        )
        .unwrap();
        let actions: Vec<Action> = spec.stimuli.iter().map(|s| s.action.clone()).collect();
        assert_eq!(
            actions,
            [
                Action::Broker(BrokerFault::Restart),
                Action::Broker(BrokerFault::Down(Duration::from_secs(3))),
                Action::Broker(BrokerFault::Drop),
                Action::Broker(BrokerFault::WithholdAcks(Duration::from_millis(500))),
            ]
        );
        for (line, says) in [
            (
                "on +1s: broker stop",
                "expected `broker restart` or `broker down DURATION`",
            ),
            (
                "on +1s: broker down 0s",
                "the broker's outage must last more than 0",
            ),
            ("on +1s: withhold acks", "expected `withhold acks DURATION`"),
            ("on +1s: drop everything", "unknown action `drop`"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.message.contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn expectations_on_content_parse_with_their_options() {
        let spec = parse(
            "expect t json {\"a\": [1, 2]} qos=1 retain x2\n\
             unordered expect s/+ /^\\d+$/ x3   # any number\n\
             expect q \"/literal/\"\n",
        )
        .unwrap();
        let Expected::Message {
            payload,
            qos,
            retain,
            ..
        } = &spec.expects[0].what
        else {
            panic!("{:?}", spec.expects[0]);
        };
        assert_eq!(payload.to_string(), "json {\"a\":[1,2]}");
        assert_eq!((*qos, *retain, spec.expects[0].count), (Some(1), true, 2));
        assert!(!spec.expects[0].unordered);
        assert!(spec.expects[1].unordered);
        assert_eq!(spec.expects[1].count, 3);
        assert!(
            matches!(&spec.expects[1].what, Expected::Message { payload: PayloadMatch::Regex(re), .. } if re.as_str() == r"^\d+$")
        );
        assert_eq!(
            expected_message(&spec.expects[2]),
            ("q", Some(&b"/literal/"[..]))
        );

        for (line, says) in [
            (
                "expect t json {nope",
                "the JSON after `json` does not parse",
            ),
            ("expect t /(/", "bad regular expression"),
            ("expect t x qos=3", "qos is 0, 1 or 2"),
            ("expect pin LED = 1 retain", "unknown option `retain`"),
            ("unordered t x", "expected `unordered expect ...`"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.message.contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn quoted_words_take_escapes_and_a_colon() {
        let spec = parse("on subscribe \"a b\": send t \"x\\n\\\"y\\x00\"\n").unwrap();
        assert_eq!(spec.stimuli[0].trigger, Trigger::Subscribe("a b".into()));
        assert_eq!(sent(&spec.stimuli[0]).payload, b"x\n\"y\0");
        let spec = parse("on start: send t \"\"").unwrap();
        assert_eq!(sent(&spec.stimuli[0]).payload, b"");
    }

    #[test]
    fn board_stimuli_take_the_triggers_and_delays_of_sends() {
        let spec = parse(
            "on +300ms: pin GP14 = 0\n\
             on connect: adc 26 = 65535\n\
             on subscribe cmd/#  +2s: sensor dht 4 temperature=30 humidity=55.5\n\
             on connect +200ms: wifi drop 1.5s\n",
        )
        .unwrap();
        let [pin, adc, sensor, wifi] = &spec.stimuli[..] else {
            panic!("{spec:?}");
        };
        assert_eq!(
            (&pin.trigger, pin.delay),
            (&Trigger::Start, Duration::from_millis(300))
        );
        assert_eq!(
            pin.action,
            Action::Pin {
                pin: "GP14".into(),
                level: 0
            }
        );
        assert_eq!(adc.trigger, Trigger::Connect);
        assert_eq!(
            adc.action,
            Action::Adc {
                pin: "26".into(),
                value: 65535
            }
        );
        assert_eq!(sensor.trigger, Trigger::Subscribe("cmd/#".into()));
        assert_eq!(sensor.delay, Duration::from_secs(2));
        assert_eq!(
            sensor.action,
            Action::Sensor {
                driver: "dht".into(),
                pin: "4".into(),
                readings: vec![("temperature".into(), 30.0), ("humidity".into(), 55.5)],
            }
        );
        assert_eq!(wifi.action, Action::WifiDrop(Duration::from_millis(1500)));
        assert_eq!(wifi.action.to_string(), "wifi drop 1.5s");
        assert_eq!(
            sensor.action.to_string(),
            "sensor dht 4 temperature=30 humidity=55.5"
        );
        assert!(pin.message().is_none());
        assert!(spec.has_wire_activity());
    }

    #[test]
    fn pin_expectations_take_counts_and_leave_a_topic_named_pin_alone() {
        let spec = parse(
            "expect pin LED = 1\n\
             expect pin GP15 = 0 x3\n\
             expect pin on\n",
        )
        .unwrap();
        assert_eq!(
            spec.expects[0].what,
            Expected::Output {
                pin: "LED".into(),
                level: 1
            }
        );
        assert_eq!(spec.expects[1].count, 3);
        assert_eq!(
            spec.expects[1].what,
            Expected::Output {
                pin: "GP15".into(),
                level: 0
            }
        );
        assert_eq!(
            expected_message(&spec.expects[2]),
            ("pin", Some(&b"on"[..]))
        );
    }

    #[test]
    fn pin_names_become_the_boards_pin_ids() {
        let text = "on start: pin D4 = 1\n\
                    on start: sensor ds18x20 D5 temperature=20\n\
                    expect t *\n\
                    expect pin LED = 0\n";
        let mut spec = parse(text).unwrap();
        spec.resolve_pins(BoardKind::named("esp8266").unwrap())
            .unwrap();
        assert_eq!(
            spec.stimuli[0].action,
            Action::Pin {
                pin: "2".into(),
                level: 1
            }
        );
        assert!(matches!(&spec.stimuli[1].action, Action::Sensor { pin, .. } if pin == "14"));
        assert_eq!(
            spec.expects[1].what,
            Expected::Output {
                pin: "2".into(),
                level: 0
            }
        );

        // The Pico W has no D4; the first line naming a pin it lacks is the one reported.
        let mut spec = parse(&format!("{text}expect pin D5 = 1\n")).unwrap();
        let err = spec
            .resolve_pins(BoardKind::named("pico_w").unwrap())
            .unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.message, "pico_w has no pin \"D4\"");
    }

    #[test]
    fn a_limit_is_a_duration_or_a_number_of_seconds_in_the_file_and_on_the_command_line() {
        assert_eq!(
            parse("limit 5\n").unwrap().limit,
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse("limit 2.5\n").unwrap().limit,
            Some(Duration::from_millis(2500))
        );
        assert_eq!(limit_argument("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(limit_argument("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(limit_argument("7"), Ok(Duration::from_secs(7)));
        assert!(limit_argument("0").unwrap_err().contains("more than 0"));
        assert!(limit_argument("soon").unwrap_err().contains("bad duration"));
        assert!(limit_argument("-1").is_err());
    }

    #[test]
    fn a_payload_is_the_rest_of_its_line_unquoted() {
        let spec = parse(
            "on start: send t/cmd {\"t\": 21.5, \"on\": true} qos=1 retain # a comment\n\
             on +1s: send t/x hello world\n\
             on +2s: send t/q \"quoted: as before\"\n\
             expect t/json {\"ok\": true} x2\n\
             expect pin LED = 1\n",
        )
        .unwrap();
        let first = sent(&spec.stimuli[0]);
        assert_eq!(first.payload, br#"{"t": 21.5, "on": true}"#);
        assert_eq!((first.qos, first.retain), (1, true));
        assert_eq!(sent(&spec.stimuli[1]).payload, b"hello world");
        assert_eq!(sent(&spec.stimuli[2]).payload, b"quoted: as before");
        assert_eq!(
            expected_message(&spec.expects[0]),
            ("t/json", Some(br#"{"ok": true}"#.as_slice()))
        );
        assert_eq!(spec.expects[0].count, 2);
        assert_eq!(spec.expects.len(), 2, "and the pin line");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let errors =
            parse_all("limit 5parsecs\nexpect t x\non later: send t x\nbogus\n").unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 3, 4]);
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
            ("on: send t x", "unknown trigger"),
            ("on start: publish t x", "unknown action `publish`"),
            ("on start:", "nothing to do"),
            ("on start: send t/# x", "topic name"),
            ("on start: send t", "send TOPIC PAYLOAD"),
            ("on start: send t x qos=3", "unknown option"),
            ("on subscribe a/#/b: send t x", "not a valid topic filter"),
            (
                "on start: pin 14 = 2",
                "bad level `2`: a pin level is 0 or 1",
            ),
            ("on start: pin 14=1", "pin NAME = 0|1"),
            ("on start: pin 14 = high", "bad level"),
            ("on start: adc 26 = 70000", "bad reading `70000`"),
            ("on start: adc 26 = -1", "bad reading"),
            (
                "on start: sensor bme 4 t=1",
                "unknown sensor driver \"bme\"",
            ),
            ("on start: sensor dht 4", "sensor DRIVER PIN"),
            (
                "on start: sensor dht 4 temperature",
                "bad reading `temperature`",
            ),
            ("on start: sensor dht 4 temperature=warm", "bad reading"),
            ("on start: wifi drop", "wifi drop DURATION"),
            ("on start: wifi drop 3 s", "wifi drop DURATION"),
            ("on start: wifi drop soon", "bad duration `soon`"),
            ("on start: wifi drop 0s", "more than 0"),
            ("on start: wifi up 1s", "wifi drop DURATION"),
            ("expect t", "expect TOPIC PAYLOAD"),
            ("expect t x x0", "bad count"),
            ("expect pin LED = 2", "bad level"),
            ("expect pin LED = 1 x0", "bad count"),
            ("expect pin LED = 1 x2 more", "expect pin NAME"),
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
