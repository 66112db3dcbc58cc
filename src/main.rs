//! The `pymqtt` command: parses the command line and hands over to the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use pymqtt::board::{Board, BoardConfig};
use pymqtt::{BrokerAddress, ExitStatus, Host, Program};

const EXAMPLES: &str = "\
Examples:
  pymqtt sub.py                          run a MicroPython MQTT script
  pymqtt --local-broker pub.py           ... against a broker started inside pymqtt
  pymqtt --broker localhost:1883 sub.py  ... against another broker, whatever the script says
  pymqtt --broker wss://broker.emqx.io:8084/mqtt sub.py   ... over WebSocket and TLS
  pymqtt broker --port 1883              run the embedded broker alone (for a second terminal)
  pymqtt broker --ws-port 8083           ... also serving MQTT over WebSocket
  pymqtt pub -t raspberry/mqtt -m hello  publish a message (like mosquitto_pub; see pub --help)
  pymqtt sub -t raspberry/mqtt -v        print the messages on a topic (like mosquitto_sub)
  pymqtt test tests/                     run the scripts' regression tests (see test --help)
  pymqtt -c 'import umqtt.simple'        run a one-liner
  pymqtt                                 interactive prompt";

/// `pymqtt --version`: the version, the interpreter and MQTT client underneath, and the
/// cargo features this binary was built with.
fn version() -> String {
    use rustpython_vm::version::{MAJOR_IMPL, MICRO_IMPL, MINOR_IMPL};
    let features: Vec<&str> = [
        ("local-broker", cfg!(feature = "local-broker")),
        ("tls", cfg!(feature = "tls")),
        ("websocket", cfg!(feature = "websocket")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    let features = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    // rumqttc's version as Cargo.toml pins it (the crate exports none).
    format!(
        "{} (RustPython {MAJOR_IMPL}.{MINOR_IMPL}.{MICRO_IMPL}, rumqttc 0.25; features: {features})",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "pymqtt",
    version,
    about = "Run MicroPython umqtt.simple MQTT scripts unchanged on this computer",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Program passed in as a string
    #[arg(short = 'c', value_name = "CODE", conflicts_with = "module")]
    code: Option<String>,

    /// Run a library module as a script
    #[arg(short = 'm', value_name = "MODULE")]
    module: Option<String>,

    /// Enter the interactive prompt after the program ends
    #[arg(short = 'i')]
    inspect: bool,

    /// MicroPython's implementation options (`-X emit=bytecode`, `-X heapsize=N`, ...), as
    /// its unix port takes them: accepted, and ignored (they mean nothing here)
    #[arg(short = 'X', value_name = "OPTION", action = clap::ArgAction::Append)]
    implementation_options: Vec<String>,

    /// Connect every MQTTClient to this broker, whatever the script hard-codes: HOST[:PORT]
    /// (plain MQTT, even for a script that asks for TLS), mqtts://HOST[:PORT] (TLS), or
    /// ws://HOST[:PORT]/PATH, wss://HOST[:PORT]/PATH (WebSocket)
    #[arg(
        long,
        value_name = "HOST[:PORT]",
        env = "PYMQTT_BROKER",
        conflicts_with = "local_broker"
    )]
    broker: Option<BrokerAddress>,

    /// Start an embedded broker on 127.0.0.1 and connect every MQTTClient to it (PORT 0: a free
    /// port, named on stderr)
    #[arg(long, value_name = "PORT", num_args = 0..=1, require_equals = true,
          default_missing_value = "1883")]
    local_broker: Option<u16>,

    /// The virtual board's file (TOML: kind, Wi-Fi networks, inputs) [default: board.toml
    /// beside the script, else a Pico W]
    #[arg(long, value_name = "FILE")]
    board: Option<PathBuf>,

    /// Print each change the script makes to the board (pins, Wi-Fi, resets) on stderr
    #[arg(long)]
    board_trace: bool,

    /// Publish the board's outputs under PREFIX on the broker (--broker's, else localhost) and
    /// take inputs from PREFIX/.../set [default PREFIX: pymqtt/board]
    #[arg(long, value_name = "PREFIX", num_args = 0..=1, require_equals = true,
          default_missing_value = pymqtt::board::bridge::DEFAULT_PREFIX)]
    board_mqtt: Option<String>,

    /// Serve a live view of the board, the script's MQTT traffic and its output on
    /// http://127.0.0.1:PORT/, where its inputs can be changed too (PORT 0: a free port)
    #[cfg(feature = "board-view")]
    #[arg(long, value_name = "PORT", num_args = 0..=1, require_equals = true,
          default_missing_value = BOARD_VIEW_PORT)]
    board_view: Option<u16>,

    /// Serve the board view on this address instead of 127.0.0.1 (0.0.0.0: every interface):
    /// whoever reaches it can change the board's inputs
    #[cfg(feature = "board-view")]
    #[arg(long, value_name = "ADDR")]
    board_view_bind: Option<std::net::IpAddr>,

    /// Run the script as one test of `pymqtt test`, writing the wire verdict to FILE
    #[arg(long, hide = true, value_name = "FILE")]
    harness_report: Option<PathBuf>,

    /// The test's .wire file (with --harness-report)
    #[arg(long, hide = true, value_name = "FILE", requires = "harness_report")]
    harness_wire: Option<PathBuf>,

    /// The test's time limit in seconds (with --harness-report or --harness-record)
    #[arg(long, hide = true, value_name = "SECONDS")]
    harness_limit: Option<f64>,

    /// The test runs on the virtual clock (with --harness-report)
    #[arg(long, hide = true, requires = "harness_report")]
    harness_virtual_clock: bool,

    /// Run the script for `pymqtt test --record`, writing the .wire text to FILE
    #[arg(
        long,
        hide = true,
        value_name = "FILE",
        conflicts_with = "harness_report"
    )]
    harness_record: Option<PathBuf>,

    /// The script to run, then its arguments (sys.argv[1:])
    #[arg(
        value_name = "SCRIPT [ARGS]",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    rest: Vec<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the embedded MQTT broker in the foreground (Ctrl-C stops it)
    Broker(pymqtt::tools::BrokerArgs),
    /// Publish messages to a topic (like mosquitto_pub)
    #[command(mut_arg("debug", |a| a.help("Report connecting and disconnecting on stderr")))]
    Pub(pymqtt::tools::PubArgs),
    /// Print the messages published to topics (like mosquitto_sub)
    Sub(pymqtt::tools::SubArgs),
    /// Run MQTT scripts as regression tests, each against a private embedded broker
    Test(pymqtt::testing::TestArgs),
    /// Run the service NAME: DIR/NAME.py, or the board folder DIR/NAME/ (boot.py, then
    /// main.py), in that folder; the systemd unit pymqtt@NAME runs this
    Service(ServiceArgs),
    /// Print a completion script for a shell, e.g. `pymqtt completions bash > ~/.local/share/bash-completion/completions/pymqtt`
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args, Debug)]
struct ServiceArgs {
    /// The service's name: its script is DIR/NAME.py, or its board folder DIR/NAME/
    name: String,
    /// Where the services' scripts and folders are
    #[arg(long, value_name = "DIR", default_value = "/etc/pymqtt")]
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = {
        use clap::{CommandFactory, FromArgMatches};
        // --version says what this pymqtt is built on and with.
        let command = Cli::command().version(&*Box::leak(version().into_boxed_str()));
        Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
    };
    let status = match &cli.command {
        Some(Command::Broker(args)) => imp::run_broker(args),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "pymqtt",
                &mut std::io::stdout(),
            );
            ExitStatus::SUCCESS
        }
        Some(Command::Pub(args)) => pymqtt::tools::publish::run(args).into(),
        Some(Command::Sub(args)) => pymqtt::tools::subscribe::run(args).into(),
        Some(Command::Test(args)) => imp::run_tests(args),
        Some(Command::Service(args)) => run_service(args),
        None => match (&cli.harness_report, &cli.harness_record) {
            (Some(report), _) => imp::run_as_test(&cli, report),
            (None, Some(out)) => imp::record_as_test(&cli, out),
            (None, None) => run_script(&cli),
        },
    };
    status.into()
}

/// The script (or prompt) the command line names, with its broker redirect.
fn run_script(cli: &Cli) -> ExitStatus {
    if let Some(message) = misplaced_option(cli) {
        pymqtt::terminal_style::report_error("pymqtt", message);
        return ExitStatus::USAGE;
    }
    let mut broker = cli.broker.clone();
    if let Some(port) = cli.local_broker {
        match imp::start_local_broker(port) {
            Ok(address) => broker = Some(address),
            Err(message) => {
                pymqtt::terminal_style::report_error("pymqtt", message);
                return ExitStatus::USAGE;
            }
        }
    }
    if let Some(broker) = &broker {
        let origin = if cli.local_broker.is_some() {
            "embedded broker"
        } else {
            "--broker"
        };
        eprintln!("pymqtt: MQTT clients connect to {broker} ({origin}), whatever the script says");
    }

    let (program, argv) = program_and_argv(cli);
    let board = match board_config(cli.board.as_deref(), &program) {
        Ok(board) => board,
        Err(message) => {
            pymqtt::terminal_style::report_error("pymqtt", message);
            return ExitStatus::USAGE;
        }
    };
    if let Program::File(path) = &program
        && path.file_name().is_some_and(|name| name == "main.py")
        && script_folder(path).join("boot.py").is_file()
    {
        eprintln!(
            "pymqtt: a boot.py is beside main.py: `pymqtt {}` runs both, as a board does",
            script_folder(path).display()
        );
    }
    let board = Arc::new(Board::new(board));
    if let Some(prefix) = &cli.board_mqtt {
        let to = broker
            .clone()
            .unwrap_or_else(|| BrokerAddress::tcp("localhost", 1883));
        if let Err(message) = pymqtt::board::bridge::start(Arc::clone(&board), &to, prefix) {
            pymqtt::terminal_style::report_error("pymqtt", message);
            return ExitStatus::USAGE;
        }
        eprintln!("pymqtt: the board is on {to} under {prefix}/ (inputs: {prefix}/pin/NAME/set)");
    }
    let mut host = Host::builder();
    #[cfg(feature = "board-view")]
    if cli.board_view.is_some() || cli.board_view_bind.is_some() {
        match start_board_view(cli, &board) {
            Ok(view) => host = host.hooks(view.hooks()).output(view.output()),
            Err(message) => {
                pymqtt::terminal_style::report_error("pymqtt", message);
                return ExitStatus::USAGE;
            }
        }
    }
    host = host
        .argv(argv)
        .inspect(cli.inspect)
        // At a prompt, SIGTERM ends pymqtt at once, as before: nothing would check it there.
        .stop_on_sigterm(!cli.inspect && program != Program::Repl)
        .board(board)
        .board_trace(cli.board_trace);
    if let Some(broker) = broker {
        host = host.broker(broker);
    }
    host.build().run(&program)
}

/// The port `--board-view` serves on when it names none.
#[cfg(feature = "board-view")]
const BOARD_VIEW_PORT: &str = "8090";

/// `--board-view[=PORT]` and `--board-view-bind ADDR`: starts the view and says where it is.
#[cfg(feature = "board-view")]
fn start_board_view(
    cli: &Cli,
    board: &Arc<Board>,
) -> Result<pymqtt::board_view::BoardView, String> {
    let default_port = BOARD_VIEW_PORT.parse().unwrap_or(8090);
    let ip = cli
        .board_view_bind
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let bind = std::net::SocketAddr::new(ip, cli.board_view.unwrap_or(default_port));
    let view = pymqtt::board_view::BoardView::start(Arc::clone(board), bind).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!("--board-view: {bind} is in use (--board-view=0 takes a free port)")
        } else {
            format!("--board-view: cannot listen on {bind}: {e}")
        }
    })?;
    let addr = view.addr();
    let shown = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    eprintln!("pymqtt: board view on http://{shown}/");
    if !ip.is_loopback() {
        pymqtt::terminal_style::report_warning(
            "pymqtt",
            format!(
                "the board view listens on {addr}: anyone who can reach it sees the script's \
                 traffic and output and can change the board's inputs"
            ),
        );
    }
    Ok(view)
}

/// `pymqtt service NAME`: the service's script or board folder, run from its folder as a
/// board runs from its flash, and otherwise as `pymqtt SCRIPT` runs it (PYMQTT_BROKER
/// applies).
fn run_service(args: &ServiceArgs) -> ExitStatus {
    let (program, folder) = match service_program(&args.dir, &args.name) {
        Ok(found) => found,
        Err(message) => {
            pymqtt::terminal_style::report_error("pymqtt", message);
            return ExitStatus::CANNOT_OPEN;
        }
    };
    if let Err(e) = std::env::set_current_dir(&folder) {
        pymqtt::terminal_style::report_error(
            "pymqtt",
            format!("can't enter {}: {e}", folder.display()),
        );
        return ExitStatus::CANNOT_OPEN;
    }
    let program = program.display().to_string();
    match Cli::try_parse_from(["pymqtt", program.as_str()]) {
        Ok(cli) => run_script(&cli),
        Err(e) => e.exit(),
    }
}

/// The service NAME's program in `dir` (its board folder, else NAME.py), and the folder to
/// run it in.
fn service_program(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), String> {
    let name = name.strip_suffix(".py").unwrap_or(name);
    if name.is_empty() || name.starts_with('.') || name.contains('/') {
        return Err(format!(
            "'{name}' is not a service name (a name of a script or folder in {})",
            dir.display()
        ));
    }
    // Absolute: the program runs after pymqtt has entered its folder.
    let dir = std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let folder = dir.join(name);
    if folder.is_dir() {
        return Ok((folder.clone(), folder));
    }
    let script = dir.join(format!("{name}.py"));
    if script.is_file() {
        return Ok((script, dir));
    }
    Err(format!(
        "no service '{name}': neither {} nor the board folder {}/ exists",
        script.display(),
        folder.display()
    ))
}

/// What the script's place holds when it is no script: an option pymqtt does not know (the
/// script's own options come after the script), or the port of `--local-broker` given
/// without its `=`.
fn misplaced_option(cli: &Cli) -> Option<String> {
    if cli.code.is_some() || cli.module.is_some() {
        return None;
    }
    let first = cli.rest.first()?;
    if Path::new(first).exists() {
        return None;
    }
    if first.starts_with('-') && first != "-" {
        return Some(format!(
            "unknown option '{first}' (options go before the script; see pymqtt --help)"
        ));
    }
    if cli.local_broker.is_some() && first.parse::<u16>().is_ok() {
        return Some(format!(
            "--local-broker takes its port with '=': --local-broker={first} (without one it \
             uses 1883, and '{first}' was taken for the script)"
        ));
    }
    None
}

/// The folder a script is in (`.` for a bare name).
fn script_folder(script: &Path) -> &Path {
    match script.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The board: `--board FILE`, else a board.toml beside the script (or in the board folder),
/// else the default board.
fn board_config(file: Option<&Path>, program: &Program) -> Result<BoardConfig, String> {
    if let Some(file) = file {
        return BoardConfig::read(file);
    }
    let folder = match program {
        Program::File(path) => script_folder(path),
        Program::Folder(dir) => dir,
        _ => return Ok(BoardConfig::default()),
    };
    Ok(BoardConfig::beside(folder)?
        .map(|(config, _)| config)
        .unwrap_or_default())
}

/// What to run and its `sys.argv`, as CPython and MicroPython decide them.
fn program_and_argv(cli: &Cli) -> (Program, Vec<String>) {
    if let Some(code) = &cli.code {
        let argv = std::iter::once("-c".to_string())
            .chain(cli.rest.iter().cloned())
            .collect();
        return (Program::Source(code.clone()), argv);
    }
    if let Some(module) = &cli.module {
        let argv = std::iter::once(module.clone())
            .chain(cli.rest.iter().cloned())
            .collect();
        return (Program::Module(module.clone()), argv);
    }
    match cli.rest.first() {
        // A board's folder: boot.py, then main.py.
        Some(dir) if Path::new(dir).is_dir() => {
            (Program::Folder(PathBuf::from(dir)), cli.rest.clone())
        }
        Some(script) => (Program::File(PathBuf::from(script)), cli.rest.clone()),
        None if std::io::stdin().is_terminal() => (Program::Repl, vec![String::new()]),
        None => (Program::Stdin, vec![String::new()]),
    }
}

/// What needs the embedded broker (`local-broker`), and what a build without it says instead.
#[cfg(feature = "local-broker")]
mod imp {
    use std::path::Path;

    use pymqtt::{BrokerAddress, ExitStatus};

    use super::Cli;

    pub fn start_local_broker(port: u16) -> Result<BrokerAddress, String> {
        let broker = pymqtt::broker::EmbeddedBroker::start(port).map_err(|e| e.to_string())?;
        Ok(BrokerAddress::tcp(
            broker.addr().ip().to_string(),
            broker.addr().port(),
        ))
    }

    pub fn run_tests(args: &pymqtt::testing::TestArgs) -> ExitStatus {
        pymqtt::testing::run(args)
    }

    pub fn run_as_test(cli: &Cli, report: &Path) -> ExitStatus {
        pymqtt::testing::harness::run_from_command_line(
            &cli.rest,
            report,
            cli.harness_wire.as_deref(),
            cli.harness_limit,
            cli.harness_virtual_clock,
        )
    }

    pub fn run_broker(args: &pymqtt::tools::BrokerArgs) -> ExitStatus {
        pymqtt::tools::broker::run(args)
    }

    pub fn record_as_test(cli: &Cli, out: &Path) -> ExitStatus {
        pymqtt::testing::recorder::record_from_command_line(
            &cli.rest,
            out,
            cli.harness_limit,
            cli.broker.clone(),
        )
    }
}

#[cfg(not(feature = "local-broker"))]
mod imp {
    use std::path::Path;

    use pymqtt::{BrokerAddress, ExitStatus};

    use super::Cli;

    pub fn start_local_broker(_port: u16) -> Result<BrokerAddress, String> {
        Err(
            "this pymqtt was built without the embedded broker (feature `local-broker`); \
             use --broker HOST[:PORT] instead"
                .into(),
        )
    }

    pub fn run_tests(_args: &pymqtt::testing::TestArgs) -> ExitStatus {
        eprintln!("pymqtt: `pymqtt test` needs the embedded broker (feature `local-broker`)");
        ExitStatus::USAGE
    }

    pub fn run_as_test(_cli: &Cli, _report: &Path) -> ExitStatus {
        eprintln!("pymqtt: running as a test needs the embedded broker (feature `local-broker`)");
        ExitStatus::USAGE
    }

    pub fn record_as_test(cli: &Cli, report: &Path) -> ExitStatus {
        run_as_test(cli, report)
    }

    pub fn run_broker(_args: &pymqtt::tools::BrokerArgs) -> ExitStatus {
        eprintln!(
            "pymqtt: this pymqtt was built without the embedded broker (feature `local-broker`)"
        );
        ExitStatus::USAGE
    }
}
