// SPDX-License-Identifier: GPL-2.0
/*
 * badblocks_bench DEV DIR ROUNDS
 *
 * Media errors on a DAX file in DIR, a dax=always mount of the pmem block
 * device DEV (legacy pmem, where writes can clear them).  Bad sectors are
 * injected through /sys/block/pmemN/badblocks, so this needs root.
 *
 *  - unusable_bytes: one bad sector is marked in a page of a file, then
 *    each 512-byte sector of that page is read with pread(); the bytes
 *    that cannot be read (goal 512, one sector; v7.3.4: 4096, the page);
 *  - clear_ns, plain_ns, ratio: a 512-byte pwrite() that clears a bad
 *    sector (injected again before each round, untimed) against a plain
 *    512-byte pwrite() of a good sector of a clean page, ROUNDS times;
 *    which one goes first alternates.  The first write after the
 *    injection runs on caches the injection (two sysfs accesses) has
 *    cooled, so the per-round ratios of the two orders form two groups,
 *    one the true ratio times that penalty, the other divided by it, and
 *    the median of all rounds falls anywhere between the groups (measured
 *    here: 1.04 to 2.70 in runs of the same kernel).  So an untimed write
 *    to a third page follows each injection, and ratio is the geometric
 *    mean of the medians of the two orders, in which what penalty is left
 *    cancels (goal <= 2); ratio_clear_first and ratio_plain_first are
 *    those medians (close to each other when the warm-up does its job),
 *    clear_ns and plain_ns the medians of all rounds.
 * A kernel that cannot clear a bad sector with a 512-byte write (v7.3.4
 * fails it with EFAULT) reports clear_errno and no timings.
 * Prints one line of key=value pairs; exits 1 on error.  The bad sectors
 * it injects are cleared before it exits (whole-page writes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#define PAGE		4096
#define SECTOR		512
#define SPP		(PAGE / SECTOR)
#define NPAGES		4
#define BAD_PAGE	1	/* the page that gets the bad sector */
#define GOOD_PAGE	2	/* a clean page, for the plain writes */
#define WARM_PAGE	3	/* an untimed write after each injection */
#define BAD_SECT	3
#define MAX_ROUNDS	1001

static char bb_path[128];

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Byte offset on the device of byte @pos of the file, or -1. */
static long long physical(int fd, off_t pos)
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
	return m.fe[0].fe_physical + (pos - m.fe[0].fe_logical);
}

static int inject(long long sector)
{
	FILE *f = fopen(bb_path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%lld 1\n", sector) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* Is @sector listed bad?  1, 0, or -1 if the list cannot be read. */
static int listed(long long sector)
{
	FILE *f = fopen(bb_path, "r");
	long long s;
	int n, ret = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%lld %d", &s, &n) == 2)
		if (sector >= s && sector < s + n)
			ret = 1;
	fclose(f);
	return ret;
}

/* A 512-byte pwrite() at @pos taking *@ns nanoseconds: its result or -errno. */
static ssize_t timed_write(int fd, const char *buf, off_t pos, double *ns)
{
	double t = now_ns();
	ssize_t ret = pwrite(fd, buf, SECTOR, pos);

	if (ret < 0)
		ret = -errno;
	*ns = now_ns() - t;
	return ret;
}

/* Clear @sector of page @pg of @fd with a whole-page write: 0 or -1. */
static int clear_page(int fd, int pg, long long sector, char *buf)
{
	memset(buf, 'c', PAGE);
	if (pwrite(fd, buf, PAGE, (off_t)pg * PAGE) != PAGE)
		return -1;
	return listed(sector) ? -1 : 0;
}

/* Report @what, clear @sector if it is listed, and fail. */
static int bail(int fd, long long sector, const char *what)
{
	char buf[PAGE];

	fprintf(stderr, "%s (sector %lld): %s\n", what, sector,
		strerror(errno));
	if (listed(sector) && clear_page(fd, BAD_PAGE, sector, buf))
		fprintf(stderr, "sector %lld left bad\n", sector);
	return 1;
}

int main(int argc, char **argv)
{
	double clear[MAX_ROUNDS], plain[MAX_ROUNDS];
	double ratio[2][MAX_ROUNDS / 2 + 1];	/* [clear went first][round] */
	double tc = 0, tp = 0, rc, rp;
	char path[4096], dev[64], buf[PAGE];
	int fd, rounds, r, s, unusable = 0;
	long long phys, bad;
	off_t bad_off, good_off;
	ssize_t ret;

	if (argc != 4)
		return fprintf(stderr, "usage: %s DEV DIR ROUNDS\n", argv[0]), 1;
	rounds = atoi(argv[3]);
	if (rounds < 2 || rounds > MAX_ROUNDS)
		return fprintf(stderr, "ROUNDS: 2 to %d\n", MAX_ROUNDS), 1;
	snprintf(dev, sizeof(dev), "%s", argv[1]);
	snprintf(bb_path, sizeof(bb_path), "/sys/block/%s/badblocks",
		 basename(dev));
	if (access(bb_path, W_OK))
		return perror(bb_path), 1;

	snprintf(path, sizeof(path), "%s/badblocks_bench", argv[2]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return perror("open"), 1;
	for (r = 0; r < NPAGES; r++) {
		memset(buf, 'a' + r, PAGE);
		if (pwrite(fd, buf, PAGE, (off_t)r * PAGE) != PAGE)
			return perror("pwrite"), 1;
	}
	if (fsync(fd))
		return perror("fsync"), 1;
	phys = physical(fd, (off_t)BAD_PAGE * PAGE);
	if (phys < 0 || phys % PAGE)
		return fprintf(stderr, "FIEMAP: no page-aligned block\n"), 1;
	bad = phys / SECTOR + BAD_SECT;
	bad_off = (off_t)BAD_PAGE * PAGE + BAD_SECT * SECTOR;
	good_off = (off_t)GOOD_PAGE * PAGE + BAD_SECT * SECTOR;
	if (listed(bad))
		return fprintf(stderr, "sector %lld already bad\n", bad), 1;

	/* (a) the bytes one bad sector makes unreadable */
	if (inject(bad) || listed(bad) != 1)
		return bail(fd, bad, "inject");
	for (s = 0; s < SPP; s++) {
		ret = pread(fd, buf, SECTOR,
			    (off_t)BAD_PAGE * PAGE + s * SECTOR);
		unusable += SECTOR - (ret > 0 ? ret : 0);
	}
	if (clear_page(fd, BAD_PAGE, bad, buf))
		return fprintf(stderr, "cannot clear sector %lld\n", bad), 1;
	printf("unusable_bytes=%d ", unusable);

	/* (b) a clearing 512-byte write against a plain one */
	memset(buf, 'w', SECTOR);
	for (r = 0; r < rounds; r++) {
		if (inject(bad) || listed(bad) != 1)
			return bail(fd, bad, "inject");
		/* warm the write path up again after the sysfs accesses */
		if (pwrite(fd, buf, SECTOR, WARM_PAGE * PAGE) != SECTOR)
			return bail(fd, bad, "warm-up pwrite");
		ret = 0;
		if (r % 2)
			ret = timed_write(fd, buf, bad_off, &tc);
		if ((!(r % 2) || ret == SECTOR) &&
		    timed_write(fd, buf, good_off, &tp) != SECTOR)
			return bail(fd, bad, "plain pwrite");
		if (!(r % 2))
			ret = timed_write(fd, buf, bad_off, &tc);
		if (ret != SECTOR) {
			printf("clear_errno=%s rounds=0\n",
			       ret < 0 ? strerrorname_np(-ret) : "short");
			if (clear_page(fd, BAD_PAGE, bad, buf))
				return fprintf(stderr, "sector %lld left bad\n",
					       bad), 1;
			goto out;
		}
		if (listed(bad))
			return bail(fd, bad, "the clearing write left it listed");
		clear[r] = tc;
		plain[r] = tp;
		ratio[r % 2][r / 2] = tc / (tp > 0 ? tp : 1);
	}
	/* the cleared sector holds the data and the page reads whole */
	if (pread(fd, buf, PAGE, (off_t)BAD_PAGE * PAGE) != PAGE ||
	    buf[bad_off % PAGE] != 'w' || buf[bad_off % PAGE + SECTOR - 1] != 'w')
		return bail(fd, bad, "the cleared page reads wrong");
	rp = median(ratio[0], (rounds + 1) / 2);
	rc = median(ratio[1], rounds / 2);
	printf("clear_ns=%.0f plain_ns=%.0f ratio=%.3f ratio_clear_first=%.3f ratio_plain_first=%.3f rounds=%d\n",
	       median(clear, rounds), median(plain, rounds), sqrt(rc * rp),
	       rc, rp, rounds);
out:
	close(fd);
	unlink(path);
	return 0;
}
