# Viper's machine words: uint() and `uint`-annotated arguments wrap around as a word does,
# `bool` arguments arrive as bools, and results leave as their annotation says.
import micropython
import sys

WORD = (sys.maxsize << 1) | 1


@micropython.viper
def all_ones() -> uint:
    return uint(-1)


@micropython.viper
def mul(x: uint, y: uint):
    return x * y, y * x


@micropython.viper
def less(x: uint, y: uint) -> bool:
    return x < y


@micropython.viper
def shifted(x: uint, n: uint) -> uint:
    return x << n


@micropython.viper
def flag(x: bool):
    return x


@micropython.viper
def nothing() -> int:
    return None


@micropython.viper
def as_is(x):
    return x


print(all_ones() == WORD, type(all_ones()) is int)
print(*mul(-2, -3), [type(v) is int for v in mul(2, 3)])
print(less(2, -1), less(-2, 1))
print(shifted(1, 63) == 1 << 63, shifted(3, 63) == 1 << 63)
print(flag(0), flag([1]), flag([]))
print(nothing())
print(as_is.__name__, mul.__name__, as_is(5))
print(int(uint(3) - uint(5)) == WORD - 1, uint(True), uint(None))
