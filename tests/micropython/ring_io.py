# micropython.RingIO: a byte ring that is a stream; writes take what fits, reads what waits,
# and an asyncio stream can wait on it.
import asyncio
import micropython

ring = micropython.RingIO(8)
print(ring, ring.any())
print(ring.write(b"line one\n"), ring.any())
print(ring.read(3), ring.write(b"ab"), ring.any())
print(ring.readline(), ring.readline())
print(ring.write(b"x\ny"), ring.readline(), ring.read())

into = bytearray(4)
ring.write(b"123456")
print(ring.readinto(into, 2), bytes(into))
print(ring.readinto(into), bytes(into), ring.any())

over = micropython.RingIO(bytearray(4))
print(over.write(b"abcdef"), over.read(), over.write(memoryview(b"zz")))

for bad in (0, 65535, bytearray(1), None):
    try:
        micropython.RingIO(bad)
    except (ValueError, TypeError) as error:
        print(type(error).__name__)


async def main():
    ring = micropython.RingIO(5)
    stream = asyncio.StreamWriter(ring)

    async def writer():
        stream.write(b"0123456789" * 3)
        await stream.drain()

    task = asyncio.create_task(writer())
    got = await stream.readexactly(30)
    await task
    print(got == b"0123456789" * 3)


asyncio.run(main())
