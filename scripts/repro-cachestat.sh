#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# repro-cachestat.sh TREE KBUILD OUTDIR
#
# The bug that the series' first patch fixes, shown on v7.3.4 as it is:
# builds v7.3.4 with the guest configuration (qemu/guest.config: NUMA,
# memory cgroups and the multi-gen LRU on, as distributions ship) in
# build/kernel-base, boots the main guest on it and runs the series'
# selftests/cachestat (built from TREE against KBUILD's headers).  Its DAX
# cases, first as uid 65534, must fail with a kernel oops in
# workingset_test_recent(); the oops goes to OUTDIR/oops.txt.  Exits 0 when
# the bug reproduces, 1 when it does not.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$(realpath "$1") kbuild=$(realpath "$2") out=$(realpath -m "$3")
top=$(pwd)
kbase=$(dirname "$kbuild")/kernel-base
mkdir -p "$out"

build_base "$tree" "$kbase" "$top" "$out/base-build.log"

rc=0
GUEST_KERNEL=$kbase/arch/x86/boot/bzImage T=test_cachestat RESULTS=$out/results.tsv \
	scripts/run-selftests.sh "$tree" "$kbuild" "$out" cachestat >"$out/run.log" 2>&1 || rc=$?
# The guest panics on the oops (oops=panic): the console has it.
awk '/BUG: |Oops:|RIP: |Call Trace:|CPU: .* UID: |^\[ *[0-9.]+\]  [a-z_0-9]+\+0x/' \
	"$out/guest/console.log" 2>/dev/null | head -n 12 >"$out/oops.txt" || true
if [ "$rc" -ne 0 ] && grep -q 'workingset_test_recent\|lru_gen_test_recent' "$out/oops.txt"; then
	msg "reproduced on $BASE_TAG: cachestat(2) on a DAX file oopses ($out/oops.txt):"
	cat "$out/oops.txt" >&2
	exit 0
fi
msg "not reproduced on $BASE_TAG (selftests exit $rc; logs in $out)"
exit 1
