#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-kunit.sh "KUNIT_ARGS" TREE OUTDIR SUITES_FILE
#
# kunit.py run on the shared kernel build; one result per test case, and a
# failure for every suite listed in SUITES_FILE that did not run (a suite
# that silently stops being built reports nothing otherwise).  A skipped
# case fails unless kunit/skips lists it with the reason; the kernel log
# of the KUnit run fails on a warning, BUG, oops, lockdep or KASAN report,
# like the guest's.  Exits non-zero when anything failed.
set -eu
. "$(dirname "$0")/lib.sh"

# kunit.py asks QEMU for KVM first, and /dev/kvm can exist without ever
# running a guest (as on our build machines): unless a KVM guest really
# starts (scripts/accel.sh), hide the device in a private mount namespace
# so that QEMU uses TCG.  KUNIT_KVM=1 keeps KVM regardless.
kbuild=$(echo "$1" | sed -n 's/.*--build_dir=\([^ ]*\).*/\1/p')
if [ -e /dev/kvm ] && [ "${KUNIT_KVM:-0}" != 1 ] && [ -z "${KUNIT_KVM_HIDDEN:-}" ] &&
   [ -z "${KUNIT_REPLAY:-}" ] &&
   [ "$("$(dirname "$0")/accel.sh" "$kbuild/arch/x86/boot/bzImage" "${ACCEL_CACHE:-$3/accel}")" != kvm ]; then
	export KUNIT_KVM_HIDDEN=1
	exec unshare --mount sh -c 'mount --bind /dev/null /dev/kvm && exec "$0" "$@"' "$0" "$@"
fi

args=$1 tree=$2 out=$3 suites=$4
skips=$(dirname "$suites")/skips
mkdir -p "$out"
rm -f "$out/kunit.json"
krc=0
if [ -n "${KUNIT_REPLAY:-}" ]; then
	# The self-checks (check-harness.sh) replay doctored results: the
	# JSON and kernel log of a run, from KUNIT_REPLAY.
	cp "$KUNIT_REPLAY/kunit.json" "$out/kunit.json"
	klog=$KUNIT_REPLAY/test.log
	: >"$out/kunit.log"
else
	[ -n "$kbuild" ] || die "no --build_dir in the kunit.py arguments"
	# The kernel log of the run (kunit.py keeps it in the build directory).
	klog=$kbuild/test.log
	rm -f "$klog"
	msg "running KUnit under QEMU (log: $out/kunit.log)"
	# shellcheck disable=SC2086
	(cd "$tree" && eval python3 tools/testing/kunit/kunit.py run $args \
		--timeout=${KUNIT_TIMEOUT:-600} --json="$out/kunit.json") >"$out/kunit.log" 2>&1 || krc=$?
fi

if [ ! -s "$out/kunit.json" ]; then
	tail -n 30 "$out/kunit.log" >&2
	record FAIL "kunit: kunit.py run" "no results (log: $out/kunit.log)"
	results_exit
fi
# Every leaf test case as "STATUS<TAB>suite.case[.param]".
# (Cases outside any suite, if a crash leaves some, count too.)
jq -r 'def leaves(p): (.test_cases[]? | [.status, (p + .name)]),
		(.sub_groups[]? as $g | $g | leaves(p + $g.name + "."));
	(.test_cases[]? | [.status, .name]),
	(.sub_groups[] as $s | $s | leaves($s.name + ".")) | @tsv' \
	"$out/kunit.json" >"$out/kunit.tsv"
while IFS="$(printf '\t')" read -r status name; do
	case $status in
	PASS) record_result PASS "kunit: $name" ;;
	SKIP)
		why=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$skips" 2>/dev/null)
		if [ -n "$why" ]; then
			record SKIP "kunit: $name" "$why (kunit/skips)"
		else
			record FAIL "kunit: $name" "skipped, and kunit/skips does not list it (log: $out/kunit.log)"
		fi ;;
	*) record_result FAIL "kunit: $name" "$status (log: $out/kunit.log)" ;;
	esac
done <"$out/kunit.tsv"
# kunit.py failed although no case did: say so.
if [ "$krc" -ne 0 ] && ! grep -qv '^PASS' "$out/kunit.tsv"; then
	record FAIL "kunit: kunit.py run" "exit $krc with every case passed (log: $out/kunit.log)"
fi

for s in $(grep -v '^#' "$suites"); do
	grep -q "	$s\." "$out/kunit.tsv" ||
		record FAIL "kunit: suite $s ran" "missing from the results (not built? see $out/kunit.log)"
done

check_kernel_log "kunit kernel log free of warnings" "$klog" "$out/kunit-splats.log"

grep -E '^\[.*\] (Testing complete|.*passed)' "$out/kunit.log" | tail -n 2 >&2 || true
results_exit
