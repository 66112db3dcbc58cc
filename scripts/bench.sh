#!/usr/bin/env bash
# Benchmark pymqtt (umqtt.simple on RustPython) against CPython + paho-mqtt 2.x,
# side by side, against one private local mosquitto. Prints one table.
#
#   scripts/bench.sh                      # release binary, built if missing
#   PYMQTT_BIN=target/debug/pymqtt scripts/bench.sh --repeat 1 --scale 0.1
#
# Extra arguments go to scripts/bench/run.py (--repeat N, --startup-runs N,
# --scale F, --timeout S); see `python3 scripts/bench/run.py --help`.
# This wrapper only prepares what the driver needs:
#   - the pymqtt binary: ${PYMQTT_BIN:-target/release/pymqtt}; built with
#     `cargo build --release --locked` only if PYMQTT_BIN is unset and the
#     release binary is missing (an explicit PYMQTT_BIN is never built),
#   - mosquitto (apt-get installed if missing); the driver starts its own
#     instance on a free loopback port, never the system service,
#   - a venv with paho-mqtt 2.x in target/bench-venv (reused when present).
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -n "${PYMQTT_BIN:-}" ]]; then
    pymqtt_bin=$PYMQTT_BIN
    if [[ ! -x $pymqtt_bin ]]; then
        echo "bench: PYMQTT_BIN=$pymqtt_bin is not an executable file" >&2
        exit 1
    fi
else
    pymqtt_bin=target/release/pymqtt
    if [[ ! -x $pymqtt_bin ]]; then
        echo "bench: $pymqtt_bin missing; building it" >&2
        cargo build --release --locked
    fi
fi
# Absolute, so the driver can run it from anywhere.
pymqtt_bin=$(realpath "$pymqtt_bin")

if ! command -v mosquitto >/dev/null; then
    echo "bench: installing mosquitto" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
fi
# Debian keeps the broker in /usr/sbin, which a non-login PATH may lack.
export PATH=$PATH:/usr/sbin

venv=target/bench-venv
if ! "$venv/bin/python" -c 'import paho.mqtt, sys; sys.exit(paho.mqtt.__version__ < "2")' 2>/dev/null; then
    echo "bench: setting up $venv with paho-mqtt 2.x" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'paho-mqtt>=2,<3'
fi

# $PWD/..., not realpath: resolving the venv's python symlink would leave the venv.
exec python3 scripts/bench/run.py --pymqtt "$pymqtt_bin" --python "$PWD/$venv/bin/python" "$@"
