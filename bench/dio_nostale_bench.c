// SPDX-License-Identifier: GPL-2.0
/*
 * dio_nostale_bench DIR SECONDS
 *
 * Direct-write throughput on a file in DIR: 1 MiB O_DIRECT overwrites of a
 * 64 MiB file with no page cache, then the same while another thread
 * stores through a MAP_SHARED mapping of the file.  Prints one line of
 * key=value pairs; /sys/fs/iomap/dio_nostale_fallbacks gives the
 * fallbacks (-1 on kernels without it).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE	(64L * 1024 * 1024)
#define CHUNK		(1024 * 1024)
#define PAGE		4096

static char *map;
static int stop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long fallbacks(void)
{
	FILE *f = fopen("/sys/fs/iomap/dio_nostale_fallbacks", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void *storer(void *arg)
{
	unsigned long i = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		map[(i++ % (FILE_SIZE / PAGE)) * PAGE + 8] = 'm';
	return NULL;
}

/* Direct writes for @secs seconds; returns writes per second. */
static double run(int fd, char *buf, double secs)
{
	double t0 = now(), t;
	long n = 0;

	do {
		if (pwrite(fd, buf, CHUNK, (n % (FILE_SIZE / CHUNK)) * CHUNK) != CHUNK) {
			perror("pwrite");
			exit(1);
		}
		n++;
		t = now();
	} while (t - t0 < secs);
	return n / (t - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 5, nocache, race;
	char path[256], *buf;
	long f0, f1;
	pthread_t t;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [SECONDS]\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0 || posix_memalign((void **)&buf, PAGE, CHUNK)) {
		perror(path);
		return 1;
	}
	memset(buf, 'b', CHUNK);
	run(fd, buf, 0);			/* allocate the blocks */
	for (long off = 0; off < FILE_SIZE; off += CHUNK)
		if (pwrite(fd, buf, CHUNK, off) != CHUNK)
			return 1;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);

	nocache = run(fd, buf, secs);

	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	f0 = fallbacks();
	pthread_create(&t, NULL, storer, NULL);
	race = run(fd, buf, secs);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	f1 = fallbacks();

	printf("nocache_MiBps=%.1f race_writes_per_s=%.1f race_fallbacks_per_s=%.2f\n",
	       nocache, race, f0 < 0 ? -1.0 : (f1 - f0) / secs);
	return fsync(fd) ? 3 : 0;
}
