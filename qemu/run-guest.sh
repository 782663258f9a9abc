#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-guest.sh BZIMAGE INITRAMFS OUTDIR
#
# Boot the guest under QEMU (KVM when it works, TCG otherwise: see
# scripts/accel.sh) with the devices of a hostile test bed, and split its
# console log into OUTDIR:
#   console.log  everything the guest printed
#   ktap.log     the kselftest output (KTAP), as far as it got
#   dmesg.log    the guest's kernel log at the end of the run
#   exit         the exit status of the tests in the guest
#   error        why the run failed, if it did
# Exits non-zero, saying why, when the guest panics, hangs (GUEST_TIMEOUT
# seconds; the guest's own watchdog dumps the blocked tasks a minute
# before), or the harness could not provide a device.
#
# The devices (qemu/init provisions them and exports their names):
#   legacy pmem    memmap=512M!1G: e820 persistent memory, clears poison by
#                  dropping the badblocks entry
#   dm pmem        memmap=512M!2G: a second e820 region, under dm-linear
#   NVDIMM         1 GiB on QEMU's ACPI NFIT, fsdax namespace
#   virtio-pmem    512 MiB, DAX without MAP_SYNC (no synchronous flush)
#   null_blk       nullb0: memory-backed, completes from a timer 200 us
#                  later, with a poll queue (io_uring IOPOLL really polls)
#   machine checks mce-inject, a consumed error as the MCE handler sees it
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

kernel=$1 initrd=$2 out=$3
timeout=${GUEST_TIMEOUT:-1800}
mem=${GUEST_MEM:-3G}
cpus=${GUEST_CPUS:-2}
# Legacy pmem inside guest RAM (all of which the pc machine keeps under
# 4 GiB at this size), 128 MiB aligned at both ends, with a gap between
# the two regions so that e820 does not merge them.
memmap=${GUEST_MEMMAP:-memmap=512M!1G memmap=512M!2G}
nullblk="null_blk.nr_devices=1 null_blk.queue_mode=2 null_blk.memory_backed=1 null_blk.gb=1 null_blk.irqmode=2 null_blk.completion_nsec=200000 null_blk.submit_queues=$cpus null_blk.poll_queues=1"

[ -f "$kernel" ] || die "no kernel image $kernel (make kernel)"
[ -f "$initrd" ] || die "no initramfs $initrd"
mkdir -p "$out"
rm -f "$out/console.log" "$out/ktap.log" "$out/dmesg.log" "$out/exit" "$out/error"
# fail MSG: why the run failed, on stderr and in OUTDIR/error.
fail() { echo "$*" >"$out/error"; die "$*"; }

accel=$("$(dirname "$0")/../scripts/accel.sh" "$kernel" "${ACCEL_CACHE:-$out/accel}")
# Under TCG, one host thread runs both vCPUs in turn (thread=single):
# with a thread per vCPU, a vCPU can still run a translation of kernel
# text that another has just patched (static keys, when a test enables a
# tracepoint), and the guest oopses on a stray int3 in __schedule.
cpu=host accel_opt=kvm
[ "$accel" = kvm ] || cpu=max accel_opt=tcg,thread=single

# Fresh, empty backing files for every boot.  The NVDIMM: 1 GiB of data
# after 128 KiB of labels (the namespace must be a multiple of its 16 MiB
# alignment).  GUEST_NVDIMM=0 leaves it out (to check that the harness
# notices), GUEST_VPMEM=0 the virtio-pmem device.
nvdimm=$out/nvdimm0.img vpmem=$out/vpmem0.img
rm -f "$nvdimm" "$vpmem"
set --
if [ "${GUEST_NVDIMM:-1}" != 0 ]; then
	truncate -s $((1024 * 1024 + 128))K "$nvdimm"
	set -- "$@" -object "memory-backend-file,id=nv0,share=on,mem-path=$nvdimm,size=$((1024 * 1024 + 128))K" \
		-device nvdimm,id=nvdimm0,memdev=nv0,label-size=128K
fi
if [ "${GUEST_VPMEM:-1}" != 0 ]; then
	truncate -s 512M "$vpmem"
	set -- "$@" -object "memory-backend-file,id=vp0,share=on,mem-path=$vpmem,size=512M,align=2M" \
		-device virtio-pmem-pci,id=vpmem0,memdev=vp0
fi

# The guest's watchdog fires a minute before the host's timeout (halfway
# through a short one), so that a hung guest still reports what it ran.
wd=$((timeout > 120 ? timeout - 60 : timeout / 2))

# preempt=full: threads racing with a system call run while it is in
# flight even on a busy vCPU.  harness.timeout: the guest's watchdog.
set -- -accel "$accel_opt" -machine pc,nvdimm=on -cpu "$cpu" -smp "$cpus" \
	-m "$mem,slots=4,maxmem=8G" "$@" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 oops=panic preempt=full $memmap $nullblk kunit.enable=0 hung_task_timeout_secs=60 harness.timeout=$wd ${GUEST_APPEND:-}" \
	-nodefaults -nographic -no-reboot

# make shell: the console on this terminal (Ctrl-A X quits QEMU).
if [ "${GUEST_SHELL:-0}" = 1 ]; then
	msg "booting the guest ($accel, $cpus vCPUs) with a shell; Ctrl-A X quits"
	qemu-system-x86_64 "$@" -serial mon:stdio || true
	rm -f "$nvdimm" "$vpmem"
	exit 0
fi

msg "booting the guest ($accel, $cpus vCPUs; log: $out/console.log, timeout ${timeout}s)"
: >"$out/console.log"
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 "$@" -serial stdio \
	</dev/null >"$out/console.log" 2>&1 &
qemu=$!
# Show each test as the guest reports it, and the guest's own messages.
tail -n +1 -f --pid="$qemu" "$out/console.log" 2>/dev/null |
	sed -u -n 's/\r$//; s/^# \(\(not \)\?ok [0-9]* .*\)/    \1/p; s/^=== \(guest\|devices\|HARNESS-ERROR\|GUEST-WATCHDOG\)\(.*\) ===$/    \1\2/p' >&2
wait "$qemu"
rc=$?
set -e
rm -f "$nvdimm" "$vpmem"

# section NAME: the lines after "=== NAME BEGIN ===" up to "=== NAME END ==="
# or the end of the log, without the kernel messages that the console
# interleaves.
section() {
	tr -d '\r' <"$out/console.log" |
	awk -v b="=== $1 BEGIN ===" -v e="=== $1 END ===" '$0 == e { exit } on { print } $0 == b { on = 1 }'
}
section KTAP | grep -v '^\[ *[0-9]*\.[0-9]*\]' >"$out/ktap.log" || true
section DMESG >"$out/dmesg.log" || true
status=$(tr -d '\r' <"$out/console.log" | sed -n 's/^=== GUEST-EXIT \([0-9]*\) ===$/\1/p' | tail -n1)

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] || grep -q '^=== GUEST-WATCHDOG' "$out/console.log"; then
	tail -n 30 "$out/console.log" >&2
	fail "the guest hung: the tests did not finish within ${timeout}s (log: $out/console.log)"
fi
err=$(tr -d '\r' <"$out/console.log" | sed -n 's/^=== HARNESS-ERROR \(.*\) ===$/\1/p')
[ -z "$err" ] || fail "guest: $err"
if [ -z "$status" ]; then
	tail -n 30 "$out/console.log" >&2
	fail "the guest died before the tests finished (panic? qemu exit $rc; log: $out/console.log)"
fi
echo "$status" >"$out/exit"
msg "guest finished; tests exited $status"
