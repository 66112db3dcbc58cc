# Runs json over the generated cases and prints one line per result, in ASCII: the same
# script under CPython and under pymqtt, whose outputs must be equal line for line.
#   exercise.py CASES_DIR
import json
import sys

sys.path.insert(0, sys.argv[1])
from cases import DOCUMENTS, VALUES  # noqa: E402

OPTIONS = [
    {},
    {"indent": 2},
    {"indent": "\t", "sort_keys": True},
    {"separators": (",", ":"), "ensure_ascii": False},
    {"skipkeys": True, "indent": 0},
    {"allow_nan": False},
    {"default": repr, "sort_keys": True, "skipkeys": True},
    {"ensure_ascii": False, "indent": 1, "check_circular": False},
]


def outcome(call):
    try:
        return ascii(call())
    except json.JSONDecodeError as e:
        return f"JSONDecodeError {e.msg!r} pos={e.pos} line={e.lineno} col={e.colno}"
    except Exception as e:  # the type is compared; messages differ between versions
        return type(e).__name__


class Encoder(json.JSONEncoder):
    def default(self, o):
        return {"bytes": o.hex()}


for i, value in enumerate(VALUES):
    for n, options in enumerate(OPTIONS):
        print(f"value {i} options {n}:", outcome(lambda: json.dumps(value, **options)))
    print(f"value {i} cls:", outcome(lambda: json.dumps(value, cls=Encoder, skipkeys=True)))
    print(f"value {i} round trip:",
          outcome(lambda: repr(json.loads(json.dumps(value, default=repr, skipkeys=True)))))

HOOKS = [
    {},
    {"object_pairs_hook": list, "parse_float": str, "parse_int": lambda s: ("int", s)},
    {"object_hook": lambda d: sorted(d, key=repr), "parse_constant": lambda s: ("constant", s)},
]

for i, doc in enumerate(DOCUMENTS):
    for n, hooks in enumerate(HOOKS):
        print(f"document {i} hooks {n}:", outcome(lambda: repr(json.loads(doc, **hooks))))
    for encoding in ("utf-8", "utf-16", "utf-32-be"):
        try:
            data = doc.encode(encoding, "surrogatepass")
        except UnicodeEncodeError:
            continue
        print(f"document {i} {encoding}:", outcome(lambda: repr(json.loads(data))))
