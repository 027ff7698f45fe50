// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path's promises: a busy submitter makes no system call (a
 * worker that stole from its queue keeps polling it, so NEED_WAKEUP stays
 * clear), and a thread that blocks in PEL_ENTER_WAIT runs its own SQEs
 * itself first (pel-helped in fdinfo counts them); a non-owner's wait never
 * runs anything.
 */
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

/* A counter of the context's /proc/self/fdinfo, e.g. "pel-enters". */
static long long fdinfo_count(int fd, const char *key)
{
	uint64_t v = pel_test_fdinfo_u64(fd, key);

	return v == UINT64_MAX ? -1 : (long long)v;
}

static unsigned int online_cpus(void)
{
	return (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Reap what is ready without a system call; returns the CQEs reaped. */
static unsigned int reap_ready(struct lpel_ring *ring, unsigned int *bad)
{
	struct pel_cqe *cqe;
	unsigned int n = 0;

	while (!lpel_peek_cqe(ring, &cqe)) {
		if (cqe->res != 0)
			(*bad)++;
		lpel_cqe_seen(ring, cqe);
		n++;
	}
	return n;
}

/*
 * Publish the prepared SQEs of every queue without waking anyone, as if
 * NEED_WAKEUP were clear: the SQEs wait for whoever polls or helps.
 */
static void publish_quietly(struct lpel_ring *ring)
{
	unsigned int i;

	for (i = 0; i < ring->nr_queues; i++) {
		struct lpel_queue *q = &ring->queues[i];

		__atomic_store_n(q->sq_tail, q->sqe_tail, __ATOMIC_RELEASE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Wait until every online worker sleeps (nothing polls our queues). */
static int workers_asleep(void)
{
	unsigned int cpu, tries;

	for (tries = 0; tries < 200; tries++) {
		for (cpu = 0; cpu < online_cpus(); cpu++)
			if (pel_test_worker_state(cpu) != PEL_WORKER_SLEEPING)
				break;
		if (cpu == online_cpus())
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * NOP at depth 128, batch 32, reaped by polling the CQ: after the first
 * wake-up, a worker on the other CPU polls the queue, and the submitter
 * should not call in again.  The old design (a wake-up per batch onto the
 * submitter's own CPU) made about one PEL_IOC_ENTER per batch.
 */
TEST(busy_submitter_makes_no_syscall)
{
	struct lpel_params p = { .sq_entries = 256, .idle_us = 10000 };
	unsigned int inflight = 0, batches = 0, bad = 0, i;
	long long enters0, enters1;
	struct lpel_ring ring;
	uint64_t end;
	int ret;

	if (online_cpus() < 2)
		SKIP(return, "needs 2 CPUs: with one, the worker must preempt the submitter");
	ret = lpel_init_params(&ring, &p);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init_params: %s", strerror(-ret));
	enters0 = fdinfo_count(ring.fd, "pel-enters");
	ASSERT_LE(0, enters0);

	end = pel_test_now_ns() + 500000000ULL;
	while (pel_test_now_ns() < end) {
		if (inflight + 32 <= 128) {
			for (i = 0; i < 32; i++) {
				struct pel_sqe *sqe = lpel_get_sqe(&ring);

				ASSERT_NE(NULL, sqe);
				lpel_prep_nop(sqe);
			}
			ASSERT_EQ(32, lpel_submit(&ring));
			inflight += 32;
			batches++;
		}
		inflight -= reap_ready(&ring, &bad);
	}
	end = pel_test_now_ns() + 10000000000ULL;
	while (inflight && pel_test_now_ns() < end)
		inflight -= reap_ready(&ring, &bad);
	ASSERT_EQ(0, inflight);
	ASSERT_EQ(0, bad);
	enters1 = fdinfo_count(ring.fd, "pel-enters");
	TH_LOG("%u batches, %lld PEL_IOC_ENTER", batches, enters1 - enters0);
	/* A few re-wakes when the host stalls a vCPU, never one per batch. */
	EXPECT_LT((enters1 - enters0) * 10, (long long)batches);
	lpel_exit(&ring);
}

FIXTURE(helper) {
	struct lpel_ring ring;
};

FIXTURE_SETUP(helper)
{
	struct lpel_params p = { .sq_entries = 64, .idle_us = 100 };
	int ret = lpel_init_params(&self->ring, &p);

	ASSERT_EQ(0, ret) TH_LOG("lpel_init_params: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(helper)
{
	lpel_exit(&self->ring);
}

static int enter_wait(int fd, unsigned int min_complete)
{
	struct pel_enter e = {
		.flags = PEL_ENTER_WAIT,
		.queue = PEL_QUEUE_ALL,
		.min_complete = min_complete,
		.timeout_ns = 10ULL * 1000000000ULL,
	};

	return pel_test_enter(fd, &e);
}

/* With every worker asleep, the waiter runs all of its SQEs itself. */
TEST_F(helper, waiter_runs_own_sqes)
{
	size_t len = 256 * 1024;
	char *src = malloc(len), *dst = malloc(len);
	struct pel_sqe *sqe;
	struct pel_cqe *cqe;
	long long helped0, helped1;
	unsigned int i, n = 0;
	int ret;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	pel_test_pattern(src, len, 7);
	memset(dst, 0, len);
	ASSERT_EQ(0, workers_asleep());
	helped0 = fdinfo_count(self->ring.fd, "pel-helped");
	for (i = 0; i < 8; i++) {
		sqe = lpel_get_sqe_on(&self->ring, 0);
		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
	}
	/* And a COPY: the helper's data path. */
	sqe = lpel_get_sqe_on(&self->ring, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dst, src, len);
	lpel_sqe_set_data(sqe, 100);
	publish_quietly(&self->ring);

	ret = enter_wait(self->ring.fd, 9);
	ASSERT_LE(9, ret) TH_LOG("PEL_IOC_ENTER: %d %s", ret, strerror(errno));
	while (!lpel_peek_cqe(&self->ring, &cqe)) {
		if (cqe->user_data == 100) {
			EXPECT_EQ((int)len, cqe->res);
		} else {
			EXPECT_EQ(0, cqe->res);
		}
		lpel_cqe_seen(&self->ring, cqe);
		n++;
	}
	EXPECT_EQ(9, n);
	EXPECT_EQ(0, memcmp(src, dst, len));
	helped1 = fdinfo_count(self->ring.fd, "pel-helped");
	EXPECT_EQ(9, helped1 - helped0);
	free(src);
	free(dst);
}

/*
 * The waiter may fault on its own memory: never-touched memory comes in,
 * and a hole still ends the op with -EFAULT at its exact offset.
 */
TEST_F(helper, waiter_faults_on_own_memory)
{
	size_t len = 64 * 4096, hole = 40 * 4096;
	char *fresh = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *holey = pel_test_holey_buffer(len, hole);
	char *src = malloc(len);
	struct pel_sqe *sqe;
	struct pel_cqe *cqe;
	long long helped0;
	unsigned int n = 0;

	ASSERT_NE(MAP_FAILED, fresh);
	ASSERT_NE(NULL, holey);
	ASSERT_NE(NULL, src);
	pel_test_pattern(src, len, 3);
	ASSERT_EQ(0, workers_asleep());
	helped0 = fdinfo_count(self->ring.fd, "pel-helped");
	sqe = lpel_get_sqe_on(&self->ring, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, fresh, src, len);
	lpel_sqe_set_data(sqe, 1);
	sqe = lpel_get_sqe_on(&self->ring, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, holey, src, len);
	lpel_sqe_set_data(sqe, 2);
	publish_quietly(&self->ring);
	ASSERT_LE(2, enter_wait(self->ring.fd, 2));
	while (!lpel_peek_cqe(&self->ring, &cqe)) {
		if (cqe->user_data == 1) {
			EXPECT_EQ((int)len, cqe->res);
		} else {
			EXPECT_EQ(-EFAULT, cqe->res);
			EXPECT_EQ(hole, cqe->result);
		}
		lpel_cqe_seen(&self->ring, cqe);
		n++;
	}
	EXPECT_EQ(2, n);
	EXPECT_EQ(0, memcmp(fresh, src, len));
	EXPECT_EQ(0, memcmp(holey, src, hole));
	EXPECT_EQ(2, fdinfo_count(self->ring.fd, "pel-helped") - helped0);
	munmap(fresh, len);
	free(src);
}

/* A forked child's wait on the inherited fd is refused and runs nothing. */
TEST_F(helper, non_owner_wait_runs_nothing)
{
	struct lpel_queue *q = &self->ring.queues[0];
	unsigned int head0 = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
	long long helped0;
	struct pel_cqe *cqe;
	int status;
	pid_t pid;

	ASSERT_EQ(0, workers_asleep());
	helped0 = fdinfo_count(self->ring.fd, "pel-helped");
	lpel_prep_nop(lpel_get_sqe_on(&self->ring, 0));
	publish_quietly(&self->ring);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ret = enter_wait(self->ring.fd, 1);

		_exit(ret == -1 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Nobody took the SQE: no worker polls, the child ran nothing. */
	EXPECT_EQ(head0, __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE));
	EXPECT_EQ(helped0, fdinfo_count(self->ring.fd, "pel-helped"));
	/* The owner's wait runs it. */
	ASSERT_LE(1, enter_wait(self->ring.fd, 1));
	ASSERT_EQ(0, lpel_peek_cqe(&self->ring, &cqe));
	EXPECT_EQ(0, cqe->res);
	lpel_cqe_seen(&self->ring, cqe);
	EXPECT_EQ(helped0 + 1, fdinfo_count(self->ring.fd, "pel-helped"));
}

TEST_HARNESS_MAIN
