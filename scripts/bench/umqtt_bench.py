# Benchmark scenarios for pymqtt, written against MicroPython's umqtt.simple API.
#
# Run by scripts/bench/run.py as `pymqtt umqtt_bench.py`; the scenario and the
# broker come from environment variables (not argv) so this file does not depend
# on how the pymqtt CLI forwards script arguments:
#   BENCH_SCENARIO  pub_qos0 | pub_qos1 | rtt | recv | json | sensor | soak | check_idle | idle
#   BENCH_HOST, BENCH_PORT, BENCH_TOPIC, BENCH_N
# The timed part ends by printing one machine-readable line per figure:
#   RESULT <name> <value> <unit>
# scripts/bench/paho_bench.py is the CPython + paho-mqtt twin of this file; keep
# the two doing the same work in the same order so the ratio means something.
import os
import sys
import time

from umqtt.simple import MQTTClient

SCENARIO = os.environ["BENCH_SCENARIO"]
HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
PORT = int(os.environ["BENCH_PORT"])
TOPIC = os.environ["BENCH_TOPIC"]
N = int(os.environ["BENCH_N"])
WARMUP = 50  # untimed round trips / acked publishes before the clock starts
PAYLOAD = b"x" * 32
KEEPALIVE = 60  # same keepalive as the paho side

now = time.perf_counter


def result(name, value, unit):
    print("RESULT %s %.6f %s" % (name, value, unit))


def connect(suffix, callback=None):
    client = MQTTClient("bench-umqtt-%s-%d" % (suffix, os.getpid()), HOST, PORT,
                        keepalive=KEEPALIVE)
    if callback is not None:
        client.set_callback(callback)
    client.connect()
    return client


def pub_qos0():
    # N QoS0 publishes back to back. Two figures:
    #  pub_qos0_calls: first publish() call to the return of the last one. In
    #    umqtt.simple semantics publish() has handed the packet over when it
    #    returns, so nothing more is waited for.
    #  pub_qos0_acked: the same start, ended by a QoS1 sentinel publish whose
    #    PUBACK proves the broker has read every earlier QoS0 packet (the
    #    broker handles one connection's packets in order). This is the
    #    client-independent "all N actually left the process" figure, so a
    #    client that merely queues in publish() gains nothing here.
    client = connect("pub0")
    for _ in range(WARMUP):
        client.publish(TOPIC, PAYLOAD)
    client.publish(TOPIC, b"warm", qos=1)
    t0 = now()
    for _ in range(N):
        client.publish(TOPIC, PAYLOAD)
    t1 = now()
    client.publish(TOPIC, b"end", qos=1)  # returns after the broker's PUBACK
    t2 = now()
    result("pub_qos0_calls", t1 - t0, "s")
    result("pub_qos0_acked", t2 - t0, "s")
    client.disconnect()


def pub_qos1():
    # N QoS1 publishes, each one awaited: publish(qos=1) returns only after the
    # broker's PUBACK. Reported per publish.
    client = connect("pub1")
    for _ in range(WARMUP):
        client.publish(TOPIC, PAYLOAD, qos=1)
    t0 = now()
    for _ in range(N):
        client.publish(TOPIC, PAYLOAD, qos=1)
    t1 = now()
    result("pub_qos1", (t1 - t0) / N * 1e6, "us")
    client.disconnect()


def rtt():
    # One client subscribed to TOPIC; each round trip publishes one QoS0
    # message to it and calls wait_msg() until the callback has seen it.
    got = [0]

    def cb(topic, msg):
        got[0] += 1

    client = connect("rtt", cb)
    client.subscribe(TOPIC)  # umqtt.simple returns after the SUBACK
    total = WARMUP + N
    t0 = None
    for i in range(total):
        if i == WARMUP:
            t0 = now()
        client.publish(TOPIC, PAYLOAD)
        while got[0] <= i:
            client.wait_msg()
    t1 = now()
    result("rtt", (t1 - t0) / N * 1e6, "us")
    client.disconnect()


def recv():
    # Receive N QoS0 messages that a separate feeder process publishes (the
    # driver starts it when it reads READY). Timed from the first message's
    # callback to the N-th message's callback, the same points as the paho side.
    state = {"n": 0, "t0": 0.0, "t1": 0.0}

    def cb(topic, msg):
        n = state["n"]
        if n == 0:
            state["t0"] = now()
        n += 1
        state["n"] = n
        if n == N:
            state["t1"] = now()

    client = connect("recv", cb)
    client.subscribe(TOPIC)  # returns after the SUBACK: the feeder may start
    print("READY")
    sys.stdout.flush()
    while state["n"] < N:
        client.wait_msg()
    result("recv", state["t1"] - state["t0"], "s")
    client.disconnect()


def json_loop():
    # N x (json.dumps + json.loads) of the small dict a sensor script publishes, no
    # network: the interpreter's JSON speed and whether its memory stays flat (peak RSS).
    import json

    reading = {"device": "pico-w-01", "temperature": 21.5, "humidity": 48, "ok": True}
    t0 = now()
    for i in range(N):
        reading["seq"] = i
        json.loads(json.dumps(reading))
    result("json", now() - t0, "s")


def sensor():
    # The loop a sensor script runs forever, N times: build a reading, json.dumps() it,
    # publish it at QoS 0, json.loads() a command as one arrives (a fixed payload here; the
    # receiving side is scenario 5). Ends when the broker acked a QoS1 sentinel, so every
    # reading has left the process. Then, apart, the per-call figures of dumps() and loads()
    # for that reading and that command.
    import json

    command = b'{"cmd": "interval", "seconds": 60, "led": true}'
    client = connect("sensor")
    client.publish(TOPIC, b"warm", qos=1)
    t0 = now()
    for i in range(N):
        reading = {"device": "pico-w-01", "seq": i, "temperature": 21.5 + (i % 10) / 10,
                   "humidity": 48, "battery": 3.71, "ok": True}
        client.publish(TOPIC, json.dumps(reading))
        settings = json.loads(command)
        if settings["led"] is not True:
            raise SystemExit("bad command")
    client.publish(TOPIC, b"end", qos=1)  # returns after the broker's PUBACK
    result("sensor", now() - t0, "s")
    client.disconnect()

    reading = {"device": "pico-w-01", "seq": 1, "temperature": 21.5, "humidity": 48,
               "battery": 3.71, "ok": True}
    t0 = now()
    for _ in range(N):
        json.dumps(reading)
    result("dumps_call", (now() - t0) / N * 1e6, "us")
    t0 = now()
    for _ in range(N):
        json.loads(command)
    result("loads_call", (now() - t0) / N * 1e6, "us")


def soak():
    # The sensor loop of scenario 9, N times over (a million by default), with the process's
    # resident memory sampled 20 times: whether a long-running script's memory stays flat
    # once warmed up (the first tenth of the run). Figures: RSS after the warm-up, the
    # highest RSS after it, and the growth between the two in per cent.
    import json

    command = b'{"cmd": "interval", "seconds": 60, "led": true}'
    client = connect("soak")
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    samples = []
    step = max(1, N // 20)
    t0 = now()
    for i in range(N):
        reading = {"device": "pico-w-01", "seq": i, "temperature": 21.5 + (i % 10) / 10,
                   "humidity": 48, "battery": 3.71, "ok": True}
        client.publish(TOPIC, json.dumps(reading))
        settings = json.loads(command)
        if settings["led"] is not True:
            raise SystemExit("bad command")
        if i % step == step - 1:
            with open("/proc/self/statm") as f:
                samples.append(int(f.read().split()[1]) * page)
    client.publish(TOPIC, b"end", qos=1)  # returns after the broker's PUBACK
    result("soak", now() - t0, "s")
    warm = samples[len(samples) // 10]
    peak = max(samples[len(samples) // 10:])
    result("soak_rss_warm", warm / 1024, "KiB")
    result("soak_rss_peak", peak / 1024, "KiB")
    result("soak_growth", (peak / warm - 1) * 100, "%")
    client.disconnect()


def check_idle():
    # check_msg() with nothing pending, N times: what a main loop that polls for commands
    # pays per iteration.
    client = connect("check", lambda topic, msg: None)
    client.subscribe(TOPIC)
    t0 = now()
    for _ in range(N):
        client.check_msg()
    result("check_idle", (now() - t0) / N * 1e6, "us")
    client.disconnect()


def idle():
    # A connected client that does nothing for a while: its peak RSS is the figure.
    client = connect("idle")
    time.sleep(1)
    client.ping()
    client.disconnect()
    result("idle", 1, "s")


SCENARIOS = {"pub_qos0": pub_qos0, "pub_qos1": pub_qos1, "rtt": rtt, "recv": recv,
             "json": json_loop, "sensor": sensor, "soak": soak, "check_idle": check_idle,
             "idle": idle}
SCENARIOS[SCENARIO]()
sys.stdout.flush()
