//! `pymqtt sub`: subscribes to topics and prints each message on a line of its own, like
//! mosquitto_sub. Payloads are written as raw bytes and stdout is flushed after each message,
//! so a pipe or a test sees every line as it arrives.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::Args;
use rumqttc::{QoS, SubscribeReasonCode};

use super::connect::{self, ConnectArgs};
use super::{Failure, Outcome, interrupt, parse};
use crate::mqtt::Connection;
use crate::mqtt::tracker::{Message, Outcome as Acked};

const EXAMPLES: &str = "\
Examples:
  pymqtt sub -t raspberry/mqtt -v                  print topic and message, until Ctrl-C
  pymqtt sub -t 'sensors/#' -t alerts -q 1         several topics, QoS 1
  pymqtt sub -t raspberry/mqtt -C 1 -W 10          wait for one message; exit 1 after 10 s
  pymqtt sub --broker broker.emqx.io -t raspberry/mqtt -v

The EMQX article's publish test (scripts/pub.py), with pymqtt alone (three terminals):
  pymqtt broker                                    a broker on localhost:1883
  pymqtt sub -t raspberry/mqtt -v                  prints: raspberry/mqtt {\"msg\":\"hello\"}
  pymqtt --broker localhost scripts/pub.py         the MicroPython publisher

Broker: --broker HOST[:PORT], else $PYMQTT_BROKER, else localhost:1883. -h HOST and -p PORT
(as mosquitto_sub's) replace its host or port; --help is the help. Exit status: 0 after -C COUNT messages,
1 on failure or when -W passes first (explained on stderr), 130 on Ctrl-C, 2 for a usage error.";

/// Print the messages published to topics (like mosquitto_sub)
#[derive(Args, Debug, Clone)]
#[command(after_help = EXAMPLES, disable_help_flag = true)]
pub struct SubArgs {
    /// Topic to subscribe to; + and # are wildcards. Repeat -t for more topics
    #[arg(short = 't', long = "topic", value_name = "TOPIC", required = true,
          value_parser = parse::topic_filter)]
    pub topics: Vec<String>,

    /// Quality of service of the subscriptions: 0, 1 or 2
    #[arg(short = 'q', long = "qos", value_name = "QOS", default_value = "0",
          value_parser = parse::qos)]
    pub qos: QoS,

    /// Exit (status 0) after COUNT messages
    #[arg(short = 'C', long = "count", value_name = "COUNT", value_parser = parse::count)]
    pub count: Option<u64>,

    /// Give up (status 1) if COUNT messages have not arrived SECONDS after starting; without
    /// -C, stop after SECONDS (status 1, as mosquitto_sub)
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", value_parser = parse::seconds)]
    pub timeout: Option<Duration>,

    /// Print the topic before each message: `topic message`
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,

    /// Do not print a newline after each message, as mosquitto_sub's -N
    #[arg(short = 'N')]
    pub no_newline: bool,

    /// Skip retained messages (the old ones the broker holds), as mosquitto_sub's -R
    #[arg(short = 'R')]
    pub no_retained: bool,

    /// mosquitto_sub's -F FORMAT is not supported yet: -v prints `topic message`, -N drops the
    /// newline
    #[arg(short = 'F', value_name = "FORMAT", value_parser = unsupported_format, hide = true)]
    pub format: Option<String>,

    /// Print help (mosquitto's -h is the host here)
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,

    /// Where to connect and as whom: the options `pub` and `sub` share.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `pymqtt sub`; failures are explained on stderr. Catches Ctrl-C for the whole process
/// (see [`interrupt`]).
pub fn run(args: &SubArgs) -> Outcome {
    interrupt::install();
    super::finish("sub", subscribe(args))
}

fn unsupported_format(_: &str) -> Result<String, String> {
    Err(
        "mosquitto_sub's -F is not supported yet; -v prints `topic message` and -N drops the \
         newline"
            .into(),
    )
}

/// How far the run got, for the timeout message.
struct Progress<'a> {
    args: &'a SubArgs,
    broker: String,
    started: Instant,
    connected: bool,
    received: u64,
}

impl Progress<'_> {
    /// Stops the wait on Ctrl-C or when `-W` passes.
    fn check(&self) -> Result<(), Failure> {
        if interrupt::requested() {
            return Err(Failure::Interrupted);
        }
        match self.args.timeout {
            Some(timeout) if self.started.elapsed() >= timeout => {
                Err(Failure::Message(self.timed_out(timeout)))
            }
            _ => Ok(()),
        }
    }

    fn timed_out(&self, timeout: Duration) -> String {
        let received = self.received;
        if !self.connected {
            return format!(
                "timed out after {timeout:?} (-W): still connecting to {}",
                self.broker
            );
        }
        match self.args.count {
            Some(count) => format!(
                "timed out after {timeout:?} (-W): received {received} of {count} messages (-C)"
            ),
            None => format!("timed out after {timeout:?} (-W): received {received} messages"),
        }
    }

    fn done(&self) -> bool {
        self.args.count.is_some_and(|count| self.received >= count)
    }
}

fn subscribe(args: &SubArgs) -> Result<(), Failure> {
    let settings = args.connect.settings("sub")?;
    let mut progress = Progress {
        args,
        broker: settings.broker(),
        started: Instant::now(),
        connected: false,
        received: 0,
    };
    let connection = connect::open(&settings, &mut || progress.check())?;
    progress.connected = true;
    args.connect.debug(
        "sub",
        format_args!(
            "connected to {} as {}",
            settings.broker(),
            settings.client_id
        ),
    );
    let result = receive(&connection, &mut progress);
    // A clean DISCONNECT whatever happened, Ctrl-C included; it cannot block for long.
    let closed = connection.disconnect().map_err(|e| connect::describe(&e));
    args.connect.debug(
        "sub",
        format_args!("disconnected after {} message(s)", progress.received),
    );
    result?;
    closed?;
    Ok(())
}

fn receive(connection: &Connection, progress: &mut Progress) -> Result<(), Failure> {
    let args = progress.args;
    for topic in &args.topics {
        let granted = subscribe_one(connection, topic, args.qos, &mut || progress.check())?;
        args.connect.debug(
            "sub",
            format_args!("subscribed to {topic} (granted QoS {granted})"),
        );
    }
    let mut out = io::stdout().lock();
    while !progress.done() {
        progress.check()?;
        let message = connection
            .wait_message(&mut || progress.check())
            .map_err(connect::failure)?;
        if args.no_retained && message.retain {
            // -R: a retained message is an old one; acknowledged, not printed.
            connection
                .acknowledge(&message, &mut || progress.check())
                .map_err(connect::failure)?;
            continue;
        }
        match print(&mut out, &message, args.verbose, !args.no_newline) {
            Ok(()) => {
                progress.received += 1;
                // Acknowledged once printed: a message the tool died before printing comes
                // again to a session resumed with -c.
                connection
                    .acknowledge(&message, &mut || progress.check())
                    .map_err(connect::failure)?;
            }
            // The reader went away (`pymqtt sub ... | head -1`): it has what it wanted.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(Failure::Message(format!("cannot write to stdout: {e}"))),
        }
    }
    Ok(())
}

/// Subscribes and waits for the SUBACK; returns the granted QoS. A refusal (0x80) is an error
/// naming the topic.
fn subscribe_one(
    connection: &Connection,
    topic: &str,
    qos: QoS,
    check: &mut dyn FnMut() -> Result<(), Failure>,
) -> Result<u8, Failure> {
    let acked = connection
        .request(
            &format!("waiting for the broker to accept the subscription to {topic}"),
            |engine| engine.subscribe(topic.to_string(), qos),
            check,
        )
        .map_err(connect::failure)?;
    match acked {
        Acked::Subscribed(codes) => match codes.first() {
            Some(SubscribeReasonCode::Success(granted)) => Ok(*granted as u8),
            _ => Err(Failure::Message(format!(
                "the broker refused the subscription to {topic}"
            ))),
        },
        Acked::Done => Ok(qos as u8),
    }
}

/// `payload\n`, or `topic payload\n` with `-v` (no `\n` with -N); the payload's bytes as they
/// came.
fn print(out: &mut impl Write, message: &Message, verbose: bool, newline: bool) -> io::Result<()> {
    if verbose {
        out.write_all(message.topic.as_bytes())?;
        out.write_all(b" ")?;
    }
    out.write_all(&message.payload)?;
    if newline {
        out.write_all(b"\n")?;
    }
    out.flush()
}
