# What MicroPython does without a word stays silent: no DeprecationWarning for
# get_event_loop() at the top level, none for awaiting a cancelled task, no "Task was
# destroyed but it is pending!" or "coroutine ... was never awaited" for the tasks a stopped
# or reset loop drops. (The test checks that stderr stays empty.)
import gc
import warnings

# Every DeprecationWarning shown, wherever it comes from, not only __main__'s.
warnings.simplefilter("default", DeprecationWarning)

import asyncio


async def forever(name):
    print("started", name)
    while True:
        await asyncio.sleep_ms(10)


async def never_started():
    print("never printed")


async def main(loop):
    t = asyncio.create_task(forever("cancelled"))
    await asyncio.sleep_ms(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("awaited a cancelled task")
    t = asyncio.create_task(never_started())
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("awaited a task cancelled before it ran")
    asyncio.create_task(forever("left running"))
    await asyncio.sleep_ms(0)
    asyncio.create_task(never_started())
    loop.stop()


loop = asyncio.get_event_loop()
loop.create_task(main(loop))
loop.run_forever()
print("stopped with tasks pending")

# A closed loop's pending tasks, and a reset one's, are dropped when collected.
loop.close()
loop = asyncio.new_event_loop()
loop.create_task(forever("never runs"))
loop.create_task(never_started())
loop = asyncio.new_event_loop()
gc.collect()
print("dropped")

# Not awaited: MicroPython's sleep_ms() is not a coroutine there, and not reported here.
asyncio.sleep_ms(10)
gc.collect()

# Only the deprecated API itself still warns.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    asyncio.get_event_loop_policy()
print("get_event_loop_policy() still deprecated", caught[0].category is DeprecationWarning)
print("done")
