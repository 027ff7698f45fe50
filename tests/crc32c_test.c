// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C and COPY_CRC32C against ISA-L's CRC-32C (pel_ref_crc32c(): the
 * Castagnoli polynomial, reflected 0x82f63b78, pre- and post-inverted),
 * itself checked first against published check values and a bitwise CRC:
 * every length and alignment, seeds that continue a CRC, faults.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

static const size_t lens[] = { 0, 1, 7, 8, 4095, 4096, 4097, 65536, 65537, (1 << 20) + 3 };

PEL_TEST_RING_FIXTURE(32)

static int crc_one(struct lpel_ring *ring, void *dst, const void *src,
		   uint64_t len, uint32_t seed, struct pel_cqe *cqe)
{
	struct pel_sqe *sqe = lpel_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	if (dst)
		lpel_prep_copy_crc32c(sqe, dst, src, len, seed);
	else
		lpel_prep_crc32c(sqe, src, len, seed);
	lpel_sqe_set_data(sqe, len + 3);
	return pel_test_run_one(ring, sqe, cqe);
}

/* Bit by bit, as the polynomial says: independent of ISA-L. */
static uint32_t crc32c_bitwise(uint32_t seed, const uint8_t *p, size_t len)
{
	uint32_t crc = ~seed;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & -(crc & 1));
	}
	return ~crc;
}

/* The reference itself: check values, RFC 3720's vectors, pieces, bits. */
TEST(reference_self_test)
{
	uint8_t v[32], *buf = malloc(65536 + 8);
	size_t rlens[] = { 0, 1, 3, 8, 31, 4097, 65536 }, i, a;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0xe3069283U, pel_ref_crc32c(0, "123456789", 9));
	EXPECT_EQ(0xe3069283U, crc32c_bitwise(0, (const uint8_t *)"123456789", 9));
	/* Continued from the CRC of the first piece. */
	EXPECT_EQ(0xe3069283U, pel_ref_crc32c(pel_ref_crc32c(0, "1234", 4), "56789", 5));
	EXPECT_EQ(0U, pel_ref_crc32c(0, "", 0));
	EXPECT_EQ(0x12345678U, pel_ref_crc32c(0x12345678U, "", 0));
	/* RFC 3720, B.4. */
	memset(v, 0, sizeof(v));
	EXPECT_EQ(0x8a9136aaU, pel_ref_crc32c(0, v, 32));
	memset(v, 0xff, sizeof(v));
	EXPECT_EQ(0x62a8ab43U, pel_ref_crc32c(0, v, 32));
	for (i = 0; i < 32; i++)
		v[i] = (uint8_t)i;
	EXPECT_EQ(0x46dd794eU, pel_ref_crc32c(0, v, 32));
	for (i = 0; i < 32; i++)
		v[i] = (uint8_t)(31 - i);
	EXPECT_EQ(0x113fdb5cU, pel_ref_crc32c(0, v, 32));
	/* Lengths, alignments and a seed against the bitwise CRC. */
	pel_test_pattern(buf, 65536 + 8, 7);
	for (a = 0; a < 8; a += 3) {
		for (i = 0; i < ARRAY_SIZE(rlens); i++) {
			size_t len = rlens[i];

			EXPECT_EQ(crc32c_bitwise(0xdeadbeefU, buf + a, len),
				  pel_ref_crc32c(0xdeadbeefU, buf + a, len))
				TH_LOG("len %zu align %zu", len, a);
		}
	}
	free(buf);
}

TEST_F(ring, known_answer)
{
	struct pel_cqe cqe;

	/* The check value of CRC-32C. */
	ASSERT_EQ(0, crc_one(&self->ring, NULL, "123456789", 9, 0, &cqe));
	EXPECT_EQ(9, cqe.res);
	EXPECT_EQ(0xe3069283U, cqe.result);
	ASSERT_EQ(0xe3069283U, pel_ref_crc32c(0, "123456789", 9));
	/* 32 bytes of zeros (RFC 3720, B.4). */
	ASSERT_EQ(0, crc_one(&self->ring, NULL, (uint8_t[32]){ 0 }, 32, 0, &cqe));
	EXPECT_EQ(0x8a9136aaU, cqe.result);
}

TEST_F(ring, lengths_and_alignments)
{
	size_t max = (1 << 20) + 3 + 16, i, a;
	uint8_t *buf = malloc(max);
	struct pel_cqe cqe;

	ASSERT_NE(NULL, buf);
	pel_test_pattern(buf, max, 42);
	for (a = 0; a < 8; a += 3) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			ASSERT_EQ(0, crc_one(&self->ring, NULL, buf + a, lens[i], 0, &cqe));
			EXPECT_EQ(lens[i] + 3, cqe.user_data);
			EXPECT_EQ((int)lens[i], cqe.res);
			EXPECT_EQ(pel_ref_crc32c(0, buf + a, lens[i]), cqe.result)
				TH_LOG("len %zu align %zu", lens[i], a);
		}
	}
	free(buf);
}

/* A CRC over pieces, each seeded with the last result, is the whole CRC. */
TEST_F(ring, seed_continues)
{
	size_t len = 300000, cut[] = { 0, 1, 4096, 65536, 123457, 300000 };
	uint8_t *buf = malloc(len);
	uint32_t whole, crc;
	struct pel_cqe cqe;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	pel_test_pattern(buf, len, 7);
	whole = pel_ref_crc32c(0, buf, len);
	crc = 0;
	for (i = 0; i + 1 < sizeof(cut) / sizeof(cut[0]); i++) {
		ASSERT_EQ(0, crc_one(&self->ring, NULL, buf + cut[i],
				     cut[i + 1] - cut[i], crc, &cqe));
		EXPECT_EQ(pel_ref_crc32c(crc, buf + cut[i], cut[i + 1] - cut[i]), cqe.result);
		crc = cqe.result;
	}
	EXPECT_EQ(whole, crc);
	/* An arbitrary seed matches the reference too. */
	ASSERT_EQ(0, crc_one(&self->ring, NULL, buf, 1000, 0xdeadbeef, &cqe));
	EXPECT_EQ(pel_ref_crc32c(0xdeadbeef, buf, 1000), cqe.result);
	free(buf);
}

TEST_F(ring, copy_crc32c)
{
	size_t max = (1 << 20) + 3 + 16, i;
	uint8_t *src = malloc(max), *dst = malloc(max + 64);
	struct pel_cqe cqe;

	ASSERT_TRUE(src && dst);
	pel_test_pattern(src, max, 5);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t so = i % 5, doff = (i * 3) % 7;

		memset(dst, 0xee, max + 64);
		ASSERT_EQ(0, crc_one(&self->ring, dst + doff, src + so, lens[i],
				     0x1234, &cqe));
		EXPECT_EQ((int)lens[i], cqe.res);
		EXPECT_EQ(pel_ref_crc32c(0x1234, src + so, lens[i]), cqe.result)
			TH_LOG("len %zu", lens[i]);
		EXPECT_EQ(0, memcmp(dst + doff, src + so, lens[i]));
		EXPECT_EQ(0xee, dst[doff + lens[i]]);
		if (doff)
			EXPECT_EQ(0xee, dst[doff - 1]);
	}
	free(src);
	free(dst);
}

/* Holes at the start, middle and end: -EFAULT and the bytes done. */
TEST_F(ring, faults)
{
	long pg = sysconf(_SC_PAGESIZE);
	static const int holes[] = { 0, 4, 7 };
	size_t len = 8 * pg;
	uint8_t *dst = malloc(len);
	unsigned int h;

	ASSERT_NE(NULL, dst);
	for (h = 0; h < 3; h++) {
		size_t hole = holes[h] * pg;
		uint8_t *src = pel_test_holey_buffer(len, hole);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, src);
		ASSERT_EQ(0, crc_one(&self->ring, NULL, src, len, 0, &cqe));
		EXPECT_EQ(-EFAULT, cqe.res);
		EXPECT_EQ(hole, cqe.result) TH_LOG("crc, hole at page %d", holes[h]);

		memset(dst, 0, len);
		ASSERT_EQ(0, crc_one(&self->ring, dst, src, len, 0, &cqe));
		EXPECT_EQ(-EFAULT, cqe.res);
		EXPECT_EQ(hole, cqe.result) TH_LOG("copy_crc, hole at page %d", holes[h]);
		EXPECT_EQ(0, memcmp(dst, src, hole));
		EXPECT_EQ(0, dst[hole]);

		/* the destination faulting instead */
		ASSERT_EQ(0, crc_one(&self->ring, src, dst, len, 0, &cqe));
		EXPECT_EQ(-EFAULT, cqe.res);
		EXPECT_EQ(hole, cqe.result);
		munmap(src, len);
	}
	free(dst);
}

TEST_F(ring, bad_arguments)
{
	uint8_t buf[64] = { 0 };
	struct pel_sqe *sqe;
	struct pel_cqe cqe;

	ASSERT_EQ(0, crc_one(&self->ring, NULL, (void *)PEL_TEST_KERNEL_ADDR, 64, 0, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(0, cqe.result);
	ASSERT_EQ(0, crc_one(&self->ring, (void *)PEL_TEST_KERNEL_ADDR, buf, 64, 0, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	ASSERT_EQ(0, crc_one(&self->ring, NULL, (void *)(~0ULL - 8), 64, 0, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);

	/* seeds are 32 bits */
	sqe = lpel_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_crc32c(sqe, buf, sizeof(buf), 0);
	sqe->arg0 = 1ULL << 32;
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	/* CRC32C writes nothing: a destination is refused */
	sqe = lpel_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_crc32c(sqe, buf, sizeof(buf), 0);
	sqe->addr = (uintptr_t)buf;
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
}

TEST_HARNESS_MAIN
