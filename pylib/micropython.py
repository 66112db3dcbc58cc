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
  arguments annotated with one are passed as such a pointer; its ints stay arbitrary-precision
  (no machine-word wrap-around, no `uint`).
"""

from _micropython_native import const, stack_use
from _micropython_native import stack_size as _stack_size

_opt_level = 0
_heap_lock_depth = 0
_scheduled = []
_running_scheduled = False

# MicroPython's MICROPY_SCHEDULER_DEPTH.
_SCHEDULE_DEPTH = 4


def opt_level(level=None):
    """Returns the optimisation level with no argument; records a new one (no effect here)."""
    global _opt_level
    if level is None:
        return _opt_level
    _opt_level = int(level)


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
    """Calls func(arg) now (after the scheduled function running, if any)."""
    global _running_scheduled
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


_VIPER_NAMES = {"ptr8": ptr8, "ptr16": ptr16, "ptr32": ptr32}


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
        (index, name, annotations[name])
        for index, name in enumerate(positional)
        if annotations.get(name) in _VIPER_NAMES.values()
    ]
    if not casts:
        return function

    def call(*args, **kwargs):
        args = list(args)
        for index, name, cast in casts:
            if index < len(args):
                args[index] = cast(args[index])
            elif name in kwargs:
                kwargs[name] = cast(kwargs[name])
        return function(*args, **kwargs)

    call.__name__ = function.__name__
    call.__qualname__ = function.__qualname__
    call.__doc__ = function.__doc__
    return call


def bytecode(function):
    """Returns `function` unchanged: bytecode is what it runs as already."""
    return function
