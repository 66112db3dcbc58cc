# bytes.format(), which MicroPython has (py/objstr.c serves str and bytes alike): the
# template's bytes stay as they are, each field gets str() (or repr()) of its argument in
# UTF-8, and the result is bytes. Board scripts build topics this way.
name = "kitchen"
topic = b"home/{}/state".format(name)
print(topic, type(topic) is bytes)
print(b"{}".format(21.5), b"{}".format(7), b"{}".format(None))
print(b"{0}/{1}/{0}".format("a", 2), b"{x}-{y!r}".format(x=1, y="q"))
print(b"[{:>6}] [{:<4}] [{:03d}] [{:.2f}]".format("ab", "c", 5, 3.14159))
print(b"{{literal}} {}".format("braces"))
# text arguments arrive in UTF-8; template bytes that are not UTF-8 are kept
print(b"{}".format("\u00e9\u20ac"), b"\xff{}\x00".format("x"))
# a bytes argument without a format spec is its str(), as in MicroPython and CPython
print(b"{}".format(b"raw"), "{}".format(b"raw"))

# with a format spec, a bytes argument gives its contents, as MicroPython's str.format
print("{:s}|{:>5}|{:<4}|".format(b"ab", b"cd", b"ef"))
print(b"{:s}".format(b"xy"))
msg = b"on"
print(f"{msg:s}", format(b"z", ""))

# errors are str.format's
for bad in (b"{", b"{}{}", b"{0}{}"):
    try:
        bad.format(1)
    except (ValueError, IndexError) as e:
        print(bad, type(e).__name__)
try:
    b"{:d}".format(b"ab")
except ValueError:
    print("ValueError")
# bytearray keeps CPython's methods: MicroPython's format is written for str and bytes
print(hasattr(bytearray(b"{}"), "format"))
