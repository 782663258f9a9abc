// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#define __SANE_USERSPACE_TYPES__ // Use ll64

#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <mntent.h>
#include <linux/kernel.h>
#include <linux/magic.h>
#include <linux/mman.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <string.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>

#include "kselftest.h"

#define NR_TESTS	12

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX	0x00200000
#endif

/* DAX files: each page stored to through a shared mapping */
#define DAX_FILE_SIZE	(16 << 20)
#define NOBODY		65534
#define DAX_CASE	"cachestat on a DAX file"
#define DAX_CASE_NOBODY	DAX_CASE " as uid 65534"

static const char * const dev_files[] = {
	"/dev/zero", "/dev/null", "/dev/urandom",
	"/proc/version", "/proc"
};

void print_cachestat(struct cachestat *cs)
{
	ksft_print_msg(
	"Using cachestat: Cached: %llu, Dirty: %llu, Writeback: %llu, Evicted: %llu, Recently Evicted: %llu\n",
	cs->nr_cache, cs->nr_dirty, cs->nr_writeback,
	cs->nr_evicted, cs->nr_recently_evicted);
}

enum file_type {
	FILE_MMAP,
	FILE_SHMEM
};

bool write_exactly(int fd, size_t filesize)
{
	int random_fd = open("/dev/urandom", O_RDONLY);
	char *cursor, *data;
	int remained;
	bool ret;

	if (random_fd < 0) {
		ksft_print_msg("Unable to access urandom.\n");
		ret = false;
		goto out;
	}

	data = malloc(filesize);
	if (!data) {
		ksft_print_msg("Unable to allocate data.\n");
		ret = false;
		goto close_random_fd;
	}

	remained = filesize;
	cursor = data;

	while (remained) {
		ssize_t read_len = read(random_fd, cursor, remained);

		if (read_len <= 0) {
			ksft_print_msg("Unable to read from urandom.\n");
			ret = false;
			goto out_free_data;
		}

		remained -= read_len;
		cursor += read_len;
	}

	/* write random data to fd */
	remained = filesize;
	cursor = data;
	while (remained) {
		ssize_t write_len = write(fd, cursor, remained);

		if (write_len <= 0) {
			ksft_print_msg("Unable write random data to file.\n");
			ret = false;
			goto out_free_data;
		}

		remained -= write_len;
		cursor += write_len;
	}

	ret = true;
out_free_data:
	free(data);
close_random_fd:
	close(random_fd);
out:
	return ret;
}

/*
 * fsync() is implemented via noop_fsync() on tmpfs. This makes the fsync()
 * test fail below, so we need to check for test file living on a tmpfs.
 */
static bool is_on_tmpfs(int fd)
{
	struct statfs statfs_buf;

	if (fstatfs(fd, &statfs_buf))
		return false;

	return statfs_buf.f_type == TMPFS_MAGIC;
}

/*
 * Open/create the file at filename, (optionally) write random data to it
 * (exactly num_pages), then test the cachestat syscall on this file.
 *
 * If test_fsync == true, fsync the file, then check the number of dirty
 * pages.
 */
static int test_cachestat(const char *filename, bool write_random, bool create,
			  bool test_fsync, unsigned long num_pages,
			  int open_flags, mode_t open_mode)
{
	size_t PS = sysconf(_SC_PAGESIZE);
	int filesize = num_pages * PS;
	int ret = KSFT_PASS;
	long syscall_ret;
	struct cachestat cs;
	struct cachestat_range cs_range = { 0, filesize };

	int fd = open(filename, open_flags, open_mode);

	if (fd == -1) {
		ksft_print_msg("Unable to create/open file.\n");
		ret = KSFT_FAIL;
		goto out;
	} else {
		ksft_print_msg("Create/open %s\n", filename);
	}

	if (write_random) {
		if (!write_exactly(fd, filesize)) {
			ksft_print_msg("Unable to access urandom.\n");
			ret = KSFT_FAIL;
			goto out1;
		}
	}

	syscall_ret = syscall(__NR_cachestat, fd, &cs_range, &cs, 0);

	ksft_print_msg("Cachestat call returned %ld\n", syscall_ret);

	if (syscall_ret) {
		ksft_print_msg("Cachestat returned non-zero.\n");
		ret = KSFT_FAIL;
		goto out1;

	} else {
		print_cachestat(&cs);

		if (write_random) {
			if (cs.nr_cache + cs.nr_evicted != num_pages) {
				ksft_print_msg(
					"Total number of cached and evicted pages is off.\n");
				ret = KSFT_FAIL;
			}
		}
	}

	if (test_fsync) {
		if (is_on_tmpfs(fd)) {
			ret = KSFT_SKIP;
		} else if (fsync(fd)) {
			ksft_print_msg("fsync fails.\n");
			ret = KSFT_FAIL;
		} else {
			syscall_ret = syscall(__NR_cachestat, fd, &cs_range, &cs, 0);

			ksft_print_msg("Cachestat call (after fsync) returned %ld\n",
				syscall_ret);

			if (!syscall_ret) {
				print_cachestat(&cs);

				if (cs.nr_dirty) {
					ret = KSFT_FAIL;
					ksft_print_msg(
						"Number of dirty should be zero after fsync.\n");
				}
			} else {
				ksft_print_msg("Cachestat (after fsync) returned non-zero.\n");
				ret = KSFT_FAIL;
				goto out1;
			}
		}
	}

out1:
	close(fd);

	if (create)
		remove(filename);
out:
	return ret;
}
const char *file_type_str(enum file_type type)
{
	switch (type) {
	case FILE_SHMEM:
		return "shmem";
	case FILE_MMAP:
		return "mmap";
	default:
		return "unknown";
	}
}


bool run_cachestat_test(enum file_type type)
{
	size_t PS = sysconf(_SC_PAGESIZE);
	size_t filesize = PS * 512 * 2; /* 2 2MB huge pages */
	int syscall_ret;
	size_t compute_len = PS * 512;
	struct cachestat_range cs_range = { PS, compute_len };
	char *filename = "tmpshmcstat", *map;
	struct cachestat cs;
	bool ret = true;
	int fd;
	unsigned long num_pages = compute_len / PS;
	if (type == FILE_SHMEM)
		fd = shm_open(filename, O_CREAT | O_RDWR, 0600);
	else
		fd = open(filename, O_RDWR | O_CREAT | O_TRUNC, 0666);

	if (fd < 0) {
		ksft_print_msg("Unable to create %s file.\n",
				file_type_str(type));
		ret = false;
		goto out;
	}

	if (ftruncate(fd, filesize)) {
		ksft_print_msg("Unable to truncate %s file.\n",file_type_str(type));
		ret = false;
		goto close_fd;
	}
	switch (type) {
	case FILE_SHMEM:
		if (!write_exactly(fd, filesize)) {
			ksft_print_msg("Unable to write to file.\n");
			ret = false;
			goto close_fd;
		}
		break;
	case FILE_MMAP:
		map = mmap(NULL, filesize, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);

		if (map == MAP_FAILED) {
			ksft_print_msg("mmap failed.\n");
			ret = false;
			goto close_fd;
		}
		for (int i = 0; i < filesize; i++)
			map[i] = 'A';
		break;
	default:
		ksft_print_msg("Unsupported file type.\n");
		ret = false;
		goto close_fd;
	}
	syscall_ret = syscall(__NR_cachestat, fd, &cs_range, &cs, 0);

	if (syscall_ret) {
		ksft_print_msg("Cachestat returned non-zero.\n");
		ret = false;
		goto close_fd;
	} else {
		print_cachestat(&cs);
		if (cs.nr_cache + cs.nr_evicted != num_pages) {
			ksft_print_msg(
				"Total number of cached and evicted pages is off.\n");
			ret = false;
		}
	}

close_fd:
	shm_unlink(filename);
out:
	return ret;
}

/*
 * Create @path, check that it is a DAX file, store one byte to each of its
 * pages through a shared mapping, and check what cachestat(2) reports: a
 * DAX file has no page cache, so every counter must be 0.  The value
 * entries of a DAX file's i_pages are DAX entries, not shadows of evicted
 * pages: taken for shadows they are miscounted as evicted pages, and on
 * kernels with NUMA, memory cgroups and the multi-gen LRU their decoded
 * node ids have oopsed the kernel.
 */
static int cachestat_dax_file(const char *path)
{
	size_t ps = sysconf(_SC_PAGESIZE), size = DAX_FILE_SIZE;
	struct cachestat_range range = { 0, 0 };	/* to the end of file */
	struct cachestat cs;
	int ret = KSFT_FAIL;
	struct statx stx;
	char *map;
	size_t i;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		int err = errno;

		ksft_print_msg("%s: %s\n", path, strerror(err));
		return err == EACCES || err == EROFS ? KSFT_SKIP : KSFT_FAIL;
	}
	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx)) {
		ksft_print_msg("statx: %s\n", strerror(errno));
		goto out;
	}
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX)) {
		ksft_print_msg("the kernel does not report STATX_ATTR_DAX\n");
		ret = KSFT_SKIP;
		goto out;
	}
	if (!(stx.stx_attributes & STATX_ATTR_DAX)) {
		ksft_print_msg("%s is not a DAX file\n", path);
		ret = KSFT_SKIP;
		goto out;
	}
	/* allocated, so that no store below can fail with SIGBUS */
	if (fallocate(fd, 0, 0, size) &&
	    (errno != EOPNOTSUPP || ftruncate(fd, size))) {
		ksft_print_msg("fallocate: %s\n", strerror(errno));
		goto out;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ksft_print_msg("mmap: %s\n", strerror(errno));
		goto out;
	}
	for (i = 0; i < size; i += ps)
		map[i] = 'A';

	if (syscall(__NR_cachestat, fd, &range, &cs, 0)) {
		ksft_print_msg("cachestat: %s\n", strerror(errno));
		goto unmap;
	}
	print_cachestat(&cs);
	if (cs.nr_cache || cs.nr_dirty || cs.nr_writeback || cs.nr_evicted ||
	    cs.nr_recently_evicted)
		ksft_print_msg("a DAX file has no page cache: all counters must be 0\n");
	else
		ret = KSFT_PASS;
unmap:
	munmap(map, size);
out:
	close(fd);
	unlink(path);
	return ret;
}

/* Is the mount option @opt, exactly, among the options @opts? */
static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p;

	for (p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, opt, n) && (p[n] == ',' || !p[n]))
			return true;
	}
	return false;
}

/*
 * A directory in which new files are DAX files: $CACHESTAT_DAX_DIR, or the
 * first read-write mount point whose options ask for DAX on every file.
 */
static bool find_dax_dir(char *dir, size_t len)
{
	const char *env = getenv("CACHESTAT_DAX_DIR");
	struct mntent *m;
	bool found = false;
	FILE *f;

	if (env) {
		snprintf(dir, len, "%s", env);
		return true;
	}
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return false;
	while (!found && (m = getmntent(f))) {
		if (has_opt(m->mnt_opts, "ro"))
			continue;
		if (has_opt(m->mnt_opts, "dax") ||
		    has_opt(m->mnt_opts, "dax=always")) {
			snprintf(dir, len, "%s", m->mnt_dir);
			found = true;
		}
	}
	endmntent(f);
	return found;
}

/*
 * Run cachestat_dax_file(@path) in a child, as @uid unless it is -1, so
 * that a signal (a SIGBUS from the mapping, or the kernel killing the task
 * after an oops) is reported as a failure of this case.
 */
static int cachestat_dax_child(const char *path, uid_t uid)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	if (pid == 0) {
		int ret = KSFT_FAIL;

		if (uid != (uid_t)-1 &&
		    (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
			/* no such uid in this user namespace */
			ret = errno == EINVAL ? KSFT_SKIP : KSFT_FAIL;
			ksft_print_msg("setuid: %s\n", strerror(errno));
		} else {
			ret = cachestat_dax_file(path);
		}
		fflush(stdout);
		_exit(ret);
	}
	while (waitpid(pid, &status, 0) != pid) {
		if (errno != EINTR) {
			ksft_print_msg("waitpid: %s\n", strerror(errno));
			return KSFT_FAIL;
		}
	}
	if (WIFSIGNALED(status)) {
		ksft_print_msg("killed by signal %d (a kernel oops?)\n",
			       WTERMSIG(status));
		unlink(path);
		return KSFT_FAIL;
	}
	return WEXITSTATUS(status);
}

static void report(int result, const char *what, int *ret)
{
	switch (result) {
	case KSFT_PASS:
		ksft_test_result_pass("%s\n", what);
		break;
	case KSFT_SKIP:
		ksft_test_result_skip("%s (the messages above say why)\n", what);
		break;
	default:
		ksft_test_result_fail("%s\n", what);
		*ret = 1;
	}
}

/*
 * The DAX cases, the one as an unprivileged user (uid 65534, in a
 * world-writable directory of the DAX mount) first: any user who can write
 * a file on a DAX filesystem can make that call.
 */
static void test_cachestat_dax(int *ret)
{
	char dir[PATH_MAX], sub[PATH_MAX + 32], path[PATH_MAX + 64];

	if (!find_dax_dir(dir, sizeof(dir))) {
		ksft_test_result_skip("%s: no DAX mount (set CACHESTAT_DAX_DIR)\n",
				      DAX_CASE_NOBODY);
		ksft_test_result_skip("%s: no DAX mount (set CACHESTAT_DAX_DIR)\n",
				      DAX_CASE);
		return;
	}
	ksft_print_msg("DAX directory: %s\n", dir);

	snprintf(sub, sizeof(sub), "%s/cachestat-nobody.%d", dir, getpid());
	snprintf(path, sizeof(path), "%s/file", sub);
	if (geteuid() != 0) {
		ksft_test_result_skip("%s: needs root to switch users\n",
				      DAX_CASE_NOBODY);
	} else if (mkdir(sub, 0777)) {
		int err = errno;

		ksft_print_msg("%s: %s\n", sub, strerror(err));
		report(err == EROFS ? KSFT_SKIP : KSFT_FAIL, DAX_CASE_NOBODY,
		       ret);
	} else {
		int result = KSFT_FAIL;

		if (chmod(sub, 01777))
			ksft_print_msg("%s: %s\n", sub, strerror(errno));
		else
			result = cachestat_dax_child(path, NOBODY);
		if (rmdir(sub)) {
			ksft_print_msg("rmdir %s: %s\n", sub, strerror(errno));
			result = KSFT_FAIL;
		}
		report(result, DAX_CASE_NOBODY, ret);
	}

	snprintf(path, sizeof(path), "%s/cachestat-dax.%d", dir, getpid());
	report(cachestat_dax_child(path, -1), DAX_CASE, ret);
}

int main(void)
{
	int ret;

	ksft_print_header();

	ret = syscall(__NR_cachestat, -1, NULL, NULL, 0);
	if (ret == -1 && errno == ENOSYS)
		ksft_exit_skip("cachestat syscall not available\n");

	ksft_set_plan(NR_TESTS);

	if (ret == -1 && errno == EBADF) {
		ksft_test_result_pass("bad file descriptor recognized\n");
		ret = 0;
	} else {
		ksft_test_result_fail("bad file descriptor ignored\n");
		ret = 1;
	}

	for (int i = 0; i < 5; i++) {
		const char *dev_filename = dev_files[i];

		if (test_cachestat(dev_filename, false, false, false,
			4, O_RDONLY, 0400) == KSFT_PASS)
			ksft_test_result_pass("cachestat works with %s\n", dev_filename);
		else {
			ksft_test_result_fail("cachestat fails with %s\n", dev_filename);
			ret = 1;
		}
	}

	if (test_cachestat("tmpfilecachestat", true, true,
		false, 4, O_CREAT | O_RDWR, 0600) == KSFT_PASS)
		ksft_test_result_pass("cachestat works with a normal file\n");
	else {
		ksft_test_result_fail("cachestat fails with normal file\n");
		ret = 1;
	}

	switch (test_cachestat("tmpfilecachestat", true, true,
		true, 4, O_CREAT | O_RDWR, 0600)) {
	case KSFT_FAIL:
		ksft_test_result_fail("cachestat fsync fails with normal file\n");
		ret = KSFT_FAIL;
		break;
	case KSFT_PASS:
		ksft_test_result_pass("cachestat fsync works with a normal file\n");
		break;
	case KSFT_SKIP:
		ksft_test_result_skip("tmpfilecachestat is on tmpfs\n");
		break;
	}

	if (run_cachestat_test(FILE_SHMEM))
		ksft_test_result_pass("cachestat works with a shmem file\n");
	else {
		ksft_test_result_fail("cachestat fails with a shmem file\n");
		ret = 1;
	}

	if (run_cachestat_test(FILE_MMAP))
		ksft_test_result_pass("cachestat works with a mmap file\n");
	else {
		ksft_test_result_fail("cachestat fails with a mmap file\n");
		ret = 1;
	}

	test_cachestat_dax(&ret);
	return ret;
}
