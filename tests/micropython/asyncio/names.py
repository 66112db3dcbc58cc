# The names MicroPython's asyncio has, on asyncio and on uasyncio (the same module), and
# asyncio.core; the standard library's asyncio is all there too.
import asyncio
import uasyncio

print(uasyncio is asyncio)

micropython_names = (
    "CancelledError", "Event", "Lock", "Loop", "Stream", "StreamReader", "StreamWriter",
    "Task", "ThreadSafeFlag", "TimeoutError", "create_task", "current_task", "gather",
    "get_event_loop", "new_event_loop", "open_connection", "run", "run_until_complete",
    "sleep", "sleep_ms", "start_server", "wait_for", "wait_for_ms",
)  # fmt: skip
for name in micropython_names:
    if not hasattr(uasyncio, name):
        print("missing", name)
print("micropython names", len(micropython_names))

# asyncio.core, as scripts reach it: an attribute, `import uasyncio.core`, `from ... import`
import uasyncio.core
from asyncio.core import CancelledError, sleep_ms

print(uasyncio.core is asyncio.core)
print(sleep_ms is asyncio.sleep_ms, CancelledError is asyncio.CancelledError)
core_names = (
    "CancelledError", "Loop", "Task", "TimeoutError", "create_task", "current_task",
    "get_event_loop", "new_event_loop", "run", "run_until_complete", "sleep", "sleep_ms",
    "ticks", "ticks_add", "ticks_diff",
)  # fmt: skip
for name in core_names:
    if getattr(asyncio.core, name) is not getattr(asyncio, name, getattr(asyncio.core, name)):
        print("core differs", name)
print("core names", len(core_names), asyncio.core.cur_task)

# `from uasyncio import *` brings MicroPython's names too.
scope = {}
exec("from uasyncio import *", scope)
print(all(n in scope for n in ("sleep_ms", "wait_for_ms", "ThreadSafeFlag", "Loop")))

# The standard library's package: every name in __all__, its submodules, its newer API.
import asyncio.events, asyncio.streams, asyncio.tasks, asyncio.base_events

print(all(hasattr(asyncio, n) for n in asyncio.__all__))
print(asyncio.events.get_event_loop is asyncio.get_event_loop)
for name in ("Runner", "TaskGroup", "timeout", "to_thread", "Queue", "Semaphore", "Condition"):
    if not hasattr(asyncio, name):
        print("missing", name)
print(issubclass(asyncio.Loop, asyncio.AbstractEventLoop))
print(issubclass(asyncio.CancelledError, BaseException))
