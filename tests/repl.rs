//! The interactive prompt, driven through a real pseudo-terminal (tmux) as a user drives it:
//! multi-line input, completion, history, Ctrl-C, Ctrl-D, paste mode, `_`, tracebacks, `-i`.

#[allow(dead_code)]
mod support;

use support::brokers::Mosquitto;
use support::scripts::TempDir;
use support::tty::{Tty, TtyCommand, wait_blocked};

fn repl() -> Tty {
    let tty = TtyCommand::new(Vec::<String>::new()).start();
    tty.wait_ready();
    tty
}

/// The lines after the last one that starts with `marker`.
fn lines_after(screen: &str, marker: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.starts_with(marker))
        .unwrap_or_else(|| panic!("no line starting with {marker:?} in:\n{screen}"));
    lines[at + 1..].iter().map(|l| l.to_string()).collect()
}

#[test]
fn banner_says_version_and_how_to_leave() {
    let tty = repl();
    let screen = tty.screen();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        screen.contains(&format!(
            "pymqtt {version} (RustPython 0.6.0) with umqtt.simple"
        )),
        "{screen}"
    );
    assert!(screen.contains("Ctrl-D exits, Ctrl-E pastes."), "{screen}");
}

#[test]
fn multi_line_def_is_auto_indented_then_called() {
    let tty = repl();
    tty.line("def double(x):");
    // The `... ` line is pre-filled with one indentation step.
    tty.expect_cursor_line("...     ");
    tty.line("y = x * 2");
    tty.expect_cursor_line("...     ");
    tty.line("return y");
    // After `return` the block is over: the next line starts unindented.
    tty.expect_cursor_line("... ");
    let screen = tty.enter();
    assert!(
        screen.contains("...     y = x * 2\n...     return y"),
        "{screen}"
    );
    tty.expect_cursor_line(">>> ");
    let screen = tty.line("double(21)");
    assert_eq!(lines_after(&screen, ">>> double(21)"), ["42", ">>>"]);
}

#[test]
fn an_empty_line_ends_a_block() {
    let tty = repl();
    tty.line("for i in range(3):");
    tty.line("print('item', i)");
    // The pre-filled indentation alone counts as an empty line.
    let screen = tty.enter();
    assert_eq!(
        lines_after(&screen, "...     print('item', i)"),
        ["...", "item 0", "item 1", "item 2", ">>>"]
    );
}

#[test]
fn backspace_removes_one_indentation_level() {
    let tty = repl();
    tty.line("for i in range(2):");
    tty.line("if i:");
    tty.expect_cursor_line("...         ");
    tty.line("print('odd', i)");
    tty.expect_cursor_line("...         ");
    tty.press("BSpace");
    tty.expect_cursor_line("...     ");
    tty.line("print('each', i)");
    let screen = tty.enter();
    assert_eq!(
        lines_after(&screen, "...     print('each', i)"),
        ["...", "each 0", "odd 1", "each 1", ">>>"]
    );
}

#[test]
fn unclosed_brackets_continue() {
    let tty = repl();
    tty.line("x = [1,");
    tty.expect_cursor_line("... ");
    tty.line("2]");
    let screen = tty.line("x");
    assert_eq!(lines_after(&screen, ">>> x"), ["[1, 2]", ">>>"]);
    // A triple-quoted string continues too.
    tty.line("s = '''one");
    tty.line("two'''");
    let screen = tty.line("s");
    assert_eq!(lines_after(&screen, ">>> s"), ["'one\\ntwo'", ">>>"]);
}

#[test]
fn tab_completes_attributes_names_and_modules() {
    let tty = repl();
    tty.line("from umqtt.simple import MQTTClient");
    tty.line("c = MQTTClient('completion', '127.0.0.1')");
    tty.type_text("c.pub");
    tty.press("Tab");
    tty.wait_for_cursor_line("completed to c.publish", |l| {
        l.trim_end() == ">>> c.publish"
    });
    tty.press("C-c");
    tty.wait_for_cursor_line("a fresh prompt", |l| l.trim_end() == ">>>");

    tty.type_text("MQTTCl");
    tty.press("Tab");
    tty.wait_for_cursor_line("completed to MQTTClient", |l| {
        l.trim_end() == ">>> MQTTClient"
    });
    tty.press("C-c");
    tty.wait_for_cursor_line("a fresh prompt", |l| l.trim_end() == ">>>");

    tty.type_text("import umqtt.si");
    tty.press("Tab");
    tty.wait_for_cursor_line("completed to umqtt.simple", |l| {
        l.trim_end() == ">>> import umqtt.simple"
    });
    tty.enter();
    let screen = tty.line("umqtt.simple.__name__");
    assert_eq!(
        lines_after(&screen, ">>> umqtt.simple.__name__"),
        ["'umqtt.simple'", ">>>"]
    );
}

#[test]
fn history_is_kept_across_sessions() {
    let dir = TempDir::new("repl-history");
    let history = dir.path().join("sub").join("history");

    let first = TtyCommand::new(Vec::<String>::new())
        .env("PYMQTT_HISTORY", &history)
        .start();
    first.wait_ready();
    first.line("remembered = 'from the first session'");
    first.press("C-d");
    assert_eq!(first.wait_exit(), 0);
    drop(first);
    let saved = std::fs::read_to_string(&history).expect("history file written");
    assert!(
        saved.contains("remembered = 'from the first session'"),
        "{saved}"
    );

    let second = TtyCommand::new(Vec::<String>::new())
        .env("PYMQTT_HISTORY", &history)
        .start();
    second.wait_ready();
    second.press("Up");
    second.wait_for_cursor_line("the line from the first session", |l| {
        l.trim_end() == ">>> remembered = 'from the first session'"
    });
    second.enter();
    let screen = second.line("remembered");
    assert_eq!(
        lines_after(&screen, ">>> remembered"),
        ["'from the first session'", ">>>"]
    );
}

#[test]
fn ctrl_c_interrupts_wait_msg_and_the_session_goes_on() {
    let m = Mosquitto::start();
    // --broker applies in the REPL too: the client's own host is ignored.
    let tty = TtyCommand::new(["--broker", &m.addr()]).start();
    tty.wait_ready();
    tty.line("from umqtt.simple import MQTTClient");
    tty.line("c = MQTTClient('repl-wait', 'nowhere.invalid')");
    tty.line("c.set_callback(lambda t, m: print('got', t, m))");
    tty.line("c.connect()");
    tty.line("c.subscribe(b'repl/never')");
    let screen = tty.line("import os; os.getpid()");
    let pid: i32 = lines_after(&screen, ">>> import os; os.getpid()")[0]
        .parse()
        .expect("a pid");

    tty.type_text("print('wait' + 'ing'); c.wait_msg()");
    tty.press("Enter");
    tty.wait_for_line("waiting");
    wait_blocked(pid);
    let screen = tty.key_then_prompt("C-c");
    let after = lines_after(&screen, "waiting");
    assert!(
        after.iter().any(|l| l == "KeyboardInterrupt") && after.last().unwrap() == ">>>",
        "{screen}"
    );

    // The session and the connection are still there.
    tty.line("c.publish(b'repl/echo', b'still connected', qos=1)");
    let screen = tty.line("print('alive')");
    assert_eq!(lines_after(&screen, ">>> print('alive')"), ["alive", ">>>"]);
}

#[test]
fn ctrl_c_cancels_the_line_being_typed() {
    let tty = repl();
    tty.line("def f():");
    tty.type_text("undefined_name");
    let screen = tty.key_then_prompt("C-c");
    assert_eq!(
        lines_after(&screen, "...     undefined_name"),
        ["KeyboardInterrupt", ">>>"]
    );
    // The half-typed block is gone: this is a new statement.
    let screen = tty.line("1 + 1");
    assert_eq!(lines_after(&screen, ">>> 1 + 1"), ["2", ">>>"]);
}

#[test]
fn ctrl_e_paste_mode_runs_a_block() {
    let tty = repl();
    let screen = tty.key_then_prompt("C-e");
    assert!(
        screen.contains("paste mode; Ctrl-C to cancel, Ctrl-D to finish"),
        "{screen}"
    );
    tty.expect_cursor_line("=== ");
    // Typed lines keep their own indentation: no auto-indent in paste mode.
    tty.line("def greet(name):");
    tty.expect_cursor_line("=== ");
    tty.line("    return 'hello ' + name");
    tty.line("");
    tty.line("print(greet('typed'))");
    let screen = tty.key_then_prompt("C-d");
    assert_eq!(
        lines_after(&screen, "=== print(greet('typed'))"),
        ["===", "hello typed", ">>>"]
    );

    // A real (bracketed) paste, tabs and blank lines inside a function included.
    tty.key_then_prompt("C-e");
    tty.paste("def total(xs):\n\tn = 0\n\n\tfor x in xs:\n\t\tn += x\n\treturn n\nprint('total', total([1, 2, 3]))\n");
    tty.wait_for_text("print('total', total([1, 2, 3]))");
    let screen = tty.key_then_prompt("C-d");
    assert!(screen.lines().any(|l| l == "total 6"), "{screen}");

    // Ctrl-C cancels a paste without running it.
    tty.key_then_prompt("C-e");
    tty.line("print('never ' + 'printed')");
    tty.key_then_prompt("C-c");
    let screen = tty.line("print('after ' + 'cancel')");
    assert!(!screen.contains("never printed"), "{screen}");
    assert!(screen.contains("after cancel"), "{screen}");
}

#[test]
fn a_paste_indented_with_tabs_and_spaces_runs_as_on_micropython() {
    let tty = repl();
    tty.key_then_prompt("C-e");
    // A tab is 8 columns, so the last `return` closes the `if` (CPython: TabError).
    tty.paste("def pick(x):\n\tif x:\n\t\treturn 'tab'\n        return 'spaces'\nprint('picked', pick(0), pick(1))\n");
    tty.wait_for_text("print('picked', pick(0), pick(1))");
    let screen = tty.key_then_prompt("C-d");
    assert!(screen.lines().any(|l| l == "picked spaces tab"), "{screen}");
}

#[test]
fn a_paste_at_the_prompt_runs_statement_by_statement() {
    let tty = repl();
    // A terminal paste (bracketed): a block, then a statement at column 0 that ends it.
    tty.paste("def triple(x):\n    return 3 * x\nprint('tripled', triple(5))\n");
    tty.wait_for_text("print('tripled', triple(5))");
    let screen = tty.enter();
    assert!(screen.lines().any(|l| l == "tripled 15"), "{screen}");
    tty.expect_cursor_line(">>> ");
}

#[test]
fn ctrl_d_exits_with_status_0() {
    let tty = repl();
    tty.line("x = 1");
    tty.press("C-d");
    assert_eq!(tty.wait_exit(), 0, "{}", tty.screen());
}

#[test]
fn system_exit_ends_the_session_with_its_code() {
    let tty = repl();
    tty.type_text("import sys; sys.exit(3)");
    tty.press("Enter");
    assert_eq!(tty.wait_exit(), 3, "{}", tty.screen());
}

#[test]
fn underscore_holds_the_last_result() {
    let tty = repl();
    tty.line("6 * 7");
    let screen = tty.line("_ + 1");
    assert_eq!(lines_after(&screen, ">>> _ + 1"), ["43", ">>>"]);
    // None is not echoed and does not replace `_`.
    tty.line("None");
    let screen = tty.line("_");
    assert_eq!(lines_after(&screen, ">>> _"), ["43", ">>>"]);
}

#[test]
fn a_traceback_does_not_end_the_session() {
    let tty = repl();
    let screen = tty.line("1 / 0");
    let after = lines_after(&screen, ">>> 1 / 0");
    assert!(after.iter().any(|l| l.starts_with("Traceback")), "{screen}");
    assert!(
        after.iter().any(|l| l.starts_with("ZeroDivisionError")),
        "{screen}"
    );
    let screen = tty.line("def broken(:");
    assert!(screen.contains("SyntaxError"), "{screen}");
    let screen = tty.line("print('still here')");
    assert_eq!(
        lines_after(&screen, ">>> print('still here')"),
        ["still here", ">>>"]
    );
}

#[test]
fn dash_i_enters_the_repl_with_the_scripts_globals() {
    let dir = TempDir::new("repl-inspect");
    let script = dir.write(
        "setup.py",
        "greeting = 'hello from the script'\ndef shout(s):\n    return s.upper()\nprint('script ran')\n",
    );
    let tty = TtyCommand::new(["-i".to_string(), script.display().to_string()])
        .cwd(dir.path())
        .start();
    tty.wait_ready();
    assert!(tty.screen().lines().any(|l| l == "script ran"));
    let screen = tty.line("shout(greeting)");
    assert_eq!(
        lines_after(&screen, ">>> shout(greeting)"),
        ["'HELLO FROM THE SCRIPT'", ">>>"]
    );
    let screen = tty.line("__name__");
    assert_eq!(lines_after(&screen, ">>> __name__"), ["'__main__'", ">>>"]);
}

#[test]
fn lines_typed_ahead_all_run() {
    let tty = repl();
    tty.type_ahead(&["a = 1", "b = 2", "print('sum', a + b)"]);
    tty.wait_for_line("sum 3");
    tty.expect_cursor_line(">>> ");
}

#[test]
fn lines_typed_while_code_runs_run_after_it() {
    let tty = repl();
    tty.type_ahead(&["import time; time.sleep(1); print('slept')"]);
    tty.wait_for_text("import time; time.sleep(1)");
    // Typed during the sleep: the terminal holds them until the prompt reads again.
    tty.type_ahead(&["x = 'typed' + ' during'", "print(x)"]);
    let screen = tty.wait_for_line("typed during");
    let slept = screen
        .lines()
        .position(|l| l == "slept")
        .expect("slept first");
    let typed = screen.lines().position(|l| l == "typed during").unwrap();
    assert!(slept < typed, "{screen}");
}

#[test]
fn an_unbracketed_paste_runs_every_line() {
    let tty = repl();
    tty.paste_unbracketed(
        "def twice(x):\n    return 2 * x\n\nprint('twice', twice(21))\nprint('and', 'more')\n",
    );
    tty.wait_for_line("twice 42");
    tty.wait_for_line("and more");
}

#[test]
fn an_unbracketed_paste_in_paste_mode_keeps_every_line() {
    let tty = repl();
    tty.key_then_prompt("C-e");
    tty.paste_unbracketed("def f(n):\n\tif n:\n\t\treturn 'yes'\n\treturn 'no'\nprint('f', f(1), f(0))\nprint('last', 'line')\n");
    tty.wait_for_text("print('last', 'line')");
    let screen = tty.key_then_prompt("C-d");
    assert!(screen.lines().any(|l| l == "f yes no"), "{screen}");
    assert!(screen.lines().any(|l| l == "last line"), "{screen}");
}
