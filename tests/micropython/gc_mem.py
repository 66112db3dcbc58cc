# gc.mem_free() and gc.mem_alloc(): ints, from the process's memory.
import gc

free, used = gc.mem_free(), gc.mem_alloc()
print(type(free) is int, type(used) is int, free > 0, used > 0)
big = b"x" * (32 * 1024 * 1024)
print(gc.mem_alloc() > used)
del big
print(gc.collect() is None or True)

print(gc.threshold())
gc.threshold(4096)
print(gc.threshold())
