//! `pymqtt pub` and `pymqtt sub`: command-line MQTT clients in the manner of mosquitto_pub and
//! mosquitto_sub, so the EMQX article's test steps (done there with the MQTTX GUI) need nothing
//! else installed; and `pymqtt broker`, the embedded broker in the foreground.
//!
//! Each tool is a [`clap::Args`] struct (the binary puts it under its subcommand) and a `run`
//! function that returns how it ended. pub and sub are plain Rust clients over
//! [`crate::mqtt`], the broker is [`crate::broker`]; no Python is involved.
//!
//! - [`broker`]: `pymqtt broker`, [`BrokerArgs`] (running it needs feature `local-broker`)
//! - [`publish`]: `pymqtt pub`, [`PubArgs`]
//! - [`subscribe`]: `pymqtt sub`, [`SubArgs`]
//! - [`connect`]: the broker and client options both share, and the connection itself
//! - [`parse`]: value parsers whose errors say what to type instead
//! - [`interrupt`]: Ctrl-C as a flag the waits check

pub mod broker;
pub mod connect;
pub mod interrupt;
pub mod parse;
pub mod publish;
pub mod subscribe;

pub use broker::BrokerArgs;
pub use connect::ConnectArgs;
pub use publish::PubArgs;
pub use subscribe::SubArgs;

/// How a tool ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Success,
    /// A runtime failure, explained on stderr (cannot connect, timed out, file unreadable...).
    Failed,
    /// Ctrl-C.
    Interrupted,
}

impl From<Outcome> for crate::ExitStatus {
    /// 0, 1, or 130 (128 + SIGINT, as shells report Ctrl-C).
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => crate::ExitStatus::SUCCESS,
            Outcome::Failed => crate::ExitStatus::EXCEPTION,
            Outcome::Interrupted => crate::ExitStatus::INTERRUPTED,
        }
    }
}

/// Why a tool stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The message for stderr, without the `pymqtt pub: ` prefix.
    Message(String),
    Interrupted,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

/// Prints a failure as `pymqtt NAME: message` and turns the result into an [`Outcome`].
pub(crate) fn finish(tool: &str, result: Result<(), Failure>) -> Outcome {
    match result {
        Ok(()) => Outcome::Success,
        Err(Failure::Interrupted) => Outcome::Interrupted,
        Err(Failure::Message(message)) => {
            crate::terminal_style::report_error(&format!("pymqtt {tool}"), message);
            Outcome::Failed
        }
    }
}
