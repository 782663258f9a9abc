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
 * The race_* tests write 1 MiB chunks of an 8 MiB file directly, cycling
 * over the chunks, each write with its own letter, while a racer thread
 * stores 'm' at byte 8 of each page through a mapping, reads pages with
 * buffered reads, or calls MADV_WILLNEED.  The direct writes are synchronous
 * pwrite()s, or AIO_DEPTH at a time in flight: Linux AIO
 * (race_mmap_stores_aio), io_uring (race_mmap_stores_uring), or an io_uring
 * ring set up with IORING_SETUP_IOPOLL, reaped by polling
 * (race_mmap_stores_iopoll; skipped where the device has no poll queues).
 * A polled write of 1 MiB is issued as POLL_PIECES writes of POLL_PIECE
 * bytes, reaped together: a polled bio is REQ_NOWAIT, which a device fails
 * with EAGAIN rather than split it.  Each race runs for DIO_RACE_SECONDS (default
 * 5, and 30 for IOPOLL, whose batches take about 1.5 s under QEMU TCG) or
 * DIO_RACE_WRITES direct writes, whichever ends first.  Then:
 *
 *  - the race happened: at least MIN_WRITES direct writes completed, the
 *    racer did at least MIN_RACER_OPS operations, and at least
 *    MIN_OVERLAPPED synchronous writes (or batches of AIO_DEPTH writes) had
 *    a racer operation while they were in flight (the racer's count moved
 *    between the submission and the completion).  DIO_RACE_SECONDS=0 thus
 *    fails the test: a race that did not run proves nothing;
 *  - at most one direct write in ten fell back to buffered I/O (the
 *    counter must exist: the kernel under test has it);
 *  - with the racer stopped, and no write since: every byte of the file is
 *    the letter of the last direct write to its chunk (byte 8 of a page may
 *    also be the racer's 'm', which came before or after that write), and
 *    the mapping, a buffered read and, after msync(MS_SYNC) and fsync()
 *    both succeed, a direct read agree byte for byte;
 *  - then fsync() succeeds, a direct write over the whole file is read back
 *    byte for byte by a buffered read and through the mapping, and the
 *    kernel log has no invalidation failure.
 *
 * source_buffer_maps_same_file writes position-dependent data directly from
 * a mapping of the file itself, over the same range and an overlapping one,
 * and compares the result byte for byte through the mapping, a buffered read
 * and a direct read.
 *
 * Runs on XFS and ext4 without DAX, on the device in DAX_TEST_PMEM_LEGACY
 * (see dax_util.h), and (variants *_nullblk) on the device in
 * DAX_TEST_BLK_ASYNC: a null_blk device whose bios complete asynchronously,
 * from a timer, e.g. /dev/nullb0 from "modprobe null_blk queue_mode=2
 * memory_backed=1 gb=1 irqmode=2 completion_nsec=200000 submit_queues=2
 * poll_queues=1".  With one CPU, the racer only runs while a write is in
 * flight on a fully preemptible kernel (preempt=full).
 *
 * dio_poll: a direct write through an io_uring ring set up with
 * IORING_SETUP_IOPOLL is issued as a polled bio (REQ_POLLED) that only
 * completes when someone polls for it.  While nobody does, a write fault on
 * another part of the file must not wait for it: if the fault waited for
 * direct writes in flight (a lock the write holds until it completes, say),
 * the thread that would poll is the one waiting, and the write would only
 * complete when null_blk times it out.  A write fault inside the range of the
 * write must wait for it, but without holding the fault lock, so that the
 * submitter can still change its mappings and then poll.  Runs on
 * DAX_TEST_BLK_ASYNC, which needs poll queues, and reads blk-mq debugfs
 * (/sys/kernel/debug/block) to prove that the write sits on a poll queue.
 * iopoll_completion_work reaps polled writes while a page of the file
 * outside their range stays cached, so that each completes from the
 * workqueue while the ring polls for it: nothing may poll a freed bio
 * meanwhile (the kernel log is checked; a KASAN kernel reports such a poll).
 */
#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include "dax_util.h"

#define FILE_SIZE	(8 * 1024 * 1024)
#define CHUNK		(1024 * 1024)
#define NR_CHUNKS	(FILE_SIZE / CHUNK)
#define PAGE		4096
#define STORE_OFF	8	/* the byte of each page the racer stores to */
#define DIO_RACE_WRITES	2000
#define AIO_DEPTH	4	/* writes in flight: AIO and io_uring */
#define MIN_WRITES	20	/* direct writes in a race, at least */
#define MIN_RACER_OPS	100UL	/* racer operations in a race, at least */
#define MIN_OVERLAPPED	10	/* writes (batches) the racer overlapped */
#define COUNTER		"/sys/fs/iomap/dio_nostale_fallbacks"
#define FAIL_FN		"/sys/kernel/debug/fail_function"
#define INVAL_FN	"iomap_dio_nostale_invalidate_pages"
#define BAD_LINE	"Page cache invalidation failure"
#define PMEM_ENV	"DAX_TEST_PMEM_LEGACY"
#define ASYNC_ENV	"DAX_TEST_BLK_ASYNC"
#define BLK_DEBUGFS	"/sys/kernel/debug/block"
#define POLL_LEN	(64 * 1024)	/* the polled write, at offset 0 */
/* A polled write of a race, in pieces small enough not to be split. */
#define POLL_PIECE	(256 * 1024)
#define POLL_PIECES	(CHUNK / POLL_PIECE)
#define FAULT_OFF	(4 * 1024 * 1024)	/* the mapping faulted meanwhile */
#define POKE_OFF	(PAGE + 100)	/* the byte stored, in that mapping */
#define FAULT_MAX_MS	2000
#define WORK_WRITES	32	/* iopoll_completion_work, at most */
#define WORK_SECONDS	30	/* or for that long */
#define MIN_WORK_WRITES	8

enum racer { RACE_NONE, RACE_MMAP_STORES, RACE_BUFFERED_READS, RACE_WILLNEED };

/* How the direct writes of a race are issued. */
enum wkind { WRITE_SYNC, WRITE_AIO, WRITE_URING, WRITE_IOPOLL };

static const char * const wkind_name[] = {
	[WRITE_SYNC] = "pwrite",
	[WRITE_AIO] = "Linux AIO",
	[WRITE_URING] = "io_uring",
	[WRITE_IOPOLL] = "io_uring IOPOLL",
};

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

/* Whether block device @dev ("/dev/nullb0") has poll queues: its io_poll. */
static bool dev_polls(const char *dev)
{
	char name[64], path[128];
	int poll = 0;
	FILE *f;

	snprintf(name, sizeof(name), "%s", dev);
	snprintf(path, sizeof(path), "/sys/block/%s/queue/io_poll",
		 basename(name));
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%d", &poll) != 1)
		poll = 0;
	fclose(f);
	return poll;
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
	unsigned long ops;	/* __atomic: operations done by the racer */
	char last[NR_CHUNKS];	/* the letter each chunk was last written with */
	int bad_lines;		/* BAD_LINE in the kernel log before the test */
};

FIXTURE_VARIANT(dio) {
	const char *fs;
	const char *env;	/* environment variable naming the device */
};

FIXTURE_VARIANT_ADD(dio, xfs) { .fs = "xfs", .env = PMEM_ENV };
FIXTURE_VARIANT_ADD(dio, ext4) { .fs = "ext4", .env = PMEM_ENV };
FIXTURE_VARIANT_ADD(dio, xfs_nullblk) { .fs = "xfs", .env = ASYNC_ENV };
FIXTURE_VARIANT_ADD(dio, ext4_nullblk) { .fs = "ext4", .env = ASYNC_ENV };

FIXTURE_SETUP(dio)
{
	dax_mnt_setup(_metadata, &self->m, variant->fs, variant->env,
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
	memset(self->last, 'i', sizeof(self->last));
	self->map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->bfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->bad_lines = dax_klog_count(BAD_LINE);
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
			self->map[off + STORE_OFF] = 'm';
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
		__atomic_add_fetch(&self->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static unsigned long racer_ops(FIXTURE_DATA(dio) *self)
{
	return __atomic_load_n(&self->ops, __ATOMIC_RELAXED);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Issues direct writes of one kind, up to depth at a time, and reaps them.
 * A synchronous write is complete when submitted: its result waits in res
 * for the reap.
 */
struct writer {
	enum wkind kind;
	int depth;		/* writes in flight at a time */
	aio_context_t aio;
	struct dax_uring ring;
	long res;		/* WRITE_SYNC: result of the last write */
};

/* 0, or -1 with errno. */
static int writer_open(struct writer *w, enum wkind kind)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->depth = kind == WRITE_SYNC ? 1 : AIO_DEPTH;
	dax_uring_init(&w->ring);
	switch (kind) {
	case WRITE_AIO:
		return syscall(__NR_io_setup, AIO_DEPTH, &w->aio) ? -1 : 0;
	case WRITE_URING:
		return dax_uring_setup(&w->ring, AIO_DEPTH, 0);
	case WRITE_IOPOLL:
		return dax_uring_setup(&w->ring, AIO_DEPTH * POLL_PIECES,
				       IORING_SETUP_IOPOLL);
	default:
		return 0;
	}
}

/* Write @len bytes of @buf at @off of @fd: 0 if submitted, -1 with errno. */
static int writer_submit(struct writer *w, int fd, const char *buf,
			 size_t len, off_t off)
{
	struct iocb cb, *cbp = &cb;
	int err, r;
	size_t i;

	switch (w->kind) {
	case WRITE_AIO:
		memset(&cb, 0, sizeof(cb));
		cb.aio_fildes = fd;
		cb.aio_lio_opcode = IOCB_CMD_PWRITE;
		cb.aio_buf = (unsigned long)buf;
		cb.aio_nbytes = len;
		cb.aio_offset = off;
		return syscall(__NR_io_submit, w->aio, 1, &cbp) == 1 ? 0 : -1;
	case WRITE_URING:
		return dax_uring_submit_write(&w->ring, fd, buf, len, off) == 1 ?
		       0 : -1;
	case WRITE_IOPOLL:
		for (i = 0; i < len / POLL_PIECE; i++) {
			if (dax_uring_submit_write(&w->ring, fd,
						   buf + i * POLL_PIECE,
						   POLL_PIECE,
						   off + i * POLL_PIECE) == 1)
				continue;
			/* Leave nothing in flight behind. */
			err = errno;
			while (i--)
				dax_uring_reap(&w->ring, &r);
			errno = err;
			return -1;
		}
		return 0;
	default:
		w->res = pwrite(fd, buf, len, off);
		if (w->res < 0)
			w->res = -errno;
		return 0;
	}
}

/*
 * Wait for a write to complete (an IOPOLL ring polls for it): 0 with its
 * result, or -errno, in @res; -1 with errno if waiting failed.
 */
static int writer_reap(struct writer *w, long *res)
{
	struct io_event ev;
	int i, r;

	switch (w->kind) {
	case WRITE_AIO:
		if (syscall(__NR_io_getevents, w->aio, 1, 1, &ev, NULL) != 1)
			return -1;
		*res = ev.res;
		return 0;
	case WRITE_URING:
		if (dax_uring_reap(&w->ring, &r))
			return -1;
		*res = r;
		return 0;
	case WRITE_IOPOLL:
		/* A write of CHUNK bytes is POLL_PIECES polled ones. */
		*res = 0;
		for (i = 0; i < POLL_PIECES; i++) {
			if (dax_uring_reap(&w->ring, &r))
				return -1;
			if (*res >= 0)
				*res = r < 0 ? r : *res + r;
		}
		return 0;
	default:
		*res = w->res;
		return 0;
	}
}

/* Ends the writes still in flight, if any. */
static void writer_close(struct writer *w)
{
	if (w->kind == WRITE_AIO && w->aio)
		syscall(__NR_io_destroy, w->aio);
	dax_uring_close(&w->ring);
}

/* What a race did. */
struct race_stats {
	int writes;		/* direct writes that completed in full */
	int batches;		/* batches of writer.depth writes */
	int overlapped;		/* batches during which the racer moved */
	unsigned long ops;	/* racer operations */
};

/*
 * Race direct writes issued by @kind against @r, and tell what happened in
 * @st.  Returns -1 if the test was skipped, else 0.
 */
static int race(struct __test_metadata *_metadata, FIXTURE_DATA(dio) *self,
		enum racer r, enum wkind kind, struct race_stats *st)
{
	const char *s = getenv("DIO_RACE_SECONDS");
	double end = now() + (s ? atof(s) : kind == WRITE_IOPOLL ? 30 : 5);
	int n, i, inflight, c[AIO_DEPTH];
	char letter[AIO_DEPTH];
	struct writer w;
	unsigned long ops;
	bool failed = false;
	pthread_t t;
	void *ret;
	long res;

	memset(st, 0, sizeof(*st));
	/* pmem is bio-based: it has no poll queues, and fails polled bios. */
	if (kind == WRITE_IOPOLL && !dev_polls(self->m.dev))
		SKIP(return -1, "%s has no poll queues (queue/io_poll)",
		     self->m.dev);
	errno = 0;
	if (writer_open(&w, kind)) {
		int err = errno;

		writer_close(&w);
		if (kind == WRITE_IOPOLL &&
		    (err == EINVAL || err == EOPNOTSUPP))
			SKIP(return -1, "io_uring_setup(IORING_SETUP_IOPOLL): %s",
			     strerror(err));
		ASSERT_TRUE(0) {
			TH_LOG("setting up %s: %s", wkind_name[kind],
			       strerror(err));
		}
	}

	/* Can @w write the file at all?  Chunk 0, with what it holds. */
	memset(self->buf, self->last[0], CHUNK);
	res = 0;
	if (writer_submit(&w, self->dfd, self->buf, CHUNK, 0) ||
	    writer_reap(&w, &res))
		res = -errno;
	ASSERT_EQ(CHUNK, res) {
		TH_LOG("%s write: %s", wkind_name[kind],
		       res < 0 ? strerror(-res) : "short");
		writer_close(&w);
	}

	self->racer = r;
	__atomic_store_n(&self->ops, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&self->stop, false, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_create(&t, NULL, racer, self));
	for (n = 0; !failed && n < DIO_RACE_WRITES && now() < end;
	     n += w.depth) {
		/* Distinct chunks, each write with its own buffer and letter. */
		for (i = 0; i < w.depth; i++) {
			c[i] = (n + i) % NR_CHUNKS;
			letter[i] = 'a' + (n + i) % 26;
			memset(self->buf + (size_t)i * CHUNK, letter[i], CHUNK);
		}
		ops = racer_ops(self);
		for (i = 0; i < w.depth; i++) {
			if (writer_submit(&w, self->dfd,
					  self->buf + (size_t)i * CHUNK, CHUNK,
					  (off_t)c[i] * CHUNK)) {
				TH_LOG("submitting a %s write: %s",
				       wkind_name[kind], strerror(errno));
				failed = true;
				break;
			}
		}
		inflight = i;
		for (i = 0; i < inflight; i++) {
			if (writer_reap(&w, &res)) {
				TH_LOG("reaping a %s write: %s",
				       wkind_name[kind], strerror(errno));
				failed = true;
				break;
			}
			if (res != CHUNK) {
				TH_LOG("%s write: %s", wkind_name[kind],
				       res < 0 ? strerror(-res) : "short");
				failed = true;
				continue;
			}
			st->writes++;
		}
		if (racer_ops(self) != ops)
			st->overlapped++;
		/*
		 * Which write a result is for is not known (io_uring): every
		 * chunk takes its new letter.  A failed write leaves its
		 * chunk unknown, but fails the test anyway.
		 */
		for (i = 0; i < inflight; i++)
			self->last[c[i]] = letter[i];
		st->batches++;
	}
	__atomic_store_n(&self->stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(NULL, ret) {
		TH_LOG("the racer failed");
	}
	st->ops = racer_ops(self);
	writer_close(&w);
	EXPECT_FALSE(failed);
	return 0;
}

/* First offset at which @a and @b differ, or -1. */
static long first_diff(const char *a, const char *b, long len)
{
	long i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/*
 * First offset of @p (the file) that is not the letter of the last direct
 * write to its chunk, nor, with @stores, the racer's 'm' at STORE_OFF of a
 * page; or -1.
 */
static long first_unexpected(const char *p, const char *last, bool stores)
{
	long i;

	for (i = 0; i < FILE_SIZE; i++) {
		if (p[i] == last[i / CHUNK])
			continue;
		if (stores && i % PAGE == STORE_OFF && p[i] == 'm')
			continue;
		return i;
	}
	return -1;
}

/*
 * After a race, with the racer stopped and no write since: the file holds
 * what the direct writes (and racing stores) put there, and (a) the
 * mapping, (b) a buffered read, and (c) a direct read agree byte for byte.
 * msync() and fsync() between (b) and (c) succeed: after an invalidation
 * failure, the first of them to run returns -EIO.
 */
static void check_views(struct __test_metadata *_metadata,
			FIXTURE_DATA(dio) *self)
{
	char *back = malloc(FILE_SIZE);
	long off;

	ASSERT_NE(NULL, back);
	off = first_unexpected(self->map, self->last,
			       self->racer == RACE_MMAP_STORES);
	EXPECT_EQ(-1, off) {
		TH_LOG("mapping: byte %ld is %#04x, the last direct write to its chunk wrote '%c'",
		       off, (unsigned char)self->map[off],
		       self->last[off / CHUNK]);
	}
	ASSERT_EQ(FILE_SIZE, pread(self->bfd, back, FILE_SIZE, 0));
	off = first_diff(back, self->map, FILE_SIZE);
	EXPECT_EQ(-1, off) {
		TH_LOG("byte %ld: buffered read %#04x, mapping %#04x", off,
		       (unsigned char)back[off],
		       (unsigned char)self->map[off]);
	}
	errno = 0;
	EXPECT_EQ(0, msync(self->map, FILE_SIZE, MS_SYNC)) {
		TH_LOG("msync: %s", strerror(errno));
	}
	errno = 0;
	EXPECT_EQ(0, fsync(self->bfd)) {
		TH_LOG("fsync: %s", strerror(errno));
	}
	ASSERT_EQ(FILE_SIZE, pread(self->dfd, self->buf, FILE_SIZE, 0));
	off = first_diff(self->buf, self->map, FILE_SIZE);
	EXPECT_EQ(-1, off) {
		TH_LOG("byte %ld: direct read %#04x, mapping %#04x", off,
		       (unsigned char)self->buf[off],
		       (unsigned char)self->map[off]);
	}
	free(back);
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
	EXPECT_EQ(self->bad_lines, dax_klog_count(BAD_LINE));
	free(back);
}

static void race_and_check(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dio) *self, enum racer r,
			   enum wkind kind)
{
	long before = fallbacks(), delta;
	struct race_stats st;
	int pieces;

	if (race(_metadata, self, r, kind, &st))
		return;
	EXPECT_LE(0, before) {
		TH_LOG("no %s: kernel without IOMAP_DIO_RWF_NO_STALE_PAGECACHE",
		       COUNTER);
	}
	delta = before < 0 ? -1 : fallbacks() - before;
	TH_LOG("%s: %d writes, %lu racer ops, %d of %d batches of %d overlapped, %ld fallbacks",
	       wkind_name[kind], st.writes, st.ops, st.overlapped, st.batches,
	       kind == WRITE_SYNC ? 1 : AIO_DEPTH, delta);
	EXPECT_LE(MIN_WRITES, st.writes) {
		TH_LOG("only %d direct writes (DIO_RACE_SECONDS too short?)",
		       st.writes);
	}
	EXPECT_LE(MIN_RACER_OPS, st.ops) {
		TH_LOG("the racer only did %lu operations", st.ops);
	}
	EXPECT_LE(MIN_OVERLAPPED, st.overlapped) {
		TH_LOG("the racer only ran during %d of %d batches of writes",
		       st.overlapped, st.batches);
	}
	if (before >= 0) {
		/* The counter counts each write of POLL_PIECE bytes. */
		pieces = kind == WRITE_IOPOLL ? POLL_PIECES : 1;
		EXPECT_GE(st.writes * pieces / 10, delta) {
			TH_LOG("%ld of %d direct writes fell back to buffered I/O",
			       delta, st.writes * pieces);
		}
	}
	check_views(_metadata, self);
	check_quiesced(_metadata, self);
}

TEST_F_TIMEOUT(dio, race_mmap_stores, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, WRITE_SYNC);
}

TEST_F_TIMEOUT(dio, race_buffered_reads, 300)
{
	race_and_check(_metadata, self, RACE_BUFFERED_READS, WRITE_SYNC);
}

TEST_F_TIMEOUT(dio, race_madvise_willneed, 300)
{
	race_and_check(_metadata, self, RACE_WILLNEED, WRITE_SYNC);
}

TEST_F_TIMEOUT(dio, race_mmap_stores_aio, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, WRITE_AIO);
}

TEST_F_TIMEOUT(dio, race_mmap_stores_uring, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, WRITE_URING);
}

TEST_F_TIMEOUT(dio, race_mmap_stores_iopoll, 300)
{
	race_and_check(_metadata, self, RACE_MMAP_STORES, WRITE_IOPOLL);
}

/* Byte @off of the data of source_buffer_maps_same_file. */
static char src_pat(off_t off)
{
	return (char)((off + off / PAGE) & 0xff);
}

/*
 * The source of a direct write is a mapping of the file being written, the
 * same range and an overlapping one: no deadlock, and the data arrives,
 * each byte where it belongs, in the mapping, for buffered reads and on
 * storage.
 */
TEST_F_TIMEOUT(dio, source_buffer_maps_same_file, 300)
{
	char *want = malloc(2 * CHUNK);
	long off;
	off_t i;

	ASSERT_NE(NULL, want);
	for (i = 0; i < 2 * CHUNK; i++)
		want[i] = src_pat(i);
	memcpy(self->map, want, 2 * CHUNK);

	/* Same range: the file is written with what it holds. */
	ASSERT_EQ(CHUNK, pwrite(self->dfd, self->map, CHUNK, 0));
	/* Overlapping ranges: [CHUNK, 2 * CHUNK) written at PAGE. */
	ASSERT_EQ(CHUNK, pwrite(self->dfd, self->map + CHUNK, CHUNK, PAGE));
	for (i = 0; i < CHUNK; i++)
		want[PAGE + i] = src_pat(CHUNK + i);

	off = first_diff(self->map, want, 2 * CHUNK);
	EXPECT_EQ(-1, off) {
		TH_LOG("byte %ld: mapping %#04x, expected %#04x", off,
		       (unsigned char)self->map[off], (unsigned char)want[off]);
	}
	ASSERT_EQ(2 * CHUNK, pread(self->bfd, self->buf, 2 * CHUNK, 0));
	off = first_diff(self->buf, want, 2 * CHUNK);
	EXPECT_EQ(-1, off) {
		TH_LOG("byte %ld: buffered read %#04x, expected %#04x", off,
		       (unsigned char)self->buf[off], (unsigned char)want[off]);
	}
	errno = 0;
	EXPECT_EQ(0, msync(self->map, 2 * CHUNK, MS_SYNC)) {
		TH_LOG("msync: %s", strerror(errno));
	}
	errno = 0;
	EXPECT_EQ(0, fsync(self->bfd)) {
		TH_LOG("fsync: %s", strerror(errno));
	}
	ASSERT_EQ(2 * CHUNK, pread(self->dfd, self->buf, 2 * CHUNK, 0));
	off = first_diff(self->buf, want, 2 * CHUNK);
	EXPECT_EQ(-1, off) {
		TH_LOG("byte %ld: direct read %#04x, expected %#04x", off,
		       (unsigned char)self->buf[off], (unsigned char)want[off]);
	}
	EXPECT_EQ(self->bad_lines, dax_klog_count(BAD_LINE));
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

/* Writes in flight on block device @dev ("/dev/nullb0"), or -1. */
static int inflight_writes(const char *dev)
{
	char name[64], path[128];
	unsigned int r, w;
	FILE *f;
	int n;

	snprintf(name, sizeof(name), "%s", dev);
	snprintf(path, sizeof(path), "/sys/block/%s/inflight", basename(name));
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%u %u", &r, &w);
	fclose(f);
	return n == 2 ? (int)w : -1;
}

/*
 * Requests in flight on the hctxs of type "poll" of block device @dev, from
 * blk-mq debugfs, the first one described in @seen; -1 if no poll hctx was
 * found (no poll queues, or debugfs not mounted).
 */
static int poll_hctx_busy(const char *dev, char *seen, size_t len)
{
	char name[64], dir[128], path[160], line[512];
	int i, polls = 0, busy = 0;
	bool poll;
	FILE *f;

	snprintf(name, sizeof(name), "%s", dev);
	*seen = '\0';
	for (i = 0; ; i++) {
		snprintf(dir, sizeof(dir), BLK_DEBUGFS "/%s/hctx%d",
			 basename(name), i);
		snprintf(path, sizeof(path), "%s/type", dir);
		f = fopen(path, "r");
		if (!f)
			break;
		poll = fgets(line, sizeof(line), f) && !strcmp(line, "poll\n");
		fclose(f);
		if (!poll)
			continue;
		polls++;
		snprintf(path, sizeof(path), "%s/busy", dir);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* one line a request; a long one is read in pieces */
		while (fgets(line, sizeof(line), f)) {
			if (!*seen)
				snprintf(seen, len, "hctx%d: %.200s", i, line);
			if (strchr(line, '\n'))
				busy++;
		}
		fclose(f);
	}
	seen[strcspn(seen, "\n")] = '\0';
	return polls ? busy : -1;
}

/* Byte @off of the file after the write of generation @gen. */
static unsigned char pattern(off_t off, int gen)
{
	return (unsigned char)(off + off / PAGE + 0x5a * gen);
}

FIXTURE(dio_poll) {
	struct dax_mnt m;
	char path[128];
	int dfd;		/* O_DIRECT */
	int bfd;		/* buffered */
	char *buf;		/* aligned buffer for direct I/O */
	char *map;		/* CHUNK bytes of the file at FAULT_OFF */
	struct dax_uring ring;	/* IORING_SETUP_IOPOLL */
	bool pending;		/* a write on the ring is not reaped yet */
	int bad_lines;		/* BAD_LINE in the kernel log before the test */
	int klog[DAX_KLOG_NR_BAD];	/* dax_klog_bad() lines before it */
};

FIXTURE_VARIANT(dio_poll) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(dio_poll, xfs) { .fs = "xfs" };
FIXTURE_VARIANT_ADD(dio_poll, ext4) { .fs = "ext4" };

/*
 * Only the mount: the harness skips the teardown, and would leave the
 * filesystem mounted, when an assertion fails in the setup.
 */
FIXTURE_SETUP(dio_poll)
{
	const char *dev = getenv(ASYNC_ENV);

	self->dfd = -1;
	self->bfd = -1;
	self->map = MAP_FAILED;
	dax_uring_init(&self->ring);
	if (dev && *dev) {
		/* What the test needs of the device, before formatting it. */
		if (!dev_polls(dev))
			SKIP(return, "%s has no poll queues (queue/io_poll)",
			     dev);
		if (access("/sys/kernel/debug/block", R_OK))
			SKIP(return, "no blk-mq debugfs at /sys/kernel/debug/block");
	}
	dax_mnt_setup(_metadata, &self->m, variant->fs, ASYNC_ENV,
		      "dax=never");
}

FIXTURE_TEARDOWN(dio_poll)
{
	int res;

	/* Poll for the write, so that it drops its reference to the file. */
	if (self->pending)
		dax_uring_reap(&self->ring, &res);
	dax_uring_close(&self->ring);
	if (self->map != MAP_FAILED)
		munmap(self->map, CHUNK);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->bfd >= 0)
		close(self->bfd);
	free(self->buf);
	dax_mnt_teardown(_metadata, &self->m);
}

/*
 * FILE_SIZE bytes of generation 0, written, on storage and out of the page
 * cache, so that a direct write over them is a pure overwrite; the ring, and
 * the kernel log lines that the test must not add to.
 */
static void prepare_polled_file(struct __test_metadata *_metadata,
				FIXTURE_DATA(dio_poll) *self)
{
	off_t i;

	snprintf(self->path, sizeof(self->path), "%s/f", self->m.dir);
	self->bfd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, ftruncate(self->bfd, FILE_SIZE));
	self->dfd = open(self->path, O_RDWR | O_DIRECT);
	ASSERT_LE(0, self->dfd);
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, PAGE, FILE_SIZE));
	for (i = 0; i < FILE_SIZE; i++)
		self->buf[i] = pattern(i, 0);
	ASSERT_EQ(FILE_SIZE, pwrite(self->dfd, self->buf, FILE_SIZE, 0));
	ASSERT_EQ(0, fsync(self->dfd));
	ASSERT_EQ(0, posix_fadvise(self->bfd, 0, 0, POSIX_FADV_DONTNEED));
	errno = 0;
	ASSERT_EQ(0, dax_uring_setup(&self->ring, 4, IORING_SETUP_IOPOLL)) {
		TH_LOG("io_uring_setup(IORING_SETUP_IOPOLL): %s",
		       strerror(errno));
	}
	self->bad_lines = dax_klog_count(BAD_LINE);
	ASSERT_LE(0, self->bad_lines);
	ASSERT_EQ(0, dax_klog_snapshot(self->klog));
}

/*
 * The file of prepare_polled_file(), then a polled direct write of generation
 * 1 over [0, POLL_LEN), proven to be in flight on a poll queue, that nobody
 * polls for.
 */
static void start_polled_write(struct __test_metadata *_metadata,
			       FIXTURE_DATA(dio_poll) *self)
{
	int cqes, writes, busy;
	char seen[256];
	long before;
	off_t i;

	prepare_polled_file(_metadata, self);
	before = fallbacks();

	/* The polled write, of generation 1: nobody polls for it. */
	for (i = 0; i < POLL_LEN; i++)
		self->buf[i] = pattern(i, 1);
	ASSERT_EQ(1, dax_uring_submit_write(&self->ring, self->dfd,
					    self->buf, POLL_LEN, 0)) {
		TH_LOG("io_uring_enter: %s", strerror(errno));
	}
	self->pending = true;

	/* 500 times the completion time of a bio that is not polled. */
	usleep(100000);
	cqes = dax_uring_cq_ready(&self->ring);
	writes = inflight_writes(self->m.dev);
	busy = poll_hctx_busy(self->m.dev, seen, sizeof(seen));
	TH_LOG("after 100 ms: %d CQEs, %d writes in flight, %d on poll hctxs (%s), %ld fallbacks",
	       cqes, writes, busy, *seen ? seen : "-",
	       before < 0 ? -1 : fallbacks() - before);
	/* Otherwise the write completed, or not as a polled bio. */
	ASSERT_EQ(0, cqes);
	ASSERT_LE(1, writes) {
		TH_LOG("no write in flight on %s (queue/iostats off?)",
		       self->m.dev);
	}
	ASSERT_LE(1, busy) {
		TH_LOG("no request on a poll hctx in %s/ (debugfs, io_poll?)",
		       BLK_DEBUGFS);
	}
}

/* Poll for the write that start_polled_write() started: it completes whole. */
static void reap_polled_write(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dio_poll) *self)
{
	int res;

	ASSERT_EQ(0, dax_uring_reap(&self->ring, &res)) {
		TH_LOG("reaping the write: %s", strerror(errno));
	}
	self->pending = false;
	EXPECT_EQ(POLL_LEN, res) {
		TH_LOG("write: %s", res < 0 ? strerror(-res) : "short");
	}
}

/*
 * A polled direct write of POLL_LEN bytes at 0 is in flight, and nobody polls
 * for it.  A write fault at FAULT_OFF, which the write does not cover, must
 * not wait for it.
 */
TEST_F_TIMEOUT(dio_poll, iopoll_write_fault, 60)
{
	unsigned char poke = ~pattern(FAULT_OFF + POKE_OFF, 0), back;
	double t;
	long ms;

	start_polled_write(_metadata, self);

	/* A write fault on a page that is not mapped yet: ->page_mkwrite. */
	self->map = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->bfd, FAULT_OFF);
	ASSERT_NE(MAP_FAILED, self->map);
	t = now();
	self->map[POKE_OFF] = poke;	/* not moved across now(): it may read it */
	ms = (now() - t) * 1000;
	TH_LOG("write fault at %d with a polled write in flight: %ld ms",
	       FAULT_OFF + POKE_OFF, ms);
	EXPECT_GT(FAULT_MAX_MS, ms);

	/* Poll: the write completes, with its data. */
	reap_polled_write(_metadata, self);
	ASSERT_EQ(POLL_LEN, pread(self->dfd, self->buf + CHUNK, POLL_LEN, 0));
	EXPECT_EQ(0, memcmp(self->buf + CHUNK, self->buf, POLL_LEN));
	ASSERT_EQ(1, pread(self->bfd, &back, 1, FAULT_OFF + POKE_OFF));
	EXPECT_EQ(poke, back);
	EXPECT_EQ(0, fsync(self->bfd));
	EXPECT_EQ(self->bad_lines, dax_klog_count(BAD_LINE));
	dax_klog_expect_none(_metadata, self->klog);
}

/* The state letter of thread @tid of this process (R, S, D...), or 0. */
static char task_state(pid_t tid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	if (!p)
		return 0;
	p = strrchr(line, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* A store from another thread, and whether it has happened. */
struct store {
	unsigned char *addr;
	unsigned char val;
	pid_t tid;		/* __atomic: the thread, once it runs */
	bool done;		/* __atomic */
};

static void *store_thread(void *arg)
{
	struct store *st = arg;

	__atomic_store_n(&st->tid, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	__atomic_store_n(st->addr, st->val, __ATOMIC_RELAXED);
	__atomic_store_n(&st->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A write fault inside the range of the polled write must wait for it:
 * the folio it dirties may have been read before the write reached storage.
 * It must wait the way faults wait for I/O, without the fault lock (mmap_lock,
 * or the lock of its VMA): meanwhile, the submitter changes the mapping the
 * fault is in, then polls, which completes the write and lets the store
 * through, on top of the data of the write.
 */
TEST_F_TIMEOUT(dio_poll, iopoll_fault_same_range, 60)
{
	struct store st = { .val = (unsigned char)~pattern(POKE_OFF, 1) };
	pthread_t thread;
	double t;
	long ms;

	start_polled_write(_metadata, self);

	/* A write fault on a page of the write that is not mapped yet. */
	self->map = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->bfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	st.addr = (unsigned char *)self->map + POKE_OFF;
	ASSERT_EQ(0, pthread_create(&thread, NULL, store_thread, &st));
	usleep(200000);
	EXPECT_FALSE(__atomic_load_n(&st.done, __ATOMIC_ACQUIRE)) {
		TH_LOG("the store did not wait for the direct write under it");
	}
	/* ... and it waits in the kernel, not on its way there. */
	EXPECT_EQ('D', task_state(__atomic_load_n(&st.tid, __ATOMIC_ACQUIRE)));

	/* The last page of the VMA the fault is in: takes its write lock. */
	t = now();
	ASSERT_EQ(0, mprotect(self->map + CHUNK - PAGE, PAGE, PROT_READ));
	ms = (now() - t) * 1000;
	TH_LOG("mprotect() with a write fault waiting in the VMA: %ld ms", ms);
	EXPECT_GT(FAULT_MAX_MS, ms);

	/* Poll: the write completes, with its data, and then the store. */
	reap_polled_write(_metadata, self);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_TRUE(__atomic_load_n(&st.done, __ATOMIC_ACQUIRE));

	/* Through the mapping, a buffered read, and on storage. */
	self->buf[POKE_OFF] = st.val;
	EXPECT_EQ(0, memcmp(self->map, self->buf, POLL_LEN));
	ASSERT_EQ(POLL_LEN, pread(self->bfd, self->buf + CHUNK, POLL_LEN, 0));
	EXPECT_EQ(0, memcmp(self->buf + CHUNK, self->buf, POLL_LEN));
	EXPECT_EQ(0, fsync(self->bfd));
	ASSERT_EQ(POLL_LEN, pread(self->dfd, self->buf + CHUNK, POLL_LEN, 0));
	EXPECT_EQ(0, memcmp(self->buf + CHUNK, self->buf, POLL_LEN));
	EXPECT_EQ(self->bad_lines, dax_klog_count(BAD_LINE));
	dax_klog_expect_none(_metadata, self->klog);
}

/*
 * Polled direct writes whose completion goes to the workqueue: a page of the
 * file outside their range stays cached, so iomap_dio_done() punts every
 * completion to s_dio_done_wq (it does when the mapping has pages), after
 * the bio has been put, while io_uring keeps polling the request until the
 * work item completes it.  iocb->private used to point at the put bio all
 * that time.  The poller runs at nice -20 on one CPU, where the bio
 * completes (by polling) and the work item is queued: the kworker, at nice
 * 0, then waits for its turn (up to tens of milliseconds under QEMU),
 * which can outlast an RCU grace period, unless the poller's nice value
 * counts only inside its autogroup or cgroup (both are logged, with the
 * slowest reap).  Nothing may poll a freed bio meanwhile: a KASAN kernel
 * with SLUB_RCU_DEBUG reports it, and the kernel log is checked (KASAN
 * reports only its first bug of a boot, unless booted with
 * kasan_multi_shot).  Every write completes whole, with its data.
 */
TEST_F_TIMEOUT(dio_poll, iopoll_completion_work, 120)
{
	int gen = 1, writes = 0, res, nice0, cpu;
	double t0, t, slowest = 0;
	char c, group[256] = "";
	cpu_set_t cpus, all;
	unsigned char vec;
	bool niced;
	off_t i;
	FILE *f;

	prepare_polled_file(_metadata, self);
	ASSERT_EQ(1, pread(self->bfd, &c, 1, FAULT_OFF));
	self->map = mmap(NULL, CHUNK, PROT_READ, MAP_SHARED, self->bfd,
			 FAULT_OFF);
	ASSERT_NE(MAP_FAILED, self->map);

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	errno = 0;
	nice0 = getpriority(PRIO_PROCESS, 0);
	ASSERT_EQ(0, errno);
	niced = !setpriority(PRIO_PROCESS, 0, -20);
	if (!niced)
		TH_LOG("no nice -20 (%s): the work items run sooner",
		       strerror(errno));
	f = fopen("/proc/self/autogroup", "r");
	if (f) {
		if (!fgets(group, sizeof(group), f))
			group[0] = 0;
		fclose(f);
	}
	group[strcspn(group, "\n")] = 0;

	t0 = now();
	do {
		for (i = 0; i < POLL_LEN; i++)
			self->buf[i] = pattern(i, gen);
		ASSERT_EQ(1, dax_uring_submit_write(&self->ring, self->dfd,
						    self->buf, POLL_LEN, 0)) {
			TH_LOG("io_uring_enter: %s", strerror(errno));
		}
		self->pending = true;
		t = now();
		ASSERT_EQ(0, dax_uring_reap(&self->ring, &res)) {
			TH_LOG("reaping write %d: %s", writes, strerror(errno));
		}
		t = now() - t;
		if (t > slowest)
			slowest = t;
		self->pending = false;
		ASSERT_EQ(POLL_LEN, res) {
			TH_LOG("write %d: %s", writes,
			       res < 0 ? strerror(-res) : "short");
		}
		writes++;
		gen++;
	} while (writes < WORK_WRITES && now() - t0 < WORK_SECONDS);

	if (niced)
		ASSERT_EQ(0, setpriority(PRIO_PROCESS, 0, nice0));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	TH_LOG("%d polled writes in %.1f s on CPU %d%s, slowest reap %.0f ms, autogroup %s",
	       writes, now() - t0, cpu, niced ? " at nice -20" : "",
	       slowest * 1000, *group ? group : "none");
	EXPECT_LE(MIN_WORK_WRITES, writes);

	/*
	 * The page stayed cached, so iomap_dio_done() punted every completion
	 * to the workqueue.
	 */
	ASSERT_EQ(0, mincore(self->map, PAGE, &vec));
	EXPECT_EQ(1, vec & 1) {
		TH_LOG("the page at %d left the page cache", FAULT_OFF);
	}

	ASSERT_EQ(POLL_LEN, pread(self->dfd, self->buf + CHUNK, POLL_LEN, 0));
	EXPECT_EQ(0, memcmp(self->buf + CHUNK, self->buf, POLL_LEN));
	EXPECT_EQ(0, fsync(self->bfd));
	EXPECT_EQ(self->bad_lines, dax_klog_count(BAD_LINE));
	dax_klog_expect_none(_metadata, self->klog);
}

TEST_HARNESS_MAIN
