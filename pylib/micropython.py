"""MicroPython's `micropython` module, as pymqtt has it on a host computer.

Each function does the closest honest thing here. pymqtt runs RustPython, which has no
fixed heap, no qstr pool and no interrupt handlers, so:

- const(x) returns x. MicroPython's parser inlines constants; here they are ordinary
  globals. `const` is also a built-in name, as MicroPython's parser knows it without import.
- opt_level([n]) records the level and returns it; it does not change how code compiles
  (assert statements always run).
- mem_info([verbose]) prints the stack in use and the process's memory (gc.mem_alloc() and
  gc.mem_free(): resident memory and what is still available), not a heap's block table.
- qstr_info([verbose]) prints the line with zeros: there is no qstr pool.
- stack_use() is the bytes of the native stack the calling thread uses, as MicroPython's
  counts its C stack (RustPython runs Python calls on it too).
- heap_lock(), heap_unlock(), heap_locked() count a lock depth, as MicroPython does, but
  allocating while "locked" still works (MicroPython would raise MemoryError).
- kbd_intr(chr): 3 (Ctrl-C, the default) makes Ctrl-C raise KeyboardInterrupt; any other
  value, -1 included, makes Ctrl-C end the program at once without an exception (the unix
  port resets the SIGINT handler the same way). The main thread only.
- schedule(func, arg) calls func(arg) at once, in the calling thread, before returning.
  There are no interrupt handlers to defer from here. As on MicroPython, scheduled
  functions do not nest: one scheduled from inside a scheduled function runs right after it,
  and at most 4 may wait (RuntimeError "schedule queue full" beyond that). An exception
  from func propagates out of schedule(), and the calls still waiting are dropped.
- alloc_emergency_exception_buf(size) is accepted and does nothing: exceptions never need a
  reserved buffer here.
- @micropython.native, @micropython.viper and @micropython.bytecode return the function
  as it is: there is one emitter here, RustPython's bytecode, and a function runs the same
  under it. `micropython` is also a built-in name, as MicroPython's compiler knows these
  decorators without an import. A viper function's module gets viper's pointer casts,
  ptr8(), ptr16() and ptr32() (a buffer in 1-, 2- or 4-byte units, stores truncated), and its
  arguments annotated with one are passed as such a pointer. It also gets `uint()`, the cast
  to an unsigned machine word (`uint(-1)` has every bit of a word set), and values cross its
  boundary as viper converts them: an argument annotated `bool` or `uint` arrives as one,
  and the result is made the annotated return type (`-> int` gives 0 for None). Inside,
  `uint` values wrap around as machine words do; other ints stay arbitrary-precision.
"""

import sys as _sys

from _micropython_native import const, interrupt_at_next_wait, stack_use
from _micropython_ringio import RingIO  # noqa: F401
from _micropython_native import stack_size as _stack_size

_opt_level = 0
_heap_lock_depth = 0
_scheduled = []
_running_scheduled = False
_interrupt_scheduled = False

# MicroPython's MICROPY_SCHEDULER_DEPTH.
_SCHEDULE_DEPTH = 4


def opt_level(level=None):
    """Returns the optimisation level with no argument, or sets the level that code compiled
    from now on (exec(), eval(), compile(), imports of source) gets: at 1 and above
    `__debug__` is False and asserts are dropped, as CPython's -O; MicroPython's level 3,
    which also drops line numbers, is level 2 here."""
    global _opt_level
    if level is None:
        return _opt_level
    _opt_level = int(level)
    _optimised_compiles(_opt_level)


def _optimised_compiles(level):
    """Makes the built-in compile(), exec() and eval() compile at `level` (0: as they were)."""
    import builtins

    plain = getattr(builtins.compile, "_plain", None)
    if plain is None:
        plain = {"compile": builtins.compile, "exec": builtins.exec, "eval": builtins.eval}
    if level <= 0:
        builtins.compile, builtins.exec, builtins.eval = (
            plain["compile"],
            plain["exec"],
            plain["eval"],
        )
        return
    optimize = min(level, 2)
    native_compile = plain["compile"]

    def compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **rest):
        if optimize == -1:
            optimize = min(_opt_level, 2)
        return native_compile(source, filename, mode, flags, dont_inherit, optimize, **rest)

    def source_code(source, mode):
        if isinstance(source, (str, bytes, bytearray)):
            if mode == "eval":
                # eval() ignores leading blanks; compile() would call them an indent.
                source = source.lstrip(" \t" if isinstance(source, str) else b" \t")
            return native_compile(source, "<string>", mode, optimize=optimize)
        return source

    def exec(source, *args, **kwargs):
        return plain["exec"](source_code(source, "exec"), *args, **kwargs)

    def eval(source, *args, **kwargs):
        return plain["eval"](source_code(source, "eval"), *args, **kwargs)

    compile._plain = plain
    builtins.compile, builtins.exec, builtins.eval = compile, exec, eval


def mem_info(verbose=None):
    """Prints the stack in use and the process's memory use."""
    import gc

    used, free = gc.mem_alloc(), gc.mem_free()
    print("stack: %d out of %d" % (stack_use(), _stack_size()))
    print("GC: total: %d, used: %d, free: %d" % (used + free, used, free))


def qstr_info(verbose=None):
    """Prints MicroPython's qstr pool line, with zeros: there is no qstr pool here."""
    print("qstr pool: n_pool=0, n_qstr=0, n_str_data_bytes=0, n_total_bytes=0")


def heap_lock():
    global _heap_lock_depth
    _heap_lock_depth += 1


def heap_unlock():
    """Returns the lock depth left, as MicroPython."""
    global _heap_lock_depth
    if _heap_lock_depth:
        _heap_lock_depth -= 1
    return _heap_lock_depth


def heap_locked():
    return _heap_lock_depth


def kbd_intr(chr):
    """3 (Ctrl-C): Ctrl-C raises KeyboardInterrupt; other values: Ctrl-C ends the program."""
    import _signal

    handler = _signal.default_int_handler if chr == 3 else _signal.SIG_DFL
    _signal.signal(_signal.SIGINT, handler)


def schedule(func, arg):
    """Calls func(arg) now (after the scheduled function running, if any). Scheduling
    kbd_intr raises KeyboardInterrupt at the program's next wait (a sleep, `wait_msg()`)
    outside scheduled functions, once however often it was scheduled."""
    global _running_scheduled, _interrupt_scheduled
    if func is kbd_intr:
        if _running_scheduled:
            _interrupt_scheduled = True
        else:
            interrupt_at_next_wait()
        return
    if len(_scheduled) >= _SCHEDULE_DEPTH:
        raise RuntimeError("schedule queue full")
    _scheduled.append((func, arg))
    if _running_scheduled:
        return
    _running_scheduled = True
    try:
        while _scheduled:
            func, arg = _scheduled.pop(0)
            func(arg)
    finally:
        _running_scheduled = False
        _scheduled.clear()
        if _interrupt_scheduled:
            _interrupt_scheduled = False
            interrupt_at_next_wait()


def alloc_emergency_exception_buf(size):
    """Accepted; nothing to reserve here."""


def native(function):
    """Returns `function` unchanged: it runs as bytecode, with the same results."""
    return function


class _Pointer:
    """Viper's ptr8/ptr16/ptr32: a buffer read and written in units of 1, 2 or 4 bytes
    (native byte order), each store truncated to the unit as a machine word is."""

    __slots__ = ("_view", "_mask")

    def __init__(self, buffer, code, bits):
        view = memoryview(buffer)
        if view.format != "B" or view.itemsize != 1:
            view = view.cast("B")
        usable = len(view) - len(view) % (bits // 8)
        self._view = view[:usable].cast(code)
        self._mask = (1 << bits) - 1

    def __getitem__(self, index):
        return self._view[index]

    def __setitem__(self, index, value):
        self._view[index] = value & self._mask

    def __len__(self):
        return len(self._view)

    def __int__(self):
        # An address stands in for the buffer's: the same for every pointer to it.
        return id(self._view.obj)


def ptr8(buffer):
    """A viper pointer to `buffer`'s bytes."""
    return buffer if isinstance(buffer, _Pointer) else _Pointer(buffer, "B", 8)


def ptr16(buffer):
    """A viper pointer to `buffer` as 16-bit units."""
    return buffer if isinstance(buffer, _Pointer) else _Pointer(buffer, "H", 16)


def ptr32(buffer):
    """A viper pointer to `buffer` as 32-bit units."""
    return buffer if isinstance(buffer, _Pointer) else _Pointer(buffer, "I", 32)


# Every bit of a machine word: viper's words are the size of a pointer, as sys.maxsize is.
_WORD = (_sys.maxsize << 1) | 1


def _word(value):
    """A value as viper takes it into a machine word: None and False are 0, True is 1, and
    a pointer is its address."""
    return 0 if value is None else int(value)


class _Unsigned(int):
    """A viper `uint`: an unsigned machine word, whose arithmetic wraps around as the
    machine's does (`uint(-2) * uint(-3)` is 6)."""

    __slots__ = ()

    def __repr__(self):
        return int.__repr__(self)


def _wrapping(operation):
    def wrapped(self, other):
        if not isinstance(other, int):
            return NotImplemented
        return _Unsigned(operation(int(self), int(other)) & _WORD)

    return wrapped


for _name, _operation in {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "lshift": lambda a, b: a << b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
}.items():
    setattr(_Unsigned, f"__{_name}__", _wrapping(_operation))
    setattr(_Unsigned, f"__r{_name}__", _wrapping(lambda a, b, _op=_operation: _op(b, a)))
_Unsigned.__neg__ = lambda self: _Unsigned(-int(self) & _WORD)
_Unsigned.__invert__ = lambda self: _Unsigned(~int(self) & _WORD)
del _name, _operation


def uint(value):
    """Viper's cast to an unsigned machine word: `uint(-1)` has every bit set."""
    return _Unsigned(_word(value) & _WORD)


def _plain(value):
    """What leaves a viper function as an object: its machine words as plain ints."""
    if isinstance(value, _Unsigned):
        return int(value)
    if type(value) is tuple:
        return tuple(int(item) if isinstance(item, _Unsigned) else item for item in value)
    return value


def _uint_result(value):
    return int(uint(value))


def _int_result(value):
    return _word(value) if value is None or isinstance(value, bool) else value


_VIPER_NAMES = {"ptr8": ptr8, "ptr16": ptr16, "ptr32": ptr32, "uint": uint}

# How an annotated argument arrives and an annotated result leaves a viper function.
_ARGUMENT_CASTS = {ptr8: ptr8, ptr16: ptr16, ptr32: ptr32, uint: uint, bool: bool}
_RESULT_CASTS = {uint: _uint_result, bool: bool, int: _int_result}


def viper(function):
    """Runs `function` as bytecode, ints arbitrary-precision. Its module gets viper's
    pointer casts (ptr8(), ptr16(), ptr32()), and arguments annotated with one of them are
    passed as such a pointer, as viper passes them."""
    names = getattr(function, "__globals__", None)
    code = getattr(function, "__code__", None)
    if names is None or code is None:
        # Not a Python function (a builtin, a class): nothing viper would change.
        return function
    for name, cast in _VIPER_NAMES.items():
        names.setdefault(name, cast)
    try:
        annotations = function.__annotations__
    except Exception:
        return function
    positional = code.co_varnames[: code.co_argcount]
    casts = [
        (index, name, _ARGUMENT_CASTS[annotations[name]])
        for index, name in enumerate(positional)
        if _castable(annotations.get(name), _ARGUMENT_CASTS)
    ]
    returned = annotations.get("return")
    result_cast = _RESULT_CASTS[returned] if _castable(returned, _RESULT_CASTS) else _plain
    if not casts and result_cast is _plain:
        # Nothing to convert on the way in or out: the function itself is the viper one.
        return function

    def call(*args, **kwargs):
        args = list(args)
        for index, name, cast in casts:
            if index < len(args):
                args[index] = cast(args[index])
            elif name in kwargs:
                kwargs[name] = cast(kwargs[name])
        return result_cast(function(*args, **kwargs))

    call.__name__ = function.__name__
    call.__qualname__ = function.__qualname__
    call.__doc__ = function.__doc__
    return call


def _castable(annotation, casts):
    try:
        return annotation in casts
    except TypeError:
        # An annotation that cannot be hashed (a list, say) names no viper type.
        return False


def bytecode(function):
    """Returns `function` unchanged: bytecode is what it runs as already."""
    return function
