#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the harness needs (Debian bookworm).  The
# guest runs the host's ndctl, xfsprogs and e2fsprogs from an initramfs.
set -eu
. "$(dirname "$0")/lib.sh"

pkgs="build-essential bc bison flex libelf-dev libssl-dev python3 git ccache
	cpio xz-utils kmod file jq rsync qemu-system-x86 busybox-static
	ndctl daxctl xfsprogs e2fsprogs dmsetup liburing-dev python3-ply python3-git"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root, or install them)"
msg "installing host packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null || die "apt-get update failed"
# shellcheck disable=SC2086
apt-get -q install -y --no-install-recommends $missing >/dev/null ||
	die "apt-get install failed for:$missing"
