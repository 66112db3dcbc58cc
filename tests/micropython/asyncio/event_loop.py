# MicroPython's one event loop: get_event_loop() and create_task() at the top level, before
# anything runs; run_forever() until a task stops it; run_until_complete(), as a method and
# as MicroPython's module function; new_event_loop() resets; run() runs what was scheduled.
import asyncio


async def report(name, ms=0):
    await asyncio.sleep_ms(ms)
    print("ran", name)
    return name


async def stopper(loop):
    print("stopper sees its loop", asyncio.get_event_loop() is loop)
    await asyncio.sleep_ms(20)
    print("stopping")
    loop.stop()


# The MicroPython idiom: the loop first, tasks on it, then run it for good.
loop = asyncio.get_event_loop()
print("a Loop", isinstance(loop, asyncio.Loop), loop is asyncio.get_event_loop())
loop.create_task(report("task on the loop"))
asyncio.create_task(report("task from asyncio.create_task", 5))
loop.create_task(stopper(loop))
loop.run_forever()
print("run_forever returned")

# A stopped loop runs again.
print(loop.run_until_complete(report("run_until_complete")))
print(asyncio.run_until_complete(report("module run_until_complete")))
asyncio.create_task(report("left for the next run"))
print(asyncio.run_until_complete())

# run() on the script's loop: tasks scheduled before it run alongside it; the loop stays.
asyncio.create_task(report("scheduled before run()"))
print(asyncio.run(report("run()", 10)))
print("loop still open", not loop.is_closed(), asyncio.get_event_loop() is loop)


# current_task() and core.cur_task, inside and outside a task.
async def who():
    return asyncio.current_task() is asyncio.core.cur_task


print("current task", asyncio.run(who()), asyncio.core.cur_task)
try:
    asyncio.current_task()
except RuntimeError:
    print("no task outside the loop")

# new_event_loop() resets: the new loop is the one get_event_loop() gives from now on, and
# the old one's pending tasks are dropped without a word.
loop.create_task(report("never runs"))
loop2 = asyncio.new_event_loop()
print("new loop", loop2 is not loop, asyncio.get_event_loop() is loop2)
loop2.create_task(stopper(loop2))
loop2.run_forever()

# A closed loop is replaced.
loop2.close()
loop3 = asyncio.get_event_loop()
print("replaced", loop3 is not loop2, not loop3.is_closed())


# Inside a running loop, get_event_loop() and create_task() are the standard ones.
async def inside():
    t = asyncio.create_task(report("inside"))
    print("running loop", asyncio.get_event_loop() is asyncio.get_running_loop())
    return await t


print(loop3.run_until_complete(inside()))
