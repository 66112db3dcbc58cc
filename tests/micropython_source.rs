//! Source text that MicroPython accepts runs unchanged: indentation mixing tabs and spaces
//! (a tab moves to the next multiple of 8 columns, no TabError), CRLF and CR line endings,
//! in every way a program arrives (a file, `-c`, stdin, `-m`, an imported module), and
//! `bytes.format()` building an MQTT topic that an independent client receives.
//!
//! tests/micropython/source_tabs.py and bytes_format.py cover the rules line by line; these
//! cover the ways in.

#[allow(dead_code)]
mod support;

use rumqttc::QoS;
use support::brokers::Mosquitto;
use support::deadlines::WAIT;
use support::peers::{Peer, text};
use support::processes::{Finished, Pymqtt};
use support::scripts::{TempDir, fill, unique_id};

/// A board script: tab-indented blocks continued with spaces, as editors mix them.
const TAB_SCRIPT: &str = "def f(n):\n\tif n > 1:\n\t        return n * f(n - 1)\n        return 1\n\nfor i in (3, 4):\n\tprint('f', i, f(i))\n";

fn assert_prints(run: &Finished, expected: &str) {
    run.assert_code(0);
    assert_eq!(run.stdout, expected, "{}", run.describe());
}

#[test]
fn tab_and_space_indentation_runs_from_a_file_c_and_stdin() {
    let dir = TempDir::new("source-tabs");
    let expected = "f 3 6\nf 4 24\n";
    assert_prints(
        &Pymqtt::script(&dir, "main.py", TAB_SCRIPT).run(WAIT),
        expected,
    );
    assert_prints(&Pymqtt::new().arg("-c").arg(TAB_SCRIPT).run(WAIT), expected);
    assert_prints(&Pymqtt::new().stdin(TAB_SCRIPT).run(WAIT), expected);
}

#[test]
fn modules_with_tabs_and_crlf_import_and_run_with_dash_m() {
    let dir = TempDir::new("source-modules");
    // A module saved on Windows, with a multi-line string; it, the package and the main
    // module are indented in ways CPython refuses as ambiguous (TabError).
    let module = "GREETING = '''hello\r\n\tworld'''\r\n\r\ndef double(x):\r\n\tif x:\r\n\t\treturn 2 * x\r\n        return 0\r\n";
    dir.write("helpers.py", module);
    dir.write(
        "pkg/__init__.py",
        "def triple(x):\n        for _ in range(1):\n\t\treturn 3 * x\n",
    );
    let main = "import helpers\nfrom pkg import triple\nprint(repr(helpers.GREETING))\nif True:\n\tr = helpers.double(4)\n        print(r, triple(5))\n";
    let expected = "'hello\\n\\tworld'\n8 15\n";
    assert_prints(&Pymqtt::script(&dir, "main.py", main).run(WAIT), expected);

    dir.write("runme.py", main);
    let run = Pymqtt::new()
        .cwd(dir.path())
        .args(["-m", "runme"])
        .run(WAIT);
    assert_prints(&run, expected);
}

#[test]
fn crlf_and_cr_line_endings_leave_only_lf_in_strings() {
    let dir = TempDir::new("source-crlf");
    let crlf = "text = \"\"\"first\r\nsecond\r\n\"\"\"\r\nraw = r'''a\r\nb'''\r\nprint(repr(text), repr(raw))\r\nif text:\r\n\tprint(text.count('\\r'), len(text.splitlines()))\r\n";
    assert_prints(
        &Pymqtt::script(&dir, "crlf.py", crlf).run(WAIT),
        "'first\\nsecond\\n' 'a\\nb'\n0 2\n",
    );
    // Classic Mac line endings: MicroPython's lexer reads a lone CR as a newline too.
    let cr = crlf.replace("\r\n", "\r");
    assert_prints(
        &Pymqtt::script(&dir, "cr.py", &cr).run(WAIT),
        "'first\\nsecond\\n' 'a\\nb'\n0 2\n",
    );
}

#[test]
fn tracebacks_keep_line_numbers_and_point_at_the_failing_code() {
    let dir = TempDir::new("source-traceback");
    let script = "s = '''\r\n\tline 2\r\n'''\r\ndef f(x):\r\n\tif x:\r\n\t\treturn x.missing + 1\r\n        return 0\r\nf(1)\r\n";
    let run = Pymqtt::script(&dir, "fails.py", script).run(WAIT);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("line 6, in f\n    return x.missing + 1\n           ^^^^^^^^^\n"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains("line 8, in <module>"),
        "{}",
        run.describe()
    );
}

#[test]
fn inconsistent_dedent_is_an_indentation_error() {
    // MicroPython refuses a dedent to a column no enclosing block has; so does pymqtt.
    let dir = TempDir::new("source-dedent");
    let run = Pymqtt::script(&dir, "bad.py", "if True:\n\tx = 1\n    y = 2\n").run(WAIT);
    run.assert_code(1);
    assert!(
        run.stderr.contains("IndentationError"),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("line 3"), "{}", run.describe());
}

#[test]
fn a_topic_built_with_bytes_format_reaches_mosquitto() {
    let broker = Mosquitto::start();
    let prefix = unique_id("fmt");
    let mut peer = Peer::connect(broker.port(), &unique_id("peer"));
    peer.subscribe(&format!("{prefix}/home/+/state"), QoS::AtLeastOnce);

    let script = fill(
        "from umqtt.simple import MQTTClient\n\
         \n\
         PREFIX = b'@PREFIX@'\n\
         c = MQTTClient(b'{}-sensor'.format('@PREFIX@'), '127.0.0.1', port=@PORT@)\n\
         c.connect()\n\
         for room, value in (('kitchen', 21.5), ('hall', 19)):\n\
         \ttopic = PREFIX + b'/home/{}/state'.format(room)\n\
         \tc.publish(topic, b'{}'.format(value), qos=1)\n\
         \tprint('sent', topic)\n\
         c.disconnect()\n",
        &[("PREFIX", &prefix), ("PORT", &broker.port().to_string())],
    );
    let dir = TempDir::new("bytes-format-topic");
    let run = Pymqtt::script(&dir, "main.py", &script).run(WAIT);
    run.assert_code(0);
    run.assert_stdout_has_line(&format!("sent b'{prefix}/home/kitchen/state'"));

    for (room, value) in [("kitchen", "21.5"), ("hall", "19")] {
        let publish = peer.expect_publish(&format!("the {room} reading"));
        assert_eq!(publish.topic, format!("{prefix}/home/{room}/state"));
        assert_eq!(text(&publish), value);
    }
}
