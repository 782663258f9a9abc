// SPDX-License-Identifier: GPL-2.0
/*
 * map_direct_bench DIR ROUNDS
 *
 * MAP_DIRECT on a 256 MiB file in DIR (a DAX or a non-DAX mount):
 *  - cache_pages: page-cache pages (cachestat(2)) of the file after a
 *    MAP_SHARED | MAP_DIRECT mapping of it was touched (one store per
 *    page) and unmapped: 0 when the mapping was direct, about 65536 when
 *    the hint fell back to the page cache;
 *  - plain_faults_per_s, direct_faults_per_s: 4 KiB write faults per
 *    second through a MAP_SHARED mapping without and with MAP_DIRECT,
 *    alternating ROUNDS times (mmap, touch every page, munmap), and their
 *    ratio (the median of the per-round ratios, which one slow round of
 *    a TCG guest does not move).  Huge pages are disabled on the
 *    mappings so that every page faults.
 * Prints one line of key=value pairs; exits 1 on error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_DIRECT
#define MAP_DIRECT	0x400000
#endif
#ifndef __NR_cachestat
#define __NR_cachestat	451
#endif

#define FILE_SIZE	(256L * 1024 * 1024)
#define PAGE		4096

struct cs_range { unsigned long long off, len; };
struct cs { unsigned long long nr_cache, nr_dirty, nr_writeback,
	    nr_evicted, nr_recently_evicted; };

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long cache_pages(int fd)
{
	struct cs_range r = { 0, 0 };
	struct cs c;

	if (syscall(__NR_cachestat, fd, &r, &c, 0))
		return -1;
	return c.nr_cache;
}

/* Map, touch every page, unmap; seconds taken, or -1. */
static double touch(int fd, int flags)
{
	double t = now();
	char *p;
	long i;

	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise(p, FILE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < FILE_SIZE; i += PAGE)
		p[i] = i / PAGE;
	munmap(p, FILE_SIZE);
	return now() - t;
}

int main(int argc, char **argv)
{
	double plain = 0, direct = 0, t, tp, ratio[64];
	char path[4096], *buf;
	int fd, rounds, r;
	long off;

	if (argc != 3)
		return fprintf(stderr, "usage: %s DIR ROUNDS\n", argv[0]), 1;
	rounds = atoi(argv[2]);
	if (rounds < 1 || rounds > 64)
		return fprintf(stderr, "ROUNDS: 1 to 64\n"), 1;
	snprintf(path, sizeof(path), "%s/map_direct_bench", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	buf = calloc(1, 1 << 20);
	if (fd < 0 || !buf)
		return perror("open"), 1;
	/* Written extents: faults measure mapping, not allocation. */
	for (off = 0; off < FILE_SIZE; off += 1 << 20)
		if (pwrite(fd, buf, 1 << 20, off) != 1 << 20)
			return perror("pwrite"), 1;
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		return perror("fsync"), 1;

	if (touch(fd, MAP_SHARED | MAP_DIRECT) < 0)
		return perror("mmap"), 1;
	printf("cache_pages=%lld ", cache_pages(fd));

	for (r = 0; r < rounds; r++) {
		tp = touch(fd, MAP_SHARED);
		t = touch(fd, MAP_SHARED | MAP_DIRECT);
		if (tp < 0 || t < 0)
			return perror("mmap"), 1;
		plain += tp;
		direct += t;
		ratio[r] = tp / t;
	}
	qsort(ratio, rounds, sizeof(ratio[0]), cmp);
	printf("plain_faults_per_s=%.0f direct_faults_per_s=%.0f ratio=%.3f\n",
	       rounds * (FILE_SIZE / PAGE) / plain,
	       rounds * (FILE_SIZE / PAGE) / direct,
	       rounds % 2 ? ratio[rounds / 2] :
	       (ratio[rounds / 2 - 1] + ratio[rounds / 2]) / 2);
	close(fd);
	unlink(path);
	return 0;
}
