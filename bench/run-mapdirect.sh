#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (qemu/init, harness.run=bench): the MAP_DIRECT
# benchmark on XFS and ext4, DAX and not, on the legacy pmem device.
for fs in xfs ext4; do
	for dax in always never; do
		case $fs in
		xfs) mkfs.xfs -f -q "$DAX_TEST_PMEM_LEGACY" ;;
		ext4) mkfs.ext4 -F -q -b 4096 "$DAX_TEST_PMEM_LEGACY" ;;
		esac >/dev/null 2>&1 || {
			echo "=== BENCH fs=$fs dax=$dax error=mkfs ==="
			continue
		}
		mkdir -p /mnt/bench
		mount -t "$fs" -o "dax=$dax" "$DAX_TEST_PMEM_LEGACY" /mnt/bench ||
			continue
		out=$(/bench/map_direct_bench /mnt/bench 15)
		echo "=== BENCH fs=$fs dax=$dax rc=$? $out ==="
		umount /mnt/bench
	done
done
