# No SyntaxWarning or DeprecationWarning unless a script asks: MicroPython has neither.
import io
import sys

stderr = sys.stderr
sys.stderr = io.StringIO()
exec("def f():\n    try:\n        return 1\n    finally:\n        return 2\nprint(f())")
exec("print(1 is 1, '\\d' == '\\\\d')")


def gen():
    try:
        yield 1
    except ValueError as e:
        yield repr(e)


g = gen()
next(g)
print(g.throw(ValueError, ValueError("v")))
written = sys.stderr.getvalue()
sys.stderr = stderr
print("stderr:", repr(written))

# Asked for, they are there.
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    exec("def h():\n    for i in ():\n        try:\n            pass\n        finally:\n            break\n")
    warnings.warn("old", DeprecationWarning)
print([w.category.__name__ for w in caught])
