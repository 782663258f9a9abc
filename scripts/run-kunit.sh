#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-kunit.sh "KUNIT_ARGS" TREE OUTDIR SUITES_FILE
#
# kunit.py run on the shared kernel build; one result per test case, and a
# failure for every suite listed in SUITES_FILE that did not run (a suite
# that silently stops being built reports nothing otherwise).
set -eu
. "$(dirname "$0")/lib.sh"

# /dev/kvm exists on our build machines, but a KVM guest never starts
# there, and kunit.py always asks QEMU for KVM first: hide the device in a
# private mount namespace so that QEMU falls back to TCG (KUNIT_KVM=1
# keeps KVM).
if [ -e /dev/kvm ] && [ "${KUNIT_KVM:-0}" != 1 ] && [ -z "${KUNIT_KVM_HIDDEN:-}" ]; then
	export KUNIT_KVM_HIDDEN=1
	exec unshare --mount sh -c 'mount --bind /dev/null /dev/kvm && exec "$0" "$@"' "$0" "$@"
fi

args=$1 tree=$2 out=$3 suites=$4
mkdir -p "$out"
rm -f "$out/kunit.json"
msg "running KUnit under QEMU (log: $out/kunit.log)"
# shellcheck disable=SC2086
(cd "$tree" && eval python3 tools/testing/kunit/kunit.py run $args \
	--timeout=${KUNIT_TIMEOUT:-600} --json="$out/kunit.json") >"$out/kunit.log" 2>&1 || true

if [ ! -s "$out/kunit.json" ]; then
	tail -n 30 "$out/kunit.log" >&2
	record FAIL "kunit: kunit.py run" "no results (log: $out/kunit.log)"
	exit 1
fi
# Every leaf test case as "STATUS<TAB>suite.case[.param]".
jq -r 'def leaves(p): (.test_cases[]? | [.status, (p + .name)]),
		(.sub_groups[]? as $g | $g | leaves(p + $g.name + "."));
	.sub_groups[] as $s | $s | leaves($s.name + ".") | @tsv' \
	"$out/kunit.json" >"$out/kunit.tsv"
while IFS="$(printf '\t')" read -r status name; do
	case $status in
	PASS) record PASS "kunit: $name" ;;
	SKIP) record SKIP "kunit: $name" "skipped by the test" ;;
	*) record FAIL "kunit: $name" "$status (log: $out/kunit.log)" ;;
	esac
done <"$out/kunit.tsv"

for s in $(grep -v '^#' "$suites"); do
	grep -q "	$s\." "$out/kunit.tsv" ||
		record FAIL "kunit: suite $s ran" "missing from the results (not built? see $out/kunit.log)"
done
grep -E '^\[.*\] (Testing complete|.*passed)' "$out/kunit.log" | tail -n 2 >&2 || true
