# A call given one positional argument too many says "1 were given", MicroPython's wording
# (MicroPython's test suite tells error-reporting levels apart by this message's length).
try:
    (lambda: 0)(0)
except TypeError as e:
    print(e.value)
    print(len(e.value))


def f(a):
    pass


for args in ((1, 2), ()):
    try:
        f(*args)
    except TypeError as e:
        print(e)


class C:
    def m(self):
        pass


try:
    C().m(1)
except TypeError as e:
    print(e)


# A TypeError raised inside a function keeps the script's own text.
def g():
    raise TypeError("h() takes 0 positional arguments but 1 was given")


try:
    g()
except TypeError as e:
    print(e)
