# sleep_ms() and wait_for_ms(): MicroPython's millisecond forms, timed with ticks_ms().
import asyncio
import time


def elapsed(t0):
    return time.ticks_diff(time.ticks_ms(), t0)


async def task(id, ms):
    print("task start", id)
    await asyncio.sleep_ms(ms)
    print("task end", id)
    return id * 10


async def cleans_up():
    try:
        await asyncio.sleep_ms(5000)
    finally:
        print("cleanup ran")


async def main():
    t0 = time.ticks_ms()
    await asyncio.sleep_ms(100)
    print("slept 100 ms", 90 <= elapsed(t0) < 2000)

    t0 = time.ticks_ms()
    await asyncio.sleep_ms(0)
    await asyncio.sleep_ms(-5)
    print("0 and negative", elapsed(t0) < 50)

    # As on a 32-bit board: past half the ticks period the clock cannot say when.
    try:
        await asyncio.sleep_ms(2**29)
    except OverflowError as e:
        print("OverflowError", e)

    # Two sleeping tasks overlap: both end within the longer one's time.
    t0 = time.ticks_ms()
    a = asyncio.create_task(task(1, 150))
    b = asyncio.create_task(task(2, 150))
    print(await a, await b, "overlapped", elapsed(t0) < 290)

    # wait_for_ms(): the result when in time, TimeoutError (and a cancelled task) when not.
    print(await asyncio.wait_for_ms(task(3, 10), 1000))
    t0 = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(task(4, 5000), 100)
        print("no timeout")
    except asyncio.TimeoutError:
        print("timeout after", 90 <= elapsed(t0) < 3000)
    t0 = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(cleans_up(), 50)
    except asyncio.TimeoutError:
        print("timeout after", 40 <= elapsed(t0) < 3000)
    print(await asyncio.wait_for_ms(task(5, 0), None))

    # Not awaited: nothing happens, nothing is printed (as MicroPython).
    asyncio.sleep_ms(10)
    print("done")


asyncio.run(main())
