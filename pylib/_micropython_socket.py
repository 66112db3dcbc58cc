# MicroPython's stream methods on sockets: read(), readinto(), readline(), write(). On
# MicroPython a socket is a stream (py/stream.c); micropython-lib's umqtt.simple, for one,
# talks to its broker with sock.read(n) and sock.write(buf, n) only. _micropython_imports.py
# adds these to socket.socket when `socket` is first imported (so `usocket` sockets, which
# are the same class, have them too).
#
# As on MicroPython:
# - read(n) and readinto(buf) wait until they have n bytes (the buffer is full) or the
#   connection ends; read() with no size reads to the end;
# - write(buf) writes all of buf (str is written as UTF-8) and returns its length;
#   write(buf, n) writes buf[:n], write(buf, off, n) buf[off:off + n];
# - on a non-blocking socket (setblocking(False), settimeout(0)) a call that would wait
#   returns what it has so far, and None when that is nothing (read, readinto, readline,
#   write alike);
# - a timeout (settimeout(t)) raises OSError(ETIMEDOUT) (errno 110; the class is
#   TimeoutError, CPython's name for that errno), where socket.recv() raises CPython's
#   TimeoutError("timed out").
#
# recv(), send() and the rest keep their CPython behaviour.

from errno import ETIMEDOUT

from _socket import MSG_PEEK

# How much read() asks for at a time when it reads to the end.
_CHUNK = 4096


def _timed_out():
    return OSError(ETIMEDOUT, "ETIMEDOUT")


def _bytes_view(buf):
    if isinstance(buf, str):
        buf = buf.encode()
    view = memoryview(buf)
    return view if view.itemsize == 1 and view.ndim == 1 else view.cast("B")


def read(self, size=-1):
    """Read `size` bytes (fewer only at the end of the stream); all of it without a size."""
    if size is None or size < 0:
        return _read_all(self)
    parts = []
    got = 0
    while got < size:
        try:
            chunk = self.recv(size - got)
        except BlockingIOError:
            if not got:
                return None
            break
        except TimeoutError:
            raise _timed_out() from None
        if not chunk:
            break
        if got == 0 and len(chunk) == size:
            return chunk
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _read_all(self):
    parts = []
    while True:
        try:
            chunk = self.recv(_CHUNK)
        except BlockingIOError:
            if not parts:
                return None
            break
        except TimeoutError:
            raise _timed_out() from None
        if not chunk:
            break
        parts.append(chunk)
    return b"".join(parts)


def readinto(self, buf, size=None):
    """Fill `buf` (its first `size` bytes), fewer only at the end of the stream; returns the
    count."""
    view = _bytes_view(buf)
    if size is not None:
        view = view[:size]
    got = 0
    while got < len(view):
        try:
            n = self.recv_into(view[got:])
        except BlockingIOError:
            if not got:
                return None
            break
        except TimeoutError:
            raise _timed_out() from None
        if not n:
            break
        got += n
    return got


def readline(self, size=-1):
    """Read up to and including b"\\n" (or `size` bytes, or to the end of the stream)."""
    line = b""
    while size is None or size < 0 or len(line) < size:
        want = 256 if size is None or size < 0 else min(256, size - len(line))
        try:
            # Look before taking, so that nothing after the line is consumed.
            ahead = self.recv(want, MSG_PEEK)
        except BlockingIOError:
            return line or None
        except TimeoutError:
            raise _timed_out() from None
        if not ahead:
            break
        end = ahead.find(b"\n") + 1 or len(ahead)
        line += self.recv(end)
        if line.endswith(b"\n"):
            break
    return line


def write(self, buf, *span):
    """Write all of `buf` (`buf[:n]` with n, `buf[off:off + n]` with off and n); returns
    the count, None if a non-blocking socket could take nothing."""
    view = _bytes_view(buf)
    if len(span) == 1:
        view = view[: span[0]]
    elif len(span) == 2:
        off, n = span
        view = view[off : off + n]
    elif span:
        raise TypeError("write() takes 1 to 3 arguments")
    done = 0
    while done < len(view):
        try:
            sent = self.send(view[done:])
        except BlockingIOError:
            return done or None
        except TimeoutError:
            raise _timed_out() from None
        if not sent:
            break
        done += sent
    return done


def add_stream_methods(cls):
    """Gives `cls` (socket.socket) MicroPython's stream methods."""
    cls.read = read
    cls.readinto = readinto
    cls.readline = readline
    cls.write = write
