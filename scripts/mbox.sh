#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mbox.sh TREE TOP OUTDIR
#
# A postable copy of the series: the patches of TOP/patches re-signed with
# the poster's git identity (From: and Signed-off-by: of the role become
# the poster's, who certifies the DCO by posting), with To:/Cc: from
# scripts/get_maintainer.pl, in OUTDIR/*.patch and OUTDIR/series.mbox.
# Send with: git send-email OUTDIR/*.patch   (or b4 send, see README.md)
set -eu
. "$(dirname "$0")/lib.sh"

tree=$(realpath "$1") top=$(realpath "$2") out=$(realpath -m "$3")
name=$(git -C "$top" config user.name || true)
email=$(git -C "$top" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "set your identity first: git config --global user.name 'Your Name'; git config --global user.email you@example.org"
case $email in *example.invalid) die "post with your own identity, not the role's" ;; esac

rm -rf "$out"; mkdir -p "$out"

# with_recipients PATCH TO CC: PATCH with To: and Cc: after its headers.
with_recipients() {
	sed -n '1,/^$/p' "$1" | sed '$d'
	[ -n "$2" ] && echo "To: $2"
	[ -n "$3" ] && echo "Cc: $3"
	echo
	sed -n '/^$/,$p' "$1" | sed '1d'
}
# join: comma-separated, one of each, from lines or commas.
join() { tr , '\n' | sed 's/^ *//; /^$/d' | sort -u | paste -sd, - | sed 's/,/, /g'; }

to= cc=
for p in $(grep -v '^#' "$top/series"); do
	r=$(cd "$tree" && perl scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
		"$top/patches/$p" 2>/dev/null || true)
	people=$(echo "$r" | grep '<' | join || true)
	lists=$(echo "$r" | grep -v '<' | grep '@' | join || true)
	with_recipients "$top/patches/$p" "$people" "$lists" >"$out/$p"
	to="$to,$people" cc="$cc,$lists"
done
for c in "$top"/patches/*0000-cover-letter.patch; do
	[ -f "$c" ] || continue
	with_recipients "$c" "$(echo "$to" | join)" "$(echo "$cc" | join)" >"$out/$(basename "$c")"
done
sed -i -e "s/^From: $ROLE_NAME <$ROLE_EMAIL>\$/From: $name <$email>/" \
	-e "s/^Signed-off-by: $ROLE_NAME <$ROLE_EMAIL>\$/Signed-off-by: $name <$email>/" \
	-e "s/^$ROLE_NAME (\([0-9]*\)):\$/$name (\1):/" "$out"/*.patch
cat "$out"/*.patch >"$out/series.mbox"
msg "$(ls "$out"/*.patch | wc -l) messages in $out (mbox: $out/series.mbox)"
grep -q "$ROLE_EMAIL" "$out"/*.patch && die "the role identity is still in $out" || true
