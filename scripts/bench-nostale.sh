#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-nostale.sh TREE KBUILD OUTDIR
#
# Direct-write throughput with IOMAP_DIO_RWF_NO_STALE_PAGECACHE (the series)
# against v7.3.4 without it, in the same run: both kernels boot the same
# initramfs, alternately, ROUNDS times (default 2), and run bench/run.sh.
# Under TCG only the ratio of the two is meaningful.  Writes OUTDIR/nostale.txt.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$(realpath "$1") kbuild=$(realpath "$2") out=$(realpath -m "$3")
top=$(pwd)
kbase=$(dirname "$kbuild")/kernel-base
mkdir -p "$out"

build_base "$tree" "$kbase" "$top" "$out/base-build.log"

mkdir -p "$out/bench"
gcc -Wall -O2 -o "$out/bench/dio_nostale_bench" "$top/bench/dio_nostale_bench.c" -lpthread
cp "$top/bench/run.sh" "$out/bench/"
mkdir -p "$out/empty"
"$top/qemu/mkinitramfs.sh" "$out/initramfs.cpio" "$out/empty" "$out/bench"

: >"$out/results.txt"
for round in $(seq "${ROUNDS:-2}"); do
	for k in base series; do
		img=$kbase/arch/x86/boot/bzImage
		[ $k = series ] && img=$kbuild/arch/x86/boot/bzImage
		bench_boot "$img" "$out/initramfs.cpio" "$out/guest-$k" \
			"kernel=$k round=$round " >>"$out/results.txt"
	done
done

# Mean of a key per kernel and file system.
mean() {	# KERNEL FS KEY
	awk -v k="kernel=$1" -v f="fs=$2" -v key="$3" '
		$1 == k && $3 == f { for (i = 1; i <= NF; i++) { split($i, kv, "=")
			if (kv[1] == key) { s += kv[2]; n++ } } }
		END { if (n) printf "%.1f", s / n; else printf "nan" }' "$out/results.txt"
}
{
	echo "direct-write benchmark, $(date -u +%Y-%m-%d), QEMU TCG, ${GUEST_CPUS:-2} vCPUs, legacy pmem, dax=never"
	echo "1 MiB O_DIRECT overwrites of a 64 MiB file, ${BENCH_SECONDS:-5} s each, mean of ${ROUNDS:-2} boots"
	printf '%-5s %-26s %10s %10s %8s\n' fs measure v7.3.4 series ratio
	for fs in xfs ext4; do
		for key in nocache_MiBps race_writes_per_s; do
			b=$(mean base $fs $key) s=$(mean series $fs $key)
			printf '%-5s %-26s %10s %10s %8s\n' $fs $key "$b" "$s" \
				"$(awk -v b="$b" -v s="$s" 'BEGIN { printf (b > 0 ? "%.3f" : "nan"), s / b }')"
		done
		printf '%-5s %-26s %10s %10s\n' $fs race_fallbacks_per_s - "$(mean series $fs race_fallbacks_per_s)"
	done
	echo "fsync after the race (rc=3 is EIO):"
	awk '{ print "  " $1, $3, $4 }' "$out/results.txt"
} | tee "$out/nostale.txt"
