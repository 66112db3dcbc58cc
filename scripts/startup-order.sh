#!/usr/bin/env bash
# Writes scripts/startup-order.txt: the functions a release binary runs while it starts a
# script and imports an MQTT client, in the linker's symbol names. build.rs hands the file to
# lld for x86_64 release builds, which places those functions side by side at the start of
# the code, so that starting touches a few megabytes of the binary instead of pages all over
# it (the kernel maps 64 KB around every page a process faults in: that is most of the RSS
# of a bare run; docs/benchmarks.md).
#
# Usage: scripts/startup-order.sh BINARY
#   BINARY must keep its symbols: build it with
#   CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --locked
#   (in its own target directory, so the stripped build stays as it is).
#
# The names of RustPython's and the other dependencies' functions stay the same from build
# to build; pymqtt's own change with its code, and a stale name only goes unused (lld is
# told not to warn), so the file is worth regenerating when start-up changes much.
set -euo pipefail

binary=${1:?usage: scripts/startup-order.sh BINARY (built with symbols)}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if nm "$binary" 2>&1 | grep -q "no symbols"; then
    echo "startup-order: $binary has no symbols (see the usage at the top of this script)" >&2
    exit 2
fi

# What start-up runs: the interpreter's own start, and a script importing the client and
# the modules nearly every board script imports first.
programs=(
    "pass"
    "from umqtt.simple import MQTTClient; import json, time, machine, network"
)
index=0
for program in "${programs[@]}"; do
    index=$((index + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/run.$index" \
        "$binary" -c "$program" >/dev/null 2>"$work/valgrind.$index" || {
        cat "$work/valgrind.$index" >&2
        exit 1
    }
done

# Callgrind names each function once ("fn=(ID) NAME" for one that ran, "cfn=(ID) NAME" for
# one called), in its symbol's name: Rust's mangled one, which is what the linker orders by.
python3 - "$work" "$here/startup-order.txt" <<'PY'
import pathlib, re, sys

work, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
named = re.compile(r"^c?fn=\(\d+\) (\S+)")
seen = {}
for profile in sorted(work.glob("run.*")):
    for line in profile.read_text(errors="replace").splitlines():
        match = named.match(line)
        # Addresses without a name ("0x...") say nothing to the linker.
        if match and not match.group(1).startswith("0x"):
            seen.setdefault(match.group(1), None)
out.write_text("".join(name + "\n" for name in seen))
print(f"startup-order: {len(seen)} functions -> {out}")
PY
