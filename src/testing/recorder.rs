//! `pymqtt test --record SCRIPT`: runs the script for real, against the test's broker (whose
//! address it prints, for `pymqtt pub` or any client to drive the script) or the broker
//! `--broker` names, and writes what happened as a test: `SCRIPT.wire` (`Recording`) and
//! `SCRIPT.exp` (what it printed). The recording ends when the script does, or when the
//! limit passes (`--limit`, default 10 s), where the script is stopped as a test stops it.
//!
//! As for tests, the script runs in a process of its own (the runner's `--harness-record`
//! child); the parent shows its output as it comes and writes the two files.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::recording::Recording;
use crate::broker::EmbeddedBroker;
use crate::host::Hooks;
use crate::{BrokerAddress, ExitStatus, Host};

/// Lines of the child's own (not the script's) that the expected output leaves out.
const NOTICE: &str = "pymqtt test: ";

/// The child's side (`pymqtt --harness-record OUT [--harness-limit S] [--broker B] SCRIPT`):
/// runs the script with the recording listening, and writes the `.wire` text to `out`.
pub fn record_from_command_line(
    script_and_args: &[String],
    out: &Path,
    limit: Option<f64>,
    broker: Option<BrokerAddress>,
) -> ExitStatus {
    let Some(script) = script_and_args.first() else {
        eprintln!("{NOTICE}no script to record");
        return ExitStatus::USAGE;
    };
    let board = match super::harness::on_its_board(
        Path::new(script),
        super::wire_spec::WireSpec::default(),
        None,
    ) {
        Ok((_, board)) => board,
        Err(message) => {
            eprintln!("{NOTICE}{message}");
            return ExitStatus::USAGE;
        }
    };
    // The test broker lives as long as this process: the recording's clients use it.
    let (address, _test_broker) = match broker {
        Some(address) => (address, None),
        None => match EmbeddedBroker::start_on_free_port() {
            Ok(test_broker) => {
                let addr = test_broker.addr();
                eprintln!(
                    "{NOTICE}recording {script} against the test broker on {addr}: drive it \
                     with e.g. `pymqtt pub -p {} -t TOPIC -m MESSAGE`",
                    addr.port()
                );
                (
                    BrokerAddress::tcp(addr.ip().to_string(), addr.port()),
                    Some(test_broker),
                )
            }
            Err(e) => {
                eprintln!("{NOTICE}{e}");
                return ExitStatus::CANNOT_OPEN;
            }
        },
    };
    let limit = limit
        .and_then(|l| Duration::try_from_secs_f64(l).ok())
        .unwrap_or(super::runner::DEFAULT_LIMIT);
    let (events, heard) = mpsc::channel();
    let hooks = Hooks::new(move |event| {
        let _ = events.send((event, Instant::now()));
    });
    let stopper = hooks.clone();
    thread::spawn(move || {
        thread::sleep(limit);
        stopper.request_stop();
    });
    let start = Instant::now();
    let host = Host::builder()
        .argv(script_and_args.to_vec())
        .broker(address)
        .hooks(hooks)
        .board(Arc::new(board))
        .build();
    let status = host.run(&super::harness::program_of(Path::new(script)));
    let ran = start.elapsed();
    let mut recording = Recording::new(start);
    for (event, at) in heard.try_iter() {
        recording.on_event(&event, at);
    }
    let name = Path::new(script)
        .file_name()
        .map_or_else(|| script.clone(), |n| n.to_string_lossy().into_owned());
    if let Err(e) = std::fs::write(out, recording.wire_text(&name, ran)) {
        eprintln!("{NOTICE}cannot write the recording: {e}");
        return ExitStatus::CANNOT_OPEN;
    }
    status
}

/// The parent's side: records `script` and writes `SCRIPT.wire` and `SCRIPT.exp`.
pub fn record(
    pymqtt: &Path,
    script: &Path,
    limit: Duration,
    broker: Option<&BrokerAddress>,
) -> ExitStatus {
    let wire_path = PathBuf::from(format!("{}.wire", script.display()));
    let exp_path = PathBuf::from(format!("{}.exp", script.display()));
    let scratch = std::env::temp_dir().join(format!("pymqtt-record-{}.wire", std::process::id()));
    let mut command = Command::new(pymqtt);
    command
        .arg("--harness-record")
        .arg(&scratch)
        .arg("--harness-limit")
        .arg(limit.as_secs_f64().to_string());
    if let Some(broker) = broker {
        command.arg("--broker").arg(broker.to_string());
    }
    super::runner::run_in_its_folder(&mut command, script);
    let run = || -> std::io::Result<(std::process::ExitStatus, Vec<u8>)> {
        let mut reader = super::runner::output_pipe(&mut command)?;
        let mut child = command.spawn()?;
        drop(command);
        // Shown as it comes (the person driving the script watches it), and kept.
        let mut output = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = reader.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            let _ = std::io::stdout().write_all(&chunk[..n]);
            let _ = std::io::stdout().flush();
            output.extend_from_slice(&chunk[..n]);
        }
        Ok((child.wait()?, output))
    };
    let (status, output) = match run() {
        Ok(ran) => ran,
        Err(e) => {
            eprintln!("pymqtt test: cannot record {}: {e}", script.display());
            return ExitStatus::CANNOT_OPEN;
        }
    };
    let Ok(wire) = std::fs::read_to_string(&scratch) else {
        eprintln!(
            "pymqtt test: {} could not be recorded (it ended with {status})",
            script.display()
        );
        return ExitStatus::EXCEPTION;
    };
    let _ = std::fs::remove_file(&scratch);
    let output = String::from_utf8_lossy(&output);
    let expected: String = output
        .split_inclusive('\n')
        .filter(|line| !line.starts_with(NOTICE))
        .collect();
    for (path, text) in [(&wire_path, wire.as_str()), (&exp_path, expected.as_str())] {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("pymqtt test: cannot write {}: {e}", path.display());
            return ExitStatus::CANNOT_OPEN;
        }
    }
    eprintln!(
        "pymqtt test: wrote {} and {}{}",
        wire_path.display(),
        exp_path.display(),
        if status.success() {
            String::new()
        } else {
            format!(" (the script ended with {status}: check the expected output)")
        }
    );
    ExitStatus::SUCCESS
}
