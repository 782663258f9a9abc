#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-series.sh TREE TOP KBUILD
#
# What a maintainer checks before reading a series:
#  export      patches/, series and selftests/ are what `make export`
#              makes of TREE;
#  base        every file the series modifies is upstream v7.3.4's
#              (Debian's tarball carries Debian's patches; users `git am`
#              onto upstream);
#  checkpatch  scripts/checkpatch.pl --strict: no error, no warning (on a
#              tree without upstream history, commit IDs are not looked up);
#  build       every patch builds on its own: the objects it touches, or
#              the whole kernel when it touches a header or Kconfig, and
#              its kselftests.
# CHECK_STEPS=export,base,... runs some of them (the self-checks run one
# at a time on doctored copies).  Exits non-zero when one failed.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1 top=$2 kbuild=$3
log=$kbuild/out/check
mkdir -p "$log"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_export() {
	# Drop what depends on the machine: commit IDs, git version.
	norm() {
		sed -e 's/^From [0-9a-f]\{40\} /From X /' -e 's/^base-commit: .*/base-commit: X/' \
		    -e '/^-- $/{n;s/.*/GIT-VERSION/}' "$1"
	}
	"$(dirname "$0")/export.sh" "$tree" "$tmp"
	drift=
	for f in series $(cd "$tmp" && find patches selftests -type f) \
		 $(cd "$top" && find patches selftests -type f); do
		[ -f "$top/$f" ] && [ -f "$tmp/$f" ] && norm "$top/$f" >"$tmp/.a" &&
			norm "$tmp/$f" >"$tmp/.b" && cmp -s "$tmp/.a" "$tmp/.b" && continue
		drift="$drift $f"
	done
	if [ -z "$drift" ]; then
		record PASS "series: patches/, series and selftests/ match 'make export'"
	else
		record FAIL "series: patches/, series and selftests/ match 'make export'" \
			"differs:$(echo "$drift" | tr ' ' '\n' | sort -u | tr '\n' ' ') (edit in build/linux, then make export)"
	fi
}

# The manifest says where each blob ID was verified: "upstream" (in an
# upstream clone) or "debian" (read from Debian's import only, which cannot
# tell a file that Debian patched).  A base cloned from an upstream git
# tree (KSRC=) checks every entry and records the verified ones in the
# manifest.
check_base() {
	manifest=$top/scripts/upstream-v7.3.4.blobs
	origin=$(cut -d' ' -f1 "$tree/.git/base-origin" 2>/dev/null || echo unknown)
	bad= unverified= verified=0
	for f in $(git -C "$tree" diff --no-renames --name-only --diff-filter=MD "$BASE_TAG" series); do
		want=$(awk -v f="$f" '$2 == f { print $1 }' "$manifest")
		where=$(awk -v f="$f" '$2 == f { print $3 }' "$manifest")
		have=$(git -C "$tree" rev-parse "$BASE_TAG:$f")
		if [ -z "$want" ]; then
			bad="$bad $f(not in $(basename "$manifest"))"
		elif [ "$want" != "$have" ]; then
			bad="$bad $f(is $have, upstream $want)"
		elif [ "$where" = upstream ]; then
			verified=$((verified + 1))
		elif [ "$origin" = upstream-git ]; then
			awk -v f="$f" '$2 == f && $3 == "debian" { $3 = "upstream" } { print }' \
				"$manifest" >"$tmp/manifest" && cat "$tmp/manifest" >"$manifest"
			verified=$((verified + 1))
			msg "verified $f in the upstream clone (recorded in $manifest)"
		else
			unverified="$unverified $f"
		fi
	done
	if [ -z "$bad" ]; then
		record PASS "series: the files it modifies match the $BASE_TAG manifest"
	else
		record FAIL "series: the files it modifies match the $BASE_TAG manifest" "$bad"
	fi
	if [ -n "$unverified" ]; then
		record SKIP "series: base files verified against upstream $BASE_TAG" \
			"$verified verified; unverified, known only from Debian's import (make test KSRC=<upstream clone> verifies):$unverified"
	else
		record PASS "series: base files verified against upstream $BASE_TAG"
	fi
}

check_checkpatch() {
	# A tree imported from Debian has one commit for all of v7.3.4, so
	# checkpatch cannot look up the upstream commits that Fixes: tags
	# name; an upstream clone (KSRC=) can, and then they are checked.
	ignore=
	if [ "$(git -C "$tree" rev-list --count "$BASE_TAG" 2>/dev/null || echo 0)" -le 1 ]; then
		ignore="--ignore UNKNOWN_COMMIT_ID"
		ids=$(cd "$top/patches" && grep -ho '^Fixes: [0-9a-f]*' $(grep -v '^#' "$top/series") | cut -d' ' -f2 | sort -u | tr '\n' ' ')
		[ -z "$ids" ] || record SKIP "checkpatch --strict: commit IDs of Fixes: tags" \
			"not looked up: $BASE_TAG has no upstream history here ($ids); make test KSRC=<upstream clone> checks them"
	fi
	for p in $(grep -v '^#' "$top/series"); do
		# shellcheck disable=SC2086
		(cd "$tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict $ignore "$top/patches/$p") \
			>"$log/checkpatch-$p.log" 2>&1 || true
		total=$(grep '^total:' "$log/checkpatch-$p.log" || echo "total: ? errors")
		if echo "$total" | grep -q '^total: 0 errors, 0 warnings'; then
			record PASS "checkpatch --strict: $p"
		else
			record FAIL "checkpatch --strict: $p" "$total (log: $log/checkpatch-$p.log)"
		fi
	done
}

check_build() {
	"$(dirname "$0")/build-each.sh" "$tree" "$kbuild" "$log" ||
		RECORDED_FAILS=$((RECORDED_FAILS + 1))
}

for s in $(echo "${CHECK_STEPS:-export,base,checkpatch,build}" | tr , ' '); do
	"check_$s"
done
results_exit
