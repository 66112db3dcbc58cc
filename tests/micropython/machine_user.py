# machine is extensible, as on MicroPython: the user's own machine.py (in
# user_modules/) wins over the built-in; umachine is still the built-in.
import sys

sys.path.insert(0, "user_modules")

import machine

print(machine.__name__, machine.Pin(2).number)

import umachine

print(umachine is machine, hasattr(umachine, "idle"), hasattr(umachine, "Pin"))
