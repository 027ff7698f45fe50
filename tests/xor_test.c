// SPDX-License-Identifier: GPL-2.0
/*
 * XOR: the destination gets the XOR of 1..16 sources, byte for byte as a
 * plain loop computes it, at any length and alignment, also in place (the
 * destination one of the sources); nothing around it changes.  A bad
 * source count or range is -EINVAL; a bad source array, source or
 * destination is -EFAULT with the bytes done before the fault.
 */
#define PEL_TEST_USER_DATA_TAG	0x0a0b000000000000ULL
#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64
/* The kernel XORs in chunks of this many bytes (half its bounce buffer). */
#define CHUNK (32 * 1024)
#define MAX_SRCS PEL_XOR_MAX_SRCS

PEL_TEST_RING_FIXTURE(32)

/* The reference: out[i] = srcs[0][i] ^ ... ^ srcs[nr - 1][i], bytewise. */
static void ref_xor(uint8_t *out, const void *const *srcs, unsigned int nr,
		    size_t len)
{
	unsigned int j;
	size_t i;

	memset(out, 0, len);
	for (j = 0; j < nr; j++) {
		const uint8_t *s = srcs[j];

		for (i = 0; i < len; i++)
			out[i] ^= s[i];
	}
}

static void expect_xor(struct __test_metadata *_metadata, struct lpel_ring *ring,
		       void *dst, const void *const *srcs, unsigned int nr,
		       uint64_t len, int res, uint64_t result, const char *what)
{
	struct pel_sqe s;

	lpel_prep_xor(&s, dst, srcs, nr, len);
	pel_test_expect_op(_metadata, ring, &s, res, result, what);
}

/*
 * nr sources of len bytes, source j at offset soff(j) in its buffer, the
 * destination at doff in its own buffer or, with in_place >= 0, source
 * in_place itself.  Every buffer sits in random guard bytes: the
 * destination's must stay, and every other source must not change.
 */
static void check_xor(struct __test_metadata *_metadata, struct lpel_ring *ring,
		      unsigned int nr, size_t len, size_t doff, size_t sbase,
		      int in_place)
{
	size_t size = len + 2 * GUARD + 16, soff[MAX_SRCS];
	uint8_t *base[MAX_SRCS], *snap[MAX_SRCS], *dbase, *ref, *dst;
	const void *srcs[MAX_SRCS];
	unsigned int j;
	char what[128];

	for (j = 0; j < nr; j++) {
		soff[j] = (sbase + 3 * j) % 8;
		base[j] = malloc(size);
		snap[j] = malloc(size);
		ASSERT_TRUE(base[j] && snap[j]);
		pel_test_fill_random(base[j], size, len * 17 + j * 101 + sbase);
		memcpy(snap[j], base[j], size);
		srcs[j] = base[j] + GUARD + soff[j];
	}
	if (in_place >= 0) {
		dbase = base[in_place];
		doff = soff[in_place];
	} else {
		dbase = malloc(size);
		ASSERT_NE(NULL, dbase);
		pel_test_fill_random(dbase, size, len + 5);
	}
	dst = dbase + GUARD + doff;
	ref = malloc(size);
	ASSERT_NE(NULL, ref);
	memcpy(ref, dbase, size);
	ref_xor(ref + GUARD + doff, srcs, nr, len);

	snprintf(what, sizeof(what), "nr %u len %zu dst+%zu src+%zu..%s",
		 nr, len, doff, sbase, in_place >= 0 ? " in place" : "");
	if (in_place >= 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " (source %d)", in_place);
	expect_xor(_metadata, ring, dst, srcs, nr, len, (int)len, len, what);
	ASSERT_EQ(size, pel_test_first_diff(dbase, ref, size))
		TH_LOG("%s: destination wrong at %zd", what,
		       (ssize_t)pel_test_first_diff(dbase, ref, size) - GUARD - (ssize_t)doff);
	for (j = 0; j < nr; j++) {
		if ((int)j == in_place)
			continue;
		ASSERT_EQ(size, pel_test_first_diff(base[j], snap[j], size))
			TH_LOG("%s: source %u changed", what, j);
	}
	for (j = 0; j < nr; j++) {
		free(base[j]);
		free(snap[j]);
	}
	if (in_place < 0)
		free(dbase);
	free(ref);
}

static const unsigned int nrs[] = { 1, 2, 3, MAX_SRCS };

TEST_F(ring, lengths)
{
	static const size_t lens[] = {
		0, 1, 7, 8, 9, 15, 4095, 4096, 4097, CHUNK - 1, CHUNK,
		CHUNK + 1, 65537, (1 << 20) + 3,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++)
			check_xor(_metadata, &self->ring, nrs[i], lens[j], 0, 0, -1);
}

/* In-place parity: the destination is the first or the last source. */
TEST_F(ring, in_place)
{
	static const size_t lens[] = { 1, 7, 8, 4097, CHUNK + 1, 100003, (1 << 20) + 3 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			check_xor(_metadata, &self->ring, nrs[i], lens[j], 0, 0, 0);
			if (nrs[i] > 1)
				check_xor(_metadata, &self->ring, nrs[i], lens[j],
					  0, 1, nrs[i] - 1);
		}
}

TEST_F(ring, misaligned)
{
	static const size_t doffs[] = { 1, 3, 7, 0 };
	static const size_t sbases[] = { 1, 3 };
	static const size_t lens[] = { 1, 7, 8, 9, 4095, 4097, CHUNK + 3, 100003 };
	unsigned int i, d, s, j;

	for (i = 1; i < ARRAY_SIZE(nrs); i++)
		for (d = 0; d < ARRAY_SIZE(doffs); d++)
			for (s = 0; s < ARRAY_SIZE(sbases); s++)
				for (j = 0; j < ARRAY_SIZE(lens); j++)
					check_xor(_metadata, &self->ring, nrs[i],
						  lens[j], doffs[d], sbases[s], -1);
	/* One source alone, misaligned: a copy. */
	check_xor(_metadata, &self->ring, 1, 100003, 3, 7, -1);
}

/* The same source more than once: an even count cancels out. */
TEST_F(ring, repeated_sources)
{
	const size_t len = 40001;
	uint8_t *a = malloc(len), *b = malloc(len), *dst = malloc(len);
	const void *srcs[MAX_SRCS];
	unsigned int j;

	ASSERT_TRUE(a && b && dst);
	pel_test_fill_random(a, len, 1);
	pel_test_fill_random(b, len, 2);

	srcs[0] = a;
	srcs[1] = a;
	memset(dst, 0x77, len);
	expect_xor(_metadata, &self->ring, dst, srcs, 2, len, len, len, "a ^ a");
	ASSERT_EQ(len, pel_test_first_not(dst, 0, len));
	srcs[2] = b;
	expect_xor(_metadata, &self->ring, dst, srcs, 3, len, len, len, "a ^ a ^ b");
	ASSERT_EQ(len, pel_test_first_diff(dst, b, len));
	for (j = 0; j < MAX_SRCS; j++)
		srcs[j] = a;
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS, len, len, len,
		   "a sixteen times");
	ASSERT_EQ(len, pel_test_first_not(dst, 0, len));
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS - 1, len, len, len,
		   "a fifteen times");
	ASSERT_EQ(len, pel_test_first_diff(dst, a, len));
	/* In place, twice over: dst = dst ^ dst. */
	srcs[0] = dst;
	srcs[1] = dst;
	expect_xor(_metadata, &self->ring, dst, srcs, 2, len, len, len,
		   "dst ^ dst into dst");
	ASSERT_EQ(len, pel_test_first_not(dst, 0, len));
	free(a);
	free(b);
	free(dst);
}

TEST_F(ring, bad_count)
{
	static const uint64_t bad[] = {
		0, MAX_SRCS + 1, 64, 1ULL << 32, (1ULL << 32) | 1, 1ULL << 63, ~0ULL,
	};
	uint8_t a[64], dst[64];
	const void *srcs[MAX_SRCS + 1];
	struct pel_sqe s;
	unsigned int i;
	char what[64];

	memset(a, 0x3c, sizeof(a));
	for (i = 0; i < ARRAY_SIZE(srcs); i++)
		srcs[i] = a;
	memset(dst, 0xee, sizeof(dst));
	expect_xor(_metadata, &self->ring, dst, srcs, 0, sizeof(dst), -EINVAL, 0,
		   "nr 0");
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS + 1, sizeof(dst),
		   -EINVAL, 0, "nr 17");
	expect_xor(_metadata, &self->ring, dst, srcs, 0, 0, -EINVAL, 0,
		   "nr 0, len 0");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		lpel_prep_xor(&s, dst, srcs, 1, sizeof(dst));
		s.arg0 = bad[i];
		snprintf(what, sizeof(what), "nr %#llx", (unsigned long long)bad[i]);
		pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, what);
	}
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));
	/* The bounds themselves are fine. */
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS, sizeof(dst),
		   sizeof(dst), sizeof(dst), "nr 16");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0, sizeof(dst)));
	expect_xor(_metadata, &self->ring, dst, srcs, 1, sizeof(dst),
		   sizeof(dst), sizeof(dst), "nr 1");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0x3c, sizeof(dst)));
}

TEST_F(ring, invalid)
{
	uint8_t a[16], b[16], dst[16];
	const void *srcs[MAX_SRCS];
	struct pel_sqe base, s;
	unsigned int i;

	memset(a, 0x0f, sizeof(a));
	memset(b, 0xf0, sizeof(b));
	for (i = 0; i < MAX_SRCS; i++)
		srcs[i] = i % 2 ? b : a;
	memset(dst, 0, sizeof(dst));
	lpel_prep_xor(&base, dst, srcs, 2, sizeof(dst));
	pel_test_expect_op(_metadata, &self->ring, &base, 16, 16, "base");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xff, sizeof(dst)));
	memset(dst, 0xee, sizeof(dst));
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
	BAD(s.addr = ~0ULL - 4, "destination wraps");
	BAD(s.addr2 = ~0ULL - 8, "source array wraps");
	BAD((s.addr2 = ~0ULL - 100, s.arg0 = MAX_SRCS), "array of 16 wraps");
#undef BAD
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));

	/* A source range that wraps: found when the array is read. */
	srcs[0] = (void *)(~0ULL - 4);
	expect_xor(_metadata, &self->ring, dst, srcs, 2, sizeof(dst), -EINVAL, 0,
		   "source 0 wraps");
	srcs[0] = a;
	srcs[1] = (void *)~0ULL;
	expect_xor(_metadata, &self->ring, dst, srcs, 2, 1, -EINVAL, 0,
		   "source 1 at ~0, len 1");
	srcs[1] = b;
	srcs[MAX_SRCS - 1] = (void *)(~0ULL - 15 + 2);
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS, sizeof(dst),
		   -EINVAL, 0, "source 15 wraps");
	/* Beyond nr: never looked at. */
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS - 1, sizeof(dst),
		   sizeof(dst), sizeof(dst), "a wrapping address past nr");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xf0, sizeof(dst)));
}

/* The source array itself is unreadable: -EFAULT, nothing done. */
TEST_F(ring, bad_source_array)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const void **edge;
	uint8_t a[64], dst[64];
	unsigned int i;

	ASSERT_NE(MAP_FAILED, two);
	memset(a, 0x21, sizeof(a));
	memset(dst, 0xee, sizeof(dst));
	/* Two entries at the end of a page, the rest in a PROT_NONE one. */
	edge = (const void **)(two + pg) - 2;
	for (i = 0; i < 2; i++)
		edge[i] = a;
	ASSERT_EQ(0, mprotect(two + pg, pg, PROT_NONE));

	expect_xor(_metadata, &self->ring, dst, edge, 2, sizeof(dst), sizeof(dst),
		   sizeof(dst), "the readable part of the array");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0, sizeof(dst)));
	memset(dst, 0xee, sizeof(dst));
	expect_xor(_metadata, &self->ring, dst, edge, 3, sizeof(dst), -EFAULT, 0,
		   "array runs into PROT_NONE");
	expect_xor(_metadata, &self->ring, dst, edge, MAX_SRCS, sizeof(dst),
		   -EFAULT, 0, "16 entries run into PROT_NONE");
	expect_xor(_metadata, &self->ring, dst, (const void *const *)(two + pg), 1,
		   sizeof(dst), -EFAULT, 0, "array in PROT_NONE");
	expect_xor(_metadata, &self->ring, dst,
		   (const void *const *)PEL_TEST_KERNEL_ADDR, 2, sizeof(dst),
		   -EFAULT, 0, "kernel array");
	expect_xor(_metadata, &self->ring, dst, NULL, 1, sizeof(dst), -EFAULT, 0,
		   "NULL array");
	/* The array is read even when there is nothing to XOR. */
	expect_xor(_metadata, &self->ring, dst, NULL, 1, 0, -EFAULT, 0,
		   "NULL array, len 0");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));
	munmap(two, 2 * pg);
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));
}

TEST_F(ring, bad_addresses)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *k = (void *)PEL_TEST_KERNEL_ADDR;
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t a[256], b[256], c[256], dst[256];
	const void *srcs[MAX_SRCS];
	unsigned int j;
	char what[64];

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	memset(c, 4, sizeof(c));
	memset(dst, 0xee, sizeof(dst));

	/* A kernel, unmapped or NULL source anywhere in the list. */
	for (j = 0; j < 3; j++) {
		const void *bad[] = { k, hole, NULL };
		unsigned int v;

		for (v = 0; v < ARRAY_SIZE(bad); v++) {
			srcs[0] = a;
			srcs[1] = b;
			srcs[2] = c;
			srcs[j] = bad[v];
			snprintf(what, sizeof(what), "source %u %s", j,
				 v == 0 ? "kernel" : v == 1 ? "unmapped" : "NULL");
			expect_xor(_metadata, &self->ring, dst, srcs, 3, sizeof(dst),
				   -EFAULT, 0, what);
		}
	}
	/* Not one byte of kernel memory arrived. */
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));
	for (j = 0; j < MAX_SRCS; j++)
		srcs[j] = a;
	srcs[MAX_SRCS - 1] = k;
	expect_xor(_metadata, &self->ring, dst, srcs, MAX_SRCS, sizeof(dst),
		   -EFAULT, 0, "source 15 kernel");
	ASSERT_EQ(sizeof(dst), pel_test_first_not(dst, 0xee, sizeof(dst)));

	srcs[0] = a;
	srcs[1] = b;
	expect_xor(_metadata, &self->ring, k, srcs, 2, sizeof(dst), -EFAULT, 0,
		   "kernel destination");
	expect_xor(_metadata, &self->ring, hole, srcs, 2, sizeof(dst), -EFAULT, 0,
		   "unmapped destination");
	expect_xor(_metadata, &self->ring, NULL, srcs, 2, sizeof(dst), -EFAULT, 0,
		   "NULL destination");
	expect_xor(_metadata, &self->ring, ro, srcs, 2, sizeof(dst), -EFAULT, 0,
		   "read-only destination");
	ASSERT_EQ(pg, pel_test_first_not(ro, 0, pg));
	/* len 0 touches no buffer (the array is still read). */
	srcs[2] = k;
	expect_xor(_metadata, &self->ring, k, srcs, 3, 0, 0, 0, "len 0, kernel everywhere");
	expect_xor(_metadata, &self->ring, NULL, srcs, 3, 0, 0, 0, "len 0, NULL destination");
	munmap(ro, pg);
}

/*
 * Faults: 8 pages with an inaccessible one at page 0, 4 or 7, as one of
 * the sources (first, middle, last) or as the destination.  The bytes
 * before the fault are the XOR; nothing after it is written.
 */
TEST_F(ring, faults)
{
	static const unsigned int holes[] = { 0, 4, 7 };
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg;
	uint8_t *n[MAX_SRCS], *dst = malloc(len), *ref = malloc(len);
	const void *srcs[MAX_SRCS];
	unsigned int i, j, at;
	char what[128];

	ASSERT_TRUE(dst && ref);
	for (j = 0; j < MAX_SRCS; j++) {
		n[j] = malloc(len);
		ASSERT_NE(NULL, n[j]);
		pel_test_fill_random(n[j], len, 40 + j);
	}
	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		size_t h = holes[i] * pg, off;
		uint8_t *hb = pel_test_holey_buffer(len, h);

		ASSERT_NE(NULL, hb);
		if (h)
			pel_test_fill_random(hb, h, i);
		if (h + pg < len)
			pel_test_fill_random(hb + h + pg, len - h - pg, i + 10);
#define CASE(fmt, ...) snprintf(what, sizeof(what), "hole at %zu: " fmt, h, ##__VA_ARGS__)
		/* A holey source among 3, then among 16. */
		for (at = 0; at < 4; at++) {
			unsigned int nr = at < 3 ? 3 : MAX_SRCS;
			unsigned int idx = at < 3 ? at : 7;

			for (j = 0; j < nr; j++)
				srcs[j] = n[j];
			srcs[idx] = hb;
			ref_xor(ref, srcs, nr, h);
			memset(dst, 0xee, len);
			CASE("source %u of %u", idx, nr);
			expect_xor(_metadata, &self->ring, dst, srcs, nr, len,
				   -EFAULT, h, what);
			ASSERT_EQ(h, pel_test_first_diff(dst, ref, h)) TH_LOG("%s: bytes", what);
			ASSERT_EQ(len - h, pel_test_first_not(dst + h, 0xee, len - h))
				TH_LOG("%s: written past the fault", what);
		}

		/* Misaligned: holey source at +3, the others and dst elsewhere. */
		off = h ? h - 3 : 0;
		srcs[0] = n[0] + 1;
		srcs[1] = hb + 3;
		ref_xor(ref, srcs, 2, off);
		memset(dst, 0xee, len);
		CASE("source 1 at +3");
		expect_xor(_metadata, &self->ring, dst + 7, srcs, 2, len - 8,
			   -EFAULT, off, what);
		ASSERT_EQ(off, pel_test_first_diff(dst + 7, ref, off)) TH_LOG("%s: bytes", what);
		ASSERT_EQ(len - 7 - off, pel_test_first_not(dst + 7 + off, 0xee, len - 7 - off))
			TH_LOG("%s: written past the fault", what);

		/* Exactly up to the hole: complete. */
		if (h) {
			srcs[0] = n[0];
			srcs[1] = hb;
			ref_xor(ref, srcs, 2, h);
			CASE("up to the hole");
			expect_xor(_metadata, &self->ring, dst, srcs, 2, h, h, h, what);
			ASSERT_EQ(h, pel_test_first_diff(dst, ref, h)) TH_LOG("%s: bytes", what);
		}
		munmap(hb, len);

		/* Holey destination. */
		hb = pel_test_holey_buffer(len, h);
		ASSERT_NE(NULL, hb);
		srcs[0] = n[0];
		srcs[1] = n[1];
		srcs[2] = n[2];
		ref_xor(ref, srcs, 3, len);
		CASE("destination");
		expect_xor(_metadata, &self->ring, hb, srcs, 3, len, -EFAULT, h, what);
		ASSERT_EQ(h, pel_test_first_diff(hb, ref, h)) TH_LOG("%s: bytes", what);
		if (h + pg < len)
			ASSERT_EQ(len - h - pg, pel_test_first_not(hb + h + pg, 0x5a, len - h - pg))
				TH_LOG("%s: written past the hole", what);
		munmap(hb, len);

		/* Holey destination that is also source 0: in-place parity. */
		hb = pel_test_holey_buffer(len, h);
		ASSERT_NE(NULL, hb);
		if (h)
			pel_test_fill_random(hb, h, i + 50);
		srcs[0] = hb;
		srcs[1] = n[1];
		ref_xor(ref, srcs, 2, h);
		CASE("in place");
		expect_xor(_metadata, &self->ring, hb, srcs, 2, len, -EFAULT, h, what);
		ASSERT_EQ(h, pel_test_first_diff(hb, ref, h)) TH_LOG("%s: bytes", what);
		munmap(hb, len);
#undef CASE
	}
	for (j = 0; j < MAX_SRCS; j++)
		free(n[j]);
	free(dst);
	free(ref);
}

/* A fault a few chunks in, and len = PEL_MAX_OP_LEN running into a hole. */
TEST_F(ring, fault_in_a_later_chunk_and_max_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 24 * pg, h = 20 * pg;
	uint8_t *hb = pel_test_holey_buffer(len, h), *hd = pel_test_holey_buffer(len, h);
	uint8_t *a = malloc(len), *b = malloc(len), *dst = malloc(len), *ref = malloc(len);
	const void *srcs[3];

	ASSERT_TRUE(hb && hd && a && b && dst && ref);
	pel_test_fill_random(hb, h, 1);
	pel_test_fill_random(a, len, 2);
	pel_test_fill_random(b, len, 3);
	srcs[0] = a;
	srcs[1] = hb;
	srcs[2] = b;
	ref_xor(ref, srcs, 3, h);
	memset(dst, 0xee, len);
	expect_xor(_metadata, &self->ring, dst, srcs, 3, len, -EFAULT, h,
		   "source 1 hole at page 20");
	ASSERT_EQ(h, pel_test_first_diff(dst, ref, h));
	ASSERT_EQ(len - h, pel_test_first_not(dst + h, 0xee, len - h));

	srcs[1] = b;
	ref_xor(ref, srcs, 2, h);
	expect_xor(_metadata, &self->ring, hd, srcs, 2, len, -EFAULT, h,
		   "destination hole at page 20");
	ASSERT_EQ(h, pel_test_first_diff(hd, ref, h));

	/* The sources end in holes: max len runs into them. */
	srcs[0] = hb;
	srcs[1] = hd;
	ref_xor(ref, srcs, 2, h);
	memset(dst, 0xee, len);
	expect_xor(_metadata, &self->ring, dst, srcs, 2, PEL_MAX_OP_LEN, -EFAULT, h,
		   "max len");
	ASSERT_EQ(h, pel_test_first_diff(dst, ref, h));
	ASSERT_EQ(len - h, pel_test_first_not(dst + h, 0xee, len - h));
	munmap(hb, len);
	munmap(hd, len);
	free(a);
	free(b);
	free(dst);
	free(ref);
}

/* Many in flight on every queue, each with its own source array. */
TEST_F(ring, batch_over_queues)
{
	enum { NR = 32, NSRC = 3 };
	const size_t len = 50001;
	uint8_t *src = malloc((NR + NSRC) * len), *dst = calloc(NR, len);
	uint8_t *ref = malloc(len), seen[NR] = { 0 };
	const void *srcs[NR][NSRC];
	unsigned int i, j, got;
	struct pel_cqe *cqe;

	ASSERT_TRUE(src && dst && ref);
	pel_test_fill_random(src, (NR + NSRC) * len, 9);
	for (i = 0; i < NR; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		for (j = 0; j < NSRC; j++)
			srcs[i][j] = src + (i + j) * len;
		lpel_prep_xor(sqe, dst + i * len, srcs[i], NSRC, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(NR, lpel_submit(&self->ring));
	for (got = 0; got < NR; got++) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 20000000000ULL));
		i = cqe->user_data;
		ASSERT_GT(NR, i);
		EXPECT_EQ(0, seen[i]);
		seen[i] = 1;
		EXPECT_EQ((int)len, cqe->res) TH_LOG("batch op %u", i);
		EXPECT_EQ(len, cqe->result) TH_LOG("batch op %u", i);
		lpel_cqe_seen(&self->ring, cqe);
	}
	for (i = 0; i < NR; i++) {
		ref_xor(ref, srcs[i], NSRC, len);
		ASSERT_EQ(len, pel_test_first_diff(dst + i * len, ref, len))
			TH_LOG("batch op %u", i);
	}
	free(src);
	free(dst);
	free(ref);
}

TEST_HARNESS_MAIN
