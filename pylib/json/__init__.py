# pymqtt's `json` (and MicroPython's `ujson`): the standard library's json package, with its
# functions in Rust (src/modules/json_native).
#
# Why: a sensor script runs dumps() or loads() for every message it sends or receives, for
# days. The standard library's dumps() passes through four Python frames before its encoder,
# which on this interpreter costs more than the encoding itself; the Rust ones are called
# straight from the script, with the standard library's output and errors.
#
# The standard library's classes (JSONEncoder, JSONDecoder, JSONDecodeError) are its own
# submodules json.encoder and json.decoder, loaded when a script first names one: they
# import `re`, which costs a script that only calls dumps() and loads() several MB and
# milliseconds. A cls= of the script's own is built on them and gets their behaviour, as on
# CPython; json.tool runs as it does there.

from _json_native import detect_encoding, dump, dumps, load, loads

__version__ = "2.0.9"
__all__ = [
    "dump", "dumps", "load", "loads",
    "JSONDecoder", "JSONDecodeError", "JSONEncoder",
]

_LAZY = {
    "JSONDecoder": "decoder",
    "JSONDecodeError": "decoder",
    "JSONEncoder": "encoder",
}


def __getattr__(name):
    submodule = _LAZY.get(name)
    if submodule is None:
        raise AttributeError("module 'json' has no attribute %r" % name)
    __import__("json." + submodule)
    value = getattr(globals()[submodule], name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
