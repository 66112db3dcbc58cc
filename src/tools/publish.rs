//! `pymqtt pub`: publishes one message, a file, stdin, or each line of stdin, like
//! mosquitto_pub. QoS 1 and 2 messages are acknowledged before the next one is sent, and the
//! publisher disconnects cleanly at the end, so a status of 0 means the broker has them.

use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use clap::{ArgGroup, Args};
use rumqttc::QoS;

use super::connect::{self, ConnectArgs};
use super::{Failure, Outcome, parse};
use crate::mqtt::Connection;
use crate::mqtt::error::io_detail;
use crate::mqtt::limits;

const EXAMPLES: &str = "\
Examples:
  pymqtt pub -t raspberry/mqtt -m '{\"msg\":\"hello\"}'          publish once to localhost:1883
  pymqtt pub --broker broker.emqx.io -t raspberry/mqtt -m hi   ... to another broker
  pymqtt pub -t sensors/temp -m 21.5 -q 1 -r                  QoS 1, retained by the broker
  pymqtt pub -t sensors/temp -r -m ''                         clear the retained message
  pymqtt pub -t raspberry/mqtt -m ping --repeat 10 --interval 1000  ten times, a second apart
  pymqtt pub -t logs/app -l < app.log                         one message per line
  pymqtt pub -t firmware/image -f image.bin                   a whole file as one message

The EMQX article's subscribe test (scripts/sub.py), with pymqtt alone (three terminals):
  pymqtt broker                                       a broker on localhost:1883
  pymqtt --broker localhost scripts/sub.py            the MicroPython subscriber
  pymqtt pub -t raspberry/mqtt -m '{\"msg\":\"hello\"}'    sub.py prints: received message ...

Broker: --broker HOST[:PORT], else $PYMQTT_BROKER, else localhost:1883. -h HOST and -p PORT
(as mosquitto_pub's) replace its host or port; --help is the help. Exit status: 0 once the broker has every
message (QoS 1/2: acknowledged), 1 on failure (explained on stderr), 2 for a usage error.";

/// Publish messages to a topic (like mosquitto_pub)
#[derive(Args, Debug, Clone)]
#[command(
    after_help = EXAMPLES,
    group(ArgGroup::new("payload").required(true)
        .args(["message", "null_message", "file", "stdin_line", "stdin_file"])),
    disable_help_flag = true,
)]
pub struct PubArgs {
    /// Topic to publish to, e.g. raspberry/mqtt
    #[arg(short = 't', long = "topic", value_name = "TOPIC", value_parser = parse::publish_topic)]
    pub topic: String,

    /// The message to send
    #[arg(short = 'm', long = "message", value_name = "MESSAGE")]
    pub message: Option<OsString>,

    /// Send the contents of FILE as one message
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Send each line of standard input as a message (without its newline)
    #[arg(short = 'l', long = "stdin-line", conflicts_with = "count")]
    pub stdin_line: bool,

    /// Send all of standard input as one message
    #[arg(short = 's', long = "stdin-file")]
    pub stdin_file: bool,

    /// Quality of service: 0 at most once, 1 at least once, 2 exactly once
    #[arg(short = 'q', long = "qos", value_name = "QOS", default_value = "0",
          value_parser = parse::qos)]
    pub qos: QoS,

    /// Ask the broker to retain the message for later subscribers
    #[arg(short = 'r', long = "retain")]
    pub retain: bool,

    /// Send an empty message, as mosquitto_pub's -n (the same as -m '')
    #[arg(short = 'n', long = "null-message")]
    pub null_message: bool,

    /// Send the message COUNT times, as mosquitto_pub's --repeat
    #[arg(long = "repeat", value_name = "COUNT", value_parser = parse::count)]
    pub count: Option<u64>,

    /// Wait MS milliseconds between the messages of --repeat
    #[arg(long = "interval", value_name = "MS", requires = "count", value_parser = parse::millis)]
    pub interval: Option<Duration>,

    /// Print help (mosquitto's -h is the host here)
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,

    /// Where to connect and as whom: the options `pub` and `sub` share.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `pymqtt pub`; failures are explained on stderr.
pub fn run(args: &PubArgs) -> Outcome {
    super::finish("pub", publish(args))
}

fn publish(args: &PubArgs) -> Result<(), Failure> {
    // Read the message before connecting: a missing file is reported without touching the
    // broker.
    let single = if args.stdin_line {
        None
    } else {
        let payload = payload(args)?;
        limits::publish_size(&args.topic, payload.len(), args.qos)?;
        Some(payload)
    };

    let settings = args.connect.settings("pub")?;
    let mut never = || Ok::<(), Failure>(());
    let connection = connect::open(&settings, &mut never)?;
    args.connect.debug(
        "pub",
        format_args!(
            "connected to {} as {}",
            settings.broker(),
            settings.client_id
        ),
    );
    let mut sent_count = 0u64;
    let mut send_counted = |payload: Bytes| {
        send(&connection, args, payload)?;
        sent_count += 1;
        Ok::<(), Failure>(())
    };
    let sent = match single {
        Some(payload) => {
            let count = args.count.unwrap_or(1);
            (0..count).try_for_each(|i| {
                if i > 0 {
                    thread::sleep(args.interval.unwrap_or_default());
                }
                send_counted(payload.clone())
            })
        }
        None => send_lines(args, &mut send_counted),
    };
    // Disconnect even after a failure: nothing is lost that was not already lost.
    let closed = connection.disconnect().map_err(|e| connect::describe(&e));
    args.connect.debug(
        "pub",
        format_args!("disconnected after sending {sent_count} message(s)"),
    );
    sent?;
    closed?;
    Ok(())
}

/// The one message of `-m`, `-f` or `-s`.
fn payload(args: &PubArgs) -> Result<Bytes, String> {
    if args.null_message {
        return Ok(Bytes::new());
    }
    if let Some(message) = &args.message {
        return Ok(Bytes::from(message.as_encoded_bytes().to_vec()));
    }
    if let Some(path) = &args.file {
        return std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| format!("cannot read {} (-f): {}", path.display(), io_detail(&e)));
    }
    let mut all = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut all)
        .map_err(|e| format!("cannot read standard input (-s): {}", io_detail(&e)))?;
    Ok(Bytes::from(all))
}

/// `-l`: each line is a message, without its `\n` (a `\r` stays, as with mosquitto_pub); an
/// empty line is an empty message, and a last line without `\n` is sent too.
fn send_lines(
    args: &PubArgs,
    send: &mut dyn FnMut(Bytes) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut stdin = std::io::stdin().lock();
    loop {
        let mut line = Vec::new();
        let read = stdin
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read standard input (-l): {}", io_detail(&e)))?;
        if read == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        limits::publish_size(&args.topic, line.len(), args.qos)?;
        send(Bytes::from(line))?;
    }
}

/// Publishes and waits until the message is written (QoS 0) or acknowledged (QoS 1, 2).
fn send(connection: &Connection, args: &PubArgs, payload: Bytes) -> Result<(), Failure> {
    let mut never = || Ok::<(), Failure>(());
    connection
        .request(
            "waiting for the broker to acknowledge the message",
            |engine| engine.publish(args.topic.clone(), payload, args.qos, args.retain),
            &mut never,
        )
        .map(drop)
        .map_err(connect::failure)
}
