// SPDX-License-Identifier: GPL-2.0
/*
 * DUALCAST: the source lands exactly in both destinations (any length, any
 * alignment) and nothing around them changes; faults in the source or in
 * either destination give -EFAULT with the bytes done in both before it;
 * kernel addresses never leak; malformed SQEs give -EINVAL.
 */
#define PEL_TEST_USER_DATA_TAG	0xd0a1000000000000ULL
#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64
/* The kernel moves data in chunks of this many bytes (its bounce buffer). */
#define CHUNK (64 * 1024)

PEL_TEST_RING_FIXTURE(32)

static void expect_dualcast(struct __test_metadata *_metadata,
			    struct lpel_ring *ring, void *d1, void *d2,
			    const void *src, uint64_t len, int res,
			    uint64_t result, const char *what)
{
	struct pel_sqe s;

	lpel_prep_dualcast(&s, d1, d2, src, len);
	pel_test_expect_op(_metadata, ring, &s, res, result, what);
}

/*
 * len bytes from src + soff to d1 + off1 and d2 + off2, each inside random
 * guard bytes that must stay as they were; the source must not change.
 */
static void check_dualcast(struct __test_metadata *_metadata,
			   struct lpel_ring *ring, size_t len, size_t soff,
			   size_t off1, size_t off2)
{
	size_t size = len + 2 * GUARD + 8;
	uint8_t *src = malloc(size), *d1 = malloc(size), *d2 = malloc(size);
	uint8_t *snap = malloc(size), *ref1 = malloc(size), *ref2 = malloc(size);
	char what[128];

	ASSERT_TRUE(src && d1 && d2 && snap && ref1 && ref2);
	pel_test_fill_random(src, size, len * 3 + soff);
	pel_test_fill_random(d1, size, len * 3 + off1 + 100);
	pel_test_fill_random(d2, size, len * 3 + off2 + 200);
	memcpy(snap, src, size);
	memcpy(ref1, d1, size);
	memcpy(ref2, d2, size);
	memcpy(ref1 + GUARD + off1, src + GUARD + soff, len);
	memcpy(ref2 + GUARD + off2, src + GUARD + soff, len);

	snprintf(what, sizeof(what), "len %zu src+%zu d1+%zu d2+%zu",
		 len, soff, off1, off2);
	expect_dualcast(_metadata, ring, d1 + GUARD + off1, d2 + GUARD + off2,
			src + GUARD + soff, len, (int)len, len, what);
	ASSERT_EQ(size, pel_test_first_diff(d1, ref1, size))
		TH_LOG("%s: first destination wrong at %zd", what,
		       (ssize_t)pel_test_first_diff(d1, ref1, size) - GUARD - (ssize_t)off1);
	ASSERT_EQ(size, pel_test_first_diff(d2, ref2, size))
		TH_LOG("%s: second destination wrong at %zd", what,
		       (ssize_t)pel_test_first_diff(d2, ref2, size) - GUARD - (ssize_t)off2);
	ASSERT_EQ(0, memcmp(src, snap, size)) TH_LOG("%s: source changed", what);
	free(src);
	free(d1);
	free(d2);
	free(snap);
	free(ref1);
	free(ref2);
}

TEST_F(ring, lengths)
{
	static const size_t lens[] = {
		0, 1, 7, 8, 9, 63, 64, 4095, 4096, 4097, CHUNK - 1, CHUNK,
		CHUNK + 1, 100003, 1 << 20, (1 << 20) + 3,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		check_dualcast(_metadata, &self->ring, lens[i], 0, 0, 0);
}

TEST_F(ring, misaligned)
{
	static const size_t offs[][3] = {
		{ 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 3, 7 }, { 7, 3, 1 },
		{ 3, 7, 3 }, { 7, 7, 7 }, { 3, 1, 0 },
	};
	static const size_t lens[] = { 1, 7, 8, 9, 4095, 4097, CHUNK + 1, 100003 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++)
			check_dualcast(_metadata, &self->ring, lens[j], offs[i][0],
				       offs[i][1], offs[i][2]);
}

/* Both destinations the same buffer, or the source itself. */
TEST_F(ring, same_buffers)
{
	const size_t len = 100003;
	uint8_t *src = malloc(len), *dst = malloc(len), *snap = malloc(len);

	ASSERT_TRUE(src && dst && snap);
	pel_test_fill_random(src, len, 1);
	pel_test_fill_random(dst, len, 2);
	memcpy(snap, src, len);
	expect_dualcast(_metadata, &self->ring, dst, dst, src, len, len, len,
			"one destination twice");
	ASSERT_EQ(0, memcmp(dst, src, len));
	expect_dualcast(_metadata, &self->ring, src, dst, src, len, len, len,
			"first destination is the source");
	ASSERT_EQ(0, memcmp(src, snap, len));
	ASSERT_EQ(0, memcmp(dst, snap, len));
	pel_test_fill_random(dst, len, 3);
	expect_dualcast(_metadata, &self->ring, dst, src, src, len, len, len,
			"second destination is the source");
	ASSERT_EQ(0, memcmp(src, snap, len));
	ASSERT_EQ(0, memcmp(dst, snap, len));
	free(src);
	free(dst);
	free(snap);
}

/*
 * Faults: 8 pages with an inaccessible one at page 0, 4 or 7, as the source
 * or as either destination.  result is what both destinations hold.
 */
TEST_F(ring, faults)
{
	static const unsigned int holes[] = { 0, 4, 7 };
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg;
	uint8_t *src = malloc(len), *d1 = malloc(len), *d2 = malloc(len);
	unsigned int i;
	char what[128];

	ASSERT_TRUE(src && d1 && d2);
	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		size_t h = holes[i] * pg, at;
		uint8_t *hb = pel_test_holey_buffer(len, h);

		ASSERT_NE(NULL, hb);
#define CASE(fmt, ...) snprintf(what, sizeof(what), "hole at %zu: " fmt, h, ##__VA_ARGS__)
		/* Source: nothing read past the fault, so nothing written. */
		if (h)
			pel_test_fill_random(hb, h, i);
		if (h + pg < len)
			pel_test_fill_random(hb + h + pg, len - h - pg, i + 10);
		memset(d1, 0xee, len);
		memset(d2, 0xdd, len);
		CASE("holey source");
		expect_dualcast(_metadata, &self->ring, d1, d2, hb, len, -EFAULT, h, what);
		ASSERT_EQ(h, pel_test_first_diff(d1, hb, h)) TH_LOG("%s: d1 bytes", what);
		ASSERT_EQ(h, pel_test_first_diff(d2, hb, h)) TH_LOG("%s: d2 bytes", what);
		ASSERT_EQ(len - h, pel_test_first_not(d1 + h, 0xee, len - h))
			TH_LOG("%s: d1 written past the fault", what);
		ASSERT_EQ(len - h, pel_test_first_not(d2 + h, 0xdd, len - h))
			TH_LOG("%s: d2 written past the fault", what);

		memset(d1, 0xee, len);
		memset(d2, 0xdd, len);
		at = h ? h - 3 : 0;
		CASE("holey source +3, destinations +1 and +7");
		expect_dualcast(_metadata, &self->ring, d1 + 1, d2 + 7, hb + 3,
				len - 8, -EFAULT, at, what);
		ASSERT_EQ(at, pel_test_first_diff(d1 + 1, hb + 3, at)) TH_LOG("%s: d1", what);
		ASSERT_EQ(at, pel_test_first_diff(d2 + 7, hb + 3, at)) TH_LOG("%s: d2", what);
		ASSERT_EQ(len - 1 - at, pel_test_first_not(d1 + 1 + at, 0xee, len - 1 - at))
			TH_LOG("%s: d1 written past the fault", what);
		ASSERT_EQ(len - 7 - at, pel_test_first_not(d2 + 7 + at, 0xdd, len - 7 - at))
			TH_LOG("%s: d2 written past the fault", what);

		/* Up to the hole: all of it. */
		if (h) {
			CASE("source up to the hole");
			expect_dualcast(_metadata, &self->ring, d1, d2, hb, h, h, h, what);
			ASSERT_EQ(h, pel_test_first_diff(d1, hb, h));
			ASSERT_EQ(h, pel_test_first_diff(d2, hb, h));
		}
		munmap(hb, len);

		/* First destination. */
		hb = pel_test_holey_buffer(len, h);
		ASSERT_NE(NULL, hb);
		pel_test_fill_random(src, len, i + 20);
		memset(d2, 0xdd, len);
		CASE("holey first destination");
		expect_dualcast(_metadata, &self->ring, hb, d2, src, len, -EFAULT, h, what);
		ASSERT_EQ(h, pel_test_first_diff(hb, src, h)) TH_LOG("%s: d1 bytes", what);
		ASSERT_EQ(h, pel_test_first_diff(d2, src, h)) TH_LOG("%s: d2 bytes", what);
		if (h + pg < len)
			ASSERT_EQ(len - h - pg, pel_test_first_not(hb + h + pg, 0x5a, len - h - pg))
				TH_LOG("%s: d1 written past the hole", what);
		munmap(hb, len);

		/* Second destination. */
		hb = pel_test_holey_buffer(len, h);
		ASSERT_NE(NULL, hb);
		pel_test_fill_random(src, len, i + 30);
		memset(d1, 0xee, len);
		CASE("holey second destination");
		expect_dualcast(_metadata, &self->ring, d1, hb, src, len, -EFAULT, h, what);
		ASSERT_EQ(h, pel_test_first_diff(d1, src, h)) TH_LOG("%s: d1 bytes", what);
		ASSERT_EQ(h, pel_test_first_diff(hb, src, h)) TH_LOG("%s: d2 bytes", what);
		if (h + pg < len)
			ASSERT_EQ(len - h - pg, pel_test_first_not(hb + h + pg, 0x5a, len - h - pg))
				TH_LOG("%s: d2 written past the hole", what);

		/* Misaligned second destination. */
		at = h ? h - 5 : 0;
		CASE("holey second destination +5");
		expect_dualcast(_metadata, &self->ring, d1 + 3, hb + 5, src + 1,
				len - 5, -EFAULT, at, what);
		ASSERT_EQ(at, pel_test_first_diff(d1 + 3, src + 1, at)) TH_LOG("%s: d1", what);
		ASSERT_EQ(at, pel_test_first_diff(hb + 5, src + 1, at)) TH_LOG("%s: d2", what);
		munmap(hb, len);
#undef CASE
	}
	free(src);
	free(d1);
	free(d2);
}

/* A fault in a later chunk, and len = PEL_MAX_OP_LEN running into a hole. */
TEST_F(ring, fault_in_a_later_chunk_and_max_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 24 * pg, h = 20 * pg;
	uint8_t *hb = pel_test_holey_buffer(len, h);
	uint8_t *d1 = malloc(len), *d2 = malloc(len);

	ASSERT_NE(NULL, hb);
	ASSERT_TRUE(d1 && d2);
	pel_test_fill_random(hb, h, 5);
	memset(d1, 0xee, len);
	memset(d2, 0xdd, len);
	expect_dualcast(_metadata, &self->ring, d1, d2, hb, len, -EFAULT, h,
			"source hole at page 20");
	ASSERT_EQ(h, pel_test_first_diff(d1, hb, h));
	ASSERT_EQ(h, pel_test_first_diff(d2, hb, h));
	ASSERT_EQ(len - h, pel_test_first_not(d1 + h, 0xee, len - h));
	ASSERT_EQ(len - h, pel_test_first_not(d2 + h, 0xdd, len - h));

	pel_test_fill_random(d1, len, 6);
	expect_dualcast(_metadata, &self->ring, d2, hb, d1, len, -EFAULT, h,
			"second destination hole at page 20");
	ASSERT_EQ(h, pel_test_first_diff(d2, d1, h));
	ASSERT_EQ(h, pel_test_first_diff(hb, d1, h));

	/* The source ends in a hole: max len runs into it. */
	memset(d1, 0xee, len);
	memset(d2, 0xdd, len);
	pel_test_fill_random(hb, h, 7);
	expect_dualcast(_metadata, &self->ring, d1, d2, hb, PEL_MAX_OP_LEN,
			-EFAULT, h, "max len");
	ASSERT_EQ(h, pel_test_first_diff(d1, hb, h));
	ASSERT_EQ(h, pel_test_first_diff(d2, hb, h));
	ASSERT_EQ(len - h, pel_test_first_not(d1 + h, 0xee, len - h));
	ASSERT_EQ(len - h, pel_test_first_not(d2 + h, 0xdd, len - h));
	munmap(hb, len);
	free(d1);
	free(d2);
}

TEST_F(ring, bad_addresses)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *k = (void *)PEL_TEST_KERNEL_ADDR;
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t src[256], d1[256], d2[256];

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	memset(src, 0x11, sizeof(src));
	memset(d1, 0xee, sizeof(d1));
	memset(d2, 0xdd, sizeof(d2));

	expect_dualcast(_metadata, &self->ring, d1, d2, k, sizeof(src), -EFAULT, 0,
			"kernel source");
	/* Not one byte of kernel memory arrived. */
	ASSERT_EQ(sizeof(d1), pel_test_first_not(d1, 0xee, sizeof(d1)));
	ASSERT_EQ(sizeof(d2), pel_test_first_not(d2, 0xdd, sizeof(d2)));
	expect_dualcast(_metadata, &self->ring, k, d2, src, sizeof(src), -EFAULT, 0,
			"kernel first destination");
	expect_dualcast(_metadata, &self->ring, d1, k, src, sizeof(src), -EFAULT, 0,
			"kernel second destination");
	expect_dualcast(_metadata, &self->ring, k, k, k, sizeof(src), -EFAULT, 0,
			"kernel everywhere");
	memset(d1, 0xee, sizeof(d1));
	memset(d2, 0xdd, sizeof(d2));
	expect_dualcast(_metadata, &self->ring, d1, d2, hole, sizeof(src), -EFAULT, 0,
			"unmapped source");
	ASSERT_EQ(sizeof(d1), pel_test_first_not(d1, 0xee, sizeof(d1)));
	ASSERT_EQ(sizeof(d2), pel_test_first_not(d2, 0xdd, sizeof(d2)));
	expect_dualcast(_metadata, &self->ring, hole, d2, src, sizeof(src), -EFAULT, 0,
			"unmapped first destination");
	expect_dualcast(_metadata, &self->ring, d1, hole, src, sizeof(src), -EFAULT, 0,
			"unmapped second destination");
	expect_dualcast(_metadata, &self->ring, ro, d2, src, sizeof(src), -EFAULT, 0,
			"read-only first destination");
	expect_dualcast(_metadata, &self->ring, d1, ro, src, sizeof(src), -EFAULT, 0,
			"read-only second destination");
	ASSERT_EQ(pg, pel_test_first_not(ro, 0, pg));
	expect_dualcast(_metadata, &self->ring, d1, d2, NULL, 1, -EFAULT, 0,
			"NULL source");
	expect_dualcast(_metadata, &self->ring, NULL, d2, src, 1, -EFAULT, 0,
			"NULL first destination");
	expect_dualcast(_metadata, &self->ring, d1, NULL, src, 1, -EFAULT, 0,
			"NULL second destination");
	/* len 0 touches nothing. */
	expect_dualcast(_metadata, &self->ring, NULL, NULL, NULL, 0, 0, 0,
			"NULL len 0");
	expect_dualcast(_metadata, &self->ring, k, k, k, 0, 0, 0, "kernel len 0");
	munmap(ro, pg);
}

TEST_F(ring, invalid)
{
	uint8_t src[16], d1[16], d2[16];
	struct pel_sqe base, s;

	memset(src, 1, sizeof(src));
	memset(d1, 0, sizeof(d1));
	memset(d2, 0, sizeof(d2));
	lpel_prep_dualcast(&base, d1, d2, src, sizeof(src));
	pel_test_expect_op(_metadata, &self->ring, &base, 16, 16, "base");
	ASSERT_EQ(0, memcmp(d1, src, 16));
	ASSERT_EQ(0, memcmp(d2, src, 16));
	memset(d1, 0, sizeof(d1));
	memset(d2, 0, sizeof(d2));
#define BAD(stmt, name) do { s = base; stmt; \
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, name); } while (0)
	BAD(s.op_flags = 1, "op_flags");
	BAD(s.arg1 = 1, "arg1");
	BAD(s.file_index = 1, "file_index without PEL_SQE_FILE");
	BAD(s.flags = 1 << 4, "flag bit 4");
	BAD(s.flags = 0x80, "flag bit 7");
	BAD(s.deadline_ns = 1, "deadline without the flag");
	BAD(s.len = PEL_MAX_OP_LEN + 1, "len max + 1");
	BAD(s.len = 1ULL << 32, "len 2^32");
	BAD(s.len = ~0ULL, "len ~0");
	BAD(s.addr = ~0ULL - 4, "first destination wraps");
	BAD(s.arg0 = ~0ULL - 4, "second destination wraps");
	BAD(s.addr2 = ~0ULL - 4, "source wraps");
	BAD(s.arg0 = ~0ULL, "second destination ~0");
	BAD((s.len = PEL_MAX_OP_LEN, s.arg0 = ~0ULL - PEL_MAX_OP_LEN + 1),
	    "second destination wraps at max len");
#undef BAD
	/* None of them wrote anything. */
	ASSERT_EQ(16, pel_test_first_not(d1, 0, 16));
	ASSERT_EQ(16, pel_test_first_not(d2, 0, 16));
}

/* Many in flight on every queue: each lands where its SQE said. */
TEST_F(ring, batch_over_queues)
{
	const unsigned int nr = 48;
	const size_t len = 70001;
	uint8_t *src = malloc(nr * len), *d1 = calloc(nr, len), *d2 = calloc(nr, len);
	uint8_t seen[48] = { 0 };
	unsigned int i, got;
	struct pel_cqe *cqe;

	ASSERT_TRUE(src && d1 && d2);
	pel_test_fill_random(src, nr * len, 99);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		lpel_prep_dualcast(sqe, d1 + i * len, d2 + (nr - 1 - i) * len,
				   src + i * len, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	for (got = 0; got < nr; got++) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 20000000000ULL));
		i = cqe->user_data;
		ASSERT_GT(nr, i);
		EXPECT_EQ(0, seen[i]);
		seen[i] = 1;
		EXPECT_EQ((int)len, cqe->res) TH_LOG("batch op %u", i);
		EXPECT_EQ(len, cqe->result) TH_LOG("batch op %u", i);
		lpel_cqe_seen(&self->ring, cqe);
	}
	ASSERT_EQ(0, memcmp(d1, src, nr * len));
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, memcmp(d2 + (nr - 1 - i) * len, src + i * len, len))
			TH_LOG("batch op %u: second destination", i);
	free(src);
	free(d1);
	free(d2);
}

TEST_HARNESS_MAIN
