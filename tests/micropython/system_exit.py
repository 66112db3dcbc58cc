# sys.exit() without an argument raises a SystemExit without arguments, as MicroPython's
# and CPython's; a tuple gives its items, anything else is the one argument.
import sys

for args in ((), (None,), (42,), ("bye",), ((1, 2),)):
    try:
        sys.exit(*args)
    except SystemExit as e:
        print(e.args, e.code)
try:
    raise SystemExit
except SystemExit as e:
    print(e.args, e.code)
sys.exit()
print("not reached")
