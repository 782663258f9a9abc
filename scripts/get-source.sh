#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# get-source.sh TREE
#
# Make TREE a git tree whose commit tagged v7.3.4 is the base of the series:
#  - KSRC=/path/to/git/tree with a v7.3.4 tag: cloned (shared objects);
#  - KSRC=/path/to/unpacked/linux-7.3.4: imported as one commit;
#  - otherwise Debian's linux-source-7.3 from trixie-backports, downloaded
#    with a private apt configuration and imported as one commit.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1
build=$(dirname "$tree")

if git -C "$tree" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null 2>&1; then
	exit 0
fi
rm -rf "$tree"

# import_dir DIR: commit the unpacked source DIR as $BASE_TAG.
import_dir() {
	src=$1
	v=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$src/Makefile" | paste -sd.)
	[ "v$v" = "$BASE_TAG" ] || die "$src is Linux $v, the series is based on $BASE_TAG"
	msg "importing $src as $BASE_TAG into $tree"
	mv "$src" "$tree"
	# Debian's tarball appends a packaging block to .gitignore that
	# ignores every top-level path; upstream's file ends before it.
	n=$(grep -n '^# Debian packaging' "$tree/.gitignore" | cut -d: -f1 || true)
	[ -z "$n" ] || sed -i "$((n - 2)),\$d" "$tree/.gitignore"
	role_env
	export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
	git -C "$tree" init -q -b base
	git -C "$tree" add -A -f
	git -C "$tree" commit -q -m "Linux $v (imported from $2)"
	git -C "$tree" tag "$BASE_TAG"
	n=$(git -C "$tree" ls-files | wc -l)
	[ "$n" -gt 50000 ] || die "import of $src committed only $n files"
}

if [ -n "${KSRC:-}" ]; then
	[ -d "$KSRC" ] || die "KSRC=$KSRC is not a directory"
	if git -C "$KSRC" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null 2>&1; then
		msg "cloning $KSRC (shared objects) into $tree"
		git clone -q --shared --no-checkout "$KSRC" "$tree"
		git -C "$tree" checkout -q "$BASE_TAG"
		echo "upstream-git $KSRC" >"$tree/.git/base-origin"
		exit 0
	fi
	[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is neither a git tree with tag $BASE_TAG nor a kernel source directory"
	tmp=$build/ksrc.tmp
	rm -rf "$tmp"; mkdir -p "$tmp"
	msg "copying $KSRC"
	cp -a "$KSRC/." "$tmp/"
	rm -rf "$tmp/.git"
	import_dir "$tmp" "$KSRC"
	echo "directory $KSRC" >"$tree/.git/base-origin"
	exit 0
fi

"$(dirname "$0")/apt-private.sh" "$build/apt" trixie-backports -- linux-source-7.3
deb=$(ls "$build"/apt/dl/linux-source-7.3_*.deb | tail -n1)
tmp=$build/src.tmp
rm -rf "$tmp"; mkdir -p "$tmp"
msg "unpacking $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-7.3.tar.xz
tar -xf "$tmp/usr/src/linux-source-7.3.tar.xz" -C "$tmp"
rm -f "$tmp/usr/src/linux-source-7.3.tar.xz"
import_dir "$tmp/linux-source-7.3" "Debian $(basename "$deb" .deb)"
echo "debian $(basename "$deb" .deb)" >"$tree/.git/base-origin"
rm -rf "$tmp"
