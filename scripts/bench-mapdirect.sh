#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-mapdirect.sh KBUILD OUTDIR
#
# MAP_DIRECT on the series kernel, in one boot (bench/run-mapdirect.sh):
# page-cache pages after touching a 256 MiB MAP_SHARED | MAP_DIRECT mapping
# with DAX (direct) and without (fallback), and 4 KiB write faults per
# second with MAP_DIRECT against a plain MAP_SHARED mapping of the same
# DAX file, alternating.  Under TCG only the ratio is meaningful.  Writes
# OUTDIR/mapdirect.txt.
set -eu
. "$(dirname "$0")/lib.sh"

kbuild=$(realpath "$1") out=$(realpath -m "$2")
top=$(pwd)
mkdir -p "$out/bench" "$out/empty"
gcc -Wall -O2 -o "$out/bench/map_direct_bench" "$top/bench/map_direct_bench.c"
cp "$top/bench/run-mapdirect.sh" "$out/bench/run.sh"
"$top/qemu/mkinitramfs.sh" "$out/initramfs.cpio" "$out/empty" "$out/bench"

bench_boot "$kbuild/arch/x86/boot/bzImage" "$out/initramfs.cpio" "$out/guest" "" \
	>"$out/results.txt"
{
	echo "MAP_DIRECT benchmark, $(date -u +%Y-%m-%d), QEMU TCG, ${GUEST_CPUS:-2} vCPUs, legacy pmem, 256 MiB file"
	echo "cache_pages: page-cache pages after touching a MAP_SHARED | MAP_DIRECT mapping"
	echo "faults/s: 4 KiB write faults, plain MAP_SHARED vs MAP_SHARED | MAP_DIRECT,"
	echo "alternating 15 times; ratio = median of direct / plain per round (goal >= 0.98 with DAX)"
	cat "$out/results.txt"
} | tee "$out/mapdirect.txt"
grep -q 'dax=always rc=0' "$out/mapdirect.txt" || die "no DAX result (log: $out/guest/console.log)"
