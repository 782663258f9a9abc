#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-series.sh TREE TOP KBUILD
#
# What a maintainer checks before reading a series:
#  1. patches/, series and selftests/ are what `make export` makes of TREE;
#  2. every file the series modifies is upstream v7.3.4's (Debian's tarball
#     carries Debian's patches; users `git am` onto upstream);
#  3. scripts/checkpatch.pl --strict: no error, no warning;
#  4. every patch builds on its own: the objects it touches, or the whole
#     kernel when it touches a header or Kconfig, and its kselftests.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1 top=$2 kbuild=$3
log=$kbuild/out/check
mkdir -p "$log"

# 1. Generated files up to date.
norm() {	# drop what depends on the machine: commit IDs, git version
	sed -e 's/^From [0-9a-f]\{40\} /From X /' -e 's/^base-commit: .*/base-commit: X/' \
	    -e '/^-- $/{n;s/.*/GIT-VERSION/}' "$1"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

# 2. Files the series modifies are upstream v7.3.4's.
manifest=$top/scripts/upstream-v7.3.4.blobs
bad=
for f in $(git -C "$tree" diff --name-only --diff-filter=MDR "$BASE_TAG" series); do
	want=$(awk -v f="$f" '$2 == f { print $1 }' "$manifest")
	have=$(git -C "$tree" rev-parse "$BASE_TAG:$f")
	if [ -z "$want" ]; then
		bad="$bad $f(not in $(basename "$manifest"))"
	elif [ "$want" != "$have" ]; then
		bad="$bad $f(is $have, upstream $want)"
	fi
done
if [ -z "$bad" ]; then
	record PASS "series: the files it modifies are upstream $BASE_TAG's"
else
	record FAIL "series: the files it modifies are upstream $BASE_TAG's" "$bad"
fi

# 3. checkpatch --strict on every patch.
for p in $(grep -v '^#' "$top/series"); do
	(cd "$tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict "$top/patches/$p") \
		>"$log/checkpatch-$p.log" 2>&1 || true
	total=$(grep '^total:' "$log/checkpatch-$p.log" || echo "total: ? errors")
	if echo "$total" | grep -q '^total: 0 errors, 0 warnings'; then
		record PASS "checkpatch --strict: $p"
	else
		record FAIL "checkpatch --strict: $p" "$total (log: $log/checkpatch-$p.log)"
	fi
done

# 4. Every patch builds on its own.
"$(dirname "$0")/build-each.sh" "$tree" "$kbuild" "$log"
