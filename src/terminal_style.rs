//! Colour for what pymqtt itself prints, on a terminal only: never in a pipe or a CI log
//! file, and never with `NO_COLOR` set (no-color.org). `pymqtt test`'s verdicts and
//! pymqtt's own error lines use it.

use std::io::IsTerminal;

/// Whether to colour what goes to a stream: it is a terminal and `NO_COLOR` is unset or empty.
pub fn colour_for(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `text` in bold and the given SGR colour (`"31"` red, `"32"` green, `"33"` yellow).
pub fn paint(text: &str, colour: &str) -> String {
    format!("\x1b[{colour};1m{text}\x1b[0m")
}

/// A warning line, `PREFIX: warning: message` on stderr, `warning:` in yellow on a terminal.
pub fn report_warning(prefix: &str, message: impl std::fmt::Display) {
    if colour_for(std::io::stderr().is_terminal()) {
        eprintln!("{prefix}: {} {message}", paint("warning:", "33"));
    } else {
        eprintln!("{prefix}: warning: {message}");
    }
}

/// One of pymqtt's error lines, `PREFIX: message` on stderr, the prefix in red on a terminal.
/// `prefix` is `pymqtt`, or `pymqtt pub` and the like for the tools.
pub fn report_error(prefix: &str, message: impl std::fmt::Display) {
    let prefix = format!("{prefix}:");
    if colour_for(std::io::stderr().is_terminal()) {
        eprintln!("{} {message}", paint(&prefix, "31"));
    } else {
        eprintln!("{prefix} {message}");
    }
}
