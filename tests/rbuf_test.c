// SPDX-License-Identifier: GPL-2.0
/*
 * Registered buffers (PEL_IOC_REGISTER_BUFFERS, PEL_SQE_FIXED): every op
 * gives the same result on registered memory as the references do, split
 * sizes included; an address outside every buffer, or a range straddling
 * a buffer's end, gives -EFAULT with nothing written; the ioctl's argument
 * checks; unregister with ops in flight; munmap of a registered range;
 * RLIMIT_MEMLOCK; fork; the stats.
 */
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define MIB		(1024 * 1024)
#define BIG		(3 * MIB + 5)		/* above the split threshold */
#define AREA		(4 * MIB)
#define SMALL		(64 * 1024)
#define WAIT_NS		(60ULL * 1000000000ULL)

static void *map_area(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int reg_raw(int fd, const struct pel_buf *bufs, unsigned int nr)
{
	struct pel_buffers req = {
		.nr = nr, .bufs = (uint64_t)(uintptr_t)bufs,
	};

	return ioctl(fd, PEL_IOC_REGISTER_BUFFERS, &req) < 0 ? -errno : 0;
}

static int unreg_raw(int fd)
{
	return ioctl(fd, PEL_IOC_UNREGISTER_BUFFERS) < 0 ? -errno : 0;
}

/*
 * The ioctl on the kernel backend; on the user backend, which has no
 * ioctls, lpel_register_buffers(), which makes the same checks.
 */
static int reg_any(struct lpel_ring *ring, const struct pel_buf *bufs,
		   unsigned int nr)
{
	struct iovec iov[PEL_MAX_BUFFERS + 1];
	unsigned int i;

	if (!pel_test_user_backend())
		return reg_raw(ring->fd, bufs, nr);
	for (i = 0; i < nr && i < PEL_MAX_BUFFERS + 1; i++) {
		iov[i].iov_base = (void *)(uintptr_t)bufs[i].addr;
		iov[i].iov_len = bufs[i].len;
	}
	return lpel_register_buffers(ring, iov, nr);
}

static int unreg_any(struct lpel_ring *ring)
{
	if (!pel_test_user_backend())
		return unreg_raw(ring->fd);
	return lpel_unregister_buffers(ring);
}

/* The "pel-buffers:" line of fd's fdinfo: count and bytes. */
static int fdinfo_buffers(int fd, unsigned int *nr, unsigned long long *bytes)
{
	char path[64], line[256];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pel-buffers: %u %llu", nr, bytes) == 2) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* Registered: src (AREA), dst (AREA), misc (SMALL); outside: not registered. */
FIXTURE(rbuf) {
	struct lpel_ring ring;
	uint8_t *src, *dst, *misc, *outside;
};

FIXTURE_SETUP(rbuf)
{
	struct iovec iov[3];
	int ret;

	ret = lpel_init(&self->ring, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
	ASSERT_TRUE(self->ring.features & PEL_FEAT_REGISTERED_BUFFERS);
	self->src = map_area(AREA);
	self->dst = map_area(AREA);
	self->misc = map_area(SMALL);
	self->outside = map_area(SMALL);
	ASSERT_TRUE(self->src && self->dst && self->misc && self->outside);
	pel_test_fill_random(self->src, AREA, 1);
	memset(self->dst, 0xd5, AREA);
	memset(self->misc, 0x3c, SMALL);
	memset(self->outside, 0x77, SMALL);
	iov[0] = (struct iovec){ self->dst, AREA };
	iov[1] = (struct iovec){ self->src, AREA };
	iov[2] = (struct iovec){ self->misc, SMALL };
	ret = lpel_register_buffers(&self->ring, iov, 3);
	ASSERT_EQ(0, ret) TH_LOG("register: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(rbuf)
{
	lpel_exit(&self->ring);
	munmap(self->src, AREA);
	munmap(self->dst, AREA);
	munmap(self->misc, SMALL);
	munmap(self->outside, SMALL);
}

/* Run tmpl with PEL_SQE_FIXED; res and result as given. */
static void fixed_op(struct __test_metadata *_metadata, struct lpel_ring *ring,
		     struct pel_sqe *s, int res, uint64_t result,
		     const char *what)
{
	lpel_sqe_set_fixed(s);
	pel_test_expect_op(_metadata, ring, s, res, result, what);
}

TEST_F(rbuf, copy_fill_crc)
{
	static const size_t lens[] = { 0, 1, 4095, 65537, MIB, BIG };
	struct pel_sqe s;
	unsigned int i;
	uint64_t pat = 0x0123456789abcdefULL;
	uint8_t pb[8];
	size_t j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		memset(self->dst, 0xd5, AREA);
		lpel_prep_copy(&s, self->dst + 3, self->src + 1, len);
		fixed_op(_metadata, &self->ring, &s, (int)len, len, "copy");
		ASSERT_EQ(0, memcmp(self->dst + 3, self->src + 1, len));
		ASSERT_EQ(0xd5, self->dst[2]);
		ASSERT_EQ(0xd5, self->dst[3 + len]);

		lpel_prep_crc32c(&s, self->src + 7, len, 0x1234);
		fixed_op(_metadata, &self->ring, &s, (int)len,
			 pel_ref_crc32c(0x1234, self->src + 7, len), "crc32c");

		memset(self->dst, 0xd5, AREA);
		lpel_prep_copy_crc32c(&s, self->dst, self->src, len, 0);
		fixed_op(_metadata, &self->ring, &s, (int)len,
			 pel_ref_crc32c(0, self->src, len), "copy_crc32c");
		ASSERT_EQ(0, memcmp(self->dst, self->src, len));
	}

	memset(self->dst, 0xd5, AREA);
	lpel_prep_fill(&s, self->dst + 8, pat, BIG);
	fixed_op(_metadata, &self->ring, &s, BIG, BIG, "fill");
	for (j = 0; j < 8; j++)
		pb[j] = (uint8_t)(pat >> (8 * j));
	for (j = 0; j < BIG; j++)
		if (self->dst[8 + j] != pb[j % 8])
			break;
	ASSERT_EQ(BIG, j) TH_LOG("fill differs at %zu", j);
	ASSERT_EQ(0xd5, self->dst[7]);
	ASSERT_EQ(0xd5, self->dst[8 + BIG]);
}

TEST_F(rbuf, compare_xor_sha_dualcast)
{
	uint64_t *list = (uint64_t *)self->misc;
	uint8_t *digest = self->misc + 1024, ref[32];
	size_t half = AREA / 2, len = MIB + MIB / 2 + 9, j;
	struct pel_sqe s;
	unsigned int i;

	/* COMPARE: equal, then one byte off. */
	memcpy(self->dst, self->src, BIG);
	lpel_prep_compare(&s, self->dst, self->src, BIG);
	fixed_op(_metadata, &self->ring, &s, 0, 0, "compare equal");
	self->dst[BIG - 2] ^= 1;
	lpel_prep_compare(&s, self->dst, self->src, BIG);
	fixed_op(_metadata, &self->ring, &s, 1, BIG - 2, "compare differ");

	/* COMPARE_PATTERN on a filled range. */
	memset(self->dst, 0x5a, MIB + 8);
	lpel_prep_compare_pattern(&s, self->dst, 0x5a5a5a5a5a5a5a5aULL, MIB + 8);
	fixed_op(_metadata, &self->ring, &s, 0, 0, "compare_pattern");

	/* XOR of three sources from src into dst, the list in misc. */
	for (i = 0; i < 3; i++)
		list[i] = (uint64_t)(uintptr_t)(self->src + i * MIB + i);
	memset(self->dst, 0xd5, AREA);
	lpel_prep_xor(&s, self->dst, (const void *const *)list, 3, MIB + 11);
	fixed_op(_metadata, &self->ring, &s, MIB + 11, MIB + 11, "xor");
	for (j = 0; j < MIB + 11; j++) {
		uint8_t x = self->src[j] ^ self->src[MIB + 1 + j] ^
			    self->src[2 * MIB + 2 + j];

		if (self->dst[j] != x)
			break;
	}
	ASSERT_EQ(MIB + 11, j) TH_LOG("xor differs at %zu", j);
	ASSERT_EQ(0xd5, self->dst[MIB + 11]);

	/* SHA256 of src, the digest in misc. */
	lpel_prep_sha256(&s, digest, self->src + 5, BIG - 5);
	fixed_op(_metadata, &self->ring, &s, BIG - 5, 0, "sha256");
	pel_ref_sha256(self->src + 5, BIG - 5, ref);
	ASSERT_EQ(0, memcmp(digest, ref, 32));

	/* DUALCAST into both halves of dst. */
	memset(self->dst, 0xd5, AREA);
	lpel_prep_dualcast(&s, self->dst, self->dst + half, self->src, len);
	fixed_op(_metadata, &self->ring, &s, (int)len, len, "dualcast");
	ASSERT_EQ(0, memcmp(self->dst, self->src, len));
	ASSERT_EQ(0, memcmp(self->dst + half, self->src, len));
	ASSERT_EQ(0xd5, self->dst[len]);

	/* NOP with the flag: nothing to resolve. */
	lpel_prep_nop(&s);
	fixed_op(_metadata, &self->ring, &s, 0, 0, "nop");
}

/* Nothing may have been written into dst: still all 0xd5. */
static void dst_untouched(struct __test_metadata *_metadata, const uint8_t *p,
			  size_t len, const char *what)
{
	ASSERT_EQ(len, pel_test_first_not(p, 0xd5, len)) TH_LOG("%s wrote", what);
}

TEST_F(rbuf, efault)
{
	uint64_t *list = (uint64_t *)self->misc;
	uint8_t *end = self->dst + AREA;
	struct pel_sqe s;

	memset(self->dst, 0xd5, AREA);
	/* Source outside every buffer (valid user memory). */
	lpel_prep_copy(&s, self->dst, self->outside, 100);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy from outside");
	/* Destination outside. */
	lpel_prep_copy(&s, self->outside, self->src, 100);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy to outside");
	ASSERT_EQ(SMALL, pel_test_first_not(self->outside, 0x77, SMALL));
	/* Straddling the end of dst. */
	lpel_prep_copy(&s, end - 100, self->src, 101);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy straddling dst end");
	lpel_prep_fill(&s, end - 4096, 1, 4097);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "fill straddling");
	/* Source straddling the end of src. */
	lpel_prep_copy(&s, self->dst, self->src + AREA - 10, 11);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy src straddling");
	lpel_prep_crc32c(&s, self->src + AREA - 10, 11, 0);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "crc straddling");
	/* DUALCAST's second destination outside. */
	lpel_prep_dualcast(&s, self->dst, self->outside, self->src, 64);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "dualcast arg0 outside");
	/* SHA256's digest straddling misc's end. */
	lpel_prep_sha256(&s, self->misc + SMALL - 16, self->src, 64);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "sha256 digest straddling");
	/* XOR: a source outside, a source straddling, the list outside. */
	list[0] = (uint64_t)(uintptr_t)self->src;
	list[1] = (uint64_t)(uintptr_t)self->outside;
	lpel_prep_xor(&s, self->dst, (const void *const *)list, 2, 64);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "xor source outside");
	list[1] = (uint64_t)(uintptr_t)(self->src + AREA - 32);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "xor source straddling");
	memcpy(self->outside, list, 16);
	lpel_prep_xor(&s, self->dst, (const void *const *)self->outside, 2, 16);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "xor list outside");
	/* A kernel address: outside too. */
	lpel_prep_copy(&s, self->dst, (void *)(uintptr_t)PEL_TEST_KERNEL_ADDR, 8);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "kernel address");
	dst_untouched(_metadata, self->dst, AREA, "an -EFAULT op");
}

/* Two adjacent buffers from one mapping: a range over both is outside. */
TEST(adjacent)
{
	struct lpel_ring ring;
	struct pel_sqe s;
	uint8_t *p = map_area(2 * SMALL);
	struct iovec iov[2];

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, lpel_init(&ring, 8));
	memset(p, 1, 2 * SMALL);
	iov[0] = (struct iovec){ p, SMALL };
	iov[1] = (struct iovec){ p + SMALL, SMALL };
	ASSERT_EQ(0, lpel_register_buffers(&ring, iov, 2));
	lpel_prep_fill(&s, p + SMALL - 8, 0, 16);
	fixed_op(_metadata, &ring, &s, -EFAULT, 0, "fill over two buffers");
	ASSERT_EQ(2 * SMALL, pel_test_first_not(p, 1, 2 * SMALL));
	lpel_prep_fill(&s, p + SMALL, 0, SMALL);
	fixed_op(_metadata, &ring, &s, SMALL, SMALL, "fill second buffer");
	lpel_prep_fill(&s, p, 0, SMALL);
	fixed_op(_metadata, &ring, &s, SMALL, SMALL, "fill first buffer");
	ASSERT_EQ(2 * SMALL, pel_test_first_not(p, 0, 2 * SMALL));
	ASSERT_EQ(0, lpel_unregister_buffers(&ring));
	lpel_exit(&ring);
	munmap(p, 2 * SMALL);
}

TEST(no_table)
{
	struct lpel_ring ring;
	uint8_t a[64], b[64];
	struct pel_sqe s;

	ASSERT_EQ(0, lpel_init(&ring, 8));
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	lpel_prep_copy(&s, a, b, sizeof(a));
	fixed_op(_metadata, &ring, &s, -EFAULT, 0, "copy, none registered");
	ASSERT_EQ(1, a[0]);
	lpel_prep_nop(&s);
	fixed_op(_metadata, &ring, &s, -EFAULT, 0, "nop, none registered");
	ASSERT_EQ(-ENXIO, lpel_unregister_buffers(&ring));
	/* The same op without the flag still works. */
	lpel_prep_copy(&s, a, b, sizeof(a));
	pel_test_expect_op(_metadata, &ring, &s, 64, 64, "plain copy");
	lpel_exit(&ring);
}

TEST(bad_args)
{
	struct lpel_ring ring;
	uint8_t *p = map_area(2 * SMALL), *hole;
	struct pel_buf bufs[PEL_MAX_BUFFERS + 1];
	struct pel_buffers req;
	struct pel_ctx_stats st;
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, lpel_init(&ring, 8));
	for (i = 0; i <= PEL_MAX_BUFFERS; i++)
		bufs[i] = (struct pel_buf){ (uint64_t)(uintptr_t)p + i, 1 };

	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 0));
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, PEL_MAX_BUFFERS + 1));
	/* The struct's reserved fields, and its array: the ioctl's own. */
	if (!pel_test_user_backend()) {
		memset(&req, 0, sizeof(req));
		req.nr = 1;
		req.bufs = (uint64_t)(uintptr_t)bufs;
		req.resv0 = 1;
		EXPECT_EQ(-1, ioctl(ring.fd, PEL_IOC_REGISTER_BUFFERS, &req));
		EXPECT_EQ(EINVAL, errno);
		req.resv0 = 0;
		req.resv[1] = 1;
		EXPECT_EQ(-1, ioctl(ring.fd, PEL_IOC_REGISTER_BUFFERS, &req));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-EFAULT, reg_raw(ring.fd, (void *)(uintptr_t)8, 1));
	}

	bufs[0] = (struct pel_buf){ (uint64_t)(uintptr_t)p, 0 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 1)) TH_LOG("len 0");
	bufs[0] = (struct pel_buf){ ~0ULL - 100, 4096 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 1)) TH_LOG("wrap");
	bufs[0] = (struct pel_buf){ (uint64_t)(uintptr_t)p, (1ULL << 30) + 1 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 1)) TH_LOG("over 1 GiB");
	bufs[0] = (struct pel_buf){ PEL_TEST_KERNEL_ADDR, 4096 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 1)) TH_LOG("kernel address");
	/* Overlapping, in either order; one bad among good ones. */
	bufs[0] = (struct pel_buf){ (uint64_t)(uintptr_t)p + 100, 200 };
	bufs[1] = (struct pel_buf){ (uint64_t)(uintptr_t)p, 101 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 2)) TH_LOG("overlap");
	bufs[1] = (struct pel_buf){ (uint64_t)(uintptr_t)p, 100 };
	bufs[2] = (struct pel_buf){ (uint64_t)(uintptr_t)p + SMALL, 0 };
	EXPECT_EQ(-EINVAL, reg_any(&ring, bufs, 3)) TH_LOG("third len 0");

	/* Memory that cannot be pinned: unmapped, then a hole in the middle. */
	hole = map_area(3 * pg);
	ASSERT_NE(NULL, hole);
	munmap(hole + pg, pg);
	bufs[0] = (struct pel_buf){ (uint64_t)(uintptr_t)p, SMALL };
	bufs[1] = (struct pel_buf){ (uint64_t)(uintptr_t)hole, 3 * pg };
	EXPECT_EQ(-EFAULT, reg_any(&ring, bufs, 2)) TH_LOG("hole");
	munmap(hole, pg);
	munmap(hole + 2 * pg, pg);

	/* Nothing stuck: none registered, and a good table goes in. */
	if (!pel_test_user_backend()) {
		ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
		EXPECT_EQ(0, st.nr_buffers);
		EXPECT_EQ(0, st.buffer_bytes);
	}
	EXPECT_EQ(-ENXIO, unreg_any(&ring));
	bufs[0] = (struct pel_buf){ (uint64_t)(uintptr_t)p, SMALL };
	bufs[1] = (struct pel_buf){ (uint64_t)(uintptr_t)p + SMALL, SMALL };
	EXPECT_EQ(0, reg_any(&ring, bufs, 2));
	/* Twice: -EBUSY, the first stays. */
	EXPECT_EQ(-EBUSY, reg_any(&ring, bufs, 1));
	if (!pel_test_user_backend()) {
		ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
		EXPECT_EQ(2, st.nr_buffers);
	}
	EXPECT_EQ(0, unreg_any(&ring));
	EXPECT_EQ(-ENXIO, unreg_any(&ring));
	lpel_exit(&ring);
	munmap(p, 2 * SMALL);
}

TEST(max_buffers)
{
	struct pel_buf *bufs = calloc(PEL_MAX_BUFFERS, sizeof(*bufs));
	uint8_t *p = map_area(PEL_MAX_BUFFERS * 4096UL);
	struct lpel_ring ring;
	struct pel_ctx_stats st;
	struct pel_sqe s;
	unsigned int i;

	PEL_TEST_KERNEL_ONLY("raw ioctls, context stats");

	ASSERT_TRUE(bufs && p);
	ASSERT_EQ(0, lpel_init(&ring, 8));
	/* Registered out of order: the kernel sorts them. */
	for (i = 0; i < PEL_MAX_BUFFERS; i++)
		bufs[i] = (struct pel_buf){
			(uint64_t)(uintptr_t)p +
				(uint64_t)(PEL_MAX_BUFFERS - 1 - i) * 4096 + 8, 4000 };
	ASSERT_EQ(0, reg_raw(ring.fd, bufs, PEL_MAX_BUFFERS));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
	EXPECT_EQ(PEL_MAX_BUFFERS, st.nr_buffers);
	EXPECT_EQ(PEL_MAX_BUFFERS * 4000ULL, st.buffer_bytes);
	for (i = 0; i < PEL_MAX_BUFFERS; i += 97) {
		uint8_t *b = p + (size_t)i * 4096;

		lpel_prep_fill(&s, b + 8, i, 4000);
		fixed_op(_metadata, &ring, &s, 4000, 4000, "fill one");
		lpel_prep_fill(&s, b + 7, i, 8);
		fixed_op(_metadata, &ring, &s, -EFAULT, 0, "fill before one");
		lpel_prep_fill(&s, b + 4001, i, 8);
		fixed_op(_metadata, &ring, &s, -EFAULT, 0, "fill after one");
	}
	ASSERT_EQ(0, lpel_unregister_buffers(&ring));
	lpel_exit(&ring);
	munmap(p, PEL_MAX_BUFFERS * 4096UL);
	free(bufs);
}

TEST(stats)
{
	struct lpel_ring ring;
	struct pel_ctx_stats st;
	unsigned long long bytes;
	uint8_t *p = map_area(3 * SMALL);
	struct iovec iov[2];
	unsigned int nr;

	PEL_TEST_KERNEL_ONLY("context stats");

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, lpel_init(&ring, 8));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
	EXPECT_EQ(0, st.nr_buffers);
	ASSERT_EQ(0, fdinfo_buffers(ring.fd, &nr, &bytes));
	EXPECT_EQ(0, nr);
	iov[0] = (struct iovec){ p + 1, 1000 };
	iov[1] = (struct iovec){ p + SMALL, 2 * SMALL };
	ASSERT_EQ(0, lpel_register_buffers(&ring, iov, 2));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
	EXPECT_EQ(2, st.nr_buffers);
	EXPECT_EQ(1000 + 2 * SMALL, st.buffer_bytes);
	EXPECT_EQ(0, st.nr_files);
	ASSERT_EQ(0, fdinfo_buffers(ring.fd, &nr, &bytes));
	EXPECT_EQ(2, nr);
	EXPECT_EQ(1000 + 2 * SMALL, bytes);
	ASSERT_EQ(0, lpel_unregister_buffers(&ring));
	ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
	EXPECT_EQ(0, st.nr_buffers);
	EXPECT_EQ(0, st.buffer_bytes);
	lpel_exit(&ring);
	munmap(p, 3 * SMALL);
}

/*
 * Unregister with large FIXED ops in flight.  An op holds the table from
 * the moment a worker takes it (prep), not from lpel_submit(): the first
 * op, seen running before the unregister, must complete with the right
 * bytes; each later one either had been taken (the right bytes) or not
 * (-EFAULT, nothing written).  Later FIXED ops get -EFAULT.
 */
TEST_F(rbuf, unregister_in_flight)
{
	const unsigned int n = 8;
	const size_t len = AREA / 8;
	volatile uint8_t *first = self->dst;
	unsigned int i, got, ok = 0;
	struct pel_ctx_stats st;
	struct pel_cqe *cqe;
	struct pel_sqe *sqe, s;
	struct iovec iov;
	uint64_t t0;

	memset(self->dst, 0xd5, AREA);
	for (i = 0; i < n; i++) {
		sqe = lpel_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, self->dst + i * len, self->src + i * len, len);
		lpel_sqe_set_fixed(sqe);
		lpel_sqe_set_data(sqe, i);
	}
	self->src[0] = 0xd5 ^ 0xff;	/* so that the first byte shows a start */
	ASSERT_EQ((int)n, lpel_submit(&self->ring));
	t0 = pel_test_now_ns();
	while (pel_test_peek(first) == 0xd5 && pel_test_now_ns() - t0 < WAIT_NS)
		sched_yield();
	ASSERT_EQ(0, lpel_unregister_buffers(&self->ring));
	for (got = 0; got < n; got++) {
		uint64_t k;

		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, WAIT_NS));
		k = cqe->user_data;
		ASSERT_LT(k, n);
		if (cqe->res == (int)len) {
			ok++;
			EXPECT_EQ(0, memcmp(self->dst + k * len,
					    self->src + k * len, len))
				TH_LOG("op %llu: bytes differ", (unsigned long long)k);
		} else {
			EXPECT_NE(0, k) TH_LOG("the running op failed: %d", cqe->res);
			EXPECT_EQ(-EFAULT, cqe->res);
			EXPECT_EQ(len, pel_test_first_not(self->dst + k * len,
							  0xd5, len));
		}
		lpel_cqe_seen(&self->ring, cqe);
	}
	TH_LOG("%u of %u ops had taken the table before the unregister", ok, n);
	/* The user backend has no context stats. */
	if (!pel_test_user_backend()) {
		ASSERT_EQ(0, pel_test_own_ctx_stats(&st));
		EXPECT_EQ(0, st.nr_buffers);
	}
	lpel_prep_copy(&s, self->dst, self->src, 64);
	fixed_op(_metadata, &self->ring, &s, -EFAULT, 0, "copy after unregister");
	ASSERT_EQ(-ENXIO, lpel_unregister_buffers(&self->ring));
	/* And the same memory registers again. */
	iov = (struct iovec){ self->src, AREA };
	ASSERT_EQ(0, lpel_register_buffers(&self->ring, &iov, 1));
}

/*
 * Close with FIXED ops in flight: they end (done or -ECANCELED), the table
 * is freed by the last of them; nothing to see here but the kernel log.
 */
TEST_F(rbuf, close_in_flight)
{
	struct pel_sqe *sqe;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		sqe = lpel_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, self->dst + i * (AREA / 16),
			       self->src + i * (AREA / 16), AREA / 16);
		lpel_sqe_set_fixed(sqe);
	}
	ASSERT_EQ(16, lpel_submit(&self->ring));
	ASSERT_EQ(0, lpel_unregister_buffers(&self->ring));
	lpel_exit(&self->ring);
	ASSERT_EQ(0, lpel_init(&self->ring, 64));
}

/*
 * munmap() of a registered range: the pins keep the pages.  An op on the
 * range still completes, on the pinned pages (a PEL_SQE_FIXED op runs on
 * kernel addresses only): it reads the bytes that were there at munmap.
 * Unregistering afterwards frees the pages.
 */
TEST_F(rbuf, munmap_registered)
{
	uint8_t *p = map_area(MIB), *save = malloc(MIB);
	struct iovec iov;
	struct pel_sqe s;
	struct pel_cqe cqe;
	struct lpel_ring r2;

	PEL_TEST_KERNEL_ONLY("pinned pages outlive munmap");

	ASSERT_TRUE(p && save);
	ASSERT_EQ(0, lpel_init(&r2, 8));
	pel_test_fill_random(p, MIB, 7);
	memcpy(save, p, MIB);
	iov = (struct iovec){ p, MIB };
	ASSERT_EQ(0, lpel_register_buffers(&r2, &iov, 1));
	ASSERT_EQ(0, munmap(p, MIB));

	lpel_prep_crc32c(&s, p, MIB, 0);
	lpel_sqe_set_fixed(&s);
	pel_test_run_sqe(_metadata, &r2, &s, &cqe, "crc32c of unmapped range");
	EXPECT_EQ(MIB, cqe.res);
	EXPECT_EQ(pel_ref_crc32c(0, save, MIB), cqe.result);
	ASSERT_EQ(0, lpel_unregister_buffers(&r2));
	lpel_exit(&r2);
	free(save);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* VmPin of /proc/self/status, in kB; -1 if absent. */
static long vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * As a fresh uid, so without CAP_IPC_LOCK (setresuid() from root drops
 * the capabilities) and with nothing charged yet: pins are charged to RLIMIT_MEMLOCK,
 * past it -ENOMEM, and unregister and close give the charge back.
 */
static int memlock_child(void)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	struct lpel_ring a, b;
	uint8_t *p = map_area(256 * 1024);
	struct iovec iov;

	/* Opened as root (/dev/pel may be root's only), then the uid goes. */
	if (lpel_init(&a, 8) || lpel_init(&b, 8))
		return 11;
	if (setgroups(0, NULL) || setresgid(4343, 4343, 4343) ||
	    setresuid(4343, 4343, 4343))
		return 250;
	if (!p || setrlimit(RLIMIT_MEMLOCK, &rl))
		return 10;
	iov = (struct iovec){ p, 128 * 1024 };
	if (lpel_register_buffers(&a, &iov, 1) != -ENOMEM)
		return 12;
	iov = (struct iovec){ p, 48 * 1024 };
	if (lpel_register_buffers(&a, &iov, 1))
		return 13;
	if (vm_pin_kb() != 48)
		return 14;
	/* 48 + 32 KiB over the two contexts: past the limit. */
	iov = (struct iovec){ p + 128 * 1024, 32 * 1024 };
	if (lpel_register_buffers(&b, &iov, 1) != -ENOMEM)
		return 15;
	/* Page granular: 1 byte on each side of a page boundary is 2 pages. */
	iov = (struct iovec){ p + 128 * 1024 + 4095, 2 };
	if (lpel_register_buffers(&b, &iov, 1))
		return 16;
	if (vm_pin_kb() != 56)
		return 17;
	if (lpel_unregister_buffers(&b) || lpel_unregister_buffers(&a))
		return 18;
	if (vm_pin_kb() != 0)
		return 19;
	/* The charge came back: the whole limit fits now. */
	iov = (struct iovec){ p + 128 * 1024, 64 * 1024 };
	if (lpel_register_buffers(&b, &iov, 1))
		return 20;
	lpel_exit(&b);		/* close gives it back too */
	iov = (struct iovec){ p, 64 * 1024 };
	if (lpel_register_buffers(&a, &iov, 1))
		return 21;
	lpel_exit(&a);
	return 0;
}

TEST(memlock)
{
	pid_t pid;

	PEL_TEST_KERNEL_ONLY("RLIMIT_MEMLOCK charges of pinned pages");

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(memlock_child());
	ASSERT_EQ(0, wait_child(pid));
}

/* The context is its owner's: a forked child may not (un)register. */
TEST_F(rbuf, fork_child)
{
	struct pel_buf b = { (uint64_t)(uintptr_t)self->outside, SMALL };
	pid_t pid;

	PEL_TEST_KERNEL_ONLY("raw ioctls on the ring fd");

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (reg_raw(self->ring.fd, &b, 1) != -EPERM)
			_exit(1);
		if (unreg_raw(self->ring.fd) != -EPERM)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	/* The parent's table is still there. */
	ASSERT_EQ(-EBUSY, reg_raw(self->ring.fd, &b, 1));
}

TEST_HARNESS_MAIN
