# Event and Lock as MicroPython scripts use them: made at the top level before any loop runs,
# set()/clear()/is_set()/wait(), acquire()/release()/locked() and `async with`.
import asyncio

ready = asyncio.Event()
lock = asyncio.Lock()
log = []


async def waiter(id):
    print("waiter", id, "waits")
    print("waiter", id, "got", await ready.wait())


async def worker(id):
    for i in range(2):
        async with lock:
            log.append((id, "in"))
            await asyncio.sleep_ms(5)
            log.append((id, "out"))


async def main():
    print(ready.is_set(), lock.locked())
    tasks = [asyncio.create_task(waiter(i)) for i in range(2)]
    await asyncio.sleep_ms(0)
    print("set")
    ready.set()
    for t in tasks:
        await t
    ready.clear()
    print("cleared", ready.is_set())
    try:
        await asyncio.wait_for_ms(ready.wait(), 50)
    except asyncio.TimeoutError:
        print("wait timed out")

    print("acquire", await lock.acquire(), lock.locked())
    lock.release()
    print("released", lock.locked())
    try:
        lock.release()
    except RuntimeError:
        print("RuntimeError on a second release")

    # Three workers take turns: never two inside at once.
    await asyncio.gather(*(worker(i) for i in range(3)))
    print("turns", all(log[i][0] == log[i + 1][0] for i in range(0, len(log), 2)), len(log))

    # A waiter cancelled while it waits for the lock leaves it to the next one.
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep_ms(0)
    first.cancel()
    lock.release()
    print("next waiter got it", await second, lock.locked())
    lock.release()


asyncio.run(main())
