// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Host unit test of the user backend's op layer (lib/uops.c): no module,
 * no VM.  Links lib/uops.c directly:
 *
 *	make tests/bin/uops_unit && tests/bin/uops_unit
 *
 * Checks each op's bytes and CQE against independent references (a bitwise
 * CRC-32C, FIPS 180-2 vectors and OpenSSL's SHA256(), memcmp), every
 * -EINVAL case and which error wins, exact -EFAULT offsets around holes,
 * read-only pages and kernel addresses (with nothing written past them),
 * that the application's own SIGSEGV/SIGBUS handlers still work, CRC
 * combining and merging of split chunks, PEL_SQE_FIXED, and *stop.
 * Prints "ok N - what" lines; exits non-zero when any check failed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>
#include <openssl/sha.h>

#include "uops.h"
#include "tap.h"

/*
 * Built with a sanitizer (tests/host.sh's asan and tsan flavours): GCC
 * says so with __SANITIZE_*__, clang with __has_feature().
 */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static long pg;


/* ---- References ------------------------------------------------------- */

static uint32_t ref_crc32c(uint32_t seed, const uint8_t *p, size_t n)
{
	uint32_t c = ~seed;
	unsigned int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

static uint8_t pat_byte(uint64_t pattern, uint64_t i)
{
	return pattern >> (8 * (i % 8));
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = rnd();
}

/* The first byte of p[0, n) that is not c, or n. */
static size_t first_not(const void *p, int c, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n && b[i] == (uint8_t)c; i++)
		;
	return i;
}

/* A macro: GCC takes a const pointer argument for a read of it. */
#define u(p)	((uint64_t)(uintptr_t)(p))

/* ---- Running ops ------------------------------------------------------ */

#define sqe_of(op, addr, addr2, len, arg0) \
	sqe_mk(op, u(addr), u(addr2), len, arg0)

static struct pel_sqe sqe_mk(uint8_t opcode, uint64_t addr, uint64_t addr2,
			     uint64_t len, uint64_t arg0)
{
	struct pel_sqe s;

	memset(&s, 0, sizeof(s));
	s.opcode = opcode;
	s.addr = addr;
	s.addr2 = addr2;
	s.len = len;
	s.arg0 = arg0;
	s.user_data = 0x1234;
	return s;
}

/* Check and run the op whole, as the engine would; the CQE. */
static struct pel_cqe run_all(const struct pel_sqe *sqe,
			      const struct lpel_ubufs *bufs,
			      const struct lpel_ufiles *files,
			      const volatile int *stop)
{
	struct lpel_uop op;
	struct lpel_upiece p;
	struct pel_cqe cqe;
	int ret;

	memset(&cqe, 0, sizeof(cqe));
	op.sqe = *sqe;
	ret = lpel_uop_check_files(&op, bufs, files);
	if (ret) {
		cqe.res = ret;
		return cqe;
	}
	lpel_uop_run(&op, 0, sqe->len, stop, &p);
	lpel_uop_finish(&op, &p, &cqe);
	return cqe;
}

static struct pel_cqe run_bufs(const struct pel_sqe *sqe,
			       const struct lpel_ubufs *bufs,
			       const volatile int *stop)
{
	return run_all(sqe, bufs, NULL, stop);
}

static struct pel_cqe run(const struct pel_sqe *sqe)
{
	return run_bufs(sqe, NULL, NULL);
}

/* Run as pieces cut at cuts[0 .. n) (ascending, inside the op), merged. */
static struct pel_cqe run_split(const struct pel_sqe *sqe,
				const uint64_t *cuts, unsigned int n)
{
	struct lpel_upiece whole, p;
	struct lpel_uop op;
	struct pel_cqe cqe;
	uint64_t at, end;
	unsigned int i;
	int ret;

	memset(&cqe, 0, sizeof(cqe));
	op.sqe = *sqe;
	ret = lpel_uop_check(&op, NULL);
	if (ret) {
		cqe.res = ret;
		return cqe;
	}
	at = n ? cuts[0] : sqe->len;
	lpel_uop_run(&op, 0, at, NULL, &whole);
	for (i = 0; i < n; i++) {
		end = i + 1 < n ? cuts[i + 1] : sqe->len;
		lpel_uop_run(&op, at, end - at, NULL, &p);
		lpel_uop_merge(&op, &whole, at, &p);
		at = end;
	}
	lpel_uop_finish(&op, &whole, &cqe);
	return cqe;
}

static bool expect(struct pel_cqe c, int res, uint64_t result, const char *what)
{
	return check(c.res == res && c.result == result,
		     "%s: res %d result %llu (want %d %llu)", what, c.res,
		     (unsigned long long)c.result, res,
		     (unsigned long long)result);
}

/* npages RW pages with page `hole` unmapped (or given prot, if prot >= 0). */
static uint8_t *holey(unsigned int npages, unsigned int hole, int prot)
{
	uint8_t *p = mmap(NULL, npages * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(p, 0x5a, npages * pg);
	if (prot < 0)
		munmap(p + hole * pg, pg);
	else
		mprotect(p + hole * pg, pg, prot);
	return p;
}

static void unholey(uint8_t *p, unsigned int npages)
{
	munmap(p, npages * pg);
}

/* ---- Op results ------------------------------------------------------- */

static const uint64_t lens[] = { 0, 1, 7, 8, 31, 33, 4096, 4099, 65536,
				 65537, 200003 };
#define NR_LENS (sizeof(lens) / sizeof(lens[0]))
#define BIG	(256 * 1024)

static void test_copy(void)
{
	uint8_t *src = malloc(BIG + 64), *dst = malloc(BIG + 64);
	uint8_t *ref = malloc(BIG + 64);
	struct pel_sqe s;
	struct lpel_uop op;
	unsigned int i;
	bool good = true;

	fill_random(src, BIG + 64);
	for (i = 0; i < NR_LENS; i++) {
		memset(dst, 0xee, BIG + 64);
		s = sqe_of(PEL_OP_COPY, dst + 3, src + 1, lens[i], 0);
		good &= expect(run(&s), lens[i], lens[i], "copy");
		good &= !memcmp(dst + 3, src + 1, lens[i]) &&
			first_not(dst + 3 + lens[i], 0xee, 16) == 16 &&
			dst[2] == 0xee;
	}
	check(good, "copy bytes, unaligned, lens 0..200003");

	/* Overlapping, destination below: front to back. */
	fill_random(src, BIG + 64);
	memcpy(ref, src, BIG + 64);
	memmove(ref + 5, ref + 5 + 70001, 150000);
	s = sqe_of(PEL_OP_COPY, src + 5, src + 5 + 70001, 150000, 0);
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && !op.backward && !op.splittable,
	      "copy below its source: forward, not splittable");
	expect(run(&s), 150000, 150000, "copy below its source");
	check(!memcmp(src, ref, BIG + 64), "copy below its source: bytes");

	/* Overlapping, destination inside the source: back to front. */
	fill_random(src, BIG + 64);
	memcpy(ref, src, BIG + 64);
	memmove(ref + 100003, ref + 7, 150000);
	s = sqe_of(PEL_OP_COPY, src + 100003, src + 7, 150000, 0);
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && op.backward && !op.splittable,
	      "copy into its source's tail: backward, not splittable");
	expect(run(&s), 150000, 150000, "copy backward");
	check(!memcmp(src, ref, BIG + 64), "copy backward: bytes");

	s = sqe_of(PEL_OP_COPY, src, src, 4096, 0);
	expect(run(&s), 4096, 4096, "copy onto itself");
	s = sqe_of(PEL_OP_COPY, dst, src, 4096, 0);
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && !op.backward && op.splittable,
	      "copy apart: splittable");
	free(src);
	free(dst);
	free(ref);
}

static void test_fill(void)
{
	static const uint64_t pats[] = { 0, ~0ULL, 0x0123456789abcdefULL,
					 0xa5a5a5a5a5a5a5a5ULL, 0x00000000000000a5ULL };
	uint8_t *d = malloc(BIG + 64);
	struct pel_sqe s;
	uint64_t cut[2];
	unsigned int i, k;
	uint64_t j;
	bool good = true;

	for (k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		for (i = 0; i < NR_LENS; i++) {
			memset(d, 0xee, BIG + 64);
			s = sqe_of(PEL_OP_FILL, d + 5, NULL, lens[i], pats[k]);
			good &= expect(run(&s), lens[i], lens[i], "fill");
			for (j = 0; j < lens[i]; j++)
				if (d[5 + j] != pat_byte(pats[k], j))
					break;
			good &= j == lens[i] && d[4] == 0xee &&
				d[5 + lens[i]] == 0xee;
		}
	}
	check(good, "fill bytes: pattern from the op's start, all lens");

	/* Pieces at offsets that are not multiples of 8 stay in phase. */
	memset(d, 0xee, BIG + 64);
	cut[0] = 13;
	cut[1] = 70001;
	s = sqe_of(PEL_OP_FILL, d, NULL, 200003, 0x0123456789abcdefULL);
	expect(run_split(&s, cut, 2), 200003, 200003, "fill in 3 pieces");
	for (j = 0; j < 200003; j++)
		if (d[j] != pat_byte(0x0123456789abcdefULL, j))
			break;
	check(j == 200003, "fill in pieces at odd offsets: bytes in phase");
	free(d);
}

static void test_compare(void)
{
	uint8_t *a = malloc(BIG), *b = malloc(BIG);
	static const uint64_t at[] = { 0, 1, 63, 64, 4095, 65535, 65536,
				       150001, 199999 };
	uint64_t pattern = 0x8000000000000001ULL, cut[3] = { 4096, 65536, 131072 };
	struct pel_sqe s;
	unsigned int i;
	uint64_t j;
	bool good = true;

	fill_random(a, BIG);
	memcpy(b, a, BIG);
	s = sqe_of(PEL_OP_COMPARE, a, b, 200000, 0);
	expect(run(&s), 0, 0, "compare equal");
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		b[at[i]] ^= 0x10;
		good &= expect(run(&s), 1, at[i], "compare, one difference");
		good &= expect(run_split(&s, cut, 3), 1, at[i],
			       "compare in 4 chunks, one difference");
		b[at[i] + 7 < 200000 ? at[i] + 7 : at[i]] ^= 0x01;
		good &= expect(run_split(&s, cut, 3), 1, at[i],
			       "compare in chunks: the first difference");
		memcpy(b, a, BIG);
	}
	check(good, "compare: first difference at every offset tried");
	s = sqe_of(PEL_OP_COMPARE, a, b, 0, 0);
	expect(run(&s), 0, 0, "compare len 0");

	for (j = 0; j < BIG; j++)
		a[j] = pat_byte(pattern, j);
	s = sqe_of(PEL_OP_COMPARE_PATTERN, NULL, a, 200000, pattern);
	expect(run(&s), 0, 0, "compare_pattern equal");
	expect(run_split(&s, cut, 3), 0, 0, "compare_pattern in chunks, equal");
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		a[at[i]] ^= 0x80;
		good &= expect(run(&s), 1, at[i], "compare_pattern, one difference");
		good &= expect(run_split(&s, cut, 3), 1, at[i],
			       "compare_pattern in chunks");
		a[at[i]] ^= 0x80;
	}
	check(good, "compare_pattern: first difference at every offset tried");
	/* A piece starting at an odd offset compares in phase. */
	cut[0] = 3;
	cut[1] = 65541;
	cut[2] = 100003;
	expect(run_split(&s, cut, 3), 0, 0, "compare_pattern, pieces at odd offsets");
	a[100003] ^= 1;
	expect(run_split(&s, cut, 3), 1, 100003,
	       "compare_pattern, difference at a piece's first byte");
	free(a);
	free(b);
}

static void test_crc(void)
{
	uint8_t *src = malloc(BIG), *dst = malloc(BIG);
	static const uint32_t seeds[] = { 0, 1, 0xffffffff, 0xdeadbeef };
	uint8_t check9[] = "123456789";
	struct pel_sqe s;
	uint32_t c1;
	unsigned int i, k;
	bool good = true;

	check(crc32_iscsi(check9, 9, ~0u) == ~0xe3069283u,
	      "ISA-L crc32_iscsi is a raw register (pre/post inversion ours)");
	s = sqe_of(PEL_OP_CRC32C, NULL, check9, 9, 0);
	expect(run(&s), 9, 0xe3069283, "crc32c \"123456789\"");
	fill_random(src, BIG);
	for (k = 0; k < 4; k++)
		for (i = 0; i < NR_LENS; i++) {
			s = sqe_of(PEL_OP_CRC32C, NULL, src + 3, lens[i], seeds[k]);
			good &= expect(run(&s), lens[i],
				       ref_crc32c(seeds[k], src + 3, lens[i]),
				       "crc32c vs bitwise reference");
			memset(dst, 0, BIG);
			s = sqe_of(PEL_OP_COPY_CRC32C, dst + 1, src + 3, lens[i],
				   seeds[k]);
			good &= expect(run(&s), lens[i],
				       ref_crc32c(seeds[k], src + 3, lens[i]),
				       "copy_crc32c vs bitwise reference");
			good &= !memcmp(dst + 1, src + 3, lens[i]);
		}
	check(good, "crc32c and copy_crc32c: all lens and seeds");
	/* The result of one piece as the seed of the next continues it. */
	s = sqe_of(PEL_OP_CRC32C, NULL, src, 1000, 7);
	c1 = run(&s).result;
	s = sqe_of(PEL_OP_CRC32C, NULL, src + 1000, 5000, c1);
	expect(run(&s), 5000, ref_crc32c(7, src, 6000),
	       "crc32c seeded with the previous result continues it");
	free(src);
	free(dst);
}

static void test_crc_merge(void)
{
	size_t len = 1 << 20;
	uint8_t *src = malloc(len), *dst = malloc(len);
	uint64_t cuts[8], tmp;
	struct pel_sqe s;
	unsigned int t, n, i, j;
	uint32_t whole, a, b, seed;
	size_t at;
	bool good = true;

	fill_random(src, len);
	for (t = 0; t < 200; t++) {
		at = rnd() % (len + 1);
		a = ~crc32_iscsi(src, at, ~0u);
		b = ~crc32_iscsi(src + at, len - at, ~0u);
		whole = ~crc32_iscsi(src, len, ~0u);
		good &= lpel_uop_crc32c_combine(a, b, len - at) == whole;
	}
	check(good, "crc32c combine == ISA-L over the whole, 200 random splits");
	good = true;
	for (t = 0; t < 100; t++) {
		seed = rnd();
		/* 0..7 cuts, ascending; equal ones make empty pieces. */
		n = rnd() % 8;
		for (i = 0; i < n; i++)
			cuts[i] = 1 + rnd() % (len - 1);
		for (i = 1; i < n; i++)
			for (j = i; j && cuts[j - 1] > cuts[j]; j--) {
				tmp = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = tmp;
			}
		if (t & 1)
			s = sqe_of(PEL_OP_COPY_CRC32C, dst, src, len, seed);
		else
			s = sqe_of(PEL_OP_CRC32C, NULL, src, len, seed);
		good &= expect(run_split(&s, cuts, n), len,
			       (uint32_t)~crc32_iscsi(src, len, ~seed),
			       "crc32c in random pieces, merged");
	}
	check(good, "crc32c / copy_crc32c run in random pieces and merged == "
	      "ISA-L, 100 runs");
	check(!memcmp(dst, src, len), "copy_crc32c in pieces: bytes");
	free(src);
	free(dst);
}

static void test_dualcast(void)
{
	uint8_t *src = malloc(BIG), *d1 = malloc(BIG), *d2 = malloc(BIG);
	struct pel_sqe s;
	unsigned int i;
	bool good = true;

	fill_random(src, BIG);
	for (i = 0; i < NR_LENS; i++) {
		memset(d1, 0xee, BIG);
		memset(d2, 0xdd, BIG);
		s = sqe_of(PEL_OP_DUALCAST, d1 + 1, src, lens[i], u(d2 + 9));
		good &= expect(run(&s), lens[i], lens[i], "dualcast");
		good &= !memcmp(d1 + 1, src, lens[i]) &&
			!memcmp(d2 + 9, src, lens[i]) && d1[0] == 0xee &&
			d2[8] == 0xdd && d1[1 + lens[i]] == 0xee &&
			d2[9 + lens[i]] == 0xdd;
	}
	check(good, "dualcast: both destinations, all lens");
	free(src);
	free(d1);
	free(d2);
}

static void ref_xor(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
		    size_t len)
{
	size_t i;
	unsigned int k;
	uint8_t v;

	for (i = 0; i < len; i++) {
		v = 0;
		for (k = 0; k < nr; k++)
			v ^= srcs[k][i];
		dst[i] = v;
	}
}

static void test_xor(void)
{
	static const unsigned int nrs[] = { 1, 2, 3, 5, 16 };
	/* Offsets of sources and destination: all aligned, same, mixed. */
	static const unsigned int offs[][2] = { { 0, 0 }, { 5, 5 }, { 0, 3 },
						{ 32, 1 } };
	uint8_t *pool = aligned_alloc(64, 18 * (BIG + 128));
	uint8_t *srcs[PEL_XOR_MAX_SRCS], *dst, *ref = malloc(BIG);
	uint64_t list[PEL_XOR_MAX_SRCS], cut[2] = { 4096 + 3, 65536 * 2 };
	struct pel_sqe s;
	unsigned int a, o, i, k, nr;
	bool good = true;

	fill_random(pool, 18 * (BIG + 128));
	for (a = 0; a < sizeof(nrs) / sizeof(nrs[0]); a++) {
		nr = nrs[a];
		for (o = 0; o < 4; o++) {
			for (k = 0; k < nr; k++) {
				/* The mixed case: every other source off by offs[o][1]. */
				srcs[k] = pool + k * (BIG + 128) + offs[o][0] +
					  (k & 1 ? offs[o][1] : 0);
				list[k] = u(srcs[k]);
			}
			dst = pool + 17 * (BIG + 128) + offs[o][0];
			for (i = 0; i < NR_LENS; i++) {
				ref_xor(ref, srcs, nr, lens[i]);
				s = sqe_of(PEL_OP_XOR, dst, list, lens[i], nr);
				good &= expect(run(&s), lens[i], lens[i], "xor");
				good &= !memcmp(dst, ref, lens[i]);
			}
			memset(dst, 0, 200003);
			s = sqe_of(PEL_OP_XOR, dst, list, 200003, nr);
			ref_xor(ref, srcs, nr, 200003);
			good &= expect(run_split(&s, cut, 2), 200003, 200003,
				       "xor in pieces");
			good &= !memcmp(dst, ref, 200003);
		}
	}
	check(good, "xor: 1..16 sources, aligned, same and mixed alignment, all lens");

	/* In place: the destination is one of the sources. */
	good = true;
	for (a = 0; a < sizeof(nrs) / sizeof(nrs[0]); a++) {
		nr = nrs[a];
		for (o = 0; o < 2; o++) {
			for (k = 0; k < nr; k++) {
				srcs[k] = pool + k * (BIG + 128) + offs[o][0];
				list[k] = u(srcs[k]);
			}
			k = nr / 2;
			ref_xor(ref, srcs, nr, 200003);
			s = sqe_of(PEL_OP_XOR, srcs[k], list, 200003, nr);
			good &= expect(run(&s), 200003, 200003, "xor in place");
			good &= !memcmp(srcs[k], ref, 200003);
		}
	}
	check(good, "xor in place (destination = a source): parity right");
	free(pool);
	free(ref);
}

static void test_sha256(void)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t million_a[32] = {
		0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92,
		0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
		0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
		0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0 };
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
	uint8_t d[32], ref[32], *m = malloc(1000000);
	struct pel_sqe s;
	struct lpel_uop op;
	unsigned int i;
	bool good = true;

	s = sqe_of(PEL_OP_SHA256, d, "abc", 3, 0);
	expect(run(&s), 3, 0, "sha256 \"abc\"");
	check(!memcmp(d, abc, 32), "sha256 \"abc\" digest (FIPS 180-2)");
	memset(m, 'a', 1000000);
	s = sqe_of(PEL_OP_SHA256, d, m, 1000000, 0);
	expect(run(&s), 1000000, 0, "sha256 of 10^6 'a'");
	check(!memcmp(d, million_a, 32), "sha256 10^6 'a' digest (FIPS 180-2)");
	s = sqe_of(PEL_OP_SHA256, d, NULL, 0, 0);
	expect(run(&s), 0, 0, "sha256 of nothing");
	check(!memcmp(d, empty, 32), "sha256 empty digest");
	fill_random(m, 1000000);
	for (i = 0; i < NR_LENS; i++) {
		s = sqe_of(PEL_OP_SHA256, d, m + 1, lens[i], 0);
		good &= expect(run(&s), lens[i], 0, "sha256");
		SHA256(m + 1, lens[i], ref);
		good &= !memcmp(d, ref, 32);
	}
	check(good, "sha256 == OpenSSL SHA256(), all lens");
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && !op.splittable,
	      "sha256 is not splittable");
	free(m);
}

/* ---- Per-block digests (PEL_OPF_BLOCKS) --------------------------------- */

#define UOP_TEST_MIN(a, b)	((a) < (b) ? (a) : (b))

static struct pel_sqe blk_mk(uint8_t opcode, uint64_t arr, uint64_t src,
			     uint64_t len, uint64_t block, uint64_t seed)
{
	struct pel_sqe s = sqe_mk(opcode, arr, src, len, seed);

	s.op_flags = PEL_OPF_BLOCKS;
	s.arg1 = block;
	return s;
}

#define blk_of(op, arr, src, len, block, seed) \
	blk_mk(op, u(arr), u(src), len, block, seed)

static struct pel_cqe run_files(const struct pel_sqe *sqe,
				const struct lpel_ubufs *bufs,
				const struct lpel_ufiles *files)
{
	return run_all(sqe, bufs, files, NULL);
}

/*
 * The nr digests at out are those of [src, src + done) in blocks of bs
 * (the last may be shorter), against the bitwise CRC or SHA256(); the
 * bytes after them up to room are still 0xee.
 */
static bool blk_right(uint8_t opcode, const uint8_t *out, size_t room,
		      const uint8_t *src, uint64_t done, uint64_t bs,
		      uint32_t seed)
{
	size_t dsize = opcode == PEL_OP_SHA256 ? 32 : 4;
	uint64_t nr = (done + bs - 1) / bs, i, n;
	uint8_t ref[32];
	uint32_t crc;

	if (nr * dsize > room)
		return false;
	for (i = 0; i < nr; i++) {
		n = UOP_TEST_MIN(bs, done - i * bs);
		if (opcode == PEL_OP_SHA256) {
			SHA256(src + i * bs, n, ref);
		} else {
			crc = ref_crc32c(seed, src + i * bs, n);
			memcpy(ref, &crc, 4);
		}
		if (memcmp(out + i * dsize, ref, dsize))
			return false;
	}
	return first_not(out + nr * dsize, 0xee, room - nr * dsize) ==
	       room - nr * dsize;
}

/* Every -EINVAL of PEL_OPF_BLOCKS, and which error wins (uop_check_fields()). */
static void test_blocks_einval(void)
{
	static uint8_t src[8192], arr[1024];
	char path[] = "/tmp/uops-blocks-XXXXXX";
	int fd = mkstemp(path), empty = -1;
	struct lpel_ufiles files = { 1, &fd }, none = { 1, &empty };
	struct lpel_ubuf rb[2] = { { u(arr), 64 }, { u(src), sizeof(src) } };
	struct lpel_ubufs bufs = { 2, rb };
	struct lpel_ubuf tb;
	struct pel_sqe s, base = blk_of(PEL_OP_CRC32C, arr, src, 4096, 512, 0);
	struct {
		struct pel_sqe s;
		int want;
		uint64_t result;
		const struct lpel_ufiles *files;
		const struct lpel_ubufs *bufs;
		const char *what;
	} c[80];
	unsigned int n = 0, i;

	/* Registered buffers are sorted by address. */
	if (rb[0].addr > rb[1].addr) {
		tb = rb[0];
		rb[0] = rb[1];
		rb[1] = tb;
	}
	if (fd < 0 || pwrite(fd, src, sizeof(src), 0) != sizeof(src)) {
		check(false, "blocks: a file to read");
		return;
	}
	unlink(path);
#define CASE(expr, w, r, f, b, name) do { s = base; expr; c[n].s = s; \
	c[n].want = w; c[n].result = r; c[n].files = f; c[n].bufs = b; \
	c[n++].what = name; } while (0)
#define FILEOP	(s.flags |= PEL_SQE_FILE, s.addr2 = 0)
	CASE((void)0, 4096, 8, NULL, NULL, "blocks: crc32c, 8 blocks");
	CASE(s.opcode = PEL_OP_SHA256, 4096, 8, NULL, NULL,
	     "blocks: sha256, 8 blocks");
	CASE(s.op_flags = PEL_OPF_BLOCKS | 2, -EINVAL, 0, NULL, NULL,
	     "blocks: op flag bit 1");
	CASE(s.op_flags = PEL_OPF_BLOCKS | 1u << 31, -EINVAL, 0, NULL, NULL,
	     "blocks: op flag bit 31");
	CASE(s.op_flags = 2, -EINVAL, 0, NULL, NULL,
	     "op flag bit 1 alone (arg1 set)");
	CASE((s.op_flags = 2, s.arg1 = 0, s.addr = 0), -EINVAL, 0, NULL, NULL,
	     "op flag bit 1 on a plain crc32c");
	CASE((s.op_flags = 0, s.addr = 0), -EINVAL, 0, NULL, NULL,
	     "arg1 without PEL_OPF_BLOCKS");
	CASE(s.op_flags = 0, -EINVAL, 0, NULL, NULL,
	     "crc32c: arg1 and addr without PEL_OPF_BLOCKS");
	CASE((s.opcode = PEL_OP_COPY, s.addr = u(src + 4096)), -EINVAL, 0,
	     NULL, NULL, "blocks on COPY");
	CASE((s.opcode = PEL_OP_COPY_CRC32C, s.addr = u(src + 4096)), -EINVAL,
	     0, NULL, NULL, "blocks on COPY_CRC32C");
	CASE((s.opcode = PEL_OP_COMPARE_PATTERN, s.addr = 0), -EINVAL, 0, NULL,
	     NULL, "blocks on COMPARE_PATTERN");
	CASE((s.opcode = PEL_OP_NOP, s.addr = s.addr2 = s.len = 0), -EINVAL, 0,
	     NULL, NULL, "blocks on NOP");
	CASE((s.opcode = PEL_OP_XOR, s.arg0 = 1), -EINVAL, 0, NULL, NULL,
	     "blocks on XOR");
	CASE(s.arg1 = 0, -EINVAL, 0, NULL, NULL, "blocks: block 0");
	CASE(s.arg1 = PEL_BLOCK_MIN - 1, -EINVAL, 0, NULL, NULL,
	     "blocks: block PEL_BLOCK_MIN - 1");
	CASE(s.arg1 = PEL_MAX_OP_LEN + 1, -EINVAL, 0, NULL, NULL,
	     "blocks: block PEL_MAX_OP_LEN + 1");
	CASE(s.arg1 = UINT64_MAX, -EINVAL, 0, NULL, NULL,
	     "blocks: block 2^64 - 1");
	CASE(s.arg1 = 1ULL << 32 | 512, -EINVAL, 0, NULL, NULL,
	     "blocks: block 2^32 + 512 (not cut to 32 bits)");
	CASE(s.arg1 = PEL_MAX_OP_LEN, 4096, 1, NULL, NULL,
	     "blocks: block PEL_MAX_OP_LEN, one digest");
	CASE(s.arg1 = 4095, 4096, 2, NULL, NULL,
	     "blocks: block 4095, the last of 1 byte");
	CASE((s.opcode = PEL_OP_SHA256, s.arg1 = 0, s.addr2 = 0), -EINVAL, 0,
	     NULL, NULL, "blocks: block 0 wins over a NULL source");
	CASE((s.arg1 = 100, s.flags = PEL_SQE_FIXED), -EINVAL, 0, NULL, NULL,
	     "blocks: block 100 wins over FIXED without buffers");
	CASE((s.opcode = PEL_OP_COPY, s.addr = u(src + 4096),
	      s.flags = PEL_SQE_FIXED), -EINVAL, 0, NULL, NULL,
	     "blocks on COPY wins over FIXED without buffers");
	CASE((FILEOP, s.arg1 = 1), -EINVAL, 0, &none, NULL,
	     "blocks: block 1 wins over an empty file slot");
	CASE((FILEOP, s.op_flags = PEL_OPF_BLOCKS | 4), -EINVAL, 0, &none, NULL,
	     "blocks: op flag bit 2 wins over an empty file slot");
	CASE((s.arg0 = 1ULL << 32, s.addr = 0), -EINVAL, 0, NULL, NULL,
	     "blocks: seed > 32 bits wins over a NULL array");
	CASE((s.opcode = PEL_OP_SHA256, s.arg0 = 1), -EINVAL, 0, NULL, NULL,
	     "blocks: sha256 arg0 (unused)");
	CASE(s.addr = UINT64_MAX - 16, -EINVAL, 0, NULL, NULL,
	     "blocks: crc array (32 bytes) wraps");
	CASE(s.addr = UINT64_MAX - 31, -EINVAL, 0, NULL, NULL,
	     "blocks: crc array ends at 2^64 (wraps to 0)");
	CASE((s.opcode = PEL_OP_SHA256, s.addr = UINT64_MAX - 200), -EINVAL, 0,
	     NULL, NULL, "blocks: sha256 array (256 bytes) wraps");
	CASE((s.addr = UINT64_MAX - 16, s.addr2 = 0), -EINVAL, 0, NULL, NULL,
	     "blocks: array wraps, wins over a NULL source");
	CASE(s.addr2 = UINT64_MAX - 8, -EINVAL, 0, NULL, NULL,
	     "blocks: source wraps");
	CASE((s.addr2 = UINT64_MAX - 8, s.addr = 0), -EINVAL, 0, NULL, NULL,
	     "blocks: source wraps, wins over a NULL array");
	CASE((FILEOP, s.addr2 = UINT64_MAX - 8), -EINVAL, 0, &files, NULL,
	     "blocks: file range wraps");
	CASE(s.addr = 0, -EFAULT, 0, NULL, NULL, "blocks: NULL array");
	CASE((s.addr = 0, s.len = 0), 0, 0, NULL, NULL,
	     "blocks: NULL array, len 0");
	CASE((s.addr = 0, s.addr2 = 0, s.len = 0), 0, 0, NULL, NULL,
	     "blocks: NULL array and source, len 0");
	CASE(s.len = 0, 0, 0, NULL, NULL, "blocks: len 0, no digest");
	CASE(s.addr2 = 0, -EFAULT, 0, NULL, NULL, "blocks: NULL source");
	CASE((s.addr = 0, s.flags = PEL_SQE_FIXED), -EFAULT, 0, NULL, &bufs,
	     "blocks: NULL array (before FIXED)");
	CASE((FILEOP, s.addr = 0), -EFAULT, 0, &none, NULL,
	     "blocks: NULL array wins over an empty file slot");
	CASE(FILEOP, -EBADF, 0, &none, NULL, "blocks: an empty file slot");
	CASE((FILEOP, s.flags |= PEL_SQE_FIXED), -EBADF, 0, &none, NULL,
	     "blocks: an empty file slot wins over FIXED without buffers");
	CASE(FILEOP, 4096, 8, &files, NULL, "blocks: file crc32c");
	CASE((FILEOP, s.opcode = PEL_OP_SHA256), 4096, 8, &files, NULL,
	     "blocks: file sha256");
	CASE((FILEOP, s.op_flags = 0, s.arg1 = 0), -EINVAL, 0, &files, NULL,
	     "file crc32c without BLOCKS: addr unused");
	CASE((FILEOP, s.addr2 = 6000), 2192, 5, &files, NULL,
	     "blocks: file past EOF, 5 blocks, the last short");
	CASE((FILEOP, s.addr2 = 8192), 0, 0, &files, NULL,
	     "blocks: file at EOF, none");
	/* FIXED: the array over every digest, the source over len. */
	CASE(s.flags = PEL_SQE_FIXED, 4096, 8, NULL, &bufs,
	     "blocks fixed: array and source registered");
	CASE((s.flags = PEL_SQE_FIXED, s.addr = u(arr + 32)), 4096, 8, NULL,
	     &bufs, "blocks fixed: the array ends where the buffer does");
	CASE((s.flags = PEL_SQE_FIXED, s.addr = u(arr + 33)), -EFAULT, 0, NULL,
	     &bufs, "blocks fixed: the array 1 byte past the buffer");
	CASE((s.flags = PEL_SQE_FIXED, s.opcode = PEL_OP_SHA256), -EFAULT, 0,
	     NULL, &bufs, "blocks fixed: 256 bytes of sha256 in 64");
	CASE((s.flags = PEL_SQE_FIXED, s.addr2 = u(src + 4097)), -EFAULT, 0,
	     NULL, &bufs, "blocks fixed: the source 1 byte past the buffer");
	CASE((s.flags = PEL_SQE_FIXED, s.addr = u(src + 4096)), 4096, 8, NULL,
	     &bufs, "blocks fixed: the array in the source's buffer");
	CASE((FILEOP, s.flags |= PEL_SQE_FIXED, s.addr = u(arr + 33)), -EFAULT,
	     0, &files, &bufs, "blocks fixed file: the array past the buffer");
	CASE((FILEOP, s.flags |= PEL_SQE_FIXED, s.addr = u(arr + 32)), 4096, 8,
	     &files, &bufs, "blocks fixed file: the array in its buffer");
#undef FILEOP
#undef CASE
	for (i = 0; i < n; i++) {
		struct pel_cqe cqe;

		memset(arr, 0xee, sizeof(arr));
		cqe = run_files(&c[i].s, c[i].bufs, c[i].files);
		check(cqe.res == c[i].want && cqe.result == c[i].result,
		      "%s: res %d result %llu (want %d %llu)", c[i].what,
		      cqe.res, (unsigned long long)cqe.result, c[i].want,
		      (unsigned long long)c[i].result);
	}
	close(fd);
}

/* Digests against the references: lengths, block sizes, seeds, alignment. */
static void test_blocks(void)
{
	static const uint64_t bls[] = { 512, 513, 4096, 65536, 1 << 20,
					(1 << 20) + 1, 3 << 20 };
	size_t len = 5 << 20, room = ((5 << 20) / 512 + 2) * 32;
	uint8_t *src = malloc(len + 1), *out = malloc(room);
	uint64_t l, bs, i, t;
	struct pel_sqe s;
	uint32_t seed;
	uint8_t op;
	bool good = true;

	fill_random(src, len + 1);
	for (t = 0; t < 60; t++) {
		op = t & 1 ? PEL_OP_SHA256 : PEL_OP_CRC32C;
		bs = bls[t / 2 % (sizeof(bls) / sizeof(bls[0]))];
		l = t < 14 ? len - (t & 2) * 3 : rnd() % (len + 1);
		seed = t & 4 ? rnd() : 0;
		i = t & 8;		/* unaligned source */
		memset(out, 0xee, room);
		s = blk_of(op, out, src + (i ? 1 : 0), l, bs, op == PEL_OP_SHA256 ? 0 : seed);
		good &= expect(run(&s), (int)l, (l + bs - 1) / bs,
			       "blocks: res bytes, result digests");
		good &= check(blk_right(op, out, room, src + (i ? 1 : 0), l, bs,
					seed),
			      "blocks: %s len %llu block %llu seed %#x: every "
			      "digest right, nothing after", op == PEL_OP_SHA256 ?
			      "sha256" : "crc32c", (unsigned long long)l,
			      (unsigned long long)bs, op == PEL_OP_SHA256 ? 0 : seed);
	}
	check(good, "blocks: 60 ops == bitwise CRC-32C / SHA256()");
	free(src);
	free(out);
}

/* Chunks at block boundaries, merged: the digests add up; a fault stops it. */
static void test_blocks_merge(void)
{
	size_t len = 1 << 20, room = 2048 * 32;
	uint8_t *src = malloc(len), *out = malloc(room), *h;
	uint64_t cuts[8], tmp, bs, nb, chunk, base;
	struct lpel_upiece a, b, c;
	struct lpel_uop op;
	struct pel_cqe cqe;
	struct pel_sqe s;
	unsigned int t, n, i, j;
	bool good = true;

	fill_random(src, len);
	for (t = 0; t < 100; t++) {
		bs = 512 + rnd() % 20000;
		nb = (len + bs - 1) / bs;
		n = rnd() % 8;
		for (i = 0; i < n; i++)
			cuts[i] = (1 + rnd() % (nb - 1)) * bs;
		for (i = 1; i < n; i++)
			for (j = i; j && cuts[j - 1] > cuts[j]; j--) {
				tmp = cuts[j];
				cuts[j] = cuts[j - 1];
				cuts[j - 1] = tmp;
			}
		memset(out, 0xee, room);
		s = blk_of(t & 1 ? PEL_OP_SHA256 : PEL_OP_CRC32C, out, src, len,
			   bs, t & 1 ? 0 : t);
		good &= expect(run_split(&s, cuts, n), len, nb,
			       "blocks in pieces at block boundaries, merged");
		good &= blk_right(s.opcode, out, room, src, len, bs, s.arg0);
	}
	check(good, "blocks: random pieces at block boundaries merged: result "
	      "the sum of the digests, every digest right, 100 runs");

	/* The second of three chunks faults: result its blocks before the hole. */
	h = holey(12, 7, -1);
	memcpy(h, src, 7 * pg);
	s = blk_of(PEL_OP_CRC32C, out, h, 12 * pg, 1024, 0);
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && op.splittable && op.block == 1024,
	      "blocks: crc32c splittable, block 1024");
	memset(out, 0xee, room);
	lpel_uop_run(&op, 0, 4 * pg, NULL, &a);
	lpel_uop_run(&op, 4 * pg, 4 * pg, NULL, &b);
	lpel_uop_run(&op, 8 * pg, 4 * pg, NULL, &c);
	check(b.res == -EFAULT && b.done == 3 * (uint64_t)pg && c.res == 0 &&
	      c.nr_digests == 4 * (uint64_t)pg / 1024,
	      "blocks: the faulting chunk stops at its hole, the next runs whole");
	lpel_uop_merge(&op, &a, 4 * pg, &b);
	lpel_uop_merge(&op, &a, 8 * pg, &c);
	lpel_uop_finish(&op, &a, &cqe);
	expect(cqe, -EFAULT, 7 * pg, "blocks merged: -EFAULT, the bytes before "
	       "the hole");
	check(blk_right(PEL_OP_CRC32C, out, 7 * pg / 1024 * 4, h, 7 * pg, 1024, 0),
	      "blocks merged: the digests before the hole right");
	/* What the engine does: whole pieces up to the first short one. */
	unholey(h, 12);

	/* SHA-256 splits only with BLOCKS. */
	s = blk_of(PEL_OP_SHA256, out, src, len, 4096, 0);
	op.sqe = s;
	check(!lpel_uop_check(&op, NULL) && op.splittable,
	      "blocks: sha256 is splittable");
	/* Chunks are whole blocks, at most max_chunks of them. */
	good = true;
	for (t = 0; t < 200; t++) {
		uint64_t l = 1 + rnd() % PEL_MAX_OP_LEN;

		bs = t & 1 ? 512 + rnd() % 100000 : 512 + rnd() % PEL_MAX_OP_LEN;
		op.block = bs;
		chunk = lpel_uop_chunk(&op, l, 1 << 20, 64, pg);
		/* The chunk without blocks: 1 MiB, or l / 64 in pages. */
		base = 1 << 20;
		if ((l + base - 1) / base > 64)
			base = ((l + 63) / 64 + pg - 1) / pg * pg;
		good &= chunk % bs == 0 && chunk >= base && chunk < base + bs &&
			(l + chunk - 1) / chunk <= 64;
	}
	check(good, "lpel_uop_chunk: whole blocks, no more than 64 chunks");
	op.block = 8 << 20;
	check(lpel_uop_chunk(&op, 3 << 20, 1 << 20, 64, pg) == 8 << 20,
	      "lpel_uop_chunk: a block longer than the op: one chunk");
	op.block = 3000;
	check(lpel_uop_chunk(&op, 10 << 20, 1 << 20, 64, pg) == 350 * 3000,
	      "lpel_uop_chunk: 1 MiB rounded up to 350 blocks of 3000");
	op.block = 0;
	check(lpel_uop_chunk(&op, 10 << 20, 1 << 20, 64, pg) == 1 << 20,
	      "lpel_uop_chunk: without blocks, 1 MiB");
	free(src);
	free(out);
}

/* Faults in the source and the array: -EFAULT at the block, digests before. */
static void test_blocks_efault(void)
{
	size_t room = 4096;
	uint8_t *h = holey(8, 5, -1), *ro = holey(2, 1, PROT_READ);
	uint8_t *out = malloc(room), *arr;
	volatile int stop = 1;
	struct pel_sqe s;
	uint64_t bs;

	memset(h, 0x3c, 5 * pg);
	for (bs = 512; bs <= 3 * (uint64_t)pg; bs += 1536) {
		memset(out, 0xee, room);
		s = blk_of(PEL_OP_SHA256, out, h, 8 * pg, bs, 0);
		expect(run(&s), -EFAULT, 5 * pg / bs * bs,
		       "blocks: source hole, result whole blocks before it");
		check(blk_right(PEL_OP_SHA256, out, room, h, 5 * pg / bs * bs,
				bs, 0), "blocks: block %llu: digests before the "
		      "hole right, nothing after", (unsigned long long)bs);
	}
	/* A block longer than a chunk, streamed: the hole loses all of it. */
	{
		uint8_t *big = holey(((3 << 20) + 2 * pg) / pg, (2 << 20) / pg + 1, -1);

		memset(out, 0xee, room);
		s = blk_of(PEL_OP_CRC32C, out, big, 3 << 20, (2 << 20) - 512, 7);
		expect(run(&s), -EFAULT, (2 << 20) - 512,
		       "blocks: hole in a 2 MiB block: the block before only");
		check(blk_right(PEL_OP_CRC32C, out, room, big, (2 << 20) - 512,
				(2 << 20) - 512, 7), "blocks: its digest right");
		unholey(big, ((3 << 20) + 2 * pg) / pg);
	}
	/* The array runs into a read-only page: the digests that fit. */
	arr = ro + pg - 3 * 32 - 5;
	s = blk_of(PEL_OP_SHA256, arr, h, 5 * pg, 1024, 0);
	expect(run(&s), -EFAULT, 3 * 1024,
	       "blocks: array into a read-only page: 3 digests fit");
	check(blk_right(PEL_OP_SHA256, arr, 3 * 32, h, 3 * 1024, 1024, 0),
	      "blocks: those 3 digests right");
	arr = ro + pg;
	s = blk_of(PEL_OP_CRC32C, arr, h, 4096, 512, 0);
	expect(run(&s), -EFAULT, 0, "blocks: array read-only: result 0");
	s = blk_of(PEL_OP_CRC32C, 0xffff800000000000ULL, h, 4096, 512, 0);
	expect(run(&s), -EFAULT, 0, "blocks: array at a kernel address");
	s = blk_of(PEL_OP_CRC32C, out, h, 4096, 512, 0);
	expect(run_bufs(&s, NULL, &stop), -ECANCELED, 0,
	       "blocks: *stop set: -ECANCELED");
	unholey(h, 8);
	unholey(ro, 2);
	free(out);
}

/* ---- -EINVAL ----------------------------------------------------------- */

static void test_einval(void)
{
	uint8_t buf[64] = { 0 };
	uint64_t list[2] = { u(buf), UINT64_MAX - 8 };
	struct pel_sqe s, base = sqe_of(PEL_OP_COPY, buf, buf + 32, 16, 0);
	struct {
		struct pel_sqe s;
		int want;
		const char *what;
	} c[64];
	unsigned int n = 0, i;

#define CASE(expr, w, name) do { s = base; expr; c[n].s = s; c[n].want = w; \
			       c[n++].what = name; } while (0)
	CASE(s.opcode = PEL_OP_LAST, -EINVAL, "unknown opcode");
	CASE(s.opcode = 255, -EINVAL, "opcode 255");
	CASE(s.flags = 1u << 5, -EINVAL, "unknown flag");
	CASE(s.flags = 0x80, -EINVAL, "flag 0x80");
	CASE(s.file_index = 1, -EINVAL, "file_index without PEL_SQE_FILE");
	CASE(s.op_flags = 1, -EINVAL, "op_flags");
	CASE(s.arg1 = 1, -EINVAL, "arg1");
	CASE(s.deadline_ns = 1, -EINVAL, "deadline_ns without PEL_SQE_DEADLINE");
	CASE((s.deadline_ns = 1, s.flags = PEL_SQE_DEADLINE), 16,
	     "deadline_ns with PEL_SQE_DEADLINE");
	CASE(s.arg0 = 1, -EINVAL, "copy: arg0 unused");
	CASE(s.len = PEL_MAX_OP_LEN + 1, -EINVAL, "len > PEL_MAX_OP_LEN");
	CASE((s.addr = UINT64_MAX - 8), -EINVAL, "copy: addr wraps");
	CASE((s.addr2 = UINT64_MAX - 8), -EINVAL, "copy: addr2 wraps");
	CASE((s.addr = UINT64_MAX - 15), -EINVAL, "copy: ends at 2^64 (wraps to 0)");
	CASE((s.addr = UINT64_MAX - 16), -EFAULT, "copy: ends at 2^64 - 1: a kernel address");
	CASE((s.opcode = PEL_OP_NOP, s.addr = s.addr2 = s.len = 0, s.arg0 = 1),
	     -EINVAL, "nop: arg0");
	CASE((s.opcode = PEL_OP_NOP, s.addr2 = s.len = 0), -EINVAL, "nop: addr");
	CASE((s.opcode = PEL_OP_NOP, s.addr = s.addr2 = 0), -EINVAL, "nop: len");
	CASE((s.opcode = PEL_OP_NOP, s.addr = s.len = 0), -EINVAL, "nop: addr2");
	CASE((s.opcode = PEL_OP_NOP, s.addr = s.addr2 = s.len = 0), 0, "nop");
	CASE((s.opcode = PEL_OP_FILL), -EINVAL, "fill: addr2");
	CASE((s.opcode = PEL_OP_FILL, s.addr2 = 0, s.addr = UINT64_MAX), -EINVAL,
	     "fill: wraps");
	CASE((s.opcode = PEL_OP_COMPARE_PATTERN), -EINVAL, "compare_pattern: addr");
	CASE((s.opcode = PEL_OP_CRC32C, s.addr = 0, s.arg0 = 1ULL << 32), -EINVAL,
	     "crc32c: seed > 32 bits");
	CASE((s.opcode = PEL_OP_CRC32C, s.addr = 0, s.addr2 = 0, s.arg0 = 1ULL << 32),
	     -EINVAL, "crc32c: seed > 32 bits wins over a NULL source");
	CASE((s.opcode = PEL_OP_CRC32C, s.addr = 0, s.addr2 = 0), -EFAULT,
	     "crc32c: NULL source");
	CASE((s.opcode = PEL_OP_CRC32C, s.addr = 0, s.addr2 = 0, s.len = 0),
	     0, "crc32c: NULL source, len 0");
	CASE((s.opcode = PEL_OP_CRC32C), -EINVAL, "crc32c: addr");
	CASE((s.opcode = PEL_OP_COPY_CRC32C, s.arg0 = 1ULL << 32), -EINVAL,
	     "copy_crc32c: seed > 32 bits");
	CASE((s.opcode = PEL_OP_COPY_CRC32C, s.arg0 = 0xffffffff), 16,
	     "copy_crc32c: seed 0xffffffff");
	CASE((s.opcode = PEL_OP_COMPARE_PATTERN, s.addr = 0, s.addr2 = 0), -EFAULT,
	     "compare_pattern: NULL source");
	CASE((s.opcode = PEL_OP_DUALCAST, s.arg0 = UINT64_MAX - 4), -EINVAL,
	     "dualcast: arg0 wraps");
	CASE((s.opcode = PEL_OP_DUALCAST, s.arg0 = UINT64_MAX - 4,
	      s.addr = UINT64_MAX - 4), -EINVAL, "dualcast: both wrap");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = u(list), s.arg0 = 0), -EINVAL,
	     "xor: no source");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = u(list), s.arg0 = 17), -EINVAL,
	     "xor: 17 sources");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = UINT64_MAX - 8, s.arg0 = 2), -EINVAL,
	     "xor: source list wraps");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = u(list), s.arg0 = 1,
	      s.addr = UINT64_MAX - 8), -EINVAL, "xor: destination wraps");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = u(list), s.arg0 = 2), -EINVAL,
	     "xor: a source wraps");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = u(list), s.arg0 = 1), 16,
	     "xor: one source");
	CASE((s.opcode = PEL_OP_XOR, s.addr2 = 0, s.arg0 = 1), -EFAULT,
	     "xor: NULL source list");
	CASE((s.opcode = PEL_OP_SHA256, s.arg0 = 1), -EINVAL, "sha256: arg0");
	CASE((s.opcode = PEL_OP_SHA256, s.addr = UINT64_MAX - 16), -EINVAL,
	     "sha256: digest wraps");
	CASE((s.opcode = PEL_OP_SHA256, s.addr2 = 0), -EFAULT,
	     "sha256: NULL source");
	CASE((s.opcode = PEL_OP_CANCEL, s.addr = s.addr2 = s.len = 0, s.arg0 = 5),
	     0, "cancel");
	CASE((s.opcode = PEL_OP_CANCEL, s.addr2 = s.len = 0), -EINVAL,
	     "cancel: addr");
	CASE((s.opcode = PEL_OP_COPY, s.flags = PEL_SQE_FIXED, s.file_index = 1),
	     -EINVAL, "fixed, no buffers, file_index: -EINVAL first");
	CASE((s.opcode = PEL_OP_CRC32C, s.addr = 0, s.addr2 = 0,
	      s.flags = PEL_SQE_FIXED), -EFAULT, "fixed crc32c, NULL source");
#undef CASE
	for (i = 0; i < n; i++) {
		struct pel_cqe cqe = run(&c[i].s);

		check(cqe.res == c[i].want && (c[i].want >= 0 || !cqe.result),
		      "%s: res %d result %llu (want %d, 0)", c[i].what, cqe.res,
		      (unsigned long long)cqe.result, c[i].want);
	}
}

/* ---- -EFAULT ------------------------------------------------------------ */

static const uint64_t kaddrs[] = {
	0xffff888000000000ULL,	/* direct map */
	0xffffffff81000000ULL,	/* kernel text */
	0xffffffffff600000ULL,	/* vsyscall page: readable in some modes */
	0x8000000000000000ULL,	/* non-canonical */
	0x0000800000000000ULL,	/* the first non-canonical address */
	0x00007ffffffff000ULL,	/* TASK_SIZE_MAX: the guard page */
};
#define NR_KADDRS (sizeof(kaddrs) / sizeof(kaddrs[0]))

static void test_efault(void)
{
	const size_t len = 4 * pg, h = 2 * pg;
	uint8_t *src = malloc(len), *d = malloc(len), *d2 = malloc(len);
	uint8_t *hb, digest[32];
	uint64_t list[4], cut[2];
	struct pel_sqe s;
	struct pel_cqe c;
	unsigned int i, k, mode;
	static const char *modes[] = { "unmapped", "PROT_NONE" };
	char what[160];

	fill_random(src, len);
	for (mode = 0; mode < 2; mode++) {
		int prot = mode ? PROT_NONE : -1;

#define W(fmt, ...) (snprintf(what, sizeof(what), "%s 3rd page: " fmt, \
			      modes[mode], ##__VA_ARGS__), what)
		/* COPY from a holey source: exactly the bytes before it. */
		hb = holey(4, 2, prot);
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_COPY, d, hb, len, 0);
		expect(run(&s), -EFAULT, h, W("copy source"));
		check(first_not(d, 0x5a, h) == h &&
		      first_not(d + h, 0xee, len - h) == len - h,
		      W("copy source: bytes before copied, none after"));
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_COPY, d + 1, hb + 3, len - 8, 0);
		expect(run(&s), -EFAULT, h - 3, W("copy source +3"));
		/* Split: a middle chunk's fault is the op's. */
		cut[0] = pg;
		cut[1] = 3 * pg;
		s = sqe_of(PEL_OP_COPY, d, hb, len, 0);
		expect(run_split(&s, cut, 2), -EFAULT, h, W("copy source, in chunks"));
		/* Into a holey destination. */
		s = sqe_of(PEL_OP_COPY, hb + 5, src, len - 5, 0);
		expect(run(&s), -EFAULT, h - 5, W("copy destination +5"));
		check(!memcmp(hb + 5, src, h - 5) &&
		      first_not(hb + 3 * pg, 0x5a, pg) == (size_t)pg,
		      W("copy destination: written up to the hole, not after"));
		unholey(hb, 4);

		hb = holey(4, 2, prot);
		s = sqe_of(PEL_OP_FILL, hb + 7, NULL, len - 7, 0x1122334455667788ULL);
		expect(run(&s), -EFAULT, h - 7, W("fill"));
		check(first_not(hb + 3 * pg, 0x5a, pg) == (size_t)pg,
		      W("fill: nothing after the hole"));
		s = sqe_of(PEL_OP_FILL, hb + h, NULL, 10, 1);
		expect(run(&s), -EFAULT, 0, W("fill starting in the hole"));

		s = sqe_of(PEL_OP_CRC32C, NULL, hb + 1, len - 1, 0);
		expect(run(&s), -EFAULT, h - 1, W("crc32c"));
		cut[0] = 100;
		cut[1] = h + 100;
		expect(run_split(&s, cut, 2), -EFAULT, h - 1, W("crc32c in chunks"));
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_COPY_CRC32C, d, hb, len, 0);
		expect(run(&s), -EFAULT, h, W("copy_crc32c source"));
		check(first_not(d + h, 0xee, len - h) == len - h,
		      W("copy_crc32c: nothing after"));
		s = sqe_of(PEL_OP_COPY_CRC32C, hb, src, len, 0);
		expect(run(&s), -EFAULT, h, W("copy_crc32c destination"));

		/* COMPARE: a difference before the fault wins, not after it. */
		unholey(hb, 4);
		hb = holey(4, 2, prot);
		memset(d, 0x5a, len);
		s = sqe_of(PEL_OP_COMPARE, hb, d, len, 0);
		expect(run(&s), -EFAULT, h, W("compare, equal up to the hole"));
		s = sqe_of(PEL_OP_COMPARE, d, hb, len, 0);
		expect(run(&s), -EFAULT, h, W("compare, hole in addr2"));
		d[h - 1] = 0;
		expect(run(&s), 1, h - 1, W("compare, difference just before"));
		cut[0] = pg;
		cut[1] = h + 1;
		expect(run_split(&s, cut, 2), 1, h - 1,
		       W("compare in chunks, difference before"));
		d[h - 1] = 0x5a;
		d[3 * pg + 5] = 0;
		expect(run(&s), -EFAULT, h, W("compare, difference after"));
		expect(run_split(&s, cut, 2), -EFAULT, h,
		       W("compare in chunks, fault in chunk 1, difference in 2"));
		s = sqe_of(PEL_OP_COMPARE_PATTERN, NULL, hb, len,
			   0x5a5a5a5a5a5a5a5aULL);
		expect(run(&s), -EFAULT, h, W("compare_pattern"));
		hb[100] = 0;
		expect(run(&s), 1, 100, W("compare_pattern, difference before"));
		unholey(hb, 4);

		/* DUALCAST: what both destinations hold, neither more. */
		hb = holey(4, 2, prot);
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_DUALCAST, d, src, len, u(hb));
		expect(run(&s), -EFAULT, h, W("dualcast second destination"));
		check(!memcmp(d, src, h) && first_not(d + h, 0xee, len - h) == len - h,
		      W("dualcast: first destination holds no more than result"));
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_DUALCAST, hb + 1, src, len - 1, u(d));
		expect(run(&s), -EFAULT, h - 1, W("dualcast first destination +1"));
		check(first_not(d + h - 1, 0xee, len - h + 1) == len - h + 1,
		      W("dualcast: second destination holds no more"));
		memset(d, 0xee, len);
		memset(d2, 0xdd, len);
		s = sqe_of(PEL_OP_DUALCAST, d, hb + 3, len - 3, u(d2));
		expect(run(&s), -EFAULT, h - 3, W("dualcast source +3"));
		check(first_not(d + h - 3, 0xee, len - h + 3) == len - h + 3 &&
		      first_not(d2 + h - 3, 0xdd, len - h + 3) == len - h + 3,
		      W("dualcast source: nothing past it"));
		unholey(hb, 4);

		/* XOR: any source, or the destination. */
		for (k = 0; k < 4; k++) {
			hb = holey(4, 2, prot);
			for (i = 0; i < 3; i++)
				list[i] = u(src);
			if (k < 3)
				list[k] = u(hb + 4);
			memset(d, 0xee, len);
			s = sqe_of(PEL_OP_XOR, k < 3 ? d : hb + 4, list, len - 4, 3);
			expect(run(&s), -EFAULT, h - 4,
			       W("xor, %s +4", k < 3 ? "a source" : "the destination"));
			if (k < 3)
				check(first_not(d + h - 4, 0xee, len - h + 4) ==
				      len - h + 4, W("xor: nothing written past it"));
			unholey(hb, 4);
		}
		/* In place, destination = the holey source. */
		hb = holey(4, 2, prot);
		list[0] = u(hb);
		list[1] = u(src);
		s = sqe_of(PEL_OP_XOR, hb, list, len, 2);
		expect(run(&s), -EFAULT, h, W("xor in place"));
		for (i = 0; i < h; i++)
			if (hb[i] != (0x5a ^ src[i]))
				break;
		check(i == h && first_not(hb + 3 * pg, 0x5a, pg) == (size_t)pg,
		      W("xor in place: parity up to the hole, nothing after"));
		/* The source list in the hole: -EFAULT from check, result 0. */
		s = sqe_of(PEL_OP_XOR, d, hb + h, len, 1);
		expect(run(&s), -EFAULT, 0, W("xor source list unreadable"));
		unholey(hb, 4);

		/* SHA256: source fault, digest untouched; digest fault. */
		hb = holey(4, 2, prot);
		memset(digest, 0xcc, 32);
		s = sqe_of(PEL_OP_SHA256, digest, hb + 1, len - 1, 0);
		expect(run(&s), -EFAULT, h - 1, W("sha256 source"));
		check(first_not(digest, 0xcc, 32) == 32, W("sha256: digest untouched"));
		s = sqe_of(PEL_OP_SHA256, hb + h, src, 1000, 0);
		expect(run(&s), -EFAULT, 1000, W("sha256 digest in the hole"));
		s = sqe_of(PEL_OP_SHA256, hb + h - 16, src, 1000, 0);
		expect(run(&s), -EFAULT, 1000, W("sha256 digest runs into the hole"));
		unholey(hb, 4);
#undef W
	}

	/* A read-only destination. */
	hb = holey(4, 2, PROT_READ);
	s = sqe_of(PEL_OP_COPY, hb, src, len, 0);
	expect(run(&s), -EFAULT, h, "copy into a read-only 3rd page");
	check(first_not(hb + h, 0x5a, pg) == (size_t)pg,
	      "read-only page unchanged by the write probe");
	s = sqe_of(PEL_OP_CRC32C, NULL, hb, len, 0);
	expect(run(&s), len, ~crc32_iscsi(hb, len, ~0u),
	       "crc32c reads a read-only page");
	unholey(hb, 4);

	/* SIGBUS: a file mapping past its end. */
	{
		char path[] = "/tmp/uops_unitXXXXXX";
		int fd = mkstemp(path);
		uint8_t *fm;

		unlink(path);
		if (fd >= 0 && !ftruncate(fd, pg)) {
			fm = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
				  fd, 0);
			if (fm != MAP_FAILED) {
				s = sqe_of(PEL_OP_COPY, d, fm + 8, 2 * pg, 0);
				expect(run(&s), -EFAULT, pg - 8,
				       "copy from a file past its end (SIGBUS)");
				s = sqe_of(PEL_OP_FILL, fm + 8, NULL, 2 * pg, 3);
				expect(run(&s), -EFAULT, pg - 8,
				       "fill into a file past its end (SIGBUS)");
				munmap(fm, 3 * pg);
			}
			close(fd);
		}
	}

	/* Kernel addresses: -EFAULT, 0, nothing touched. */
	for (i = 0; i < NR_KADDRS; i++) {
		memset(d, 0xee, len);
		s = sqe_of(PEL_OP_COPY, d, NULL, 256, 0);
		s.addr2 = kaddrs[i];
		c = run(&s);
		check(c.res == -EFAULT && !c.result && first_not(d, 0xee, 256) == 256,
		      "copy from %#llx: -EFAULT 0, nothing written",
		      (unsigned long long)kaddrs[i]);
		s = sqe_of(PEL_OP_FILL, NULL, NULL, 256, 1);
		s.addr = kaddrs[i];
		expect(run(&s), -EFAULT, 0, "fill into a kernel address");
		s = sqe_of(PEL_OP_CRC32C, NULL, NULL, 256, 0);
		s.addr2 = kaddrs[i];
		expect(run(&s), -EFAULT, 0, "crc32c of a kernel address");
		s = sqe_of(PEL_OP_DUALCAST, d, src, 256, kaddrs[i]);
		memset(d, 0xee, len);
		c = run(&s);
		check(c.res == -EFAULT && !c.result && first_not(d, 0xee, 256) == 256,
		      "dualcast into %#llx: -EFAULT 0, the other untouched",
		      (unsigned long long)kaddrs[i]);
		list[0] = kaddrs[i];
		s = sqe_of(PEL_OP_XOR, d, list, 256, 1);
		expect(run(&s), -EFAULT, 0, "xor from a kernel address");
		s = sqe_of(PEL_OP_XOR, d, NULL, 256, 1);
		s.addr2 = kaddrs[i];
		expect(run(&s), -EFAULT, 0, "xor, source list at a kernel address");
		s = sqe_of(PEL_OP_SHA256, NULL, src, 64, 0);
		s.addr = kaddrs[i];
		expect(run(&s), -EFAULT, 64, "sha256, digest at a kernel address");
	}
	s = sqe_of(PEL_OP_COPY, d, NULL, 256, 0);
	expect(run(&s), -EFAULT, 0, "copy from NULL");
	s = sqe_of(PEL_OP_SHA256, NULL, NULL, 0, 0);
	expect(run(&s), -EFAULT, 0, "sha256, NULL digest, len 0");

	/* Backward COPY: whole 64 KiB windows from the end, or none. */
	{
		size_t n = 40 * pg, l = 36 * pg;
		uint8_t *b = holey(40, 5, PROT_NONE), *ref = malloc(n);

		fill_random(b, 5 * pg);
		fill_random(b + 6 * pg, n - 6 * pg);
		memset(ref, 0, n);
		memcpy(ref, b, 5 * pg);
		memcpy(ref + 6 * pg, b + 6 * pg, n - 6 * pg);
		s = sqe_of(PEL_OP_COPY, b + 8, b, l, 0);
		/* Windows [l-64K, l), [l-128K, l-64K): the hole is in the second. */
		c = run(&s);
		if (pg == 4096)
			expect(c, -EFAULT, 65536, "backward copy, hole in the 2nd window");
		memmove(ref + 8 + l - c.result, ref + l - c.result, c.result);
		check(!memcmp(b, ref, 5 * pg) &&
		      !memcmp(b + 6 * pg, ref + 6 * pg, n - 6 * pg),
		      "backward copy: the tail done, the rest untouched");
		unholey(b, 40);
		free(ref);
	}
	free(src);
	free(d);
	free(d2);
}

/* Faults in several threads at once: each thread's own jump buffer. */
static void *fault_thread(void *arg)
{
	uint8_t *hb = arg, d[4096 * 4];
	uint64_t r = (uintptr_t)&r | 1;
	unsigned long bad = 0;
	struct pel_sqe s;
	struct pel_cqe c;
	unsigned int i;
	size_t at;

	for (i = 0; i < 300; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		at = r % 2000;
		s = sqe_of(PEL_OP_COPY, d, hb + at, 3 * pg - at, 0);
		c = run(&s);
		bad += c.res != -EFAULT || c.result != 2 * pg - at;
		s = sqe_of(PEL_OP_COPY, d, hb + at, 2 * pg - at, 0);
		c = run(&s);
		bad += c.res != (int)(2 * pg - at);
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[4];
	uint8_t *hb = holey(4, 2, -1);
	unsigned int i;
	void *bad;
	unsigned long sum = 0;

	if (pg > 4096)
		return;
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, fault_thread, hb);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		sum += (unsigned long)bad;
	}
	check(!sum, "4 threads faulting at once: every offset exact");
	unholey(hb, 4);
}

/* ---- *stop ------------------------------------------------------------- */

static void test_stop(void)
{
	uint8_t src[256] = { 0 }, d[256] = { 0 };
	volatile int stop = 1;
	struct lpel_upiece a, b;
	struct lpel_uop op;
	struct pel_cqe c;
	struct pel_sqe s = sqe_of(PEL_OP_COPY, d, src, 256, 0);

	memset(d, 0xee, sizeof(d));
	expect(run_bufs(&s, NULL, &stop), -ECANCELED, 0, "copy with *stop set");
	check(first_not(d, 0xee, 256) == 256, "stopped: nothing written");
	s.len = 0;
	expect(run_bufs(&s, NULL, &stop), 0, 0, "len 0 with *stop set: done");
	s = sqe_of(PEL_OP_CRC32C, NULL, src, 256, 0);
	expect(run_bufs(&s, NULL, &stop), -ECANCELED, 0, "crc32c with *stop set");
	/* A cancelled chunk makes the whole op -ECANCELED. */
	op.sqe = s;
	lpel_uop_check(&op, NULL);
	lpel_uop_run(&op, 0, 128, NULL, &a);
	lpel_uop_run(&op, 128, 128, &stop, &b);
	lpel_uop_merge(&op, &a, 128, &b);
	lpel_uop_finish(&op, &a, &c);
	expect(c, -ECANCELED, 0, "a stopped chunk: the op -ECANCELED");
}

/* ---- PEL_SQE_FIXED ----------------------------------------------------- */

static void test_fixed(void)
{
	uint8_t *m = aligned_alloc(4096, 8 * 4096), *other = malloc(4096);
	uint8_t digest[32];
	struct lpel_ubuf b[3] = {
		{ u(m), 4096 },			/* A */
		{ u(m + 4096), 8192 },		/* B, adjacent to A */
		{ u(m + 5 * 4096), 4096 },	/* C */
	};
	struct lpel_ubufs set = { 3, b }, none = { 0, NULL };
	uint64_t *list = (uint64_t *)(m + 5 * 4096);
	struct pel_sqe s;

	memset(m, 0x11, 8 * 4096);
	memset(other, 0x22, 4096);
	s = sqe_of(PEL_OP_COPY, m + 4096, m + 8192, 100, 0);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &none, NULL), -EFAULT, 0, "fixed, none registered");
	expect(run_bufs(&s, NULL, NULL), -EFAULT, 0, "fixed, no set at all");
	expect(run_bufs(&s, &set, NULL), 100, 100, "fixed copy inside B");
	s.addr = u(m + 4096 - 50);
	memset(m, 0x11, 4096 * 2);
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0,
	       "fixed copy over adjacent A and B");
	check(first_not(m, 0x11, 8192) == 8192, "fixed -EFAULT: nothing written");
	s = sqe_of(PEL_OP_COPY, m + 4096, other, 100, 0);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed, source not registered");

	s = sqe_of(PEL_OP_FILL, m + 6 * 4096, NULL, 0, 1);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), 0, 0, "fixed fill, len 0 at C's very end");
	s.len = 1;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed fill, 1 byte past C");
	s = sqe_of(PEL_OP_FILL, m - 1, NULL, 0, 1);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0,
	       "fixed fill, len 0 below the first buffer");
	s = sqe_of(PEL_OP_FILL, m + 3 * 4096, NULL, 0, 1);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), 0, 0, "fixed fill, len 0 at B's end");
	s.addr = u(m + 3 * 4096 + 1);
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0,
	       "fixed fill, len 0 in the gap after B");

	s = sqe_of(PEL_OP_NOP, NULL, NULL, 0, 0);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &none, NULL), -EFAULT, 0, "fixed nop, none registered");
	expect(run_bufs(&s, &set, NULL), 0, 0, "fixed nop with a set");
	s = sqe_of(PEL_OP_CANCEL, NULL, NULL, 0, 9);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &none, NULL), -EFAULT, 0, "fixed cancel, none registered");
	expect(run_bufs(&s, &set, NULL), 0, 0, "fixed cancel with a set");

	s = sqe_of(PEL_OP_DUALCAST, m, m + 4096, 100, u(other));
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0,
	       "fixed dualcast, arg0 not registered");
	s.arg0 = u(m + 2 * 4096);
	expect(run_bufs(&s, &set, NULL), 100, 100, "fixed dualcast");

	s = sqe_of(PEL_OP_CRC32C, NULL, other, 100, 0);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed crc32c, source outside");

	/* XOR: the list in C, each source checked in order. */
	list[0] = u(m);
	list[1] = u(m + 4096);
	s = sqe_of(PEL_OP_XOR, m + 2 * 4096, list, 100, 2);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), 100, 100, "fixed xor");
	list[1] = u(other);
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed xor, a source outside");
	list[0] = u(other);
	list[1] = UINT64_MAX - 8;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0,
	       "fixed xor, source 0 outside before source 1 wraps");
	list[0] = UINT64_MAX - 8;
	list[1] = u(other);
	expect(run_bufs(&s, &set, NULL), -EINVAL, 0,
	       "fixed xor, source 0 wraps before source 1 outside");
	s = sqe_of(PEL_OP_XOR, m + 2 * 4096, other, 100, 1);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed xor, list outside");

	s = sqe_of(PEL_OP_SHA256, digest, m, 100, 0);
	s.flags = PEL_SQE_FIXED;
	expect(run_bufs(&s, &set, NULL), -EFAULT, 0, "fixed sha256, digest outside");
	s.addr = u(m + 4096);
	expect(run_bufs(&s, &set, NULL), 100, 0, "fixed sha256");
	free(m);
	free(other);
}

/* ---- The application's own signal handlers ----------------------------- */

static sigjmp_buf app_jb;
static sigjmp_buf *volatile app_target = &app_jb;
static volatile sig_atomic_t app_segv, app_bus;

static void app_segv_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	app_segv++;
	siglongjmp(*app_target, 1);
}

static void app_bus_handler(int sig)
{
	(void)sig;
	app_bus++;
	siglongjmp(app_jb, 1);
}

static void install_app_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_handler = app_bus_handler;
	sa.sa_flags = 0;
	sigaction(SIGBUS, &sa, NULL);
}

static void test_app_sigbus(void)
{
	char path[] = "/tmp/uops_unitXXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	if (fd >= 0 && !ftruncate(fd, pg)) {
		volatile uint8_t *fm = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED,
					    fd, 0);

		if (fm != MAP_FAILED) {
			if (sigsetjmp(app_jb, 1) == 0)
				(void)fm[pg];
			check(app_bus == 1, "the app's plain SIGBUS handler "
			      "catches its fault past a file's end");
			munmap((void *)fm, 2 * pg);
		}
		close(fd);
	}
}

static void test_app_handlers(void)
{
	uint8_t *hb = holey(4, 2, PROT_NONE), d[64];
	volatile uint8_t *p = hb + 2 * pg;
	struct pel_sqe s;

	if (sigsetjmp(app_jb, 1) == 0) {
		*p = 1;		/* the application's own fault */
		check(0, "app fault not caught");
	}
	check(app_segv == 1, "after lpel_uop_init(): the app's SIGSEGV handler "
	      "(SA_SIGINFO) catches the app's fault");
	s = sqe_of(PEL_OP_COPY, d, hb + 2 * pg - 8, 64, 0);
	expect(run(&s), -EFAULT, 8, "and an op's fault is still the op's");
	check(app_segv == 1, "the op's fault did not reach the app's handler");
	if (sigsetjmp(app_jb, 1) == 0) {
		(void)*p;
		check(0, "app fault not caught");
	}
	check(app_segv == 2, "the app's handler again, after an op's fault");

	test_app_sigbus();
	unholey(hb, 4);
}

/*
 * A child whose SIGSEGV was SIG_DFL before lpel_uop_init() still dies of
 * SIGSEGV on its own fault (after an op's fault, too), and of a SIGSEGV it
 * sends itself.  Run before the parent installs anything.
 *
 * Under a sanitizer, "SIG_DFL before" is the sanitizer's own handler
 * (ASan and TSan install one at start, handle_segv=1): ours chains to it,
 * and the child ends in the sanitizer's SEGV report, with its exit code
 * (or abort_on_error's SIGABRT), not by the signal.  So there the child's
 * stderr must hold that report, and the child must not have survived;
 * with handle_segv=0 it dies of SIGSEGV as without a sanitizer.
 */
static void test_default_action(void)
{
	struct rlimit no_core = { 0, 0 };
	char report[4096];
	bool died, reported;
	unsigned int k;
	int status, fd;
	ssize_t got;
	pid_t pid;

	for (k = 0; k < 2; k++) {
		char path[] = "/tmp/uops_unitXXXXXX";

		/* The child's stderr, for the sanitizer's report. */
		fd = mkstemp(path);
		if (fd < 0) {
			perror("mkstemp");
			exit(2);
		}
		unlink(path);
		pid = fork();
		if (!pid) {
			uint8_t *hb = holey(4, 2, PROT_NONE), d[64];
			struct pel_sqe s = sqe_of(PEL_OP_COPY, d, hb + 2 * pg, 64, 0);

			setrlimit(RLIMIT_CORE, &no_core);
			dup2(fd, 2);
			lpel_uop_init();
			if (run(&s).res != -EFAULT)
				_exit(3);
			if (k)
				raise(SIGSEGV);
			else
				*(volatile uint8_t *)(hb + 2 * pg) = 1;
			_exit(4);
		}
		waitpid(pid, &status, 0);
		got = pread(fd, report, sizeof(report) - 1, 0);
		report[got > 0 ? got : 0] = 0;
		close(fd);
		died = WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
		reported = strstr(report, "Sanitizer") && strstr(report, "SEGV") &&
			   (WIFSIGNALED(status) ||
			    (WEXITSTATUS(status) && WEXITSTATUS(status) != 3 &&
			     WEXITSTATUS(status) != 4));
		if (UNDER_ASAN || UNDER_TSAN)
			check(died || reported,
			      "SIG_DFL before init (%s): the child ends in its "
			      "SEGV report on its %s (%s %d)",
			      UNDER_ASAN ? "ASan" : "TSan",
			      k ? "raise(SIGSEGV)" : "fault",
			      WIFSIGNALED(status) ? "signal" : "exit",
			      WIFSIGNALED(status) ? WTERMSIG(status) :
			      WEXITSTATUS(status));
		else
			check(died, "SIG_DFL before init: the child dies of "
			      "SIGSEGV on its %s (%s %d)",
			      k ? "raise(SIGSEGV)" : "fault",
			      WIFSIGNALED(status) ? "signal" : "exit",
			      WIFSIGNALED(status) ? WTERMSIG(status) :
			      WEXITSTATUS(status));
	}
}

/*
 * An application signal handler that runs while an op is inside a chunk,
 * and faults at an address of its own: the fault is the application's (its
 * SIGSEGV handler gets it), not the op's.
 *
 * The handler unblocks SIGSEGV before it faults, as a handler that means
 * to fault must: it cannot know what else is blocked while it runs, and a
 * fault with SIGSEGV blocked kills the process (the kernel forces
 * SIG_DFL).  ThreadSanitizer runs every handler with all signals blocked,
 * and an asynchronous one only at its next interceptor or blocking call
 * (here mostly the chunk's memmove()): still inside the chunk.
 */
static volatile uint8_t *usr_hole;
static volatile sig_atomic_t usr_count;

static void app_usr1_handler(int sig)
{
	sigjmp_buf jb, *saved = app_target;
	sigset_t segv;

	(void)sig;
	usr_count++;
	sigemptyset(&segv);
	sigaddset(&segv, SIGSEGV);
	pthread_sigmask(SIG_UNBLOCK, &segv, NULL);
	if (!sigsetjmp(jb, 1)) {
		app_target = &jb;
		(void)*usr_hole;
	}
	app_target = saved;
}

/* Stop flags, atomic: another thread polls them. */
static int usr_done;

static void *usr_sender(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	struct timespec ts = { 0, 200000 };

	while (!__atomic_load_n(&usr_done, __ATOMIC_RELAXED)) {
		pthread_kill(main_thread, SIGUSR1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void test_nested_fault(void)
{
	size_t len = 8 << 20;
	uint8_t *src = malloc(len), *d = malloc(len), *hb = holey(1, 0, PROT_NONE);
	struct sigaction sa;
	pthread_t self = pthread_self(), t;
	unsigned int i, bad = 0, segv0 = app_segv;
	struct pel_sqe s = sqe_of(PEL_OP_COPY, d, src, len, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_usr1_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	usr_hole = hb;
	fill_random(src, len);
	pthread_create(&t, NULL, usr_sender, &self);
	/*
	 * 100 ops of 8 MiB take about 200 handler faults without a
	 * sanitizer.  Under ASan each of them costs far more (a siglongjmp()
	 * off the signal stack has it read /proc/self/maps), so ops get
	 * slower and the signals more: stop at 500 faults, enough.
	 */
	for (i = 0; i < 100 && usr_count < 500; i++) {
		struct pel_cqe c = run(&s);

		bad += c.res != (int)len || c.result != len;
	}
	__atomic_store_n(&usr_done, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	check(!bad && !memcmp(d, src, len), "ops right while a signal handler "
	      "faults on its own address meanwhile");
	check(usr_count > 0 && app_segv - segv0 == (unsigned int)usr_count,
	      "each of the %d handler faults went to the app's SIGSEGV handler "
	      "(%u did)", (int)usr_count, (unsigned int)(app_segv - segv0));
	signal(SIGUSR1, SIG_DFL);
	unholey(hb, 1);
	free(src);
	free(d);
}

/*
 * A file truncated and grown again by another thread while ops run on its
 * mapping: a chunk can fault after a clean probe.  The process lives and
 * every result is in range; once the file stays whole, all is exact again.
 */
static int trunc_done;

static void *truncator(void *arg)
{
	int fd = *(int *)arg;

	while (!__atomic_load_n(&trunc_done, __ATOMIC_RELAXED)) {
		if (ftruncate(fd, 3 * pg) || ftruncate(fd, 64 * pg))
			break;
	}
	return NULL;
}

static void test_truncate_race(void)
{
	char path[] = "/tmp/uops_unitXXXXXX";
	int fd = mkstemp(path);
	size_t len = 64 * pg;
	uint8_t *fm, *d = malloc(len);
	uint64_t list[2];
	unsigned int i, bad = 0;
	pthread_t t;
	struct pel_sqe s;
	struct pel_cqe c;

	unlink(path);
	if (fd < 0 || ftruncate(fd, len))
		return;
	fm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fm == MAP_FAILED)
		return;
	pthread_create(&t, NULL, truncator, &fd);
	for (i = 0; i < 3000; i++) {
		list[0] = u(fm);
		list[1] = u(d);
		if (i % 3 == 0)
			s = sqe_of(PEL_OP_COPY, d, fm, len, 0);
		else if (i % 3 == 1)
			s = sqe_of(PEL_OP_XOR, fm, list, len, 2);
		else
			s = sqe_of(PEL_OP_SHA256, d, fm, len, 0);
		c = run(&s);
		if (c.res == -EFAULT)
			bad += c.result > len;
		else
			bad += c.res != (int)len;
	}
	__atomic_store_n(&trunc_done, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	check(!bad, "ops on a mapping truncated meanwhile: process alive, "
	      "results in range");
	if (!ftruncate(fd, len)) {
		memset(fm, 0x77, len);
		s = sqe_of(PEL_OP_COPY, d, fm, len, 0);
		expect(run(&s), len, len, "and exact once it stays whole");
	}
	munmap(fm, len);
	close(fd);
	free(d);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	test_default_action();
	install_app_handlers();
	check(!lpel_uop_init(), "lpel_uop_init()");
	check(!lpel_uop_init(), "lpel_uop_init() again");
	test_app_handlers();
	test_copy();
	test_fill();
	test_compare();
	test_crc();
	test_crc_merge();
	test_dualcast();
	test_xor();
	test_sha256();
	test_blocks();
	test_blocks_merge();
	test_blocks_einval();
	test_blocks_efault();
	test_einval();
	test_efault();
	test_threads();
	test_stop();
	test_fixed();
	test_nested_fault();
	test_truncate_race();
	return tap_done();
}
