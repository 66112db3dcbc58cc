#!/usr/bin/env bash
# Runs the test suite. The integration tests start their own mosquitto brokers (on free
# loopback ports) and use the mosquitto command-line clients, so both must be installed;
# no system mosquitto service is needed or used. The REPL tests drive pymqtt through a
# pseudo-terminal with tmux, and the board view's through headless Chromium.
set -euo pipefail

cd "$(dirname "$0")/.."

# The toolchain rust-toolchain.toml pins, installed when missing: rustup's own auto-install
# may be turned off (RUSTUP_AUTO_INSTALL=0).
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1 \
    || ! rustup run "$toolchain" cargo clippy --version >/dev/null 2>&1 \
    || ! rustup run "$toolchain" rustfmt --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal --component clippy --component rustfmt
fi

need_mosquitto=0
for tool in mosquitto mosquitto_sub mosquitto_pub mosquitto_passwd; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        need_mosquitto=1
    fi
done
need_tmux=0
if ! command -v tmux >/dev/null 2>&1; then
    need_tmux=1
fi
# The Debian package's test: dpkg-deb, readelf and strip, and systemd-analyze for its unit.
need_packaging=0
for tool in dpkg-deb readelf strip systemd-analyze; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        need_packaging=1
    fi
done

# The board view's browser test: Debian's headless Chromium and its WebDriver.
need_browser=0
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    need_browser=1
fi

if [ "$need_mosquitto" = 1 ] || [ "$need_tmux" = 1 ] || [ "$need_packaging" = 1 ] \
    || [ "$need_browser" = 1 ]; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # policy-rc.d keeps the package from starting a system broker on port 1883.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    packages=()
    if [ "$need_mosquitto" = 1 ]; then
        packages+=(mosquitto mosquitto-clients)
    fi
    if [ "$need_tmux" = 1 ]; then
        packages+=(tmux)
    fi
    if [ "$need_packaging" = 1 ]; then
        packages+=(dpkg binutils systemd)
    fi
    if [ "$need_browser" = 1 ]; then
        packages+=(chromium chromium-driver fonts-dejavu-core)
    fi
    $SUDO apt-get install -y --no-install-recommends "${packages[@]}"
fi

# mosquitto lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin"

# The code's own checks first: formatting, then clippy with every warning an error.
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings

cargo test --locked --no-fail-fast "$@"
