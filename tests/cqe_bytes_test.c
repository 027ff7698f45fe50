// SPDX-License-Identifier: GPL-2.0
/*
 * Every byte of every CQE is defined: all 32 bytes of a struct pel_cqe go
 * to the shared CQ, so a field the worker did not set (flags, resv) would
 * hand kernel stack bytes, pointers among them, to user space.
 *
 * About 200,000 SQEs (PEL_CQE_SQES) of mixed kinds: NOP, small COPY and
 * FILL, CRC32C, an unknown opcode (-EINVAL), a COPY from a kernel address
 * (-EFAULT at byte 0) and a FILL into an inaccessible page part-way
 * (-EFAULT at the offset of the page).  Each CQE must come exactly once,
 * with flags and resv 0 and the res and result its SQE calls for.
 *
 * Debian's kernels build modules with stack auto-init (INIT_STACK_ALL_ZERO),
 * which hides a missing initialisation; so vm-suite.sh also runs this test
 * against a pel.ko built with -ftrivial-auto-var-init=uninitialized
 * (/pel/pel-uninit.ko), where it can fail.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

#define SRC_LEN		4096
#define MAX_LEN		256
/*
 * Destination slots, each an SQE's own from submission to its CQE: two
 * ops in flight never write the same bytes (on the user backend that
 * would be a data race between worker threads).  Submission waits for a
 * free one.
 */
#define SLOTS		512
#define KIND_BITS	3

enum kind { K_NOP, K_COPY, K_FILL, K_CRC, K_BADOP, K_FAULT_SRC, K_FAULT_DST, K_NR };

static uint64_t nr_sqes(void)
{
	const char *s = getenv("PEL_CQE_SQES");
	uint64_t n = s ? strtoull(s, NULL, 0) : 0;

	return n ? n : 200000;
}

/* Deterministic per-index parameters, so that the CQE can be checked alone. */
static uint64_t mix(uint64_t i)
{
	i = (i ^ (i >> 30)) * 0xbf58476d1ce4e5b9ULL;
	i = (i ^ (i >> 27)) * 0x94d049bb133111ebULL;
	return i ^ (i >> 31);
}

static enum kind kind_of(uint64_t i)
{
	return (enum kind)(mix(i) % K_NR);
}

static size_t len_of(uint64_t i)
{
	return 1 + (mix(i) >> 8) % MAX_LEN;
}

static size_t off_of(uint64_t i)
{
	return (mix(i) >> 20) % (SRC_LEN - MAX_LEN);
}

struct bufs {
	uint8_t *src;
	uint8_t *dst;		/* SLOTS * MAX_LEN bytes */
	uint8_t *holey;		/* SLOTS page pairs, each second page PROT_NONE */
	long pg;
	uint16_t *slot_of;	/* per SQE */
	uint16_t free[SLOTS];	/* a stack of the free slots */
	unsigned int nr_free;
};

static void prep(struct pel_sqe *sqe, uint64_t i, unsigned int slot,
		 const struct bufs *b)
{
	size_t len = len_of(i), off = off_of(i);
	uint8_t *dst = b->dst + (size_t)slot * MAX_LEN;
	uint8_t *hole = b->holey + (2 * (size_t)slot + 1) * b->pg;

	switch (kind_of(i)) {
	case K_NOP:
		lpel_prep_nop(sqe);
		break;
	case K_COPY:
		lpel_prep_copy(sqe, dst, b->src + off, len);
		break;
	case K_FILL:
		lpel_prep_fill(sqe, dst, mix(i + 1), len);
		break;
	case K_CRC:
		lpel_prep_crc32c(sqe, b->src + off, len, (uint32_t)mix(i + 2));
		break;
	case K_BADOP:
		lpel_prep_nop(sqe);
		sqe->opcode = PEL_OP_LAST + (uint8_t)(i % 100);
		break;
	case K_FAULT_SRC:
		lpel_prep_copy(sqe, dst, (void *)(uintptr_t)PEL_TEST_KERNEL_ADDR, len);
		break;
	case K_FAULT_DST:
		/* Starts len / 2 bytes before the hole. */
		lpel_prep_fill(sqe, hole - len / 2, mix(i + 1), len);
		break;
	default:
		break;
	}
	lpel_sqe_set_data(sqe, i << KIND_BITS | kind_of(i));
}

static void expected(uint64_t i, const struct bufs *b, int32_t *res,
		     uint64_t *result)
{
	size_t len = len_of(i);

	switch (kind_of(i)) {
	case K_COPY:
	case K_FILL:
		*res = (int32_t)len;
		*result = len;
		break;
	case K_CRC:
		*res = (int32_t)len;
		*result = pel_ref_crc32c((uint32_t)mix(i + 2), b->src + off_of(i), len);
		break;
	case K_BADOP:
		*res = -EINVAL;
		*result = 0;
		break;
	case K_FAULT_SRC:
		*res = -EFAULT;
		*result = 0;
		break;
	case K_FAULT_DST:
		*res = -EFAULT;
		*result = len / 2;
		break;
	default:
		*res = 0;
		*result = 0;
		break;
	}
}

struct tally {
	uint64_t cqes, bad_resv, bad_flags, bad_res, bad_result, bad_data, dup;
	uint64_t by_kind_resv[K_NR];
	unsigned int shown;
};

static void check_cqe(const struct pel_cqe *cqe, uint64_t nr, uint8_t *seen,
		      struct bufs *b, struct tally *t)
{
	uint64_t i = cqe->user_data >> KIND_BITS, result = 0;
	int32_t res = 0;
	bool bad = false;

	t->cqes++;
	if (i >= nr || (cqe->user_data & ((1 << KIND_BITS) - 1)) != kind_of(i)) {
		t->bad_data++;
		bad = true;
		goto show;
	}
	if (seen[i]++)
		t->dup++;
	else
		b->free[b->nr_free++] = b->slot_of[i];
	expected(i, b, &res, &result);
	if (cqe->resv) {
		t->bad_resv++;
		t->by_kind_resv[kind_of(i)]++;
		bad = true;
	}
	if (cqe->flags) {
		t->bad_flags++;
		bad = true;
	}
	if (cqe->res != res) {
		t->bad_res++;
		bad = true;
	}
	if (cqe->result != result) {
		t->bad_result++;
		bad = true;
	}
show:
	if (bad && t->shown < 8) {
		t->shown++;
		printf("# CQE of SQE %llu (kind %u): res %d (want %d) flags 0x%x result 0x%llx (want 0x%llx) resv 0x%016llx\n",
		       (unsigned long long)i, (unsigned int)(cqe->user_data & 7),
		       cqe->res, res, cqe->flags,
		       (unsigned long long)cqe->result, (unsigned long long)result,
		       (unsigned long long)cqe->resv);
	}
}

TEST(every_cqe_byte_defined)
{
	static const char *const names[K_NR] = {
		"NOP", "COPY", "FILL", "CRC32C", "bad opcode", "COPY fault", "FILL fault",
	};
	const uint64_t nr = nr_sqes();
	uint64_t sent = 0, i, missing = 0;
	struct tally t = { 0 };
	struct lpel_ring ring;
	struct pel_cqe *cqe;
	struct bufs b;
	uint8_t *seen;
	int ret;

	b.pg = sysconf(_SC_PAGESIZE);
	b.src = malloc(SRC_LEN);
	b.dst = malloc(SLOTS * MAX_LEN);
	b.holey = mmap(NULL, 2 * SLOTS * b.pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b.slot_of = calloc(nr, sizeof(*b.slot_of));
	seen = calloc(nr, 1);
	ASSERT_NE(NULL, b.src);
	ASSERT_NE(NULL, b.dst);
	ASSERT_NE(MAP_FAILED, b.holey);
	ASSERT_NE(NULL, b.slot_of);
	ASSERT_NE(NULL, seen);
	for (b.nr_free = 0; b.nr_free < SLOTS; b.nr_free++) {
		ASSERT_EQ(0, mprotect(b.holey + (2 * b.nr_free + 1) * b.pg,
				      b.pg, PROT_NONE));
		b.free[b.nr_free] = SLOTS - 1 - b.nr_free;
	}
	pel_test_fill_random(b.src, SRC_LEN, 12);
	ret = lpel_init(&ring, 256);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));

	while (t.cqes < nr) {
		struct pel_sqe *sqe;

		while (sent < nr && b.nr_free && (sqe = lpel_get_sqe(&ring))) {
			b.slot_of[sent] = b.free[--b.nr_free];
			prep(sqe, sent, b.slot_of[sent], &b);
			sent++;
		}
		ASSERT_LE(0, lpel_submit(&ring));
		ret = lpel_wait_cqe_timeout(&ring, &cqe, 20ULL * 1000000000ULL);
		ASSERT_EQ(0, ret) TH_LOG("sent %llu, %llu CQEs: %s",
					 (unsigned long long)sent,
					 (unsigned long long)t.cqes, strerror(-ret));
		while (lpel_peek_cqe(&ring, &cqe) == 0) {
			check_cqe(cqe, nr, seen, &b, &t);
			lpel_cqe_seen(&ring, cqe);
		}
	}
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&ring, &cqe));
	lpel_exit(&ring);
	for (i = 0; i < nr; i++)
		missing += !seen[i];

	printf("# %llu SQEs, %llu CQEs: resv non-zero in %llu, flags in %llu, wrong res %llu, wrong result %llu, bad user_data %llu, duplicates %llu, missing %llu\n",
	       (unsigned long long)nr, (unsigned long long)t.cqes,
	       (unsigned long long)t.bad_resv, (unsigned long long)t.bad_flags,
	       (unsigned long long)t.bad_res, (unsigned long long)t.bad_result,
	       (unsigned long long)t.bad_data, (unsigned long long)t.dup,
	       (unsigned long long)missing);
	for (i = 0; i < K_NR; i++)
		if (t.by_kind_resv[i])
			printf("#   resv non-zero: %llu of them %s\n",
			       (unsigned long long)t.by_kind_resv[i], names[i]);
	EXPECT_EQ(0, t.bad_resv);
	EXPECT_EQ(0, t.bad_flags);
	EXPECT_EQ(0, t.bad_res);
	EXPECT_EQ(0, t.bad_result);
	EXPECT_EQ(0, t.bad_data);
	EXPECT_EQ(0, t.dup);
	EXPECT_EQ(0, missing);
	free(seen);
	free(b.slot_of);
	free(b.src);
	free(b.dst);
	munmap(b.holey, 2 * SLOTS * b.pg);
}

TEST_HARNESS_MAIN
