#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-harness.sh TREE KBUILD OUTDIR
#
# The harness must fail loudly on bad input and never report a failure as
# a success; check that it does, by failing on purpose:
#  - a KSRC that does not exist, a source package that is gone;
#  - a patch that does not apply (named, with the conflicting file), and a
#    series that fails halfway leaves the tree as it was;
#  - distclean refuses while the tree has commits export has not saved;
#  - export drift, and a base file that differs from the manifest;
#  - a failed, a crashed and an unlisted skipped KUnit case, a warning in
#    KUnit's kernel log (replayed results): run-kunit.sh exits non-zero;
#  - a test program whose listing fails;
#  - an expected failure (xfail) that passes;
#  - a guest that dies, one that hangs (with the test it was running
#    named, and the results before it kept), one without its kernel log,
#    one without its NVDIMM, one without virtio-pmem, a skip that ./skips
#    does not list, and the nfit_test guest without nfit_test.
# Each case records PASS when the step failed with the expected message.
# Exits non-zero when one did not.
set -u
. "$(dirname "$0")/lib.sh"

tree=$1 kbuild=$2 out=$3/harness
top=$(pwd)
mkdir -p "$out"

# expect NAME PATTERN CMD...: CMD must fail and say PATTERN, in its output
# or in the results it recorded.  CMD records in a results file of its own
# (NAME.results), so that its doctored failures do not count in this run.
expect() {
	name=$1 pat=$2; shift 2
	rm -f "$out/$name.results"
	if RESULTS=$out/$name.results "$@" >"$out/$name.log" 2>&1; then
		record FAIL "harness: $name" "succeeded (log: $out/$name.log)"
	elif cat "$out/$name.log" "$out/$name.results" 2>/dev/null | grep -q -- "$pat"; then
		record PASS "harness: $name"
	else
		record FAIL "harness: $name" "no '$pat' in $out/$name.log or .results"
	fi
}

expect "missing KSRC is refused" "KSRC=/nonexistent is not a directory" \
	env KSRC=/nonexistent "$top/scripts/get-source.sh" "$out/no-tree"

expect "a kernel source package gone from the archive is reported" "is not in trixie-backports any more" \
	"$top/scripts/apt-private.sh" "$out/apt" trixie-backports -- linux-source-0.0

# A copy of the series (TOP/series, patches/, scripts/) and a clone of
# the tree to break them in.
copy() {
	rm -rf "$out/top" "$out/tree"
	mkdir -p "$out/top"
	cp -r "$top/series" "$top/patches" "$top/selftests" "$top/scripts" "$out/top/"
	git clone -q --shared "$tree" "$out/tree" &&
		git -C "$out/tree" tag -f "$BASE_TAG" "$BASE_TAG" >/dev/null 2>&1
	cp "$tree/.git/series-applied" "$out/tree/.git/" 2>/dev/null
	git -C "$out/tree" config branch.series.description "$(git -C "$tree" config branch.series.description)"
}
# Corrupt the first context line of the first hunk that changes an
# existing file in patch PATCH of the copy.
corrupt() {
	awk '!done && /^@@ -[1-9]/ { h = 1; print; next }
		h && !done && /^ / { print " this line is not in the base"; done = 1; next }
		{ print }' "$top/patches/$1" >"$out/top/patches/$1"
}

copy
first=$(grep -v '^#' "$top/series" | head -n1)
corrupt "$first"
expect "a patch that does not apply is named" "$first does not apply" \
	sh -c "cd '$out/top' && rm -f '$out/tree/.git/series-applied' && ./scripts/apply-series.sh '$out/tree'"

copy
before=$(git -C "$out/tree" rev-parse series)
mid=$(grep -v '^#' "$top/series" | sed -n 5p)
corrupt "$mid"
expect "a series that fails halfway leaves the tree as it was" "tree unchanged" \
	sh -c "cd '$out/top' && rm -f '$out/tree/.git/series-applied'
		./scripts/apply-series.sh '$out/tree' && exit 0
		[ \"\$(git -C '$out/tree' rev-parse series)\" = $before ] &&
		! git -C '$out/tree' rev-parse -q --verify series.tmp >/dev/null &&
		[ -z \"\$(git -C '$out/tree' status --porcelain --untracked-files=no)\" ] &&
		echo 'tree unchanged'; exit 1"

copy
git -C "$out/tree" commit -q --allow-empty -m "not exported"
expect "distclean refuses unsaved commits" "not in patches/" \
	"$top/scripts/apply-series.sh" --check-saved "$out/tree"

copy
sed -i '$a\
extra line' "$out/top/patches/$first"
expect "export drift fails the series checks" "differs: patches/$first" \
	env CHECK_STEPS=export "$out/top/scripts/check-series.sh" "$out/tree" "$out/top" "$kbuild"

copy
f=$(git -C "$tree" diff --name-only --diff-filter=M "$BASE_TAG" series | head -n1)
sed -i "s|^[0-9a-f]* $f |0000000000000000000000000000000000000000 $f |" "$out/top/scripts/upstream-v7.3.4.blobs"
expect "a base file that is not the manifest's fails" "$f(is " \
	env CHECK_STEPS=base "$out/top/scripts/check-series.sh" "$out/tree" "$out/top" "$kbuild"
rm -rf "$out/top" "$out/tree"

# KUnit: replay the last run's results, doctored.
kj=$3/kunit.json
if [ -s "$kj" ] && [ -s "$kbuild/test.log" ]; then
	r=$out/kunit-replay
	mkdir -p "$r"
	jq '.sub_groups[0].test_cases[0].status = "FAILURE"' "$kj" >"$r/kunit.json"
	cp "$kbuild/test.log" "$r/test.log"
	case=$(jq -r '.sub_groups[0].name + "." + .sub_groups[0].test_cases[0].name' "$kj")
	expect "a failed KUnit case fails make kunit" "FAIL	kunit: $case	FAILURE" \
		env KUNIT_REPLAY="$r" "$top/scripts/run-kunit.sh" "" "$tree" "$r/out" "$top/kunit/suites"
	jq '.sub_groups[0].test_cases[0].status = "ERROR"' "$kj" >"$r/kunit.json"
	expect "a crashed KUnit case fails make kunit" "FAIL	kunit: $case	ERROR" \
		env KUNIT_REPLAY="$r" "$top/scripts/run-kunit.sh" "" "$tree" "$r/out" "$top/kunit/suites"
	jq '.sub_groups[0].test_cases[0].status = "SKIP"' "$kj" >"$r/kunit.json"
	expect "an unlisted KUnit skip fails" "kunit/skips does not list it" \
		env KUNIT_REPLAY="$r" "$top/scripts/run-kunit.sh" "" "$tree" "$r/out" "$top/kunit/suites"
	cp "$kj" "$r/kunit.json"
	echo "[   1.000000] WARNING: CPU: 0 PID: 1 at lib/fake.c:1 a doctored warning" >>"$r/test.log"
	expect "a warning in KUnit's kernel log fails" "kunit kernel log free of warnings	.*lib/fake.c:1 a doctored warning" \
		env KUNIT_REPLAY="$r" "$top/scripts/run-kunit.sh" "" "$tree" "$r/out" "$top/kunit/suites"
	: >"$r/test.log"
	expect "an empty KUnit kernel log fails" "no kernel log captured" \
		env KUNIT_REPLAY="$r" "$top/scripts/run-kunit.sh" "" "$tree" "$r/out" "$top/kunit/suites"
else
	record FAIL "harness: KUnit replays" "no KUnit results to replay ($kj, $kbuild/test.log): run make kunit first"
fi

# A listing that fails is a failure, not an empty program.
expect "a test program whose listing fails is a failure" "list its tests (-l)" \
	sh -c ". '$top/scripts/lib.sh'; list_tests fake/false /bin/false '$out/list'; results_exit"

# An expected failure that passes must be removed from the list.
printf 'selftests: fake: *\tissue 0\tdoctored\n' >"$out/xfail"
expect "an expected failure that passes fails" "passes now: remove it from xfail (issue 0)" \
	env XFAIL_LIST="$out/xfail" sh -c ". '$top/scripts/lib.sh'; record_result PASS 'selftests: fake: a'; results_exit"

img=$kbuild/arch/x86/boot/bzImage
initrd=$3/initramfs-main.cpio
expect "a guest that dies is reported" "the guest died" \
	env GUEST_APPEND=harness=exit "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-exit"
expect "a guest that hangs is reported, by its watchdog" "GUEST-WATCHDOG the tests are still running" \
	env GUEST_APPEND=harness=hang GUEST_TIMEOUT=60 "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-hang"
expect "a hung test is named, the results before it kept" "it was running fake.hang" \
	env GUEST_APPEND=harness=hang-test GUEST_TIMEOUT=90 T=dax_test \
	"$top/scripts/run-selftests.sh" "$tree" "$kbuild" "$out/hung-test" filesystems/dax
n="a hung test is named, the results before it kept"
grep -q '^PASS	selftests: fake/fake: fake.before' "$out/$n.results" 2>/dev/null ||
	record FAIL "harness: the results before a hang are kept" "no PASS for fake.before in $out/$n.results"
expect "a guest without a kernel log fails" "no kernel log captured" \
	env GUEST_APPEND=harness=no-dmesg T=dax_test \
	"$top/scripts/run-selftests.sh" "$tree" "$kbuild" "$out/no-dmesg" filesystems/dax
expect "a missing NVDIMM is reported" "no NVDIMM fsdax namespace" \
	env GUEST_NVDIMM=0 "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-no-nvdimm"
expect "a missing virtio-pmem device is reported" "no virtio-pmem device" \
	env GUEST_VPMEM=0 "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-no-vpmem"
expect "a skip that the skips file does not list fails" "./skips does not list it" \
	env GUEST_APPEND=harness=skip-test T=dax_test \
	"$top/scripts/run-selftests.sh" "$tree" "$kbuild" "$out/skip-test" filesystems/dax
# The nfit_test guest without nfit_test's modules.
"$top/qemu/mkinitramfs.sh" "$out/no-modules.cpio" "$3/kselftest" >/dev/null
expect "a missing nfit_test is reported" "modprobe nfit_test failed" \
	env GUEST_APPEND=harness.bed=nfit "$top/qemu/run-guest.sh" \
	"${NFIT_KBUILD:-$kbuild-nfit}/arch/x86/boot/bzImage" "$out/no-modules.cpio" "$out/guest-no-nfit"
results_exit
