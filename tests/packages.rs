//! Packages as a MicroPython user installs them: sys.path like the unix port's
//! (~/.micropython/lib, MICROPYPATH), and `pymqtt -m mip` / `-m upip` / `mip.install()`
//! against a package index served by the test (never the internet).

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::Duration;

use support::certs::TestPki;
use support::package_index::{PackageIndex, short_hash};
use support::processes::Pymqtt;
use support::scripts::TempDir;

const RUN: Duration = Duration::from_secs(60);

const GREETING_INIT: &str =
    "from shout import shout\n\ndef hello(name):\n    return shout('hello ' + name)\n";
const SHOUT: &str = "def shout(s):\n    return s.upper() + '!'\n";

/// An index with `greeting` 1.0, which needs `shout` (and umqtt.simple, built in).
fn greeting_index() -> PackageIndex {
    let index = PackageIndex::start();
    index.add(
        "greeting",
        "1.0",
        &[("greeting/__init__.py", GREETING_INIT)],
        &[("shout", "latest"), ("umqtt.simple", "latest")],
    );
    index.add("shout", "2.0", &[("shout.py", SHOUT)], &[]);
    index
}

/// pymqtt with HOME set to `home` (so ~/.micropython/lib is inside it).
fn pymqtt_at_home(home: &TempDir) -> Pymqtt {
    Pymqtt::new().cwd(home.path()).env("HOME", home.path())
}

fn lib(home: &TempDir) -> std::path::PathBuf {
    home.path().join(".micropython/lib")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn sys_path_is_the_unix_ports() {
    let home = TempDir::new("home");
    let dir = TempDir::new("syspath");
    let script = dir.write("show.py", "import sys\nprint(sys.path)\n");
    let h = home.path().display().to_string();
    let d = dir.path().display().to_string();

    pymqtt_at_home(&home)
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line(&format!(
            "['{d}', '.frozen', '{h}/.micropython/lib', '/usr/lib/micropython']"
        ));
    // MICROPYPATH replaces the default entries; ~/ is HOME; a leading ':' is sys.path[0].
    pymqtt_at_home(&home)
        .env("MICROPYPATH", ":/opt/mp:~/mylib")
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line(&format!("['{d}', '/opt/mp', '{h}/mylib']"));
    // -c: the current folder is "".
    pymqtt_at_home(&home)
        .args(["-c", "import sys; print(sys.path[0] == '', len(sys.path))"])
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("True 4");
}

#[test]
fn modules_import_from_the_lib_folder_and_micropypath() {
    let home = TempDir::new("home");
    home.write(".micropython/lib/from_lib.py", "WHERE = 'lib'\n");
    let extra = TempDir::new("mpath");
    extra.write("from_mpath.py", "WHERE = 'MICROPYPATH'\n");
    let dir = TempDir::new("import");
    let script = dir.write("main.py", "import from_lib\nprint(from_lib.WHERE)\n");
    pymqtt_at_home(&home)
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("lib");

    let script = dir.write("mp.py", "import from_mpath\nprint(from_mpath.WHERE)\n");
    pymqtt_at_home(&home)
        .env("MICROPYPATH", extra.path())
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("MICROPYPATH");
}

/// The script's folder comes before the frozen standard library, as on MicroPython: a
/// project's secrets.py is its own. A bare folder does not hide a module, and the standard
/// library stays importable.
#[test]
fn the_scripts_folder_wins_over_the_frozen_standard_library() {
    let home = TempDir::new("home");
    let dir = TempDir::new("secrets");
    dir.write("secrets.py", "SSID = 'my-wifi'\n");
    std::fs::create_dir_all(dir.path().join("logging")).unwrap();
    let script = dir.write(
        "main.py",
        "from secrets import SSID\nimport logging, json\nprint(SSID, logging.getLogger is not None, json.dumps([1]))\n",
    );
    pymqtt_at_home(&home)
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("my-wifi True [1]");
}

#[test]
fn mip_installs_a_package_and_its_dependency_for_scripts_to_import() {
    let index = greeting_index();
    let home = TempDir::new("home");
    let run = pymqtt_at_home(&home)
        .args(["-m", "mip", "install", "--index", &index.url(), "greeting"])
        .run(RUN);
    run.assert_code(0)
        .assert_stdout_has_line(&format!(
            "Installing greeting (latest) from {} to {}",
            index.url(),
            lib(&home).display()
        ))
        .assert_stdout_has_line("umqtt.simple: already built in to pymqtt, nothing to install")
        .assert_stdout_has_line("Done");
    assert_eq!(
        read(&lib(&home).join("greeting/__init__.py")),
        GREETING_INIT
    );
    assert_eq!(read(&lib(&home).join("shout.py")), SHOUT);
    let requests = index.requests();
    assert_eq!(
        requests,
        [
            "/package/py/greeting/latest.json".to_string(),
            format!("/file/{0:.2}/{0}", short_hash(GREETING_INIT.as_bytes())),
            "/package/py/shout/latest.json".to_string(),
            format!("/file/{0:.2}/{0}", short_hash(SHOUT.as_bytes())),
        ],
        "{}",
        run.describe()
    );

    // A script anywhere imports it, as MicroPython's unix port would.
    let dir = TempDir::new("uses-greeting");
    let script = dir.write("main.py", "import greeting\nprint(greeting.hello('pi'))\n");
    pymqtt_at_home(&home)
        .arg(&script)
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("HELLO PI!");

    // Again: the files are there with the right hashes, nothing is downloaded.
    let again = pymqtt_at_home(&home)
        .args(["-m", "mip", "install", "--index", &index.url(), "greeting"])
        .run(RUN);
    again.assert_code(0).assert_stdout_has_line(&format!(
        "Exists: {}",
        lib(&home).join("shout.py").display()
    ));
    assert!(
        !index.requests()[4..]
            .iter()
            .any(|r| r.starts_with("/file/")),
        "downloaded again: {:?}",
        index.requests()
    );
}

#[test]
fn mip_version_and_target() {
    let index = greeting_index();
    let home = TempDir::new("home");
    let target = TempDir::new("target");
    pymqtt_at_home(&home)
        .args(["-m", "mip", "install", "--target"])
        .arg(target.path())
        .args(["--index", &index.url(), "shout@2.0"])
        .run(RUN)
        .assert_code(0);
    assert_eq!(read(&target.path().join("shout.py")), SHOUT);
    assert_eq!(index.requests()[0], "/package/py/shout/2.0.json");
    assert!(!lib(&home).exists());
}

/// mip.install() from a program; the package imports in the same session although the lib
/// folder did not exist when the interpreter started.
#[test]
fn mip_install_from_python_then_import() {
    let index = greeting_index();
    let home = TempDir::new("home");
    let script = format!(
        "import mip\nprint('installed', mip.install('greeting', index='{}'))\nimport greeting\nprint(greeting.hello('repl'))\n",
        index.url()
    );
    pymqtt_at_home(&home)
        .args(["-c", &script])
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("installed True")
        .assert_stdout_has_line("HELLO REPL!");
}

#[test]
fn upip_takes_the_old_command_line() {
    let index = greeting_index();
    let home = TempDir::new("home");
    let target = TempDir::new("upip-target");
    // -p PATH, -i INDEX, PyPI's "micropython-" names.
    pymqtt_at_home(&home)
        .args(["-m", "upip", "install", "-p"])
        .arg(target.path())
        .args(["-i", &index.url(), "micropython-shout"])
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("Done");
    assert_eq!(read(&target.path().join("shout.py")), SHOUT);

    // -r requirements.txt, into ~/.micropython/lib.
    let reqs = home.write("requirements.txt", "# what the device needs\ngreeting\n");
    pymqtt_at_home(&home)
        .args(["-m", "upip", "install", "-i", &index.url(), "-r"])
        .arg(&reqs)
        .run(RUN)
        .assert_code(0);
    assert_eq!(
        read(&lib(&home).join("greeting/__init__.py")),
        GREETING_INIT
    );
}

#[test]
fn built_in_packages_are_not_downloaded() {
    let index = PackageIndex::start();
    let home = TempDir::new("home");
    let run = pymqtt_at_home(&home)
        .args(["-m", "mip", "install", "--index", &index.url()])
        .args(["umqtt.simple", "umqtt.robust", "logging", "os-path"])
        .run(RUN);
    run.assert_code(0);
    for name in ["umqtt.simple", "umqtt.robust", "logging", "os-path"] {
        run.assert_stdout_has_line(&format!(
            "{name}: already built in to pymqtt, nothing to install"
        ));
    }
    pymqtt_at_home(&home)
        .args([
            "-m",
            "upip",
            "install",
            "-i",
            &index.url(),
            "micropython-umqtt.simple",
        ])
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("umqtt.simple: already built in to pymqtt, nothing to install");
    assert!(index.requests().is_empty(), "{:?}", index.requests());
    assert!(!lib(&home).exists());
}

#[test]
fn an_unknown_package_is_an_error() {
    let index = greeting_index();
    let home = TempDir::new("home");
    let run = pymqtt_at_home(&home)
        .args([
            "-m",
            "mip",
            "install",
            "--index",
            &index.url(),
            "no-such-package",
        ])
        .run(RUN);
    run.assert_code(1);
    assert!(
        run.stderr.contains(&format!(
            "mip: error: package 'no-such-package' (version latest) not found in the index {}",
            index.url()
        )),
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("Done"), "{}", run.describe());
    assert!(!lib(&home).exists());

    // The Python API says so with False.
    pymqtt_at_home(&home)
        .args([
            "-c",
            &format!(
                "import mip; print(mip.install('no-such-package', index='{}'))",
                index.url()
            ),
        ])
        .run(RUN)
        .assert_code(0)
        .assert_stdout_has_line("False");
}

#[test]
fn a_file_that_does_not_match_its_hash_is_refused() {
    let index = greeting_index();
    let hash = short_hash(SHOUT.as_bytes());
    std::fs::write(
        index.dir().join(format!("file/{}/{hash}", &hash[..2])),
        "print('not what the index promised')\n",
    )
    .unwrap();
    let home = TempDir::new("home");
    let run = pymqtt_at_home(&home)
        .args(["-m", "mip", "install", "--index", &index.url(), "shout"])
        .run(RUN);
    run.assert_code(1);
    assert!(
        run.stderr.contains(&format!(
            "shout.py ({}/file/{}/{hash}) does not match its hash {hash}",
            index.url(),
            &hash[..2]
        )),
        "{}",
        run.describe()
    );
    assert!(!lib(&home).join("shout.py").exists());
}

/// The default index is https: mip downloads over TLS, verifying the index against the
/// system's CAs (here the test's CA, through SSL_CERT_FILE); an index the system's CAs do not
/// vouch for is refused with the reason, not a traceback, and nothing is installed.
#[test]
fn https_index_is_verified_and_installs() {
    let pki = TestPki::new();
    let index = PackageIndex::start_tls(&pki.server);
    index.add("shout", "2.0", &[("shout.py", SHOUT)], &[]);

    let home = TempDir::new("home");
    let untrusted = pymqtt_at_home(&home)
        .env("SSL_CERT_FILE", &pki.other_ca)
        .args(["-m", "mip", "install", "--index", &index.url(), "shout"])
        .run(RUN);
    untrusted.assert_code(1);
    assert!(
        untrusted.stderr.contains("certificate verify failed"),
        "{}",
        untrusted.describe()
    );
    assert!(
        !untrusted.stderr.contains("Traceback"),
        "{}",
        untrusted.describe()
    );
    assert!(!lib(&home).join("shout.py").exists());

    let trusted = pymqtt_at_home(&home)
        .env("SSL_CERT_FILE", &pki.ca)
        .args(["-m", "mip", "install", "--index", &index.url(), "shout"])
        .run(RUN);
    trusted.assert_code(0);
    assert_eq!(read(&lib(&home).join("shout.py")), SHOUT);
    assert!(
        index
            .requests()
            .contains(&"/package/py/shout/latest.json".to_string()),
        "{:?}",
        index.requests()
    );
}
