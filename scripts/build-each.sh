#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-each.sh TREE KBUILD LOGDIR
#
# Bisectability: check out each commit of the series in turn and build
# what it touches in the configured KBUILD: the .o of every C file, the
# whole kernel when it touches a header, Kconfig, Makefile or Kbuild file,
# and every kselftest directory it touches.  Records one result a patch;
# exits non-zero when one failed.  In series order from the base, so that
# the build directory ends at the tip of the series, ready for make kernel.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1 kbuild=$2 log=$3
[ -f "$kbuild/.config" ] || die "$kbuild is not configured (make kernel)"
make="make -C $tree O=$kbuild -j$(nproc) CC=ccache\ gcc"

cp "$kbuild/.config" "$log/config.saved"
restore() {
	git -C "$tree" checkout -q series
	cp "$log/config.saved" "$kbuild/.config"
}
trap restore EXIT

i=0
for c in $(git -C "$tree" rev-list --reverse "$BASE_TAG..series"); do
	i=$((i + 1))
	subj=$(git -C "$tree" log -1 --format=%s "$c")
	name=$(printf '%04d' "$i")
	files=$(git -C "$tree" diff-tree --no-commit-id --name-only -r --diff-filter=AMR "$c")
	objs= full= kst=
	for f in $files; do
		case $f in
		tools/testing/selftests/*/*)
			d=${f#tools/testing/selftests/}; d=${d%/*}
			kst="$kst $d" ;;
		tools/* | Documentation/* | MAINTAINERS) ;;
		*.c) objs="$objs ${f%.c}.o" ;;
		*) full=1 ;;	# headers, Kconfig, Makefiles, assembly, scripts
		esac
	done
	git -C "$tree" checkout -q "$c"
	cp "$log/config.saved" "$kbuild/.config"
	what= ok=1
	{
		eval "$make olddefconfig" >/dev/null
		if [ -n "$full" ]; then
			what="kernel"; eval "$make" || ok=0
		elif [ -n "$objs" ]; then
			what="$objs"; eval "$make $objs" || ok=0
		fi
		if [ -n "$kst" ]; then
			eval "$make headers" >/dev/null || ok=0
			for d in $(echo "$kst" | tr ' ' '\n' | sort -u); do
				what="$what selftests/$d"
				mkdir -p "$kbuild/kselftest-each/$d"
				make -C "$tree/tools/testing/selftests/$d" \
					KHDR_INCLUDES="-isystem $kbuild/usr/include" \
					OUTPUT="$kbuild/kselftest-each/$d" || ok=0
			done
		fi
	} >"$log/build-$name.log" 2>&1
	if [ "$ok" = 1 ]; then
		record PASS "builds on its own: $name $subj${what:+ ($what)}"
	else
		record FAIL "builds on its own: $name $subj" "log: $log/build-$name.log"
	fi
done
results_exit
