# micropython.opt_level(): code compiled after a level of 1 or more has __debug__ False and
# no asserts (exec, eval, compile, imports); back at 0 it has both again.
import micropython

print(micropython.opt_level())
micropython.opt_level(1)
print(micropython.opt_level())
exec("assert 0")
print(eval("  __debug__"), eval(b"1 + 1"))
exec(compile("print('compiled', __debug__)", "<text>", "exec"))
ns = {}
exec("def f():\n    assert False\n    return 'no assert'", ns)
print(ns["f"]())
micropython.opt_level(0)
print(eval("__debug__"))
try:
    exec("assert 0, 'back on'")
except AssertionError as error:
    print("AssertionError", error)
import builtins

print(type(builtins.exec).__name__, type(builtins.compile).__name__)
