// SPDX-License-Identifier: GPL-2.0
/*
 * Direct writes racing with the page cache must not leave stale page cache.
 *
 * A direct write invalidates the page cache over its range before and after
 * the I/O.  Folios instantiated in between (mmap stores, buffered reads,
 * readahead, a source buffer that maps the file) used to survive: the kernel
 * logged "Page cache invalidation failure on direct I/O" and set -EIO in the
 * mapping's errseq, so the next fsync() failed.  Filesystems that pass
 * IOMAP_DIO_RWF_NO_STALE_PAGECACHE to iomap (XFS, ext4) promise that this
 * cannot happen; where direct I/O cannot keep the promise the write goes
 * through the page cache, and /sys/fs/iomap/dio_nostale_fallbacks counts it.
 *
 * Direct writes are synchronous, or (race_mmap_stores_aio) AIO_DEPTH Linux
 * AIO writes in flight at a time.  Each race runs for DIO_RACE_SECONDS
 * (default 5) or DIO_RACE_WRITES direct writes, whichever ends first.  Then,
 * with the racer stopped: fsync() succeeds, a direct write is read back byte
 * for byte by a buffered read and through the mapping, and the kernel log has
 * no invalidation failure.
 *
 * Runs on XFS and ext4 without DAX, on the device in DAX_TEST_PMEM_LEGACY
 * (see dax_util.h).  With one CPU, the racer only runs while a write is in
 * flight on a fully preemptible kernel (preempt=full).
 */
#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include "dax_util.h"

#define FILE_SIZE	(8 * 1024 * 1024)
#define CHUNK		(1024 * 1024)
#define PAGE		4096
#define DIO_RACE_WRITES	2000
#define AIO_DEPTH	4
#define COUNTER		"/sys/fs/iomap/dio_nostale_fallbacks"
#define FAIL_FN		"/sys/kernel/debug/fail_function"
#define INVAL_FN	"iomap_dio_nostale_invalidate_pages"
#define BAD_LINE	"Page cache invalidation failure"

enum racer { RACE_NONE, RACE_MMAP_STORES, RACE_BUFFERED_READS, RACE_WILLNEED };

/* The fallback counter, or -1 on a kernel without it. */
static long fallbacks(void)
{
	long n = -1;
	FILE *f = fopen(COUNTER, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* How many times does the kernel log hold @needle?  -1 if unreadable. */
static int klog_count(const char *needle)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log, *p;
	int n = 0;

	if (len <= 0)
		return -1;
	log = malloc(len + 1);
	if (!log)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
	if (len < 0) {
		free(log);
		return -1;
	}
	log[len] = '\0';
	for (p = log; (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

FIXTURE(dio) {
	struct dax_mnt m;
	char path[128];
	int dfd;		/* O_DIRECT */
	int bfd;		/* buffered */
	char *map;
	char *buf;		/* aligned buffer for direct I/O */
	bool stop;		/* __atomic: written by the test, read by the racer */
	enum racer racer;
	int bad_lines;		/* BAD_LINE in the kernel log before the test */
};

FIXTURE_VARIANT(dio) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(dio, xfs) { .fs = "xfs" };
FIXTURE_VARIANT_ADD(dio, ext4) { .fs = "ext4" };

FIXTURE_SETUP(dio)
{
	dax_mnt_setup(_metadata, &self->m, variant->fs, "DAX_TEST_PMEM_LEGACY",
		      "dax=never");
	if (!self->m.mounted)
		return;
	snprintf(self->path, sizeof(self->path), "%s/f", self->m.dir);
	self->bfd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, ftruncate(self->bfd, FILE_SIZE));
	self->dfd = open(self->path, O_RDWR | O_DIRECT);
	ASSERT_LE(0, self->dfd);
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, PAGE, FILE_SIZE));
	memset(self->buf, 'i', FILE_SIZE);
	ASSERT_EQ(FILE_SIZE, pwrite(self->dfd, self->buf, FILE_SIZE, 0));
	self->map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->bfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->bad_lines = klog_count(BAD_LINE);
	ASSERT_LE(0, self->bad_lines);
}

FIXTURE_TEARDOWN(dio)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, FILE_SIZE);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->bfd >= 0)
		close(self->bfd);
	free(self->buf);
	dax_mnt_teardown(_metadata, &self->m);
}

static void *racer(void *arg)
{
	FIXTURE_DATA(dio) *self = arg;
	char page[PAGE];
	unsigned int i = 0;

	while (!__atomic_load_n(&self->stop, __ATOMIC_RELAXED)) {
		off_t off = (off_t)(i++ % (FILE_SIZE / PAGE)) * PAGE;

		switch (self->racer) {
		case RACE_MMAP_STORES:
			self->map[off + 8] = 'm';
			break;
		case RACE_BUFFERED_READS:
			if (pread(self->bfd, page, PAGE, off) != PAGE)
				return (void *)1;
			break;
		case RACE_WILLNEED:
			madvise(self->map + (off & ~(off_t)(CHUNK - 1)), CHUNK,
				MADV_WILLNEED);
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Race direct writes against @r; return the number of direct writes. */
static int race(struct __test_metadata *_metadata, FIXTURE_DATA(dio) *self,
		enum racer r)
{
	const char *s = getenv("DIO_RACE_SECONDS");
	double end = now() + (s ? atof(s) : 5);
	pthread_t t;
	void *ret;
	int n;

	self->racer = r;
	__atomic_store_n(&self->stop, false, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_create(&t, NULL, racer, self));
	for (n = 0; n < DIO_RACE_WRITES && now() < end; n++) {
		off_t off = (off_t)(n % (FILE_SIZE / CHUNK)) * CHUNK;

		memset(self->buf, 'a' + n % 26, CHUNK);
		EXPECT_EQ(CHUNK, pwrite(self->dfd, self->buf, CHUNK, off));
	}
	__atomic_store_n(&self->stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(NULL, ret);
	return n;
}

/*
 * Like race(), with AIO_DEPTH asynchronous direct writes in flight at a
 * time (Linux AIO): their completion, not the submitter, ends them.
 */
static int race_aio(struct __test_metadata *_metadata, FIXTURE_DATA(dio) *self,
		    enum racer r)
{
	const char *s = getenv("DIO_RACE_SECONDS");
	double end = now() + (s ? atof(s) : 5);
	struct iocb cbs[AIO_DEPTH], *cbp[AIO_DEPTH];
	struct io_event ev[AIO_DEPTH];
	aio_context_t ctx = 0;
	pthread_t t;
	int n, i, got;

	ASSERT_EQ(0, syscall(__NR_io_setup, AIO_DEPTH, &ctx));
	memset(self->buf, 'q', AIO_DEPTH * CHUNK);
	self->racer = r;
	__atomic_store_n(&self->stop, false, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_create(&t, NULL, racer, self));
	for (n = 0; n < DIO_RACE_WRITES && now() < end; n += AIO_DEPTH) {
		for (i = 0; i < AIO_DEPTH; i++) {
			memset(&cbs[i], 0, sizeof(cbs[i]));
			cbs[i].aio_fildes = self->dfd;
			cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
			cbs[i].aio_buf = (unsigned long)(self->buf + i * CHUNK);
			cbs[i].aio_nbytes = CHUNK;
			cbs[i].aio_offset = (off_t)((n + i) % (FILE_SIZE / CHUNK)) * CHUNK;
			cbp[i] = &cbs[i];
		}
		ASSERT_EQ(AIO_DEPTH, syscall(__NR_io_submit, ctx, AIO_DEPTH, cbp));
		for (got = 0; got < AIO_DEPTH; ) {
			int k = syscall(__NR_io_getevents, ctx, 1, AIO_DEPTH - got,
					ev, NULL);

			ASSERT_LT(0, k);
			for (i = 0; i < k; i++)
				EXPECT_EQ(CHUNK, (long)ev[i].res);
			got += k;
		}
	}
	__atomic_store_n(&self->stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, syscall(__NR_io_destroy, ctx));
	return n;
}

/*
 * With every racer stopped: fsync() succeeds, and a direct write over the
 * whole file reads back, byte for byte, through read() and the mapping.
 */
static void check_quiesced(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dio) *self)
{
	char *back = malloc(FILE_SIZE);
	off_t i;

	ASSERT_NE(NULL, back);
	errno = 0;
	EXPECT_EQ(0, fsync(self->bfd)) {
		TH_LOG("fsync: %s", strerror(errno));
	}
	for (i = 0; i < FILE_SIZE; i++)
		self->buf[i] = 'A' + (i / PAGE + i) % 26;
	ASSERT_EQ(FILE_SIZE, pwrite(self->dfd, self->buf, FILE_SIZE, 0));
	ASSERT_EQ(FILE_SIZE, pread(self->bfd, back, FILE_SIZE, 0));
	EXPECT_EQ(0, memcmp(back, self->buf, FILE_SIZE));
	EXPECT_EQ(0, memcmp(self->map, self->buf, FILE_SIZE));
	EXPECT_EQ(0, fsync(self->bfd));
	EXPECT_EQ(self->bad_lines, klog_count(BAD_LINE));
	free(back);
}

static void race_and_check(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dio) *self, enum racer r, bool aio)
{
	long before = fallbacks(), after;
	int n;

	n = aio ? race_aio(_metadata, self, r) : race(_metadata, self, r);
	check_quiesced(_metadata, self);
	after = fallbacks();
	TH_LOG("%d direct writes, %ld fell back to buffered I/O", n,
	       before < 0 ? -1 : after - before);
	EXPECT_LE(before, after);
}

TEST_F_TIMEOUT(dio, race_mmap_stores, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, false);
}

TEST_F_TIMEOUT(dio, race_buffered_reads, 300)
{
	race_and_check(_metadata, self, RACE_BUFFERED_READS, false);
}

TEST_F_TIMEOUT(dio, race_madvise_willneed, 300)
{
	race_and_check(_metadata, self, RACE_WILLNEED, false);
}

TEST_F_TIMEOUT(dio, race_mmap_stores_aio, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, true);
}

/*
 * The source of a direct write is a mapping of the file being written, the
 * same range and a neighbouring one: no deadlock, and the data arrives.
 */
TEST_F_TIMEOUT(dio, source_buffer_maps_same_file, 300)
{
	char *want = malloc(2 * CHUNK);

	ASSERT_NE(NULL, want);
	memset(self->map, 's', CHUNK);
	memset(self->map + CHUNK, 't', CHUNK);

	/* Same range: the file is written with what it holds. */
	ASSERT_EQ(CHUNK, pwrite(self->dfd, self->map, CHUNK, 0));
	/* Overlapping ranges: [CHUNK, 2 * CHUNK) written at PAGE. */
	ASSERT_EQ(CHUNK, pwrite(self->dfd, self->map + CHUNK, CHUNK, PAGE));
	memset(want, 't', 2 * CHUNK);
	memset(want, 's', PAGE);

	ASSERT_EQ(2 * CHUNK, pread(self->bfd, self->buf, 2 * CHUNK, 0));
	EXPECT_EQ(0, memcmp(self->buf, want, 2 * CHUNK));
	EXPECT_EQ(0, memcmp(self->map, want, 2 * CHUNK));
	EXPECT_EQ(0, fsync(self->bfd));
	EXPECT_EQ(self->bad_lines, klog_count(BAD_LINE));
	free(want);
}

/* No page cache over the range: no fallback, the counter stays put. */
TEST_F_TIMEOUT(dio, no_page_cache_no_fallback, 300)
{
	long before = fallbacks();
	int i;

	if (before < 0)
		SKIP(return, "no %s: kernel without IOMAP_DIO_RWF_NO_STALE_PAGECACHE",
		     COUNTER);
	ASSERT_EQ(0, munmap(self->map, FILE_SIZE));
	self->map = NULL;
	ASSERT_EQ(0, posix_fadvise(self->bfd, 0, 0, POSIX_FADV_DONTNEED));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(CHUNK, pwrite(self->dfd, self->buf, CHUNK,
					(off_t)(i % 8) * CHUNK));
	EXPECT_EQ(before, fallbacks());
}

/*
 * Make the page cache invalidation before the next direct write fail
 * (fail_function): the write must fall back to buffered I/O, succeed, and
 * be counted.
 */
TEST_F_TIMEOUT(dio, forced_fallback_is_counted, 300)
{
	long before = fallbacks();
	char retval[32];

	if (before < 0)
		SKIP(return, "no %s: kernel without IOMAP_DIO_RWF_NO_STALE_PAGECACHE",
		     COUNTER);
	if (access(FAIL_FN "/inject", W_OK))
		SKIP(return, "no %s/inject: kernel without CONFIG_FAIL_FUNCTION",
		     FAIL_FN);
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/inject", INVAL_FN));
	snprintf(retval, sizeof(retval), "%#lx", (unsigned long)-EBUSY);
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/" INVAL_FN "/retval", retval));
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/probability", "100"));
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/interval", "1"));
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/times", "1"));
	/* No stack dump in the kernel log: the harness would flag it. */
	ASSERT_EQ(0, dax_write_str(FAIL_FN "/verbose", "0"));

	memset(self->buf, 'F', CHUNK);
	EXPECT_EQ(CHUNK, pwrite(self->dfd, self->buf, CHUNK, 0));
	EXPECT_EQ(0, dax_write_str(FAIL_FN "/inject", "!" INVAL_FN));
	EXPECT_EQ(before + 1, fallbacks());

	/* The buffered write stored the data, and fsync() is happy. */
	EXPECT_EQ(0, fsync(self->bfd));
	EXPECT_EQ(0, memcmp(self->map, self->buf, CHUNK));
	check_quiesced(_metadata, self);
	EXPECT_EQ(before + 1, fallbacks());
}

/* RWF_NOWAIT never blocks: cached pages over the range give EAGAIN. */
TEST_F_TIMEOUT(dio, nowait_cached_eagain, 300)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = CHUNK };
	long before = fallbacks();
	char page[PAGE];

	ASSERT_EQ(PAGE, pread(self->bfd, page, PAGE, 0));
	errno = 0;
	EXPECT_EQ(-1, pwritev2(self->dfd, &iov, 1, 0, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(before, fallbacks());
}

TEST_HARNESS_MAIN
