// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: the bytes land exactly (any length, any alignment), nothing outside
 * the destination changes, and bad addresses give -EFAULT with the count of
 * bytes done, never a copy of kernel memory.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64

PEL_TEST_RING_FIXTURE(32)

static int copy_one(struct lpel_ring *ring, void *dst, const void *src,
		    uint64_t len, struct pel_cqe *cqe)
{
	struct pel_sqe *sqe = lpel_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	lpel_prep_copy(sqe, dst, src, len);
	lpel_sqe_set_data(sqe, len ^ 0xc0ffee);
	return pel_test_run_one(ring, sqe, cqe);
}

/* Copy len bytes between offsets, check the bytes and the guard zones. */
static void check_copy(struct __test_metadata *_metadata,
		       struct lpel_ring *ring, size_t len,
		       size_t src_off, size_t dst_off)
{
	size_t size = len + 2 * GUARD + 64;
	uint8_t *src = malloc(size), *dst = malloc(size), *ref = malloc(size);
	struct pel_cqe cqe;

	ASSERT_TRUE(src && dst && ref);
	pel_test_pattern(src, size, (uint32_t)len);
	pel_test_pattern(dst, size, (uint32_t)len + 1);
	memcpy(ref, dst, size);
	memcpy(ref + GUARD + dst_off, src + GUARD + src_off, len);

	ASSERT_EQ(0, copy_one(ring, dst + GUARD + dst_off,
			      src + GUARD + src_off, len, &cqe));
	EXPECT_EQ(len ^ 0xc0ffee, cqe.user_data);
	EXPECT_EQ((int)len, cqe.res) TH_LOG("len %zu: res %d", len, cqe.res);
	EXPECT_EQ(len, cqe.result);
	EXPECT_EQ(0, memcmp(dst, ref, size))
		TH_LOG("len %zu src+%zu dst+%zu: bytes differ", len, src_off, dst_off);
	free(src);
	free(dst);
	free(ref);
}

TEST_F(ring, lengths)
{
	static const size_t lens[] = {
		0, 1, 7, 8, 63, 64, 4095, 4096, 4097, 65535, 65536, 65537,
		1 << 20, (1 << 20) + 3,
	};
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_copy(_metadata, &self->ring, lens[i], 0, 0);
}

TEST_F(ring, misaligned)
{
	static const size_t offs[][2] = {
		{ 1, 0 }, { 0, 1 }, { 1, 1 }, { 3, 7 }, { 7, 3 }, { 13, 62 },
	};
	static const size_t lens[] = { 1, 4095, 4097, 100003 };
	unsigned int i, j;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			check_copy(_metadata, &self->ring, lens[j],
				   offs[i][0], offs[i][1]);
}

TEST_F(ring, kernel_source)
{
	uint8_t dst[256];
	struct pel_cqe cqe;

	memset(dst, 0xa5, sizeof(dst));
	ASSERT_EQ(0, copy_one(&self->ring, dst, (void *)PEL_TEST_KERNEL_ADDR,
			      sizeof(dst), &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(0, cqe.result);
	/* Not one byte of kernel memory arrived. */
	for (size_t i = 0; i < sizeof(dst); i++)
		ASSERT_EQ(0xa5, dst[i]);
}

TEST_F(ring, kernel_destination)
{
	uint8_t src[256];
	struct pel_cqe cqe;

	memset(src, 0x11, sizeof(src));
	ASSERT_EQ(0, copy_one(&self->ring, (void *)PEL_TEST_KERNEL_ADDR, src,
			      sizeof(src), &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(0, cqe.result);
}

TEST_F(ring, unmapped)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[512];
	struct pel_cqe cqe;

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	memset(buf, 0x3c, sizeof(buf));

	ASSERT_EQ(0, copy_one(&self->ring, buf, hole, sizeof(buf), &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(0, cqe.result);
	ASSERT_EQ(0, copy_one(&self->ring, hole, buf, sizeof(buf), &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	ASSERT_EQ(0, copy_one(&self->ring, NULL, buf, 1, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
}

/* A fault part-way: the bytes before it are copied and counted. */
TEST_F(ring, fault_in_the_middle)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg, hole = 5 * pg, i;
	uint8_t *src = pel_test_holey_buffer(len, hole);
	uint8_t *dst = malloc(len);
	struct pel_cqe cqe;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (i = 0; i < hole; i++)
		src[i] = (uint8_t)(i * 7);
	memset(dst, 0, len);

	ASSERT_EQ(0, copy_one(&self->ring, dst, src, len, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(hole, cqe.result);
	EXPECT_EQ(0, memcmp(dst, src, hole));
	for (i = hole; i < len; i++)
		ASSERT_EQ(0, dst[i]) TH_LOG("byte %zu written past the fault", i);

	/* And the destination faulting instead of the source. */
	memset(dst, 0x42, len);
	ASSERT_EQ(0, copy_one(&self->ring, src, dst, len, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(hole, cqe.result);
	for (i = 0; i < hole; i++)
		ASSERT_EQ(0x42, src[i]);
	munmap(src, len);
	free(dst);
}

TEST_F(ring, bad_ranges)
{
	uint8_t buf[16];
	struct pel_cqe cqe;

	/* wraps around the address space */
	ASSERT_EQ(0, copy_one(&self->ring, buf, (void *)~0ULL, 16, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, copy_one(&self->ring, (void *)(~0ULL - 4), buf, 16, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	/* longer than one op may be */
	ASSERT_EQ(0, copy_one(&self->ring, buf, buf, 1ULL << 32, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, copy_one(&self->ring, buf, buf, 1ULL << 63, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
}

/* Many copies in flight at once, spread over every queue. */
TEST_F(ring, batch_over_queues)
{
	const unsigned int nr = 64, len = 10000;
	uint8_t *src = malloc(nr * len), *dst = calloc(nr, len);
	unsigned int i, got = 0;
	struct pel_cqe *cqe;

	ASSERT_TRUE(src && dst);
	pel_test_pattern(src, nr * len, 99);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst + i * len, src + i * len, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	while (got < nr) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 20000000000ULL));
		EXPECT_EQ((int)len, cqe->res);
		lpel_cqe_seen(&self->ring, cqe);
		got++;
	}
	EXPECT_EQ(0, memcmp(src, dst, nr * len));
	free(src);
	free(dst);
}

/* Overlapping buffers: COPY behaves as memmove(), both directions. */
TEST_F(ring, overlap_is_memmove)
{
	static const long shifts[] = { 1, 7, 4096, 70000, -1, -9, -4096, -70000 };
	static const size_t lens[] = { 100, 65536, 200003 };
	size_t size = 512 * 1024, base = 100000;
	uint8_t *buf = malloc(size), *ref = malloc(size);
	unsigned int i, j;
	struct pel_cqe cqe;

	ASSERT_TRUE(buf && ref);
	for (i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			uint8_t *src = buf + base, *dst = src + shifts[i];

			pel_test_pattern(buf, size, i * 10 + j);
			memcpy(ref, buf, size);
			memmove(ref + base + shifts[i], ref + base, lens[j]);
			ASSERT_EQ(0, copy_one(&self->ring, dst, src, lens[j], &cqe));
			EXPECT_EQ((int)lens[j], cqe.res);
			EXPECT_EQ(0, memcmp(buf, ref, size))
				TH_LOG("shift %ld len %zu", shifts[i], lens[j]);
		}
	}
	free(buf);
	free(ref);
}

TEST_HARNESS_MAIN
