//! The Debian package `scripts/debian/build-deb.sh` makes, built from the binary under test:
//! its control fields, its files, the binary in it running, and its systemd unit checked by
//! `systemd-analyze verify` (against a root folder of the test's own, holding the package's
//! files and the machine's systemd targets).

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::processes::bin;
use support::scripts::{TempDir, repo_root};

fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    let output = command.output().unwrap_or_else(|e| {
        panic!("{shown}: {e} (scripts/test.sh installs dpkg, binutils and systemd)")
    });
    assert!(
        output.status.success(),
        "{shown}: {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Builds the package from the binary under test into `out`; returns its path.
fn build_package(out: &Path) -> PathBuf {
    let script = repo_root().join("scripts/debian/build-deb.sh");
    let output = run(Command::new("bash")
        .arg(script)
        .args(["--binary", bin(), "--compression", "gzip", "--out"])
        .arg(out));
    let path = text(&output).lines().last().unwrap_or_default().to_string();
    assert!(Path::new(&path).is_file(), "no package at {path:?}");
    PathBuf::from(path)
}

fn host_architecture() -> String {
    text(&run(Command::new("dpkg").arg("--print-architecture")))
        .trim()
        .to_string()
}

#[test]
fn the_package_holds_the_binary_its_docs_and_the_unit() {
    let out = TempDir::new("deb");
    let deb = build_package(out.path());
    let arch = host_architecture();
    assert_eq!(
        deb.file_name().unwrap().to_string_lossy(),
        format!("pymqtt_{}_{arch}.deb", env!("CARGO_PKG_VERSION"))
    );

    let field = |name: &str| {
        text(&run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name)))
            .trim()
            .to_string()
    };
    assert_eq!(field("Package"), "pymqtt");
    assert_eq!(field("Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field("Architecture"), arch);
    let depends = field("Depends");
    assert!(depends.contains("libc6 (>= 2."), "Depends: {depends}");

    let listing = text(&run(Command::new("dpkg-deb").arg("-c").arg(&deb)));
    let entry = |path: &str| {
        listing
            .lines()
            .find(|line| line.ends_with(&format!(" {path}")))
            .unwrap_or_else(|| panic!("the package has no {path}:\n{listing}"))
            .to_string()
    };
    let binary = entry("./usr/bin/pymqtt");
    assert!(binary.starts_with("-rwxr-xr-x root/root"), "{binary}");
    entry("./usr/lib/systemd/system/pymqtt@.service");
    entry("./etc/pymqtt/");
    entry("./usr/share/doc/pymqtt/README.md");
    entry("./usr/share/doc/pymqtt/copyright");
    for folder in ["docs", "docs/images"] {
        for doc in std::fs::read_dir(repo_root().join(folder)).unwrap() {
            let doc = doc.unwrap();
            let name = doc.file_name().to_string_lossy().into_owned();
            let slash = if doc.path().is_dir() { "/" } else { "" };
            entry(&format!("./usr/share/doc/pymqtt/{folder}/{name}{slash}"));
        }
    }

    // The binary in the package runs, and is stripped.
    let root = out.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let packaged = root.join("usr/bin/pymqtt");
    let version = text(&run(Command::new(&packaged).arg("--version")));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    let printed = text(&run(Command::new(&packaged).args(["-c", "print(6 * 7)"])));
    assert_eq!(printed, "42\n");
    let sections = text(&run(Command::new("readelf").arg("-S").arg(&packaged)));
    assert!(
        !sections.contains(".debug_info"),
        "not stripped:\n{sections}"
    );

    // The maintainer scripts are there and are shell that parses.
    let control = out.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));
    for script in ["postinst", "prerm", "postrm"] {
        run(Command::new("sh").arg("-n").arg(control.join(script)));
    }
}

/// A root folder for `systemd-analyze --root`: the package's files and the machine's targets
/// (verify follows the unit's dependencies on them).
fn analysis_root(dir: &TempDir) -> PathBuf {
    let deb = build_package(dir.path());
    let root = dir.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let units = root.join("usr/lib/systemd/system");
    let machine_units = ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .iter()
        .map(Path::new)
        .find(|d| d.join("sysinit.target").is_file())
        .expect("systemd's units (the systemd package; scripts/test.sh installs it)");
    for unit in std::fs::read_dir(machine_units).unwrap() {
        let unit = unit.unwrap().path();
        if unit.extension().is_some_and(|e| e == "target") {
            std::fs::copy(&unit, units.join(unit.file_name().unwrap())).unwrap();
        }
    }
    root
}

/// What `systemd-analyze verify` says about `unit` (empty: nothing to say).
fn verify(root: &Path, unit: &str) -> String {
    let output = Command::new("systemd-analyze")
        .arg(format!("--root={}", root.display()))
        .args(["verify", unit])
        .output()
        .expect("systemd-analyze (the systemd package; scripts/test.sh installs it)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn systemd_analyze_verify_finds_nothing_wrong_with_the_unit() {
    let dir = TempDir::new("deb-unit");
    let root = analysis_root(&dir);
    assert_eq!(verify(&root, "pymqtt@sensor.service"), "");

    // The same check finds a mistake: a misspelt setting in a copy of the unit.
    let unit = root.join("usr/lib/systemd/system/pymqtt@.service");
    let good = std::fs::read_to_string(&unit).unwrap();
    assert!(good.contains("\nRestart=on-failure\n"), "{good}");
    std::fs::write(
        &unit,
        good.replace("Restart=on-failure", "Restart=on-faliure"),
    )
    .unwrap();
    let said = verify(&root, "pymqtt@sensor.service");
    assert!(said.contains("on-faliure"), "verify said: {said:?}");
}

#[test]
fn the_unit_runs_the_service_and_takes_sigterm_as_a_stop() {
    let unit = std::fs::read_to_string(repo_root().join("scripts/debian/pymqtt@.service")).unwrap();
    let setting = |name: &str| {
        unit.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("the unit has no {name}=:\n{unit}"))
            .to_string()
    };
    // What tests/service.rs runs and stops: `pymqtt service NAME`, whose SIGTERM status is
    // a success for systemd.
    assert_eq!(setting("ExecStart"), "/usr/bin/pymqtt service %i");
    assert_eq!(setting("SuccessExitStatus"), "143");
    let help = text(&run(Command::new(bin()).args(["service", "--help"])));
    assert!(help.contains("/etc/pymqtt"), "{help}");
}
