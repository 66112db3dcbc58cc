# Benchmark scenarios for CPython + paho-mqtt 2.x: the reference pymqtt is
# compared with. Twin of scripts/bench/umqtt_bench.py (same scenarios, same
# environment variables, same `RESULT <name> <value> <unit>` lines); keep the
# two doing the same work in the same order.
#
# paho is used the way its docs recommend: the network loop runs in its own
# thread (loop_start()), the main thread publishes and waits on the
# MQTTMessageInfo / threading.Event objects paho hands back.
import os
import sys
import threading
import time

import paho.mqtt.client as mqtt

SCENARIO = os.environ["BENCH_SCENARIO"]
HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
PORT = int(os.environ["BENCH_PORT"])
TOPIC = os.environ["BENCH_TOPIC"]
N = int(os.environ["BENCH_N"])
WARMUP = 50  # untimed round trips / acked publishes before the clock starts
PAYLOAD = b"x" * 32
KEEPALIVE = 60  # same keepalive as the pymqtt side
TIMEOUT = 60.0  # a lost message fails the run instead of hanging it

now = time.perf_counter


def result(name, value, unit):
    print("RESULT %s %.6f %s" % (name, value, unit))


def connect(suffix, on_message=None):
    # paho 2.x requires choosing the callback API; VERSION2 is the current one
    # (VERSION1 is deprecated and warns). Plain MQTT 3.1.1, like umqtt.simple.
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id="bench-paho-%s-%d" % (suffix, os.getpid()),
                         protocol=mqtt.MQTTv311)
    connected = threading.Event()
    client.on_connect = lambda c, userdata, flags, reason_code, props: connected.set()
    if on_message is not None:
        client.on_message = on_message
    client.connect(HOST, PORT, keepalive=KEEPALIVE)
    client.loop_start()
    if not connected.wait(TIMEOUT):  # wait for the CONNACK, as umqtt's connect() does
        raise SystemExit("paho: no CONNACK")
    return client


def subscribe(client):
    # Block until the SUBACK, as umqtt.simple's subscribe() does.
    subscribed = threading.Event()
    client.on_subscribe = lambda c, userdata, mid, codes, props: subscribed.set()
    client.subscribe(TOPIC, qos=0)
    if not subscribed.wait(TIMEOUT):
        raise SystemExit("paho: no SUBACK")


def close(client):
    client.disconnect()
    client.loop_stop()


def pub_qos0():
    # N QoS0 publishes back to back. Two figures, same points as the umqtt side:
    #  pub_qos0_calls: first publish() to the moment the last message has been
    #    written to the socket. With loop_start() paho's publish() only queues
    #    the packet for the loop thread, so returning from it proves nothing;
    #    wait_for_publish() on the last QoS0 message returns once the loop
    #    thread has written it (and, packets going out in order, all earlier
    #    ones). That is the "handed over" point umqtt.simple's publish() has.
    #  pub_qos0_acked: ended by a QoS1 sentinel's PUBACK instead.
    client = connect("pub0")
    for _ in range(WARMUP):
        client.publish(TOPIC, PAYLOAD)
    client.publish(TOPIC, b"warm", qos=1).wait_for_publish(TIMEOUT)
    t0 = now()
    for _ in range(N):
        info = client.publish(TOPIC, PAYLOAD)
    info.wait_for_publish(TIMEOUT)
    t1 = now()
    client.publish(TOPIC, b"end", qos=1).wait_for_publish(TIMEOUT)
    t2 = now()
    result("pub_qos0_calls", t1 - t0, "s")
    result("pub_qos0_acked", t2 - t0, "s")
    close(client)


def pub_qos1():
    # N QoS1 publishes, each awaited until the broker's PUBACK.
    client = connect("pub1")
    for _ in range(WARMUP):
        client.publish(TOPIC, PAYLOAD, qos=1).wait_for_publish(TIMEOUT)
    t0 = now()
    for _ in range(N):
        info = client.publish(TOPIC, PAYLOAD, qos=1)
        info.wait_for_publish(TIMEOUT)
    t1 = now()
    if not info.is_published():
        raise SystemExit("paho: last QoS1 publish not acknowledged")
    result("pub_qos1", (t1 - t0) / N * 1e6, "us")
    close(client)


def rtt():
    # One client subscribed to TOPIC; each round trip publishes one QoS0
    # message and waits on an Event that on_message (loop thread) sets.
    seen = threading.Event()
    client = connect("rtt", lambda c, userdata, msg: seen.set())
    subscribe(client)
    t0 = None
    for i in range(WARMUP + N):
        if i == WARMUP:
            t0 = now()
        seen.clear()
        client.publish(TOPIC, PAYLOAD)
        if not seen.wait(TIMEOUT):
            raise SystemExit("paho: round trip %d lost" % i)
    t1 = now()
    result("rtt", (t1 - t0) / N * 1e6, "us")
    close(client)


def recv():
    # Receive N QoS0 messages from the feeder the driver starts on READY.
    # Timed from the first message's callback to the N-th's, like the umqtt side.
    state = {"n": 0, "t0": 0.0, "t1": 0.0}
    done = threading.Event()

    def on_message(c, userdata, msg):
        n = state["n"]
        if n == 0:
            state["t0"] = now()
        n += 1
        state["n"] = n
        if n == N:
            state["t1"] = now()
            done.set()

    client = connect("recv", on_message)
    subscribe(client)
    print("READY")
    sys.stdout.flush()
    if not done.wait(TIMEOUT):
        raise SystemExit("paho: received only %d of %d" % (state["n"], N))
    result("recv", state["t1"] - state["t0"], "s")
    close(client)


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
    client.publish(TOPIC, b"warm", qos=1).wait_for_publish(TIMEOUT)
    t0 = now()
    for i in range(N):
        reading = {"device": "pico-w-01", "seq": i, "temperature": 21.5 + (i % 10) / 10,
                   "humidity": 48, "battery": 3.71, "ok": True}
        client.publish(TOPIC, json.dumps(reading))
        settings = json.loads(command)
        if settings["led"] is not True:
            raise SystemExit("bad command")
    client.publish(TOPIC, b"end", qos=1).wait_for_publish(TIMEOUT)
    result("sensor", now() - t0, "s")
    close(client)

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
    client.publish(TOPIC, b"end", qos=1).wait_for_publish(TIMEOUT)
    result("soak", now() - t0, "s")
    warm = samples[len(samples) // 10]
    peak = max(samples[len(samples) // 10:])
    result("soak_rss_warm", warm / 1024, "KiB")
    result("soak_rss_peak", peak / 1024, "KiB")
    result("soak_growth", (peak / warm - 1) * 100, "%")
    close(client)


def check_idle():
    # paho's way to poll without a network thread: loop(timeout=0) with nothing pending, N
    # times, the twin of umqtt's check_msg().
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id="bench-paho-check-%d" % os.getpid(), protocol=mqtt.MQTTv311)
    client.connect(HOST, PORT, keepalive=KEEPALIVE)
    while not client.is_connected():
        client.loop(timeout=0.1)
    t0 = now()
    for _ in range(N):
        client.loop(timeout=0)
    result("check_idle", (now() - t0) / N * 1e6, "us")
    client.disconnect()


def idle():
    # A connected client that does nothing for a while: its peak RSS is the figure.
    client = connect("idle")
    time.sleep(1)
    close(client)
    result("idle", 1, "s")


SCENARIOS = {"pub_qos0": pub_qos0, "pub_qos1": pub_qos1, "rtt": rtt, "recv": recv,
             "json": json_loop, "sensor": sensor, "soak": soak, "check_idle": check_idle,
             "idle": idle}
SCENARIOS[SCENARIO]()
sys.stdout.flush()
