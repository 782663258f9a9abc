// SPDX-License-Identifier: GPL-2.0
/*
 * DAX media errors at the granularity of the badblocks list, the 512-byte
 * sector, instead of the page.
 *
 * Each test makes a file of NPAGES pages with a known pattern, then marks
 * one sector bad: sector BAD_SECT of page BAD_PAGE, through
 * /sys/block/pmemN/badblocks (on nfit_test, through its platform, see
 * below).  On every kind of pmem:
 *
 *  - a read of good sectors of that page succeeds, a read that runs into
 *    the bad sector is short and ends exactly at it, a read that starts in
 *    it fails with EIO;
 *  - a write of good sectors of the page succeeds and leaves the bad
 *    sector listed;
 *  - a write that covers only part of the bad sector fails with EIO and
 *    changes nothing;
 *  - touching the page through a shared mapping raises SIGBUS (on
 *    nfit_test the good pages are not mapped, see below);
 *  - statx(STATX_DAX_CLEAR) reports the clear unit of the file.
 *
 * On legacy pmem (DAX_TEST_PMEM_LEGACY), where poison is only the list, the
 * clear unit is 512 and a write that fully covers the bad sector, at any
 * alignment, through pwrite, pwritev, O_DIRECT or io_uring, clears it and
 * stores its data; hole punch and zero range over the page clear it too.
 * On an NVDIMM whose platform has no clear-error command
 * (DAX_TEST_PMEM_NVDIMM under QEMU), the clear unit is 0, such writes fail
 * with EIO (not EFAULT) and change nothing, and hole punch and zero range
 * succeed but leave the sector listed.  After every write the list holds
 * exactly the sectors that were not cleared, and every byte that was not
 * written reads as before.
 *
 * Other tests list the one or two sectors bad that they need (bb_mark())
 * and take the edges of the recovery paths:
 *
 *  - writes are checked and cleared extent by extent: a write across two
 *    extents of the file whose second part covers only part of a bad
 *    sector is short, it stores and reports the bytes of the first extent
 *    (short_at_extent, the same on every device);
 *  - a write whose source faults part way is short: it ends at the first
 *    byte it could not read or, if that byte falls in a cleared clear unit,
 *    at the start of that unit; units written in full leave the list, units
 *    cleared but not written in full stay listed, and no other byte changes
 *    (short_copy, short_copy_aligned);
 *  - one write over bad sectors in two pages clears both (clear_two_pages);
 *  - hole punch and truncate that zero part of a page clear the bad sectors
 *    that they zero in full and leave the others listed (punch_partial,
 *    truncate_clears_tail, truncate_keeps_head);
 *  - on XFS, a write over a bad sector in a block shared with a clone
 *    (FICLONE) copies the block and succeeds, a hole punch over it leaves
 *    it, and the clone keeps the bad sector and its data (reflink_write,
 *    reflink_punch; ext4 has no reflink and skips them);
 *  - a write that clears a bad sector wakes, within 2 s, a poll() on the
 *    badblocks list (poll_badblocks; not where the clear unit is 0).
 *
 * Where the clear unit is 0, these writes over bad sectors fail with EIO
 * and change nothing, and hole punch and truncate succeed and leave the
 * sectors listed.  No test may make the kernel log an oops, BUG, WARNING
 * or general protection fault: the teardown fails a test during which the
 * log gained one.
 *
 * The list of a device outlives its filesystems.  On legacy pmem the
 * fixture rewrites the listed sectors through the block device once the
 * filesystem is unmounted, which clears them.  On the NVDIMM nothing can
 * clear them: every test puts its file on sectors that are not listed and
 * counts bad sectors relative to the list before its injection, and the
 * files go behind a PAD_LEN file, away from the metadata that mkfs writes,
 * so that a leftover cannot make a later mkfs fail.
 *
 * The nfit variants run on nfit_test (tools/testing/nvdimm), an emulated
 * NVDIMM bus whose platform scrubs (ARS), injects errors and clears them
 * with the clear-error command: the firmware path that no other device
 * here takes.  DAX_TEST_PMEM_NFIT names an fsdax namespace on it,
 * DAX_TEST_PMEM_NFIT_NS that namespace (e.g. namespace2.0) and
 * DAX_TEST_PMEM_NFIT_BUS its bus (nfit_test.0).  Errors are injected into
 * the platform with "ndctl inject-error" and reach the list through a
 * scrub, as on hardware; the platform's clear unit is 256 bytes, so the
 * file's clear unit is the 512-byte sector, and the nfit variants expect
 * what legacy pmem does.  nfit_test's regions are small (64 MiB) and its
 * pmem is vmalloc()ed memory: fs-DAX waits for a mapped page's reference
 * count to drop to zero, which a vmalloc() page never does, so a file with
 * a page mapped through DAX could never be truncated or unmounted.  On
 * nfit_test, mmap_sigbus therefore only faults on the bad page, which
 * fails before anything is mapped, and maps no good page.
 *
 * The dm variants run on dm-linear over legacy pmem: DAX_TEST_PMEM_DM names
 * the dm device (e.g. /dev/dm-0), DAX_TEST_PMEM_DM_UNDER the pmem below it
 * and DAX_TEST_PMEM_DM_OFFSET the sector of that pmem where the dm device
 * starts.  dm has no badblocks list: sector S of the dm device is listed,
 * injected and scrubbed as sector S + offset of the pmem below, and only
 * that part of its list is looked at or written.  A dm device must behave
 * as the pmem below it, so the dm variants expect what legacy pmem does,
 * clear unit 512 included.
 *
 * A kernel without the feature has no STATX_DAX_CLEAR: every test skips,
 * unless DAX_TEST_FORCE is set in the environment, which runs the tests
 * anyway to show what such a kernel gets wrong.  The dm variants never
 * skip: a dm device that does not report the clear unit of the pmem below
 * it is one of the failures they show, and naming the device in the
 * environment is the opt-in.
 * See dax_util.h for the other devices the tests need.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "dax_util.h"

#ifndef STATX_DAX_CLEAR
#define STATX_DAX_CLEAR		0x00040000U
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#ifndef __NR_statx
#define __NR_statx		332	/* x86_64 */
#endif
#define PAGE		4096
#define NPAGES		4
#define FILE_LEN	(NPAGES * PAGE)
#define SPP		(PAGE / SECTOR_SIZE)	/* sectors per page */
#define BAD_PAGE	1	/* the page of the file with the bad sector */
#define BAD_SECT	3	/* and the sector of that page that is bad */
#define PAGE_OFF	(BAD_PAGE * PAGE)
#define BAD_OFF		(PAGE_OFF + BAD_SECT * SECTOR_SIZE)
#define PAD_LEN		(64 << 20)
#define NFIT_PAD_LEN	(4 << 20)	/* nfit_test: 64 MiB in all */
#define TRIES		64	/* places tried for the file */
#define LEGACY_UNIT	512
#define MAX_MARKS	2	/* bad sectors a test lists */
#define POLL_MS		5000	/* how long poll_badblocks waits */
#define NOTIFY_MS	2000	/* and how late the notification may be */

/*
 * struct statx with stx_dax_clear_unit, which older headers lack: the
 * __u32 after stx_atomic_write_unit_max_opt, at 0xbc.
 */
struct bb_statx {
	__u32 stx_mask;
	__u32 stx_blksize;
	__u64 stx_attributes;
	__u32 stx_nlink;
	__u32 stx_uid;
	__u32 stx_gid;
	__u16 stx_mode;
	__u16 spare0;
	__u64 stx_ino;
	__u64 stx_size;
	__u64 stx_blocks;
	__u64 stx_attributes_mask;
	__u8 times[0x80 - 0x40];	/* atime, btime, ctime, mtime */
	__u8 more[0xb8 - 0x80];		/* rdev .. atomic_write_unit_max */
	__u32 stx_atomic_write_unit_max_opt;
	__u32 stx_dax_clear_unit;
	__u64 spare3[8];
};

static_assert(offsetof(struct bb_statx, stx_dax_clear_unit) == 0xbc,
	      "stx_dax_clear_unit is at 0xbc");
static_assert(sizeof(struct bb_statx) == 0x100, "struct statx is 256 bytes");

/* statx() of the file behind @fd (or of @fd itself, a directory). */
static int bb_statx(int fd, unsigned int mask, struct bb_statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	return syscall(__NR_statx, fd, "", AT_EMPTY_PATH, mask, stx);
}

/*
 * Where the bad sectors of the device under test are listed: sector S of
 * that device is sector S + @off of @dev, whose badblocks list holds it,
 * and only [@off, @off + @sectors) of that list is the device's.  For a
 * pmem device, @dev is the device itself and @off is 0; for dm-linear over
 * pmem, @dev is the pmem below (dm has no list of its own).
 */
struct bb_list {
	const char *dev;
	long long off;
	long long sectors;	/* the size of the device under test */
	/*
	 * nfit_test: the namespace of @dev and its bus, to inject errors
	 * into the platform instead of the list.  NULL otherwise.
	 */
	const char *ns;
	const char *bus;
};

/*
 * Mark @count sectors of the device under test bad from @sector: in the
 * list, or on nfit_test in the platform, from which a scrub (ARS) puts
 * them in the list.  0 on success.
 */
static int bb_inject(const struct bb_list *l, long long sector, int count)
{
	char cmd[384];
	int ret;

	if (!l->ns)
		return dax_inject(l->dev, l->off + sector, count);
	/*
	 * A scrub may be running (one starts when the bus comes up), and a
	 * second one cannot start before it ends.  --no-notify: only our
	 * scrub reports the error, so that no scrub the notification starts
	 * is still running once wait-scrub returns.  ndctl's JSON goes to
	 * /dev/null, its errors to the log.
	 */
	ret = snprintf(cmd, sizeof(cmd),
		       "ndctl wait-scrub %s >/dev/null && ndctl inject-error --no-notify -B %lld -n %d %s >/dev/null && ndctl start-scrub %s >/dev/null && ndctl wait-scrub %s >/dev/null",
		       l->bus, l->off + sector, count, l->ns, l->bus, l->bus);
	if (ret < 0 || ret >= (int)sizeof(cmd))
		return -1;
	ret = system(cmd);
	if (ret)
		fprintf(stderr, "# %s: exit status %#x\n", cmd, ret);
	return ret ? -1 : 0;
}

/* Bad sectors of the device under test in [@sector, @sector + @count). */
static int bb_bad_in(const struct bb_list *l, long long sector, int count)
{
	return dax_bad_in(l->dev, l->off + sector, count);
}

/* All bad sectors of the device under test, or -1. */
static int bb_bad_total(const struct bb_list *l)
{
	return dax_bad_in(l->dev, l->off,
			  l->sectors < 1 << 30 ? l->sectors : 1 << 30);
}

/* Clear what the list holds of the device under test (see dax_scrub()). */
static int bb_scrub(const struct bb_list *l)
{
	return dax_scrub(l->dev, l->off, l->off + l->sectors);
}

/* Is no sector of the first NPAGES pages of @fd listed bad in @l? */
static bool file_clean(const struct bb_list *l, int fd)
{
	long long phys;
	int i;

	for (i = 0; i < NPAGES; i++) {
		phys = dax_physical(fd, i * PAGE);
		if (phys < 0 || bb_bad_in(l, phys / SECTOR_SIZE, SPP))
			return false;
	}
	return true;
}

/*
 * One IORING_OP_WRITE of @len bytes of @buf at @pos of @fd, on a ring of
 * one entry.  0 with the result of the completion in @res (bytes written
 * or -errno); -1 with errno if io_uring is not available; -2 if the ring
 * did not work.
 */
static int uring_write(int fd, const void *buf, unsigned int len, off_t pos,
		       int *res)
{
	struct dax_uring r;
	int ret = -2, err;

	dax_uring_init(&r);
	if (dax_uring_setup(&r, 1, 0))
		ret = r.fd < 0 ? -1 : -2;
	else if (dax_uring_submit_write(&r, fd, buf, len, pos) == 1 &&
		 !dax_uring_reap(&r, res))
		ret = 0;
	err = errno;
	dax_uring_close(&r);
	errno = err;
	return ret;
}

FIXTURE(bb) {
	struct dax_mnt m;
	struct bb_list bl;	/* where the bad sectors of m.dev are listed */
	unsigned int unit;	/* stx_dax_clear_unit of a file */
	char path[128];		/* the test file */
	int fd;
	int fd2;		/* its clone, for the reflink tests */
	long long page;		/* first sector of its page BAD_PAGE */
	long long bad;		/* the sector marked bad */
	int total;		/* bad sectors of the device before that */
	struct {
		off_t pos;		/* in the test file */
		long long sector;	/* on the device */
	} marks[MAX_MARKS];	/* the sectors marked bad, see bb_mark() */
	int nr_marks;
	int klog[DAX_KLOG_NR_BAD];	/* dax_klog_bad() lines before it */
	unsigned char data[FILE_LEN];	/* what the file must hold */
};

FIXTURE_VARIANT(bb) {
	const char *fs;
	const char *env;	/* names the device, see dax_util.h */
	bool clears;		/* writes can clear media errors */
	/*
	 * For dm-linear over pmem: name the pmem below, whose list holds the
	 * bad sectors, and the sector of it where the dm device starts.
	 * NULL: the device has its own list.
	 */
	const char *under_env;
	const char *off_env;
	/*
	 * For nfit_test: name its namespace and bus, through which errors
	 * are injected, see the top.  NULL: inject into the list.
	 */
	const char *ns_env;
	const char *bus_env;
	long long pad;		/* the PAD_LEN file, if not PAD_LEN */
	bool no_map;		/* good pages must not be mapped, see the top */
};

FIXTURE_VARIANT_ADD(bb, xfs_legacy) {
	.fs = "xfs", .env = "DAX_TEST_PMEM_LEGACY", .clears = true,
};

FIXTURE_VARIANT_ADD(bb, ext4_legacy) {
	.fs = "ext4", .env = "DAX_TEST_PMEM_LEGACY", .clears = true,
};

FIXTURE_VARIANT_ADD(bb, xfs_nvdimm) {
	.fs = "xfs", .env = "DAX_TEST_PMEM_NVDIMM", .clears = false,
};

FIXTURE_VARIANT_ADD(bb, ext4_nvdimm) {
	.fs = "ext4", .env = "DAX_TEST_PMEM_NVDIMM", .clears = false,
};

/* nfit_test: the firmware clears, see the top. */
FIXTURE_VARIANT_ADD(bb, xfs_nfit) {
	.fs = "xfs", .env = "DAX_TEST_PMEM_NFIT", .clears = true,
	.ns_env = "DAX_TEST_PMEM_NFIT_NS", .bus_env = "DAX_TEST_PMEM_NFIT_BUS",
	.pad = NFIT_PAD_LEN, .no_map = true,
};

FIXTURE_VARIANT_ADD(bb, ext4_nfit) {
	.fs = "ext4", .env = "DAX_TEST_PMEM_NFIT", .clears = true,
	.ns_env = "DAX_TEST_PMEM_NFIT_NS", .bus_env = "DAX_TEST_PMEM_NFIT_BUS",
	.pad = NFIT_PAD_LEN, .no_map = true,
};

/* dm-linear over legacy pmem: what the pmem below does, see the top. */
FIXTURE_VARIANT_ADD(bb, xfs_dm) {
	.fs = "xfs", .env = "DAX_TEST_PMEM_DM", .clears = true,
	.under_env = "DAX_TEST_PMEM_DM_UNDER",
	.off_env = "DAX_TEST_PMEM_DM_OFFSET",
};

FIXTURE_VARIANT_ADD(bb, ext4_dm) {
	.fs = "ext4", .env = "DAX_TEST_PMEM_DM", .clears = true,
	.under_env = "DAX_TEST_PMEM_DM_UNDER",
	.off_env = "DAX_TEST_PMEM_DM_OFFSET",
};

/* Size of the block device @dev in sectors, or -1 with errno. */
static long long dev_sectors(const char *dev)
{
	unsigned long long bytes;
	int fd, ret;

	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, BLKGETSIZE64, &bytes);
	close(fd);
	return ret ? -1 : (long long)(bytes / SECTOR_SIZE);
}

/*
 * Where the bad sectors of @dev are listed: on @dev itself if @under_env is
 * NULL, else on the pmem below the dm device @dev that @under_env names,
 * from the sector that @off_env gives.  0; 1 if the environment does not
 * name them; -1, said why, if they cannot be there.
 */
static int bb_list_init(struct __test_metadata *_metadata, struct bb_list *l,
			const char *dev, const char *under_env,
			const char *off_env)
{
	const char *off = NULL;
	long long size;
	char *end;

	l->dev = dev;
	l->off = 0;
	l->ns = NULL;
	l->bus = NULL;
	if (under_env) {
		l->dev = getenv(under_env);
		off = getenv(off_env);
		if (!l->dev || !*l->dev || !off || !*off)
			return 1;
		errno = 0;
		l->off = strtoll(off, &end, 0);
		if (errno || *end || l->off < 0) {
			TH_LOG("%s=%s: not a sector", off_env, off);
			return -1;
		}
	}
	l->sectors = dev_sectors(dev);
	if (l->sectors < 0) {
		TH_LOG("size of %s: %s", dev, strerror(errno));
		return -1;
	}
	if (!under_env)
		return 0;
	size = dev_sectors(l->dev);
	if (size < 0) {
		TH_LOG("size of %s: %s", l->dev, strerror(errno));
		return -1;
	}
	if (l->off + l->sectors > size) {
		TH_LOG("%s, %lld sectors, does not fit in %s from sector %lld",
		       dev, l->sectors, l->dev, l->off);
		return -1;
	}
	return 0;
}

/*
 * Is the feature there?  0 and the clear unit in self->unit; 1 if the
 * kernel does not have it; -1 with errno on error.
 */
static int bb_probe(FIXTURE_DATA(bb) *self)
{
	struct bb_statx stx;
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/probe", self->m.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ret = bb_statx(fd, STATX_BASIC_STATS | STATX_DAX_CLEAR, &stx);
	close(fd);
	unlink(path);
	if (ret)
		return -1;
	if (!(stx.stx_attributes & STATX_ATTR_DAX)) {
		errno = EOPNOTSUPP;	/* dax=always gave no DAX file */
		return -1;
	}
	if (!(stx.stx_mask & STATX_DAX_CLEAR))
		return 1;
	self->unit = stx.stx_dax_clear_unit;
	return 0;
}

FIXTURE_SETUP(bb)
{
	const char *dev = getenv(variant->env);
	int ret;

	self->fd = -1;
	self->fd2 = -1;
	self->nr_marks = 0;
	if (dev && *dev) {
		ASSERT_EQ(0, dax_klog_snapshot(self->klog)) {
			TH_LOG("cannot read the kernel log: %s",
			       strerror(errno));
		}
		ret = bb_list_init(_metadata, &self->bl, dev,
				   variant->under_env, variant->off_env);
		if (ret > 0)
			SKIP(return,
			     "%s or %s is not set: no list for the bad sectors of %s",
			     variant->under_env, variant->off_env, dev);
		ASSERT_EQ(0, ret);
		if (variant->ns_env) {
			self->bl.ns = getenv(variant->ns_env);
			self->bl.bus = getenv(variant->bus_env);
			if (!self->bl.ns || !*self->bl.ns ||
			    !self->bl.bus || !*self->bl.bus)
				SKIP(return,
				     "%s or %s is not set: cannot inject errors into the platform of %s",
				     variant->ns_env, variant->bus_env, dev);
		}
		/* Leftovers of an earlier program would skew the counts. */
		if (variant->clears && bb_scrub(&self->bl))
			TH_LOG("%s: could not clear the listed bad sectors",
			       self->bl.dev);
	}
	dax_mnt_setup(_metadata, &self->m, variant->fs, variant->env,
		      "dax=always");
	if (!self->m.mounted)
		return;
	/* Without a teardown after setup, unmount before leaving. */
	ret = bb_probe(self);
	if (ret > 0 && variant->under_env) {
		/* The dm contract is the pmem's: test it, see the top. */
		TH_LOG("%s reports no STATX_DAX_CLEAR: testing anyway",
		       self->m.dev);
		self->unit = 0;
	} else if (ret > 0 && getenv("DAX_TEST_FORCE")) {
		/* Show what a kernel without the feature gets wrong. */
		TH_LOG("statx has no STATX_DAX_CLEAR: testing anyway");
		self->unit = variant->clears ? SECTOR_SIZE : 0;
	} else if (ret) {
		if (ret < 0)
			TH_LOG("statx of a file on %s: %s", self->m.dev,
			       strerror(errno));
		dax_mnt_teardown(_metadata, &self->m);
		ASSERT_EQ(1, ret);
		SKIP(return,
		     "kernel without sector-granular DAX error clearing: statx has no STATX_DAX_CLEAR");
	}
	if (!variant->clears && self->unit) {
		dax_mnt_teardown(_metadata, &self->m);
		SKIP(return,
		     "%s can clear media errors (unit %u): the nvdimm variants need a platform without a clear-error command (QEMU's NFIT)",
		     self->m.dev, self->unit);
	}
}

FIXTURE_TEARDOWN(bb)
{
	const char *dev = self->bl.dev;

	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	dax_mnt_teardown(_metadata, &self->m);
	/*
	 * Legacy pmem, dm over it and nfit_test: clear what the test left
	 * behind, so that the next tests (and dax_test) start with an empty
	 * list.  The NVDIMM cannot clear: the bad sector stays listed until
	 * the namespace is probed again, and the next test works around it.
	 */
	if (variant->clears && dev) {
		EXPECT_EQ(0, bb_scrub(&self->bl)) {
			TH_LOG("%s: bad sectors left in the list", dev);
		}
	}
	dax_klog_expect_none(_metadata, self->klog);
}

/* Are pages 1 and 2 of @fd apart on the device (two extents)? */
static bool file_split(int fd)
{
	long long a = dax_physical(fd, PAGE), b = dax_physical(fd, 2 * PAGE);

	return a >= 0 && b >= 0 && b != a + PAGE;
}

/*
 * Make the test file, NPAGES pages of pattern 0, on sectors that are not
 * listed bad.  @split: in two extents, pages 0-1 and pages 2-3, apart on
 * the device (a file was allocated between them).
 */
static void bb_make_file(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bb) *self,
			 const FIXTURE_VARIANT(bb) *variant, bool split)
{
	const struct bb_list *bl = &self->bl;
	char path[160];
	int fd, gap, i;

	/* Stay away from the metadata mkfs writes, see the top. */
	snprintf(path, sizeof(path), "%s/pad", self->m.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, variant->pad ?: PAD_LEN));
	close(fd);

	/*
	 * Preallocate (no data is written, nothing is zeroed) until the
	 * blocks hold no listed sector; keep the files that got some.
	 */
	for (i = 0; i < TRIES; i++) {
		snprintf(self->path, sizeof(self->path), "%s/f%d",
			 self->m.dir, i);
		fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, fd);
		if (split) {
			ASSERT_EQ(0, fallocate(fd, 0, 0, FILE_LEN / 2));
			snprintf(path, sizeof(path), "%s.gap", self->path);
			gap = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			ASSERT_LE(0, gap);
			ASSERT_EQ(0, fallocate(gap, 0, 0, PAGE));
			close(gap);
		}
		ASSERT_EQ(0, fallocate(fd, 0, 0, FILE_LEN));
		if (file_clean(bl, fd) && (!split || file_split(fd)))
			break;
		close(fd);
	}
	ASSERT_LT(i, TRIES) {
		TH_LOG("%s: no room without listed bad sectors%s",
		       self->m.dev, split ? " in two extents" : "");
	}
	self->fd = fd;
	if (i)
		TH_LOG("file placed behind %d with leftover bad sectors%s", i,
		       split ? " or in one extent" : "");

	dax_fill(self->data, 0, FILE_LEN, 0);
	ASSERT_EQ(FILE_LEN, pwrite(fd, self->data, FILE_LEN, 0));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_TRUE(file_clean(bl, fd));
	self->total = bb_bad_total(bl);
	ASSERT_LE(0, self->total);
}

/* Mark the sector at @pos of the test file bad, as self->marks[next]. */
static void bb_mark(struct __test_metadata *_metadata, FIXTURE_DATA(bb) *self,
		    off_t pos)
{
	const struct bb_list *bl = &self->bl;
	long long phys = dax_physical(self->fd, pos);
	int i = self->nr_marks;

	ASSERT_LT(i, MAX_MARKS);
	ASSERT_LE(0, phys);
	self->marks[i].pos = pos;
	self->marks[i].sector = phys / SECTOR_SIZE;
	ASSERT_EQ(0, bb_inject(bl, self->marks[i].sector, 1));
	self->nr_marks++;
	ASSERT_EQ(1, bb_bad_in(bl, self->marks[i].sector, 1));
	ASSERT_EQ(self->total + self->nr_marks, bb_bad_total(bl));
}

/* Make the test file and mark sector BAD_SECT of its page BAD_PAGE bad. */
static void bb_prepare(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bb) *self,
		       const FIXTURE_VARIANT(bb) *variant)
{
	long long phys;

	bb_make_file(_metadata, self, variant, false);
	phys = dax_physical(self->fd, PAGE_OFF);
	ASSERT_LE(0, phys);
	ASSERT_EQ(0, phys % PAGE);
	self->page = phys / SECTOR_SIZE;
	bb_mark(_metadata, self, BAD_OFF);
	self->bad = self->marks[0].sector;
}

/*
 * The bad sector is still listed, nothing else is, reading it fails with
 * EIO, and every other byte of the file is as self->data says.
 */
static void expect_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(bb) *self)
{
	const struct bb_list *bl = &self->bl;
	char buf[SECTOR_SIZE];

	EXPECT_EQ(self->total + 1, bb_bad_total(bl));
	EXPECT_EQ(1, bb_bad_in(bl, self->page, SPP));
	EXPECT_EQ(1, bb_bad_in(bl, self->bad, 1));
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, SECTOR_SIZE, BAD_OFF));
	EXPECT_EQ(EIO, errno);
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, BAD_OFF));
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, BAD_OFF + SECTOR_SIZE,
				   FILE_LEN - BAD_OFF - SECTOR_SIZE));
}

/*
 * The bad sector is gone from the list, which shrank by exactly one, and
 * the whole file reads as self->data says.
 */
static void expect_cleared(struct __test_metadata *_metadata,
			   FIXTURE_DATA(bb) *self)
{
	const struct bb_list *bl = &self->bl;

	EXPECT_EQ(self->total, bb_bad_total(bl));
	EXPECT_EQ(0, bb_bad_in(bl, self->page, SPP));
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, FILE_LEN));
}

/*
 * A write over the bad sector returned @ret (errno @err) for @len bytes of
 * @buf at @pos: legacy pmem cleared the sector and stored the data; the
 * NVDIMM failed with EIO and changed nothing.
 */
static void expect_write(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bb) *self,
			 const FIXTURE_VARIANT(bb) *variant,
			 ssize_t ret, int err, const unsigned char *buf,
			 off_t pos, size_t len)
{
	if (variant->clears) {
		EXPECT_EQ((ssize_t)len, ret) {
			TH_LOG("write of %zu at %lld: %s", len,
			       (long long)pos, ret < 0 ? strerror(err) : "");
		}
		if (ret == (ssize_t)len)
			memcpy(self->data + pos, buf, len);
		expect_cleared(_metadata, self);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EIO, err) {
			TH_LOG("write of %zu at %lld: %s, not EIO", len,
			       (long long)pos, strerror(err));
		}
		expect_unchanged(_metadata, self);
	}
}

/*
 * Of self->marks, those with a bit in @listed are still listed bad and the
 * others are not; no other sector of the device is listed.
 */
static void expect_listed(struct __test_metadata *_metadata,
			  FIXTURE_DATA(bb) *self, unsigned int listed)
{
	const struct bb_list *bl = &self->bl;
	int i, want, nr = 0;

	for (i = 0; i < self->nr_marks; i++) {
		want = !!(listed & 1U << i);
		nr += want;
		EXPECT_EQ(want, bb_bad_in(bl, self->marks[i].sector, 1)) {
			TH_LOG("the sector at %lld of the file is %s listed",
			       (long long)self->marks[i].pos,
			       want ? "no longer" : "still");
		}
	}
	EXPECT_EQ(self->total + nr, bb_bad_total(bl));
}

/*
 * The first @len bytes of @fd read as @data says, sector by sector, but for
 * the sectors of self->marks with a bit in @eio, whose reads fail with EIO.
 */
static void expect_reads(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bb) *self, int fd,
			 const unsigned char *data, off_t len, unsigned int eio)
{
	unsigned char buf[SECTOR_SIZE];
	bool bad, ok;
	ssize_t ret;
	int i, err;
	off_t pos;

	for (pos = 0; pos < len; pos += SECTOR_SIZE) {
		bad = false;
		for (i = 0; i < self->nr_marks; i++)
			if (eio & 1U << i && self->marks[i].pos == pos)
				bad = true;
		errno = 0;
		ret = pread(fd, buf, SECTOR_SIZE, pos);
		err = errno;
		if (bad)
			ok = ret == -1 && err == EIO;
		else
			ok = ret == SECTOR_SIZE &&
			     !memcmp(buf, data + pos, SECTOR_SIZE);
		EXPECT_TRUE(ok) {
			TH_LOG("read of the sector at %lld: %zd (%s), %s",
			       (long long)pos, ret, strerror(err),
			       bad ? "not EIO" : "not its data");
		}
	}
}

/*
 * The sectors of self->marks with a bit in @listed are listed and read EIO,
 * the others are not listed, and the file reads as self->data says.
 */
static void expect_marks(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bb) *self, unsigned int listed)
{
	expect_listed(_metadata, self, listed);
	expect_reads(_metadata, self, self->fd, self->data, FILE_LEN, listed);
}

enum how { BY_PWRITE, BY_PWRITEV, BY_ODIRECT, BY_IO_URING };

/* d: a write of exactly the bad sector, 512 bytes, 512 aligned. */
static void clear_sector(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bb) *self,
			 const FIXTURE_VARIANT(bb) *variant, enum how how)
{
	struct iovec iov[2];
	unsigned char *buf;
	ssize_t ret = -1;
	int fd, res, err;

	bb_prepare(_metadata, self, variant);
	ASSERT_EQ(0, posix_memalign((void **)&buf, PAGE, SECTOR_SIZE));
	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	errno = 0;
	switch (how) {
	case BY_PWRITE:
		ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
		break;
	case BY_PWRITEV:
		iov[0].iov_base = buf;
		iov[0].iov_len = SECTOR_SIZE / 2;
		iov[1].iov_base = buf + SECTOR_SIZE / 2;
		iov[1].iov_len = SECTOR_SIZE / 2;
		ret = pwritev(self->fd, iov, 2, BAD_OFF);
		break;
	case BY_ODIRECT:
		fd = open(self->path, O_RDWR | O_DIRECT);
		ASSERT_LE(0, fd) {
			TH_LOG("O_DIRECT open: %s", strerror(errno));
		}
		ret = pwrite(fd, buf, SECTOR_SIZE, BAD_OFF);
		err = errno;
		close(fd);
		errno = err;
		break;
	case BY_IO_URING:
		res = 0;
		ret = uring_write(self->fd, buf, SECTOR_SIZE, BAD_OFF, &res);
		if (ret == -1) {
			err = errno;
			free(buf);
			SKIP(return, "io_uring_setup: %s", strerror(err));
		}
		ASSERT_EQ(0, ret);
		ret = res < 0 ? -1 : res;
		errno = res < 0 ? -res : 0;
		break;
	}
	err = errno;
	expect_write(_metadata, self, variant, ret, err, buf, BAD_OFF,
		     SECTOR_SIZE);
	free(buf);
}

/* The clear unit of a file: on dm, that of the pmem below. */
TEST_F_TIMEOUT(bb, statx_clear_unit, 120)
{
	unsigned int want = variant->clears ? LEGACY_UNIT : 0;
	struct bb_statx stx;
	char path[160];
	int fd, dir;

	snprintf(path, sizeof(path), "%s/s", self->m.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bb_statx(fd, STATX_BASIC_STATS | STATX_DAX_CLEAR, &stx));
	EXPECT_TRUE(!!(stx.stx_attributes & STATX_ATTR_DAX));
	EXPECT_TRUE(!!(stx.stx_mask & STATX_DAX_CLEAR));
	EXPECT_EQ(want, stx.stx_dax_clear_unit);
	if (stx.stx_dax_clear_unit) {
		/* a power of two, at least a sector */
		EXPECT_LE((unsigned int)SECTOR_SIZE, stx.stx_dax_clear_unit);
		EXPECT_EQ(0U, stx.stx_dax_clear_unit &
			      (stx.stx_dax_clear_unit - 1));
	}

	/* Only reported when asked for, ... */
	ASSERT_EQ(0, bb_statx(fd, STATX_BASIC_STATS, &stx));
	EXPECT_FALSE(!!(stx.stx_mask & STATX_DAX_CLEAR));
	close(fd);

	/* ... and only for regular files. */
	dir = open(self->m.dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir);
	ASSERT_EQ(0, bb_statx(dir, STATX_BASIC_STATS | STATX_DAX_CLEAR, &stx));
	EXPECT_FALSE(!!(stx.stx_mask & STATX_DAX_CLEAR));
	close(dir);
}

/* a: good sectors of the poisoned page read fine, on every device. */
TEST_F_TIMEOUT(bb, read_good_sectors, 120)
{
	unsigned char buf[SECTOR_SIZE];
	off_t pos;
	int s;

	bb_prepare(_metadata, self, variant);
	for (s = 0; s < SPP; s++) {
		if (s == BAD_SECT)
			continue;
		pos = PAGE_OFF + s * SECTOR_SIZE;
		EXPECT_EQ(SECTOR_SIZE, pread(self->fd, buf, SECTOR_SIZE, pos)) {
			TH_LOG("sector %d: %s", s, strerror(errno));
		}
		EXPECT_EQ(0, memcmp(buf, self->data + pos, SECTOR_SIZE));
	}
	/* unaligned, inside one good sector */
	pos = PAGE_OFF + 5 * SECTOR_SIZE + 7;
	EXPECT_EQ(100, pread(self->fd, buf, 100, pos));
	EXPECT_EQ(0, memcmp(buf, self->data + pos, 100));
	/* reads do not clear anything */
	expect_unchanged(_metadata, self);
}

/* b: reads stop exactly at the bad sector; reads from it fail. */
TEST_F_TIMEOUT(bb, read_stops_at_bad_sector, 120)
{
	const int good = BAD_SECT * SECTOR_SIZE;
	unsigned char buf[2 * PAGE];
	struct iovec iov[2];

	bb_prepare(_metadata, self, variant);

	EXPECT_EQ(good, pread(self->fd, buf, PAGE, PAGE_OFF));
	EXPECT_EQ(0, memcmp(buf, self->data + PAGE_OFF, good));

	/* from the page before */
	EXPECT_EQ(PAGE + good, pread(self->fd, buf, 2 * PAGE, 0));
	EXPECT_EQ(0, memcmp(buf, self->data, PAGE + good));

	/* from the sector before, and from 50 bytes before */
	EXPECT_EQ(SECTOR_SIZE, pread(self->fd, buf, 2 * SECTOR_SIZE,
				     BAD_OFF - SECTOR_SIZE));
	EXPECT_EQ(50, pread(self->fd, buf, 100, BAD_OFF - 50));
	EXPECT_EQ(0, memcmp(buf, self->data + BAD_OFF - 50, 50));

	/* vectored */
	iov[0].iov_base = buf;
	iov[0].iov_len = PAGE / 2;
	iov[1].iov_base = buf + PAGE / 2;
	iov[1].iov_len = PAGE / 2;
	EXPECT_EQ(good, preadv(self->fd, iov, 2, PAGE_OFF));

	/* from inside the bad sector */
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, SECTOR_SIZE, BAD_OFF));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, 10, BAD_OFF + 100));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, PAGE, BAD_OFF));
	EXPECT_EQ(EIO, errno);

	/* from right after it */
	EXPECT_EQ(SECTOR_SIZE, pread(self->fd, buf, SECTOR_SIZE,
				     BAD_OFF + SECTOR_SIZE));
	EXPECT_EQ(0, memcmp(buf, self->data + BAD_OFF + SECTOR_SIZE,
			    SECTOR_SIZE));
	expect_unchanged(_metadata, self);
}

/* c: writes of good sectors of the page work and leave the bad one. */
TEST_F_TIMEOUT(bb, write_good_sectors, 120)
{
	static const struct { off_t pos; size_t len; } w[] = {
		{ PAGE_OFF, SECTOR_SIZE },			/* sector 0 */
		{ PAGE_OFF + 7 * SECTOR_SIZE, SECTOR_SIZE },	/* sector 7 */
		{ BAD_OFF - 300, 300 },		/* ends at the bad one */
		{ BAD_OFF + SECTOR_SIZE, 300 },	/* starts after it */
		{ BAD_OFF + SECTOR_SIZE + 700, 100 },	/* unaligned */
	};
	unsigned char buf[SECTOR_SIZE];
	unsigned int i;
	ssize_t ret;

	bb_prepare(_metadata, self, variant);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		dax_fill(buf, w[i].pos, w[i].len, 2 + i);
		ret = pwrite(self->fd, buf, w[i].len, w[i].pos);
		EXPECT_EQ((ssize_t)w[i].len, ret) {
			TH_LOG("write %u: %s", i, strerror(errno));
		}
		if (ret == (ssize_t)w[i].len)
			memcpy(self->data + w[i].pos, buf, w[i].len);
	}
	expect_unchanged(_metadata, self);
}

/* d: a write of exactly the bad sector clears it, or fails with EIO. */
TEST_F_TIMEOUT(bb, clear_pwrite, 120)
{
	clear_sector(_metadata, self, variant, BY_PWRITE);
}

TEST_F_TIMEOUT(bb, clear_pwritev, 120)
{
	clear_sector(_metadata, self, variant, BY_PWRITEV);
}

TEST_F_TIMEOUT(bb, clear_odirect, 120)
{
	clear_sector(_metadata, self, variant, BY_ODIRECT);
}

TEST_F_TIMEOUT(bb, clear_io_uring, 120)
{
	clear_sector(_metadata, self, variant, BY_IO_URING);
}

/* A whole-page write: clears on legacy pmem, EIO on the NVDIMM. */
TEST_F_TIMEOUT(bb, clear_page, 120)
{
	unsigned char buf[PAGE];
	ssize_t ret;

	bb_prepare(_metadata, self, variant);
	dax_fill(buf, PAGE_OFF, PAGE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, PAGE, PAGE_OFF);
	expect_write(_metadata, self, variant, ret, errno, buf, PAGE_OFF,
		     PAGE);
}

/* e: a write that covers only part of the bad sector changes nothing. */
TEST_F_TIMEOUT(bb, partial_cover_eio, 120)
{
	static const struct { off_t pos; size_t len; } w[] = {
		{ BAD_OFF, SECTOR_SIZE / 2 },		/* its first half */
		{ BAD_OFF + SECTOR_SIZE / 2, SECTOR_SIZE / 2 },	/* last */
		{ BAD_OFF - SECTOR_SIZE / 2, SECTOR_SIZE },	/* straddles */
		{ BAD_OFF + 1, PAGE },		/* into the next page */
		{ PAGE_OFF, BAD_SECT * SECTOR_SIZE + 1 },	/* one byte */
	};
	unsigned char buf[PAGE + 1];
	unsigned int i;

	bb_prepare(_metadata, self, variant);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		dax_fill(buf, w[i].pos, w[i].len, 2 + i);
		errno = 0;
		EXPECT_EQ(-1, pwrite(self->fd, buf, w[i].len, w[i].pos)) {
			TH_LOG("write %u of %zu at %lld went through", i,
			       w[i].len, (long long)w[i].pos);
		}
		EXPECT_EQ(EIO, errno) {
			TH_LOG("write %u: %s", i, strerror(errno));
		}
	}
	expect_unchanged(_metadata, self);
}

/* f: an unaligned write that covers the bad sector in full clears it. */
TEST_F_TIMEOUT(bb, clear_unaligned, 120)
{
	const off_t pos = BAD_OFF - SECTOR_SIZE + 100;	/* sector 2 + 100 */
	const size_t len = 2 * SECTOR_SIZE;		/* to sector 4 + 100 */
	unsigned char buf[2 * SECTOR_SIZE];
	ssize_t ret;

	bb_prepare(_metadata, self, variant);
	dax_fill(buf, pos, len, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, len, pos);
	expect_write(_metadata, self, variant, ret, errno, buf, pos, len);
}

/* g: the poisoned page cannot be mapped until a write clears it. */
TEST_F_TIMEOUT(bb, mmap_sigbus, 120)
{
	unsigned char buf[SECTOR_SIZE], page[PAGE];
	ssize_t ret;

	bb_prepare(_metadata, self, variant);
	EXPECT_EQ(1, dax_map_read(self->fd, PAGE_OFF, page));
	/* its neighbours map fine (not on nfit_test, see the top) */
	if (!variant->no_map) {
		EXPECT_EQ(0, dax_map_read(self->fd, 0, page));
		EXPECT_EQ(0, memcmp(page, self->data, PAGE));
	}

	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
	expect_write(_metadata, self, variant, ret, errno, buf, BAD_OFF,
		     SECTOR_SIZE);
	if (variant->no_map)
		return;
	if (variant->clears) {
		EXPECT_EQ(0, dax_map_read(self->fd, PAGE_OFF, page));
		EXPECT_EQ(0, memcmp(page, self->data + PAGE_OFF, PAGE));
	} else {
		EXPECT_EQ(1, dax_map_read(self->fd, PAGE_OFF, page));
	}
}

/*
 * i: hole punch and zero range over the poisoned page succeed and read as
 * zeroes.  Legacy pmem: the sector is cleared, and the page can be written
 * again.  NVDIMM: the sector stays listed (in free space or under an
 * unwritten extent); the page is not written again, since its new blocks
 * could be the bad ones and zeroing them at allocation would fail.
 */
static void clear_by_fallocate(struct __test_metadata *_metadata,
			       FIXTURE_DATA(bb) *self,
			       const FIXTURE_VARIANT(bb) *variant, int mode)
{
	const struct bb_list *bl = &self->bl;
	unsigned char buf[PAGE];

	bb_prepare(_metadata, self, variant);
	ASSERT_EQ(0, fallocate(self->fd, mode, PAGE_OFF, PAGE)) {
		TH_LOG("fallocate(%#x): %s", mode, strerror(errno));
	}
	memset(self->data + PAGE_OFF, 0, PAGE);
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, FILE_LEN));
	if (!variant->clears) {
		EXPECT_EQ(1, bb_bad_in(bl, self->bad, 1));
		EXPECT_EQ(self->total + 1, bb_bad_total(bl));
		return;
	}
	EXPECT_EQ(0, bb_bad_in(bl, self->bad, 1));
	EXPECT_EQ(self->total, bb_bad_total(bl));

	dax_fill(buf, PAGE_OFF, PAGE, 1);
	ASSERT_EQ(PAGE, pwrite(self->fd, buf, PAGE, PAGE_OFF));
	ASSERT_EQ(0, fsync(self->fd));
	memcpy(self->data + PAGE_OFF, buf, PAGE);
	EXPECT_TRUE(dax_reads_back(self->fd, self->data, 0, FILE_LEN));
	EXPECT_EQ(0, bb_bad_in(bl, self->bad, 1));
	EXPECT_EQ(self->total, bb_bad_total(bl));
}

TEST_F_TIMEOUT(bb, punch_hole, 120)
{
	clear_by_fallocate(_metadata, self, variant,
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

TEST_F_TIMEOUT(bb, zero_range, 120)
{
	clear_by_fallocate(_metadata, self, variant, FALLOC_FL_ZERO_RANGE);
}

/*
 * Writes are checked extent by extent: a write across the two extents of
 * the file whose second part covers half of a bad sector stores the part
 * in the first extent and returns its length; the rest is refused before
 * anything changes.  The same on every device (the first part holds no bad
 * sector).
 */
TEST_F_TIMEOUT(bb, short_at_extent, 120)
{
	const off_t bad = 2 * PAGE + SECTOR_SIZE;	/* the second extent */
	const off_t pos = PAGE + 100;
	const size_t len = bad + SECTOR_SIZE / 2 - pos;
	unsigned char buf[2 * PAGE];
	ssize_t ret;
	int err;

	bb_make_file(_metadata, self, variant, true);
	bb_mark(_metadata, self, bad);
	dax_fill(buf, pos, len, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, len, pos);
	err = errno;
	EXPECT_EQ(2 * PAGE - pos, ret) {
		TH_LOG("write of %zu at %lld: %s", len, (long long)pos,
		       ret < 0 ? strerror(err) : "not short at the extent");
	}
	if (ret > 0 && ret <= (ssize_t)len)
		memcpy(self->data + pos, buf, ret);
	expect_marks(_metadata, self, 1);
}

/*
 * A write of two pages from @pos whose source is a page and then a
 * PROT_NONE page, over bad sectors at @bad0 and @bad1 of the file: it
 * returns @want, both are cleared, only the first is written in full.
 */
static void short_copy(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bb) *self,
		       const FIXTURE_VARIANT(bb) *variant, off_t pos,
		       off_t bad0, off_t bad1, ssize_t want)
{
	unsigned char *buf;
	ssize_t ret;
	int err;

	bb_make_file(_metadata, self, variant, false);
	bb_mark(_metadata, self, bad0);
	bb_mark(_metadata, self, bad1);
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + PAGE, PAGE, PROT_NONE));
	dax_fill(buf, pos, PAGE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, 2 * PAGE, pos);
	err = errno;
	if (variant->clears) {
		EXPECT_EQ(want, ret) {
			TH_LOG("write from a page and a PROT_NONE one at %lld: %s",
			       (long long)pos, ret < 0 ? strerror(err) : "");
		}
		if (ret > 0 && ret <= PAGE)
			memcpy(self->data + pos, buf, ret);
		expect_marks(_metadata, self, 2);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EIO, err) {
			TH_LOG("write: %s, not EIO", strerror(err));
		}
		expect_marks(_metadata, self, 3);
	}
	munmap(buf, 2 * PAGE);
}

/*
 * The source faults at the byte for 4352 of the file, in the cleared
 * sector at 4096: the write ends at 4096 and returns 3840.  The sector at
 * 1024, cleared and written, leaves the list; the one at 4096 stays.
 */
TEST_F_TIMEOUT(bb, short_copy, 120)
{
	short_copy(_metadata, self, variant, 256, 2 * SECTOR_SIZE, PAGE,
		   PAGE - 256);
}

/*
 * The source faults at the byte for 4096, in no cleared sector: the write
 * returns 4096.  The sector at 5120 is beyond what the source can supply,
 * so it is not cleared: it stays listed.  (The re-listing of a unit that
 * was cleared but not rewritten, after a copy that faults once the source
 * was faulted in, or a failed clear, is covered by the pmem_dax_badblocks
 * KUnit tables: no guest here can make either happen on demand.)
 */
TEST_F_TIMEOUT(bb, short_copy_aligned, 120)
{
	short_copy(_metadata, self, variant, 0, 2 * SECTOR_SIZE,
		   PAGE + 2 * SECTOR_SIZE, PAGE);
}

/* One write over bad sectors in pages 0 and 2 clears both. */
TEST_F_TIMEOUT(bb, clear_two_pages, 120)
{
	unsigned char buf[FILE_LEN];
	ssize_t ret;
	int err;

	bb_make_file(_metadata, self, variant, false);
	bb_mark(_metadata, self, 2 * SECTOR_SIZE);
	bb_mark(_metadata, self, 2 * PAGE + 5 * SECTOR_SIZE);
	dax_fill(buf, 0, FILE_LEN, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, FILE_LEN, 0);
	err = errno;
	if (variant->clears) {
		EXPECT_EQ(FILE_LEN, ret) {
			TH_LOG("write of the file: %s",
			       ret < 0 ? strerror(err) : "short");
		}
		if (ret == FILE_LEN)
			memcpy(self->data, buf, FILE_LEN);
		expect_marks(_metadata, self, 0);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EIO, err) {
			TH_LOG("write of the file: %s, not EIO", strerror(err));
		}
		expect_marks(_metadata, self, 3);
	}
}

/*
 * A hole punch with unaligned edges zeroes parts of pages.  Punch [1536,
 * 6144) with bad sectors at 512, outside the range in page 0, and at 5120,
 * inside it in page 1: it succeeds, clears the sector at 5120, which reads
 * as zeroes, and leaves the one at 512 listed.  Clear unit 0: it succeeds
 * and both stay listed.  The rest of the range reads as zeroes.
 */
TEST_F_TIMEOUT(bb, punch_partial, 120)
{
	const off_t pos = 3 * SECTOR_SIZE, end = PAGE + 4 * SECTOR_SIZE;

	bb_make_file(_metadata, self, variant, false);
	bb_mark(_metadata, self, SECTOR_SIZE);
	bb_mark(_metadata, self, PAGE + 2 * SECTOR_SIZE);
	ASSERT_EQ(0, fallocate(self->fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       pos, end - pos)) {
		TH_LOG("punch [%lld, %lld): %s", (long long)pos,
		       (long long)end, strerror(errno));
	}
	memset(self->data + pos, 0, end - pos);
	expect_marks(_metadata, self, variant->clears ? 1 : 3);
}

/*
 * Truncate to 5632, in page 1, whose tail is zeroed, with a bad sector at
 * @bad: it succeeds; the sector stays listed unless it was zeroed in full
 * and the device can clear it.  The file reads as before up to the new
 * EOF and, grown again, as zeroes after it.
 */
static void truncate_page(struct __test_metadata *_metadata,
			  FIXTURE_DATA(bb) *self,
			  const FIXTURE_VARIANT(bb) *variant, off_t bad)
{
	const off_t eof = PAGE + 3 * SECTOR_SIZE;
	const bool kept = bad < eof || !variant->clears;

	bb_make_file(_metadata, self, variant, false);
	bb_mark(_metadata, self, bad);
	ASSERT_EQ(0, ftruncate(self->fd, eof)) {
		TH_LOG("truncate to %lld: %s", (long long)eof,
		       strerror(errno));
	}
	expect_listed(_metadata, self, kept);
	expect_reads(_metadata, self, self->fd, self->data, eof, bad < eof);
	if (bad >= eof && kept)
		return;		/* clear unit 0: the sector is still bad */
	ASSERT_EQ(0, ftruncate(self->fd, 2 * PAGE));
	memset(self->data + eof, 0, 2 * PAGE - eof);
	expect_reads(_metadata, self, self->fd, self->data, 2 * PAGE,
		     bad < eof);
}

/* The bad sector, at 6144, is past the new EOF: zeroing clears it. */
TEST_F_TIMEOUT(bb, truncate_clears_tail, 120)
{
	truncate_page(_metadata, self, variant, PAGE + 4 * SECTOR_SIZE);
}

/* The bad sector, at 4608, is before the new EOF: it stays listed. */
TEST_F_TIMEOUT(bb, truncate_keeps_head, 120)
{
	truncate_page(_metadata, self, variant, PAGE + SECTOR_SIZE);
}

/*
 * XFS: make the test file with its bad sector, and a clone of it in
 * self->fd2 (FICLONE): all its blocks are shared, the bad one included.
 */
static void bb_clone(struct __test_metadata *_metadata, FIXTURE_DATA(bb) *self,
		     const FIXTURE_VARIANT(bb) *variant)
{
	char path[160];

	bb_prepare(_metadata, self, variant);
	snprintf(path, sizeof(path), "%s/clone", self->m.dir);
	self->fd2 = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ioctl(self->fd2, FICLONE, self->fd)) {
		TH_LOG("FICLONE: %s (mkfs.xfs without reflink?)",
		       strerror(errno));
	}
	ASSERT_EQ(self->page * SECTOR_SIZE, dax_physical(self->fd2, PAGE_OFF));
}

/*
 * XFS: a write of the bad sector in a block shared with a clone copies the
 * block (copy on write) and succeeds on every device: the file reads the
 * new data; the clone still fails with EIO at the sector and reads as
 * before elsewhere, and the sector stays listed.
 */
TEST_F_TIMEOUT(bb, reflink_write, 120)
{
	unsigned char buf[SECTOR_SIZE], old[FILE_LEN];
	ssize_t ret;
	int err;

	if (strcmp(variant->fs, "xfs"))
		SKIP(return, "%s has no reflink (FICLONE)", variant->fs);
	bb_clone(_metadata, self, variant);
	memcpy(old, self->data, FILE_LEN);
	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	errno = 0;
	ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
	err = errno;
	ASSERT_EQ(SECTOR_SIZE, ret) {
		TH_LOG("write of the shared bad sector: %s",
		       ret < 0 ? strerror(err) : "short");
	}
	memcpy(self->data + BAD_OFF, buf, SECTOR_SIZE);
	EXPECT_NE(self->page * SECTOR_SIZE, dax_physical(self->fd, PAGE_OFF));
	expect_listed(_metadata, self, 1);
	expect_reads(_metadata, self, self->fd, self->data, FILE_LEN, 0);
	expect_reads(_metadata, self, self->fd2, old, FILE_LEN, 1);
}

/*
 * XFS: a hole punch over the bad sector in a block shared with a clone
 * leaves the block to the clone: the file reads zeroes there, the clone
 * EIO at the sector and as before elsewhere, and the sector stays listed.
 */
TEST_F_TIMEOUT(bb, reflink_punch, 120)
{
	unsigned char old[FILE_LEN];

	if (strcmp(variant->fs, "xfs"))
		SKIP(return, "%s has no reflink (FICLONE)", variant->fs);
	bb_clone(_metadata, self, variant);
	memcpy(old, self->data, FILE_LEN);
	ASSERT_EQ(0, fallocate(self->fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       PAGE_OFF, PAGE)) {
		TH_LOG("punch of the shared page: %s", strerror(errno));
	}
	memset(self->data + PAGE_OFF, 0, PAGE);
	expect_listed(_metadata, self, 1);
	expect_reads(_metadata, self, self->fd, self->data, FILE_LEN, 0);
	expect_reads(_metadata, self, self->fd2, old, FILE_LEN, 1);
}

struct bb_poller {
	int fd;			/* the badblocks attribute, read once */
	int written;		/* the clearing write has started */
	int ret;		/* of the poll() that saw it */
	short revents;
	struct timespec woke;
};

/*
 * poll() the badblocks attribute until it changes after the write started
 * (a change before, such as the end of a scrub, is read and waited past).
 */
static void *bb_poll(void *arg)
{
	struct bb_poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLPRI | POLLERR };
	char list[PAGE];

	for (;;) {
		p->ret = poll(&pfd, 1, POLL_MS);
		clock_gettime(CLOCK_MONOTONIC, &p->woke);
		if (p->ret != 1 ||
		    __atomic_load_n(&p->written, __ATOMIC_ACQUIRE) ||
		    pread(p->fd, list, sizeof(list), 0) < 0)
			break;
	}
	p->revents = pfd.revents;
	return NULL;
}

/*
 * A write that clears a bad sector tells the pollers of the badblocks list
 * (ndctl monitor), within NOTIFY_MS.  On dm, the list is the pmem's below.
 */
TEST_F_TIMEOUT(bb, poll_badblocks, 120)
{
	struct bb_poller p = { .written = 0 };
	unsigned char buf[SECTOR_SIZE];
	char path[128], list[PAGE];
	struct timespec start;
	pthread_t thread;
	ssize_t ret;
	long ms;
	int err;

	if (!variant->clears)
		SKIP(return, "clear unit 0: no write clears a bad sector");
	bb_prepare(_metadata, self, variant);
	dax_badblocks_path(self->bl.dev, path, sizeof(path));
	p.fd = open(path, O_RDONLY);
	ASSERT_LE(0, p.fd);
	/* poll() waits for a change after the last read */
	ASSERT_LE(0, read(p.fd, list, sizeof(list)));
	ASSERT_EQ(0, pthread_create(&thread, NULL, bb_poll, &p));
	usleep(200000);

	dax_fill(buf, BAD_OFF, SECTOR_SIZE, 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	__atomic_store_n(&p.written, 1, __ATOMIC_RELEASE);
	errno = 0;
	ret = pwrite(self->fd, buf, SECTOR_SIZE, BAD_OFF);
	err = errno;
	pthread_join(thread, NULL);
	close(p.fd);
	expect_write(_metadata, self, variant, ret, err, buf, BAD_OFF,
		     SECTOR_SIZE);

	ms = (p.woke.tv_sec - start.tv_sec) * 1000 +
	     (p.woke.tv_nsec - start.tv_nsec) / 1000000;
	EXPECT_EQ(1, p.ret) {
		TH_LOG("poll of %s: %s in %d ms", path,
		       p.ret ? "failed" : "no notification", POLL_MS);
	}
	EXPECT_TRUE(!!(p.revents & POLLPRI));
	EXPECT_LE(0, ms);	/* not woken before the write */
	EXPECT_GT(NOTIFY_MS, ms) {
		TH_LOG("notified %ld ms after the write", ms);
	}
}

TEST_HARNESS_MAIN
