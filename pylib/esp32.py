# MicroPython's `esp32` module: the calls scripts make, with a board's answers.

import _board

WAKEUP_ALL_LOW = 0
WAKEUP_ANY_HIGH = 1
HEAP_DATA = 4
HEAP_EXEC = 1


def raw_temperature():
    """The chip's own sensor, in °F as the ESP32 reports it."""
    celsius = _board.sensor("chip:0", "temperature") + 20
    return int(celsius * 9 / 5 + 32)


def mcu_temperature():
    return int(_board.sensor("chip:0", "temperature") + 20)


def hall_sensor():
    return 0


def wake_on_ext0(pin, level):
    pass


def wake_on_ext1(pins, level):
    pass


def wake_on_touch(wake):
    pass


def idf_heap_info(capabilities):
    return [(100000, 50000, 40000, 30000)]
