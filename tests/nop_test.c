// SPDX-License-Identifier: GPL-2.0
/*
 * NOP round trips through liblpel: every SQE yields exactly one CQE with
 * its user_data intact, nothing lost or duplicated; malformed SQEs get
 * -EINVAL in their CQE and the queue keeps working.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

PEL_TEST_RING_FIXTURE(64)

/* Reap every ready CQE, checking each user_data is new and in range. */
static int reap(struct __test_metadata *_metadata, struct lpel_ring *ring,
		uint8_t *seen, uint64_t nr, int expect_res)
{
	struct pel_cqe *cqe;
	int n = 0;

	while (lpel_peek_cqe(ring, &cqe) == 0) {
		EXPECT_GT(nr, cqe->user_data);
		if (cqe->user_data < nr) {
			EXPECT_EQ(0, seen[cqe->user_data])
				TH_LOG("user_data %llu twice",
				       (unsigned long long)cqe->user_data);
			seen[cqe->user_data]++;
		}
		EXPECT_EQ(expect_res, cqe->res);
		EXPECT_EQ(0, cqe->flags);
		lpel_cqe_seen(ring, cqe);
		n++;
	}
	return n;
}

TEST_F(ring, hundred_thousand)
{
	const uint64_t nr = 100000;
	uint8_t *seen = calloc(nr, 1);
	uint64_t sent = 0, done = 0, i;
	struct pel_cqe *cqe;

	ASSERT_NE(NULL, seen);
	while (done < nr) {
		struct pel_sqe *sqe;
		int ret;

		while (sent < nr && (sqe = lpel_get_sqe(&self->ring))) {
			lpel_prep_nop(sqe);
			/* Distinct high bits catch a CQE that mangles user_data. */
			lpel_sqe_set_data(sqe, sent);
			sent++;
		}
		ASSERT_LE(0, lpel_submit(&self->ring));
		ret = lpel_wait_cqe_timeout(&self->ring, &cqe, 10ULL * 1000000000ULL);
		ASSERT_EQ(0, ret) TH_LOG("sent %llu done %llu: %s",
					 (unsigned long long)sent,
					 (unsigned long long)done, strerror(-ret));
		done += reap(_metadata, &self->ring, seen, nr, 0);
	}
	EXPECT_EQ(nr, done);
	for (i = 0; i < nr; i++) {
		if (seen[i] != 1)
			break;
	}
	EXPECT_EQ(nr, i) TH_LOG("user_data %llu seen %u times",
				(unsigned long long)i, i < nr ? seen[i] : 0);
	/* Nothing extra arrives afterwards. */
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->ring, &cqe));
	free(seen);
}

TEST_F(ring, user_data_all_bits)
{
	static const uint64_t values[] = {
		0, 1, 0xffffffffffffffffULL, 0x8000000000000000ULL,
		0x0123456789abcdefULL, 0xdeadbeef00000000ULL,
	};
	unsigned int i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct pel_sqe *sqe = lpel_get_sqe(&self->ring);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, values[i]);
		ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
		EXPECT_EQ(values[i], cqe.user_data);
		EXPECT_EQ(0, cqe.res);
		EXPECT_EQ(0, cqe.result);
	}
}

/* Every queue works, not just the one the test happens to run on. */
TEST_F(ring, every_queue)
{
	unsigned int q;

	for (q = 0; q < self->ring.nr_queues; q++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring, q);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, 1000 + q);
		ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
		EXPECT_EQ(1000 + q, cqe.user_data);
		EXPECT_EQ(0, cqe.res);
	}
	EXPECT_EQ(NULL, lpel_get_sqe_on(&self->ring, self->ring.nr_queues));
}

static void expect_einval(struct __test_metadata *_metadata,
			  struct lpel_ring *ring, const struct pel_sqe *tmpl,
			  const char *what)
{
	struct pel_sqe *sqe = lpel_get_sqe(ring);
	struct pel_cqe cqe;

	ASSERT_NE(NULL, sqe);
	*sqe = *tmpl;
	sqe->user_data = 77;
	ASSERT_EQ(0, pel_test_run_one(ring, sqe, &cqe));
	EXPECT_EQ(77, cqe.user_data);
	EXPECT_EQ(-EINVAL, cqe.res) TH_LOG("%s: res %d", what, cqe.res);
}

TEST_F(ring, malformed_sqes)
{
	struct pel_sqe t;
	struct pel_cqe cqe;
	struct pel_sqe *sqe;

	memset(&t, 0, sizeof(t));
	t.opcode = PEL_OP_LAST;
	expect_einval(_metadata, &self->ring, &t, "opcode LAST");
	t.opcode = 0xff;
	expect_einval(_metadata, &self->ring, &t, "opcode 255");

	memset(&t, 0, sizeof(t));
	t.flags = 0x80;
	expect_einval(_metadata, &self->ring, &t, "unknown flag");
	memset(&t, 0, sizeof(t));
	t.file_index = 1;
	expect_einval(_metadata, &self->ring, &t, "file_index without PEL_SQE_FILE");
	memset(&t, 0, sizeof(t));
	t.deadline_ns = 1;
	expect_einval(_metadata, &self->ring, &t, "deadline without its flag");
	memset(&t, 0, sizeof(t));
	t.arg0 = 1;
	expect_einval(_metadata, &self->ring, &t, "nop arg0");
	memset(&t, 0, sizeof(t));
	t.op_flags = 1;
	expect_einval(_metadata, &self->ring, &t, "nop op_flags");
	memset(&t, 0, sizeof(t));
	t.len = 1;
	expect_einval(_metadata, &self->ring, &t, "nop len");
	memset(&t, 0, sizeof(t));
	t.arg1 = 1;
	expect_einval(_metadata, &self->ring, &t, "nop arg1");

	/* The queue still works. */
	sqe = lpel_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 5);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(5, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
}

/* Queue 0's SQEs, prepared and published. */
static void submit_nops(struct __test_metadata *_metadata,
			struct lpel_ring *ring, unsigned int first,
			unsigned int nr)
{
	unsigned int i;

	for (i = first; i < first + nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(ring, 0);

		ASSERT_NE(NULL, sqe) TH_LOG("SQ full at %u", i);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(ring));
}

/*
 * More SQEs than the CQ holds: the kernel stops taking SQEs while the CQ is
 * full (no overflow, nothing dropped) and resumes once it is reaped, even if
 * its worker went to sleep meanwhile.
 */
TEST(cq_backpressure)
{
	struct lpel_params prm = { .sq_entries = 16, .cq_entries = 16 };
	struct lpel_queue *q;
	struct lpel_ring ring;
	struct pel_cqe *cqe;
	uint8_t seen[32] = { 0 };
	unsigned int i, got = 0;
	int ret;

	ASSERT_EQ(0, lpel_init_params(&ring, &prm));
	q = &ring.queues[0];

	submit_nops(_metadata, &ring, 0, 16);
	ret = lpel_submit_and_wait(&ring, 16);
	ASSERT_LE(0, ret) TH_LOG("%s", strerror(-ret));
	/* The CQ is full; 16 more fit in the SQ but not in the CQ. */
	submit_nops(_metadata, &ring, 16, 16);
	usleep(100 * 1000);
	EXPECT_EQ(16, lpel_cq_ready(&ring));
	EXPECT_EQ(16, __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE));

	while (got < 32) {
		ret = lpel_wait_cqe_timeout(&ring, &cqe, 10000000000ULL);
		ASSERT_EQ(0, ret) TH_LOG("got %u: %s", got, strerror(-ret));
		ASSERT_GT(32, cqe->user_data);
		seen[cqe->user_data]++;
		lpel_cqe_seen(&ring, cqe);
		got++;
		EXPECT_GE(16, lpel_cq_ready(&ring));
	}
	for (i = 0; i < 32; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("user_data %u", i);
	EXPECT_EQ(32, __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE));
	lpel_exit(&ring);
}

TEST_HARNESS_MAIN
