// SPDX-License-Identifier: GPL-2.0
/*
 * FILL: the 64-bit pattern repeated in little-endian byte order from the
 * first byte of the destination, any length and alignment; nothing outside
 * the destination changes; faults report the bytes written before them.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64

static const size_t lens[] = { 0, 1, 7, 8, 9, 4095, 4096, 4097, 65537, (1 << 20) + 3 };
static const uint64_t patterns[] = {
	0, 0xffffffffffffffffULL, 0x0123456789abcdefULL, 0x00000000000000a5ULL,
};

PEL_TEST_RING_FIXTURE(32)

static int fill_one(struct lpel_ring *ring, void *dst, uint64_t pattern,
		    uint64_t len, struct pel_cqe *cqe)
{
	struct pel_sqe *sqe = lpel_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	lpel_prep_fill(sqe, dst, pattern, len);
	lpel_sqe_set_data(sqe, pattern ^ len);
	return pel_test_run_one(ring, sqe, cqe);
}

/* The reference: byte i of the fill is byte i % 8 of the pattern, LSB first. */
static void ref_fill(uint8_t *dst, uint64_t pattern, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (uint8_t)(pattern >> (8 * (i % 8)));
}

static void check_fill(struct __test_metadata *_metadata,
		       struct lpel_ring *ring, size_t len, size_t off,
		       uint64_t pattern)
{
	size_t size = len + 2 * GUARD + 8;
	uint8_t *buf = malloc(size), *ref = malloc(size);
	struct pel_cqe cqe;

	ASSERT_TRUE(buf && ref);
	pel_test_pattern(buf, size, (uint32_t)(len + off));
	memcpy(ref, buf, size);
	ref_fill(ref + GUARD + off, pattern, len);

	ASSERT_EQ(0, fill_one(ring, buf + GUARD + off, pattern, len, &cqe));
	EXPECT_EQ(pattern ^ len, cqe.user_data);
	EXPECT_EQ((int)len, cqe.res);
	EXPECT_EQ(len, cqe.result);
	EXPECT_EQ(0, memcmp(buf, ref, size))
		TH_LOG("len %zu off %zu pattern %#llx", len, off,
		       (unsigned long long)pattern);
	free(buf);
	free(ref);
}

TEST_F(ring, lengths_and_patterns)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (j = 0; j < sizeof(patterns) / sizeof(patterns[0]); j++)
			check_fill(_metadata, &self->ring, lens[i], 0, patterns[j]);
}

TEST_F(ring, misaligned)
{
	static const size_t offs[] = { 1, 3, 5, 7 };
	unsigned int i, j;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			check_fill(_metadata, &self->ring, lens[j], offs[i],
				   0x1122334455667788ULL);
}

/* A hole at the start, the middle and the end of an 8-page buffer. */
TEST_F(ring, faults)
{
	long pg = sysconf(_SC_PAGESIZE);
	static const int holes[] = { 0, 4, 7 };
	size_t len = 8 * pg, i;
	unsigned int h;

	for (h = 0; h < 3; h++) {
		size_t hole = holes[h] * pg;
		uint8_t *buf = pel_test_holey_buffer(len, hole);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, buf);
		ASSERT_EQ(0, fill_one(&self->ring, buf, 0xabababababababab, len, &cqe));
		EXPECT_EQ(-EFAULT, cqe.res);
		EXPECT_EQ(hole, cqe.result) TH_LOG("hole at page %d", holes[h]);
		for (i = 0; i < hole; i++)
			ASSERT_EQ(0xab, buf[i]);
		for (i = hole + pg; i < len; i++)
			ASSERT_EQ(0x5a, buf[i]) TH_LOG("byte %zu written after the fault", i);
		munmap(buf, len);
	}
}

TEST_F(ring, bad_addresses)
{
	struct pel_cqe cqe;

	ASSERT_EQ(0, fill_one(&self->ring, (void *)PEL_TEST_KERNEL_ADDR, 1, 64, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(0, cqe.result);
	ASSERT_EQ(0, fill_one(&self->ring, NULL, 1, 64, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	ASSERT_EQ(0, fill_one(&self->ring, (void *)~0ULL, 1, 2, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, fill_one(&self->ring, &cqe, 1, PEL_MAX_OP_LEN + 1, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
}

TEST_F(ring, source_must_be_zero)
{
	struct pel_sqe *sqe = lpel_get_sqe(&self->ring);
	uint8_t buf[8];
	struct pel_cqe cqe;

	ASSERT_NE(NULL, sqe);
	lpel_prep_fill(sqe, buf, 0, sizeof(buf));
	sqe->addr2 = (uintptr_t)buf;
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
}

TEST_HARNESS_MAIN
