# Viper's pointer casts: arguments annotated ptr8/ptr16/ptr32 arrive as pointers, ptr8() and
# friends cast inside the function, stores are truncated to the unit (little-endian here).
import micropython


@micropython.viper
def set16(dest: ptr16, i: int, val: int):
    dest[i] = val


@micropython.viper
def total(src_in) -> int:
    src = ptr8(src_in)
    s = 0
    for i in range(int(len(src_in))):
        s += src[i]
    return s


b = bytearray(4)
set16(b, 0, 0x1234)
set16(b, 1, 0x12345)
print(b)
print(total(b"\x01\x02\x03"))
p = ptr32(bytearray(8))
p[1] = -1
print(p[1], len(p))
print(set16.__name__)
set16(b, val=7, i=0)
print(b[0], b[1])
print(micropython.viper(len) is len)
