# Every exception has MicroPython's .value: its first argument, or None. StopIteration's is
# still the generator's return value.
print(ValueError("bad", 2).value, ValueError().value, OSError(110, "ETIMEDOUT").value)
try:
    int("x")
except ValueError as e:
    print(e.value == e.args[0])


def gen():
    return 7
    yield


try:
    next(gen())
except StopIteration as e:
    print(e.value)
