"""MicroPython's stream poll request and its flags (py/stream.h): what `ioctl()` is asked, and
answers, on an object that is a stream as MicroPython's are (RingIO, a UART, a script's own
stream class), so that asyncio can wait on it."""

MP_STREAM_POLL = 3
POLL_RD = 0x0001
POLL_WR = 0x0004
POLL_ERR = 0x0008 | 0x0010  # POLLERR, POLLHUP
