# ThreadSafeFlag: set() from the loop, from another thread, from a timer's callback (an
# interrupt handler, queued while the loop has nothing else to do; a pin interrupt's handler
# comes the same way) and from micropython.schedule(); wait() clears it; clear().
import _thread
import asyncio
import time

import micropython
from machine import Timer


def elapsed(t0):
    return time.ticks_diff(time.ticks_ms(), t0)


async def waiter(id, flag):
    print("task", id, "waits")
    await flag.wait()
    print("task", id, "woken")


async def main():
    flag = asyncio.ThreadSafeFlag()

    # From inside the loop.
    t = asyncio.create_task(waiter(1, flag))
    await asyncio.sleep(0)
    print("set")
    flag.set()
    await t

    # Already set: wait() returns at once, and the flag is clear after it.
    flag.set()
    await waiter(2, flag)
    try:
        await asyncio.wait_for_ms(flag.wait(), 50)
        print("not cleared")
    except asyncio.TimeoutError:
        print("cleared by wait")

    # Set, then cleared before anyone waits: nothing is left to wake a waiter.
    flag.set()
    flag.clear()
    try:
        await asyncio.wait_for_ms(flag.wait(), 50)
        print("not cleared")
    except asyncio.TimeoutError:
        print("cleared by clear")

    # From another thread, while the loop waits in select().
    def from_thread():
        time.sleep_ms(100)
        flag.set()

    t0 = time.ticks_ms()
    _thread.start_new_thread(from_thread, ())
    await waiter(3, flag)
    print("thread woke it", 90 <= elapsed(t0) < 3000)

    # From a timer's callback: an interrupt handler, queued while nothing else runs.
    t0 = time.ticks_ms()
    timer = Timer(-1)
    timer.init(mode=Timer.ONE_SHOT, period=100, callback=lambda t: flag.set())
    await asyncio.wait_for_ms(waiter(4, flag), 3000)
    print("timer woke it", 90 <= elapsed(t0) < 3000)

    # A periodic timer wakes a loop of waits.
    timer.init(mode=Timer.PERIODIC, period=20, callback=lambda t: flag.set())
    t0 = time.ticks_ms()
    for _ in range(5):
        await asyncio.wait_for_ms(flag.wait(), 3000)
    timer.deinit()
    print("five ticks", 80 <= elapsed(t0) < 3000)

    # From micropython.schedule().
    t = asyncio.create_task(waiter(5, flag))
    await asyncio.sleep(0)
    micropython.schedule(lambda f: f.set(), flag)
    await t
    print("done")


asyncio.run(main())
