# Under `pymqtt test`'s `clock virtual`, the `time` functions that read the current time
# when given none read the virtual one: time.time() (src/host/clock.rs) and not the system
# clock. src/modules/micropython_native/virtual_time.rs puts the clocks and sleeps in place.

import time

_localtime, _gmtime, _ctime, _asctime, _strftime = (
    time.localtime, time.gmtime, time.ctime, time.asctime, time.strftime
)  # fmt: skip


def localtime(secs=None):
    return _localtime(time.time() if secs is None else secs)


def gmtime(secs=None):
    return _gmtime(time.time() if secs is None else secs)


def ctime(secs=None):
    return _ctime(time.time() if secs is None else secs)


def asctime(t=None):
    return _asctime(localtime() if t is None else t)


def strftime(format, t=None):
    return _strftime(format, localtime() if t is None else t)


time.localtime, time.gmtime, time.ctime = localtime, gmtime, ctime
time.asctime, time.strftime = asctime, strftime
