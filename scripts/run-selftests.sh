#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-selftests.sh TREE KBUILD OUTDIR TARGET...
#
# Build the kselftests TARGETs of TREE against its headers, pack them into
# the guest's initramfs, boot the guest (qemu/run-guest.sh) and record one
# result per test case from its KTAP output.
#  - A skip is a failure unless ./skips lists it with the reason: the
#    guests provide every device the tests ask for.
#  - A test that the binary lists but the run does not report is a failure,
#    and so is a binary whose listing (-l) fails.
#  - After a hang or a panic the KTAP so far is parsed, and the test that
#    was running is named.
#  - A guest kernel log that is empty, or has a warning, BUG, oops, lockdep
#    or KASAN report, is a failure.
#  - Programs in PLAIN print KTAP without kselftest_harness.h and cannot
#    list their tests (-l would run them here): each is expected to report
#    as a whole ("DIR/PROG: the program"), and its test cases are recorded
#    as it reports them.
#  - Programs in ISOLATED (machine checks can take a machine down) run in a
#    guest of their own, so that they cannot take the others' results with
#    them; the variants named *_nfit run in the nfit_test guest, on the
#    kernel in NFIT_KBUILD (make kernel-nfit).
# T=PROG, T=FIXTURE[.VARIANT[.TEST]] runs a subset; GUEST_SHELL=1 boots the
# guest with a shell instead; GUEST_KERNEL=bzImage boots the main guest on
# another kernel (make repro-cachestat).  Exits non-zero when anything failed.
set -eu
. "$(dirname "$0")/lib.sh"

ISOLATED="poison_test"
PLAIN="cachestat/test_cachestat"

tree=$1 kbuild=$2 out=$3; shift 3
NFIT_KBUILD=${NFIT_KBUILD:-$kbuild-nfit}
targets=$*
top=$(pwd)
kst=$out/kselftest
mkdir -p "$out"

msg "building kselftests ($targets) against $tree headers"
{
	make -C "$tree" O="$kbuild" headers &&
	rm -rf "$kst" &&
	make -C "$tree/tools/testing/selftests" O="$kbuild" TARGETS="$targets" \
		INSTALL_PATH="$kst" install
} >"$out/selftests-build.log" 2>&1 || {
	tail -n 30 "$out/selftests-build.log" >&2
	record FAIL "selftests: build" "log: $out/selftests-build.log"
	results_exit
}

# The kernel, modules and command line of each guest (boot_guest BOOT).
boot_guest() {
	kernel=${GUEST_KERNEL:-$kbuild/arch/x86/boot/bzImage} modules= append= devices=
	if [ "$1" = nfit ]; then
		kernel=$NFIT_KBUILD/arch/x86/boot/bzImage modules=$NFIT_KBUILD/modules
		append=harness.bed=nfit
		# Nothing but nfit_test: no QEMU NVDIMM, no virtio-pmem.
		devices="GUEST_NVDIMM=0 GUEST_VPMEM=0"
	fi
}

# make shell (GUEST_BED=nfit: the nfit_test guest).
if [ "${GUEST_SHELL:-0}" = 1 ]; then
	case ${GUEST_BED:-main} in
	main | nfit) boot_guest "${GUEST_BED:-main}" ;;
	*) die "GUEST_BED=$GUEST_BED: main or nfit" ;;
	esac
	GUEST_MODULES=$modules "$top/qemu/mkinitramfs.sh" "$out/initramfs-shell.cpio" "$kst"
	# shellcheck disable=SC2086
	exec env $devices GUEST_APPEND="harness.run=shell $append ${GUEST_APPEND:-}" \
		"$top/qemu/run-guest.sh" "$kernel" "$out/initramfs-shell.cpio" "$out/shell"
fi

# The tests each binary says it has, "<dir>/<prog>: f.v.t" (list_tests);
# with T=, only the program T or the tests that start with T.
: >"$out/selftests-expected"
: >"$out/selftests-progs"
for t in $targets; do
	progs=$(sed -n "s|^$t:||p" "$kst/kselftest-list.txt")
	[ -n "$progs" ] || record FAIL "selftests: $t" "no test program was built"
	for b in $progs; do
		case " $PLAIN " in
		*" $t/$b "*) echo "$t/$b: the program" >"$out/list-$b.tsv" ;;
		*) list_tests "$t/$b" "$kst/$t/$b" "$out/list-$b.tsv" || continue ;;
		esac
		if [ -z "${T:-}" ] || [ "$b" = "$T" ]; then
			cat "$out/list-$b.tsv" >>"$out/selftests-expected"
			echo "$t $b" >>"$out/selftests-progs"
		else
			# Tests of this program whose "fixture.variant.test" starts with T.
			awk -v p="$t/$b: " -v T="$T" 'index($0, p T) == 1' "$out/list-$b.tsv" >"$out/sel.tsv"
			[ -s "$out/sel.tsv" ] || continue
			cat "$out/sel.tsv" >>"$out/selftests-expected"
			sel=$(sed "s|^$t/$b: ||" "$out/sel.tsv")
			echo "$t $b $(echo "$sel" | sed 's/^/-r /' | tr '\n' ' ')" >>"$out/selftests-progs"
		fi
	done
done
[ -s "$out/selftests-progs" ] || { record FAIL "selftests: selection" "no test matches T=${T:-}"; results_exit; }

# Which guest runs each test ("BOOT\tdir/prog: f.v.t"): the nfit_test guest
# (NFIT_KBUILD's kernel, with nfit_test's modules) for the fixture variants
# whose name ends in _nfit (the naming rule: a test of nfit_test's bus is
# a variant FOO_nfit), a guest of its own for a program in ISOLATED, the
# main guest for the rest.
awk -v iso=" $ISOLATED " '{
	prog = $1; sub(/:$/, "", prog); sub(/.*\//, "", prog)
	split($2, n, ".")
	if (n[2] ~ /_nfit$/) boot = "nfit"
	else if (index(iso, " " prog " ")) boot = prog
	else boot = "main"
	print boot "\t" $0
}' "$out/selftests-expected" >"$out/selftests-boots"

: >"$out/selftests.tsv"
for boot in main $ISOLATED nfit; do
	grep -q "^$boot	" "$out/selftests-boots" || continue
	# The programs to run, "DIR PROG [-r TEST...]": the tests of this
	# guest by name, unless it runs all of the program's tests.
	: >"$kst/harness-select"
	while read -r dir prog rest; do
		mine=$(awk -F'\t' -v b="$boot" -v p="$dir/$prog: " '$1 == b && index($2, p) == 1 { sub(/^[^ ]* /, "", $2); print $2 }' \
			"$out/selftests-boots")
		[ -n "$mine" ] || continue
		if [ -z "$rest" ] && [ "$(echo "$mine" | wc -l)" -eq "$(grep -c "^$dir/$prog: " "$out/selftests-expected")" ]; then
			echo "$dir $prog"
		else
			echo "$dir $prog $(echo "$mine" | sed 's/^/-r /' | tr '\n' ' ')"
		fi
	done <"$out/selftests-progs" >"$kst/harness-select"
	boot_guest "$boot"
	case $boot in
	main) suffix= ;;
	nfit) suffix=" (nfit_test guest)" ;;
	*) suffix=" ($boot guest)" ;;
	esac
	guest=$out/guest${suffix:+-$boot}
	initrd=$out/initramfs-$boot.cpio
	# Nothing of an earlier run may be read as this one's.
	rm -rf "$guest" "$initrd"
	if [ "$boot" = nfit ] && [ ! -f "$NFIT_KBUILD/.nfit-ok" ]; then
		record FAIL "selftests: guest run$suffix" \
			"no complete nfit_test kernel in $NFIT_KBUILD (make kernel-nfit failed or did not run)"
		continue
	fi
	# Its tests do not report, and so fail, when this guest cannot boot.
	if ! GUEST_MODULES=$modules "$top/qemu/mkinitramfs.sh" "$initrd" "$kst"; then
		record FAIL "selftests: initramfs$suffix" "qemu/mkinitramfs.sh failed (make kernel-nfit?)"
		continue
	fi
	# shellcheck disable=SC2086
	if ! env $devices GUEST_APPEND="$append ${GUEST_APPEND:-}" "$top/qemu/run-guest.sh" "$kernel" "$initrd" "$guest"; then
		# The test that was running: the last one started but not reported.
		hung=$(awk '/^# #  RUN  / { r = $4 } /^# (not )?ok [0-9]+ / { r = "" } END { print r }' \
			"$guest/ktap.log" 2>/dev/null || true)
		record FAIL "selftests: guest run$suffix" \
			"$(cat "$guest/error" 2>/dev/null)${hung:+; it was running $hung}"
	fi

	# KTAP: "# selftests: DIR: PROG" opens a program, "# ok N name
	# [# SKIP reason]" are its test cases.
	awk -v plain=" $PLAIN " '
		/^# selftests: / { prog = $3 $4; sub(/:$/, "", prog); sub(/:/, "/", prog); next }
		/^# (not )?ok [0-9]+ / {
			line = $0; sub(/^# /, "", line)
			ok = (line !~ /^not /); sub(/^(not )?ok [0-9]+ /, "", line)
			reason = ""; if (match(line, / # (SKIP|skip).*/)) {
				reason = substr(line, RSTART + 3); line = substr(line, 1, RSTART - 1); ok = 2 }
			print (ok == 1 ? "PASS" : ok == 2 ? "SKIP" : "FAIL") "\t" prog ": " line "\t" reason
			if (!ok) failed[prog] = 1
			next }
		# A program that failed without a failed test of its own.
		/^not ok [0-9]+ selftests: / {
			p = $5 $6; sub(/:$/, "", p); sub(/:/, "/", p)
			if (!failed[p] || index(plain, " " p " ")) print "FAIL\t" p ": the program\t" $0 }
		/^ok [0-9]+ selftests: / {
			p = $4 $5; sub(/:$/, "", p); sub(/:/, "/", p)
			if (index(plain, " " p " ")) print "PASS\t" p ": the program\t" }
	' "$guest/ktap.log" 2>/dev/null >>"$out/selftests.tsv" || true
	check_kernel_log "guest dmesg free of warnings$suffix" "$guest/dmesg.log" "$out/dmesg-splats-$boot.log"
done

while IFS="$(printf '\t')" read -r status name reason; do
	case $status in
	PASS) record_result PASS "selftests: $name" ;;
	SKIP)
		why=$(glob_field "$top/skips" "$name")
		if [ -n "$why" ]; then
			record SKIP "selftests: $name" "$reason ($why; ./skips)"
		else
			record FAIL "selftests: $name" "unexpected skip, and ./skips does not list it: $reason"
		fi ;;
	*) record_result FAIL "selftests: $name" "${reason:-failed} (log: $out/guest*/ktap.log)" ;;
	esac
done <"$out/selftests.tsv"
while read -r t; do
	grep -qF "	$t	" "$out/selftests.tsv" ||
		record FAIL "selftests: $t" "listed by the binary but did not report (log: $out/guest*/console.log)"
done <"$out/selftests-expected"
results_exit
