# sys.print_exception() in MicroPython's format: no source lines, no chained exceptions.
import io
import sys


def f():
    g()


def g():
    raise ValueError("fail")


try:
    f()
except ValueError as e:
    sys.print_exception(e)

into = io.StringIO()
try:
    f()
except ValueError as e:
    sys.print_exception(e, into)
print(into.getvalue().splitlines())

try:
    try:
        f()
    except ValueError:
        raise RuntimeError("while handling")
except RuntimeError as e:
    sys.print_exception(e)

sys.print_exception(ValueError())
sys.print_exception(OSError(110))
sys.print_exception(KeyError("key"))
sys.print_exception(ValueError(1, 2))
