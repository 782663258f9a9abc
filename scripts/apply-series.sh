#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# apply-series.sh TREE
# apply-series.sh --check-saved TREE
#
# Put branch "series" of TREE at v7.3.4 + the patches listed in ./series,
# applied with git am as the role identity (commit IDs are then the same
# on every machine).  The cover letter's text becomes the branch
# description, which `make export` turns back into the cover letter.
#
# Nothing is lost: a dirty tree is refused, and commits made in TREE since
# the last `make tree` are refused until `make export` has saved them
# (FORCE=1 discards them, keeping a backup ref, and always re-applies).
# The series is applied on a temporary branch: "series" moves only once
# every patch applied, so a patch that fails leaves the tree as it was.
# --check-saved only checks that TREE has no unsaved commits (distclean).
set -eu
. "$(dirname "$0")/lib.sh"

check_only=
[ "$1" = --check-saved ] && { check_only=1; shift; }
tree=$1
top=$(pwd)
stamp=$tree/.git/series-applied

if [ -n "$check_only" ]; then
	head=$(git -C "$tree" rev-parse -q --verify refs/heads/series 2>/dev/null || true)
	[ -n "$head" ] || exit 0
	[ -f "$stamp" ] && [ "$head" = "$(cut -d' ' -f2 "$stamp")" ] && [ "${FORCE:-0}" != 1 ] &&
		[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] && exit 0
	[ "${FORCE:-0}" = 1 ] && exit 0
	die "$tree has commits or changes that are not in patches/: run 'make export' to keep them, or FORCE=1 to discard them"
fi

if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	die "$tree has uncommitted changes: commit them and run 'make export', or discard them"
fi
for p in $(grep -v '^#' series); do
	[ -f "patches/$p" ] || die "series lists patches/$p, which does not exist"
done

fp=$(series_fingerprint .)
head=$(git -C "$tree" rev-parse -q --verify refs/heads/series || true)
if [ -f "$stamp" ] && [ -n "$head" ]; then
	read -r old_fp old_head <"$stamp"
	if [ "$head" = "$old_head" ] && [ "$fp" = "$old_fp" ] && [ "${FORCE:-0}" != 1 ] &&
	   [ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/series ]; then
		exit 0
	fi
	if [ "$head" != "$old_head" ] && [ "${FORCE:-0}" != 1 ]; then
		die "$tree has commits that are not in patches/: run 'make export' to keep them, or FORCE=1 to discard them"
	fi
fi
[ -n "$head" ] && git -C "$tree" update-ref "refs/backup/series-$(date +%Y%m%d-%H%M%S)" "$head"

msg "applying the series to $BASE_TAG"
git -C "$tree" checkout -q -f -B series.tmp "$BASE_TAG"
role_env
n=0
for p in $(grep -v '^#' series); do
	if ! git -C "$tree" am -q --committer-date-is-author-date "$top/patches/$p" >"$tree/.git/am.log" 2>&1; then
		files=$(sed -n 's/^error: patch failed: \([^:]*\):.*/\1/p; s/^error: \([^:]*\): does not exist in index/\1/p; s/^error: \([^:]*\): already exists in index/\1/p' "$tree/.git/am.log" | sort -u | tr '\n' ' ')
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		# Back to the branch as it was; nothing half-applied stays.
		if [ -n "$head" ]; then
			git -C "$tree" checkout -q -f series
		else
			git -C "$tree" checkout -q -f --detach "$BASE_TAG"
		fi
		git -C "$tree" branch -q -D series.tmp
		cat "$tree/.git/am.log" >&2
		die "patches/$p does not apply to $BASE_TAG${files:+ + the patches before it: conflict in $files}"
	fi
	n=$((n + 1))
done
git -C "$tree" checkout -q -B series
git -C "$tree" branch -q -D series.tmp

# The cover letter's subject and text, between its headers and the
# shortlog, become the branch description (see scripts/export.sh).
cover=$(ls patches/*0000-cover-letter.patch 2>/dev/null | head -n1 || true)
if [ -n "$cover" ]; then
	{
		# The Subject header, unfolded (RFC 5322: continuation lines
		# start with white space).
		awk '/^Subject: / { s = $0; getline
				while (/^[ \t]/) { sub(/^[ \t]+/, " "); s = s $0; getline }
				sub(/^Subject: \[[^]]*\] /, "", s); print s; exit }' "$cover"
		echo
		awk -v role="$ROLE_NAME (" 'body && index($0, role) == 1 { exit }
			body { print }
			/^$/ && !body { body = 1 }' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
	} >"$tree/.git/series-description"
	git -C "$tree" config branch.series.description "$(cat "$tree/.git/series-description")"
fi
write_stamp "$tree" .
msg "build/linux: $BASE_TAG + $n patches"
