#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-guest.sh BZIMAGE INITRAMFS OUTDIR
#
# Boot the guest under QEMU (TCG: no KVM needed) with one emulated NVDIMM
# and a legacy pmem region, and split its console log into OUTDIR:
#   console.log  everything the guest printed
#   ktap.log     the kselftest output (KTAP)
#   dmesg.log    the guest's kernel log at the end of the run
#   exit         the exit status of the tests in the guest
# Exits non-zero, saying why, when the guest panics, hangs (GUEST_TIMEOUT
# seconds), or the harness could not provide a device.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

kernel=$1 initrd=$2 out=$3
timeout=${GUEST_TIMEOUT:-900}
mem=${GUEST_MEM:-2G}
# preempt=full: with one vCPU, threads racing with a system call only run
# while it is in flight when the kernel can preempt it.
# Legacy pmem inside guest RAM (below the 2 GiB of RAM the pc machine
# keeps under 4 GiB), 128 MiB aligned at both ends.
memmap=${GUEST_MEMMAP:-512M!1G}

[ -f "$kernel" ] || die "no kernel image $kernel (make kernel)"
[ -f "$initrd" ] || die "no initramfs $initrd"
mkdir -p "$out"
rm -f "$out/console.log" "$out/ktap.log" "$out/dmesg.log" "$out/exit"

# A fresh, empty NVDIMM for every boot: 1 GiB of data after 128 KiB of
# labels (the namespace must be a multiple of its 16 MiB alignment).
# GUEST_NVDIMM=0 leaves it out (to check that the harness notices).
nvdimm=$out/nvdimm0.img
rm -f "$nvdimm"
set --
if [ "${GUEST_NVDIMM:-1}" != 0 ]; then
	truncate -s $((1024 * 1024 + 128))K "$nvdimm"
	set -- -object "memory-backend-file,id=nv0,share=on,mem-path=$nvdimm,size=$((1024 * 1024 + 128))K" \
		-device nvdimm,id=nvdimm0,memdev=nv0,label-size=128K
fi

msg "booting the guest (log: $out/console.log, timeout ${timeout}s)"
: >"$out/console.log"
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 \
	-machine pc,nvdimm=on -cpu max -smp 1 \
	-m "$mem,slots=2,maxmem=4G" \
	"$@" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 oops=panic preempt=full memmap=$memmap kunit.enable=0 ${GUEST_APPEND:-}" \
	-nodefaults -nographic -serial stdio -no-reboot \
	</dev/null >"$out/console.log" 2>&1 &
qemu=$!
# Show each test as the guest reports it, and the guest's own messages.
tail -n +1 -f --pid="$qemu" "$out/console.log" 2>/dev/null |
	sed -u -n 's/\r$//; s/^# \(\(not \)\?ok [0-9]* .*\)/    \1/p; s/^=== \(guest\|devices\|HARNESS-ERROR\)\(.*\) ===$/    \1\2/p' >&2
wait "$qemu"
rc=$?
set -e
rm -f "$nvdimm"

# section NAME: the lines between "=== NAME BEGIN ===" and "=== NAME END ===",
# without the kernel messages that the console interleaves.
section() {
	tr -d '\r' <"$out/console.log" |
	sed -n "/^=== $1 BEGIN ===\$/,/^=== $1 END ===\$/p" | sed '1d;$d'
}
section KTAP | grep -v '^\[ *[0-9]*\.[0-9]*\]' >"$out/ktap.log" || true
section DMESG >"$out/dmesg.log" || true
status=$(tr -d '\r' <"$out/console.log" | sed -n 's/^=== GUEST-EXIT \([0-9]*\) ===$/\1/p' | tail -n1)

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	tail -n 30 "$out/console.log" >&2
	die "the guest hung: no power-off within ${timeout}s (log: $out/console.log)"
fi
err=$(tr -d '\r' <"$out/console.log" | sed -n 's/^=== HARNESS-ERROR \(.*\) ===$/\1/p')
[ -z "$err" ] || die "guest: $err"
if [ -z "$status" ]; then
	tail -n 30 "$out/console.log" >&2
	die "the guest died before the tests finished (panic? qemu exit $rc; log: $out/console.log)"
fi
echo "$status" >"$out/exit"
msg "guest finished; tests exited $status"
