# A bytearray grows while a memoryview of it is alive, as on MicroPython, where a script
# extends its receive buffer when a larger message comes and then takes a new view; the
# old view keeps the bytes it was made over. Shrinking past a view still fails.
buf = bytearray(b"abc")
view = memoryview(buf)
buf.extend(b"defg")
print(buf, bytes(view), len(view))
buf.extend(range(65, 68))
buf.extend(buf)
print(buf)
view = memoryview(buf)
view[0] = ord("z")
print(buf[:3], len(view))
for bad in (5, [300]):
    try:
        buf.extend(bad)
    except (TypeError, ValueError) as e:
        print(type(e).__name__)
try:
    buf.clear()
except BufferError:
    print("clear with a view: BufferError")
view.release()
buf.clear()
print(buf)

# += grows the same way, and a bytearray added to itself doubles.
doubled = bytearray(b"ab")
doubled += doubled
doubled += doubled
print(doubled)
view = memoryview(doubled)
doubled += b"!"
doubled += doubled
print(doubled, bytes(view))
try:
    doubled += 1
except TypeError:
    print("TypeError")
