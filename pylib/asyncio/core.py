# asyncio.core: the names MicroPython's asyncio keeps in its `core` submodule (the scheduler:
# sleep_ms, create_task, run, the loop), on the standard library's event loop. They are
# asyncio's own names too (pylib/asyncio/__init__.py takes them from here), so
# `asyncio.core.sleep_ms is asyncio.sleep_ms`, as on MicroPython.
#
# MicroPython has one event loop, which exists before anything runs: a script may call
# get_event_loop() or create_task() at its top level and run the loop afterwards. The standard
# library has a loop only while something runs one (asyncio.run() makes a new one each time),
# and RustPython's get_event_loop() warns and raises at the top level. So here:
#
# - get_event_loop() outside a running loop returns the thread's current loop, making one (and
#   making it current) when there is none or it was closed; new_event_loop() makes the new
#   loop current, as MicroPython's resets its one loop.
# - create_task() outside a running loop schedules the task on that loop.
# - run() runs on that loop when the script made one, so the tasks it scheduled run too, and
#   leaves it open with its other tasks, as MicroPython does; otherwise it is the standard
#   asyncio.run() (a fresh loop, closed afterwards).
#
# Inside a running loop every one of them is the standard library's.

from . import events, runners, tasks

# What else MicroPython's core holds that scripts reach through it (core.CancelledError,
# core.sleep, core.ticks(), core.sys.print_exception, ...): the same objects as asyncio's.
import sys  # noqa: F401
import select  # noqa: F401
from time import ticks_add, ticks_diff, ticks_ms as ticks  # noqa: F401

from .exceptions import CancelledError, TimeoutError  # noqa: F401
from .tasks import Task, current_task, sleep  # noqa: F401

# MicroPython's name for the event loop's class. Its loop cannot be made directly (only
# get_event_loop() gives it); here it is the standard loop class, which can.
from .unix_events import EventLoop as Loop  # noqa: F401


class _SleepMs:
    """What sleep_ms() returns: awaiting it sleeps. Not a coroutine, so that one never
    awaited is not reported (MicroPython's sleep_ms() returns a generator, never reported
    either)."""

    __slots__ = ("_seconds",)

    def __init__(self, seconds):
        self._seconds = seconds

    def __await__(self):
        return sleep(self._seconds).__await__()


def sleep_ms(t):
    """Sleeps `t` milliseconds (MicroPython's extension). As MicroPython on a 32-bit board, a
    time past what the ticks clock reaches raises OverflowError at once."""
    # time.ticks_add() has MicroPython's limit and message (half the ticks period).
    ticks_add(0, max(0, t))
    return _SleepMs(t / 1000)


def get_event_loop(runq_len=0, waitq_len=0):
    """The running loop; outside one, the thread's current loop, made (and made current)
    if there is none or it was closed.
    (`runq_len` and `waitq_len` are old uasyncio's, and ignored as MicroPython does.)"""
    loop = events._get_running_loop()
    if loop is not None:
        return loop
    loop = _current_loop()
    if loop is None:
        policy = events._get_event_loop_policy()
        loop = policy.new_event_loop()
        policy.set_event_loop(loop)
    return loop


def new_event_loop():
    """A new event loop, which becomes the current one unless a loop is running here."""
    loop = events.new_event_loop()
    if events._get_running_loop() is None:
        events.set_event_loop(loop)
    return loop


def create_task(coro, **kwargs):
    """Schedules `coro` on the running loop, or on get_event_loop()'s outside one."""
    if events._get_running_loop() is None:
        return get_event_loop().create_task(coro, **kwargs)
    return tasks.create_task(coro, **kwargs)


def run(main, *, debug=None, loop_factory=None):
    """Runs `main` until it completes and returns its result. On the current loop when the
    script made one (get_event_loop(), new_event_loop(), create_task() at the top level),
    which stays open; else in a fresh loop, as the standard asyncio.run()."""
    if loop_factory is None and events._get_running_loop() is None:
        loop = _current_loop()
        if loop is not None:
            if debug is not None:
                loop.set_debug(debug)
            return loop.run_until_complete(main)
    return runners.run(main, debug=debug, loop_factory=loop_factory)


def run_until_complete(main_task=None):
    """MicroPython's module-level form: runs get_event_loop() until `main_task` completes,
    or, without one, until no task is left."""
    loop = get_event_loop()
    if main_task is None:
        main_task = _all_tasks_done()
    return loop.run_until_complete(main_task)


async def _all_tasks_done():
    this = tasks.current_task()
    while True:
        others = [task for task in tasks.all_tasks() if task is not this]
        if not others:
            return
        await tasks.wait(others)


def _current_loop():
    """The thread's current loop if it has one that is not closed, else None (without the
    standard get_event_loop()'s warnings)."""
    try:
        loop = events._get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None
    return None if loop.is_closed() else loop


def __getattr__(name):
    # MicroPython's `core.cur_task`, a variable there: the running task, or None.
    if name == "cur_task":
        return tasks.current_task() if events._get_running_loop() is not None else None
    raise AttributeError("module 'asyncio.core' has no attribute %r" % name)
