"""Benchmark driver: pymqtt (umqtt.simple on RustPython) vs CPython + paho-mqtt.

Run through scripts/bench.sh, which finds or builds the pymqtt binary, makes
the paho venv and installs mosquitto; this file only needs the system python3.

What it does, top to bottom:
  1. starts one private mosquitto on a free 127.0.0.1 port (temp config),
  2. measures interpreter startup to an imported client (hyperfine if present),
  3. runs each scenario of umqtt_bench.py (under pymqtt) and paho_bench.py
     (under the venv's python) --repeat times (default 5), alternating the
     two, and keeps the median of what each run prints as
     `RESULT <name> <value> <unit>`,
  4. records every benchmarked process's peak RSS via wait4(),
  5. prints one table: pymqtt, paho, ratio pymqtt/paho, target.
Exit status is 1 if any run failed (the table is printed anyway).
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
UMQTT_SCRIPT = os.path.join(HERE, "umqtt_bench.py")
PAHO_SCRIPT = os.path.join(HERE, "paho_bench.py")
FEEDER_SCRIPT = os.path.join(HERE, "feeder.py")
MICROPYTHON_SCRIPT = os.path.join(HERE, "micropython_json.py")

# Scenario name (as understood by both bench scripts) -> message count.
COUNTS = {"pub_qos0": 20000, "pub_qos1": 2000, "rtt": 2000, "recv": 20000,
          "json": 20000, "sensor": 20000, "soak": 1000000,
          "check_idle": 20000, "idle": 1}
# Run once whatever --repeat says: one long run is the measurement.
ONCE = ("soak",)

SIDES = ("pymqtt", "paho")
# The scenarios whose peak RSS is row 6's "max over scenarios 2-5".
MQTT_SCENARIOS = ("pub_qos0", "pub_qos1", "rtt", "recv")


def stripped_size(binary):
    """The size of `binary` once stripped of symbols (a copy is stripped; None without strip)."""
    if not shutil.which("strip"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "stripped")
        shutil.copy(binary, copy)
        subprocess.run(["strip", copy], check=True)
        return os.path.getsize(copy)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The broker
# --------------------------------------------------------------------------

def free_port():
    # Ask the kernel for an unused port, then release it for mosquitto. Should
    # another process take it in between, mosquitto exits and start_broker says so.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_broker(workdir):
    port = free_port()
    conf = os.path.join(workdir, "mosquitto.conf")
    lines = [
        "listener %d 127.0.0.1" % port,
        "allow_anonymous true",
        "persistence false",
        # By default mosquitto 2 drops QoS0 messages for a subscriber once 1000
        # are queued for it; the receive scenario must deliver all of them.
        "max_queued_messages 0",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
    ]
    if os.geteuid() == 0:
        # mosquitto started as root otherwise drops privileges to the
        # "mosquitto" user, which may not be able to read the temp config.
        lines.append("user root")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    errlog = open(os.path.join(workdir, "mosquitto.log"), "w")
    proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=errlog, stderr=errlog)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("mosquitto exited at start; see %s" % errlog.name)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("mosquitto did not listen on port %d" % port)


# --------------------------------------------------------------------------
# Running one benchmarked process
# --------------------------------------------------------------------------

class RunError(Exception):
    pass


def shorten(text, head=12, tail=12):
    # A Rust panic says what went wrong in its first lines, a Python traceback
    # in its last ones: keep both ends of a long stderr.
    lines = text.rstrip().splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join(lines[:head] + ["    [... %d lines ...]" % (len(lines) - head - tail)]
                     + lines[-tail:])


def run_client(cmd, env, timeout, on_ready=None):
    """Run one benchmarked process; return ({result name: value}, peak RSS KiB).

    stdout is read line by line so that a `READY` line can trigger on_ready
    (used to start the feeder). The peak RSS comes from wait4() on this very
    child: the same ru_maxrss that `/usr/bin/time -f %M` prints, without a
    wrapper process in between.
    """
    with tempfile.TemporaryFile("w+") as errfile:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errfile,
                                text=True, start_new_session=True)
        timed_out = []

        def kill():
            timed_out.append(True)
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        results, ready_error = {}, None
        try:
            for line in proc.stdout:
                parts = line.split()
                if parts == ["READY"] and on_ready is not None:
                    try:
                        on_ready()
                    except Exception as e:  # still reap the child below
                        ready_error = e
                        kill()
                elif len(parts) == 4 and parts[0] == "RESULT":
                    results[parts[1]] = float(parts[2])
        finally:
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            timer.cancel()
        errfile.seek(0)
        stderr_text = shorten(errfile.read())
    if ready_error is not None:
        raise RunError("could not start the feeder: %s" % ready_error)
    if timed_out:
        raise RunError("timed out after %ss\n%s" % (timeout, stderr_text))
    if proc.returncode != 0:
        raise RunError("exit status %d\n%s" % (proc.returncode, stderr_text))
    if not results:
        raise RunError("printed no RESULT line\n%s" % stderr_text)
    return results, rusage.ru_maxrss


# --------------------------------------------------------------------------
# 1. Startup to an imported client
# --------------------------------------------------------------------------

def startup_times(commands, runs, workdir):
    """Median wall time in seconds of each command (a list of argv lists)."""
    if shutil.which("hyperfine"):
        out = os.path.join(workdir, "hyperfine.json")
        # -N: no intermediate shell, so its startup is not part of the figure.
        subprocess.run(["hyperfine", "-N", "--warmup", "2", "--runs", str(runs),
                        "--style", "none", "--export-json", out]
                       + [shlex.join(c) for c in commands],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return [r["median"] for r in json.load(f)["results"]]
    # No hyperfine: time the same thing from here, 2 warm-up runs first.
    medians = []
    for cmd in commands:
        samples = []
        for i in range(2 + runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            if i >= 2:
                samples.append(time.perf_counter() - t0)
        medians.append(statistics.median(samples))
    return medians


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

def fmt(value, scale):
    if value is None:
        return "FAIL"
    if isinstance(value, str):
        return value
    v = value * scale
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 10 else "%.2f" % v


def print_table(rows, header_lines):
    # rows: (title, unit, pymqtt value, paho value, display scale, target ratio or None)
    head = ("", "unit", "pymqtt", "paho", "pymqtt/paho", "target")
    body = []
    for title, unit, a, b, scale, target in rows:
        if a is not None and b and not isinstance(b, str) and unit != "%":
            ratio = a / b
            ratio_s = "%.2f" % ratio
            verdict = ("<= %.2f %s" % (target, "ok" if ratio <= target else "MISS")
                       if target is not None else "-")
        else:
            ratio_s = "-"
            verdict = "<= %.2f" % target if target is not None else "-"
        body.append((title, unit, fmt(a, scale), fmt(b, scale), ratio_s, verdict))
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    print()
    for line in header_lines:
        print(line)
    print()

    def emit(r):
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        cells += [r[i].rjust(widths[i]) for i in (2, 3, 4)]
        cells.append(r[5].ljust(widths[5]))
        print("  ".join(cells).rstrip())

    emit(head)
    print("  ".join("-" * w for w in widths))
    for r in body:
        emit(r)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def micropython_figures(n, timeout, failures):
    """The JSON part of scenario 9 under MicroPython's unix port, when it is on PATH (it has
    no MQTT client here, so only its JSON figures are comparable)."""
    micropython = shutil.which("micropython")
    if micropython is None:
        print("\nmicropython: not on PATH, no figures")
        return
    try:
        results, rss = run_client([micropython, MICROPYTHON_SCRIPT, str(n)], dict(os.environ),
                                  timeout)
    except (RunError, OSError) as e:
        failures.append(("micropython json", "micropython", str(e)))
        return
    print("\nmicropython (%s), the JSON part of 9 alone: %s x (dumps + loads) %.0f ms, "
          "dumps %.2f us/call, loads %.2f us/call, peak RSS %.1f MiB" % (
              micropython, "{:,}".format(n), results["sensor_json"] * 1e3,
              results["dumps_call"], results["loads_call"], rss / 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pymqtt", required=True, help="the pymqtt binary")
    ap.add_argument("--python", required=True, help="python with paho-mqtt 2.x (the venv's)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per scenario and side; median kept")
    ap.add_argument("--startup-runs", type=int, default=10, help="runs for the startup median")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the message counts (e.g. 0.1 for a quick check)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per benchmarked run")
    args = ap.parse_args()

    counts = {k: max(1, int(v * args.scale)) for k, v in COUNTS.items()}
    commands = {"pymqtt": [args.pymqtt, UMQTT_SCRIPT], "paho": [args.python, PAHO_SCRIPT]}
    failures = []
    # PYMQTT_BROKER would send pymqtt's clients to another broker than ours;
    # every child gets this environment.
    os.environ.pop("PYMQTT_BROKER", None)
    base_env = dict(os.environ)
    workdir = tempfile.mkdtemp(prefix="pymqtt-bench-")
    broker, port = start_broker(workdir)
    try:
        # 1. Startup.
        startup_cmds = {
            "pymqtt": [args.pymqtt, "-c", "from umqtt.simple import MQTTClient"],
            "paho": [args.python, "-c", "import paho.mqtt.client"],
        }
        log("startup: %d runs each" % args.startup_runs)
        startup = {}
        try:
            medians = startup_times([startup_cmds[s] for s in SIDES], args.startup_runs, workdir)
            startup = dict(zip(SIDES, medians))
        except subprocess.CalledProcessError:
            for side in SIDES:  # find which side fails, keep the other's figure
                try:
                    startup[side] = startup_times([startup_cmds[side]], args.startup_runs, workdir)[0]
                except subprocess.CalledProcessError as e:
                    failures.append(("startup", side, "%s exited with status %d" % (
                        shlex.join(startup_cmds[side]), e.returncode)))
        import_rss = {}
        for side in SIDES:  # 6a. peak RSS of a bare import, measured once
            try:
                cmd = startup_cmds[side]
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
                _, status, rusage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                if proc.returncode == 0:
                    import_rss[side] = rusage.ru_maxrss
            except OSError as e:
                failures.append(("import rss", side, str(e)))

        # 2-5. Scenarios, each side --repeat times (default 5), alternating which goes first
        # so slow drift of the machine does not favour one side.
        samples = {}  # (result name, side) -> [values]
        peak_rss = {}  # side -> max KiB over the MQTT scenario runs
        scenario_rss = {}  # (scenario, side) -> [KiB per run]
        for scenario, n in counts.items():
            for rep in range(1 if scenario in ONCE else args.repeat):
                order = SIDES if rep % 2 == 0 else SIDES[::-1]
                for side in order:
                    topic = "bench/%s/%s/%d" % (scenario, side, rep)
                    env = dict(base_env, BENCH_SCENARIO=scenario, BENCH_HOST="127.0.0.1",
                               BENCH_PORT=str(port), BENCH_TOPIC=topic, BENCH_N=str(n))
                    feeder = []

                    def start_feeder(topic=topic, n=n, feeder=feeder):
                        feeder.append(subprocess.Popen(
                            [sys.executable, FEEDER_SCRIPT, "127.0.0.1", str(port), topic, str(n)]))

                    try:
                        results, rss = run_client(commands[side], env, args.timeout,
                                                  start_feeder if scenario == "recv" else None)
                        if scenario == "recv" and not feeder:
                            raise RunError("never printed READY")
                    except (RunError, OSError) as e:
                        log("  %-8s %-6s run %d: FAILED: %s" % (scenario, side, rep + 1, e))
                        failures.append((scenario, side, str(e)))
                        continue
                    finally:
                        for f in feeder:
                            try:
                                f.wait(timeout=30)
                            except subprocess.TimeoutExpired:
                                f.kill()
                                f.wait()
                    if scenario in MQTT_SCENARIOS:
                        peak_rss[side] = max(peak_rss.get(side, 0), rss)
                    scenario_rss.setdefault((scenario, side), []).append(rss)
                    for name, value in results.items():
                        samples.setdefault((name, side), []).append(value)
                    log("  %-8s %-6s run %d: %s, peak RSS %.1f MiB" % (
                        scenario, side, rep + 1,
                        ", ".join("%s=%g" % kv for kv in sorted(results.items())), rss / 1024))
    finally:
        broker.terminate()
        broker.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    def med(name, side):
        values = samples.get((name, side))
        return statistics.median(values) if values else None

    def both(name):
        return med(name, "pymqtt"), med(name, "paho")

    def rss(scenario):
        return tuple(max(scenario_rss.get((scenario, side), [0])) or None for side in SIDES)

    k = lambda n: "{:,}".format(n)
    rows = [
        ("1. startup to imported client (median)", "ms",
         startup.get("pymqtt"), startup.get("paho"), 1e3, 0.35),
        ("2. %s QoS0 publishes, until last handed over" % k(counts["pub_qos0"]), "ms",
         *both("pub_qos0_calls"), 1e3, 0.5),
        ("   ... until broker acked (QoS1 sentinel)", "ms",
         *both("pub_qos0_acked"), 1e3, None),
        ("3. %s QoS1 publishes, each awaited" % k(counts["pub_qos1"]), "us/pub",
         *both("pub_qos1"), 1, 0.5),
        ("4. %s publish->receive round trips" % k(counts["rtt"]), "us/rtt",
         *both("rtt"), 1, 0.5),
        ("5. receive %s QoS0 messages" % k(counts["recv"]), "ms",
         *both("recv"), 1e3, None),
        ("6. peak RSS, bare import", "MiB",
         import_rss.get("pymqtt"), import_rss.get("paho"), 1 / 1024, None),
        ("   peak RSS, max over scenarios 2-5", "MiB",
         peak_rss.get("pymqtt"), peak_rss.get("paho"), 1 / 1024, None),
        ("   peak RSS, idle connected client", "MiB", *rss("idle"), 1 / 1024, None),
        ("7. %s x json.dumps + json.loads" % k(counts["json"]), "ms",
         *both("json"), 1e3, None),
        ("   peak RSS of that loop", "MiB", *rss("json"), 1 / 1024, None),
        # No paho figure: CPython's binary is a small part of what it needs on disk.
        ("8. binary, stripped", "MiB", stripped_size(args.pymqtt), "n/a", 1 / 2**20, None),
        ("9. %s x (reading -> json.dumps -> publish QoS0, json.loads command)"
         % k(counts["sensor"]), "ms", *both("sensor"), 1e3, 0.5),
        ("   peak RSS of that loop", "MiB", *rss("sensor"), 1 / 1024, 1.2),
        ("   json.dumps of that reading", "us/call", *both("dumps_call"), 1, None),
        ("   json.loads of that command", "us/call", *both("loads_call"), 1, None),
        ("10. %s x that loop: RSS after the first tenth" % k(counts["soak"]), "MiB",
         *both("soak_rss_warm"), 1 / 1024, None),
        ("   highest RSS after it", "MiB", *both("soak_rss_peak"), 1 / 1024, None),
        ("   growth (target: within 10 %)", "%", *both("soak_growth"), 1, None),
        ("11. check_msg() with nothing pending (paho: loop(0))", "us/call",
         *both("check_idle"), 1, None),
    ]
    paho_version = subprocess.run(
        [args.python, "-c", "import sys, paho.mqtt as m; print(m.__version__, sys.version.split()[0])"],
        capture_output=True, text=True).stdout.split() or ["?", "?"]
    mosq_version = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True).stdout.split("\n")[0]
    header = [
        "pymqtt: %s" % args.pymqtt,
        "paho:   paho-mqtt %s on CPython %s (%s)" % (paho_version[0], paho_version[-1], args.python),
        "broker: %s on 127.0.0.1, one instance for every run" % mosq_version.strip(),
        "median of %d run(s) per scenario, %d for startup; %d CPUs" % (
            args.repeat, args.startup_runs, os.cpu_count() or 0),
    ]
    print_table(rows, header)
    micropython_figures(counts["sensor"], args.timeout, failures)
    if failures:
        print("\n%d failed run(s):" % len(failures))
        for what, side, err in failures:
            print("  %s [%s]: %s" % (what, side, err.strip().splitlines()[0] if err.strip() else "?"))
        sys.exit(1)


if __name__ == "__main__":
    main()
