#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-badblocks.sh TREE KBUILD OUTDIR
#
# Media errors on DAX, the series against v7.3.4, on legacy pmem, XFS and
# ext4 (bench/run-badblocks.sh in the guest): the bytes of a page made
# unreadable by one bad sector (goal 512; v7.3.4 loses the page, 4096),
# and a 512-byte write that clears a bad sector against a plain 512-byte
# write, alternating in one boot (geometric mean of the per-order medians
# of the per-round ratios, see bench/badblocks_bench.c; goal <= 2;
# v7.3.4 cannot clear with such a write).  Under TCG only the ratio is
# meaningful.  Writes OUTDIR/badblocks.txt.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$(realpath "$1") kbuild=$(realpath "$2") out=$(realpath -m "$3")
top=$(pwd)
kbase=$(dirname "$kbuild")/kernel-base
mkdir -p "$out/bench" "$out/empty"

build_base "$tree" "$kbase" "$top" "$out/base-build.log"

gcc -Wall -O2 -o "$out/bench/badblocks_bench" "$top/bench/badblocks_bench.c" -lm
cp "$top/bench/run-badblocks.sh" "$out/bench/run.sh"
"$top/qemu/mkinitramfs.sh" "$out/initramfs.cpio" "$out/empty" "$out/bench"

: >"$out/results.txt"
for k in base series; do
	img=$kbase/arch/x86/boot/bzImage
	[ $k = series ] && img=$kbuild/arch/x86/boot/bzImage
	bench_boot "$img" "$out/initramfs.cpio" "$out/guest-$k" "kernel=$k " \
		>>"$out/results.txt"
done
{
	echo "DAX media error benchmark, $(date -u +%Y-%m-%d), QEMU TCG, ${GUEST_CPUS:-2} vCPUs, legacy pmem, dax=always"
	echo "unusable_bytes: bytes of a page that cannot be read because of one bad sector (goal 512)"
	echo "ratio: clearing 512-byte write / plain 512-byte write: geometric mean of the medians of the rounds in which each went first (goal <= 2)"
	cat "$out/results.txt"
} | tee "$out/badblocks.txt"
grep -q 'kernel=series fs=xfs dax=always rc=0' "$out/results.txt" ||
	die "no result from the series kernel (log: $out/guest-series/console.log)"
