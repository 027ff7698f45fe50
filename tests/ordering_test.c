// SPDX-License-Identifier: GPL-2.0
/*
 * Ordering and control: LINK chains (success, failure part-way, across
 * batches), DRAIN, CANCEL of queued and running ops, deadlines.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

#define BIG	(64 << 20)

PEL_TEST_RING_FIXTURE(256)

/* Reap n CQEs into out[], indexed by user_data (< nr); record arrival order. */
static void reap(struct __test_metadata *_metadata, struct lpel_ring *ring,
		 struct pel_cqe *out, unsigned int nr, unsigned int n,
		 unsigned int *order)
{
	unsigned int got;

	for (got = 0; got < n; got++) {
		struct pel_cqe *cqe;
		int ret = lpel_wait_cqe_timeout(ring, &cqe, 30ULL * 1000000000ULL);

		ASSERT_EQ(0, ret) TH_LOG("CQE %u of %u: %s", got, n, strerror(-ret));
		ASSERT_GT(nr, cqe->user_data);
		out[cqe->user_data] = *cqe;
		if (order)
			order[got] = cqe->user_data;
		lpel_cqe_seen(ring, cqe);
	}
}

static struct pel_sqe *sqe_on(struct __test_metadata *_metadata,
			      struct lpel_ring *ring, unsigned int q,
			      uint64_t data)
{
	struct pel_sqe *sqe = lpel_get_sqe_on(ring, q);

	if (!sqe) {
		EXPECT_NE(NULL, sqe);
		return NULL;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->user_data = data;
	return sqe;
}

/* Each op of the chain needs the one before it to have run. */
TEST_F(ring, link_chain_in_order)
{
	size_t len = 300000;
	uint8_t *a = malloc(len), *b = calloc(1, len), *c = calloc(1, len);
	struct pel_cqe cqe[4];
	struct pel_sqe *sqe;
	uint8_t digest_ref[1];

	(void)digest_ref;
	ASSERT_TRUE(a && b && c);
	pel_test_pattern(a, len, 1);
	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_copy(sqe, b, a, len);
	lpel_sqe_set_data(sqe, 0);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_copy(sqe, c, b, len);
	lpel_sqe_set_data(sqe, 1);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_compare(sqe, a, c, len);
	lpel_sqe_set_data(sqe, 2);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 3);
	lpel_prep_fill(sqe, a, 0, len);
	lpel_sqe_set_data(sqe, 3);
	ASSERT_EQ(4, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 4, 4, NULL);

	EXPECT_EQ((int)len, cqe[0].res);
	EXPECT_EQ((int)len, cqe[1].res);
	EXPECT_EQ(0, cqe[2].res) TH_LOG("c differs from a at %llu",
					(unsigned long long)cqe[2].result);
	EXPECT_EQ((int)len, cqe[3].res);
	EXPECT_EQ(0, memcmp(b, c, len));
	EXPECT_EQ(0, a[0]);
	EXPECT_EQ(0, a[len - 1]);
	free(a);
	free(b);
	free(c);
}

/* A failure part-way: the rest of the chain is cancelled, then life goes on. */
TEST_F(ring, link_failure_cancels_rest)
{
	uint8_t buf[256];
	struct pel_cqe cqe[6];
	struct pel_sqe *sqe;
	unsigned int i;

	memset(buf, 0x11, sizeof(buf));
	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_fill(sqe, buf, 0x2222222222222222ULL, 64);
	lpel_sqe_set_data(sqe, 0);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_copy(sqe, buf, (void *)PEL_TEST_KERNEL_ADDR, 64);
	lpel_sqe_set_data(sqe, 1);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_fill(sqe, buf + 64, 0x3333333333333333ULL, 64);
	lpel_sqe_set_data(sqe, 2);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 3);
	lpel_prep_fill(sqe, buf + 128, 0x4444444444444444ULL, 64);
	lpel_sqe_set_data(sqe, 3);
	/* not linked: a new chain, unaffected */
	sqe = sqe_on(_metadata, &self->ring, 0, 4);
	lpel_prep_fill(sqe, buf + 192, 0x5555555555555555ULL, 64);
	lpel_sqe_set_data(sqe, 4);
	sqe = sqe_on(_metadata, &self->ring, 0, 5);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 5);
	ASSERT_EQ(6, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 6, 6, NULL);

	EXPECT_EQ(64, cqe[0].res);
	EXPECT_EQ(-EFAULT, cqe[1].res);
	EXPECT_EQ(-ECANCELED, cqe[2].res);
	EXPECT_EQ(-ECANCELED, cqe[3].res);
	EXPECT_EQ(64, cqe[4].res);
	EXPECT_EQ(0, cqe[5].res);
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0x22, buf[i]);
		ASSERT_EQ(0x11, buf[64 + i]) TH_LOG("cancelled op ran");
		ASSERT_EQ(0x11, buf[128 + i]) TH_LOG("cancelled op ran");
		ASSERT_EQ(0x55, buf[192 + i]);
	}
}

/* An invalid SQE in a chain breaks it like any failure. */
TEST_F(ring, link_invalid_breaks_chain)
{
	struct pel_cqe cqe[3];
	struct pel_sqe *sqe;

	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_nop(sqe);
	sqe->opcode = 0xee;
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 1);
	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 2);
	ASSERT_EQ(3, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 3, 3, NULL);
	EXPECT_EQ(-EINVAL, cqe[0].res);
	EXPECT_EQ(-ECANCELED, cqe[1].res);
	EXPECT_EQ(0, cqe[2].res);
}

/* Chains longer than a worker's batch keep their meaning. */
TEST_F(ring, long_chains)
{
	const unsigned int nr = 100, bad = 70;
	struct pel_cqe cqe[100];
	uint8_t buf[100];
	unsigned int i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = sqe_on(_metadata, &self->ring, 0, i);

		ASSERT_NE(NULL, sqe);
		if (i == bad)
			lpel_prep_fill(sqe, NULL, 0, 1);
		else
			lpel_prep_fill(sqe, buf + i, 0xff, 1);
		lpel_sqe_set_data(sqe, i);
		if (i != nr - 1)
			lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, nr, nr, NULL);
	for (i = 0; i < nr; i++) {
		if (i < bad) {
			EXPECT_EQ(1, cqe[i].res) TH_LOG("op %u", i);
			EXPECT_EQ(0xff, buf[i]);
		} else if (i == bad) {
			EXPECT_EQ(-EFAULT, cqe[i].res);
		} else {
			EXPECT_EQ(-ECANCELED, cqe[i].res) TH_LOG("op %u", i);
			EXPECT_EQ(0, buf[i]);
		}
	}
}

/* Everything before a DRAIN completes before it; it completes before what follows. */
TEST_F(ring, drain)
{
	const unsigned int nr = 40;
	unsigned int order[40], pos[40], i;
	struct pel_cqe cqe[40];
	uint8_t *src = malloc(1 << 20), *dst = malloc(1 << 20);

	ASSERT_TRUE(src && dst);
	memset(src, 9, 1 << 20);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = sqe_on(_metadata, &self->ring, 0, i);

		ASSERT_NE(NULL, sqe);
		if (i % 10 == 3)
			lpel_prep_copy(sqe, dst, src, 1 << 20);
		else
			lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
		if (i == 0 || i == 13 || i == 14 || i == 27)
			lpel_sqe_set_flags(sqe, PEL_SQE_DRAIN);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, nr, nr, order);
	for (i = 0; i < nr; i++) {
		pos[order[i]] = i;
		EXPECT_LE(0, cqe[i].res);
	}
	for (i = 0; i < nr; i++) {
		unsigned int d;

		for (d = 0; d < nr; d++) {
			if (d != 13 && d != 14 && d != 27)
				continue;
			if (i < d)
				EXPECT_GT(pos[d], pos[i]) TH_LOG("%u completed after drain %u", i, d);
			if (i > d)
				EXPECT_LT(pos[d], pos[i]) TH_LOG("%u completed before drain %u", i, d);
		}
	}
	free(src);
	free(dst);
}

/* Wait until the kernel has taken n SQEs of queue q. */
static int wait_taken(struct lpel_ring *ring, unsigned int q, unsigned int n)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(ring->queues[q].sq_head, __ATOMIC_ACQUIRE) >= n)
			return 0;
		usleep(100);
	}
	return -1;
}

/*
 * Queue 1's worker runs a long SHA-256 (an op that is never split, so the
 * other worker stays free) with a FILL queued behind it; queue 0 cancels
 * the FILL (0, the FILL ends -ECANCELED), the hash (-EALREADY), and things
 * that are not there (-ENOENT).
 */
TEST_F(ring, cancel_queued_and_running)
{
	const size_t len = 16 << 20;
	uint8_t *src = malloc(len), digest[PEL_SHA256_DIGEST_SIZE];
	struct pel_cqe cqe[8];
	struct pel_sqe *sqe;

	if (self->ring.nr_queues < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_NE(NULL, src);
	memset(src, 1, len);
	/* On queue 0's CPU, so that queue 1's worker is free. */
	ASSERT_EQ(0, pel_test_pin_to_queue_cpu(&self->ring, 0));

	sqe = sqe_on(_metadata, &self->ring, 1, 0);
	lpel_prep_sha256(sqe, digest, src, len);
	lpel_sqe_set_data(sqe, 0);
	sqe = sqe_on(_metadata, &self->ring, 1, 1);
	lpel_prep_fill(sqe, src, 0, 4096);
	lpel_sqe_set_data(sqe, 1);
	ASSERT_EQ(2, lpel_submit(&self->ring));
	ASSERT_EQ(0, wait_taken(&self->ring, 1, 2));

	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_cancel(sqe, 1);
	lpel_sqe_set_data(sqe, 2);
	sqe = sqe_on(_metadata, &self->ring, 0, 3);
	lpel_prep_cancel(sqe, 0);
	lpel_sqe_set_data(sqe, 3);
	sqe = sqe_on(_metadata, &self->ring, 0, 4);
	lpel_prep_cancel(sqe, 12345);
	lpel_sqe_set_data(sqe, 4);
	ASSERT_EQ(3, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 8, 5, NULL);

	EXPECT_EQ(0, cqe[2].res) TH_LOG("cancel of the queued op");
	EXPECT_EQ(-EALREADY, cqe[3].res) TH_LOG("cancel of the running op");
	EXPECT_EQ(-ENOENT, cqe[4].res);
	EXPECT_EQ((int)len, cqe[0].res);
	EXPECT_EQ(-ECANCELED, cqe[1].res);
	EXPECT_EQ(1, src[0]) TH_LOG("the cancelled FILL ran");

	/* Done ops are not found either. */
	sqe = sqe_on(_metadata, &self->ring, 0, 5);
	lpel_prep_cancel(sqe, 0);
	lpel_sqe_set_data(sqe, 5);
	ASSERT_EQ(1, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 8, 1, NULL);
	EXPECT_EQ(-ENOENT, cqe[5].res);
	free(src);
}

/*
 * CANCELs on one queue race a stream of batches on another, all of the
 * same user_data: whatever the timing, every CANCEL that says 0 ended
 * exactly one op -ECANCELED, and every op ended either done or so.
 */
TEST_F(ring, cancel_race)
{
	enum { OPS = 32, CANCELS = 8, ROUNDS = 300, LEN = 4096, TARGET = 7,
	       CANCEL_DATA = 8 };
	unsigned int r, i, ok = 0, cancelled = 0, already = 0, notfound = 0;
	uint8_t *buf = malloc(LEN);

	if (self->ring.nr_queues < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_NE(NULL, buf);
	for (r = 0; r < ROUNDS; r++) {
		struct pel_sqe *sqe;

		for (i = 0; i < OPS; i++) {
			sqe = sqe_on(_metadata, &self->ring, 0, TARGET);
			ASSERT_NE(NULL, sqe);
			lpel_prep_fill(sqe, buf, i, LEN);
			lpel_sqe_set_data(sqe, TARGET);
		}
		for (i = 0; i < CANCELS; i++) {
			sqe = sqe_on(_metadata, &self->ring, 1, CANCEL_DATA);
			ASSERT_NE(NULL, sqe);
			lpel_prep_cancel(sqe, TARGET);
			lpel_sqe_set_data(sqe, CANCEL_DATA);
		}
		ASSERT_EQ(OPS + CANCELS, lpel_submit(&self->ring));
		for (i = 0; i < OPS + CANCELS; i++) {
			struct pel_cqe *cqe;
			int ret = lpel_wait_cqe_timeout(&self->ring, &cqe,
							30ULL * 1000000000ULL);

			ASSERT_EQ(0, ret) TH_LOG("round %u: %s", r, strerror(-ret));
			if (cqe->user_data == TARGET) {
				if (cqe->res == -ECANCELED)
					cancelled++;
				else
					ASSERT_EQ(LEN, cqe->res);
			} else {
				ASSERT_EQ(CANCEL_DATA, cqe->user_data);
				if (cqe->res == 0)
					ok++;
				else if (cqe->res == -EALREADY)
					already++;
				else
					ASSERT_EQ(-ENOENT, cqe->res);
				notfound += cqe->res == -ENOENT;
			}
			lpel_cqe_seen(&self->ring, cqe);
		}
		ASSERT_EQ(ok, cancelled) TH_LOG("round %u", r);
	}
	TH_LOG("cancels: %u took, %u already running, %u found nothing",
	       ok, already, notfound);
	free(buf);
}

TEST_F(ring, cancel_fields)
{
	struct pel_cqe cqe[1];
	struct pel_sqe *sqe = sqe_on(_metadata, &self->ring, 0, 0);

	lpel_prep_cancel(sqe, 1);
	sqe->len = 1;
	ASSERT_EQ(1, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 1, 1, NULL);
	EXPECT_EQ(-EINVAL, cqe[0].res);
}

TEST_F(ring, deadline_passed_and_future)
{
	uint8_t buf[64];
	struct pel_cqe cqe[3];
	struct pel_sqe *sqe;

	memset(buf, 0, sizeof(buf));
	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_fill(sqe, buf, 0x0101010101010101ULL, 32);
	lpel_sqe_set_data(sqe, 0);
	lpel_sqe_set_deadline(sqe, pel_test_now_ns() - 1000);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_fill(sqe, buf + 32, 0x0202020202020202ULL, 32);
	lpel_sqe_set_data(sqe, 1);
	lpel_sqe_set_deadline(sqe, pel_test_now_ns() + 60ULL * 1000000000ULL);
	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 2);
	lpel_sqe_set_deadline(sqe, 0);
	ASSERT_EQ(3, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 3, 3, NULL);
	EXPECT_EQ(-ETIME, cqe[0].res);
	EXPECT_EQ(0, buf[0]) TH_LOG("an op past its deadline ran");
	EXPECT_EQ(32, cqe[1].res);
	EXPECT_EQ(2, buf[32]);
	EXPECT_EQ(-ETIME, cqe[2].res);
}

/* An op stuck behind a long one misses a short deadline; a long one it meets. */
TEST_F(ring, deadline_behind_long_op)
{
	uint8_t *src = malloc(BIG), *dst = malloc(BIG);
	struct pel_cqe cqe[3];
	struct pel_sqe *sqe;
	uint64_t t;

	ASSERT_TRUE(src && dst);
	memset(src, 3, BIG);
	t = pel_test_now_ns();
	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_copy(sqe, dst, src, BIG);
	lpel_sqe_set_data(sqe, 0);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 1);
	lpel_sqe_set_deadline(sqe, t + 1000000);
	sqe = sqe_on(_metadata, &self->ring, 0, 2);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 2);
	lpel_sqe_set_deadline(sqe, t + 60ULL * 1000000000ULL);
	ASSERT_EQ(3, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 3, 3, NULL);
	EXPECT_EQ(BIG, cqe[0].res);
	/* 64 MiB cannot be copied in 1 ms, least of all under emulation */
	EXPECT_EQ(-ETIME, cqe[1].res);
	EXPECT_EQ(0, cqe[2].res);
	free(src);
	free(dst);
}

/* A deadline miss in a chain breaks it. */
TEST_F(ring, deadline_breaks_chain)
{
	struct pel_cqe cqe[2];
	struct pel_sqe *sqe;

	sqe = sqe_on(_metadata, &self->ring, 0, 0);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 0);
	lpel_sqe_set_deadline(sqe, 1);
	lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	sqe = sqe_on(_metadata, &self->ring, 0, 1);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 1);
	ASSERT_EQ(2, lpel_submit(&self->ring));
	reap(_metadata, &self->ring, cqe, 2, 2, NULL);
	EXPECT_EQ(-ETIME, cqe[0].res);
	EXPECT_EQ(-ECANCELED, cqe[1].res);
}

TEST_HARNESS_MAIN
