#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio KSELFTEST_DIR [BENCH_DIR]
#
# A busybox initramfs with the host's pmem and filesystem tools (and the
# shared libraries they need), the installed kselftests, optionally a
# benchmark directory (as /bench), and qemu/init.  GUEST_MODULES=DIR adds
# the kernel modules installed in DIR (DIR/lib/modules/RELEASE, with its
# modules.dep), for the nfit_test guest.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

out=$(realpath -m "$1")
kst=$(realpath "$2")
root=$out.d
tools="ndctl daxctl dmsetup mkfs.xfs xfs_io mkfs.ext4 e2fsck"

rm -rf "$root"
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/mnt"

cp /bin/busybox "$root/bin/busybox"
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || \
	ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || die "/bin/busybox is not static (install busybox-static)"

# copy_libs FILE: the shared libraries FILE loads, at their host paths.
copy_libs() {
	ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
	while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# copy_bin FILE: FILE and its libraries, at their host paths.
copy_bin() {
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	copy_libs "$1"
}

for t in $tools; do
	p=$(command -v "$t") || die "$t not found on the host (run make deps)"
	copy_bin "$p"
	ln -sf "$p" "$root/bin/$t" 2>/dev/null || true
done
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"

cp -a "$kst" "$root/kselftest"
[ -z "${3:-}" ] || cp -a "$3" "$root/bench"
find "$root/kselftest" "$root/bench" -type f -perm -u+x 2>/dev/null | while read -r f; do
	if file "$f" | grep -q ELF; then copy_libs "$f"; fi
done

if [ -n "${GUEST_MODULES:-}" ]; then
	[ -d "$GUEST_MODULES/lib/modules" ] || die "no modules in $GUEST_MODULES (make kernel-nfit)"
	mkdir -p "$root/lib"
	cp -a "$GUEST_MODULES/lib/modules" "$root/lib/"
fi

cp "$(dirname "$0")/init" "$root/init"
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
msg "initramfs: $(du -h "$out" | cut -f1) ($out)"
