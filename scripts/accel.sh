#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# accel.sh BZIMAGE CACHE
#
# Print the QEMU accelerator the guests use: "kvm" when a KVM guest really
# runs (it boots BZIMAGE until the kernel panics for want of an init), "tcg"
# otherwise.  /dev/kvm can exist and still never run a guest, so its
# presence proves nothing.  The answer and the reason are kept in CACHE
# ("ACCEL reason") for the rest of the run.
set -eu
. "$(dirname "$0")/lib.sh"

kernel=$1 cache=$2
if [ ! -s "$cache" ]; then
	mkdir -p "$(dirname "$cache")"
	if [ "${GUEST_KVM:-auto}" = 0 ]; then
		echo "tcg KVM disabled (GUEST_KVM=0)" >"$cache"
	elif [ ! -w /dev/kvm ]; then
		echo "tcg no usable /dev/kvm" >"$cache"
	elif { timeout -k 5 30 qemu-system-x86_64 -accel kvm -machine pc -cpu host -m 256 \
		-nodefaults -nographic -serial stdio -no-reboot -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 kunit.enable=0 rdinit=/nonexistent" </dev/null 2>&1 |
		grep -q 'Kernel panic - not syncing'; } 2>/dev/null; then
		echo "kvm a KVM guest booted" >"$cache"
	else
		echo "tcg /dev/kvm is there, but a KVM guest did not boot" >"$cache"
	fi
fi
cut -d' ' -f1 "$cache"
