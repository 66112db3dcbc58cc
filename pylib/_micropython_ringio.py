"""micropython.RingIO: a fixed-size byte ring that is a stream, for handing bytes from an
interrupt handler or a thread to the code that reads them (asyncio can wait on it).

As MicroPython's: RingIO(size) holds up to `size` bytes (1..65534); RingIO(buffer) uses the
buffer given and holds one byte less than its length (2..65535 bytes). write() takes what
fits and says how much; reads take what is there, never waiting.
"""

from _micropython_stream_poll import MP_STREAM_POLL, POLL_RD, POLL_WR

_LARGEST = 65535


class RingIO:
    __slots__ = ("_buffer", "_start", "_end")

    def __init__(self, size_or_buffer):
        if isinstance(size_or_buffer, int):
            if not 1 <= size_or_buffer < _LARGEST:
                raise ValueError("invalid size")
            buffer = bytearray(size_or_buffer + 1)
        else:
            buffer = memoryview(size_or_buffer).cast("B")
            if not 2 <= len(buffer) <= _LARGEST:
                raise ValueError("invalid size")
        self._buffer = buffer
        # Bytes run from _start up to (not including) _end, wrapping; equal means empty.
        self._start = 0
        self._end = 0

    def __repr__(self):
        return "<RingIO>"

    def any(self):
        """How many bytes wait to be read."""
        return (self._end - self._start) % len(self._buffer)

    def _space(self):
        return len(self._buffer) - 1 - self.any()

    def write(self, data):
        """Writes as much of `data` as fits; returns how many bytes that was."""
        data = memoryview(data).cast("B")
        count = min(len(data), self._space())
        size = len(self._buffer)
        first = min(count, size - self._end)
        self._buffer[self._end : self._end + first] = data[:first]
        self._buffer[: count - first] = data[first:count]
        self._end = (self._end + count) % size
        return count

    def _take(self, count):
        size = len(self._buffer)
        first = min(count, size - self._start)
        taken = bytes(self._buffer[self._start : self._start + first])
        taken += bytes(self._buffer[: count - first])
        self._start = (self._start + count) % size
        return taken

    def read(self, size=-1):
        """Up to `size` bytes (all that wait when left out), b'' when there are none."""
        waiting = self.any()
        return self._take(waiting if size is None or size < 0 else min(size, waiting))

    def readline(self, size=-1):
        """Bytes up to and including the next newline, or all that wait if there is none."""
        waiting = self.any()
        limit = waiting if size is None or size < 0 else min(size, waiting)
        count = 0
        while count < limit:
            count += 1
            if self._buffer[(self._start + count - 1) % len(self._buffer)] == 0x0A:
                break
        return self._take(count)

    def readinto(self, buffer, size=None):
        """Reads into `buffer` (at most `size` bytes); returns how many it read."""
        target = memoryview(buffer).cast("B")
        count = len(target) if size is None else min(size, len(target))
        taken = self._take(min(count, self.any()))
        target[: len(taken)] = taken
        return len(taken)

    def ioctl(self, request, arg):
        # The stream poll asyncio asks: readable when bytes wait, writable when there is room.
        if request != MP_STREAM_POLL:
            return -1
        ready = 0
        if arg & POLL_RD and self.any():
            ready |= POLL_RD
        if arg & POLL_WR and self._space():
            ready |= POLL_WR
        return ready

    def close(self):
        """Nothing to release: the ring is memory."""
