# @micropython.native, @micropython.viper and @micropython.bytecode need no import, as
# MicroPython's compiler knows them; each gives back the function, which runs as before.
@micropython.native
def add(a, b):
    return a + b


@micropython.viper
def mul(a: int, b: int) -> int:
    return a * b


@micropython.bytecode
def name():
    return "bytecode"


class C:
    @micropython.native
    def m(self):
        return "method"


print(add(1, 2), mul(6, 7), name(), C().m(), add.__name__)
import micropython as module

print(module is micropython)
