# Writes cases.py: a few hundred values and JSON documents, drawn at random (with a fixed
# seed) and written as Python source, so that CPython and pymqtt start from the very same
# values. Run by CPython only; tests/json/exercise.py then runs under both.
import json
import random
import re
import sys

rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1234)

ALPHABET = (
    ["a", "b", "Z", "0", " ", "/", "'", '"', "\\", "\x7f", "~"]
    + [chr(c) for c in range(0x20)]
    + ["é", "ß", "\u00a0", "\u2028", "\u2029", "日本", "\ufeff", "\uffff", "😀", "\U0010ffff"]
    + ["\ud800", "\udbff", "\udc00", "\udfff"]
)

FLOATS = [0.0, -0.0, 0.1, 1.5, -2.75, 1e16, 1e-7, 1e22, 1e-5, 123456789.123, 5e-324,
          1.7976931348623157e308, 2.0**53, 0.30000000000000004, float("inf"), float("nan"),
          float("-inf")]
INTS = [0, 1, -1, 42, 2**31, -2**63, 2**63, 2**64 + 1, 10**30, -(10**40)]


def text():
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8)))


def scalar():
    kind = rng.randrange(9)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice(INTS)
    if kind == 2:
        return rng.randint(-10**6, 10**6)
    if kind == 3:
        return rng.choice(FLOATS)
    if kind == 4:
        return rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30)
    if kind == 5:
        return ("Int", rng.choice(INTS))
    if kind == 6:
        return ("Float", rng.choice(FLOATS[:12]))
    if kind == 7:
        return ("Str", text())
    return text()


def key():
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice(INTS)
    if kind == 2:
        return rng.choice(FLOATS)
    return text()


def value(depth=0):
    kind = rng.randrange(10) if depth < 4 else 0
    if kind <= 4:
        return scalar()
    if kind == 5:
        return ("tuple", [value(depth + 1) for _ in range(rng.randint(0, 4))])
    if kind == 6:
        return ("bytes", bytes(rng.randrange(256) for _ in range(3)))
    if kind in (7, 8):
        return [value(depth + 1) for _ in range(rng.randint(0, 5))]
    pairs = [(key(), value(depth + 1)) for _ in range(rng.randint(0, 5))]
    if pairs and rng.random() < 0.1:
        pairs.insert(rng.randrange(len(pairs)), (("tuple", [1, 2]), 0))
    return ("dict", pairs)


def source(v):
    """Python source for the drawn value."""
    if isinstance(v, tuple):
        tag, inner = v
        if tag == "tuple":
            return "(" + "".join(source(x) + ", " for x in inner) + ")"
        if tag == "dict":
            return "{" + ", ".join(f"{source(k)}: {source(x)}" for k, x in inner) + "}"
        if tag == "bytes":
            return repr(inner)
        return f"{tag}({source(inner)})"
    if isinstance(v, list):
        return "[" + ", ".join(source(x) for x in v) + "]"
    if isinstance(v, float) and v != v:
        return "nan"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, str):
        return ascii(v)
    return repr(v)


def plain(v):
    """The drawn value as a plain Python value (for making documents)."""
    if isinstance(v, tuple):
        tag, inner = v
        if tag == "tuple":
            return [plain(x) for x in inner]
        if tag == "dict":
            return {plain(k): plain(x) for k, x in inner if not isinstance(k, tuple)}
        if tag == "bytes":
            return inner.hex()
        return plain(inner)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


values = [value() for _ in range(300)]

# Documents: the values written out in several layouts, then broken in small ways.
# (A trailing comma is left out of the broken ones: CPython 3.13 changed its message.)
TRAILING_COMMA = re.compile(r",[ \t\n\r]*[\]}]")
valid = []
for v in values[:150]:
    layout = rng.choice([{}, {"indent": 1}, {"separators": (",", ":")}, {"ensure_ascii": False}])
    valid.append(json.dumps(plain(v), **layout))
valid += ["  [1, 2]\n", "\t{}\r\n", "-0", "1.0e+3", "1E-2", "0.5", "123456789012345678901234567890",
          '"\\ud83d\\ude00"', '"\\ud83dx"', '"\\udc00\\ud800"', '"\\u00E9\\/"', "NaN", "-Infinity",
          '{"a": 1, "a": 2}', '[{"k": [[], {}]}]', '"' + "x" * 40 + '"', "1" * 5000]
broken = ["", " ", "[", "]", "{", "}", '{"a"', '{"a":', '{"a":1', "[1", "[1 2]", "tru",
          "nul", "01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", '"\\', '"\\u', '"\\u12',
          '"\\u12345"', '"\\uZZZZ"', '"\\q"', '"a\nb"', '"\x00"', '{1: 2}', "{'a': 1}",
          "[1]]", "\u00a01", "\x0c1", "\ufeff1", '{"a" 1}', '{"a":1 "b":2}', "[1,,2]",
          "Infinityx", "[NaN, -Inf]", '"' + "é" * 5 + "\\x" + '"', "[" * 50 + "]" * 49]
for doc in valid[:120]:
    for _ in range(3):
        chars = list(doc)
        action = rng.randrange(3)
        at = rng.randrange(len(chars) + 1)
        if action == 0:
            chars = chars[:at]
        elif action == 1 and chars:
            del chars[min(at, len(chars) - 1)]
        else:
            chars.insert(at, rng.choice(' ,:[]{}"\\x0e-\x01'))
        mutated = "".join(chars)
        if not TRAILING_COMMA.search(mutated):
            broken.append(mutated)

with open(sys.argv[1], "w", encoding="ascii") as out:
    out.write("# Generated by tests/json/generate.py.\n")
    out.write("nan, inf = float('nan'), float('inf')\n\n")
    out.write("class Int(int):\n    def __repr__(self):\n        return 'not JSON'\n\n")
    out.write("class Float(float):\n    def __repr__(self):\n        return 'not JSON'\n\n")
    out.write("class Str(str):\n    pass\n\n")
    out.write("VALUES = [\n")
    for v in values:
        out.write(f"    {source(v)},\n")
    out.write("]\n\nDOCUMENTS = [\n")
    for doc in valid + broken:
        out.write(f"    {ascii(doc)},\n")
    out.write("]\n")
