//! `pymqtt broker`: the embedded broker in the foreground, for a second terminal or for the
//! boards on the LAN. On 127.0.0.1 it lets anyone in; bound to an address other machines
//! reach, it wants credentials (a password file in mosquitto_passwd's format, or one user on
//! the command line) unless told to let anyone in. `-v` logs what clients do, a line each.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::Args;

#[cfg(feature = "local-broker")]
pub use running::run;

/// Run the embedded MQTT broker in the foreground (Ctrl-C stops it)
#[derive(Args, Debug, Clone)]
pub struct BrokerArgs {
    /// Port to listen on; 0 picks a free one, named in the startup line
    #[arg(long, short, default_value_t = 1883)]
    pub port: u16,
    /// Also listen for MQTT over WebSocket on this port (127.0.0.1, any path), e.g. 8083; 0
    /// picks a free one
    #[arg(long, value_name = "PORT")]
    pub ws_port: Option<u16>,
    /// Address to listen on: 0.0.0.0 (or this machine's LAN address) lets boards on the
    /// network connect, and then asks for credentials
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Users and their password hashes, as `mosquitto_passwd` writes them
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A user who may connect (with --password)
    #[arg(long, value_name = "USER", requires = "password")]
    pub user: Option<String>,
    /// The password of --user
    #[arg(long, value_name = "PASSWORD", requires = "user")]
    pub password: Option<String>,
    /// Let clients without a user name in too (with credentials given), or anyone at all
    /// on an address other machines reach
    #[arg(long)]
    pub allow_anonymous: bool,
    /// Log each connect, subscribe, publish, disconnect and will, one line each
    #[arg(long, short)]
    pub verbose: bool,
}

/// What needs the broker itself.
#[cfg(feature = "local-broker")]
mod running {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::BrokerArgs;
    use crate::ExitStatus;
    use crate::broker::{Access, BrokerLog, BrokerSetup, EmbeddedBroker, Listeners};

    /// Runs the broker until Ctrl-C.
    pub fn run(args: &BrokerArgs) -> ExitStatus {
        let access = match access(args) {
            Ok(access) => access,
            Err(message) => {
                crate::terminal_style::report_error("pymqtt", message);
                return ExitStatus::USAGE;
            }
        };
        if !args.bind.is_loopback() && access.is_open() && !args.allow_anonymous {
            crate::terminal_style::report_error(
                "pymqtt",
                format_args!(
                    "on {} other machines can reach the broker, so it wants credentials: give \
                     --password-file FILE (made with mosquitto_passwd) or --user USER \
                     --password PASSWORD, or --allow-anonymous to let anyone in",
                    args.bind
                ),
            );
            return ExitStatus::USAGE;
        }
        let log: Option<BrokerLog> = args
            .verbose
            .then(|| Arc::new(|line: &str| eprintln!("{}: {line}", unix_seconds())) as BrokerLog);
        let setup = BrokerSetup {
            listeners: Listeners {
                mqtt: args.port,
                websocket: args.ws_port,
            },
            bind: args.bind,
            access: access.clone(),
            log,
            watch: None,
        };
        crate::tools::interrupt::install();
        match EmbeddedBroker::start_setup(setup) {
            Ok(broker) => {
                let websocket = broker
                    .websocket_addr()
                    .map(|addr| format!(" and ws://{addr}/mqtt"))
                    .unwrap_or_default();
                // Only the MQTT port has the front door that checks logins; a user who gave
                // credentials must not think the WebSocket port keeps anyone out.
                if let Some(addr) = broker.websocket_addr().filter(|_| !access.is_open()) {
                    crate::terminal_style::report_warning(
                        "pymqtt",
                        format_args!(
                            "the WebSocket listener ws://{addr}/mqtt checks no credentials: any \
                             program on this machine may connect there without them"
                        ),
                    );
                }
                let who = if access.is_open() {
                    "anyone may connect"
                } else if args.allow_anonymous {
                    "the users given, and clients without a user name"
                } else {
                    "only the users given may connect"
                };
                eprintln!(
                    "pymqtt: MQTT broker listening on {}{websocket}; {who} (Ctrl-C stops it)",
                    broker.addr()
                );
                while !crate::tools::interrupt::requested() {
                    std::thread::sleep(Duration::from_millis(50));
                }
                eprintln!("pymqtt: broker stopped");
                ExitStatus::SUCCESS
            }
            Err(e) => {
                crate::terminal_style::report_error("pymqtt", e);
                ExitStatus::USAGE
            }
        }
    }

    /// Who may connect, from the credentials options.
    fn access(args: &BrokerArgs) -> Result<Access, String> {
        if args.password_file.is_none() && args.user.is_none() {
            return Ok(Access::anyone());
        }
        let mut access = Access::users_only();
        if args.allow_anonymous {
            access = access.allow_anonymous();
        }
        if let Some(file) = &args.password_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                format!(
                    "cannot read the password file {}: {}",
                    file.display(),
                    crate::mqtt::error::io_detail(&e)
                )
            })?;
            access
                .add_password_file(&text)
                .map_err(|what| format!("{}: {what}", file.display()))?;
        }
        if let (Some(user), Some(password)) = (&args.user, &args.password) {
            access.add_user(user, password);
        }
        Ok(access)
    }

    /// Seconds since 1970, as `mosquitto -v` stamps its lines.
    fn unix_seconds() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}
