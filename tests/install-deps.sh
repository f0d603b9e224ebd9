#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages hypmem needs to build, test and run its demo.
# Only missing packages are installed; nothing happens when all are present.
set -e
PKGS="make gcc pkg-config python3 libdw-dev libelf-dev libjson-c-dev libncurses-dev
libtraceevent-dev trace-cmd qemu-user
libkdumpfile-dev gcc-aarch64-linux-gnu qemu-system-arm clang libclang-rt-14-dev file
binutils libxml2-utils tmux chromium zsh fish
python3-drgn flex bison bc libssl-dev"
[ -n "$HYPMEM_EXTRA_PKGS" ] && PKGS="$PKGS $HYPMEM_EXTRA_PKGS"
# The arm64 libraries for make CROSS=aarch64-linux-gnu- [STATIC=1]: the
# static arm64 build is how hypmem-top reaches a device, and make check
# builds and runs it under qemu-user (tests/integration/cross.py).  Debian
# multiarch: arm64 is added as a foreign architecture first.
PKGS="$PKGS libdw-dev:arm64 libelf-dev:arm64 libjson-c-dev:arm64 libncurses-dev:arm64
libkdumpfile-dev:arm64 libbz2-dev:arm64"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
