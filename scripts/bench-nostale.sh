#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-nostale.sh TREE KBUILD OUTDIR
#
# Both sides of the race between direct writes and MAP_SHARED mappings with
# IOMAP_DIO_RWF_NO_STALE_PAGECACHE (the series) against v7.3.4 without it, in
# the same run: both kernels boot the same initramfs, alternately, ROUNDS
# times (default 2), and run bench/run.sh on the legacy pmem device and the
# asynchronous null_blk device, XFS and ext4: direct-write throughput without
# page cache; write-fault latency (p50, p99) in one half of the file, idle
# and next to direct writes to the other half; and direct writes racing with
# stores to the same half, stores to the other half and buffered reads (each
# side's rate, and the series' fallbacks).  Under TCG only the ratio of the
# two kernels is meaningful.  Writes OUTDIR/nostale.txt, with the per-boot
# fsync exit status and msync result after the race.
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

# Mean of a key per kernel, device and file system.
mean() {	# KERNEL DEV FS KEY
	awk -v k="kernel=$1" -v d="dev=$2" -v f="fs=$3" -v key="$4" '
		$1 == k && $3 == d && $4 == f { for (i = 1; i <= NF; i++) { split($i, kv, "=")
			if (kv[1] == key) { s += kv[2]; n++ } } }
		END { if (n) printf "%.2f", s / n; else printf "nan" }' "$out/results.txt"
}
{
	echo "direct-write benchmark, $(date -u +%Y-%m-%d), QEMU TCG, ${GUEST_CPUS:-2} vCPUs, dax=never"
	echo "devices: pmem (legacy pmem), nullblk (null_blk, timer completions); mean of ${ROUNDS:-2} boots, ${BENCH_SECONDS:-5} s a phase"
	echo "nocache: 1 MiB O_DIRECT overwrites of a 64 MiB file, no page cache"
	echo "race: O_DIRECT overwrites of [0, 32M) against MAP_SHARED stores to [0, 32M) (overlap)"
	echo "      and [32M, 64M) (other), and buffered 4 KiB reads of the file (per second each)"
	echo "fault: write fault + MADV_DONTNEED in [32M, 64M), idle and with O_DIRECT overwrites of [0, 32M)"
	printf '%-7s %-5s %-26s %12s %12s %8s\n' dev fs measure v7.3.4 series ratio
	for dev in pmem nullblk; do
		for fs in xfs ext4; do
			for key in nocache_MiBps race_writes_per_s race_store_overlap_per_s \
				race_store_other_per_s race_reads_per_s fault_idle_p50_us \
				fault_idle_p99_us fault_p50_us fault_p99_us; do
				b=$(mean base $dev $fs $key) s=$(mean series $dev $fs $key)
				printf '%-7s %-5s %-26s %12s %12s %8s\n' $dev $fs $key "$b" "$s" \
					"$(awk -v b="$b" -v s="$s" 'BEGIN { printf (b > 0 ? "%.3f" : "nan"), s / b }')"
			done
			printf '%-7s %-5s %-26s %12s %12s\n' $dev $fs race_fallbacks_per_s - \
				"$(mean series $dev $fs race_fallbacks_per_s)"
		done
	done
	echo "fsync after the race (rc=3 is EIO) and msync of the mapping before it (msync_rc=1 failed):"
	awk '{ m = ""; for (i = 6; i <= NF; i++) if ($i ~ /^msync_rc=/) m = $i
		print "  " $1, $2, $3, $4, $5, m }' "$out/results.txt"
} | tee "$out/nostale.txt"
