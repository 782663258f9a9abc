// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DIRECT: a file mapping that the page cache does not front.
 *
 * mmap(MAP_SHARED | MAP_DIRECT) and mmap(MAP_PRIVATE | MAP_DIRECT) are
 * hints: the mapping is direct when the filesystem supports it (XFS, ext4)
 * and the inode is DAX; otherwise it silently uses the page cache and the
 * tracepoint mmap:mmap_direct_fallback says why (reason=inode: this inode
 * is not DAX; reason=fs: the filesystem cannot map directly).
 * mmap(MAP_SHARED_VALIDATE | MAP_DIRECT), with or without MAP_SYNC, is a
 * guarantee: it fails with EOPNOTSUPP, untraced, unless the mapping is
 * direct.  The VmFlags line of /proc/self/smaps shows "dx" for exactly the
 * direct mappings.
 *
 * The tests run on XFS and ext4 on the legacy pmem device named by
 * DAX_TEST_PMEM_LEGACY (see dax_util.h), mounted with dax=always,
 * dax=never, and dax=inode with and without FS_XFLAG_DAX on the directory
 * that holds the files.  Each variant knows whether its files are DAX,
 * which statx() must confirm first.  Then:
 *
 *  - shared_hint: the hint succeeds, "dx" iff direct, stores reach the
 *    file, a fallback is traced with reason=inode, a direct mapping is not;
 *  - shared_validate: MAP_SHARED_VALIDATE | MAP_DIRECT, and with MAP_SYNC,
 *    maps directly or fails with EOPNOTSUPP, leaving no mapping and no
 *    trace;
 *  - private_hint: a private hint maps the file, and a store through it
 *    does not reach the file;
 *  - cachestat: a direct mapping of 256 MiB, every page stored to, leaves
 *    no page cache; a fallback fills it;
 *  - reflink_cow: on XFS, cloning and deduplicating a mapped file and
 *    storing through the mapping copies the shared blocks (no SIGBUS, the
 *    clone keeps its data); on ext4 both ioctls fail with EOPNOTSUPP and
 *    the mapping works on.
 *
 * The virtio_pmem tests run on XFS and ext4, dax=always, on the virtio-pmem
 * device named by DAX_TEST_PMEM_VIRTIO.  virtio-pmem is DAX, but its
 * flushes go to the host through virtio: it is not synchronous, so
 * MAP_SHARED_VALIDATE | MAP_SYNC fails with EOPNOTSUPP although a mapping
 * of the file is direct.  It is the one kind of pmem where the two answers
 * differ, and why an application cannot take MAP_SYNC as a probe for a
 * mapping that the page cache does not front:
 *
 *  - validate_direct: MAP_SHARED_VALIDATE | MAP_DIRECT maps the file,
 *    untraced, with "dx"; stores through it are on the sectors of the
 *    device behind it before any msync(), and in the file; no page cache;
 *  - sync_refused: MAP_SHARED_VALIDATE | MAP_SYNC fails with EOPNOTSUPP,
 *    and so does it with MAP_DIRECT added, mapping and tracing nothing,
 *    while MAP_SHARED_VALIDATE | MAP_DIRECT of the same file succeeds.
 *
 * memfd_reason_fs needs no pmem: shmem cannot map directly, so a hint on a
 * memfd falls back with reason=fs.
 *
 * A kernel without MAP_DIRECT silently ignores the flag with MAP_SHARED, so
 * every test skips unless the tracepoint exists.  tracefs is mounted on
 * /sys/kernel/tracing if it is not there yet.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "dax_util.h"

#ifndef MAP_DIRECT
#define MAP_DIRECT		0x400000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#ifndef __NR_cachestat
#define __NR_cachestat		451
#endif

#define PAGE		4096
#define LEN		(16 * PAGE)	/* the small files */
#define CLONE_LEN	(1024 * 1024)
#define BIG_LEN		(256UL * 1024 * 1024)
#define BIG_PAGES	(BIG_LEN / PAGE)
#define CHUNK		(1024 * 1024)
#define NFILES		2
#define NMAPS		2

#define TRACEFS		"/sys/kernel/tracing"
#define EVENT		"mmap_direct_fallback"
#define EVENT_DIR	TRACEFS "/events/mmap/" EVENT

/* The uapi structures of cachestat(2), which older headers lack. */
struct md_cachestat_range {
	__u64 off;
	__u64 len;
};

struct md_cachestat {
	__u64 nr_cache;
	__u64 nr_dirty;
	__u64 nr_writeback;
	__u64 nr_evicted;
	__u64 nr_recently_evicted;
};

/* Page cache state of the whole file behind @fd; 0 or -1 (errno). */
static int cachestat(int fd, struct md_cachestat *cs)
{
	struct md_cachestat_range range = { 0, 0 };	/* to the end */

	memset(cs, 0, sizeof(*cs));
	return syscall(__NR_cachestat, fd, &range, cs, 0);
}

static void log_cachestat(struct __test_metadata *_metadata,
			  const char *when, const struct md_cachestat *cs)
{
	TH_LOG("%s: %llu of %lu pages cached, %llu dirty, %llu writeback",
	       when, (unsigned long long)cs->nr_cache, BIG_PAGES,
	       (unsigned long long)cs->nr_dirty,
	       (unsigned long long)cs->nr_writeback);
	TH_LOG("%s: %llu evicted, %llu recently evicted", when,
	       (unsigned long long)cs->nr_evicted,
	       (unsigned long long)cs->nr_recently_evicted);
}

/*
 * Why the tests cannot run here, or NULL: the fallback tracepoint comes
 * with MAP_DIRECT.
 */
static const char *no_map_direct(void)
{
	if (access(TRACEFS "/events", F_OK) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return "no tracefs: cannot mount it on " TRACEFS;
	if (access(EVENT_DIR, F_OK))
		return "kernel without MAP_DIRECT: no mmap_direct_fallback tracepoint";
	return NULL;
}

/* Enable the fallback event, on an empty trace buffer; 0 on success. */
static int trace_start(void)
{
	if (dax_write_str(TRACEFS "/tracing_on", "1") ||
	    dax_write_str(EVENT_DIR "/enable", "1"))
		return -1;
	/* echo > trace */
	return dax_write_str(TRACEFS "/trace", "\n");
}

static void trace_stop(void)
{
	dax_write_str(EVENT_DIR "/enable", "0");
}

struct fallbacks {
	int inode;	/* events for the file with reason=inode */
	int fs;		/* events for the file with reason=fs */
	int garbled;	/* events, of any file, not in the documented format */
};

/*
 * Count the fallback events in the trace buffer for the file @st; 0 on
 * success.  An event line holds "mmap_direct_fallback:" and the fields
 * "dev=M:N", "ino=0x<hex>" and "reason=<fs|inode>".
 */
static int count_fallbacks(const struct stat *st, struct fallbacks *fb)
{
	char *line = NULL, *p, *d, *i, *r, reason[16];
	unsigned long long ino;
	unsigned int maj, min;
	size_t n = 0;
	FILE *f;

	memset(fb, 0, sizeof(*fb));
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (getline(&line, &n, f) > 0) {
		p = strstr(line, EVENT ":");
		if (!p)
			continue;
		d = strstr(p, " dev=");
		i = strstr(p, " ino=0x");
		r = strstr(p, " reason=");
		if (!d || !i || !r ||
		    sscanf(d, " dev=%u:%u", &maj, &min) != 2 ||
		    sscanf(i, " ino=0x%llx", &ino) != 1 ||
		    sscanf(r, " reason=%15s", reason) != 1) {
			fb->garbled++;
			continue;
		}
		if (maj != major(st->st_dev) || min != minor(st->st_dev) ||
		    ino != (unsigned long long)st->st_ino)
			continue;
		if (!strcmp(reason, "inode"))
			fb->inode++;
		else if (!strcmp(reason, "fs"))
			fb->fs++;
		else
			fb->garbled++;
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * The fallback events traced since trace_start() for the file behind @fd:
 * at least one with reason=inode if @fallback, else none.  XFS and ext4
 * support MAP_DIRECT, so never reason=fs.
 */
static void check_fallbacks(struct __test_metadata *_metadata, int fd,
			    bool fallback)
{
	struct fallbacks fb;
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, count_fallbacks(&st, &fb));
	EXPECT_EQ(fallback, fb.inode > 0);
	EXPECT_EQ(0, fb.fs);
	EXPECT_EQ(0, fb.garbled);
	TH_LOG("%d fallback(s) traced for ino %#llx", fb.inode + fb.fs,
	       (unsigned long long)st.st_ino);
}

/*
 * Is "dx" among the VmFlags of the mapping that holds @addr in
 * /proc/self/smaps?  1 or 0, or -1 if no mapping holds @addr.
 */
static int vma_dx(const void *addr)
{
	unsigned long start, end, a = (unsigned long)addr;
	char *line = NULL, *tok, *save;
	bool in = false;
	int ret = -1;
	size_t n = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (ret < 0 && getline(&line, &n, f) > 0) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = a >= start && a < end;
			continue;
		}
		if (!in || strncmp(line, "VmFlags:", 8))
			continue;
		ret = 0;
		for (tok = strtok_r(line + 8, "\n ", &save); tok;
		     tok = strtok_r(NULL, "\n ", &save))
			if (!strcmp(tok, "dx"))
				ret = 1;
	}
	free(line);
	fclose(f);
	return ret;
}

/* How many mappings of the file behind @fd has this process?  -1: error */
static int file_mappings(int fd)
{
	unsigned long long ino;
	unsigned int maj, min;
	char *line = NULL;
	struct stat st;
	size_t n = 0;
	int count = 0;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (getline(&line, &n, f) > 0)
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu",
			   &maj, &min, &ino) == 3 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long long)st.st_ino)
			count++;
	free(line);
	fclose(f);
	return count;
}

/*
 * Is the file behind @fd DAX, by statx()?  1 or 0, or -1 if statx() fails
 * or cannot tell.
 */
static int file_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

static sigjmp_buf sigbus_env;

static void on_sigbus(int sig __maybe_unused)
{
	siglongjmp(sigbus_env, 1);
}

/*
 * memcpy() to or from a mapping: 0, or -1 if the access raised SIGBUS
 * (which then does not kill the test).
 */
static int guarded_copy(void *dst, const void *src, size_t len)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old))
		return -1;
	if (sigsetjmp(sigbus_env, 1)) {
		sigaction(SIGBUS, &old, NULL);
		return -1;
	}
	memcpy(dst, src, len);
	sigaction(SIGBUS, &old, NULL);
	return 0;
}

/* @len bytes of pattern @seed; two seeds differ at every byte. */
static void fill(char *buf, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(seed * 29 + i * 7 + i / PAGE);
}

/* Offset of the first byte at which @a and @b differ, or -1. */
static long first_diff(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

/*
 * Offset of the first byte of the file behind @fd that differs from @want
 * of @len bytes, -1 if none does, or -2 if it cannot be read.
 */
static long file_diff(int fd, const char *want, size_t len)
{
	char *buf = malloc(len);
	long ret = -2;

	if (buf && pread(fd, buf, len, 0) == (ssize_t)len)
		ret = first_diff(buf, want, len);
	free(buf);
	return ret;
}

/*
 * Offset of the first byte of the mapping @map that differs from @want of
 * @len bytes, -1 if none does, or -2 if reading it raised SIGBUS.
 */
static long map_diff(const char *map, const char *want, size_t len)
{
	char *buf = malloc(len);
	long ret = -2;

	if (buf && !guarded_copy(buf, map, len))
		ret = first_diff(buf, want, len);
	free(buf);
	return ret;
}

/*
 * Make directory @path, with FS_XFLAG_DAX if @dax so that the files made in
 * it are DAX under dax=inode; 0 or -errno.
 */
static int make_dir(const char *path, bool dax)
{
	struct fsxattr fa;
	int fd, ret = 0;

	if (mkdir(path, 0700))
		return -errno;
	if (!dax)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa)) {
		ret = -errno;
	} else {
		fa.fsx_xflags |= FS_XFLAG_DAX;
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fa) ||
		    ioctl(fd, FS_IOC_FSGETXATTR, &fa))
			ret = -errno;
		else if (!(fa.fsx_xflags & FS_XFLAG_DAX))
			ret = -EINVAL;
	}
	close(fd);
	return ret;
}

/* A mapping that the fixture teardown undoes. */
struct mapping {
	void *addr;
	size_t len;
};

FIXTURE(map_direct) {
	struct dax_mnt m;
	char dir[128];		/* holds the files */
	int fd[NFILES];
	struct mapping map[NMAPS];
};

FIXTURE_VARIANT(map_direct) {
	const char *fs;
	const char *opts;	/* mount options */
	bool dax_flag;		/* FS_XFLAG_DAX on the directory */
	bool direct;		/* the files are DAX: MAP_DIRECT maps directly */
};

FIXTURE_VARIANT_ADD(map_direct, xfs_always) {
	.fs = "xfs", .opts = "dax=always", .direct = true,
};

FIXTURE_VARIANT_ADD(map_direct, xfs_never) {
	.fs = "xfs", .opts = "dax=never", .direct = false,
};

FIXTURE_VARIANT_ADD(map_direct, xfs_inode_flag) {
	.fs = "xfs", .opts = "dax=inode", .dax_flag = true, .direct = true,
};

FIXTURE_VARIANT_ADD(map_direct, xfs_inode_noflag) {
	.fs = "xfs", .opts = "dax=inode", .direct = false,
};

FIXTURE_VARIANT_ADD(map_direct, ext4_always) {
	.fs = "ext4", .opts = "dax=always", .direct = true,
};

FIXTURE_VARIANT_ADD(map_direct, ext4_never) {
	.fs = "ext4", .opts = "dax=never", .direct = false,
};

FIXTURE_VARIANT_ADD(map_direct, ext4_inode_flag) {
	.fs = "ext4", .opts = "dax=inode", .dax_flag = true, .direct = true,
};

FIXTURE_VARIANT_ADD(map_direct, ext4_inode_noflag) {
	.fs = "ext4", .opts = "dax=inode", .direct = false,
};

FIXTURE_SETUP(map_direct)
{
	const char *why;
	int i, ret;

	for (i = 0; i < NFILES; i++)
		self->fd[i] = -1;
	/* Before the mount: a skip or failure here has no teardown. */
	why = no_map_direct();
	if (why)
		SKIP(return, "%s", why);
	dax_mnt_setup(_metadata, &self->m, variant->fs, "DAX_TEST_PMEM_LEGACY",
		      variant->opts);
	if (!self->m.mounted)
		return;		/* skipped or failed, and said why */
	snprintf(self->dir, sizeof(self->dir), "%s/d", self->m.dir);
	ret = make_dir(self->dir, variant->dax_flag);
	if (ret)
		dax_mnt_teardown(_metadata, &self->m);
	ASSERT_EQ(0, ret) {
		TH_LOG("mkdir %s%s: %s", self->dir,
		       variant->dax_flag ? " with FS_XFLAG_DAX" : "",
		       strerror(-ret));
	}
}

FIXTURE_TEARDOWN(map_direct)
{
	int i;

	trace_stop();
	for (i = 0; i < NMAPS; i++)
		if (self->map[i].addr)
			munmap(self->map[i].addr, self->map[i].len);
	for (i = 0; i < NFILES; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	dax_mnt_teardown(_metadata, &self->m);
}

/*
 * Create @name in @dir with @len bytes of pattern @seed; return its fd,
 * also stored in *@fdp for the fixture teardown to close.
 */
static int make_file(struct __test_metadata *_metadata, const char *dir,
		     int *fdp, const char *name, size_t len, int seed)
{
	char path[256], *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	EXPECT_LE(0, fd) {
		TH_LOG("open %s: %s", path, strerror(errno));
	}
	if (fd < 0)
		return -1;
	*fdp = fd;
	if (!len)
		return fd;
	buf = malloc(len);
	EXPECT_NE(NULL, buf);
	if (!buf)
		return -1;
	fill(buf, len, seed);
	EXPECT_EQ((ssize_t)len, pwrite(fd, buf, len, 0));
	EXPECT_EQ(0, fsync(fd));
	free(buf);
	return fd;
}

/* mmap() @len bytes of @fd read-write with @flags, recorded in @m. */
static char *map_file(struct mapping *m, int fd, size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p != MAP_FAILED) {
		m->addr = p;
		m->len = len;
	}
	return p;
}

static void unmap(struct mapping *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	m->addr = NULL;
}

/*
 * MAP_SHARED | MAP_DIRECT maps the file, directly iff it is DAX, which a
 * plain MAP_SHARED mapping shows as well; stores through it reach the file;
 * only a fallback is traced.
 */
TEST_F_TIMEOUT(map_direct, shared_hint, 120)
{
	char *want = malloc(LEN);
	char *plain, *map;
	int fd, err;

	ASSERT_NE(NULL, want);
	fd = make_file(_metadata, self->dir, &self->fd[0], "f", LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(variant->direct, file_dax(fd));

	ASSERT_EQ(0, trace_start());
	plain = map_file(&self->map[0], fd, LEN, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, plain);
	/* Without MAP_DIRECT: nothing to fall back from. */
	check_fallbacks(_metadata, fd, false);
	map = map_file(&self->map[1], fd, LEN, MAP_SHARED | MAP_DIRECT);
	err = errno;
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED | MAP_DIRECT): %s", strerror(err));
	}
	check_fallbacks(_metadata, fd, !variant->direct);
	trace_stop();

	EXPECT_EQ(variant->direct, vma_dx(map));
	EXPECT_EQ(variant->direct, vma_dx(plain));
	fill(want, LEN, 1);
	EXPECT_EQ(-1, map_diff(map, want, LEN));

	fill(want, LEN, 2);
	ASSERT_EQ(0, guarded_copy(map, want, LEN)) {
		TH_LOG("SIGBUS storing through the mapping");
	}
	ASSERT_EQ(0, msync(map, LEN, MS_SYNC));
	EXPECT_EQ(-1, file_diff(fd, want, LEN));
	EXPECT_EQ(-1, map_diff(plain, want, LEN));
	free(want);
}

/*
 * MAP_SHARED_VALIDATE | MAP_DIRECT, alone and with MAP_SYNC, maps the file
 * directly or fails with EOPNOTSUPP; a refusal maps and traces nothing.
 */
TEST_F_TIMEOUT(map_direct, shared_validate, 120)
{
	static const struct {
		const char *name;
		int flags;
	} how[] = {
		{ "MAP_SHARED_VALIDATE | MAP_DIRECT",
		  MAP_SHARED_VALIDATE | MAP_DIRECT },
		{ "MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DIRECT",
		  MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DIRECT },
	};
	char *want = malloc(LEN);
	unsigned int i;
	char *map;
	int fd, err;

	ASSERT_NE(NULL, want);
	fd = make_file(_metadata, self->dir, &self->fd[0], "f", LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(variant->direct, file_dax(fd));

	for (i = 0; i < ARRAY_SIZE(how); i++) {
		TH_LOG("%s", how[i].name);
		ASSERT_EQ(0, trace_start());
		errno = 0;
		map = map_file(&self->map[0], fd, LEN, how[i].flags);
		err = errno;
		/* Neither success nor refusal is a fallback. */
		check_fallbacks(_metadata, fd, false);
		trace_stop();

		if (variant->direct) {
			ASSERT_NE(MAP_FAILED, map) {
				TH_LOG("%s: %s", how[i].name, strerror(err));
			}
			EXPECT_EQ(1, file_mappings(fd));
			EXPECT_EQ(1, vma_dx(map));
			fill(want, LEN, 2 + i);
			ASSERT_EQ(0, guarded_copy(map, want, LEN)) {
				TH_LOG("SIGBUS storing through the mapping");
			}
			ASSERT_EQ(0, msync(map, LEN, MS_SYNC));
			EXPECT_EQ(-1, file_diff(fd, want, LEN));
		} else {
			EXPECT_EQ(MAP_FAILED, map);
			EXPECT_EQ(EOPNOTSUPP, err) {
				TH_LOG("%s: %s", how[i].name, strerror(err));
			}
			EXPECT_EQ(0, file_mappings(fd));
		}
		unmap(&self->map[0]);
	}
	free(want);
}

/*
 * MAP_PRIVATE | MAP_DIRECT maps the file, directly iff it is DAX; stores
 * land in private copies, never in the file.
 */
TEST_F_TIMEOUT(map_direct, private_hint, 120)
{
	char *old = malloc(LEN), *new = malloc(LEN);
	char *map;
	int fd, err;

	ASSERT_NE(NULL, old);
	ASSERT_NE(NULL, new);
	fill(old, LEN, 1);
	fill(new, LEN, 2);
	fd = make_file(_metadata, self->dir, &self->fd[0], "f", LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(variant->direct, file_dax(fd));

	ASSERT_EQ(0, trace_start());
	map = map_file(&self->map[0], fd, LEN, MAP_PRIVATE | MAP_DIRECT);
	err = errno;
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_PRIVATE | MAP_DIRECT): %s", strerror(err));
	}
	check_fallbacks(_metadata, fd, !variant->direct);
	trace_stop();

	EXPECT_EQ(variant->direct, vma_dx(map));
	EXPECT_EQ(-1, map_diff(map, old, LEN));
	ASSERT_EQ(0, guarded_copy(map, new, LEN)) {
		TH_LOG("SIGBUS storing through the mapping");
	}
	EXPECT_EQ(-1, map_diff(map, new, LEN));
	EXPECT_EQ(0, msync(map, LEN, MS_SYNC));
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(-1, file_diff(fd, old, LEN));
	EXPECT_EQ(variant->direct, vma_dx(map));
	free(old);
	free(new);
}

/*
 * Store to every page of a 256 MiB MAP_SHARED | MAP_DIRECT mapping: a
 * direct mapping leaves no page cache, a fallback fills it.
 */
TEST_F_TIMEOUT(map_direct, cachestat, 300)
{
	__u64 min_cached = variant->direct ? 0 : BIG_PAGES * 9 / 10;
	__u64 max_cached = variant->direct ? 0 : BIG_PAGES;
	struct md_cachestat cs;
	char one = 1, *zero, *map;
	size_t off;
	int fd, err;

	fd = make_file(_metadata, self->dir, &self->fd[0], "big", 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(variant->direct, file_dax(fd));
	ASSERT_EQ(0, cachestat(fd, &cs)) {
		TH_LOG("cachestat(2): %s", strerror(errno));
	}

	/* Allocate and write every block: no holes behind the mapping. */
	ASSERT_EQ(0, fallocate(fd, 0, 0, BIG_LEN)) {
		TH_LOG("fallocate: %s", strerror(errno));
	}
	zero = calloc(1, CHUNK);
	ASSERT_NE(NULL, zero);
	for (off = 0; off < BIG_LEN; off += CHUNK)
		ASSERT_EQ(CHUNK, pwrite(fd, zero, CHUNK, off));
	free(zero);
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, cachestat(fd, &cs));
	log_cachestat(_metadata, "before the mapping", &cs);
	ASSERT_GT(BIG_PAGES / 10, cs.nr_cache) {
		TH_LOG("POSIX_FADV_DONTNEED left the page cache in place");
	}

	map = map_file(&self->map[0], fd, BIG_LEN, MAP_SHARED | MAP_DIRECT);
	err = errno;
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED | MAP_DIRECT): %s", strerror(err));
	}
	EXPECT_EQ(variant->direct, vma_dx(map));
	for (off = 0; off < BIG_LEN; off += PAGE)
		if (guarded_copy(map + off, &one, 1))
			break;
	ASSERT_EQ(BIG_LEN, off) {
		TH_LOG("SIGBUS storing at offset %zu", off);
	}

	ASSERT_EQ(0, cachestat(fd, &cs));
	log_cachestat(_metadata, "after the stores", &cs);
	/* Direct: no page cache at all.  Fallback: (nearly) every page. */
	EXPECT_LE(min_cached, cs.nr_cache);
	EXPECT_GE(max_cached, cs.nr_cache);
	/* Nothing was evicted: a DAX file's entries are not shadows. */
	if (variant->direct)
		EXPECT_EQ(0, cs.nr_evicted);
}

/*
 * Clone and deduplicate a file mapped MAP_SHARED | MAP_DIRECT, then store
 * through the mapping.  On XFS both succeed and the store copies the now
 * shared blocks: the file gets the new data at new blocks, the clone keeps
 * the old, and nothing raises SIGBUS.  ext4 cannot share blocks: both
 * fail with EOPNOTSUPP and the mapping works on.
 */
TEST_F_TIMEOUT(map_direct, reflink_cow, 120)
{
	struct file_dedupe_range *d;
	bool xfs = !strcmp(variant->fs, "xfs");
	char *cloned = malloc(CLONE_LEN), *new = malloc(CLONE_LEN);
	long long pa, pb;
	struct stat st;
	int a, b, ret, err;
	char *map;

	ASSERT_NE(NULL, cloned);
	ASSERT_NE(NULL, new);
	fill(cloned, CLONE_LEN, 2);
	fill(new, CLONE_LEN, 3);
	a = make_file(_metadata, self->dir, &self->fd[0], "a", CLONE_LEN, 1);
	ASSERT_LE(0, a);
	ASSERT_EQ(variant->direct, file_dax(a));
	b = make_file(_metadata, self->dir, &self->fd[1], "b", 0, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(variant->direct, file_dax(b));

	map = map_file(&self->map[0], a, CLONE_LEN, MAP_SHARED | MAP_DIRECT);
	err = errno;
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED | MAP_DIRECT): %s", strerror(err));
	}
	EXPECT_EQ(variant->direct, vma_dx(map));
	/* Not written back yet: the clone must still get it. */
	ASSERT_EQ(0, guarded_copy(map, cloned, CLONE_LEN)) {
		TH_LOG("SIGBUS storing through the mapping");
	}

	errno = 0;
	ret = ioctl(b, FICLONE, a);
	err = errno;
	if (xfs) {
		ASSERT_EQ(0, ret) {
			TH_LOG("FICLONE: %s (mkfs.xfs without reflink?)",
			       strerror(err));
		}
		EXPECT_EQ(-1, file_diff(b, cloned, CLONE_LEN));
		pa = dax_physical(a, 0);
		pb = dax_physical(b, 0);
		EXPECT_LE(0, pa);
		EXPECT_EQ(pa, pb) {
			TH_LOG("the clone does not share the blocks");
		}
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EOPNOTSUPP, err) {
			TH_LOG("FICLONE: %s", strerror(err));
		}
	}

	d = calloc(1, sizeof(*d) + sizeof(d->info[0]));
	ASSERT_NE(NULL, d);
	d->src_offset = 0;
	d->src_length = CLONE_LEN;
	d->dest_count = 1;
	d->info[0].dest_fd = b;
	d->info[0].dest_offset = 0;
	errno = 0;
	ret = ioctl(a, FIDEDUPERANGE, d);
	err = errno;
	if (xfs) {
		ASSERT_EQ(0, ret) {
			TH_LOG("FIDEDUPERANGE: %s", strerror(err));
		}
		EXPECT_EQ(FILE_DEDUPE_RANGE_SAME, d->info[0].status);
		EXPECT_EQ((__u64)CLONE_LEN, d->info[0].bytes_deduped);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EOPNOTSUPP, err) {
			TH_LOG("FIDEDUPERANGE: %s", strerror(err));
		}
	}

	/* On XFS the blocks behind the mapping are shared now. */
	EXPECT_EQ(-1, map_diff(map, cloned, CLONE_LEN));
	ASSERT_EQ(0, guarded_copy(map, new, CLONE_LEN)) {
		TH_LOG("SIGBUS storing through the mapping after the clone");
	}
	ASSERT_EQ(0, msync(map, CLONE_LEN, MS_SYNC));
	EXPECT_EQ(-1, file_diff(a, new, CLONE_LEN));
	EXPECT_EQ(-1, map_diff(map, new, CLONE_LEN));
	EXPECT_EQ(variant->direct, vma_dx(map));
	if (xfs) {
		EXPECT_EQ(-1, file_diff(b, cloned, CLONE_LEN));
		pa = dax_physical(a, 0);
		pb = dax_physical(b, 0);
		EXPECT_LE(0, pa);
		EXPECT_LE(0, pb);
		EXPECT_NE(pa, pb) {
			TH_LOG("the store did not copy the shared blocks");
		}
	} else {
		ASSERT_EQ(0, fstat(b, &st));
		EXPECT_EQ(0, st.st_size);
	}
	free(d);
	free(cloned);
	free(new);
}

/*
 * Offset of the first byte of the first @len bytes of the file behind @fd
 * that differs from @want on the device @dev, read at the sectors that the
 * filesystem maps them to, -1 if none does, or -2 if it cannot be read.
 */
static long dev_diff(const char *dev, int fd, const char *want, size_t len)
{
	long long phys;
	long ret = -1;
	size_t off;
	char *buf;
	int dfd;

	if (posix_memalign((void **)&buf, PAGE, PAGE))
		return -2;
	/* O_DIRECT: the page cache of the device may hold stale sectors. */
	dfd = open(dev, O_RDONLY | O_DIRECT);
	if (dfd < 0)
		ret = -2;
	for (off = 0; ret == -1 && off < len; off += PAGE) {
		phys = dax_physical(fd, off);
		if (phys < 0 || pread(dfd, buf, PAGE, phys) != PAGE)
			ret = -2;
		else if (memcmp(buf, want + off, PAGE))
			ret = off + first_diff(buf, want + off, PAGE);
	}
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return ret;
}

/* The virtio-pmem device: DAX without MAP_SYNC, see the top. */
FIXTURE(virtio_pmem) {
	struct dax_mnt m;
	int fd;
	struct mapping map;
};

FIXTURE_VARIANT(virtio_pmem) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(virtio_pmem, xfs) {
	.fs = "xfs",
};

FIXTURE_VARIANT_ADD(virtio_pmem, ext4) {
	.fs = "ext4",
};

FIXTURE_SETUP(virtio_pmem)
{
	const char *why;

	self->fd = -1;
	/* Before the mount: a skip or failure here has no teardown. */
	why = no_map_direct();
	if (why)
		SKIP(return, "%s", why);
	dax_mnt_setup(_metadata, &self->m, variant->fs, "DAX_TEST_PMEM_VIRTIO",
		      "dax=always");
}

FIXTURE_TEARDOWN(virtio_pmem)
{
	trace_stop();
	unmap(&self->map);
	if (self->fd >= 0)
		close(self->fd);
	dax_mnt_teardown(_metadata, &self->m);
}

/*
 * MAP_SHARED_VALIDATE | MAP_DIRECT maps a file on virtio-pmem directly,
 * though MAP_SYNC cannot: "dx", no fallback traced, stores reach the file
 * and the device, and nothing of the file is in the page cache.
 */
TEST_F_TIMEOUT(virtio_pmem, validate_direct, 120)
{
	char *want = malloc(LEN);
	struct md_cachestat cs;
	char *map;
	int fd, err;

	ASSERT_NE(NULL, want);
	fd = make_file(_metadata, self->m.dir, &self->fd, "f", LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, file_dax(fd));

	ASSERT_EQ(0, trace_start());
	errno = 0;
	map = map_file(&self->map, fd, LEN, MAP_SHARED_VALIDATE | MAP_DIRECT);
	err = errno;
	check_fallbacks(_metadata, fd, false);
	trace_stop();
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED_VALIDATE | MAP_DIRECT): %s",
		       strerror(err));
	}
	EXPECT_EQ(1, file_mappings(fd));
	EXPECT_EQ(1, vma_dx(map));
	fill(want, LEN, 1);
	EXPECT_EQ(-1, map_diff(map, want, LEN));

	fill(want, LEN, 2);
	ASSERT_EQ(0, guarded_copy(map, want, LEN)) {
		TH_LOG("SIGBUS storing through the mapping");
	}
	/* Before msync: the stores are on the device, not in a page cache. */
	EXPECT_EQ(-1, dev_diff(self->m.dev, fd, want, LEN));
	ASSERT_EQ(0, msync(map, LEN, MS_SYNC));
	EXPECT_EQ(-1, file_diff(fd, want, LEN));

	ASSERT_EQ(0, cachestat(fd, &cs)) {
		TH_LOG("cachestat(2): %s", strerror(errno));
	}
	EXPECT_EQ(0, cs.nr_cache) {
		TH_LOG("%llu of %d pages cached, %llu dirty",
		       (unsigned long long)cs.nr_cache, LEN / PAGE,
		       (unsigned long long)cs.nr_dirty);
	}
	EXPECT_EQ(0, cs.nr_dirty);
	free(want);
}

/*
 * virtio-pmem is not synchronous: MAP_SHARED_VALIDATE | MAP_SYNC fails with
 * EOPNOTSUPP, with MAP_DIRECT added as well (MAP_DIRECT does not lift what
 * MAP_SYNC needs), and a refusal maps and traces nothing.  The same file
 * maps with MAP_SHARED_VALIDATE | MAP_DIRECT: only MAP_DIRECT tells whether
 * the page cache fronts a mapping.
 */
TEST_F_TIMEOUT(virtio_pmem, sync_refused, 120)
{
	static const struct {
		const char *name;
		int flags;
	} how[] = {
		{ "MAP_SHARED_VALIDATE | MAP_SYNC",
		  MAP_SHARED_VALIDATE | MAP_SYNC },
		{ "MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DIRECT",
		  MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DIRECT },
	};
	unsigned int i;
	char *map;
	int fd, err;

	fd = make_file(_metadata, self->m.dir, &self->fd, "f", LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, file_dax(fd));

	for (i = 0; i < ARRAY_SIZE(how); i++) {
		TH_LOG("%s", how[i].name);
		ASSERT_EQ(0, trace_start());
		errno = 0;
		map = map_file(&self->map, fd, LEN, how[i].flags);
		err = errno;
		check_fallbacks(_metadata, fd, false);
		trace_stop();
		EXPECT_EQ(MAP_FAILED, map);
		EXPECT_EQ(EOPNOTSUPP, err) {
			TH_LOG("%s: %s", how[i].name, strerror(err));
		}
		EXPECT_EQ(0, file_mappings(fd));
		unmap(&self->map);
	}

	errno = 0;
	map = map_file(&self->map, fd, LEN, MAP_SHARED_VALIDATE | MAP_DIRECT);
	err = errno;
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED_VALIDATE | MAP_DIRECT): %s",
		       strerror(err));
	}
	EXPECT_EQ(1, file_mappings(fd));
	EXPECT_EQ(1, vma_dx(map));
}

/*
 * shmem cannot map directly: MAP_SHARED | MAP_DIRECT on a memfd falls back
 * with reason=fs, MAP_SHARED_VALIDATE | MAP_DIRECT fails.  Needs no pmem.
 */
TEST(memfd_reason_fs)
{
	const char *why = no_map_direct();
	struct fallbacks fb;
	int fd, ret, err, verr;
	char *map, *vmap;
	struct stat st;

	if (why)
		SKIP(return, "%s", why);
	fd = memfd_create("map_direct_test", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, LEN));
	ASSERT_EQ(0, fstat(fd, &st));

	ASSERT_EQ(0, trace_start());
	map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_DIRECT,
		   fd, 0);
	err = errno;
	errno = 0;
	vmap = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		    MAP_SHARED_VALIDATE | MAP_DIRECT, fd, 0);
	verr = errno;
	ret = count_fallbacks(&st, &fb);
	trace_stop();

	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap(MAP_SHARED | MAP_DIRECT): %s", strerror(err));
	}
	EXPECT_EQ(0, vma_dx(map));
	EXPECT_EQ(MAP_FAILED, vmap);
	EXPECT_EQ(EOPNOTSUPP, verr);
	ASSERT_EQ(0, ret);
	EXPECT_LE(1, fb.fs);
	EXPECT_EQ(0, fb.inode);
	EXPECT_EQ(0, fb.garbled);
	EXPECT_EQ(0, munmap(map, LEN));
	close(fd);
}

TEST_HARNESS_MAIN
