# The JSON part of scenario 9 for MicroPython's unix port, which has no MQTT client of its
# own here: run by scripts/bench/run.py as `micropython micropython_json.py N` when
# `micropython` is on PATH, to print its figures beside pymqtt's and CPython's. Written in
# the subset both interpreters run (time.ticks_us where there is one).
import json
import sys
import time

N = int(sys.argv[1])

try:
    ticks, diff = time.ticks_us, time.ticks_diff
except AttributeError:  # not MicroPython: the same figures from CPython's clock
    def ticks():
        return int(time.perf_counter() * 1e6)

    def diff(a, b):
        return a - b


def result(name, value, unit):
    print("RESULT %s %.6f %s" % (name, value, unit))


command = b'{"cmd": "interval", "seconds": 60, "led": true}'
t0 = ticks()
for i in range(N):
    reading = {"device": "pico-w-01", "seq": i, "temperature": 21.5 + (i % 10) / 10,
               "humidity": 48, "battery": 3.71, "ok": True}
    json.dumps(reading)
    json.loads(command)
result("sensor_json", diff(ticks(), t0) / 1e6, "s")

reading = {"device": "pico-w-01", "seq": 1, "temperature": 21.5, "humidity": 48,
           "battery": 3.71, "ok": True}
t0 = ticks()
for _ in range(N):
    json.dumps(reading)
result("dumps_call", diff(ticks(), t0) / N, "us")
t0 = ticks()
for _ in range(N):
    json.loads(command)
result("loads_call", diff(ticks(), t0) / N, "us")
