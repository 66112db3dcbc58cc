# MicroPython's import rules for the names CPython does not have. src/micropython/mod.rs
# runs this at start; it puts MicroPythonImports first in sys.meta_path. The finder answers
# only for the names below (one dict lookup for any other import):
#
# - "u" names: `import utime` (ujson, usocket, ...) is the built-in `time`, even when a
#   utime.py is on sys.path. MicroPython (py/objmodule.c, mp_module_get_builtin) makes every
#   extensible built-in `foo` importable as `ufoo`, looked up before the filesystem: "the old
#   behaviour of the u-prefix being used to force a built-in import". `usys` is `sys`.
# - "machine": a machine.py of the user's (script folder, ~/.micropython/lib, ...) wins, else
#   pymqtt's (_micropython_machine.py); MicroPython's machine is an extensible built-in.
#   `umachine` is always pymqtt's. `uasyncio` is the user's uasyncio.py if there is one, else
#   `asyncio`, as MicroPython's frozen uasyncio.py; `uasyncio.core` is then asyncio.core.
#   `urequests` (micropython-lib's old name of its requests package, whose urequests.py only
#   re-exports requests) is the user's urequests.py if there is one, else pymqtt's
#   `requests`, the same module object.
# - "micropython" is always pymqtt's module, as MicroPython's is not extensible.
# - "gc", "socket" and "select": the standard modules, which gain MicroPython's names when
#   first imported: gc.mem_free(), gc.mem_alloc(), gc.threshold() (src/micropython/memory.rs),
#   the stream methods of sockets (_micropython_socket.py) and, under `--broker`, the
#   redirect of sockets to the MQTT port (_broker_redirect.py), and MicroPython's
#   select.poll() (_micropython_select.py). A user's socket.py is left as is.

import sys

from _frozen_importlib import BuiltinImporter, FrozenImporter, ModuleSpec

# MicroPython's extensible built-in modules (docs/library/index.rst, "Extending built-in
# libraries from Python"), which it also offers as "u" names.
EXTENSIBLE = (
    "array", "binascii", "collections", "errno", "gzip", "hashlib", "heapq", "io", "json",
    "os", "platform", "random", "re", "select", "socket", "ssl", "struct", "time", "zlib",
)  # fmt: skip


class _Alias:
    """Loader of a name that is another module: imports `target` and binds the name to it."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        __import__(self.target)
        # importlib returns whatever sys.modules holds for the name once this returns.
        sys.modules[module.__spec__.name] = sys.modules[self.target]


class _ThenAdd:
    """Loader of a standard module: its own loader's work, then `add(module)`."""

    def __init__(self, loader, add):
        self.loader = loader
        self.add = add

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.add(module)


def _add_memory_functions(gc):
    from _micropython_native import mem_alloc, mem_free, threshold

    gc.mem_alloc, gc.mem_free, gc.threshold = mem_alloc, mem_free, threshold


def _add_stream_methods(socket):
    import _micropython_socket
    from _micropython_native import broker_redirect

    _micropython_socket.add_stream_methods(socket.socket)
    to = broker_redirect()
    if to is not None:
        import _broker_redirect

        _broker_redirect.install(socket, to)


def _add_micropython_poll(select):
    import _micropython_select

    select.poll = _micropython_select.poll


def _elsewhere(name, path, target):
    """The spec the rest of sys.meta_path finds for `name`, or None."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if finder is not MicroPythonImports and find_spec is not None:
            spec = find_spec(name, path, target)
            if spec is not None:
                return spec
    return None


def _builtin(module):
    """Rule: the name is `module`, whatever is on sys.path."""
    return lambda name, path, target: ModuleSpec(name, _Alias(module))


def _users_else(module):
    """Rule: the user's module of that name if there is one, else `module`."""

    def rule(name, path, target):
        return _elsewhere(name, path, target) or ModuleSpec(name, _Alias(module))

    return rule


def _frozen(name, path, target):
    """Rule: the frozen module of that name, whatever is on sys.path."""
    return FrozenImporter.find_spec(name)


def _standard_then(add):
    """Rule: the module that would be imported; `add(module)` once it is, if it is the
    standard library's (built-in or frozen)."""

    def rule(name, path, target):
        spec = _elsewhere(name, path, target)
        if spec is not None and spec.loader in (BuiltinImporter, FrozenImporter):
            spec.loader = _ThenAdd(spec.loader, add)
        return spec

    return rule


def _uasyncio_core(name, path, target):
    """Rule: `uasyncio.core` is asyncio.core while `uasyncio` is asyncio (old uasyncio was a
    package with a core submodule, which scripts import); a uasyncio package of the user's
    keeps its own."""
    if sys.modules.get("uasyncio") is sys.modules.get("asyncio", False):
        return ModuleSpec(name, _Alias("asyncio.core"))
    return None


RULES = {"u" + name: _builtin(name) for name in EXTENSIBLE}
RULES.update(
    usys=_builtin("sys"),
    umachine=_builtin("_micropython_machine"),
    machine=_users_else("_micropython_machine"),
    uasyncio=_users_else("asyncio"),
    urequests=_users_else("requests"),
    **{"uasyncio.core": _uasyncio_core},
    micropython=_frozen,
    gc=_standard_then(_add_memory_functions),
    socket=_standard_then(_add_stream_methods),
    select=_standard_then(_add_micropython_poll),
)


class MicroPythonImports:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        rule = RULES.get(name)
        return None if rule is None else rule(name, path, target)


sys.meta_path.insert(0, MicroPythonImports)


def _board_uname():
    # On a board a board file declares, os.uname() is the board's (sysname "rp2", machine
    # "Raspberry Pi Pico W with RP2040"), as scripts that print or check it expect; on the
    # default board it stays this computer's.
    import _board

    fields = _board.uname()
    if fields is not None:
        import posix

        result = posix.uname_result(fields)
        posix.uname = lambda: result


_board_uname()
del _board_uname

# Should one of them be loaded already, it gains its names now.
_ADDED_ON_IMPORT = (
    ("gc", _add_memory_functions),
    ("socket", _add_stream_methods),
    ("select", _add_micropython_poll),
)
for _name, _add in _ADDED_ON_IMPORT:
    if _name in sys.modules:
        _add(sys.modules[_name])
