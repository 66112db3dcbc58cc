# pymqtt's `asyncio` (MicroPython's `uasyncio` is the same module): the standard library's
# asyncio package, all of it, with the names MicroPython's asyncio has on top, so that scripts
# written for MicroPython's asyncio run unchanged:
#
# - sleep_ms(), wait_for_ms(), ThreadSafeFlag, Loop, run_until_complete(), the `core`
#   submodule, Stream;
# - get_event_loop(), new_event_loop(), create_task() and run() working outside a running
#   loop as MicroPython's do (asyncio/core.py says how);
# - MicroPython's stream arguments and methods (asyncio/_micropython_streams.py);
# - callbacks of pin interrupts and timers run while the loop waits (see _wake_for_callbacks);
# - under `pymqtt test`, a waiting loop ends the script when the test is over, as time.sleep()
#   does (see _StoppableSelector).
#
# Where both have a name and MicroPython's behaves otherwise in ways scripts do not depend on
# (gather(), wait_for(), Task's attributes), it is the standard library's.

import _imp

# The standard library's asyncio/__init__.py runs here, under this package's name: every
# standard name is asyncio.*, and the submodules (asyncio.events, asyncio.tasks, ...) are
# the standard library's, imported as usual.
exec(_imp.get_frozen_object("_pymqtt_stdlib_asyncio"), globals())

del _imp

from . import core  # noqa: E402
from .core import (  # noqa: E402
    Loop,
    create_task,
    get_event_loop,
    new_event_loop,
    run,
    run_until_complete,
    sleep_ms,
)
from ._micropython_streams import Stream, open_connection, start_server  # noqa: E402
from _micropython_native import harness_attached as _harness_attached  # noqa: E402
from _micropython_native import stop_point as _stop_point  # noqa: E402
from _micropython_native import virtual_wait as _virtual_wait  # noqa: E402

# Whether this script runs on `pymqtt test`'s virtual clock (a wait of 0 answers it).
_virtual_clock = _virtual_wait(0.0)

# The standard library's own calls (StreamReader(), gather() and ensure_future() outside a
# loop) find the loop as a script does.
events.get_event_loop = get_event_loop  # noqa: F821 (asyncio.events, imported above)


def wait_for_ms(aw, timeout):
    """wait_for() with the timeout in milliseconds (MicroPython's extension)."""
    return wait_for(aw, None if timeout is None else timeout / 1000)  # noqa: F821


class ThreadSafeFlag:
    """MicroPython's flag that code outside the event loop sets: another thread, a pin
    interrupt's or a timer's callback. wait() returns once it is set, and clears it; one task
    at a time may wait."""

    def __init__(self):
        self._set = False
        # (loop, future) of the task in wait(), which set() completes from wherever it runs.
        self._waiter = None

    def set(self):
        self._set = True
        waiter = self._waiter
        if waiter is not None:
            loop, future = waiter
            try:
                loop.call_soon_threadsafe(_set_done, future)
            except RuntimeError:
                # The loop was closed: nothing waits any more.
                pass

    def clear(self):
        self._set = False

    def is_set(self):
        return self._set

    async def wait(self):
        # The waiter is in place before the flag is read, so a set() from another thread in
        # between is seen either here or by set() itself. A flag cleared again before the
        # task runs is waited for again, as on MicroPython.
        loop = None
        while not self._set:
            if loop is None:
                loop = events.get_running_loop()  # noqa: F821
            future = loop.create_future()
            self._waiter = (loop, future)
            try:
                if not self._set:
                    await future
            finally:
                self._waiter = None
        self._set = False


def _set_done(future):
    if not future.done():
        future.set_result(None)


def _wake_for_callbacks():
    """Pin interrupts' and timers' callbacks run on the main thread between two bytecodes
    (src/modules/board.rs), and an event loop waiting in select() runs none: while a loop
    runs on the main thread, the board writes a byte to its self-pipe for each callback it
    queues, which ends the wait."""
    import threading

    import _board

    base = selector_events.BaseSelectorEventLoop  # noqa: F821
    setup, cleanup = base._run_forever_setup, base._run_forever_cleanup

    def _run_forever_setup(self):
        setup(self)
        if threading.current_thread() is threading.main_thread():
            self._pymqtt_wakeup = _board.set_wakeup_fd(self._csock.fileno())
        if _harness_attached() and not isinstance(self._selector, _StoppableSelector):
            self._selector = _StoppableSelector(self._selector, self)

    def _run_forever_cleanup(self):
        previous = self.__dict__.pop("_pymqtt_wakeup", None)
        if previous is not None:
            _board.set_wakeup_fd(previous)
        cleanup(self)

    base._run_forever_setup = _run_forever_setup
    base._run_forever_cleanup = _run_forever_cleanup


# How often a loop waiting under `pymqtt test` looks whether the test asked it to stop.
_STOP_CHECK = 0.05


class _StoppableSelector:
    """A loop's selector under `pymqtt test`: the test's stop request (the script is ended,
    as if by sys.exit(0), the next time it waits) reaches a loop waiting in select(), as it
    reaches time.sleep() and wait_msg(). It is raised once: the loop then runs on to cancel
    its tasks, as asyncio.run() does on any exception."""

    def __init__(self, selector, loop):
        self._selector = selector
        self._loop = loop
        self._stopping = False

    def __getattr__(self, name):
        return getattr(self._selector, name)

    def _stop_point(self):
        # Not while asyncio.run() closes the loop (its cleanup's coroutines would be left
        # never awaited, and warned about): the script's next wait after it stops it.
        if not self._stopping and not getattr(self._loop, "_pymqtt_closing", False):
            try:
                _stop_point()
            except SystemExit:
                self._stopping = True
                raise

    def select(self, timeout=None):
        self._stop_point()
        if self._stopping:
            return self._selector.select(timeout)
        if _virtual_clock:
            # On a virtual clock the wait is the clock's: what is ready now, else one turn
            # of the clock (which may jump to the loop's next timer), then what is ready.
            events = self._selector.select(0)
            if events or timeout == 0:
                return events
            _virtual_wait(None if timeout is None else float(timeout))
            self._stop_point()
            return self._selector.select(0)
        # Woken early, the loop just waits again for what is left.
        wait = _STOP_CHECK if timeout is None else min(timeout, _STOP_CHECK)
        events = self._selector.select(wait)
        self._stop_point()
        return events


_wake_for_callbacks()
del _wake_for_callbacks


def _mark_closing():
    standard = runners.Runner.close  # noqa: F821

    def close(self):
        if self._loop is not None:
            self._loop._pymqtt_closing = True
        standard(self)

    runners.Runner.close = close  # noqa: F821


_mark_closing()
del _mark_closing


def _quiet_when_stopped():
    """A loop that stopped, or was closed or dropped (new_event_loop() is MicroPython's
    reset), with tasks still pending drops them silently, as MicroPython's does. The
    standard library reports each as "Task was destroyed but it is pending!" when it is
    collected, and a coroutine that never started as "was never awaited". While the loop
    runs, a task destroyed pending is a lost one, and is still reported."""
    base = base_events.BaseEventLoop  # noqa: F821
    standard = base.call_exception_handler

    def call_exception_handler(self, context):
        destroyed = context.get("message") == "Task was destroyed but it is pending!"
        if destroyed and not self.is_running():
            task = context.get("task")
            if task is not None:
                # Closed now rather than when collected: a coroutine that never started
                # then goes without a warning; one that did runs its `finally` blocks, as
                # collection would have made it.
                try:
                    task.get_coro().close()
                except Exception:
                    pass
            return
        standard(self, context)

    base.call_exception_handler = call_exception_handler

    # A loop dropped without close() (the one new_event_loop() replaced) closes itself when
    # collected. Collected together with its self-pipe, whose sockets may go first, it finds
    # them closed already, and the standard __del__ would print a ValueError.
    standard_del = base.__del__

    def __del__(self, *args, **kwargs):
        try:
            standard_del(self, *args, **kwargs)
        except (OSError, ValueError):
            pass

    base.__del__ = __del__


_quiet_when_stopped()
del _quiet_when_stopped

__all__ += (  # noqa: F821
    "Loop",
    "Stream",
    "ThreadSafeFlag",
    "run_until_complete",
    "sleep_ms",
    "wait_for_ms",
)
