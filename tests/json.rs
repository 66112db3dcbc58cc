//! `json` (and `ujson`) give CPython's results: the same text from `dumps()`, the same values
//! and errors from `loads()`, on a few hundred values and documents drawn at random by CPython
//! itself (tests/json/generate.py), run through the same script (tests/json/exercise.py) by
//! `python3` and by pymqtt. The errors a script can meet, and `json.tool`, are checked here
//! too.

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use support::deadlines::WAIT;
use support::processes::{Finished, Pymqtt};
use support::scripts::{TempDir, repo_root};

/// CPython, the reference every comparison here is made against.
fn cpython<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (CPython is the reference for these tests)");
    let mut input = child.stdin.take().expect("piped");
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 {args:?} failed\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("ASCII output")
}

fn run_ok(run: Finished) -> String {
    run.assert_code(0);
    run.stdout
}

#[test]
fn dumps_and_loads_match_cpython_on_generated_values_and_documents() {
    let dir = TempDir::new("json-cases");
    let root = repo_root();
    let generate = root.join("tests/json/generate.py");
    let exercise = root.join("tests/json/exercise.py");
    let cases = dir.path().join("cases.py");
    cpython(&[generate.as_os_str(), cases.as_os_str()], None);

    let expected = cpython(&[exercise.as_os_str(), dir.path().as_os_str()], None);
    let actual = run_ok(
        Pymqtt::new()
            .arg(&exercise)
            .arg(dir.path())
            .run(Duration::from_secs(120)),
    );

    // The cases must reach what they are meant to: values that encode, errors of each kind.
    let lines: Vec<&str> = expected.lines().collect();
    assert!(lines.len() > 5000, "only {} results", lines.len());
    for needle in [
        "options 2: '{",
        "JSONDecodeError 'Expecting value'",
        "JSONDecodeError 'Invalid \\\\uXXXX escape'",
        "JSONDecodeError 'Unterminated string starting at'",
        "JSONDecodeError 'Extra data'",
        ": ValueError",
        ": TypeError",
        "utf-16: '",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "no case gives {needle:?}"
        );
    }

    let differences: Vec<String> = lines
        .iter()
        .zip(actual.lines())
        .filter(|(want, got)| **want != *got)
        .take(10)
        .map(|(want, got)| format!("CPython: {want}\npymqtt:  {got}"))
        .collect();
    assert!(
        differences.is_empty(),
        "{} of {} results differ from CPython's; the first:\n{}",
        lines
            .iter()
            .zip(actual.lines())
            .filter(|(a, b)| **a != *b)
            .count(),
        lines.len(),
        differences.join("\n\n")
    );
    assert_eq!(actual.lines().count(), lines.len(), "result count");
}

#[test]
fn json_tool_formats_as_cpythons_does() {
    let input = "{\"b\": [1, 2.50, \"\u{e9}\", {\"z\": null}], \"a\": -0.0, \"c\": 1e400}\n";
    for flags in [
        vec!["--sort-keys"],
        vec!["--compact"],
        vec!["--indent", "1", "--no-ensure-ascii"],
    ] {
        let mut args = vec!["-m", "json.tool"];
        args.extend(&flags);
        let expected = cpython(&args, Some(input));
        let actual = run_ok(
            Pymqtt::new()
                .args(["-m", "json.tool"])
                .args(&flags)
                .stdin(input)
                .run(WAIT),
        );
        assert_eq!(actual, expected, "json.tool {flags:?}");
    }
}

/// What a script sees when its data is wrong, as CPython 3.14 reports it.
const ERRORS: &str = r#"
import json

def fails(call):
    try:
        call()
    except Exception as e:
        return type(e).__name__, str(e), getattr(e, "__notes__", [])
    raise AssertionError("no exception")

loop = []
loop.append({"again": loop})
print(fails(lambda: json.dumps(loop)))
print(fails(lambda: json.dumps(float("nan"), allow_nan=False)))
print(fails(lambda: json.dumps({"when": object()})))
print(fails(lambda: json.dumps({(1, 2): 3})))
print(fails(lambda: json.loads(3)))
print(fails(lambda: json.loads('{"a": 1,}')))
print(fails(lambda: json.loads('[1, 2, ]')))

e = fails(lambda: json.loads('{\n  "t": 21.5\n  "h": 40}'))
print(e)
try:
    json.loads('{\n  "t": 21.5\n  "h": 40}')
except ValueError as e:
    print(type(e).__name__, e.msg, e.pos, e.lineno, e.colno, e.doc[:3] == "{\n ")

deep = 100000
print(fails(lambda: json.loads("[" * deep + "]" * deep))[0])
print(fails(lambda: json.loads('{"a":' * deep + "1" + "}" * deep))[0])
nested = []
for _ in range(deep):
    nested = [nested]
print(fails(lambda: json.dumps(nested))[0])
print(json.dumps({"still": "working"}))
"#;

#[test]
fn bad_input_raises_cpythons_exceptions() {
    let dir = TempDir::new("json-errors");
    let out = run_ok(Pymqtt::script(&dir, "errors.py", ERRORS).run(WAIT));
    let expected = [
        "('ValueError', 'Circular reference detected', [\"when serializing dict item 'again'\", 'when serializing list item 0'])",
        "('ValueError', 'Out of range float values are not JSON compliant: nan', [])",
        "('TypeError', 'Object of type object is not JSON serializable', [\"when serializing dict item 'when'\"])",
        "('TypeError', 'keys must be str, int, float, bool or None, not tuple', [])",
        "('TypeError', 'the JSON object must be str, bytes or bytearray, not int', [])",
        "('JSONDecodeError', 'Illegal trailing comma before end of object: line 1 column 8 (char 7)', [])",
        "('JSONDecodeError', 'Illegal trailing comma before end of array: line 1 column 6 (char 5)', [])",
        "('JSONDecodeError', \"Expecting ',' delimiter: line 3 column 3 (char 16)\", [])",
        "JSONDecodeError Expecting ',' delimiter 16 3 3 True",
        "RecursionError",
        "RecursionError",
        "RecursionError",
        "{\"still\": \"working\"}",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}

const STREAMS: &str = r#"
import sys, json, ujson

# The standard library's classes, and the `re` they need, load only when named.
print(ujson is json, ujson.dumps({"t": 21.5, "ok": True}), "re" in sys.modules)
import io

class Stream:
    # A MicroPython-style stream: write() and read(), nothing else.
    def __init__(self, data=""):
        self.written, self.data = [], data
    def write(self, text):
        self.written.append(text)
        return len(text)
    def read(self):
        return self.data

out = Stream()
json.dump({"readings": [1, 2, 3]}, out, separators=(",", ":"))
print(out.written)
try:
    json.dump({"bad": {1, 2}}, out)
except TypeError:
    print("nothing written on failure:", len(out.written))
print(json.load(Stream('{"cmd": "led", "on": true}')))
print(json.load(io.BytesIO(b'[1, "\xc3\xa9"]')))

with open("reading.json", "w") as f:
    json.dump({"t": 21.5}, f, indent=1)
with open("reading.json") as f:
    print(repr(f.read()))
with open("reading.json", "rb") as f:
    print(json.load(f))

# MicroPython's dump() writes to binary streams too, as UTF-8.
buffer = io.BytesIO()
json.dump({"place": "Küche"}, buffer, ensure_ascii=False)
print(buffer.getvalue())
with open("reading.bin", "wb") as f:
    json.dump([1.5], f)
with open("reading.bin", "rb") as f:
    print(f.read())

class Sets(json.JSONEncoder):
    def default(self, o):
        return sorted(o) if isinstance(o, set) else super().default(o)
    def iterencode(self, o, _one_shot=False):
        for part in super().iterencode(o, _one_shot):
            yield part.upper()

print(json.dumps({"ids": {3, 1}}, cls=Sets))
out = Stream()
json.dump({"ids": {2}}, out, cls=Sets)
print("".join(out.written), len(out.written) > 1)
buffer = io.BytesIO()
json.dump({"ids": {4}}, buffer, cls=Sets)
print(buffer.getvalue())

class Strict(json.JSONDecoder):
    def decode(self, s):
        return ("decoded by Strict", super().decode(s))

print(json.loads(b'{"a": 1}', cls=Strict))
print(json.loads('["tab\there"]', strict=False))
print(json.loads('{"a": 1.5}', parse_float=lambda s: "float " + s))
"#;

#[test]
fn ujson_streams_files_and_custom_classes() {
    let dir = TempDir::new("json-streams");
    let out = run_ok(Pymqtt::script(&dir, "streams.py", STREAMS).run(WAIT));
    let expected = [
        "True {\"t\": 21.5, \"ok\": true} False",
        "['{\"readings\":[1,2,3]}']",
        "nothing written on failure: 1",
        "{'cmd': 'led', 'on': True}",
        "[1, 'é']",
        "'{\\n \"t\": 21.5\\n}'",
        "{'t': 21.5}",
        "b'{\"place\": \"K\\xc3\\xbcche\"}'",
        "b'[1.5]'",
        "{\"IDS\": [1, 3]}",
        "{\"IDS\": [2]} True",
        "b'{\"IDS\": [4]}'",
        "('decoded by Strict', {'a': 1})",
        "['tab\\there']",
        "{'a': 'float 1.5'}",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}
