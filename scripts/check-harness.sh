#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-harness.sh TREE KBUILD OUTDIR
#
# The harness must fail loudly on bad input; check that it does:
#  - a KSRC that does not exist, a source package that is gone;
#  - a patch that does not apply (named, with the conflicting file);
#  - a guest that dies (init exits: the kernel panics);
#  - a guest that hangs (timeout);
#  - a guest without its NVDIMM.
# Each case records PASS when the step failed with the expected message.
set -u
. "$(dirname "$0")/lib.sh"

tree=$1 kbuild=$2 out=$3/harness
top=$(pwd)
mkdir -p "$out"

# expect NAME PATTERN CMD...: CMD must fail and say PATTERN.
expect() {
	name=$1 pat=$2; shift 2
	if "$@" >"$out/$name.log" 2>&1; then
		record FAIL "harness: $name" "succeeded (log: $out/$name.log)"
	elif grep -q "$pat" "$out/$name.log"; then
		record PASS "harness: $name"
	else
		record FAIL "harness: $name" "no '$pat' in $out/$name.log"
	fi
}

expect "missing KSRC is refused" "KSRC=/nonexistent is not a directory" \
	env KSRC=/nonexistent "$top/scripts/get-source.sh" "$out/no-tree"

expect "a kernel source package gone from the archive is reported" "is not in trixie-backports any more" \
	"$top/scripts/apt-private.sh" "$out/apt" trixie-backports -- linux-source-0.0

# A copy of the series whose first patch no longer applies.
rm -rf "$out/bad-series" "$out/bad-tree"
mkdir -p "$out/bad-series"
cp -r "$top/series" "$top/patches" "$out/bad-series/"
first=$(grep -v '^#' "$top/series" | head -n1)
# Corrupt the first context line of the first hunk that changes an existing file.
awk '!done && /^@@ -[1-9]/ { h = 1; print; next }
	h && !done && /^ / { print " this line is not in the base"; done = 1; next }
	{ print }' "$top/patches/$first" >"$out/bad-series/patches/$first"
git clone -q --shared "$tree" "$out/bad-tree" && git -C "$out/bad-tree" tag -f "$BASE_TAG" "$BASE_TAG" >/dev/null 2>&1
expect "a patch that does not apply is named" "$first does not apply" \
	sh -c "cd '$out/bad-series' && '$top/scripts/apply-series.sh' '$out/bad-tree'"
rm -rf "$out/bad-tree"

img=$kbuild/arch/x86/boot/bzImage
initrd=$3/initramfs.cpio
expect "a guest that dies is reported" "the guest died" \
	env GUEST_APPEND=harness=exit "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-exit"
expect "a guest that hangs is reported" "the guest hung" \
	env GUEST_APPEND=harness=hang GUEST_TIMEOUT=30 "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-hang"
expect "a missing NVDIMM is reported" "no NVDIMM fsdax namespace" \
	env GUEST_NVDIMM=0 "$top/qemu/run-guest.sh" "$img" "$initrd" "$out/guest-no-nvdimm"
