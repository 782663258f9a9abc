// SPDX-License-Identifier: GPL-2.0
/*
 * dio_nostale_bench DIR [SECONDS]
 *
 * Both sides of the race between direct writes and a MAP_SHARED mapping, on
 * a 64 MiB file in DIR, each phase for SECONDS (default 5):
 *
 *  nocache   1 MiB O_DIRECT overwrites of the whole file with no page cache
 *            (nocache_MiBps).
 *  fault     4 KiB write faults in [32 MiB, 64 MiB): store one byte to a page
 *            through the mapping, timed, then MADV_DONTNEED it so that the
 *            next store faults again; first with nothing else running
 *            (fault_idle_p50_us, fault_idle_p99_us), then while another
 *            thread does 1 MiB O_DIRECT overwrites of [0, 32 MiB)
 *            (fault_p50_us, fault_p99_us, fault_count).
 *  race      1 MiB O_DIRECT overwrites of [0, 32 MiB) (race_writes_per_s)
 *            while one thread stores one byte per page through the mapping
 *            over the same half (race_store_overlap_per_s), one over the
 *            other half (race_store_other_per_s) and one does buffered
 *            4 KiB pread()s over the whole file (race_reads_per_s);
 *            /sys/fs/iomap/dio_nostale_fallbacks gives race_fallbacks_per_s
 *            (-1 on kernels without it).
 *
 * Then msync(MS_SYNC) of the mapping (msync_rc: 0 ok, 1 failed) and fsync()
 * of the O_DIRECT fd: the exit status is 3 when fsync fails (EIO).  The
 * mapping and the buffered reads have their own open files, so that an
 * errseq error (a stale page cache after a direct write) is reported to
 * both msync and fsync rather than to whichever comes first.  Prints one
 * line of key=value pairs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE	(64L * 1024 * 1024)
#define HALF		(FILE_SIZE / 2)
#define CHUNK		(1024 * 1024)
#define PAGE		4096
#define MAX_SAMPLES	200000

static char *map;
static int fd, rfd, mfd;
static char *buf;
static int stop;
static pthread_barrier_t start;

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

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

/* One thread's work in a phase: what it counted and for how long. */
struct worker {
	long off, len;		/* the range it works on */
	unsigned long n;	/* operations done */
	double secs;		/* from the start barrier to its last one */
};

/* Direct write number @n of the cycle over @w's range. */
static void write_op(const struct worker *w, unsigned long n)
{
	if (pwrite(fd, buf, CHUNK, w->off + (n % (w->len / CHUNK)) * CHUNK) != CHUNK) {
		perror("pwrite");
		exit(1);
	}
}

/* Store number @n: one byte of a page through the mapping. */
static void store_op(const struct worker *w, unsigned long n)
{
	__atomic_store_n(&map[w->off + (n % (w->len / PAGE)) * PAGE + 8], 'm',
			 __ATOMIC_RELAXED);
}

/* Buffered 4 KiB read number @n, through rfd. */
static void read_op(const struct worker *w, unsigned long n)
{
	char page[PAGE];

	if (pread(rfd, page, PAGE, w->off + (n % (w->len / PAGE)) * PAGE) != PAGE) {
		perror("pread");
		exit(1);
	}
}

/* Run @op cycling over @w's range from the start barrier until stopped. */
static void *work(struct worker *w,
		  void (*op)(const struct worker *w, unsigned long n))
{
	unsigned long n = 0;
	double t0;

	pthread_barrier_wait(&start);
	t0 = now();
	while (!stopped())
		op(w, n++);
	w->secs = now() - t0;
	w->n = n;
	return NULL;
}

/* Direct writes cycling over [off, off + len) until stopped. */
static void *writer(void *arg)
{
	return work(arg, write_op);
}

/* One byte per page through the mapping, cycling over [off, off + len). */
static void *storer(void *arg)
{
	return work(arg, store_op);
}

/* Buffered 4 KiB reads through rfd, cycling over [off, off + len). */
static void *reader(void *arg)
{
	return work(arg, read_op);
}

static double rate(const struct worker *w)
{
	return w->secs > 0 ? w->n / w->secs : 0;
}

/* Direct writes of the whole file for @secs seconds; returns writes per second. */
static double run(double secs)
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

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Write faults in [HALF, FILE_SIZE) for @secs seconds (at most MAX_SAMPLES),
 * with a direct writer on [0, HALF) if @busy.  Sets the median and the
 * 99th percentile in microseconds; returns the number of samples.
 */
static long faults(double secs, int busy, double *p50, double *p99)
{
	static double lat[MAX_SAMPLES];
	struct worker w = { .off = 0, .len = HALF };
	struct timespec a, b;
	long n = 0, p = 0;
	double t0;
	pthread_t t;

	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	pthread_barrier_init(&start, NULL, busy ? 2 : 1);
	if (busy)
		pthread_create(&t, NULL, writer, &w);
	pthread_barrier_wait(&start);
	t0 = now();
	while (n < MAX_SAMPLES && now() - t0 < secs) {
		char *q = map + HALF + p * PAGE;

		clock_gettime(CLOCK_MONOTONIC, &a);
		*(volatile char *)q = 'f';
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (madvise(q, PAGE, MADV_DONTNEED)) {
			perror("madvise");
			exit(1);
		}
		lat[n++] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
		p = (p + 1) % (HALF / PAGE);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	if (busy)
		pthread_join(t, NULL);
	pthread_barrier_destroy(&start);

	qsort(lat, n, sizeof(*lat), cmp);
	*p50 = n ? lat[n / 2] : -1;
	*p99 = n ? lat[n * 99 / 100] : -1;
	return n;
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 5, nocache;
	double idle50, idle99, busy50, busy99;
	struct worker ww = { .off = 0, .len = HALF };
	struct worker so = { .off = 0, .len = HALF };
	struct worker st = { .off = HALF, .len = HALF };
	struct worker rd = { .off = 0, .len = FILE_SIZE };
	struct timespec nap;
	pthread_t t[4];
	char path[256];
	long f0, f1, nfault;
	int msync_rc;

	if (argc < 2 || secs <= 0) {
		fprintf(stderr, "usage: %s DIR [SECONDS]\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0 || posix_memalign((void **)&buf, PAGE, CHUNK)) {
		perror(path);
		return 1;
	}
	rfd = open(path, O_RDONLY);
	mfd = open(path, O_RDWR);
	if (rfd < 0 || mfd < 0) {
		perror(path);
		return 1;
	}
	memset(buf, 'b', CHUNK);
	run(0);					/* allocate the blocks */
	for (long off = 0; off < FILE_SIZE; off += CHUNK)
		if (pwrite(fd, buf, CHUNK, off) != CHUNK)
			return 1;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);

	nocache = run(secs);

	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	/* Bring the faulting half into the page cache: both runs hit it. */
	for (long off = HALF; off < FILE_SIZE; off += PAGE)
		*(volatile char *)(map + off) = 'f';
	madvise(map, FILE_SIZE, MADV_DONTNEED);
	faults(secs, 0, &idle50, &idle99);
	nfault = faults(secs, 1, &busy50, &busy99);
	madvise(map, FILE_SIZE, MADV_DONTNEED);

	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	pthread_barrier_init(&start, NULL, 5);
	f0 = fallbacks();
	pthread_create(&t[0], NULL, writer, &ww);
	pthread_create(&t[1], NULL, storer, &so);
	pthread_create(&t[2], NULL, storer, &st);
	pthread_create(&t[3], NULL, reader, &rd);
	pthread_barrier_wait(&start);
	nap.tv_sec = secs;
	nap.tv_nsec = (secs - nap.tv_sec) * 1e9;
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	f1 = fallbacks();
	pthread_barrier_destroy(&start);

	msync_rc = msync(map, FILE_SIZE, MS_SYNC) ? 1 : 0;

	printf("nocache_MiBps=%.1f race_writes_per_s=%.1f race_store_overlap_per_s=%.1f "
	       "race_store_other_per_s=%.1f race_reads_per_s=%.1f race_fallbacks_per_s=%.2f "
	       "fault_idle_p50_us=%.2f fault_idle_p99_us=%.2f fault_p50_us=%.2f fault_p99_us=%.2f "
	       "fault_count=%ld msync_rc=%d\n",
	       nocache, rate(&ww), rate(&so), rate(&st), rate(&rd),
	       f0 < 0 || ww.secs <= 0 ? -1.0 : (f1 - f0) / ww.secs,
	       idle50, idle99, busy50, busy99, nfault, msync_rc);
	fflush(stdout);
	return fsync(fd) ? 3 : 0;
}
