# io.BytesIO with MicroPython's stream forms: BytesIO(size), write(buf, n),
# write(buf, off, n) and readinto(buf, n), lengths and offsets clamped to the buffer.
import io

buf = io.BytesIO(64)
print(buf.getvalue(), buf.tell())
print(buf.write(b"foo", 2), buf.getvalue())
print(buf.write(b"foo", 100), buf.getvalue())
print(buf.write(b"foobar", 1, 3), buf.getvalue())
print(buf.write(b"foobar", 1, 100), buf.getvalue())
print(buf.write(b"foobar", 100, 100), buf.getvalue())
print(buf.write(bytearray(b"xyz"), 0), buf.write(memoryview(b"xyz"), 1, 1))
print(buf.write(b"!"), buf.getvalue())

src = io.BytesIO(b"0123456789")
dest = bytearray(8)
print(src.readinto(dest, 3), dest)
print(src.readinto(dest, 100), dest)
print(src.readinto(dest), dest)
print(io.BytesIO(b"ab").read(), io.BytesIO().getvalue())

try:
    buf.write("text", 1)
except TypeError:
    print("TypeError")
