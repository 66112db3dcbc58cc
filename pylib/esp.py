# MicroPython's `esp` module (ESP8266 and ESP32): the calls scripts make, with a board's
# answers.

SLEEP_NONE = 0
SLEEP_LIGHT = 1
SLEEP_MODEM = 2

_sleep_type = SLEEP_NONE


def osdebug(level, *args):
    pass


def flash_size():
    return 4 * 1024 * 1024


def flash_id():
    return 0x1640EF


def flash_user_start():
    return 0x200000


def sleep_type(kind=None):
    global _sleep_type
    if kind is None:
        return _sleep_type
    _sleep_type = kind


def deepsleep(time_us=0, *args):
    import machine

    machine.deepsleep(time_us // 1000 if time_us else None)


def check_fw():
    return True


def freemem():
    import gc

    return gc.mem_free()
