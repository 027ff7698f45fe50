// SPDX-License-Identifier: GPL-2.0
/*
 * Registered files and file-range ops (PEL_SQE_FILE) on liblpel's user
 * backend: CRC32C, SHA256, COPY, COPY_CRC32C and COMPARE of file ranges
 * against a pread() of the same range and the independent references of
 * pel_test.h, at offsets and sizes around pages and the split size; ranges
 * at and past EOF (short); -EBADF and -EINVAL cases; per-slot registration
 * errors, -EBUSY; unregister with ops in flight; a bad destination
 * (-EFAULT, exact result); a file truncated while ops run.  Files live in
 * a mkdtemp() directory under /tmp, removed after each test.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define MIB		(1024 * 1024)
#define FSIZE		(6 * MIB + 123)		/* the data file */
#define MAXLEN		(5 * MIB)
#define GUARD		64
#define SEED		0x1234abcdu

static int user_ring(struct lpel_ring *ring)
{
	struct lpel_params p;

	memset(&p, 0, sizeof(p));
	p.sq_entries = 64;
	p.backend = LPEL_BACKEND_USER;
	p.lib_flags = LPEL_LIB_QUIET;
	p.nr_threads = 4;		/* several queues: long ops split */
	return lpel_init_params(ring, &p);
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

FIXTURE(uf) {
	struct lpel_ring ring;
	char dir[64], path[96];
	int fd;
	uint8_t *data;		/* what the file holds */
	uint8_t *ref;		/* a pread() of the range under test */
	uint8_t *dst;		/* MAXLEN + GUARD */
};

FIXTURE_SETUP(uf)
{
	int ret, res = 1;

	strcpy(self->dir, "/tmp/ufile.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/data", self->dir);
	self->data = malloc(FSIZE);
	self->ref = malloc(MAXLEN + GUARD);
	self->dst = malloc(MAXLEN + GUARD);
	ASSERT_TRUE(self->data && self->ref && self->dst);
	pel_test_fill_random(self->data, FSIZE, 7);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, write_all(self->fd, self->data, FSIZE));
	ret = user_ring(&self->ring);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init_params: %s", strerror(-ret));
	ASSERT_EQ(LPEL_BACKEND_USER, lpel_backend(&self->ring));
	ASSERT_TRUE(self->ring.features & PEL_FEAT_REGISTERED_FILES);
	ASSERT_EQ(1, lpel_register_files(&self->ring, &self->fd, 1, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(uf)
{
	lpel_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	unlink(self->path);
	rmdir(self->dir);
	free(self->data);
	free(self->ref);
	free(self->dst);
}

/* The bytes of [off, off + len) the file has: pread() until EOF. */
static size_t ref_read(int fd, uint8_t *buf, uint64_t off, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Every op over [off, off + len) of file slot 0, against the references. */
static void check_range(struct __test_metadata *_metadata, FIXTURE_DATA(uf) *self,
			uint64_t off, size_t len)
{
	uint8_t digest[32], want_digest[32];
	struct pel_sqe s;
	struct pel_cqe cqe;
	char what[96];
	size_t n = ref_read(self->fd, self->ref, off, len);
	uint32_t crc = pel_ref_crc32c(SEED, self->ref, n);

	snprintf(what, sizeof(what), "off %llu len %zu", (unsigned long long)off, len);

	lpel_prep_file_crc32c(&s, 0, off, len, SEED);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)n, crc, what);

	memset(digest, 0xee, sizeof(digest));
	pel_ref_sha256(self->ref, n, want_digest);
	lpel_prep_file_sha256(&s, digest, 0, off, len);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)n, 0, what);
	ASSERT_EQ(0, memcmp(digest, want_digest, 32)) TH_LOG("%s: sha256", what);

	memset(self->dst, 0xd5, len + GUARD);
	lpel_prep_file_copy(&s, self->dst, 0, off, len);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)n, n, what);
	ASSERT_EQ(0, memcmp(self->dst, self->ref, n)) TH_LOG("%s: copy", what);
	ASSERT_EQ(len + GUARD - n, pel_test_first_not(self->dst + n, 0xd5,
						      len + GUARD - n))
		TH_LOG("%s: copy wrote past the bytes done", what);

	memset(self->dst, 0xd5, len + GUARD);
	lpel_prep_file_copy_crc32c(&s, self->dst, 0, off, len, SEED);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)n, crc, what);
	ASSERT_EQ(0, memcmp(self->dst, self->ref, n)) TH_LOG("%s: copy_crc", what);
	ASSERT_EQ(len + GUARD - n, pel_test_first_not(self->dst + n, 0xd5,
						      len + GUARD - n));

	/* A range past EOF differs where the file ends (cmp's "EOF on"). */
	lpel_prep_file_compare(&s, self->ref, 0, off, len);
	pel_test_expect_op(_metadata, &self->ring, &s, n < len, n < len ? n : 0,
			   what);
	if (n) {
		self->ref[n / 2] ^= 0x40;
		lpel_prep_file_compare(&s, self->ref, 0, off, len);
		pel_test_expect_op(_metadata, &self->ring, &s, 1, n / 2, what);
		self->ref[n / 2] ^= 0x40;
	}
	(void)cqe;
}

TEST_F(uf, ranges)
{
	static const uint64_t offs[] = { 0, 1, 4095, 4096, 12345 };
	static const size_t lens[] = { 0, 1, 4095, 4096, 4097, MIB, 5 * MIB };
	unsigned int i, j;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			check_range(_metadata, self, offs[i], lens[j]);
}

TEST_F(uf, eof)
{
	static const uint8_t sha_empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	uint8_t digest[32];
	struct pel_sqe s;

	/* Running past EOF: short, over the bytes up to it (split too). */
	check_range(_metadata, self, FSIZE - 100, 4096);
	check_range(_metadata, self, FSIZE - 1, 1);
	check_range(_metadata, self, FSIZE - 3 * MIB - 5, 5 * MIB);
	check_range(_metadata, self, FSIZE - MIB, MIB + 1);
	/* At and past EOF: nothing, a CRC of nothing is its seed. */
	check_range(_metadata, self, FSIZE, 4096);
	check_range(_metadata, self, FSIZE + 100000, 5 * MIB);
	lpel_prep_file_crc32c(&s, 0, FSIZE, 10, SEED);
	pel_test_expect_op(_metadata, &self->ring, &s, 0, SEED, "crc at eof");
	lpel_prep_file_crc32c(&s, 0, 1ULL << 62, 10, SEED);
	pel_test_expect_op(_metadata, &self->ring, &s, 0, SEED, "crc far past eof");
	lpel_prep_file_sha256(&s, digest, 0, FSIZE, 10);
	pel_test_expect_op(_metadata, &self->ring, &s, 0, 0, "sha at eof");
	ASSERT_EQ(0, memcmp(digest, sha_empty, 32));
	/* A file range that wraps is -EINVAL. */
	lpel_prep_file_crc32c(&s, 0, ~0ULL - 5, 10, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "wrapping range");
}

TEST_F(uf, bad_index_and_op)
{
	struct pel_sqe s;
	int fds[3] = { -1, self->fd, -1 }, res[3] = { 9, 9, 9 };

	lpel_prep_file_crc32c(&s, 1, 0, 100, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EBADF, 0, "index >= nr");
	lpel_prep_file_crc32c(&s, 0xffff, 0, 100, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EBADF, 0, "index 0xffff");

	/* FILE on an op that takes none: -EINVAL before the index. */
	lpel_prep_fill(&s, self->dst, 0x55, 100);
	s.flags = PEL_SQE_FILE;
	s.file_index = 7;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "FILE on FILL");
	lpel_prep_compare_pattern(&s, self->dst, 0x55, 100);
	s.flags = PEL_SQE_FILE;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0,
			   "FILE on COMPARE_PATTERN");
	lpel_prep_nop(&s);
	s.flags = PEL_SQE_FILE;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "FILE on NOP");
	lpel_prep_crc32c(&s, self->dst, 100, 0);
	s.file_index = 1;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0,
			   "file_index without FILE");
	lpel_prep_file_crc32c(&s, 0, 0, 100, 0);
	s.arg0 = 1ULL << 32;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "seed > 32 bits");
	lpel_prep_file_copy(&s, self->dst, 0, 0, PEL_MAX_OP_LEN + 1);
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "len too long");

	/* Nothing registered, then empty slots. */
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	ASSERT_EQ(-ENXIO, lpel_unregister_files(&self->ring));
	lpel_prep_file_crc32c(&s, 0, 0, 100, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EBADF, 0, "none registered");
	ASSERT_EQ(1, lpel_register_files(&self->ring, fds, 3, res));
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(0, res[1]);
	ASSERT_EQ(0, res[2]);
	pel_test_expect_op(_metadata, &self->ring, &s, -EBADF, 0, "empty slot 0");
	lpel_prep_file_crc32c(&s, 2, 0, 100, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EBADF, 0, "empty slot 2");
	lpel_prep_file_crc32c(&s, 1, 0, 100, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, 100,
			   pel_ref_crc32c(0, self->data, 100), "slot 1");
}

TEST_F(uf, register_errors)
{
	int pfd[2], fds[8], res[8], wr, dirfd, opath, closed, ret, i;
	struct pel_sqe s;

	ASSERT_EQ(0, pipe(pfd));
	wr = open(self->path, O_WRONLY);
	dirfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	opath = open(self->path, O_PATH);
	fds[4] = open(self->path, O_RDONLY);
	/* A number no fd has: opened and closed last. */
	closed = open(self->path, O_RDONLY);
	ASSERT_TRUE(wr >= 0 && dirfd >= 0 && opath >= 0 && fds[4] >= 0 &&
		    closed >= 0);
	close(closed);

	/* Already registered (the fixture's): -EBUSY, res untouched. */
	fds[0] = self->fd;
	res[0] = 9;
	ASSERT_EQ(-EBUSY, lpel_register_files(&self->ring, fds, 1, res));
	ASSERT_EQ(9, res[0]);
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	ASSERT_EQ(-EINVAL, lpel_register_files(&self->ring, fds, 0, res));
	ASSERT_EQ(-EINVAL, lpel_register_files(&self->ring, fds,
					       PEL_MAX_FILES + 1, res));

	fds[0] = wr;
	fds[1] = dirfd;
	fds[2] = pfd[0];
	fds[3] = -1;
	fds[5] = opath;
	fds[6] = closed;
	fds[7] = pfd[1];
	for (i = 0; i < 8; i++)
		res[i] = 9;
	ret = lpel_register_files(&self->ring, fds, 8, res);
	ASSERT_EQ(1, ret);
	EXPECT_EQ(-EBADF, res[0]);
	EXPECT_EQ(-EISDIR, res[1]);
	EXPECT_EQ(-EINVAL, res[2]);
	EXPECT_EQ(0, res[3]);
	EXPECT_EQ(0, res[4]);
	EXPECT_EQ(-EBADF, res[5]);
	EXPECT_EQ(-EBADF, res[6]);
	EXPECT_EQ(-EBADF, res[7]);
	/* The ring holds its own reference: the caller's fd may go. */
	close(fds[4]);
	for (i = 0; i < 8; i++) {
		lpel_prep_file_crc32c(&s, i, 5, 1000, 0);
		if (i == 4)
			pel_test_expect_op(_metadata, &self->ring, &s, 1000,
					   pel_ref_crc32c(0, self->data + 5, 1000),
					   "slot 4");
		else
			pel_test_expect_op(_metadata, &self->ring, &s, -EBADF,
					   0, "empty slot");
	}
	ASSERT_EQ(-EBUSY, lpel_register_files(&self->ring, fds, 1, NULL));
	ASSERT_EQ(0, lpel_unregister_files(&self->ring));
	/* res may be NULL. */
	ASSERT_EQ(1, lpel_register_files(&self->ring, &self->fd, 1, NULL));
	close(wr);
	close(dirfd);
	close(opath);
	close(pfd[0]);
	close(pfd[1]);
}

static int count_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The ring's own fds: one per filled slot, closed by unregister and exit. */
TEST_F(uf, fds_closed)
{
	int fds[3] = { self->fd, -1, self->fd }, n0, n1;
	struct lpel_ring r2;

	n0 = count_fds();
	ASSERT_LT(0, n0);
	ASSERT_EQ(0, user_ring(&r2));
	n1 = count_fds();
	ASSERT_EQ(2, lpel_register_files(&r2, fds, 3, NULL));
	ASSERT_EQ(n1 + 2, count_fds());
	ASSERT_EQ(0, lpel_unregister_files(&r2));
	ASSERT_EQ(n1, count_fds());
	ASSERT_EQ(2, lpel_register_files(&r2, fds, 3, NULL));
	lpel_exit(&r2);
	ASSERT_EQ(n0, count_fds());
}

TEST_F(uf, fork_child)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = self->fd;

		_exit(lpel_register_files(&self->ring, &fd, 1, NULL) == -EPERM &&
		      lpel_unregister_files(&self->ring) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/*
 * Ops in flight keep the files: each is whole and right, or -EBADF (taken
 * after the unregister).  The unregister comes after the first CQE: the
 * ops taken with that one's batch had the files; long ones (split) are
 * likely still running, on the pool's threads, when the fds are closed.
 */
TEST_F(uf, unregister_in_flight)
{
	uint32_t want = pel_ref_crc32c(0, self->data, 5 * MIB);
	unsigned int n = 32, i, ok = 0, badf = 0;
	struct pel_cqe *cqe;
	struct pel_sqe *s;

	for (i = 0; i < n; i++) {
		s = lpel_get_sqe_on(&self->ring, i % self->ring.nr_queues);
		ASSERT_NE(NULL, s);
		lpel_prep_file_crc32c(s, 0, 0, 5 * MIB, 0);
		s->user_data = i;
	}
	ASSERT_EQ((int)n, lpel_submit(&self->ring));
	for (i = 0; i < n; i++) {
		if (i == 1) {
			ASSERT_EQ(0, lpel_unregister_files(&self->ring));
			close(self->fd);
			self->fd = -1;
		}
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe,
						   60ULL * 1000000000ULL));
		if (cqe->res == -EBADF) {
			EXPECT_EQ(0, cqe->result);
			badf++;
		} else {
			EXPECT_EQ(5 * MIB, cqe->res);
			EXPECT_EQ(want, cqe->result);
			ok++;
		}
		lpel_cqe_seen(&self->ring, cqe);
	}
	ASSERT_EQ(n, ok + badf);
	ASSERT_LE(1, ok);
	TH_LOG("%u of %u ops had taken the files before the unregister", ok, n);
}

TEST_F(uf, efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 5 * pg, hole = 3 * pg;
	uint8_t *buf = pel_test_holey_buffer(len + pg, hole);
	uint8_t *big = pel_test_holey_buffer(3 * MIB, 2 * MIB + pg);
	uint8_t digest[32];
	struct pel_sqe s;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, big);
	lpel_prep_file_copy(&s, buf, 0, 1, len);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, hole, "copy");
	ASSERT_EQ(0, memcmp(buf, self->data + 1, hole));
	memset(buf, 0x5a, hole);
	lpel_prep_file_copy_crc32c(&s, buf, 0, 1, len, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, hole, "copy_crc");
	ASSERT_EQ(0, memcmp(buf, self->data + 1, hole));
	/* Equal up to the hole: the fault; a difference before it wins. */
	lpel_prep_file_compare(&s, buf, 0, 1, len);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, hole, "compare");
	buf[hole - 1] ^= 1;
	pel_test_expect_op(_metadata, &self->ring, &s, 1, hole - 1, "compare diff");
	/* Ending before the hole, or at EOF before it: no fault. */
	lpel_prep_file_copy(&s, buf, 0, FSIZE - 100, len);
	pel_test_expect_op(_metadata, &self->ring, &s, 100, 100, "copy to eof");
	/* A digest that cannot be written: every byte done. */
	lpel_prep_file_sha256(&s, buf + hole, 0, 0, 1000);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, 1000, "sha digest");
	lpel_prep_file_copy(&s, NULL, 0, 0, 100);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy to NULL");
	/* Split: the fault offset is exact across chunks. */
	lpel_prep_file_copy(&s, big, 0, 12345, 3 * MIB);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, 2 * MIB + pg,
			   "split copy");
	ASSERT_EQ(0, memcmp(big, self->data + 12345, 2 * MIB + pg));
	(void)digest;
	munmap(buf, len + pg);
	munmap(big, 3 * MIB);
}

TEST_F(uf, fixed)
{
	struct iovec iov = { self->dst, MAXLEN };
	struct pel_sqe s;

	ASSERT_EQ(0, lpel_register_buffers(&self->ring, &iov, 1));
	lpel_prep_file_copy(&s, self->dst, 0, 77, 2 * MIB);
	lpel_sqe_set_fixed(&s);
	pel_test_expect_op(_metadata, &self->ring, &s, 2 * MIB, 2 * MIB, "fixed copy");
	ASSERT_EQ(0, memcmp(self->dst, self->data + 77, 2 * MIB));
	lpel_prep_file_crc32c(&s, 0, 77, 4096, 0);
	lpel_sqe_set_fixed(&s);
	pel_test_expect_op(_metadata, &self->ring, &s, 4096,
			   pel_ref_crc32c(0, self->data + 77, 4096), "fixed crc");
	lpel_prep_file_copy(&s, self->ref, 0, 0, 4096);
	lpel_sqe_set_fixed(&s);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, 0,
			   "fixed copy outside the buffers");
}

/* Another thread truncates and regrows the file while ops read it. */
struct trunc_arg {
	int fd;
	int stop;
};

static void *truncator(void *p)
{
	struct trunc_arg *a = p;
	unsigned int i = 0;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		if (ftruncate(a->fd, (off_t)((i * 777777u) % FSIZE)) ||
		    ftruncate(a->fd, FSIZE))
			break;
		i++;
	}
	return NULL;
}

TEST_F(uf, truncate_while_running)
{
	struct trunc_arg a = { .fd = self->fd };
	struct pel_cqe *cqe;
	struct pel_sqe *s;
	pthread_t t;
	unsigned int round, i;

	ASSERT_EQ(0, pthread_create(&t, NULL, truncator, &a));
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 4; i++) {
			s = lpel_get_sqe_on(&self->ring, i % self->ring.nr_queues);
			ASSERT_NE(NULL, s);
			/* The two COPYs at once: each its own destination. */
			if (i & 1)
				lpel_prep_file_copy(s, i == 1 ? self->dst : self->ref,
						    0, 1000, 4 * MIB);
			else
				lpel_prep_file_crc32c(s, 0, 1000, 4 * MIB, 0);
			s->user_data = i;
		}
		ASSERT_EQ(4, lpel_submit(&self->ring));
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe,
							   60ULL * 1000000000ULL));
			EXPECT_LE(0, cqe->res);
			EXPECT_GE(4 * MIB, cqe->res);
			if (cqe->user_data & 1)
				EXPECT_EQ((uint64_t)cqe->res, cqe->result);
			lpel_cqe_seen(&self->ring, cqe);
		}
	}
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
}

TEST_HARNESS_MAIN
