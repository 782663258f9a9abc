/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DAX selftests: format and mount a pmem device with
 * DAX, find where a file's data lives on the device, inject, list and
 * scrub bad sectors through /sys/block/pmemN/badblocks, fill and check test
 * data, read a page through a mapping that may raise SIGBUS, count lines
 * of the kernel log (and fail a test during which it gained an oops, BUG,
 * WARNING or general protection fault), and write through a raw io_uring
 * ring.
 *
 * The tests format block devices, so they only run on devices named
 * explicitly (opt-in):
 *
 *   DAX_TEST_PMEM_LEGACY  a legacy pmem device, e.g. /dev/pmem0, from
 *                         memmap=512M!1G on the kernel command line
 *   DAX_TEST_PMEM_NVDIMM  an fsdax namespace on an NVDIMM, e.g. /dev/pmem1,
 *                         from "ndctl create-namespace -m fsdax"
 *   DAX_TEST_PMEM_VIRTIO  a virtio-pmem device (DAX without MAP_SYNC)
 *   DAX_TEST_PMEM_NFIT    the block device of an fsdax namespace on the
 *                         bus of nfit_test (tools/testing/nvdimm, whose
 *                         platform scrubs and clears errors), e.g.
 *                         /dev/pmem2; DAX_TEST_PMEM_NFIT_NS names the
 *                         namespace (namespace2.0) and
 *                         DAX_TEST_PMEM_NFIT_BUS the bus (nfit_test.0).
 *                         Its regions are 64 MiB at most, and mkfs.xfs
 *                         refuses filesystems under 300 MiB unless
 *                         TEST_DIR, TEST_DEV and QA_CHECK_FS are set in
 *                         the environment, as fstests does.
 *   DAX_TEST_PMEM_DM      a DAX-capable dm-linear device over legacy pmem
 *                         DAX_TEST_PMEM_DM_UNDER, starting
 *                         DAX_TEST_PMEM_DM_OFFSET sectors into it
 *   DAX_TEST_BLK_ASYNC    a disk that completes I/O later, from another
 *                         context, with a poll queue: null_blk with
 *                         queue_mode=2 memory_backed=1 irqmode=2
 *                         completion_nsec=200000 poll_queues=1
 *   DAX_TEST_MCE_INJECT   the mce-inject directory in debugfs
 *
 * Under QEMU, an NVDIMM comes from -machine nvdimm=on, -m 2G,slots=2,maxmem=4G,
 * -object memory-backend-file,id=nv0,share=on,mem-path=FILE,size=1G and
 * -device nvdimm,memdev=nv0,label-size=128K; virtio-pmem from
 * -object memory-backend-file,id=vp0,share=on,mem-path=FILE2,size=512M,align=2M
 * and -device virtio-pmem-pci,memdev=vp0.  A variant whose device is not
 * named is skipped with the reason.
 */
#ifndef DAX_UTIL_H
#define DAX_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
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

/* Byte @pos of version @gen of a test file's data: every sector differs. */
static inline unsigned char dax_pat(off_t pos, int gen)
{
	return pos * 7 + pos / SECTOR_SIZE * 29 + gen * 101 + 1;
}

static inline void dax_fill(unsigned char *buf, off_t pos, size_t len, int gen)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = dax_pat(pos + i, gen);
}

/* Does [@pos, @pos + @len) of @fd read back as @data[@pos...]? */
static inline bool dax_reads_back(int fd, const unsigned char *data, off_t pos,
				  size_t len)
{
	unsigned char *buf = malloc(len);
	bool ok;

	if (!buf)
		return false;
	ok = pread(fd, buf, len, pos) == (ssize_t)len && !memcmp(buf, data + pos, len);
	free(buf);
	return ok;
}

/*
 * Clear the sectors in [@lo, @hi) that the badblocks list of pmem device
 * @dev holds, by writing zeroes over them through the block device (which
 * clears them on legacy pmem).  Only for a device whose filesystem is
 * unmounted.  0 once that range of the list is empty, -1 if it is not.
 */
#define DAX_SCRUB_RUNS	64
#define DAX_SCRUB_CHUNK	(64 * 1024)
static inline int dax_scrub(const char *dev, long long lo, long long hi)
{
	long long start[DAX_SCRUB_RUNS], s;
	int count[DAX_SCRUB_RUNS];
	int fd, i, n, nr, pass, ret = -1;
	char path[128];
	void *zero;
	FILE *f;

	if (posix_memalign(&zero, 4096, DAX_SCRUB_CHUNK))
		return -1;
	memset(zero, 0, DAX_SCRUB_CHUNK);
	fd = open(dev, O_WRONLY | O_DIRECT);
	if (fd < 0)
		goto out_free;
	dax_badblocks_path(dev, path, sizeof(path));
	for (pass = 0; pass < 8; pass++) {
		f = fopen(path, "r");
		if (!f)
			break;
		/* The runs of the list, cut to [lo, hi). */
		nr = 0;
		while (nr < DAX_SCRUB_RUNS && fscanf(f, "%lld %d", &s, &n) == 2) {
			start[nr] = s > lo ? s : lo;
			count[nr] = (s + n < hi ? s + n : hi) - start[nr];
			if (count[nr] > 0)
				nr++;
		}
		fclose(f);
		if (!nr) {
			ret = 0;
			break;
		}
		for (i = 0; i < nr; i++) {
			while (count[i] > 0) {
				n = count[i] < DAX_SCRUB_CHUNK / SECTOR_SIZE ?
				    count[i] : DAX_SCRUB_CHUNK / SECTOR_SIZE;
				if (pwrite(fd, zero, n * SECTOR_SIZE,
					   start[i] * SECTOR_SIZE) !=
				    n * SECTOR_SIZE)
					break;
				start[i] += n;
				count[i] -= n;
			}
		}
	}
	close(fd);
out_free:
	free(zero);
	return ret;
}

static sigjmp_buf dax_sigbus_jmp;

static inline void dax_on_sigbus(int sig __always_unused)
{
	siglongjmp(dax_sigbus_jmp, 1);
}

/*
 * Copy the page at @pos of @fd through a new shared mapping into @buf: 0,
 * 1 if that raised SIGBUS, -1 if the file could not be mapped.
 */
static inline int dax_map_read(int fd, off_t pos, unsigned char *buf)
{
	struct sigaction sa, old;
	unsigned char *p;

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, pos);
	if (p == MAP_FAILED)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dax_on_sigbus;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(dax_sigbus_jmp, 1)) {
		sigaction(SIGBUS, &old, NULL);
		munmap(p, 4096);
		return 1;
	}
	memcpy(buf, p, 4096);
	sigaction(SIGBUS, &old, NULL);
	munmap(p, 4096);
	return 0;
}

/* How many times does the kernel log hold @needle?  -1 if unreadable. */
static inline int dax_klog_count(const char *needle)
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

/*
 * Kernel log lines that fail any test during which they appear: an oops,
 * a BUG, a WARNING or a general protection fault.
 */
#define DAX_KLOG_NR_BAD	4

static inline const char *dax_klog_bad(unsigned int i)
{
	static const char * const bad[DAX_KLOG_NR_BAD] = {
		"Oops", "BUG:", "WARNING:", "general protection",
	};

	return bad[i];
}

/* Count the dax_klog_bad() lines of the kernel log into @n: 0, or -1. */
static inline int dax_klog_snapshot(int n[DAX_KLOG_NR_BAD])
{
	unsigned int i;

	for (i = 0; i < DAX_KLOG_NR_BAD; i++) {
		n[i] = dax_klog_count(dax_klog_bad(i));
		if (n[i] < 0)
			return -1;
	}
	return 0;
}

/* Fail the test if the kernel log gained dax_klog_bad() lines since @n. */
static inline void dax_klog_expect_none(struct __test_metadata *_metadata,
					const int n[DAX_KLOG_NR_BAD])
{
	unsigned int i;
	int now;

	for (i = 0; i < DAX_KLOG_NR_BAD; i++) {
		now = dax_klog_count(dax_klog_bad(i));
		EXPECT_LE(0, now) {
			TH_LOG("cannot read the kernel log: %s",
			       strerror(errno));
		}
		EXPECT_GE(n[i], now) {
			TH_LOG("the kernel log gained %d \"%s\" line(s) during the test",
			       now - n[i], dax_klog_bad(i));
		}
	}
}

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup	425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter	426
#endif

/*
 * An io_uring ring set up with the raw system calls (no liburing).  A
 * pointer is MAP_FAILED while it is not mapped.
 */
struct dax_uring {
	int fd;
	struct io_uring_params p;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_len, cq_len, sqes_len;
};

#define DAX_RING_U32(base, off)	((unsigned int *)((base) + (off)))

static inline void dax_uring_init(struct dax_uring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->sq = MAP_FAILED;
	r->cq = MAP_FAILED;
	r->sqes = MAP_FAILED;
}

static inline void *dax_uring_map(struct dax_uring *r, size_t len,
				  off_t what)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, r->fd, what);
}

/* A ring of @entries with @flags (IORING_SETUP_*): 0, or -1 with errno. */
static inline int dax_uring_setup(struct dax_uring *r, unsigned int entries,
				  unsigned int flags)
{
	r->p.flags = flags;
	r->fd = syscall(__NR_io_uring_setup, entries, &r->p);
	if (r->fd < 0)
		return -1;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(__u32);
	r->cq_len = r->p.cq_off.cqes +
		    r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (r->p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sqes_len = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = dax_uring_map(r, r->sq_len, IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		return -1;
	if (r->p.features & IORING_FEAT_SINGLE_MMAP)
		r->cq = r->sq;
	else
		r->cq = dax_uring_map(r, r->cq_len, IORING_OFF_CQ_RING);
	if (r->cq == MAP_FAILED)
		return -1;
	r->sqes = dax_uring_map(r, r->sqes_len, IORING_OFF_SQES);
	return r->sqes == MAP_FAILED ? -1 : 0;
}

static inline void dax_uring_close(struct dax_uring *r)
{
	if (r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq != MAP_FAILED && r->cq != r->sq)
		munmap(r->cq, r->cq_len);
	if (r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	dax_uring_init(r);
}

/*
 * Queue an IORING_OP_WRITE of @len bytes of @buf at @pos of @fd and submit
 * it, without IORING_ENTER_GETEVENTS: on an IOPOLL ring, nobody polls for it.
 * Returns what io_uring_enter() does: 1 if it was submitted.
 */
static inline int dax_uring_submit_write(struct dax_uring *r, int fd,
					 const void *buf, unsigned int len,
					 off_t pos)
{
	unsigned int *tail = DAX_RING_U32(r->sq, r->p.sq_off.tail);
	unsigned int t = *tail;
	unsigned int i = t & *DAX_RING_U32(r->sq, r->p.sq_off.ring_mask);
	struct io_uring_sqe *sqe = &r->sqes[i];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = fd;
	sqe->addr = (unsigned long)buf;
	sqe->len = len;
	sqe->off = pos;
	sqe->user_data = 1;
	DAX_RING_U32(r->sq, r->p.sq_off.array)[i] = i;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	return syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0);
}

/* Completions posted to the CQ ring and not consumed yet. */
static inline unsigned int dax_uring_cq_ready(struct dax_uring *r)
{
	return __atomic_load_n(DAX_RING_U32(r->cq, r->p.cq_off.tail),
			       __ATOMIC_ACQUIRE) -
	       *DAX_RING_U32(r->cq, r->p.cq_off.head);
}

#define DAX_URING_REAP_SECONDS	30

/*
 * Wait for one completion (on an IOPOLL ring: poll for it) and consume it:
 * 0 with its result in @res, or -1 with errno (ETIMEDOUT when none came in
 * DAX_URING_REAP_SECONDS).  Polling may return with no completion posted
 * (the task should reschedule, a request was reissued): poll again.
 */
static inline int dax_uring_reap(struct dax_uring *r, int *res)
{
	unsigned int *head = DAX_RING_U32(r->cq, r->p.cq_off.head);
	struct io_uring_cqe *cqe;
	struct timespec t0, t;
	unsigned int h;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!dax_uring_cq_ready(r)) {
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!dax_uring_cq_ready(r) &&
		    t.tv_sec - t0.tv_sec > DAX_URING_REAP_SECONDS) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	h = *head;
	cqe = (struct io_uring_cqe *)(r->cq + r->p.cq_off.cqes) +
	      (h & *DAX_RING_U32(r->cq, r->p.cq_off.ring_mask));
	*res = cqe->res;
	__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
	return 0;
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
