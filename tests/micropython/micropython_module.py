# The micropython module's functions, each doing the closest honest thing on a computer.
import io
import micropython
import re
import signal
import sys

print(micropython.opt_level())
micropython.opt_level(2)
print(micropython.opt_level())
micropython.opt_level(0)

# mem_info() and qstr_info() print MicroPython's lines (numbers vary)
printed = io.StringIO()
sys.stdout = printed
micropython.mem_info()
micropython.mem_info(1)
micropython.qstr_info()
sys.stdout = sys.__stdout__
for line in printed.getvalue().splitlines():
    print(re.sub(r"\d+", "N", line))

# stack_use() grows with the call depth
print(type(micropython.stack_use()) is int, micropython.stack_use() > 0)


def deeper(n):
    return micropython.stack_use() if n == 0 else deeper(n - 1)


print(deeper(20) > micropython.stack_use())

# heap_lock() and heap_unlock() count the depth (allocation still works)
micropython.heap_lock()
micropython.heap_lock()
print(micropython.heap_locked(), [0] * 2)
print(micropython.heap_unlock(), micropython.heap_unlock())

# kbd_intr(): -1 lets Ctrl-C end the program, 3 makes it raise KeyboardInterrupt again
micropython.kbd_intr(-1)
print(signal.getsignal(signal.SIGINT) == signal.SIG_DFL)
micropython.kbd_intr(3)
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)

# schedule(): runs now; one scheduled from a scheduled function runs right after it
order = []


def inner(arg):
    order.append(("inner", arg))


def outer(arg):
    order.append(("outer starts", arg))
    micropython.schedule(inner, arg + 1)
    order.append(("outer ends", arg))


micropython.schedule(outer, 1)
print(order)

# at most 4 may wait
order.clear()


def flood(arg):
    for i in range(5):
        try:
            micropython.schedule(order.append, i)
        except RuntimeError as e:
            print("RuntimeError:", e)


micropython.schedule(flood, None)
print(order)

print(micropython.alloc_emergency_exception_buf(100))
