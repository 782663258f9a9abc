#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (qemu/init, harness.run=bench): the direct-write
# benchmark on XFS and ext4 without DAX, on the legacy pmem device.
for fs in xfs ext4; do
	case $fs in
	xfs) mkfs.xfs -f -q "$DAX_TEST_PMEM_LEGACY" ;;
	ext4) mkfs.ext4 -F -q -b 4096 "$DAX_TEST_PMEM_LEGACY" ;;
	esac >/dev/null 2>&1 || { echo "=== BENCH fs=$fs error=mkfs ==="; continue; }
	mkdir -p /mnt/bench
	mount -t "$fs" -o dax=never "$DAX_TEST_PMEM_LEGACY" /mnt/bench || continue
	out=$(/bench/dio_nostale_bench /mnt/bench "${BENCH_SECONDS:-5}")
	echo "=== BENCH fs=$fs rc=$? $out ==="
	umount /mnt/bench
done
