"""MicroPython's `machine` module, as pymqtt has it on a host computer.

`import machine` (or `umachine`) gives this module unless the script brings a machine.py of
its own (in its folder or on sys.path), which then wins, as on MicroPython.

MicroPython's unix port has `idle()` and `soft_reset()` here (and `mem8`/`mem16`/`mem32`,
`time_pulse_us`, `PinBase` and `Signal`, which have no use without hardware and are left
out). pymqtt adds the two calls MQTT scripts written for boards make most: `unique_id()`, for
a client id, and `reset()`, to start over after an error. There is no `Pin`, `freq()` or
other hardware here; a script that needs them can bring its own machine.py.
"""

import sys

# posix rather than os: importing os takes longer than the rest of a small script.
from posix import execv, sched_yield, uname

# The name scripts know it by (in reprs and "cannot import name 'Pin' from 'machine'").
__name__ = "machine"

# As the unix port: machine.soft_reset is sys.exit, so it raises SystemExit and the program
# ends with status 0 (a board would restart its interpreter and run main.py again).
soft_reset = sys.exit

_unique_id = None


def idle():
    """Gives the CPU to other processes for a moment (sched_yield(), as the unix port)."""
    sched_yield()


def unique_id():
    """8 bytes that identify this computer, the same across runs and reboots, as a board's
    unique_id() identifies the board. They are derived from /etc/machine-id (hashed: the id
    itself is not revealed), or from the host name where there is no machine-id."""
    global _unique_id
    if _unique_id is None:
        seed = b""
        for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                with open(path, "rb") as f:
                    seed = f.read().strip()
            except OSError:
                continue
            if seed:
                break
        if not seed:
            seed = uname().nodename.encode()
        from _sha256 import sha256

        _unique_id = sha256(b"pymqtt machine.unique_id\0" + seed).digest()[:8]
    return _unique_id


def reset():
    """Starts the program again from the beginning, as a board's reset runs main.py again:
    the pymqtt process replaces itself with a new one, with the same command line. As on a
    board, nothing is cleaned up: MQTT connections close without DISCONNECT (the broker
    publishes their last wills), atexit functions do not run. A program read from standard
    input finds it empty the second time."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    execv(sys.executable, sys.orig_argv)
