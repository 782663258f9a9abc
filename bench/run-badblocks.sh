#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (qemu/init, harness.run=bench): the sector-granular
# media error benchmark on XFS and ext4 with dax=always, on the legacy pmem
# device (the one on which a write can clear a bad sector).  One line per
# filesystem: === BENCH fs=... dax=always rc=N key=value... ===
dev=$DAX_TEST_PMEM_LEGACY
rounds=${BB_BENCH_ROUNDS:-501}
for fs in xfs ext4; do
	case $fs in
	xfs) mkfs.xfs -f -q "$dev" ;;
	ext4) mkfs.ext4 -F -q -b 4096 "$dev" ;;
	esac >/dev/null 2>&1 || {
		echo "=== BENCH fs=$fs dax=always error=mkfs ==="
		continue
	}
	mkdir -p /mnt/bench
	mount -t "$fs" -o dax=always "$dev" /mnt/bench || {
		echo "=== BENCH fs=$fs dax=always error=mount ==="
		continue
	}
	out=$(/bench/badblocks_bench "$dev" /mnt/bench "$rounds")
	echo "=== BENCH fs=$fs dax=always rc=$? $out ==="
	umount /mnt/bench
	# what a failed run may have left listed (none expected)
	left=$(cat "/sys/block/${dev#/dev/}/badblocks")
	[ -z "$left" ] ||
		echo "=== BENCH fs=$fs left-bad=$(printf %s "$left" | tr '\n ' ';:') ==="
done
