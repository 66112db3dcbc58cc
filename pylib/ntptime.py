# MicroPython's `ntptime`: sets a board's clock from NTP. This computer's clock is right
# already, so settime() changes nothing (and needs no network); time() is the NTP time.

host = "pool.ntp.org"
timeout = 1


def time():
    import time as _time

    return int(_time.time())


def settime():
    return None
