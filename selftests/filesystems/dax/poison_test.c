// SPDX-License-Identifier: GPL-2.0
/*
 * DAX media errors over a pmem page that a machine check consumed.
 *
 * badblocks_test.c lists a sector bad the way a platform's scrub does: the
 * page stays in the kernel's direct map and nothing but the list changes.
 * When the CPU consumes poison, more happens: memory_failure() marks the
 * page PageHWPoison and, on x86, set_mce_nospec() takes it out of the
 * direct map, so the kernel must not touch it again until no bad sector is
 * left in it.  The documented semantics (Documentation/filesystems/dax.rst,
 * "Handling Media Errors") are still those of the sector, not the page:
 *
 *  - a read of good sectors of the page returns their data; a read that
 *    runs into the bad sector is short and ends exactly at it; a read that
 *    starts in it fails with EIO;
 *  - a write of exactly the bad sector clears it and stores its data, and
 *    the page can be mapped again;
 *  - hole punch and zero range over the page clear it, the page reads as
 *    zeroes and can be mapped and written again;
 *  - a write that covers only part of the bad sector fails with EIO and
 *    changes nothing;
 *  - a write that would leave a listed bad sector in the page fails with
 *    EIO and changes nothing, even if it clears another one: with sectors
 *    BAD_SECT and BAD_SECT2 of the page bad, a write of BAD_SECT alone
 *    fails, a read of the good sectors still works, and a write of both
 *    clears them and maps the page back (two_bad_sectors);
 *  - the page is mapped back (it can be mapped by the test again) only
 *    once no bad sector is left in it.  /proc/kpageflags cannot tell: it
 *    reports 0 for every ZONE_DEVICE page, pmem pages included.
 *
 * None of this may oops, which a kernel that copies from the unmapped page
 * does (or fails with EFAULT): the teardown fails the test if the kernel
 * log gained an oops, BUG, WARNING or general protection fault.  Under
 * QEMU's TCG, CLFLUSH and CLFLUSHOPT do not access memory, so a kernel
 * that flushes the unmapped page oopses on hardware but not there.
 *
 * Each test makes a file of NPAGES pages with a known pattern and consumes
 * poison in sector BAD_SECT of its page BAD_PAGE, as hardware leaves it:
 *
 *  1. the page is mapped (4 KiB) and read once, so that its DAX entry sets
 *     folio->mapping, which memory_failure() needs, then unmapped;
 *  2. an AMD deferred error with the sector's address is injected into
 *     bank 4 through mce-inject and picked up by the MCE poller (whose
 *     interval is set to 1 s), which calls memory_failure() and then
 *     set_mce_nospec().  QEMU's TCG presents an AMD CPU (family 15h)
 *     without SUCCOR, on which an action-optional or action-required #MC
 *     panics, and a software injection never reaches memory_failure();
 *  3. the test waits for "Memory failure: <pfn>: recovery action for dax
 *     page: Recovered" in the kernel log and for HardwareCorrupted in
 *     /proc/meminfo to grow;
 *  4. a machine check adds nothing to the badblocks list of legacy pmem
 *     (only NFIT does), so the sector is listed through
 *     /sys/block/pmemN/badblocks, as a platform's scrub would.
 *
 * The tests run on XFS and ext4, mounted with dax=always, on the legacy
 * pmem device in DAX_TEST_PMEM_LEGACY (see dax_util.h); DAX_TEST_MCE_INJECT
 * names the mce-inject directory of debugfs, normally
 * /sys/kernel/debug/mce-inject.  A page that consumed poison is mapped back
 * only by a write that clears its bad sectors: the teardown rewrites the
 * bad sectors of the page (both, after two_bad_sectors) through the file,
 * unmounts and rewrites the listed sectors through the block device, so
 * that the next test starts with a clean device.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "dax_util.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define DEV_ENV		"DAX_TEST_PMEM_LEGACY"
#define MCE_ENV		"DAX_TEST_MCE_INJECT"
#define CHECK_INTERVAL	\
	"/sys/devices/system/machinecheck/machinecheck0/check_interval"
/* VAL | EN | ADDRV | Deferred, UC clear, extended error code 8 (memory) */
#define MCE_STATUS	"0x9400100000080000\n"
#define MCE_BANK	"4\n"	/* the northbridge bank of family 15h */
#define WAIT_SECONDS	10

#define PAGE		4096
#define NPAGES		4
#define FILE_LEN	(NPAGES * PAGE)
#define SPP		(PAGE / SECTOR_SIZE)	/* sectors per page */
#define BAD_PAGE	1	/* the page of the file that consumed poison */
#define BAD_SECT	2	/* and its sector that is bad */
#define BAD_SECT2	5	/* two_bad_sectors: a second one, listed only */
#define MAX_SECTS	2
#define PAGE_OFF	(BAD_PAGE * PAGE)
#define BAD_OFF		(PAGE_OFF + BAD_SECT * SECTOR_SIZE)

/*
 * Wait up to WAIT_SECONDS for the kernel log to hold @needle more than
 * @before times.  The last count, or -1.
 */
static int klog_wait(const char *needle, int before)
{
	int i, n = -1;

	for (i = 0; i < WAIT_SECONDS * 10; i++) {
		n = dax_klog_count(needle);
		if (n < 0 || n > before)
			break;
		usleep(100000);
	}
	return n;
}

/* HardwareCorrupted of /proc/meminfo in kB, or -1. */
static long hw_corrupted_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HardwareCorrupted: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The vendor_id of the first CPU in /proc/cpuinfo, in @buf. */
static void cpu_vendor(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *p;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		p = strchr(line, ':');
		if (p) {
			p += strspn(p + 1, " \t") + 1;
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
		}
		break;
	}
	fclose(f);
}

/* Read the number ("0x40000000") in the file @path; 0 on success. */
static int read_ull(const char *path, unsigned long long *val)
{
	FILE *f = fopen(path, "r");
	char line[64], *end;
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		errno = 0;
		*val = strtoull(line, &end, 0);
		if (!errno && end != line)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * Physical address of the first byte of the raw pmem device @dev
 * ("/dev/pmem0"): the resource of its namespace, the parent of the disk;
 * else the resource of the namespace in /sys/bus/nd/devices whose block/
 * holds the disk.  0 on success.
 */
static int pmem_base(const char *dev, unsigned long long *base)
{
	char tmp[64], path[PATH_MAX], *name, *p;
	glob_t g;

	snprintf(tmp, sizeof(tmp), "%s", dev);
	name = basename(tmp);
	snprintf(path, sizeof(path), "/sys/block/%s/device/resource", name);
	if (!read_ull(path, base))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/nd/devices/namespace*/block/%s",
		 name);
	if (glob(path, 0, NULL, &g))
		return -1;
	snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
	globfree(&g);
	p = strstr(path, "/block/");
	if (!p)
		return -1;
	snprintf(p, sizeof(path) - (p - path), "/resource");
	return read_ull(path, base);
}

FIXTURE(poison) {
	struct dax_mnt m;
	char inject[128];	/* the mce-inject directory */
	char path[160];		/* the test file */
	int fd;			/* of the test, not of the teardown */
	unsigned long long base;	/* physical address of the device */
	long long page;		/* first sector of page BAD_PAGE on the device */
	long long bad;		/* the sector that consumed poison */
	unsigned long pfn;	/* and its page frame */
	bool poisoned;		/* poison may have been consumed */
	int sects[MAX_SECTS];	/* the bad sectors of the page, ascending */
	int nr_sects;
	int klog[DAX_KLOG_NR_BAD];	/* dax_klog_bad() lines before it */
	unsigned char data[FILE_LEN];	/* what the file must hold */
};

FIXTURE_VARIANT(poison) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(poison, xfs) {
	.fs = "xfs",
};

FIXTURE_VARIANT_ADD(poison, ext4) {
	.fs = "ext4",
};

FIXTURE_SETUP(poison)
{
	const char *dev = getenv(DEV_ENV);
	const char *inject = getenv(MCE_ENV);
	char vendor[64];

	self->fd = -1;
	self->poisoned = false;
	self->sects[0] = BAD_SECT;
	self->nr_sects = 1;
	ASSERT_EQ(0, dax_klog_snapshot(self->klog)) {
		TH_LOG("cannot read the kernel log: %s", strerror(errno));
	}
	if (!inject || !*inject)
		SKIP(return, "%s is not set: no mce-inject directory in debugfs",
		     MCE_ENV);
	snprintf(self->inject, sizeof(self->inject), "%s", inject);
	cpu_vendor(vendor, sizeof(vendor));
	if (strcmp(vendor, "AuthenticAMD"))
		/* A deferred error in bank 4: AMD without SMCA, as TCG's CPU. */
		SKIP(return, "CPU vendor %s: no injection recipe for it",
		     vendor);
	if (dev && *dev) {
		ASSERT_EQ(0, pmem_base(dev, &self->base)) {
			TH_LOG("%s: no physical address in %s or %s", dev,
			       "/sys/block/*/device/resource",
			       "/sys/bus/nd/devices/namespace*/resource");
		}
		ASSERT_EQ(0ULL, self->base % PAGE);
		/* Leftovers of an earlier test or program. */
		if (dax_scrub(dev, 0, 1LL << 40))
			TH_LOG("%s: could not clear the listed bad sectors",
			       dev);
	}
	dax_mnt_setup(_metadata, &self->m, variant->fs, DEV_ENV,
		      "dax=always");
}

/*
 * Run in the parent, so that it also runs when the kernel killed the test
 * (an oops): the file is opened again, by name.
 */
FIXTURE_TEARDOWN_PARENT(poison)
{
	const char *dev = getenv(DEV_ENV);
	long long sector;
	ssize_t ret, len;
	off_t pos;
	int fd, i;

	if (self->poisoned && self->m.mounted) {
		/*
		 * Only a write that clears all the bad sectors of the page
		 * maps it back.  If the test took one off the list, list it
		 * again, in case the page was left unmapped: the write, or
		 * the scrub if the sectors are no longer the file's, clears
		 * them.
		 */
		for (i = 0; i < self->nr_sects; i++) {
			sector = self->page + self->sects[i];
			if (dax_bad_in(dev, sector, 1) == 0)
				dax_inject(dev, sector, 1);
		}
		pos = PAGE_OFF + self->sects[0] * SECTOR_SIZE;
		len = (self->sects[self->nr_sects - 1] + 1 - self->sects[0]) *
		      SECTOR_SIZE;
		fd = open(self->path, O_WRONLY);
		if (fd >= 0) {
			ret = pwrite(fd, self->data + pos, len, pos);
			if (ret != len)
				TH_LOG("teardown: rewrite of the bad sectors failed (ignored): %s",
				       ret < 0 ? strerror(errno) : "short");
			close(fd);
		}
	}
	dax_mnt_teardown(_metadata, &self->m);
	if (dev && *dev) {
		EXPECT_EQ(0, dax_scrub(dev, 0, 1LL << 40)) {
			TH_LOG("%s: bad sectors left in the list", dev);
		}
	}
	dax_klog_expect_none(_metadata, self->klog);
}

/* Write @val to the file @name of the mce-inject directory. */
static void inject_reg(struct __test_metadata *_metadata,
		       FIXTURE_DATA(poison) *self, const char *name,
		       const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", self->inject, name);
	ASSERT_EQ(0, dax_write_str(path, val)) {
		TH_LOG("write %s: %s", path, strerror(errno));
	}
}

/*
 * Consume poison in the sector self->bad, page frame self->pfn: an AMD
 * deferred error for the MCE poller to find, see the top.
 */
static void consume_poison(struct __test_metadata *_metadata,
			   FIXTURE_DATA(poison) *self)
{
	unsigned long long addr = self->base + self->bad * SECTOR_SIZE;
	char needle[128], any[64], val[32];
	int before, n, n_any;
	long hwc, hwc_after;

	snprintf(needle, sizeof(needle),
		 "Memory failure: %#lx: recovery action for dax page: Recovered",
		 self->pfn);
	snprintf(any, sizeof(any), "Memory failure: %#lx:", self->pfn);
	before = dax_klog_count(needle);
	n_any = dax_klog_count(any);
	ASSERT_LE(0, before);
	hwc = hw_corrupted_kb();
	ASSERT_LE(0, hwc) {
		TH_LOG("no HardwareCorrupted in /proc/meminfo: %s",
		       "kernel without CONFIG_MEMORY_FAILURE?");
	}

	/* Poll every second; this clears the banks if it changes. */
	ASSERT_EQ(0, dax_write_str(CHECK_INTERVAL, "1\n")) {
		TH_LOG("write %s: %s", CHECK_INTERVAL, strerror(errno));
	}
	inject_reg(_metadata, self, "flags", "hw\n");
	inject_reg(_metadata, self, "cpu", "0\n");
	inject_reg(_metadata, self, "status", MCE_STATUS);
	snprintf(val, sizeof(val), "%#llx\n", addr);
	inject_reg(_metadata, self, "addr", val);
	inject_reg(_metadata, self, "misc", "0\n");
	self->poisoned = true;
	inject_reg(_metadata, self, "bank", MCE_BANK);	/* injects */

	n = klog_wait(needle, before);
	ASSERT_LT(before, n) {
		TH_LOG("no \"%s\" in the kernel log %d s after", needle,
		       WAIT_SECONDS);
		TH_LOG("a deferred error at %#llx (%d other \"%s\" lines):",
		       addr, dax_klog_count(any) - n_any, any);
		TH_LOG("memory_failure() and set_mce_nospec() did not run");
	}
	hwc_after = hw_corrupted_kb();
	ASSERT_LT(hwc, hwc_after) {
		TH_LOG("HardwareCorrupted stayed at %ld kB", hwc);
	}
}

/*
 * Make the test file, NPAGES pages of pattern 0, consume poison in sector
 * BAD_SECT of its page BAD_PAGE and list that sector bad.
 */
static void poison_prepare(struct __test_metadata *_metadata,
			   FIXTURE_DATA(poison) *self)
{
	const char *dev = self->m.dev;
	unsigned char page[PAGE];
	struct statx stx;
	long long phys;
	int fd;

	snprintf(self->path, sizeof(self->path), "%s/f", self->m.dir);
	fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	self->fd = fd;
	ASSERT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
	ASSERT_TRUE(!!(stx.stx_attributes & STATX_ATTR_DAX)) {
		TH_LOG("dax=always gave a file that is not DAX");
	}
	dax_fill(self->data, 0, FILE_LEN, 0);
	ASSERT_EQ(FILE_LEN, pwrite(fd, self->data, FILE_LEN, 0));
	ASSERT_EQ(0, fsync(fd));
	phys = dax_physical(fd, PAGE_OFF);
	ASSERT_LE(0, phys);
	ASSERT_EQ(0, phys % PAGE);
	self->page = phys / SECTOR_SIZE;
	self->bad = self->page + BAD_SECT;
	self->pfn = (self->base + phys) / PAGE;
	ASSERT_EQ(0, dax_bad_in(dev, self->page, SPP));

	/* A DAX entry for the page, with folio->mapping, and no mapping. */
	ASSERT_EQ(0, dax_map_read(fd, PAGE_OFF, page));
	ASSERT_EQ(0, memcmp(page, self->data + PAGE_OFF, PAGE));

	consume_poison(_metadata, self);

	/* What a platform's scrub would list. */
	ASSERT_EQ(0, dax_inject(dev, self->bad, 1));
	ASSERT_EQ(1, dax_bad_in(dev, self->bad, 1));
	ASSERT_EQ(1, dax_bad_in(dev, self->page, SPP));
}

/*
 * The bad sectors of the page (self->sects) are still listed, and nothing
 * else in it is, reading them fails with EIO, every other byte of the file
 * is as self->data says, and the page is still HWPoison.
 */
static void expect_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(poison) *self)
{
	const char *dev = self->m.dev;
	char buf[SECTOR_SIZE];
	off_t pos, from = 0;
	ssize_t ret;
	int i, err;

	EXPECT_EQ(self->nr_sects, dax_bad_in(dev, self->page, SPP));
	for (i = 0; i < self->nr_sects; i++) {
		pos = PAGE_OFF + self->sects[i] * SECTOR_SIZE;
		EXPECT_EQ(1, dax_bad_in(dev, self->page + self->sects[i], 1));
		errno = 0;
		ret = pread(self->fd, buf, SECTOR_SIZE, pos);
		err = errno;
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EIO, err) {
			TH_LOG("read of sector %d of the page: %s, not EIO",
			       self->sects[i], strerror(err));
		}
		if (pos > from)
			EXPECT_TRUE(dax_reads_back(self->fd, self->data, from,
						   pos - from));
		from = pos + SECTOR_SIZE;
	}
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, from,
				   FILE_LEN - from));
}

/* The good sectors of the consumed page read back. */
TEST_F_TIMEOUT(poison, read_good_sector, 120)
{
	unsigned char buf[SECTOR_SIZE];
	off_t pos;
	int s;

	poison_prepare(_metadata, self);
	errno = 0;
	EXPECT_EQ(SECTOR_SIZE, pread(self->fd, buf, SECTOR_SIZE, PAGE_OFF)) {
		TH_LOG("read of the first sector of the page: %s",
		       strerror(errno));
	}
	EXPECT_EQ(0, memcmp(buf, self->data + PAGE_OFF, SECTOR_SIZE));
	for (s = 1; s < SPP; s++) {
		if (s == BAD_SECT)
			continue;
		pos = PAGE_OFF + s * SECTOR_SIZE;
		errno = 0;
		EXPECT_EQ(SECTOR_SIZE, pread(self->fd, buf, SECTOR_SIZE, pos)) {
			TH_LOG("sector %d: %s", s, strerror(errno));
		}
		EXPECT_EQ(0, memcmp(buf, self->data + pos, SECTOR_SIZE));
	}
	/* reads clear nothing */
	expect_unchanged(_metadata, self);
}

/* A read stops at the bad sector; a read from it fails with EIO. */
TEST_F_TIMEOUT(poison, read_across_bad_sector, 120)
{
	const int good = BAD_SECT * SECTOR_SIZE;
	unsigned char buf[PAGE];

	poison_prepare(_metadata, self);
	errno = 0;
	EXPECT_EQ(good, pread(self->fd, buf, PAGE, PAGE_OFF)) {
		TH_LOG("read of the page: %s", strerror(errno));
	}
	EXPECT_EQ(0, memcmp(buf, self->data + PAGE_OFF, good));

	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, SECTOR_SIZE, BAD_OFF));
	EXPECT_EQ(EIO, errno) {
		TH_LOG("read from the bad sector: %s, not EIO",
		       strerror(errno));
	}
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, 10, BAD_OFF + 100));
	EXPECT_EQ(EIO, errno);
	expect_unchanged(_metadata, self);
}

/*
 * After a clear: nothing in the page is listed any more, the page reads
 * back as self->data through read() and through a new mapping (it is
 * mapped back), and it is no longer HWPoison.
 */
static void expect_cleared(struct __test_metadata *_metadata,
			   FIXTURE_DATA(poison) *self)
{
	const char *dev = self->m.dev;
	unsigned char page[PAGE];
	int mapped;

	EXPECT_EQ(0, dax_bad_in(dev, self->bad, 1));
	EXPECT_EQ(0, dax_bad_in(dev, self->page, SPP));

	errno = 0;
	EXPECT_EQ(PAGE, pread(self->fd, page, PAGE, PAGE_OFF)) {
		TH_LOG("read of the page: %s", strerror(errno));
	}
	EXPECT_EQ(0, memcmp(page, self->data + PAGE_OFF, PAGE));
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, FILE_LEN));

	mapped = dax_map_read(self->fd, PAGE_OFF, page);
	EXPECT_EQ(0, mapped) {
		TH_LOG("%s through a mapping of the cleared page",
		       mapped > 0 ? "SIGBUS" : "mmap failed");
	}
	if (!mapped)
		EXPECT_EQ(0, memcmp(page, self->data + PAGE_OFF, PAGE));
}

/* A write of exactly the bad sector clears it and maps the page back. */
TEST_F_TIMEOUT(poison, clearing_write, 120)
{
	unsigned char buf[SECTOR_SIZE];
	ssize_t ret;

	poison_prepare(_metadata, self);
	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
	ASSERT_EQ(SECTOR_SIZE, ret) {
		TH_LOG("write of the bad sector: %s", strerror(errno));
	}
	memcpy(self->data + BAD_OFF, buf, SECTOR_SIZE);
	expect_cleared(_metadata, self);
}

/*
 * Hole punch or zero range over the consumed page clear the sector; the
 * page reads as zeroes, through read() and a mapping, and takes data again.
 */
static void clear_by_fallocate(struct __test_metadata *_metadata,
			       FIXTURE_DATA(poison) *self, int mode)
{
	const char *dev = self->m.dev;
	unsigned char page[PAGE];
	int mapped;

	poison_prepare(_metadata, self);
	ASSERT_EQ(0, fallocate(self->fd, mode, PAGE_OFF, PAGE)) {
		TH_LOG("fallocate(%#x): %s", mode, strerror(errno));
	}
	memset(self->data + PAGE_OFF, 0, PAGE);
	expect_cleared(_metadata, self);

	/* The page takes data again (on XFS zero range, in its old block). */
	dax_fill(page, PAGE_OFF, PAGE, 1);
	errno = 0;
	ASSERT_EQ(PAGE, pwrite(self->fd, page, PAGE, PAGE_OFF)) {
		TH_LOG("write of the page: %s", strerror(errno));
	}
	ASSERT_EQ(0, fsync(self->fd));
	memcpy(self->data + PAGE_OFF, page, PAGE);
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, FILE_LEN));
	mapped = dax_map_read(self->fd, PAGE_OFF, page);
	EXPECT_EQ(0, mapped);
	if (!mapped)
		EXPECT_EQ(0, memcmp(page, self->data + PAGE_OFF, PAGE));
	EXPECT_EQ(0, dax_bad_in(dev, self->bad, 1));
}

TEST_F_TIMEOUT(poison, punch_hole, 120)
{
	clear_by_fallocate(_metadata, self,
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

TEST_F_TIMEOUT(poison, zero_range, 120)
{
	clear_by_fallocate(_metadata, self, FALLOC_FL_ZERO_RANGE);
}

/* A write over half of the bad sector fails with EIO, changes nothing. */
TEST_F_TIMEOUT(poison, write_partial_cover_eio, 120)
{
	unsigned char buf[SECTOR_SIZE];

	poison_prepare(_metadata, self);
	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);

	/* its first half, then its last half */
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, SECTOR_SIZE / 2, BAD_OFF)) {
		TH_LOG("write of the first half of the bad sector went through");
	}
	EXPECT_EQ(EIO, errno) {
		TH_LOG("write of the first half: %s, not EIO",
		       strerror(errno));
	}
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf + SECTOR_SIZE / 2, SECTOR_SIZE / 2,
			     BAD_OFF + SECTOR_SIZE / 2)) {
		TH_LOG("write of the last half of the bad sector went through");
	}
	EXPECT_EQ(EIO, errno) {
		TH_LOG("write of the last half: %s, not EIO",
		       strerror(errno));
	}
	expect_unchanged(_metadata, self);
}

/*
 * With a second bad sector in the consumed page, a write of exactly the
 * first fails with EIO: it would leave a listed bad sector in a page the
 * kernel took out of its direct map.  Nothing changes and the good sectors
 * still read.  A write of [BAD_SECT, BAD_SECT2] clears both and maps the
 * page back.
 */
TEST_F_TIMEOUT(poison, two_bad_sectors, 120)
{
	const size_t len = (BAD_SECT2 + 1 - BAD_SECT) * SECTOR_SIZE;
	unsigned char buf[(BAD_SECT2 + 1 - BAD_SECT) * SECTOR_SIZE];
	ssize_t ret;
	int err;

	poison_prepare(_metadata, self);
	self->sects[1] = BAD_SECT2;
	self->nr_sects = 2;
	ASSERT_EQ(0, dax_inject(self->m.dev, self->page + BAD_SECT2, 1));
	ASSERT_EQ(2, dax_bad_in(self->m.dev, self->page, SPP));

	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
	err = errno;
	EXPECT_EQ(-1, ret) {
		TH_LOG("write of sector %d left sector %d bad in the page",
		       BAD_SECT, BAD_SECT2);
	}
	EXPECT_EQ(EIO, err) {
		TH_LOG("write of sector %d: %s, not EIO", BAD_SECT,
		       strerror(err));
	}
	expect_unchanged(_metadata, self);
	errno = 0;
	ret = pread(self->fd, buf, SECTOR_SIZE, PAGE_OFF);
	err = errno;
	EXPECT_EQ(SECTOR_SIZE, ret) {
		TH_LOG("read of sector 0 of the page: %s", strerror(err));
	}
	EXPECT_EQ(0, memcmp(buf, self->data + PAGE_OFF, SECTOR_SIZE));

	dax_fill(buf, BAD_OFF, len, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, len, BAD_OFF);
	err = errno;
	ASSERT_EQ((ssize_t)len, ret) {
		TH_LOG("write of sectors %d to %d: %s", BAD_SECT, BAD_SECT2,
		       ret < 0 ? strerror(err) : "short");
	}
	memcpy(self->data + BAD_OFF, buf, len);
	expect_cleared(_metadata, self);
}

TEST_HARNESS_MAIN
