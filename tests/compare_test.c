// SPDX-License-Identifier: GPL-2.0
/*
 * COMPARE and COMPARE_PATTERN against a byte loop: equal buffers give res
 * 0, a difference anywhere (every length, alignment and chunk) gives res 1
 * with the offset of the first differing byte, never one byte too many or
 * too few compared; faults give -EFAULT with the offset of the faulting
 * byte unless a difference comes first; malformed SQEs give -EINVAL.
 */
#define PEL_TEST_USER_DATA_TAG	0xc0de000000000000ULL
#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64
/* The kernel compares in chunks of this many bytes (half its bounce buffer). */
#define CHUNK (32 * 1024)

PEL_TEST_RING_FIXTURE(32)

/* Byte i of the pattern repeated from the buffer start, little-endian. */
static uint8_t pat_byte(uint64_t pattern, size_t i)
{
	return (uint8_t)(pattern >> (8 * (i % 8)));
}

static size_t ref_pattern_diff(const uint8_t *buf, uint64_t pattern, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pat_byte(pattern, i))
			break;
	return i;
}

static void put_pattern(uint8_t *buf, uint64_t pattern, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat_byte(pattern, i);
}

static void expect_compare(struct __test_metadata *_metadata,
			   struct lpel_ring *ring, const void *a, const void *b,
			   uint64_t len, int res, uint64_t result,
			   const char *what)
{
	struct pel_sqe s;

	lpel_prep_compare(&s, a, b, len);
	pel_test_expect_op(_metadata, ring, &s, res, result, what);
}

static void expect_pattern(struct __test_metadata *_metadata,
			   struct lpel_ring *ring, const void *buf,
			   uint64_t pattern, uint64_t len, int res,
			   uint64_t result, const char *what)
{
	struct pel_sqe s;

	lpel_prep_compare_pattern(&s, buf, pattern, len);
	pel_test_expect_op(_metadata, ring, &s, res, result, what);
}

/* Offsets worth a difference in a buffer of len bytes. */
static size_t diff_positions(size_t len, size_t *pos)
{
	const size_t cand[] = {
		0, 1, len / 2, len - 1, CHUNK - 1, CHUNK, 40000, 65536, 1 << 20,
	};
	size_t i, n = 0;

	if (!len)
		return 0;
	for (i = 0; i < ARRAY_SIZE(cand); i++)
		if (cand[i] < len)
			pos[n++] = cand[i];
	return n;
}

/*
 * Equal windows of len bytes at a + aoff and b + boff whose neighbouring
 * bytes differ: one byte compared too many or too few shows.  Then a
 * difference at each position, in either buffer, alone or followed by
 * another.
 */
static void check_compare(struct __test_metadata *_metadata,
			  struct lpel_ring *ring, size_t len, size_t aoff,
			  size_t boff)
{
	size_t size = len + 2 * GUARD + 8, pos[16], npos, i;
	uint8_t *abuf = malloc(size), *bbuf = malloc(size), *snap = malloc(size);
	uint8_t *a = abuf + GUARD + aoff, *b = bbuf + GUARD + boff;
	char what[160];

	ASSERT_TRUE(abuf && bbuf && snap);
	pel_test_fill_random(abuf, size, len * 131 + aoff);
	pel_test_fill_random(bbuf, size, len * 131 + boff + 7);
	memcpy(b, a, len);
	b[-1] = a[-1] ^ 0xff;
	b[len] = a[len] ^ 0xff;
	memcpy(snap, abuf, size);

	snprintf(what, sizeof(what), "compare len %zu a+%zu b+%zu equal",
		 len, aoff, boff);
	ASSERT_EQ(len, pel_test_first_diff(a, b, len));
	expect_compare(_metadata, ring, a, b, len, 0, 0, what);

	npos = diff_positions(len, pos);
	for (i = 0; i < npos; i++) {
		size_t p = pos[i];
		uint8_t bit = 1u << (p % 8);

		b[p] ^= bit;
		ASSERT_EQ(p, pel_test_first_diff(a, b, len));
		snprintf(what, sizeof(what),
			 "compare len %zu a+%zu b+%zu differ at %zu in b",
			 len, aoff, boff, p);
		expect_compare(_metadata, ring, a, b, len, 1, p, what);
		b[p] ^= bit;

		/* In a, and with a later difference that must not win. */
		a[p] ^= 0x80;
		if (p + 1 < len)
			b[len - 1] ^= 0x01;
		ASSERT_EQ(p, pel_test_first_diff(a, b, len));
		snprintf(what, sizeof(what),
			 "compare len %zu a+%zu b+%zu differ at %zu in a (+ at %zu)",
			 len, aoff, boff, p, len - 1);
		expect_compare(_metadata, ring, a, b, len, 1, p, what);
		a[p] ^= 0x80;
		if (p + 1 < len)
			b[len - 1] ^= 0x01;
	}
	/* COMPARE only reads. */
	ASSERT_EQ(0, memcmp(abuf, snap, size))
		TH_LOG("compare len %zu: first buffer modified", len);
	ASSERT_EQ(0, memcmp(a, b, len))
		TH_LOG("compare len %zu: second buffer modified", len);
	free(abuf);
	free(bbuf);
	free(snap);
}

TEST_F(ring, equal_and_differ_lengths)
{
	static const size_t lens[] = {
		0, 1, 2, 7, 8, 9, 15, 16, 17, 4095, 4096, 4097,
		CHUNK - 1, CHUNK, CHUNK + 1, 40001, 65536, 100003,
		(1 << 20) + 3,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		check_compare(_metadata, &self->ring, lens[i], 0, 0);
}

TEST_F(ring, misaligned)
{
	static const size_t offs[][2] = {
		{ 1, 0 }, { 0, 1 }, { 1, 1 }, { 3, 7 }, { 7, 3 }, { 3, 3 },
		{ 7, 7 }, { 1, 7 }, { 7, 1 },
	};
	static const size_t lens[] = { 1, 7, 8, 9, 4095, 4096, 4097, CHUNK + 1, 100003 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++)
			check_compare(_metadata, &self->ring, lens[j],
				      offs[i][0], offs[i][1]);
}

/* The pattern over len bytes at buf + off, bytes around it not matching. */
static void check_pattern(struct __test_metadata *_metadata,
			  struct lpel_ring *ring, size_t len, size_t off,
			  uint64_t pattern)
{
	size_t size = len + 2 * GUARD + 8, pos[16], npos, i;
	uint8_t *base = malloc(size), *buf = base + GUARD + off;
	char what[160];

	ASSERT_NE(NULL, base);
	pel_test_fill_random(base, size, len + off);
	put_pattern(buf, pattern, len);
	/* The byte after the window is not the pattern's next one. */
	buf[len] = pat_byte(pattern, len) ^ 0x5a;

	snprintf(what, sizeof(what), "pattern %#llx len %zu +%zu equal",
		 (unsigned long long)pattern, len, off);
	ASSERT_EQ(len, ref_pattern_diff(buf, pattern, len));
	expect_pattern(_metadata, ring, buf, pattern, len, 0, 0, what);
	/* One more byte is one too many. */
	snprintf(what, sizeof(what), "pattern %#llx len %zu +%zu, one byte more",
		 (unsigned long long)pattern, len, off);
	expect_pattern(_metadata, ring, buf, pattern, len + 1, 1, len, what);

	npos = diff_positions(len, pos);
	for (i = 0; i < npos; i++) {
		size_t p = pos[i];
		uint8_t bit = 1u << ((p + 3) % 8);

		buf[p] ^= bit;
		ASSERT_EQ(p, ref_pattern_diff(buf, pattern, len));
		snprintf(what, sizeof(what),
			 "pattern %#llx len %zu +%zu differ at %zu",
			 (unsigned long long)pattern, len, off, p);
		expect_pattern(_metadata, ring, buf, pattern, len, 1, p, what);
		buf[p] ^= bit;
	}
	/* COMPARE_PATTERN only reads. */
	ASSERT_EQ(len, ref_pattern_diff(buf, pattern, len));
	free(base);
}

static const uint64_t patterns[] = {
	0, ~0ULL, 0x0123456789abcdefULL, 0x8000000000000001ULL,
	0x5a5a5a5a5a5a5a5aULL, 0xdeadbeefcafef00dULL,
};

TEST_F(ring, pattern_lengths)
{
	static const size_t lens[] = {
		0, 1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 4095, 4096, 4097,
		CHUNK - 3, CHUNK + 5, 40001, 65536 + 7,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(patterns); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++)
			check_pattern(_metadata, &self->ring, lens[j], 0,
				      patterns[i]);
	/* 1 MiB + 3: a tail of 3 after whole 8-byte words and chunks. */
	check_pattern(_metadata, &self->ring, (1 << 20) + 3, 0,
		      0x0123456789abcdefULL);
	check_pattern(_metadata, &self->ring, (1 << 20) + 3, 0, 0);
}

/* The phase of the pattern counts from the buffer, not from alignment. */
TEST_F(ring, pattern_misaligned)
{
	static const size_t offs[] = { 1, 3, 7 };
	static const size_t lens[] = { 1, 7, 8, 9, 4095, 4097, CHUNK + 5, 100003 };
	unsigned int i, j, k;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++)
			for (k = 2; k < 4; k++)
				check_pattern(_metadata, &self->ring, lens[j],
					      offs[i], patterns[k]);
}

/* Byte order spelled out: little-endian, byte 0 = the low byte. */
TEST_F(ring, pattern_byte_order)
{
	static const uint8_t le[] = {
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
		0xef, 0xcd, 0xab,
	};
	static const uint8_t be[] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	/* Right first word, wrong phase in the second. */
	static const uint8_t shifted[] = {
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
		0xcd, 0xab, 0x89,
	};
	const uint64_t pat = 0x0123456789abcdefULL;
	uint8_t buf[sizeof(le) + 3];

	expect_pattern(_metadata, &self->ring, le, pat, sizeof(le), 0, 0,
		       "pattern LE bytes");
	expect_pattern(_metadata, &self->ring, be, pat, sizeof(be), 1, 0,
		       "pattern BE bytes");
	expect_pattern(_metadata, &self->ring, shifted, pat, sizeof(shifted),
		       1, 8, "pattern out of phase in word 2");
	/* At an odd address, the phase still starts with the low byte. */
	memcpy(buf + 3, le, sizeof(le));
	expect_pattern(_metadata, &self->ring, buf + 3, pat, sizeof(le), 0, 0,
		       "pattern LE bytes at +3");
	expect_pattern(_metadata, &self->ring, buf + 4, pat, sizeof(le) - 1,
		       1, 0, "pattern LE bytes from byte 1");
}

/*
 * Faults: 8 pages with an inaccessible one at page 0, 4 or 7.  Before any
 * difference, -EFAULT at the offset of the faulting byte; a difference
 * before the fault wins; one after it is never seen.
 */
TEST_F(ring, faults)
{
	static const unsigned int holes[] = { 0, 4, 7 };
	const uint64_t pat = 0x5a5a5a5a5a5a5a5aULL;	/* the holey buffer's fill */
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg;
	uint8_t *n = malloc(len);
	unsigned int i;
	char what[128];

	ASSERT_NE(NULL, n);
	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		size_t h = holes[i] * pg;
		uint8_t *hb = pel_test_holey_buffer(len, h);

		ASSERT_NE(NULL, hb);
		memset(n, 0x5a, len);

#define CASE(fmt, ...) snprintf(what, sizeof(what), "hole at %zu: " fmt, h, ##__VA_ARGS__)
		CASE("holey first");
		expect_compare(_metadata, &self->ring, hb, n, len, -EFAULT, h, what);
		CASE("holey second");
		expect_compare(_metadata, &self->ring, n, hb, len, -EFAULT, h, what);
		CASE("both holey");
		expect_compare(_metadata, &self->ring, hb, hb, len, -EFAULT, h, what);
		CASE("holey first +3");
		expect_compare(_metadata, &self->ring, hb + 3, n + 3, len - 3,
			       -EFAULT, h ? h - 3 : 0, what);
		CASE("holey second +7, first +1");
		expect_compare(_metadata, &self->ring, n + 1, hb + 7, len - 7,
			       -EFAULT, h ? h - 7 : 0, what);
		CASE("pattern");
		expect_pattern(_metadata, &self->ring, hb, pat, len, -EFAULT, h, what);
		CASE("pattern +5");
		expect_pattern(_metadata, &self->ring, hb + 5, pat, len - 5,
			       -EFAULT, h ? h - 5 : 0, what);
		/* A pattern differing at byte 0: the fault there comes first. */
		CASE("wrong pattern");
		expect_pattern(_metadata, &self->ring, hb, pat ^ 1, len,
			       h ? 1 : -EFAULT, 0, what);

		if (h) {
			CASE("up to the hole");
			expect_compare(_metadata, &self->ring, hb, n, h, 0, 0, what);
			CASE("pattern up to the hole");
			expect_pattern(_metadata, &self->ring, hb, pat, h, 0, 0, what);

			n[0] ^= 1;
			CASE("differ at 0");
			expect_compare(_metadata, &self->ring, hb, n, len, 1, 0, what);
			n[0] ^= 1;
			n[h - 1] ^= 0x40;
			CASE("differ just before the hole");
			expect_compare(_metadata, &self->ring, n, hb, len, 1, h - 1, what);
			n[h - 1] ^= 0x40;
			hb[h / 2] ^= 2;
			CASE("differ in the middle, holey side");
			expect_compare(_metadata, &self->ring, hb, n, len, 1, h / 2, what);
			CASE("pattern differs in the middle");
			expect_pattern(_metadata, &self->ring, hb, pat, len, 1, h / 2, what);
			hb[h / 2] ^= 2;
			hb[h - 1] ^= 0x80;
			CASE("pattern differs just before the hole");
			expect_pattern(_metadata, &self->ring, hb, pat, len, 1, h - 1, what);
			hb[h - 1] ^= 0x80;
		}
		if (h + pg < len) {
			/* Past the hole: never reached. */
			n[h + pg] ^= 1;
			CASE("differ after the hole");
			expect_compare(_metadata, &self->ring, hb, n, len, -EFAULT, h, what);
			n[h + pg] ^= 1;
			hb[h + pg + 1] ^= 1;
			CASE("pattern differs after the hole");
			expect_pattern(_metadata, &self->ring, hb, pat, len, -EFAULT, h, what);
			hb[h + pg + 1] ^= 1;
		}
#undef CASE
		munmap(hb, len);
	}
	free(n);
}

/* A fault and differences beyond the first chunks. */
TEST_F(ring, fault_in_a_later_chunk)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 24 * pg, h = 20 * pg;
	uint8_t *hb = pel_test_holey_buffer(len, h), *n = malloc(len);

	ASSERT_NE(NULL, hb);
	ASSERT_NE(NULL, n);
	pel_test_fill_random(hb, h, 3);
	memcpy(n, hb, h);
	pel_test_fill_random(n + h, len - h, 4);

	expect_compare(_metadata, &self->ring, hb, n, len, -EFAULT, h,
		       "hole at page 20");
	expect_compare(_metadata, &self->ring, n + 1, hb + 1, len - 1, -EFAULT,
		       h - 1, "hole at page 20, +1");
	n[10 * pg + 3] ^= 4;
	expect_compare(_metadata, &self->ring, hb, n, len, 1, 10 * pg + 3,
		       "differ at page 10, hole at page 20");
	n[10 * pg + 3] ^= 4;
	n[h - 1] ^= 4;
	expect_compare(_metadata, &self->ring, hb, n, len, 1, h - 1,
		       "differ before the hole at page 20");
	munmap(hb, len);
	free(n);
}

/* len = PEL_MAX_OP_LEN is allowed: it runs until a difference or a fault. */
TEST_F(ring, max_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg, h = 7 * pg;
	uint8_t *a = pel_test_holey_buffer(len, h), *b = pel_test_holey_buffer(len, h);

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	expect_compare(_metadata, &self->ring, a, b, PEL_MAX_OP_LEN, -EFAULT, h,
		       "max len, equal up to the hole");
	expect_pattern(_metadata, &self->ring, a, 0x5a5a5a5a5a5a5a5aULL,
		       PEL_MAX_OP_LEN, -EFAULT, h, "max len pattern");
	b[5] = 0;
	expect_compare(_metadata, &self->ring, a, b, PEL_MAX_OP_LEN, 1, 5,
		       "max len, differ at 5");
	expect_pattern(_metadata, &self->ring, b, 0x5a5a5a5a5a5a5a5aULL,
		       PEL_MAX_OP_LEN, 1, 5, "max len pattern, differ at 5");
	munmap(a, len);
	munmap(b, len);
}

TEST_F(ring, bad_addresses)
{
	long pg = sysconf(_SC_PAGESIZE);
	const void *k = (const void *)PEL_TEST_KERNEL_ADDR;
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t buf[256];

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	memset(buf, 0, sizeof(buf));

	expect_compare(_metadata, &self->ring, k, buf, sizeof(buf), -EFAULT, 0,
		       "kernel first");
	expect_compare(_metadata, &self->ring, buf, k, sizeof(buf), -EFAULT, 0,
		       "kernel second");
	expect_compare(_metadata, &self->ring, k, k, sizeof(buf), -EFAULT, 0,
		       "kernel both");
	expect_pattern(_metadata, &self->ring, k, 0, sizeof(buf), -EFAULT, 0,
		       "kernel pattern");
	expect_compare(_metadata, &self->ring, hole, buf, sizeof(buf), -EFAULT, 0,
		       "unmapped first");
	expect_compare(_metadata, &self->ring, buf, hole, sizeof(buf), -EFAULT, 0,
		       "unmapped second");
	expect_pattern(_metadata, &self->ring, hole, 0, sizeof(buf), -EFAULT, 0,
		       "unmapped pattern");
	expect_compare(_metadata, &self->ring, NULL, buf, 1, -EFAULT, 0,
		       "NULL first");
	expect_compare(_metadata, &self->ring, buf, NULL, 1, -EFAULT, 0,
		       "NULL second");
	expect_compare(_metadata, &self->ring, NULL, NULL, 1, -EFAULT, 0,
		       "NULL both");
	expect_pattern(_metadata, &self->ring, NULL, 0, 1, -EFAULT, 0,
		       "NULL pattern");
	/* len 0 reads nothing. */
	expect_compare(_metadata, &self->ring, NULL, NULL, 0, 0, 0, "NULL len 0");
	expect_compare(_metadata, &self->ring, NULL, buf, 0, 0, 0, "NULL first len 0");
	expect_compare(_metadata, &self->ring, k, k, 0, 0, 0, "kernel len 0");
	expect_pattern(_metadata, &self->ring, NULL, ~0ULL, 0, 0, 0,
		       "NULL pattern len 0");
	expect_pattern(_metadata, &self->ring, k, ~0ULL, 0, 0, 0,
		       "kernel pattern len 0");
}

TEST_F(ring, invalid)
{
	uint8_t a[16], b[16];
	struct pel_sqe base, s;

	memset(a, 1, sizeof(a));
	memset(b, 1, sizeof(b));

	/* The base SQEs are good: each change below alone makes them bad. */
	lpel_prep_compare(&base, a, b, sizeof(a));
	pel_test_expect_op(_metadata, &self->ring, &base, 0, 0, "compare base");
#define BAD(stmt, name) do { s = base; stmt; \
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, name); } while (0)
	BAD(s.op_flags = 1, "compare op_flags");
	BAD(s.arg1 = 1, "compare arg1");
	BAD(s.file_index = 1, "compare file_index without PEL_SQE_FILE");
	BAD(s.flags = 1 << 5, "compare flag bit 5");
	BAD(s.flags = 0x80, "compare flag bit 7");
	BAD(s.deadline_ns = 1, "compare deadline without the flag");
	BAD(s.arg0 = 1, "compare arg0 (unused)");
	BAD(s.arg0 = 1ULL << 63, "compare arg0 bit 63 (unused)");
	BAD(s.opcode = PEL_OP_LAST, "opcode PEL_OP_LAST");
	BAD(s.len = PEL_MAX_OP_LEN + 1, "compare len max + 1");
	BAD(s.len = 1ULL << 32, "compare len 2^32");
	BAD(s.len = ~0ULL, "compare len ~0");
	BAD(s.addr = ~0ULL - 4, "compare addr wraps");
	BAD(s.addr2 = ~0ULL - 4, "compare addr2 wraps");
	BAD(s.addr = ~0ULL, "compare addr ~0");
	BAD((s.addr = 1ULL << 62, s.len = PEL_MAX_OP_LEN, s.addr2 = ~0ULL - 100),
	    "compare addr2 wraps with max len");

	lpel_prep_compare_pattern(&base, a, 0x0101010101010101ULL, sizeof(a));
	pel_test_expect_op(_metadata, &self->ring, &base, 0, 0, "pattern base");
	BAD(s.addr = (uintptr_t)b, "pattern addr (unused)");
	BAD(s.op_flags = 1, "pattern op_flags");
	BAD(s.arg1 = 1, "pattern arg1");
	BAD(s.file_index = 0x8000, "pattern file_index without PEL_SQE_FILE");
	BAD(s.flags = 0x40, "pattern flag bit 6");
	BAD(s.deadline_ns = ~0ULL, "pattern deadline without the flag");
	BAD(s.len = PEL_MAX_OP_LEN + 1, "pattern len max + 1");
	BAD(s.len = 1ULL << 63, "pattern len 2^63");
	BAD(s.addr2 = ~0ULL - 4, "pattern addr2 wraps");
#undef BAD
}

static uint64_t batch_pattern(unsigned int i)
{
	return 0x0101010101010101ULL * (i + 1) ^ ((uint64_t)i << 44);
}

/* Many compares in flight on every queue: each worker's chunks stay its own. */
TEST_F(ring, batch_over_queues)
{
	const unsigned int nr = 48;
	const size_t len = 70000;
	uint8_t *a = malloc(nr * len), *b = malloc(nr * len);
	uint8_t seen[48] = { 0 };
	unsigned int i, got;
	struct pel_cqe *cqe;

	ASSERT_TRUE(a && b);
	pel_test_fill_random(a, nr * len, 77);
	memcpy(b, a, nr * len);
	/*
	 * Op i: a pattern compare when i % 4 == 0, else two buffers; equal
	 * when i % 3 == 0, else differing at i * 1423 (in a later chunk for
	 * the larger i).
	 */
	for (i = 0; i < nr; i++) {
		if (i % 4 == 0)
			put_pattern(b + i * len, batch_pattern(i), len);
		if (i % 3)
			b[i * len + i * 1423] ^= 0x10;
	}
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		if (i % 4 == 0)
			lpel_prep_compare_pattern(sqe, b + i * len,
						  batch_pattern(i), len);
		else if (i % 2)
			lpel_prep_compare(sqe, a + i * len, b + i * len, len);
		else
			lpel_prep_compare(sqe, b + i * len, a + i * len, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	for (got = 0; got < nr; got++) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 20000000000ULL));
		i = cqe->user_data;
		ASSERT_GT(nr, i);
		EXPECT_EQ(0, seen[i]);
		seen[i] = 1;
		EXPECT_EQ(i % 3 ? 1 : 0, cqe->res) TH_LOG("batch op %u", i);
		EXPECT_EQ(i % 3 ? i * 1423 : 0, cqe->result) TH_LOG("batch op %u", i);
		lpel_cqe_seen(&self->ring, cqe);
	}
	free(a);
	free(b);
}

TEST_HARNESS_MAIN
