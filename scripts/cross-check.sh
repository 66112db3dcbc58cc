#!/usr/bin/env bash
# Cross-builds pymqtt for a Raspberry Pi target and checks the binary under qemu-user: it
# publishes to a local mosquitto over plain MQTT and over TLS, and mosquitto_sub on the host
# must receive both messages. Too slow for the test suite (a cross build of RustPython takes
# many minutes); run it by hand. docs/cross-build.md explains each target.
#
#   scripts/cross-check.sh TARGET [--release] [other cargo build arguments]
#
# TARGET is one of
#   arm-unknown-linux-musleabihf   ARMv6 (Pi Zero, Pi 1), static musl; run under -cpu arm1176
#   arm-unknown-linux-gnueabihf    ARMv6 for Raspberry Pi OS's glibc; see the doc for how it runs
#   armv7-unknown-linux-gnueabihf  Pi 2/3/4 with 32-bit Pi OS; run under -cpu cortex-a7
#   aarch64-unknown-linux-gnu      Pi 3/4/5 with 64-bit Pi OS; run under -cpu cortex-a53
#
# Needs (Debian): qemu-user, mosquitto, mosquitto-clients, openssl and the target's cross gcc
# (gcc-arm-linux-gnueabihf or gcc-aarch64-linux-gnu); the musl target also needs
# g++-arm-linux-gnueabihf, dpkg-dev and a deb-src entry (for `apt-get source musl`) the first
# time, and rustup's rust-src component. QEMU_CPU overrides the -cpu given to qemu.
# SKIP_BUILD=1 checks the binary that is already built.
set -euo pipefail

target=${1:?usage: scripts/cross-check.sh TARGET [cargo build arguments]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

profile=debug
for a in "$@"; do [ "$a" = --release ] && profile=release; done

# Targets whose std rustup cannot install for the pinned toolchain are built with
# -Zbuild-std from the rust-src component (RUSTC_BOOTSTRAP=1 allows it on a stable toolchain).
std_args=()
need_std() {
    if ! rustup target list --installed | grep -qx "$target"; then
        if ! rustup target add "$target"; then
            echo "rustup has no std for $target: building it with -Zbuild-std" >&2
            rustup component add rust-src
            export RUSTC_BOOTSTRAP=1
            std_args=(-Zbuild-std=std,panic_abort)
        fi
    fi
}

# musl and LLVM's libunwind, both built for ARMv6 in ARM mode, for the musl target.
armv6_musl_sysroot() {
    local sysroot=${ARMV6_MUSL:-$repo/target/armv6-musl}
    local flags="-march=armv6 -marm -mfpu=vfp -mfloat-abi=hard -O2"
    if [ ! -f "$sysroot/lib/libc.a" ]; then
        local src=$repo/target/armv6-musl-src
        mkdir -p "$src"
        if ! ls -d "$src"/musl-*/ >/dev/null 2>&1; then
            (cd "$src" && apt-get source musl)
        fi
        local dir
        dir=$(ls -d "$src"/musl-*/ | head -n1)
        (cd "$dir" && make distclean >/dev/null 2>&1 || true
         CROSS_COMPILE=arm-linux-gnueabihf- CC=arm-linux-gnueabihf-gcc CFLAGS="$flags" \
            ./configure --target=arm-linux-musleabihf --prefix="$sysroot" --disable-shared
         make -j"$(nproc)" && make install)
    fi
    if [ ! -f "$sysroot/lib/libunwind.a" ]; then
        local uw
        uw=$(rustc --print sysroot)/lib/rustlib/src/rust/src/llvm-project/libunwind
        [ -d "$uw" ] || rustup component add rust-src
        local obj=$repo/target/armv6-libunwind
        mkdir -p "$obj"
        local gccinc
        gccinc=$(arm-linux-gnueabihf-gcc -print-file-name=include)
        local cflags="$flags -fPIC -nostdinc -isystem $sysroot/include -isystem $gccinc \
            -I$uw/include -funwind-tables -fvisibility=hidden -DNDEBUG -D_LIBUNWIND_IS_NATIVE_ONLY"
        local f
        for f in UnwindLevel1.c UnwindLevel1-gcc-ext.c Unwind-sjlj.c; do
            arm-linux-gnueabihf-gcc $cflags -std=c99 -c "$uw/src/$f" -o "$obj/${f%.*}.o"
        done
        for f in UnwindRegistersSave.S UnwindRegistersRestore.S; do
            arm-linux-gnueabihf-gcc $cflags -c "$uw/src/$f" -o "$obj/${f%.*}.o"
        done
        for f in libunwind.cpp Unwind-EHABI.cpp; do
            arm-linux-gnueabihf-g++ $cflags -std=c++17 -nostdinc++ -fno-exceptions -fno-rtti \
                -c "$uw/src/$f" -o "$obj/${f%.*}.o"
        done
        arm-linux-gnueabihf-ar rcs "$sysroot/lib/libunwind.a" "$obj"/*.o
    fi
    export ARMV6_MUSL=$sysroot
}

# The glibc targets run with the target's multiarch libraries (/lib/arm-linux-gnueabihf,
# /lib/aarch64-linux-gnu: libc6 and libffi8 of that architecture, which libffi-dev:ARCH
# installs), not with `-L /usr/<triple>`: the cross sysroot's ld.so and the multiarch libc.so.6
# are different builds, and threads crash when they are mixed.
qemu=qemu-arm

case "$target" in
    arm-unknown-linux-musleabihf)
        need_std
        armv6_musl_sysroot
        cpu=${QEMU_CPU:-arm1176}
        # The linker is set in .cargo/config.toml; C code (ring, libffi) uses the same wrapper.
        export CC_arm_unknown_linux_musleabihf=$repo/scripts/armv6-musl-cc
        export AR_arm_unknown_linux_musleabihf=arm-linux-gnueabihf-ar
        export RANLIB_arm_unknown_linux_musleabihf=arm-linux-gnueabihf-ranlib
        ;;
    arm-unknown-linux-gnueabihf)
        need_std
        # Debian's armhf glibc is ARMv7 code: the binary only runs under an ARMv7 CPU here.
        cpu=${QEMU_CPU:-cortex-a7}
        ;;
    armv7-unknown-linux-gnueabihf)
        need_std
        cpu=${QEMU_CPU:-cortex-a7}
        ;;
    aarch64-unknown-linux-gnu)
        need_std
        qemu=qemu-aarch64
        cpu=${QEMU_CPU:-cortex-a53}
        ;;
    *)
        echo "unknown target $target" >&2
        exit 2
        ;;
esac

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --locked --target "$target" "${std_args[@]}" "$@"
fi
bin=$repo/target/$target/$profile/pymqtt
file "$bin"
strip_tool=arm-linux-gnueabihf-strip
[ "$qemu" = qemu-aarch64 ] && strip_tool=aarch64-linux-gnu-strip
"$strip_tool" -o "$bin.stripped" "$bin"
echo "size: $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$bin.stripped") bytes"

# A mosquitto with a plain and a TLS listener on free loopback ports, and a CA for the TLS one.
work=$(mktemp -d)
broker=
sub=
cleanup() {
    [ -n "$sub" ] && kill "$sub" 2>/dev/null || true
    [ -n "$broker" ] && kill "$broker" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
plain=$(free_port)
tls=$(free_port)
while [ "$tls" = "$plain" ]; do tls=$(free_port); done
(cd "$work"
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout ca.key -out ca.pem -subj /CN=pymqtt-cross-check-ca 2>/dev/null
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
 printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > ext
 openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext -out server.pem 2>/dev/null)
{
    [ "$(id -u)" = 0 ] && echo "user root"
    echo "per_listener_settings false"
    echo "allow_anonymous true"
    echo "listener $plain 127.0.0.1"
    echo "listener $tls 127.0.0.1"
    echo "cafile $work/ca.pem"
    echo "certfile $work/server.pem"
    echo "keyfile $work/server.key"
} > "$work/mosquitto.conf"
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$mosquitto" -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
for _ in $(seq 50); do
    mosquitto_pub -h 127.0.0.1 -p "$plain" -t cross/ready -m x 2>/dev/null && break
    sleep 0.1
done
mosquitto_sub -h 127.0.0.1 -p "$plain" -t 'cross/#' -v -C 2 -W 120 > "$work/received" &
sub=$!
sleep 0.5

cat > "$work/plain.py" <<EOF
from umqtt.simple import MQTTClient
c = MQTTClient('cross-plain', '127.0.0.1', port=$plain)
c.connect()
c.publish(b'cross/plain', b'hi over mqtt')
c.disconnect()
print('published over mqtt')
EOF
cat > "$work/tls.py" <<EOF
from umqtt.simple import MQTTClient
c = MQTTClient('cross-tls', '127.0.0.1', port=$tls, ssl=True,
               ssl_params={'ca_certs': '$work/ca.pem', 'server_hostname': 'localhost'})
c.connect()
c.publish(b'cross/tls', b'hi over tls')
c.disconnect()
print('published over tls')
EOF

status=0
for script in plain tls; do
    echo "+ $qemu -cpu $cpu $bin $script.py"
    if ! (cd "$work" && "$qemu" -cpu "$cpu" "$bin" "$work/$script.py"); then
        echo "FAILED: $script publish under $qemu -cpu $cpu" >&2
        status=1
    fi
done
wait "$sub" || true
sub=
echo "mosquitto_sub received:"
cat "$work/received"
grep -qx 'cross/plain hi over mqtt' "$work/received" || { echo "FAILED: no plain message" >&2; status=1; }
grep -qx 'cross/tls hi over tls' "$work/received" || { echo "FAILED: no TLS message" >&2; status=1; }
[ $status = 0 ] && echo "OK: $target published over MQTT and TLS under $qemu -cpu $cpu"
exit $status
