# memoryview over a str is a read-only view of its UTF-8 bytes, as on MicroPython, where
# scripts wrap what they send in one to slice it without copying; a str is still not
# bytes-like elsewhere.
m = memoryview("héllo")
print(bytes(m), len(m), m.readonly)
print(bytes(m[1:3]), bytes(m[3:]))
print(isinstance(m, memoryview), bytes(memoryview(b"ab")), memoryview(bytearray(b"x")).readonly)
try:
    b"x" + "y"
except TypeError:
    print("bytes + str: TypeError")
