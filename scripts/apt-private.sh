#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# apt-private.sh DIR SUITE... -- PACKAGE...
#
# Download Debian packages from suites this machine does not use (the
# kernel source from trixie-backports, for instance) with a private apt
# configuration under DIR: its own sources list, lists and cache.  The
# system's apt sources are never touched.  The archive is the one the
# system already uses, so no host name is configured here.
set -eu
. "$(dirname "$0")/lib.sh"

dir=$(realpath -m "$1"); shift
suites=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do suites="$suites $1"; shift; done
[ "${1:-}" = "--" ] && shift

mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
	/etc/apt/sources.list 2>/dev/null | grep -v security | head -n1)
[ -n "$mirror" ] || die "no Debian archive found in the system's apt sources"

mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/dl"
: >"$dir/sources.list"
for s in $suites; do
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main" >>"$dir/sources.list"
done
pkgs="$*"
set -- -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" \
	-o APT::Sandbox::User=root
apt-get -q "$@" update >"$dir/update.log" 2>&1 || {
	cat "$dir/update.log" >&2; die "apt-get update failed for suites:$suites"; }
for p in $pkgs; do
	ver=$(apt-cache "$@" policy "$p" | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		die "package $p is not in$suites any more; use your own kernel tree: make KSRC=/path/to/linux-7.3.4"
	fi
	ls "$dir/dl/${p}_"*.deb >/dev/null 2>&1 && continue
	msg "downloading $p $ver"
	(cd "$dir/dl" && apt-get -q "$@" download "$p" >"$dir/download-$p.log" 2>&1) || {
		cat "$dir/download-$p.log" >&2; die "could not download $p"; }
done
