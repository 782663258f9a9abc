// SPDX-License-Identifier: GPL-2.0
/*
 * DAX on persistent memory: what holds on every kernel with FS_DAX, and what
 * the other DAX selftests build on.
 *
 *  - XFS and ext4 mount with -o dax=always on legacy pmem and on an NVDIMM
 *    fsdax namespace, and statx() reports STATX_ATTR_DAX for their files;
 *  - a sector marked bad in /sys/block/pmemN/badblocks stops a DAX read of
 *    the page that holds it (EIO where media errors are page granular, a
 *    short read up to the bad sector where they are sector granular), and a
 *    page-aligned write of the whole page clears it (legacy pmem, which can
 *    always clear).
 *
 * See dax_util.h for the devices the tests need.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include "dax_util.h"

#define PAGE 4096
#define NPAGES 4

/* Every filesystem on every kind of pmem. */
FIXTURE(dax) {
	struct dax_mnt m;
};

FIXTURE_VARIANT(dax) {
	const char *fs;
	const char *env;	/* names the device, see dax_util.h */
};

FIXTURE_VARIANT_ADD(dax, xfs_legacy) { .fs = "xfs", .env = "DAX_TEST_PMEM_LEGACY" };
FIXTURE_VARIANT_ADD(dax, ext4_legacy) { .fs = "ext4", .env = "DAX_TEST_PMEM_LEGACY" };
FIXTURE_VARIANT_ADD(dax, xfs_nvdimm) { .fs = "xfs", .env = "DAX_TEST_PMEM_NVDIMM" };
FIXTURE_VARIANT_ADD(dax, ext4_nvdimm) { .fs = "ext4", .env = "DAX_TEST_PMEM_NVDIMM" };

FIXTURE_SETUP(dax)
{
	dax_mnt_setup(_metadata, &self->m, variant->fs, variant->env,
		      "dax=always");
}

FIXTURE_TEARDOWN(dax)
{
	dax_mnt_teardown(_metadata, &self->m);
}

/* Legacy pmem, where the driver can always clear poison. */
FIXTURE(legacy) {
	struct dax_mnt m;
};

FIXTURE_VARIANT(legacy) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(legacy, xfs) { .fs = "xfs" };
FIXTURE_VARIANT_ADD(legacy, ext4) { .fs = "ext4" };

FIXTURE_SETUP(legacy)
{
	dax_mnt_setup(_metadata, &self->m, variant->fs, "DAX_TEST_PMEM_LEGACY",
		      "dax=always");
}

FIXTURE_TEARDOWN(legacy)
{
	dax_mnt_teardown(_metadata, &self->m);
}

/* Create @name under the mount with NPAGES pages of @c; return its fd. */
static int make_file(struct __test_metadata *_metadata, const char *mnt,
		     const char *name, int c)
{
	char path[128], buf[PAGE * NPAGES];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	memset(buf, c, sizeof(buf));
	EXPECT_EQ(sizeof(buf), pwrite(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, fsync(fd));
	return fd;
}

/* Does every byte of [@pos, @pos + @len) of @fd read back as @c? */
static int reads_as(int fd, off_t pos, size_t len, int c)
{
	char buf[PAGE];
	size_t i;

	if (len > sizeof(buf) || pread(fd, buf, len, pos) != (ssize_t)len)
		return 0;
	for (i = 0; i < len; i++)
		if (buf[i] != (char)c)
			return 0;
	return 1;
}

TEST_F_TIMEOUT(dax, statx_attr_dax, 120)
{
	struct statx stx;
	char path[128];
	int fd;

	fd = make_file(_metadata, self->m.dir, "f", 'a');
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "%s/f", self->m.dir);
	ASSERT_EQ(0, statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(stx.stx_attributes_mask & STATX_ATTR_DAX);
	EXPECT_TRUE(stx.stx_attributes & STATX_ATTR_DAX);
	EXPECT_TRUE(reads_as(fd, 0, PAGE, 'a'));
	close(fd);
}

TEST_F_TIMEOUT(legacy, bad_sector_page_write_clears, 120)
{
	const char *dev = self->m.dev;
	long long phys, sector;
	char page[PAGE];
	ssize_t ret;
	int fd;

	fd = make_file(_metadata, self->m.dir, "f", 'a');
	ASSERT_LE(0, fd);
	phys = dax_physical(fd, PAGE);
	ASSERT_LE(0, phys);
	ASSERT_EQ(0, phys % PAGE);
	ASSERT_EQ(0, dax_bad_total(dev));

	/* Poison the fourth sector of the file's second page. */
	sector = phys / SECTOR_SIZE + 3;
	ASSERT_EQ(0, dax_inject(dev, sector, 1));
	ASSERT_EQ(1, dax_bad_in(dev, sector, 1));

	/*
	 * A read of the page stops in front of the bad sector (sector
	 * granular kernels), or fails with EIO (page granular ones).
	 */
	errno = 0;
	ret = pread(fd, page, PAGE, PAGE);
	EXPECT_TRUE(ret == 3 * SECTOR_SIZE || (ret == -1 && errno == EIO)) {
		TH_LOG("pread of the poisoned page: %zd (%s)", ret,
		       strerror(errno));
	}

	/* A whole, page-aligned page write clears the poison ... */
	memset(page, 'b', PAGE);
	ASSERT_EQ(PAGE, pwrite(fd, page, PAGE, PAGE));
	EXPECT_EQ(0, dax_bad_total(dev));

	/* ... stores the data, and leaves its neighbours alone. */
	EXPECT_TRUE(reads_as(fd, PAGE, PAGE, 'b'));
	EXPECT_TRUE(reads_as(fd, 0, PAGE, 'a'));
	EXPECT_TRUE(reads_as(fd, 2 * PAGE, PAGE, 'a'));
	close(fd);
}

TEST_HARNESS_MAIN
