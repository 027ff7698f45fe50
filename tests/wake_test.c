// SPDX-License-Identifier: GPL-2.0
/*
 * Polling, sleeping and waking: workers poll while work arrives, sleep with
 * NEED_WAKEUP set once idle, and the library's submit wakes them; blocking
 * waits and poll()/epoll report completions.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define IDLE_US 2000

FIXTURE(ring) {
	struct lpel_ring ring;
};

FIXTURE_SETUP(ring)
{
	struct lpel_params p = { .sq_entries = 32, .idle_us = IDLE_US };
	int ret = lpel_init_params(&self->ring, &p);

	ASSERT_EQ(0, ret) TH_LOG("lpel_init_params: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(ring)
{
	lpel_exit(&self->ring);
}

/*
 * One NOP on queue q, waited for (a blocking wait may run it itself: the
 * owner helps), or, @polled, reaped by polling: the workers run it.
 */
static int nop_run(struct lpel_ring *ring, unsigned int q, uint64_t data,
		   bool polled)
{
	struct pel_sqe *sqe = lpel_get_sqe_on(ring, q);
	struct pel_cqe cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, data);
	ret = polled ? pel_test_run_one_polled(ring, &cqe) :
		       pel_test_run_one(ring, sqe, &cqe);
	if (ret)
		return ret;
	return cqe.user_data == data && cqe.res == 0 ? 0 : -EIO;
}

static int nop_on(struct lpel_ring *ring, unsigned int q, uint64_t data)
{
	return nop_run(ring, q, data, false);
}

static int nop_on_polled(struct lpel_ring *ring, unsigned int q, uint64_t data)
{
	return nop_run(ring, q, data, true);
}

static uint32_t sq_flags(struct lpel_ring *ring, unsigned int q)
{
	return __atomic_load_n(ring->queues[q].sq_flags, __ATOMIC_ACQUIRE);
}

static uint64_t total_ops(unsigned int nr_cpus)
{
	return pel_test_sum_workers(nr_cpus, offsetof(struct pel_worker_stats, ops));
}

static uint64_t total_wakeups(unsigned int nr_cpus)
{
	return pel_test_sum_workers(nr_cpus, offsetof(struct pel_worker_stats, wakeups));
}

/*
 * After the idle time the worker sleeps and says so; a submit wakes a
 * worker: the queue's own, or, from the queue's CPU, one elsewhere (it
 * would preempt the submitter).  Which runs the op is the workers'
 * business (any may steal), or the waiting submitter's (it helps).
 */
TEST_F(ring, sleep_then_wake)
{
	unsigned int q, ncpu = sysconf(_SC_NPROCESSORS_CONF);

	PEL_TEST_KERNEL_ONLY("worker stats");

	for (q = 0; q < self->ring.nr_queues; q++) {
		struct pel_worker_stats before, after;
		unsigned int cpu = self->ring.queues[q].cpu;
		uint64_t ops_before, ops_after, wakeups_before;
		int i;

		ASSERT_EQ(0, nop_on(&self->ring, q, q));
		/* well past IDLE_US, even under emulation */
		usleep(200 * 1000);
		EXPECT_EQ(PEL_SQ_NEED_WAKEUP, sq_flags(&self->ring, q) & PEL_SQ_NEED_WAKEUP);
		ASSERT_EQ(0, pel_test_worker_stats(cpu, &before));
		EXPECT_EQ(PEL_WORKER_SLEEPING, before.state);
		ops_before = total_ops(ncpu) + pel_test_fdinfo_u64(self->ring.fd, "pel-helped");
		wakeups_before = total_wakeups(ncpu);

		/* Several rounds: each needs a wake-up the library must make. */
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, nop_on(&self->ring, q, 100 + i));
			usleep(100 * 1000);
			EXPECT_EQ(PEL_SQ_NEED_WAKEUP,
				  sq_flags(&self->ring, q) & PEL_SQ_NEED_WAKEUP);
		}
		ASSERT_EQ(0, pel_test_worker_stats(cpu, &after));
		ops_after = total_ops(ncpu) + pel_test_fdinfo_u64(self->ring.fd, "pel-helped");
		EXPECT_LE(wakeups_before + 3, total_wakeups(ncpu));
		EXPECT_LE(ops_before + 3, ops_after);
		EXPECT_EQ(PEL_WORKER_SLEEPING, after.state);
	}
}

/*
 * While work keeps coming within the idle time, nobody needs waking.
 * Reaped by polling: a blocking wait would run each NOP itself (the owner
 * helps) before a worker on a vCPU the host has not scheduled yet does.
 */
TEST_F(ring, polls_while_busy)
{
	struct lpel_params p = { .sq_entries = 32, .idle_us = 500000 };
	struct pel_worker_stats w0a, w0b, w1a, w1b;
	struct lpel_ring busy;
	unsigned int i, woke = 0;

	PEL_TEST_KERNEL_ONLY("worker stats");

	if (self->ring.nr_queues < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, lpel_init_params(&busy, &p));
	/* Submit from queue 0's CPU to queue 1, whose worker has its CPU. */
	ASSERT_EQ(0, pel_test_pin_to_queue_cpu(&busy, 0));
	ASSERT_EQ(0, nop_on_polled(&busy, 1, 1));
	ASSERT_EQ(0, pel_test_worker_stats(0, &w0a));
	ASSERT_EQ(0, pel_test_worker_stats(1, &w1a));
	for (i = 0; i < 50; i++) {
		woke += !!(sq_flags(&busy, 1) & PEL_SQ_NEED_WAKEUP);
		ASSERT_EQ(0, nop_on_polled(&busy, 1, i));
	}
	ASSERT_EQ(0, pel_test_worker_stats(0, &w0b));
	ASSERT_EQ(0, pel_test_worker_stats(1, &w1b));
	TH_LOG("worker 0: ops %llu sleeps %llu; worker 1: ops %llu sleeps %llu wakeups %llu state %u; helped %llu",
	       (unsigned long long)(w0b.ops - w0a.ops),
	       (unsigned long long)(w0b.sleeps - w0a.sleeps),
	       (unsigned long long)(w1b.ops - w1a.ops),
	       (unsigned long long)(w1b.sleeps - w1a.sleeps),
	       (unsigned long long)(w1b.wakeups - w1a.wakeups), w1b.state,
	       (unsigned long long)pel_test_fdinfo_u64(busy.fd, "pel-helped"));
	/*
	 * Some are allowed: a worker whose CPU has other tasks to run steps
	 * aside (leaves its queues, NEED_WAKEUP, looks again) each turn, and
	 * the host may preempt the vCPU.  Without polling it is all 50.
	 */
	EXPECT_GT(25, woke);
	lpel_exit(&busy);
}

TEST_F(ring, poll_readiness)
{
	struct pollfd pfd = { .fd = lpel_fd(&self->ring), .events = POLLIN };
	struct pel_sqe *sqe;
	struct pel_cqe *cqe;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	sqe = lpel_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 9);
	ASSERT_EQ(1, lpel_submit(&self->ring));
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLIN, pfd.revents & POLLIN);
	ASSERT_EQ(0, lpel_peek_cqe(&self->ring, &cqe));
	EXPECT_EQ(9, cqe->user_data);
	lpel_cqe_seen(&self->ring, cqe);
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(ring, epoll_readiness)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct pel_sqe *sqe;
	struct pel_cqe *cqe;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lpel_fd(&self->ring), &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	sqe = lpel_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 10);
	ASSERT_EQ(1, lpel_submit(&self->ring));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000));
	EXPECT_TRUE(out.events & EPOLLIN);
	ASSERT_EQ(0, lpel_peek_cqe(&self->ring, &cqe));
	EXPECT_EQ(10, cqe->user_data);
	lpel_cqe_seen(&self->ring, cqe);
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* A blocking wait for several completions returns once all are there. */
TEST_F(ring, wait_for_many)
{
	unsigned int i;
	int ret;

	for (i = 0; i < 20; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
	}
	ret = lpel_submit_and_wait(&self->ring, 20);
	ASSERT_EQ(20, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(20, lpel_cq_ready(&self->ring));
}

TEST_HARNESS_MAIN
