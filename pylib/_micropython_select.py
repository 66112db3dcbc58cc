# MicroPython's select.poll(): _micropython_imports.py puts it in `select` when `select` is
# first imported (so `uselect` has it too).
#
# As on MicroPython (extmod/modselect.c):
# - poll() and ipoll() give back (obj, event) for the object that was registered, not its
#   file descriptor: scripts compare what they get with their socket (`if obj is sock`).
#   Something registered as a file descriptor (an int, as the standard library's selectors
#   do) comes back as that int, so CPython code that registers descriptors is unchanged.
# - register(obj) without a mask waits for POLLIN | POLLOUT;
# - ipoll(timeout, flags) is poll() as an iterator; flags=1 is one-shot: an object that had an
#   event waits for nothing more until modify() gives it a mask again.

import select as _select

POLLIN = _select.POLLIN
POLLOUT = _select.POLLOUT
# Taken before `select.poll` becomes the class below.
_standard_poll = _select.poll


def _fd(obj):
    return obj if isinstance(obj, int) else obj.fileno()


class poll:
    def __init__(self):
        self._poll = _standard_poll()
        self._registered = {}  # fd -> the object registered

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        fd = _fd(obj)
        self._poll.register(fd, eventmask)
        self._registered[fd] = obj

    def unregister(self, obj):
        fd = _fd(obj)
        self._poll.unregister(fd)
        del self._registered[fd]

    def modify(self, obj, eventmask):
        fd = _fd(obj)
        if fd not in self._registered:
            # MicroPython: ENOENT for an object never registered.
            raise OSError(2, "ENOENT")
        self._poll.modify(fd, eventmask)

    def poll(self, timeout=-1):
        if timeout is not None and timeout < 0:
            timeout = None
        return [(self._registered.get(fd, fd), event) for fd, event in self._poll.poll(timeout)]

    def ipoll(self, timeout=-1, flags=0):
        for obj, event in self.poll(timeout):
            if flags & 1:
                self._poll.modify(_fd(obj), 0)
            yield obj, event
