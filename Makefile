# SPDX-License-Identifier: GPL-2.0
#
# Direct access without stale caches: the patch series and its test harness.
#
#   Debian linux-source-7.3 (or KSRC=)  --make source-->  build/linux @ v7.3.4
#   patches/ + series                    --make tree-->    build/linux @ series
#   qemu/guest.config + kunit/           --make kernel-->  build/kernel (for kunit.py,
#     + qemu/pmem.config                                   the series checks and the guest)
#   qemu/guest.config + qemu/nfit.config --make kernel-nfit--> build/kernel-nfit (the
#     + tools/testing/nvdimm                               nfit_test guest)
#   kunit.py run                         --make kunit-->   KUnit results
#   selftests in build/linux + qemu/     --make selftests-> guest with NVDIMM + pmem
#
# `make test` runs everything and ends with "N passed, N failed, N skipped";
# `make run` boots the guest and shows what works.  See README.md.

SHELL := /bin/bash
BUILD := $(CURDIR)/build
TREE := $(BUILD)/linux
JOBS ?= $(shell nproc)

# VARIANT=debug: the same tests on a lockdep + KASAN + DEBUG_VM kernel.
VARIANT ?=
# Two kernels: KBUILD (KUnit, the per-patch builds and the main guest, the
# pmem drivers built in) and NFIT_KBUILD (the nfit_test guest: the same
# guest, the pmem drivers as the modules that nfit_test rebuilds).
ifeq ($(VARIANT),debug)
KBUILD := $(BUILD)/kernel-debug
KCONFIGS := kunit qemu/guest.config qemu/pmem.config qemu/debug.config
NFIT_KCONFIGS := qemu/guest.config qemu/nfit.config qemu/debug.config
GUEST_TIMEOUT ?= 3600
else
KBUILD := $(BUILD)/kernel
KCONFIGS := kunit qemu/guest.config qemu/pmem.config
NFIT_KCONFIGS := qemu/guest.config qemu/nfit.config
GUEST_TIMEOUT ?= 1800
endif
export NFIT_KBUILD := $(KBUILD)-nfit
OUT := $(KBUILD)/out
export RESULTS := $(OUT)/results.tsv
export GUEST_TIMEOUT

# ccache keyed independently of the checkout's path: a fresh clone elsewhere
# (CI) hits the objects that another checkout compiled.
export CCACHE_BASEDIR := $(BUILD)
export CCACHE_NOHASHDIR := 1
# The accelerator (KVM when a KVM guest really starts, TCG otherwise) is
# probed once per run, see scripts/accel.sh.
export ACCEL_CACHE := $(OUT)/accel

KUNIT := cd $(TREE) && python3 tools/testing/kunit/kunit.py
KUNIT_CONFIG_ARGS := --arch=x86_64 --build_dir=$(KBUILD) --make_options 'CC=ccache gcc' \
	$(foreach c,$(KCONFIGS),--kunitconfig=$(CURDIR)/$(c))
KUNIT_ARGS := $(KUNIT_CONFIG_ARGS) --jobs=$(JOBS)
NFIT_KUNIT_ARGS := --arch=x86_64 --build_dir=$(NFIT_KBUILD) --make_options 'CC=ccache gcc' \
	$(foreach c,$(NFIT_KCONFIGS),--kunitconfig=$(CURDIR)/$(c)) --jobs=$(JOBS)
BZIMAGE := $(KBUILD)/arch/x86/boot/bzImage
SELFTESTS := cachestat filesystems/dax
# make selftests T=dio_stale_test, T=dio_poll or T=dio.xfs_nullblk: one test
# program, fixture or fixture.variant (a prefix of "fixture.variant.test").
export T

# One step at a time: the series checks check out old commits of build/linux
# in the kernel's build directory.
.NOTPARALLEL:

.PHONY: all deps source tree export config check check-harness kernel kernel-nfit kunit selftests shell \
	run test bench bench-nostale bench-badblocks bench-mapdirect repro-cachestat test-debug mbox clean distclean

all: run

# Host packages (Debian), installed once.
deps: $(BUILD)/.deps
$(BUILD)/.deps: scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

# The v7.3.4 base: Debian's linux-source-7.3 via a private apt config, or KSRC=.
source: deps
	@scripts/get-source.sh $(TREE)

# build/linux = v7.3.4 + patches/ (in the order of `series`), with git am.
tree: source
	@scripts/apply-series.sh $(TREE)

# patches/, series and selftests/ regenerated from build/linux's commits.
export:
	@scripts/export.sh $(TREE) $(CURDIR) --stamp

# The kernel configuration alone (kunit.py checks every config line).
config: tree
	@mkdir -p $(KBUILD)
	@$(KUNIT) config $(KUNIT_CONFIG_ARGS) >$(KBUILD)/config.log 2>&1 || \
		{ tail -n 40 $(KBUILD)/config.log; echo "error: kernel configuration failed"; exit 1; }

# Series hygiene: export up to date, base files upstream, checkpatch
# --strict, and every patch builds on its own (in series order, in the
# kernel's build directory, so that the tip is built when it ends).
check: config
	@scripts/check-series.sh $(TREE) $(CURDIR) $(KBUILD)

# The harness itself: bad input and dead or hung guests fail loudly.
check-harness: selftests
	@scripts/check-harness.sh $(TREE) $(KBUILD) $(OUT)

# One kernel for KUnit and the guest (kunit.py checks every config line).
kernel: tree
	@echo "==> building the kernel in $(KBUILD) (log: $(KBUILD)/build.log)"
	@mkdir -p $(KBUILD)
	@$(KUNIT) build $(KUNIT_ARGS) >$(KBUILD)/build.log 2>&1 || \
		{ tail -n 40 $(KBUILD)/build.log; echo "error: kernel build failed"; exit 1; }

# The nfit_test guest's kernel, and nfit_test's modules in NFIT_KBUILD/modules.
kernel-nfit: tree
	@scripts/build-nfit.sh $(TREE) $(NFIT_KBUILD) "$(NFIT_KUNIT_ARGS)"

kunit: kernel
	@scripts/run-kunit.sh "$(KUNIT_ARGS)" $(TREE) $(OUT) kunit/suites

# kselftests built against build/linux's headers, run in the guests: the
# main one, and the nfit_test one for the tests of nfit_test's bus.  A
# kernel-nfit that fails is recorded, and the main guest runs all the same
# (run-selftests.sh fails the nfit_test tests without their kernel).
selftests: kernel
	-@$(MAKE) --no-print-directory kernel-nfit
	@scripts/run-selftests.sh $(TREE) $(KBUILD) $(OUT) $(SELFTESTS)

# The guest with every device, and a shell on its console instead of the
# tests (the kselftests are in /kselftest; exit to power off).
# GUEST_BED=nfit: the nfit_test guest.
shell: kernel
	@[ "$${GUEST_BED:-}" != nfit ] || $(MAKE) --no-print-directory kernel-nfit
	@GUEST_SHELL=1 scripts/run-selftests.sh $(TREE) $(KBUILD) $(OUT) $(SELFTESTS)

run: deps
	@scripts/results.sh reset
	@$(MAKE) --no-print-directory -k kunit selftests; rc=$$?; \
	  scripts/summary.sh $(OUT); scripts/results.sh summary $$rc

test: deps
	@scripts/results.sh reset
	@$(MAKE) --no-print-directory -k check kunit selftests check-harness; \
	  scripts/results.sh summary $$?

# The debug kernel runs the same KUnit suites and selftests; the series
# checks (export, checkpatch, per-patch builds) do not depend on the
# kernel configuration, so `make test` alone runs them.
test-debug: deps
	@$(MAKE) --no-print-directory run VARIANT=debug

# Benchmarks (not timed tests): feature 1, the series against v7.3.4;
# feature 2, media errors on DAX, the series against v7.3.4;
# feature 3, MAP_DIRECT against plain DAX mappings on the series kernel.
bench: bench-nostale bench-badblocks bench-mapdirect
bench-nostale: kernel
	@scripts/bench-nostale.sh $(TREE) $(KBUILD) $(BUILD)/bench
bench-badblocks: kernel
	@scripts/bench-badblocks.sh $(TREE) $(KBUILD) $(BUILD)/bench-badblocks
bench-mapdirect: kernel
	@scripts/bench-mapdirect.sh $(KBUILD) $(BUILD)/bench-mapdirect

# The cachestat(2) oops on DAX files that the first patch fixes, on v7.3.4.
repro-cachestat: kernel
	@scripts/repro-cachestat.sh $(TREE) $(KBUILD) $(BUILD)/repro-cachestat

# A postable copy of the series in build/mbox, re-signed by the poster.
mbox: tree
	@scripts/mbox.sh $(TREE) $(CURDIR) $(BUILD)/mbox

clean:
	rm -rf $(BUILD)/kernel $(BUILD)/kernel-debug $(BUILD)/kernel-nfit $(BUILD)/kernel-debug-nfit \
		$(BUILD)/mbox

# Refuses while build/linux has commits that `make export` has not saved.
distclean:
	@scripts/apply-series.sh --check-saved $(TREE)
	rm -rf $(BUILD)
