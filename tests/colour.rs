//! Colour on a terminal only: `pymqtt test`'s verdicts and pymqtt's error lines are coloured in
//! a real terminal (tmux), and plain in a pipe and with `NO_COLOR`.

#[allow(dead_code)]
mod support;

use support::deadlines::WAIT;
use support::processes::Pymqtt;
use support::scripts::TempDir;
use support::tty::TtyCommand;

const ESC: char = '\x1b';

/// A passing and a failing test, and a script that is not there.
fn dir() -> TempDir {
    let dir = TempDir::new("colour");
    dir.write("ok.py", "print('hi')\n");
    dir.write("ok.py.exp", "hi\n");
    dir.write("bad.py", "print('ho')\n");
    dir.write("bad.py.exp", "hi\n");
    dir
}

/// The screen's lines holding `needle`, escapes kept.
fn lines_with(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .filter(|l| l.contains(needle))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn verdicts_and_errors_are_coloured_on_a_terminal() {
    let dir = dir();
    let tty = TtyCommand::new(["test"]).cwd(dir.path()).start();
    tty.wait_for_text("1 passed, 1 failed");
    let screen = tty.screen_with_escapes();
    let pass = lines_with(&screen, "ok.py (");
    let fail = lines_with(&screen, "bad.py (");
    assert!(pass.contains("32m") && pass.contains(ESC), "{pass:?}");
    assert!(fail.contains("31m") && fail.contains(ESC), "{fail:?}");

    let tty = TtyCommand::new(["nothere.py"]).cwd(dir.path()).start();
    tty.wait_for_text("EXIT=2");
    let error = lines_with(&tty.screen_with_escapes(), "can't open file");
    assert!(error.contains("31m") && error.contains(ESC), "{error:?}");
}

#[test]
fn no_colour_in_a_pipe_or_with_no_color() {
    let dir = dir();
    let tty = TtyCommand::new(["test"])
        .env("NO_COLOR", "1")
        .cwd(dir.path())
        .start();
    tty.wait_for_text("1 passed, 1 failed");
    let verdicts = lines_with(&tty.screen_with_escapes(), ".py (");
    assert!(!verdicts.contains(ESC), "{verdicts:?}");

    let piped = Pymqtt::new().arg("test").cwd(dir.path()).run(WAIT);
    assert!(
        piped.stdout.contains("FAIL    bad.py"),
        "{}",
        piped.describe()
    );
    let missing = Pymqtt::new().arg("nothere.py").cwd(dir.path()).run(WAIT);
    missing.assert_code(2);
    assert_eq!(
        missing.stderr,
        "pymqtt: can't open file 'nothere.py': [Errno 2] No such file or directory\n"
    );
    assert!(!format!("{}{}", piped.stdout, piped.stderr).contains(ESC));
}
