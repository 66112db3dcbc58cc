# pymqtt's `json` (and MicroPython's `ujson`): the standard library's json package, with its
# four functions in Rust (src/modules/json_native).
#
# Why: a sensor script runs dumps() or loads() for every message it sends or receives, for
# days. The standard library's dumps() passes through four Python frames before its encoder,
# which on this interpreter costs more than the encoding itself; the Rust ones are called
# straight from the script. Their output and errors are the standard library's, and a cls=
# of the script's own still gets the standard library's classes below, so json.JSONEncoder
# subclasses, json.tool and the rest work as they do on CPython.

import _imp

# The standard library's json/__init__.py runs here, under this package's name, so that its
# submodules (json.decoder, json.encoder, json.tool) are found as json.* and its names are
# json.*.
exec(_imp.get_frozen_object("_pymqtt_stdlib_json"), globals())

del _imp

from _json_native import dump, dumps, load, loads  # noqa: E402
