#!/usr/bin/env bash
# Builds pymqtt's Debian package: the binary, its documentation, and the systemd template unit
# pymqtt@.service (`systemctl enable --now pymqtt@NAME` runs /etc/pymqtt/NAME.py).
#
#   scripts/debian/build-deb.sh                       release build for this machine, packaged
#   scripts/debian/build-deb.sh --target TRIPLE       a cross build (see docs/cross-build.md)
#   scripts/debian/build-deb.sh --binary PATH         package a binary built already
#
# Options: --out DIR (default target/debian), --compression xz|gzip|zstd|none (default xz).
# The package's architecture (amd64, arm64, armhf) and its Depends line are read off the
# binary itself, so a cross-built binary is packaged on any machine. Needs dpkg-deb and
# readelf (Debian's dpkg and binutils).
set -euo pipefail

cd "$(dirname "$0")/../.."
here=scripts/debian

target=""
binary=""
out=target/debian
compression=xz
while [ $# -gt 0 ]; do
    case "$1" in
        --target) target=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --compression) compression=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-deb.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

for tool in dpkg-deb readelf; do
    if ! command -v "$tool" >/dev/null; then
        echo "build-deb.sh: $tool is needed (apt-get install dpkg binutils)" >&2
        exit 1
    fi
done

if [ -z "$binary" ]; then
    if [ -n "$target" ]; then
        cargo build --release --locked --target "$target"
        binary=target/$target/release/pymqtt
    else
        cargo build --release --locked
        binary=target/release/pymqtt
    fi
fi
if [ ! -x "$binary" ]; then
    echo "build-deb.sh: no binary at $binary" >&2
    exit 1
fi

# The Debian architecture the binary was built for, from its ELF header.
header=$(readelf -h "$binary")
machine=$(sed -n 's/^ *Machine: *//p' <<<"$header")
case "$machine" in
    *X86-64*) arch=amd64 ;;
    AArch64) arch=arm64 ;;
    ARM)
        if grep -q 'hard-float' <<<"$header"; then
            arch=armhf
        else
            arch=armel
        fi
        ;;
    *) echo "build-deb.sh: no Debian architecture for a '$machine' binary" >&2; exit 1 ;;
esac

# Depends, from the shared libraries the binary needs. glibc's version is the newest symbol
# version it uses, so that apt refuses the package on a system too old to run it.
depends=()
glibc=$(readelf -W --dyn-syms "$binary" | { grep -o 'GLIBC_[0-9.]*' || true; } | sed 's/GLIBC_//' | sort -uV | tail -1)
for library in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case "$library" in
        libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|librt.so.1|ld-linux*) package="libc6 (>= $glibc)" ;;
        libgcc_s.so.1) package=libgcc-s1 ;;
        libffi.so.8) package=libffi8 ;;
        *) echo "build-deb.sh: no Debian package known for $library (add it here)" >&2; exit 1 ;;
    esac
    case " ${depends[*]-} " in
        *" $package "*) ;;
        *) depends+=("$package") ;;
    esac
done
# A static binary (the ARMv6 musl build) needs no library: no Depends line at all.
depends_line=""
if [ "${#depends[@]}" -gt 0 ]; then
    depends_line="Depends: $(IFS=,; echo "${depends[*]}" | sed 's/,/, /g')"
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
description=$(sed -n 's/^description = "\(.*\)"/\1/p' Cargo.toml | head -1)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/etc/pymqtt" \
    "$root/usr/share/doc/pymqtt/docs/images"
install -m 0755 "$binary" "$root/usr/bin/pymqtt"
# A debug build carries its symbols and debug information; a release build is stripped already.
if readelf -S "$binary" | grep -q '\.debug_info\|\.symtab'; then
    if [ "$arch" = "$(dpkg --print-architecture)" ]; then
        strip --strip-unneeded "$root/usr/bin/pymqtt"
    else
        echo "build-deb.sh: warning: $binary is not stripped (no strip for $arch here)" >&2
    fi
fi
install -m 0644 "$here/pymqtt@.service" "$root/usr/lib/systemd/system/pymqtt@.service"
install -m 0644 README.md "$root/usr/share/doc/pymqtt/README.md"
install -m 0644 docs/*.md "$root/usr/share/doc/pymqtt/docs/"
# The pictures the docs show.
install -m 0644 docs/images/* "$root/usr/share/doc/pymqtt/docs/images/"
install -m 0644 "$here/copyright" "$root/usr/share/doc/pymqtt/copyright"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: pymqtt
Version: $version
Architecture: $arch
Maintainer: pymqtt maintainers <maintainers@users.noreply.r-seed-ae52584a.example>
Installed-Size: $size
${depends_line:+$depends_line
}Section: net
Priority: optional
Description: $description
 pymqtt runs MQTT scripts written for MicroPython (umqtt.simple, umqtt.robust, machine,
 network, asyncio) on a Linux computer, unchanged: one binary with the RustPython
 interpreter and its standard library built in, a native MQTT client, an embedded broker,
 a virtual board and a test runner. The systemd unit pymqtt@.service runs
 /etc/pymqtt/NAME.py, or the board folder /etc/pymqtt/NAME/, as a service.
EOF

mkdir -p "$out"
deb="$out/pymqtt_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"$compression" --build "$root" "$deb" >/dev/null
echo "$deb"
