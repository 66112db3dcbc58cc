# micropython.const(): the value itself; constants stay usable as globals.
from micropython import const

_PRIVATE = const(1)
PUBLIC = const(_PRIVATE + 1)
FLAGS = const(0x01 | 0x04)
PREFIX = const("data_")
PAIR = const((1, 2))
print(_PRIVATE, PUBLIC, FLAGS, PREFIX, PAIR)


def scaled():
    return PUBLIC * 10


print(scaled())

import micropython

print(micropython.const(3) + 1)
