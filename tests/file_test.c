// SPDX-License-Identifier: GPL-2.0
/*
 * Registered files (PEL_IOC_REGISTER_FILES, PEL_SQE_FILE): CRC32C, SHA256,
 * COPY, COPY_CRC32C and COMPARE of file ranges against references computed
 * over pread() (pel_ref_crc32c(), pel_ref_sha256()), at offsets and sizes
 * around pages and the split threshold; ranges past and at EOF; a sparse
 * file (holes are not in the page cache: the slow path reads them); a file
 * truncated and extended while ops run; registration errors; unregister and
 * close with ops in flight; PEL_MAX_FILES slots; fdinfo.  On tmpfs, and,
 * with PEL_TEST_EXT4_DIR set, on ext4 with the page cache dropped first.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define MIB		(1024 * 1024)
#define FSIZE		(9 * MIB + 777)		/* the test file */
#define TMPFS_MAGIC_	0x01021994
#define WAIT_NS		(60ULL * 1000000000ULL)

static const uint64_t offs[] = { 0, 1, 4095, 4096, 12345 };
static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, MIB, 8 * MIB };

/* A directory on tmpfs: /tmp if it is one, else a tmpfs mounted for us. */
static const char *tmpfs_dir(void)
{
	static char dir[64];
	struct statfs st;

	if (dir[0])
		return dir;
	if (!statfs("/tmp", &st) && st.f_type == TMPFS_MAGIC_) {
		strcpy(dir, "/tmp");
		return dir;
	}
	strcpy(dir, "/run/pel-file-test");
	mkdir(dir, 0700);
	if (statfs(dir, &st) || st.f_type != TMPFS_MAGIC_)
		if (system("mount -t tmpfs none /run/pel-file-test"))
			return NULL;
	return dir;
}

/* A new file of @size pattern bytes in @dir; its path in @path; an O_RDWR fd. */
static int make_file(const char *dir, size_t size, uint32_t seed, char *path,
		     size_t pathlen)
{
	size_t chunk = MIB, done;
	uint8_t *buf = malloc(chunk);
	int fd;

	if (!buf)
		return -1;
	snprintf(path, pathlen, "%s/pel-file-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	for (done = 0; done < size; done += chunk) {
		size_t n = size - done < chunk ? size - done : chunk;

		pel_test_pattern(buf, n, seed + (uint32_t)(done / chunk));
		if (pwrite(fd, buf, n, (off_t)done) != (ssize_t)n) {
			close(fd);
			free(buf);
			return -1;
		}
	}
	free(buf);
	return fd;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3\n", 2) < 0)
			perror("drop_caches");
		close(fd);
	}
}

/* Bytes of [off, off + len) a file of @fsize has. */
static uint64_t in_file(uint64_t fsize, uint64_t off, uint64_t len)
{
	if (off >= fsize)
		return 0;
	return len < fsize - off ? len : fsize - off;
}

/* pread() the whole of n bytes at off into buf. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* Run one SQE made by the caller in tmpl; its CQE comes back in *cqe. */
static void run(struct __test_metadata *_metadata, struct lpel_ring *ring,
		const struct pel_sqe *tmpl, struct pel_cqe *cqe, const char *what)
{
	pel_test_run_sqe(_metadata, ring, tmpl, cqe, what);
	ASSERT_EQ(0, cqe->flags) TH_LOG("%s: flags", what);
	ASSERT_EQ(0, cqe->resv) TH_LOG("%s: resv", what);
}

/*
 * Every op over [off, off + len) of file slot idx (its fd: fd, its size:
 * fsize) against the references over pread().
 */
static void check_range(struct __test_metadata *_metadata,
			struct lpel_ring *ring, int fd, unsigned int idx,
			uint64_t fsize, uint64_t off, uint64_t len,
			const char *where)
{
	uint64_t n = in_file(fsize, off, len);
	uint8_t *ref = malloc(n + 1), *dst = malloc(len + 64);
	uint8_t want[32], got[32];
	struct pel_sqe t;
	struct pel_cqe cqe;
	char what[160];
	uint32_t crc;

	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, pread_all(fd, ref, n, off));
	snprintf(what, sizeof(what), "%s off %llu len %llu", where,
		 (unsigned long long)off, (unsigned long long)len);

	memset(&t, 0, sizeof(t));
	lpel_prep_file_crc32c(&t, idx, off, len, 0x1234);
	run(_metadata, ring, &t, &cqe, what);
	ASSERT_EQ((int)n, cqe.res) TH_LOG("%s: crc32c res", what);
	ASSERT_EQ(pel_ref_crc32c(0x1234, ref, n), cqe.result)
		TH_LOG("%s: crc32c", what);

	memset(&t, 0, sizeof(t));
	memset(got, 0, sizeof(got));
	lpel_prep_file_sha256(&t, got, idx, off, len);
	run(_metadata, ring, &t, &cqe, what);
	ASSERT_EQ((int)n, cqe.res) TH_LOG("%s: sha256 res", what);
	ASSERT_EQ(0, cqe.result) TH_LOG("%s: sha256 result", what);
	pel_ref_sha256(ref, n, want);
	ASSERT_EQ(0, memcmp(want, got, 32)) TH_LOG("%s: sha256", what);

	memset(&t, 0, sizeof(t));
	memset(dst, 0xee, len + 64);
	lpel_prep_file_copy(&t, dst, idx, off, len);
	run(_metadata, ring, &t, &cqe, what);
	ASSERT_EQ((int)n, cqe.res) TH_LOG("%s: copy res", what);
	ASSERT_EQ(n, cqe.result) TH_LOG("%s: copy result", what);
	ASSERT_EQ(0, memcmp(dst, ref, n)) TH_LOG("%s: copy bytes", what);
	/* Nothing written past the bytes the file had. */
	ASSERT_EQ(len + 64 - n, pel_test_first_not(dst + n, 0xee, len + 64 - n))
		TH_LOG("%s: copy wrote past EOF", what);

	memset(&t, 0, sizeof(t));
	memset(dst, 0xee, len + 64);
	lpel_prep_file_copy_crc32c(&t, dst, idx, off, len, 7);
	run(_metadata, ring, &t, &cqe, what);
	ASSERT_EQ((int)n, cqe.res) TH_LOG("%s: copy_crc32c res", what);
	crc = pel_ref_crc32c(7, ref, n);
	ASSERT_EQ(crc, cqe.result) TH_LOG("%s: copy_crc32c crc", what);
	ASSERT_EQ(0, memcmp(dst, ref, n)) TH_LOG("%s: copy_crc32c bytes", what);

	/*
	 * COMPARE: equal over the bytes the file has; a file that ends inside
	 * the range differs where it ends (cmp's "EOF on").
	 */
	memset(&t, 0, sizeof(t));
	memcpy(dst, ref, n);
	lpel_prep_file_compare(&t, dst, idx, off, len);
	run(_metadata, ring, &t, &cqe, what);
	ASSERT_EQ(n < len, cqe.res) TH_LOG("%s: compare equal", what);
	ASSERT_EQ(n < len ? n : 0, cqe.result) TH_LOG("%s: compare equal result", what);
	if (n) {
		uint64_t d = n / 2 + (n > 2);

		if (d >= n)
			d = n - 1;
		dst[d] ^= 0x40;
		run(_metadata, ring, &t, &cqe, what);
		ASSERT_EQ(1, cqe.res) TH_LOG("%s: compare differ", what);
		ASSERT_EQ(d, cqe.result) TH_LOG("%s: compare offset", what);
	}
	free(ref);
	free(dst);
}

/* Every offset and size of the lists over slot idx. */
static void check_all(struct __test_metadata *_metadata,
		      struct lpel_ring *ring, int fd, unsigned int idx,
		      uint64_t fsize, const char *where, bool cold)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			if (cold)
				drop_caches();
			check_range(_metadata, ring, fd, idx, fsize, offs[i],
				    sizes[j], where);
			if (_metadata->exit_code)
				return;
		}
}

PEL_TEST_RING_FIXTURE(64)

static int reg1(struct lpel_ring *ring, int fd)
{
	int res = 0, ret = lpel_register_files(ring, &fd, 1, &res);

	return ret < 0 ? ret : res ? res : ret == 1 ? 0 : -EPROTO;
}

TEST_F_TIMEOUT(ring, tmpfs_ranges, 300)
{
	char path[128];
	const char *dir = tmpfs_dir();
	int fd;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, FSIZE, 11, path, sizeof(path));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, reg1(&self->ring, fd));
	check_all(_metadata, &self->ring, fd, 0, FSIZE, "tmpfs", false);
	/* Around EOF: short, at, past. */
	check_range(_metadata, &self->ring, fd, 0, FSIZE, FSIZE - 5, 4096, "eof");
	check_range(_metadata, &self->ring, fd, 0, FSIZE, FSIZE - 3 * MIB, 8 * MIB, "eof");
	check_range(_metadata, &self->ring, fd, 0, FSIZE, FSIZE, 100, "at eof");
	check_range(_metadata, &self->ring, fd, 0, FSIZE, FSIZE + 4096, 5 * MIB, "past eof");
	check_range(_metadata, &self->ring, fd, 0, FSIZE, 1ULL << 40, 4096, "far past eof");
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	unlink(path);
	close(fd);
}

/* Holes of a sparse file are no page cache: they come through kernel_read(). */
TEST_F_TIMEOUT(ring, sparse_file, 120)
{
	char path[128];
	const char *dir = tmpfs_dir();
	uint64_t size = 6 * MIB + 99;
	int fd;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, MIB, 5, path, sizeof(path));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, (off_t)(size - 4096)));
	do {
		uint8_t tail[4096];

		pel_test_pattern(tail, sizeof(tail), 6);
		ASSERT_EQ(4096, pwrite(fd, tail, 4096, (off_t)(size - 4096)));
	} while (0);
	ASSERT_EQ(0, reg1(&self->ring, fd));
	check_range(_metadata, &self->ring, fd, 0, size, 0, size, "sparse");
	check_range(_metadata, &self->ring, fd, 0, size, MIB - 7, 3 * MIB, "sparse");
	check_range(_metadata, &self->ring, fd, 0, size, 2 * MIB + 1, 8 * MIB, "sparse");
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	unlink(path);
	close(fd);
}

TEST_F_TIMEOUT(ring, ext4_cold, 600)
{
	const char *dir = getenv("PEL_TEST_EXT4_DIR");
	char path[256];
	int fd;

	if (!dir || !*dir)
		SKIP(return, "PEL_TEST_EXT4_DIR is not set: no ext4 run");
	fd = make_file(dir, FSIZE, 23, path, sizeof(path));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, reg1(&self->ring, fd));
	check_all(_metadata, &self->ring, fd, 0, FSIZE, "ext4 cold", true);
	check_all(_metadata, &self->ring, fd, 0, FSIZE, "ext4 warm", false);
	drop_caches();
	check_range(_metadata, &self->ring, fd, 0, FSIZE, FSIZE - 5, 8 * MIB, "ext4 eof");
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	unlink(path);
	close(fd);
}

/*
 * 64 MiB ranges: the whole file and one at an odd offset that runs past
 * EOF, every op against the pread() reference; on tmpfs, and from a cold
 * cache on ext4 when the VM has the disk.
 */
TEST_F_TIMEOUT(ring, range_64m, 600)
{
	const char *dirs[2] = { tmpfs_dir(), getenv("PEL_TEST_EXT4_DIR") };
	uint64_t size = 64 * MIB + 4097;
	char path[256];
	unsigned int i;
	int fd;

	for (i = 0; i < 2; i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		fd = make_file(dirs[i], size, 31 + i, path, sizeof(path));
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fsync(fd));
		ASSERT_EQ(0, reg1(&self->ring, fd));
		if (i)
			drop_caches();
		check_range(_metadata, &self->ring, fd, 0, size, 0, 64 * MIB,
			    i ? "ext4 64 MiB" : "tmpfs 64 MiB");
		check_range(_metadata, &self->ring, fd, 0, size, 4099, 64 * MIB,
			    i ? "ext4 64 MiB past eof" : "tmpfs 64 MiB past eof");
		ASSERT_EQ(0, lpel_unregister_files(&self->ring));
		unlink(path);
		close(fd);
	}
}

/* Wait for n CQEs; each user_data in [1, n] once; res into res[ud - 1]. */
static void reap(struct __test_metadata *_metadata, struct lpel_ring *ring,
		 unsigned int n, int *res, uint64_t *result)
{
	struct pel_cqe *cqe;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = lpel_wait_cqe_timeout(ring, &cqe, WAIT_NS);
		ASSERT_EQ(0, ret) TH_LOG("cqe %u of %u: %s", i, n, strerror(-ret));
		ASSERT_LE(1, cqe->user_data);
		ASSERT_GE(n, cqe->user_data);
		ASSERT_EQ(INT32_MIN, res[cqe->user_data - 1])
			TH_LOG("user_data %llu twice", (unsigned long long)cqe->user_data);
		res[cqe->user_data - 1] = cqe->res;
		if (result)
			result[cqe->user_data - 1] = cqe->result;
		lpel_cqe_seen(ring, cqe);
	}
}

/*
 * The file is truncated and extended again while CRCs and COPYs of it run:
 * each ends with res in [0, len], and a COPY's bytes are the pattern or
 * the zeros of an extension, never anything else.
 */
TEST_F_TIMEOUT(ring, truncate_while_running, 300)
{
	enum { NR = 24, LEN = 4 * MIB };
	const char *dir = tmpfs_dir();
	char path[128];
	uint8_t *ref, *dst[NR];
	int res[NR], fd, round;
	uint64_t result[NR];
	pid_t pid;
	unsigned int i;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, LEN, 77, path, sizeof(path));
	ASSERT_LE(0, fd);
	ref = malloc(LEN);
	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, pread_all(fd, ref, LEN, 0));
	for (i = 0; i < NR; i++) {
		dst[i] = malloc(LEN);
		ASSERT_NE(NULL, dst[i]);
	}
	ASSERT_EQ(0, reg1(&self->ring, fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Shrink and grow (zeros), then put the pattern back. */
		for (round = 0; round < 200; round++) {
			if (ftruncate(fd, (off_t)((round * 40503) % LEN)) ||
			    ftruncate(fd, LEN) ||
			    pwrite(fd, ref, LEN, 0) != LEN)
				_exit(1);
		}
		_exit(0);
	}
	for (round = 0; round < 4; round++) {
		for (i = 0; i < NR; i++) {
			struct pel_sqe *sqe = lpel_get_sqe(&self->ring);

			ASSERT_NE(NULL, sqe);
			memset(dst[i], 0xee, LEN);
			if (i % 3 == 0)
				lpel_prep_file_crc32c(sqe, 0, 0, LEN, 0);
			else if (i % 3 == 1)
				lpel_prep_file_copy(sqe, dst[i], 0, i * 4099, LEN);
			else
				lpel_prep_file_copy_crc32c(sqe, dst[i], 0, 0, LEN, 0);
			lpel_sqe_set_data(sqe, i + 1);
			res[i] = INT32_MIN;
		}
		ASSERT_LE(0, lpel_submit(&self->ring));
		reap(_metadata, &self->ring, NR, res, result);
		for (i = 0; i < NR; i++) {
			uint64_t off = i % 3 == 1 ? i * 4099 : 0, k;

			ASSERT_LE(0, res[i]) TH_LOG("op %u: res %d", i, res[i]);
			ASSERT_GE(LEN - off, (uint64_t)res[i]) TH_LOG("op %u", i);
			if (i % 3 == 0)
				continue;
			/* Each byte: the file's, or an extension's zero. */
			for (k = 0; k < (uint64_t)res[i]; k++)
				if (dst[i][k] != ref[off + k] && dst[i][k])
					break;
			ASSERT_EQ((uint64_t)res[i], k) TH_LOG("op %u byte %llu", i,
							  (unsigned long long)k);
			/*
			 * Past res: untouched, or (a split op's later chunk ran
			 * after the file grew again) what the file held.
			 */
			for (; k < LEN - off; k++)
				if (dst[i][k] != 0xee && dst[i][k] &&
				    dst[i][k] != ref[off + k])
					break;
			ASSERT_EQ(LEN - off, k) TH_LOG("op %u byte %llu", i,
						       (unsigned long long)k);
			for (; k < LEN; k++)
				if (dst[i][k] != 0xee)
					break;
			ASSERT_EQ(LEN, k) TH_LOG("op %u wrote past the range", i);
			if (i % 3 == 2) {
				ASSERT_EQ(pel_ref_crc32c(0, dst[i], res[i]),
					  result[i]) TH_LOG("op %u crc", i);
			}
		}
	}
	{
		int st;

		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	}
	for (i = 0; i < NR; i++)
		free(dst[i]);
	free(ref);
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	unlink(path);
	close(fd);
}

TEST_F(ring, register_errors)
{
	const char *dir = tmpfs_dir();
	char path[128];
	int fd, wr, pfd[2], opath, dfd, fds[7], res[7], ret;
	struct pel_sqe t;
	struct pel_cqe cqe;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, 8192, 3, path, sizeof(path));
	ASSERT_LE(0, fd);
	wr = open(path, O_WRONLY);
	ASSERT_LE(0, wr);
	ASSERT_EQ(0, pipe(pfd));
	opath = open(path, O_PATH);
	ASSERT_LE(0, opath);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);

	/* No files registered: -EBADF; unregister: -ENXIO. */
	memset(&t, 0, sizeof(t));
	lpel_prep_file_crc32c(&t, 0, 0, 10, 0);
	pel_test_expect_op(_metadata, &self->ring, &t, -EBADF, 0, "none registered");
	ASSERT_EQ(-ENXIO, lpel_unregister_files(&self->ring));

	fds[0] = fd;
	fds[1] = wr;
	fds[2] = dfd;
	fds[3] = pfd[0];
	fds[4] = opath;
	fds[5] = -1;
	fds[6] = 100000;
	memset(res, 0x55, sizeof(res));
	ret = lpel_register_files(&self->ring, fds, 7, res);
	ASSERT_EQ(1, ret);
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(-EBADF, res[1]) TH_LOG("O_WRONLY");
	ASSERT_EQ(-EISDIR, res[2]) TH_LOG("directory");
	ASSERT_EQ(-EINVAL, res[3]) TH_LOG("pipe");
	ASSERT_EQ(-EBADF, res[4]) TH_LOG("O_PATH");
	ASSERT_EQ(0, res[5]) TH_LOG("fd -1");
	ASSERT_EQ(-EBADF, res[6]) TH_LOG("not an fd");
	ASSERT_EQ(-EBUSY, lpel_register_files(&self->ring, fds, 1, res));

	/* The fds may go: the ring holds the file. */
	close(fd);
	lpel_prep_file_crc32c(&t, 0, 0, 10, 0);
	pel_test_run_sqe(_metadata, &self->ring, &t, &cqe, "slot 0");
	ASSERT_EQ(10, cqe.res);
	do {
		uint8_t b[10];

		pel_test_pattern(b, 10, 3);
		ASSERT_EQ(pel_ref_crc32c(0, b, 10), cqe.result);
	} while (0);
	for (int i = 1; i < 8; i++) {
		lpel_prep_file_crc32c(&t, i, 0, 10, 0);
		pel_test_expect_op(_metadata, &self->ring, &t, -EBADF, 0,
				   "empty slot or index >= nr");
	}
	lpel_prep_file_crc32c(&t, 65535, 0, 10, 0);
	pel_test_expect_op(_metadata, &self->ring, &t, -EBADF, 0, "index 65535");

	/* Ops that take no file range, bad fields. */
	memset(&t, 0, sizeof(t));
	lpel_prep_fill(&t, path, 16, 0);
	t.flags = PEL_SQE_FILE;
	pel_test_expect_op(_metadata, &self->ring, &t, -EINVAL, 0, "FILL with FILE");
	memset(&t, 0, sizeof(t));
	lpel_prep_crc32c(&t, path, 16, 0);
	t.file_index = 1;
	pel_test_expect_op(_metadata, &self->ring, &t, -EINVAL, 0, "file_index without FILE");
	memset(&t, 0, sizeof(t));
	lpel_prep_file_crc32c(&t, 0, 0, 10, 0);
	t.addr = (uint64_t)(uintptr_t)path;
	pel_test_expect_op(_metadata, &self->ring, &t, -EINVAL, 0, "CRC32C with addr");
	lpel_prep_file_crc32c(&t, 0, 0, 10, 0);
	t.arg0 = 0x100000000ULL;
	pel_test_expect_op(_metadata, &self->ring, &t, -EINVAL, 0, "seed > 32 bits");
	lpel_prep_file_crc32c(&t, 0, (uint64_t)INT64_MAX, 10, 0);
	pel_test_expect_op(_metadata, &self->ring, &t, -EINVAL, 0, "offset + len > loff_t");

	/* addr follows the memory rules. */
	{
		char *hole = pel_test_holey_buffer(3 * 4096, 4096);
		uint8_t dig[32];

		uint8_t b[8192];

		ASSERT_NE(NULL, hole);
		pel_test_pattern(b, sizeof(b), 3);
		memcpy(hole + 4000, b + 4000, 96);
		lpel_prep_file_copy(&t, hole, 0, 0, 8192);
		pel_test_expect_op(_metadata, &self->ring, &t, -EFAULT, 4096, "copy into a hole");
		lpel_prep_file_compare(&t, hole + 4000, 0, 4000, 4000);
		pel_test_expect_op(_metadata, &self->ring, &t, -EFAULT, 96, "compare a hole");
		lpel_prep_file_sha256(&t, (void *)PEL_TEST_KERNEL_ADDR, 0, 0, 100);
		pel_test_expect_op(_metadata, &self->ring, &t, -EFAULT, 100, "sha256 to a kernel address");
		lpel_prep_file_sha256(&t, dig, 0, 0, 0);
		pel_test_expect_op(_metadata, &self->ring, &t, 0, 0, "sha256 of nothing");
		munmap(hole, 3 * 4096);
	}

	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	lpel_prep_file_crc32c(&t, 0, 0, 10, 0);
	pel_test_expect_op(_metadata, &self->ring, &t, -EBADF, 0, "after unregister");

	/* Argument checks of the call itself. */
	ASSERT_EQ(-EINVAL, lpel_register_files(&self->ring, fds, 0, res));
	ASSERT_EQ(-EINVAL, lpel_register_files(&self->ring, fds, PEL_MAX_FILES + 1, res));
	/* All empty: no slot filled, but the table is there. */
	fds[0] = -1;
	ASSERT_EQ(0, lpel_register_files(&self->ring, fds, 1, res));
	ASSERT_EQ(-EBUSY, lpel_register_files(&self->ring, fds, 1, res));
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));

	close(wr);
	close(pfd[0]);
	close(pfd[1]);
	close(opath);
	close(dfd);
	unlink(path);
}

/* The raw ioctl: reserved fields, bad pointers (the library checks neither). */
TEST_F(ring, register_ioctl)
{
	struct pel_files req;
	int fds[1] = { 0 }, res[1];

	PEL_TEST_KERNEL_ONLY("PEL_IOC_REGISTER_FILES");
	memset(&req, 0, sizeof(req));
	req.nr = 1;
	req.fds = (uint64_t)(uintptr_t)fds;
	req.res = (uint64_t)(uintptr_t)res;
	req.resv0 = 1;
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_REGISTER_FILES, &req));
	ASSERT_EQ(EINVAL, errno);
	req.resv0 = 0;
	req.resv[1] = 1;
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_REGISTER_FILES, &req));
	ASSERT_EQ(EINVAL, errno);
	req.resv[1] = 0;
	req.fds = 8;
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_REGISTER_FILES, &req));
	ASSERT_EQ(EFAULT, errno);
	req.fds = (uint64_t)(uintptr_t)fds;
	req.res = PEL_TEST_KERNEL_ADDR;
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_REGISTER_FILES, &req));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_REGISTER_FILES, (void *)8));
	ASSERT_EQ(EFAULT, errno);
	/* Nothing stayed registered. */
	ASSERT_EQ(-1, ioctl(self->ring.fd, PEL_IOC_UNREGISTER_FILES));
	ASSERT_EQ(ENXIO, errno);
}

/* PEL_MAX_FILES slots of a few files, each read at its own offset. */
TEST_F(ring, many_files)
{
	enum { NF = 8 };
	const char *dir = tmpfs_dir();
	char path[NF][128];
	int fd[NF], *fds, *res, ret;
	uint8_t buf[4096];
	unsigned int i, q;

	ASSERT_NE(NULL, dir);
	fds = calloc(PEL_MAX_FILES, sizeof(*fds));
	res = calloc(PEL_MAX_FILES, sizeof(*res));
	ASSERT_NE(NULL, fds);
	ASSERT_NE(NULL, res);
	for (i = 0; i < NF; i++) {
		fd[i] = make_file(dir, 4096, 100 + i, path[i], sizeof(path[i]));
		ASSERT_LE(0, fd[i]);
	}
	for (i = 0; i < PEL_MAX_FILES; i++)
		fds[i] = i % 97 == 5 ? -1 : fd[i % NF];
	ret = lpel_register_files(&self->ring, fds, PEL_MAX_FILES, res);
	ASSERT_EQ(PEL_MAX_FILES - (PEL_MAX_FILES + 91) / 97, ret);
	for (q = 0; q < PEL_MAX_FILES; q += 61) {
		for (i = q; i < q + 61 && i < PEL_MAX_FILES; i++) {
			struct pel_sqe *sqe = lpel_get_sqe(&self->ring);

			ASSERT_NE(NULL, sqe);
			lpel_prep_file_crc32c(sqe, i, i % 50, 1000, 0);
			lpel_sqe_set_data(sqe, i + 1);
		}
		ASSERT_LE(0, lpel_submit(&self->ring));
		for (i = q; i < q + 61 && i < PEL_MAX_FILES; i++) {
			struct pel_cqe *cqe;
			unsigned int s;

			ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, WAIT_NS));
			s = (unsigned int)cqe->user_data - 1;
			ASSERT_GT(PEL_MAX_FILES, s);
			if (s % 97 == 5) {
				ASSERT_EQ(-EBADF, cqe->res) TH_LOG("slot %u", s);
			} else {
				pel_test_pattern(buf, 4096, 100 + s % NF);
				ASSERT_EQ(1000, cqe->res) TH_LOG("slot %u", s);
				ASSERT_EQ(pel_ref_crc32c(0, buf + s % 50, 1000),
					  cqe->result) TH_LOG("slot %u", s);
			}
			lpel_cqe_seen(&self->ring, cqe);
		}
	}
	if (!pel_test_user_backend()) {
		ASSERT_EQ((uint64_t)ret, pel_test_fdinfo_u64(self->ring.fd, "pel-files"));
	}
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	if (!pel_test_user_backend()) {
		ASSERT_EQ(0, pel_test_fdinfo_u64(self->ring.fd, "pel-files"));
	}
	for (i = 0; i < NF; i++) {
		unlink(path[i]);
		close(fd[i]);
	}
	free(fds);
	free(res);
}

TEST_F(ring, fdinfo)
{
	const char *dir = tmpfs_dir();
	char path[128];
	int fd, fds[3], res[3];

	PEL_TEST_KERNEL_ONLY("fdinfo");
	ASSERT_NE(NULL, dir);
	ASSERT_EQ(0, pel_test_fdinfo_u64(self->ring.fd, "pel-files"));
	fd = make_file(dir, 100, 1, path, sizeof(path));
	ASSERT_LE(0, fd);
	fds[0] = fd;
	fds[1] = -1;
	fds[2] = fd;
	ASSERT_EQ(2, lpel_register_files(&self->ring, fds, 3, res));
	ASSERT_EQ(2, pel_test_fdinfo_u64(self->ring.fd, "pel-files"));
	/* The other lines are still there. */
	ASSERT_NE(UINT64_MAX, pel_test_fdinfo_u64(self->ring.fd, "pel-helped"));
	ASSERT_NE(UINT64_MAX, pel_test_fdinfo_u64(self->ring.fd, "pel-queues"));
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	ASSERT_EQ(0, pel_test_fdinfo_u64(self->ring.fd, "pel-files"));
	unlink(path);
	close(fd);
}

/* The CRC-32C (seed 0) of @len bytes at @off of @fd, through pread(). */
static uint32_t file_crc(int fd, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	ssize_t n = buf ? pread(fd, buf, len, (off_t)off) : -1;
	uint32_t crc = n < 0 ? 0 : pel_ref_crc32c(0, buf, (size_t)n);

	free(buf);
	return crc;
}

/* PEL_IOC_OP_STATS of @opcode (module-wide, since load), through liblpel. */
static int op_stats(uint32_t opcode, struct pel_op_stats *st)
{
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	ret = lpel_op_stats(fd, opcode, st);
	close(fd);
	return ret;
}

/*
 * pel_op_stats.file_bytes counts the bytes of ops whose source was a
 * registered file, where bytes counts them: after file CRC32Cs of known
 * sizes (one short at EOF, split ones) it grew by exactly their bytes, and
 * a memory CRC32C adds to bytes only.  pel_ctx_stats.nr_files is the slots
 * filled, 0 after unregister.
 */
TEST_F_TIMEOUT(ring, stats, 120)
{
	static const uint64_t lens[] = { 1, 4096, 100000, 3 * MIB + 5 };
	const char *dir = tmpfs_dir();
	struct pel_op_stats before, after;
	struct pel_ctx_stats cst;
	uint64_t want = 0, size = 4 * MIB + 11;
	char path[128];
	int fd, fds[4], res[4];
	struct pel_sqe s;
	uint8_t *mem;
	unsigned int i;

	PEL_TEST_KERNEL_ONLY("pel_op_stats.file_bytes, pel_ctx_stats.nr_files");
	ASSERT_NE(NULL, dir);
	ASSERT_EQ(0, pel_test_own_ctx_stats(&cst));
	ASSERT_EQ(0, cst.nr_files);
	fd = make_file(dir, size, 5, path, sizeof(path));
	ASSERT_LE(0, fd);
	fds[0] = fd;
	fds[1] = -1;
	fds[2] = fd;
	fds[3] = fd;
	ASSERT_EQ(3, lpel_register_files(&self->ring, fds, 4, res));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&cst));
	ASSERT_EQ(3, cst.nr_files);

	mem = malloc(MIB);
	ASSERT_NE(NULL, mem);
	memset(mem, 7, MIB);
	ASSERT_EQ(0, op_stats(PEL_OP_CRC32C, &before));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		lpel_prep_file_crc32c(&s, 2, 0, lens[i], 0);
		pel_test_expect_op(_metadata, &self->ring, &s, (int)lens[i],
				   file_crc(fd, 0, lens[i]), "file crc32c");
		want += lens[i];
	}
	/* Short at EOF: its bytes are those up to EOF. */
	lpel_prep_file_crc32c(&s, 3, size - 1000, MIB, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, 1000,
			   file_crc(fd, size - 1000, 1000), "at eof");
	want += 1000;
	/* Memory: bytes, not file_bytes. */
	lpel_prep_crc32c(&s, mem, MIB, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)MIB,
			   pel_ref_crc32c(0, mem, MIB), "memory crc32c");
	ASSERT_EQ(0, op_stats(PEL_OP_CRC32C, &after));
	EXPECT_EQ(want, after.file_bytes - before.file_bytes);
	EXPECT_EQ(want + MIB, after.bytes - before.bytes);

	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&cst));
	EXPECT_EQ(0, cst.nr_files);
	free(mem);
	unlink(path);
	close(fd);
}

/* Unregister while large ops run: they finish on their own references. */
TEST_F_TIMEOUT(ring, unregister_in_flight, 120)
{
	enum { NR = 16, LEN = 8 * MIB };
	const char *dir = tmpfs_dir();
	char path[128];
	uint8_t *ref, *dst;
	int res[NR], fd, ret;
	uint64_t result[NR];
	uint32_t crc;
	unsigned int i;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, LEN, 9, path, sizeof(path));
	ASSERT_LE(0, fd);
	ref = malloc(LEN);
	dst = malloc((size_t)LEN * 2);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, pread_all(fd, ref, LEN, 0));
	crc = pel_ref_crc32c(0, ref, LEN);
	ASSERT_EQ(0, reg1(&self->ring, fd));
	close(fd);		/* the ring's reference only, then the ops' */
	unlink(path);
	for (i = 0; i < NR; i++) {
		struct pel_sqe *sqe = lpel_get_sqe(&self->ring);

		ASSERT_NE(NULL, sqe);
		if (i < 2)
			lpel_prep_file_copy(sqe, dst + (size_t)i * LEN, 0, 0, LEN);
		else
			lpel_prep_file_crc32c(sqe, 0, 0, LEN, 0);
		lpel_sqe_set_data(sqe, i + 1);
		res[i] = INT32_MIN;
	}
	ASSERT_LE(0, lpel_submit(&self->ring));
	ret = lpel_unregister_files(&self->ring);
	ASSERT_EQ(0, ret);
	reap(_metadata, &self->ring, NR, res, result);
	/* Each op either had its file (exact) or came after (-EBADF). */
	for (i = 0; i < NR; i++) {
		if (res[i] == -EBADF)
			continue;
		ASSERT_EQ(LEN, res[i]) TH_LOG("op %u", i);
		if (i < 2) {
			ASSERT_EQ(0, memcmp(dst + (size_t)i * LEN, ref, LEN));
		} else {
			ASSERT_EQ(crc, result[i]) TH_LOG("op %u", i);
		}
	}
	free(ref);
	free(dst);
}

/* Close the ring with file ops in flight, in a child: nothing leaks or hangs. */
TEST_F_TIMEOUT(ring, close_in_flight, 120)
{
	const char *dir = tmpfs_dir();
	char path[128];
	int fd, round, st;
	pid_t pid;

#if defined(__SANITIZE_THREAD__)
	/* The fixture's user-backend ring has threads: TSan cannot follow a child's. */
	if (pel_test_user_backend())
		SKIP(return, "TSan build: no threads after a multi-threaded fork()");
#endif
	ASSERT_NE(NULL, dir);
	fd = make_file(dir, 8 * MIB, 4, path, sizeof(path));
	ASSERT_LE(0, fd);
	for (round = 0; round < 20; round++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct lpel_ring ring;
			unsigned int i;

			if (lpel_init(&ring, 32) || reg1(&ring, fd))
				_exit(2);
			for (i = 0; i < 32; i++) {
				struct pel_sqe *sqe = lpel_get_sqe(&ring);

				if (!sqe)
					_exit(3);
				lpel_prep_file_crc32c(sqe, 0, i * 4096, 8 * MIB, 0);
			}
			if (lpel_submit(&ring) < 0)
				_exit(4);
			if (round & 1)
				lpel_unregister_files(&ring);
			lpel_exit(&ring);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st)) TH_LOG("round %d", round);
		ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("round %d", round);
	}
	unlink(path);
	close(fd);
}

/* PEL_SQE_FIXED for addr: the destination is a registered buffer. */
TEST_F(ring, fixed_destination)
{
	const char *dir = tmpfs_dir();
	size_t len = 3 * MIB + 5;
	char path[128];
	struct iovec iov;
	struct pel_sqe t;
	struct pel_cqe cqe;
	uint8_t *ref, *dst;
	int fd;

	ASSERT_NE(NULL, dir);
	fd = make_file(dir, len, 31, path, sizeof(path));
	ASSERT_LE(0, fd);
	ref = malloc(len);
	dst = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(0, pread_all(fd, ref, len, 0));
	iov.iov_base = dst;
	iov.iov_len = len + 4096;
	ASSERT_EQ(0, lpel_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, reg1(&self->ring, fd));
	lpel_prep_file_copy_crc32c(&t, dst, 0, 0, len + 100, 0);
	t.flags |= PEL_SQE_FIXED;
	run(_metadata, &self->ring, &t, &cqe, "fixed copy_crc32c");
	ASSERT_EQ((int)len, cqe.res);
	ASSERT_EQ(pel_ref_crc32c(0, ref, len), cqe.result);
	ASSERT_EQ(0, memcmp(dst, ref, len));
	lpel_prep_file_compare(&t, dst, 0, 0, len);
	t.flags |= PEL_SQE_FIXED;
	dst[len - 1] ^= 1;
	run(_metadata, &self->ring, &t, &cqe, "fixed compare");
	ASSERT_EQ(1, cqe.res);
	ASSERT_EQ(len - 1, cqe.result);
	/* A destination outside every buffer. */
	lpel_prep_file_copy(&t, ref, 0, 0, 100);
	t.flags |= PEL_SQE_FIXED;
	pel_test_expect_op(_metadata, &self->ring, &t, -EFAULT, 0, "fixed outside");
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	ASSERT_EQ(0, lpel_unregister_buffers(&self->ring));
	munmap(dst, len + 4096);
	free(ref);
	unlink(path);
	close(fd);
}

TEST_HARNESS_MAIN
