/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DAX selftests: format and mount a pmem device with
 * DAX, find where a file's data lives on the device, and inject or list
 * bad sectors through /sys/block/pmemN/badblocks.
 *
 * The tests format block devices, so they only run on devices named
 * explicitly (opt-in):
 *
 *   DAX_TEST_PMEM_LEGACY  a legacy pmem device, e.g. /dev/pmem0, from
 *                         memmap=512M!1G on the kernel command line
 *   DAX_TEST_PMEM_NVDIMM  an fsdax namespace on an NVDIMM, e.g. /dev/pmem1,
 *                         from "ndctl create-namespace -m fsdax"
 *
 * Under QEMU, an NVDIMM comes from -machine nvdimm=on, -m 2G,slots=2,maxmem=4G,
 * -object memory-backend-file,id=nv0,share=on,mem-path=FILE,size=1G and
 * -device nvdimm,memdev=nv0,label-size=128K.  A variant whose device is not
 * named is skipped with the reason.
 */
#ifndef DAX_UTIL_H
#define DAX_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"

#define SECTOR_SIZE 512

/* Run a shell command quietly; return its exit status or -1. */
static inline int dax_run(const char *fmt, const char *a, const char *b)
{
	char cmd[512];
	int status;

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Make a filesystem of type @fs on @dev; 0 on success. */
static inline int dax_mkfs(const char *fs, const char *dev)
{
	if (!strcmp(fs, "xfs"))
		return dax_run("mkfs.xfs -f -q %s%s >/dev/null 2>&1", dev, "");
	/* ext4 DAX needs the block size to be the page size. */
	return dax_run("mkfs.ext4 -F -q -b 4096 %s%s >/dev/null 2>&1", dev, "");
}

/* Byte offset on the device of byte @pos of the file behind @fd, or -1. */
static inline long long dax_physical(int fd, off_t pos)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe[1];
	} m;

	memset(&m, 0, sizeof(m));
	m.fm.fm_start = pos;
	m.fm.fm_length = 1;
	m.fm.fm_flags = FIEMAP_FLAG_SYNC;
	m.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &m.fm) || m.fm.fm_mapped_extents != 1)
		return -1;
	if (m.fe[0].fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_ENCODED))
		return -1;
	return m.fe[0].fe_physical + (pos - m.fe[0].fe_logical);
}

/* Path of the badblocks list of block device @dev ("/dev/pmem0"). */
static inline void dax_badblocks_path(const char *dev, char *path, size_t len)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%s", dev);
	snprintf(path, len, "/sys/block/%s/badblocks", basename(tmp));
}

/* Write @str to the sysfs, debugfs or tracefs file @path; 0 on success. */
static inline int dax_write_str(const char *path, const char *str)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(str, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* Mark @count sectors bad from @sector; 0 on success. */
static inline int dax_inject(const char *dev, long long sector, int count)
{
	char path[128], line[64];

	dax_badblocks_path(dev, path, sizeof(path));
	snprintf(line, sizeof(line), "%lld %d\n", sector, count);
	return dax_write_str(path, line);
}

/*
 * Number of bad sectors of @dev in [@sector, @sector + @count), or -1 if
 * the list cannot be read.
 */
static inline int dax_bad_in(const char *dev, long long sector, int count)
{
	long long s, lo, hi;
	char path[128];
	int n, bad = 0;
	FILE *f;

	dax_badblocks_path(dev, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%lld %d", &s, &n) == 2) {
		lo = s > sector ? s : sector;
		hi = s + n < sector + count ? s + n : sector + count;
		if (hi > lo)
			bad += hi - lo;
	}
	fclose(f);
	return bad;
}

/* Total number of bad sectors listed for @dev, or -1. */
static inline int dax_bad_total(const char *dev)
{
	return dax_bad_in(dev, 0, 1 << 30);
}

/*
 * A freshly made filesystem of type @fs on the device named by the
 * environment variable @env, mounted with @opts; skips the test when
 * @env is not set.
 */
struct dax_mnt {
	char dir[64];
	const char *dev;
	int mounted;
};

static inline void dax_mnt_setup(struct __test_metadata *_metadata,
				 struct dax_mnt *m, const char *fs,
				 const char *env, const char *opts)
{
	m->mounted = 0;
	m->dev = getenv(env);
	if (!m->dev || !*m->dev)
		SKIP(return, "%s is not set: no pmem device this test may format",
		     env);
	ASSERT_EQ(0, dax_mkfs(fs, m->dev)) {
		TH_LOG("mkfs.%s %s failed", fs, m->dev);
	}
	strcpy(m->dir, "/tmp/dax_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(m->dir));
	if (mount(m->dev, m->dir, fs, 0, opts)) {
		TH_LOG("mount -t %s -o %s %s: %s", fs, opts, m->dev,
		       strerror(errno));
		rmdir(m->dir);
		ASSERT_TRUE(0);
	}
	m->mounted = 1;
}

static inline void dax_mnt_teardown(struct __test_metadata *_metadata,
				    struct dax_mnt *m)
{
	int tries = 0, ret;

	if (!m->mounted)
		return;
	/*
	 * The last reference to a file may be dropped asynchronously
	 * (delayed fput): retry EBUSY for up to 5 s before failing.
	 */
	while ((ret = umount(m->dir)) && errno == EBUSY && ++tries < 50)
		usleep(100000);
	if (ret)
		TH_LOG("umount %s: %s", m->dir, strerror(errno));
	EXPECT_EQ(0, ret);
	if (tries)
		TH_LOG("umount %s: busy %d times", m->dir, tries);
	rmdir(m->dir);
	m->mounted = 0;
}

#endif /* DAX_UTIL_H */
