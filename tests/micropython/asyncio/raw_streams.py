# asyncio.StreamReader(s) and asyncio.StreamWriter(s, extra) over a stream object of the
# script's own, as MicroPython scripts wrap a UART or a socket: a Stream, which reads and
# writes with the object's MicroPython stream methods without blocking the loop.
import asyncio
import socket

from machine import UART


class Chunks:
    """A stream that has nothing at first (None, as a non-blocking stream answers), then one
    chunk at a time, and takes at most 3 bytes per write()."""

    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.written = b""
        self.closed = False

    def read(self, n=-1):
        if not self.chunks:
            return b""
        chunk = self.chunks.pop(0)
        if chunk is None or n < 0 or len(chunk) <= n:
            return chunk
        self.chunks.insert(0, chunk[n:])
        return chunk[:n]

    def readline(self):
        chunk = self.read()
        if chunk and b"\n" in chunk[:-1]:
            end = chunk.index(b"\n") + 1
            self.chunks.insert(0, chunk[end:])
            chunk = chunk[:end]
        return chunk

    def readinto(self, buf):
        data = self.read(len(buf))
        if data is not None:
            buf[: len(data)] = data
            return len(data)
        return None

    def write(self, buf):
        took = bytes(buf[:3])
        self.written += took
        return len(took)

    def close(self):
        self.closed = True


class Ready:
    """A stream that says through ioctl() when it can be read, as MicroPython's do."""

    def __init__(self):
        self.polls = 0

    def ioctl(self, req, flags):
        self.polls += 1
        return flags if req == 3 and self.polls >= 3 else 0

    def read(self, n):
        return b"ready"


async def ticker(ticks):
    while True:
        ticks.append(1)
        await asyncio.sleep_ms(5)


async def main():
    ticks = []
    ticking = asyncio.create_task(ticker(ticks))

    # A UART with nobody on the line: reading waits without stopping other tasks.
    uart = UART(1, 9600)
    sreader = asyncio.StreamReader(uart)
    swriter = asyncio.StreamWriter(uart, {})
    print(type(sreader).__name__, type(swriter).__name__, isinstance(sreader, asyncio.Stream))
    swriter.write(b"AT\r\n")
    await swriter.drain()
    try:
        await asyncio.wait_for_ms(sreader.readline(), 200)
    except asyncio.TimeoutError:
        print("uart: nothing came; other tasks ran", len(ticks) > 5)

    s = asyncio.StreamReader(Chunks([None, b"ab", None, b"cd\nef", b"gh"]))
    print("readline", await s.readline(), await s.readline())
    s = asyncio.StreamReader(Chunks([b"abc", None, b"defg"]))
    print("readexactly", await s.readexactly(5), await s.read(10), await s.read(10))
    s = asyncio.StreamReader(Chunks([b"abc", b"def"]))
    print("read to the end", await s.read())
    buf = bytearray(4)
    s = asyncio.StreamReader(Chunks([None, b"wxyz!"]))
    print("readinto", await s.readinto(buf), buf)
    try:
        await asyncio.StreamReader(Chunks([b"ab"])).readexactly(3)
    except EOFError:
        print("EOFError")

    # write() takes what the stream takes now; drain() writes the rest.
    target = Chunks([])
    w = asyncio.StreamWriter(target, {"peername": ("uart", 1)})
    w.write(b"0123456789")
    print("written at once", target.written)
    await w.drain()
    print("after drain", target.written)
    await w.awrite(b"--abcdef--", 2, 6)
    await w.awritestr("str")
    print("after awrite", target.written, w.get_extra_info("peername"))
    await w.aclose()
    print("closed", target.closed)

    # An object that answers ioctl() is polled until it says it is readable.
    ready = Ready()
    print(await asyncio.StreamReader(ready).read(5), ready.polls)

    # A non-blocking socket: waited on through its file descriptor.
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    ra = asyncio.StreamReader(a)
    wb = asyncio.StreamWriter(b, {})
    pending = asyncio.create_task(ra.readline())
    await asyncio.sleep_ms(20)
    print("socket: still waiting", not pending.done())
    wb.write(b"over the socket\n")
    await wb.drain()
    print("socket:", await asyncio.wait_for_ms(pending, 2000))
    a.close()
    b.close()
    ticking.cancel()


asyncio.run(main())
