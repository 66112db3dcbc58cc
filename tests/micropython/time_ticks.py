# time.ticks_*(): MicroPython's wrap-around arithmetic. pymqtt's period is 2**30, as on
# 32-bit boards (ESP32, RP2040) and MicroPython's 32-bit unix builds.
import time

PERIOD = 2**30
HALF = PERIOD // 2

for f in (time.ticks_ms, time.ticks_us, time.ticks_cpu):
    t = f()
    print(type(t) is int, 0 <= t < PERIOD)

# ticks_add() wraps at the top of the period and below 0
print(time.ticks_add(PERIOD - 1, 1))
print(time.ticks_add(0, -1) == PERIOD - 1)
print(time.ticks_add(PERIOD - 10, 25))
print(time.ticks_add(100, HALF - 1) == HALF + 99)

# ticks_diff() is signed, in [-PERIOD/2, PERIOD/2)
print(time.ticks_diff(5, PERIOD - 5))
print(time.ticks_diff(PERIOD - 5, 5))
print(time.ticks_diff(HALF - 1, 0) == HALF - 1)
print(time.ticks_diff(HALF, 0) == -HALF)
print(time.ticks_diff(0, HALF) == -HALF)

# ticks_diff() undoes ticks_add() at the edges of the period
for start in (0, 1, HALF - 1, HALF, PERIOD - 1):
    for delta in (-HALF + 1, -1, 0, 1, HALF - 1):
        later = time.ticks_add(start, delta)
        assert 0 <= later < PERIOD
        assert time.ticks_diff(later, start) == delta, (start, delta)
        assert time.ticks_diff(start, later) == -delta, (start, delta)
print("ticks_add and ticks_diff agree")

# a delta of half a period or more cannot be measured back
for delta in (HALF, -HALF, 2**40):
    try:
        time.ticks_add(0, delta)
    except OverflowError as e:
        print("OverflowError:", e)

# the usual deadline loop
deadline = time.ticks_add(time.ticks_ms(), 20)
waited = 0
while time.ticks_diff(deadline, time.ticks_ms()) > 0:
    time.sleep_ms(1)
    waited += 1
print("deadline passed", waited > 0)

# sleep_ms() and sleep_us()
start = time.ticks_ms()
time.sleep_ms(30)
print(time.ticks_diff(time.ticks_ms(), start) >= 30)
start = time.ticks_us()
time.sleep_us(2000)
print(time.ticks_diff(time.ticks_us(), start) >= 2000)
print(time.sleep_ms(0), time.sleep_ms(-5), time.sleep_us(0), time.sleep_us(-1))

# CPython's time functions are all still there
print(callable(time.monotonic), callable(time.time_ns), callable(time.strftime))
