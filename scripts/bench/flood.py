"""The flood case: a script subscribed at QoS 0 sleeps while 2,000,000 messages are sent
to it, then reads what it holds. Prints the script's resident memory, sampled every second,
against its idle figure, and what it got afterwards.

    python3 scripts/bench/flood.py --pymqtt target/release/pymqtt [--messages N] [--sleep S]

pymqtt's connection stops reading its socket once its inbox is full (10,000 messages or
4 MiB by default), so TCP pushes back and mosquitto queues or drops by its own rules
(this broker's config keeps every QoS 0 message queued: max_queued_messages 0). The figure
to watch is the growth over idle; the messages the script gets afterwards come in order.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import start_broker  # noqa: E402

SLEEPER = r'''
import os, time
from umqtt.simple import MQTTClient
c = MQTTClient("flood-%%d" %% os.getpid(), "127.0.0.1", %(port)d)
got = []
c.set_callback(lambda topic, msg: got.append(msg))
c.connect()
c.subscribe(b"flood")
print("READY", flush=True)
time.sleep(%(sleep)f)
quiet = time.time() + 2
while time.time() < quiet:
    if c.check_msg() is not None:
        quiet = time.time() + 2
    else:
        time.sleep(0.001)
seqs = [int(m.split()[0]) for m in got]
print("RESULT got %%d" %% len(seqs), flush=True)
print("RESULT in_order %%d" %% all(a < b for a, b in zip(seqs, seqs[1:])), flush=True)
'''


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pymqtt", required=True)
    ap.add_argument("--messages", type=int, default=2_000_000)
    ap.add_argument("--sleep", type=float, default=25.0)
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="pymqtt-flood-")
    broker, port = start_broker(workdir)
    try:
        script = os.path.join(workdir, "sleeper.py")
        with open(script, "w") as f:
            f.write(SLEEPER % {"port": port, "sleep": args.sleep})
        proc = subprocess.Popen([args.pymqtt, script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(0.5)
        idle = rss_kib(proc.pid)
        feeder = subprocess.Popen([sys.executable, os.path.join(HERE, "feeder.py"),
                                   "127.0.0.1", str(port), "flood", str(args.messages),
                                   "numbered"])
        started = time.monotonic()
        samples = []
        while proc.poll() is None and time.monotonic() - started < args.sleep:
            samples.append(rss_kib(proc.pid))
            time.sleep(1)
        feeder.wait()
        out = proc.communicate(timeout=300)[0]
        results = dict(line.split()[1:3] for line in out.splitlines() if line.startswith("RESULT"))
        print("idle RSS %.1f MiB; during the flood, every second (MiB):" % (idle / 1024))
        print("  " + " ".join("%.1f" % (s / 1024) for s in samples))
        print("highest %.1f MiB, %.1f MiB over idle" % (max(samples) / 1024,
                                                          (max(samples) - idle) / 1024))
        print("%s messages sent; the script got %s afterwards, in order: %s" % (
            "{:,}".format(args.messages), results.get("got"),
            "yes" if results.get("in_order") == "1" else "NO"))
    finally:
        broker.terminate()
        broker.wait()


if __name__ == "__main__":
    main()
