#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (qemu/init, harness.run=bench): the direct-write
# benchmark (dio_nostale_bench: direct writes without page cache, write
# faults with and without direct writes next to them, and direct writes
# racing with stores through a MAP_SHARED mapping and buffered reads) on
# XFS and ext4 without DAX, on the legacy pmem device and on the null_blk
# device that completes asynchronously.  One line per device and file
# system: "=== BENCH dev=DEV fs=FS rc=RC key=value ... ===".
for dev in pmem nullblk; do
	case $dev in
	pmem) bdev=${DAX_TEST_PMEM_LEGACY:-} ;;
	nullblk) bdev=${DAX_TEST_BLK_ASYNC:-} ;;
	esac
	for fs in xfs ext4; do
		[ -n "$bdev" ] || { echo "=== BENCH dev=$dev fs=$fs error=nodevice ==="; continue; }
		case $fs in
		xfs) mkfs.xfs -f -q "$bdev" ;;
		ext4) mkfs.ext4 -F -q -b 4096 "$bdev" ;;
		esac >/dev/null 2>&1 || { echo "=== BENCH dev=$dev fs=$fs error=mkfs ==="; continue; }
		mkdir -p /mnt/bench
		mount -t "$fs" -o dax=never "$bdev" /mnt/bench ||
			{ echo "=== BENCH dev=$dev fs=$fs error=mount ==="; continue; }
		out=$(/bench/dio_nostale_bench /mnt/bench "${BENCH_SECONDS:-5}")
		echo "=== BENCH dev=$dev fs=$fs rc=$? $out ==="
		umount /mnt/bench
	done
done
