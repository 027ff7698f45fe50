// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Host unit test of lpel_crc32c_combine() (lib/crc.c): no module, no ring.
 * Every expected value is ISA-L's crc32_iscsi() over the whole stream, an
 * independent implementation (checked first against CRC-32C's check value
 * and RFC 3720's vectors); the combine is asked for the CRC of A || B from
 * ISA-L's CRCs of A and of B, for:
 *
 *   - every kind of split of a 1 MiB + 77 byte buffer: len2 = 0, 1, 2, 3,
 *     odd, around 64 and 4096, half, all but 0 and 1 bytes, and 500 random
 *     splits;
 *   - A seeded with a non-zero seed (a CRC continued from earlier bytes);
 *   - three pieces combined in both groupings (the associativity an MPI
 *     reduction, or any tree of combines, relies on) and not commuted;
 *   - len2 > 4 GiB: B is a 1 MiB block repeated 4097 times and a 12345 byte
 *     tail, streamed through ISA-L, and also built by composition (the
 *     block's CRC combined with itself by doubling up to 4 GiB, then folded
 *     block by block): a length kept in 32 bits would give another CRC.
 *
 * Prints "ok N - what" lines and the plan last; exits 1 when a check failed.
 *
 *	make tests/bin/crc_combine_unit && tests/bin/crc_combine_unit
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpel.h"
#include "pel_ref.h"
#include "tap.h"

#define MIB		(1024 * 1024)
#define BUF_LEN		(MIB + 77)
#define BLOCK		MIB
#define BIG_BLOCKS	4097u		/* 4097 MiB: past 4 GiB */
#define BIG_TAIL	12345u
#define SEED		0xdeadbeefu

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_reference(void)
{
	unsigned char v[32];

	check(pel_ref_crc32c(0, "123456789", 9) == 0xe3069283u,
	      "reference: CRC-32C check value of \"123456789\" is 0xe3069283");
	memset(v, 0, sizeof(v));
	check(pel_ref_crc32c(0, v, 32) == 0x8a9136aau,
	      "reference: RFC 3720 32 bytes of zeros 0x8a9136aa");
	memset(v, 0xff, sizeof(v));
	check(pel_ref_crc32c(0, v, 32) == 0x62a8ab43u,
	      "reference: RFC 3720 32 bytes of ones 0x62a8ab43");
	check(pel_ref_crc32c(pel_ref_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u,
	      "reference: continued from a seed");
}

/* One split of buf at cut: the combine of its halves against the whole. */
static bool split_ok(const unsigned char *buf, size_t len, size_t cut,
		     uint32_t seed, uint32_t whole)
{
	uint32_t a = pel_ref_crc32c(seed, buf, cut);
	uint32_t b = pel_ref_crc32c(0, buf + cut, len - cut);

	return lpel_crc32c_combine(a, b, len - cut) == whole;
}

static void test_splits(const unsigned char *buf)
{
	static const size_t len2s[] = {
		0, 1, 2, 3, 5, 7, 63, 64, 65, 4095, 4096, 4097, 65537,
		BUF_LEN / 2, BUF_LEN / 2 + 1, BUF_LEN - 1, BUF_LEN,
	};
	uint32_t whole = pel_ref_crc32c(0, buf, BUF_LEN);
	uint32_t whole_s = pel_ref_crc32c(SEED, buf, BUF_LEN);
	unsigned int i, bad = 0, bad_s = 0;

	for (i = 0; i < sizeof(len2s) / sizeof(len2s[0]); i++) {
		size_t len2 = len2s[i];

		check(split_ok(buf, BUF_LEN, BUF_LEN - len2, 0, whole),
		      "split of %u bytes with len2 = %zu", BUF_LEN, len2);
	}
	for (i = 0; i < 500; i++) {
		size_t cut = rnd() % (BUF_LEN + 1);

		if (!split_ok(buf, BUF_LEN, cut, 0, whole)) {
			printf("# random split at %zu: wrong\n", cut);
			bad++;
		}
		if (!split_ok(buf, BUF_LEN, cut, SEED, whole_s)) {
			printf("# random split at %zu, seed 0x%08x: wrong\n",
			       cut, SEED);
			bad_s++;
		}
	}
	check(!bad, "500 random splits (%u wrong)", bad);
	check(!bad_s, "500 random splits, A seeded 0x%08x (%u wrong)", SEED, bad_s);

	/* CRC of nothing (seed 0) is 0: len2 = 0 leaves any crc1 as it is. */
	check(lpel_crc32c_combine(0x12345678u, 0, 0) == 0x12345678u &&
	      lpel_crc32c_combine(0xffffffffu, 0, 0) == 0xffffffffu,
	      "len2 = 0 and crc2 = 0 leave crc1 unchanged");
	/* A = nothing: crc1 = 0, the result is crc2 whatever len2 is. */
	check(lpel_crc32c_combine(0, whole, BUF_LEN) == whole,
	      "crc1 = 0 of an empty A gives crc2");
}

static void test_assoc(const unsigned char *buf)
{
	size_t l1 = 1000, l2 = 333333, l3 = BUF_LEN - l1 - l2;
	uint32_t c1 = pel_ref_crc32c(0, buf, l1);
	uint32_t c2 = pel_ref_crc32c(0, buf + l1, l2);
	uint32_t c3 = pel_ref_crc32c(0, buf + l1 + l2, l3);
	uint32_t whole = pel_ref_crc32c(0, buf, BUF_LEN);
	uint32_t left = lpel_crc32c_combine(lpel_crc32c_combine(c1, c2, l2), c3, l3);
	uint32_t right = lpel_crc32c_combine(c1, lpel_crc32c_combine(c2, c3, l3),
					     l2 + l3);

	check(left == whole, "((1 2) 3) = the whole: 0x%08x, want 0x%08x",
	      left, whole);
	check(right == whole, "(1 (2 3)) = the whole: 0x%08x, want 0x%08x",
	      right, whole);
	/* Not commutative: B then A is another CRC (the pieces differ). */
	check(lpel_crc32c_combine(c2, c1, l1) !=
	      lpel_crc32c_combine(c1, c2, l2),
	      "combine is not commutative (order of pieces matters)");
}

static void test_big(const unsigned char *block)
{
	uint64_t len2 = (uint64_t)BIG_BLOCKS * BLOCK + BIG_TAIL;
	uint32_t a, b_stream = 0, whole_stream, at4g = 0, cb, ct, c, dbl;
	uint64_t dlen;
	unsigned int i;

	/* A: 777 bytes; B streamed from 0, A || B streamed from A's CRC. */
	a = pel_ref_crc32c(0, block + 1, 777);
	whole_stream = a;
	for (i = 0; i < BIG_BLOCKS; i++) {
		b_stream = pel_ref_crc32c(b_stream, block, BLOCK);
		whole_stream = pel_ref_crc32c(whole_stream, block, BLOCK);
		if (i == 4095)
			at4g = b_stream;
	}
	b_stream = pel_ref_crc32c(b_stream, block, BIG_TAIL);
	whole_stream = pel_ref_crc32c(whole_stream, block, BIG_TAIL);

	check(lpel_crc32c_combine(a, b_stream, len2) == whole_stream,
	      "len2 = %llu (> 4 GiB): 0x%08x, want 0x%08x",
	      (unsigned long long)len2,
	      lpel_crc32c_combine(a, b_stream, len2), whole_stream);
	check(lpel_crc32c_combine(a, b_stream, len2 & 0xffffffffu) != whole_stream,
	      "len2 cut to 32 bits gives another CRC (the test can tell)");

	/* B by composition: the block's CRC doubled 12 times is 4 GiB. */
	cb = pel_ref_crc32c(0, block, BLOCK);
	dbl = cb;
	for (dlen = BLOCK; dlen < 4ull << 30; dlen *= 2)
		dbl = lpel_crc32c_combine(dbl, dbl, dlen);
	check(dlen == 4ull << 30 && dbl == at4g,
	      "4 GiB by doubling: 0x%08x, streamed 0x%08x", dbl, at4g);
	c = lpel_crc32c_combine(dbl, cb, BLOCK);
	ct = pel_ref_crc32c(0, block, BIG_TAIL);
	c = lpel_crc32c_combine(c, ct, BIG_TAIL);
	check(c == b_stream, "%llu bytes by composition: 0x%08x, streamed 0x%08x",
	      (unsigned long long)len2, c, b_stream);
	c = 0;
	for (i = 0; i < BIG_BLOCKS; i++)
		c = lpel_crc32c_combine(c, cb, BLOCK);
	c = lpel_crc32c_combine(c, ct, BIG_TAIL);
	check(c == b_stream, "%u blocks folded one by one: 0x%08x, streamed 0x%08x",
	      BIG_BLOCKS, c, b_stream);
	check(lpel_crc32c_combine(a, c, len2) == whole_stream,
	      "A || B from the composed B: 0x%08x", whole_stream);
}

int main(void)
{
	unsigned char *buf = malloc(BUF_LEN);
	size_t i;

	if (!buf) {
		fprintf(stderr, "crc_combine_unit: out of memory\n");
		return 1;
	}
	for (i = 0; i < BUF_LEN; i++)
		buf[i] = (unsigned char)rnd();
	test_reference();
	test_splits(buf);
	test_assoc(buf);
	test_big(buf);
	free(buf);
	return tap_done();
}
