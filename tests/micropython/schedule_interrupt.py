# micropython.schedule(kbd_intr, None) raises KeyboardInterrupt at the next wait, once,
# however often it was scheduled; never inside the call that scheduled it.
import micropython
import time

for _ in range(3):
    micropython.schedule(micropython.kbd_intr, None)
print("scheduled")
try:
    time.sleep(0)
    print("not raised")
except KeyboardInterrupt:
    print("KeyboardInterrupt")
for _ in range(10):
    time.sleep_ms(0)
print("only once")


def handler(_):
    micropython.schedule(micropython.kbd_intr, None)
    time.sleep(0)
    print("handler finished")


micropython.schedule(handler, None)
try:
    time.sleep_us(0)
    print("not raised")
except KeyboardInterrupt:
    print("KeyboardInterrupt after the handler")
