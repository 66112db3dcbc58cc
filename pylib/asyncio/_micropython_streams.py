# MicroPython's streams on the standard library's (pylib/asyncio/__init__.py adds them):
#
# - open_connection() and start_server() give the standard StreamReader and StreamWriter
#   (transports, TLS, readuntil(), async iteration: all of CPython's API), and take
#   MicroPython's arguments too: positional `ssl` and `server_hostname`, `backlog`.
# - MicroPython's one Stream object is both reader and writer, so scripts call write() or
#   close() on the reader and read on the writer: each of the two answers for the other's
#   methods.
# - The writer has MicroPython's awrite(), awritestr() and aclose(); the reader readinto().
# - asyncio.StreamReader(s) and asyncio.StreamWriter(s, extra) over a stream object of the
#   script's own (a UART, a socket), as MicroPython scripts write them, make a Stream: the
#   standard classes are for transports and are made with other arguments.

from _micropython_stream_poll import MP_STREAM_POLL as _MP_STREAM_POLL
from _micropython_stream_poll import POLL_ERR as _POLL_ERR
from _micropython_stream_poll import POLL_RD as _POLL_RD
from _micropython_stream_poll import POLL_WR as _POLL_WR

from . import events, exceptions, streams
from .streams import StreamReader, StreamWriter
from .tasks import sleep

# How often a stream that cannot be waited on (no file descriptor, no ioctl) is tried again
# while it has nothing: a UART's bytes wait in its buffer, so this costs no data.
_RETRY_SECONDS = 0.01


class Stream:
    """MicroPython's Stream over a stream object (`s`) with MicroPython's methods:
    read(n) / readinto(buf) / readline() returning None while there is nothing yet, and
    write(buf) returning how much it took (None for nothing). `e` is what get_extra_info()
    answers from."""

    def __init__(self, s, e=None):
        self.s = s
        self.e = {} if e is None else e
        self.out_buf = b""

    def __repr__(self):
        return "<Stream %r>" % (self.s,)

    def get_extra_info(self, v):
        return self.e[v]

    def close(self):
        # As MicroPython: the object is closed by wait_closed().
        pass

    async def wait_closed(self):
        close = getattr(self.s, "close", None)
        if close is not None:
            close()

    aclose = wait_closed

    async def read(self, n=-1):
        """Up to `n` bytes, once there are some; all bytes to the end without `n`."""
        data = b""
        tried = False
        while True:
            await _ready(self.s, _POLL_RD, tried)
            more = self.s.read(n)
            tried = more is None
            if more is None:
                continue
            if n >= 0:
                return more
            if not more:
                return data
            data += more

    async def readinto(self, buf):
        tried = False
        while True:
            await _ready(self.s, _POLL_RD, tried)
            n = self.s.readinto(buf)
            if n is not None:
                return n
            tried = True

    async def readexactly(self, n):
        """`n` bytes; IncompleteReadError (an EOFError) if the stream ends first."""
        data = b""
        tried = False
        while len(data) < n:
            await _ready(self.s, _POLL_RD, tried)
            more = self.s.read(n - len(data))
            tried = more is None
            if more is None:
                continue
            if not more:
                raise exceptions.IncompleteReadError(data, n)
            data += more
        return data

    async def readline(self):
        line = b""
        tried = False
        while True:
            await _ready(self.s, _POLL_RD, tried)
            more = self.s.readline()
            tried = more is None
            if more is None:
                continue
            line += more
            if not more or line.endswith(b"\n"):
                return line

    def write(self, buf):
        """Writes what the stream takes now; drain() writes the rest. A str goes as UTF-8."""
        if isinstance(buf, str):
            buf = buf.encode()
        if not self.out_buf:
            took = self.s.write(buf)
            if took == len(buf):
                return
            if took:
                buf = buf[took:]
        self.out_buf += buf

    async def drain(self):
        if not self.out_buf:
            # Always a pause, so that a loop of write() and drain() lets other tasks run.
            await sleep(0)
            return
        pending = memoryview(self.out_buf)
        tried = False
        while pending:
            await _ready(self.s, _POLL_WR, tried)
            took = self.s.write(pending)
            tried = not took
            if took:
                pending = pending[took:]
        self.out_buf = b""

    async def awrite(self, buf, off=0, sz=-1):
        await _awrite(self, buf, off, sz)

    awritestr = awrite


async def _awrite(writer, buf, off=0, sz=-1):
    """MicroPython's awrite(): write(buf[off:off + sz]) (to the end for sz -1), then drain()."""
    if off or sz != -1:
        view = memoryview(buf)
        buf = view[off:] if sz == -1 else view[off : off + sz]
    writer.write(buf)
    await writer.drain()


async def _ready(s, flag, tried):
    """Waits until `s` can be read (`flag` _POLL_RD) or written (_POLL_WR): on its file
    descriptor if it has one, else as its ioctl() says, else by trying again shortly when the
    last try (`tried`) found nothing."""
    fd = _fileno(s)
    if fd is not None:
        loop = events.get_running_loop()
        ready = loop.create_future()
        if flag == _POLL_RD:
            loop.add_reader(fd, _set_done, ready)
            remove = loop.remove_reader
        else:
            loop.add_writer(fd, _set_done, ready)
            remove = loop.remove_writer
        try:
            await ready
        finally:
            remove(fd)
        return
    ioctl = getattr(s, "ioctl", None)
    if ioctl is not None:
        while True:
            state = ioctl(_MP_STREAM_POLL, flag)
            if state == -1 or state & (flag | _POLL_ERR):
                return
            await sleep(_RETRY_SECONDS)
    await sleep(_RETRY_SECONDS if tried else 0)


def _fileno(s):
    fileno = getattr(s, "fileno", None)
    if fileno is None:
        return None
    try:
        fd = fileno()
    except (OSError, ValueError):
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


def _set_done(future):
    if not future.done():
        future.set_result(None)


# The standard classes made with MicroPython's arguments, (s) or (s, e), give a Stream; their
# own arguments are the standard StreamReader's `limit` (a number) and `loop`, and the
# standard StreamWriter's transport, protocol, reader and loop. A subclass (a script's own,
# with its own arguments) is made as it asks.


def _micropythons(args, kwargs):
    return bool(args) and len(args) + len(kwargs) <= 2 and set(kwargs) <= {"e"}


def _reader_new(cls, *args, **kwargs):
    if cls is StreamReader and _micropythons(args, kwargs) and not isinstance(args[0], int):
        return Stream(*args, **kwargs)
    return object.__new__(cls)


def _writer_new(cls, *args, **kwargs):
    if cls is StreamWriter and _micropythons(args, kwargs):
        return Stream(*args, **kwargs)
    return object.__new__(cls)


StreamReader.__new__ = staticmethod(_reader_new)
StreamWriter.__new__ = staticmethod(_writer_new)


# One stream's two halves answer for each other, as MicroPython's single Stream does.
_WRITER_NAMES = frozenset(
    ("write", "writelines", "drain", "awrite", "awritestr", "aclose", "close", "is_closing",
     "wait_closed", "write_eof", "can_write_eof", "get_extra_info", "transport")
)  # fmt: skip
_READER_NAMES = frozenset(("read", "readinto", "readline", "readexactly", "readuntil", "at_eof"))


def _reader_getattr(self, name):
    writer = self.__dict__.get("_pymqtt_writer")
    if writer is not None and name in _WRITER_NAMES:
        return getattr(writer, name)
    raise AttributeError("'StreamReader' object has no attribute %r" % name)


def _writer_getattr(self, name):
    reader = self.__dict__.get("_reader")
    if reader is not None and name in _READER_NAMES:
        return getattr(reader, name)
    raise AttributeError("'StreamWriter' object has no attribute %r" % name)


StreamReader.__getattr__ = _reader_getattr
StreamWriter.__getattr__ = _writer_getattr


async def _reader_readinto(self, buf):
    """MicroPython's readinto(buf): reads up to len(buf) bytes into buf; returns the count."""
    view = memoryview(buf).cast("B")
    data = await self.read(len(view))
    view[: len(data)] = data
    return len(data)


StreamReader.readinto = _reader_readinto
StreamWriter.awrite = _awrite
StreamWriter.awritestr = _awrite

# A str is written as UTF-8, as MicroPython's streams (and pymqtt's sockets) write it:
# scripts write their HTTP headers and lines as str.
_standard_write = StreamWriter.write
_standard_writelines = StreamWriter.writelines


def _writer_write(self, data):
    _standard_write(self, data.encode() if isinstance(data, str) else data)


def _writer_writelines(self, data):
    _standard_writelines(self, [d.encode() if isinstance(d, str) else d for d in data])


StreamWriter.write = _writer_write
StreamWriter.writelines = _writer_writelines


_standard_wait_closed = StreamWriter.wait_closed


async def _writer_wait_closed(self):
    # MicroPython's wait_closed() only closes: a connection the peer reset is closed all the
    # same, where the standard one raises the reset (a client's reconnect path, called
    # because the broker went away, would die of it).
    try:
        await _standard_wait_closed(self)
    except OSError:
        pass


StreamWriter.wait_closed = _writer_wait_closed


async def _writer_aclose(self):
    self.close()
    await self.wait_closed()


StreamWriter.aclose = _writer_aclose


async def open_connection(host=None, port=None, ssl=None, server_hostname=None, **kwds):
    """The standard open_connection(), with MicroPython's positional `ssl` (True for the
    default context) and `server_hostname` (used only with `ssl`, as MicroPython does)."""
    if ssl:
        kwds["ssl"] = ssl
        if server_hostname:
            kwds["server_hostname"] = server_hostname
    reader, writer = await streams.open_connection(host, port, **kwds)
    reader._pymqtt_writer = writer
    return reader, writer


async def start_server(client_connected_cb, host=None, port=None, backlog=None, ssl=None, **kwds):
    """The standard start_server(), with MicroPython's positional `backlog` and `ssl`; the
    callback may be None (connections are then accepted and left alone)."""
    if backlog is not None:
        kwds["backlog"] = backlog
    if ssl:
        kwds["ssl"] = ssl

    def connected(reader, writer):
        reader._pymqtt_writer = writer
        if client_connected_cb is not None:
            return client_connected_cb(reader, writer)
        return None

    return await streams.start_server(connected, host, port, **kwds)
