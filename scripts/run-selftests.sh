#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-selftests.sh TREE KBUILD OUTDIR TARGET...
#
# Build the kselftests TARGETs of TREE against its headers, pack them into
# the guest's initramfs, boot the guest (qemu/run-guest.sh) and record one
# result per test case from its KTAP output.  A skip is a failure: the
# guest provides every device the tests ask for.  A test that the binary
# lists but the run does not report is a failure.  So is a guest kernel
# log with a warning, BUG, oops, lockdep or KASAN report.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1 kbuild=$2 out=$3; shift 3
targets=$*
top=$(pwd)
kst=$out/kselftest
mkdir -p "$out"

msg "building kselftests ($targets) against $tree headers"
{
	make -C "$tree" O="$kbuild" headers
	rm -rf "$kst"
	make -C "$tree/tools/testing/selftests" O="$kbuild" TARGETS="$targets" \
		INSTALL_PATH="$kst" install
} >"$out/selftests-build.log" 2>&1 || {
	tail -n 30 "$out/selftests-build.log" >&2
	record FAIL "selftests: build" "log: $out/selftests-build.log"
	exit 1
}

# The tests each binary says it has (kselftest_harness -l prints fixtures,
# variants and tests in columns of 20 and 25): "<dir>/<prog>: f.v.t".
: >"$out/selftests-expected"
for t in $targets; do
	progs=$(sed -n "s|^$t:||p" "$kst/kselftest-list.txt")
	[ -n "$progs" ] || record FAIL "selftests: $t" "no test program was built"
	for b in $progs; do
		"$kst/$t/$b" -l 2>&1 | awk -v p="$t/$b" '
			function flush(i, j) { for (i in V) for (j in T) print p ": " F "." (V[i] == "" ? "" : V[i] ".") T[j] }
			/^# FIXTURE/ { next }
			/^-----/ { flush(); delete V; delete T; next }
			{ f = substr($0, 1, 20); v = substr($0, 22, 25); t = substr($0, 48)
			  gsub(/ /, "", f); gsub(/ /, "", v); gsub(/ /, "", t)
			  if (f != "") { F = f; V[0] = v; nv = 1 } else if (v != "") V[nv++] = v
			  if (t != "") T[nt++] = t }
			END { flush() }' | sort >>"$out/selftests-expected" || true
	done
done

"$top/qemu/mkinitramfs.sh" "$out/initramfs.cpio" "$kst"
if ! "$top/qemu/run-guest.sh" "$kbuild/arch/x86/boot/bzImage" "$out/initramfs.cpio" "$out/guest"; then
	record FAIL "selftests: guest run" "see $out/guest/console.log"
	exit 1
fi

# KTAP from run_kselftest.sh: "# selftests: DIR: PROG" opens a program,
# "# ok N name [# SKIP reason]" are its test cases.
awk '
	/^# selftests: / { prog = $3 $4; sub(/:$/, "", prog); sub(/:/, "/", prog); next }
	/^# (not )?ok [0-9]+ / {
		line = $0; sub(/^# /, "", line)
		ok = (line !~ /^not /); sub(/^(not )?ok [0-9]+ /, "", line)
		reason = ""; if (match(line, / # (SKIP|skip).*/)) {
			reason = substr(line, RSTART + 3); line = substr(line, 1, RSTART - 1); ok = 2 }
		print (ok == 1 ? "PASS" : ok == 2 ? "SKIP" : "FAIL") "\t" prog ": " line "\t" reason
		next }
	/^(not )?ok [0-9]+ selftests: / && /^not ok/ { print "FAIL\t" $0 "\t(whole program)" }
' "$out/guest/ktap.log" >"$out/selftests.tsv"

while IFS="$(printf '\t')" read -r status name reason; do
	case $status in
	PASS) record PASS "selftests: $name" ;;
	SKIP) record FAIL "selftests: $name" "unexpected skip: $reason" ;;
	*) record FAIL "selftests: $name" "${reason:-failed} (log: $out/guest/ktap.log)" ;;
	esac
done <"$out/selftests.tsv"
while read -r t; do
	grep -qF "	$t	" "$out/selftests.tsv" ||
		record FAIL "selftests: $t" "listed by the binary but did not report (log: $out/guest/console.log)"
done <"$out/selftests-expected"

# The guest's kernel log: any splat fails the run.
pat='WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Page cache invalidation failure|refcount_t:|list_(add|del) corruption'
if grep -E "$pat" "$out/guest/dmesg.log" >"$out/dmesg-splats.log"; then
	record FAIL "guest dmesg free of warnings" "$(head -n1 "$out/dmesg-splats.log") (see $out/guest/dmesg.log)"
else
	record PASS "guest dmesg free of warnings"
fi
