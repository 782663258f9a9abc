#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-nfit.sh TREE KBUILD KUNIT_ARGS
#
# The kernel of the nfit_test guest: the guest's configuration with the
# persistent memory drivers as modules (qemu/nfit.config), built with
# kunit.py like the main kernel (which checks every config line), and then
# nfit_test (tools/testing/nvdimm): libnvdimm, nfit, nd_pmem, device-dax
# rebuilt against the tree, wrapping the platform so that its emulated
# NVDIMM bus has address range scrub and a clear-error command.  Only
# those modules are installed, in KBUILD/modules, so that the guest cannot
# load the in-tree drivers instead.
set -eu
. "$(dirname "$0")/lib.sh"

tree=$1 kbuild=$2 kunit_args=$3
log=$kbuild/build.log
mods=$kbuild/modules
# KBUILD/.nfit-ok: the kernel and the modules of this build are complete;
# run-selftests.sh boots the nfit_test guest only then.
ok=$kbuild/.nfit-ok
mkdir -p "$kbuild"
rm -f "$ok"

# fail WHY: recorded, so that `make test` fails even though the main guest
# runs on.
fail() {
	[ ! -s "$log" ] || tail -n 40 "$log"
	record FAIL "kernel-nfit: build" "$1 (log: $log)"
	results_exit
}

msg "building the nfit_test kernel in $kbuild (log: $log)"
# shellcheck disable=SC2086
(cd "$tree" && eval python3 tools/testing/kunit/kunit.py build $kunit_args) >"$log" 2>&1 ||
	fail "the nfit_test kernel did not build"

# MO= at the same depth as M=: its Kbuild reaches the drivers' sources
# through ../../../drivers, and their objects land under MO/../../../.
make="make -C $tree O=$kbuild CC=ccache\ gcc -j$(nproc) M=tools/testing/nvdimm MO=$kbuild/nvdimm-test/tools/testing/nvdimm"
rm -rf "$mods"
# shellcheck disable=SC2086
{ eval $make && eval $make INSTALL_MOD_PATH="$mods" INSTALL_MOD_STRIP=1 DEPMOD=true modules_install; } >>"$log" 2>&1 ||
	fail "nfit_test's modules (tools/testing/nvdimm) did not build"
release=$(cat "$kbuild/include/config/kernel.release") || fail "no kernel.release in $kbuild"
# What is built in, for depmod; no load order (modprobe follows the
# dependencies).
cp "$kbuild/modules.builtin" "$kbuild/modules.builtin.modinfo" "$mods/lib/modules/$release/" ||
	fail "no modules.builtin in $kbuild"
: >"$mods/lib/modules/$release/modules.order"
depmod -b "$mods" "$release" || fail "depmod of the nfit_test modules failed"
for m in nfit_test nfit_test_iomap libnvdimm nfit nd_pmem nd_btt device_dax dax_pmem; do
	find "$mods" -name "$m.ko" | grep -q . || fail "the nfit_test build did not install $m.ko"
done
touch "$ok"
msg "nfit_test modules: $(find "$mods" -name '*.ko' | wc -l) in $mods"
