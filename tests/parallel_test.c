// SPDX-License-Identifier: GPL-2.0
/*
 * Parallel execution: one queue's work is run by several workers
 * (stealing); a large op is split across workers with the same result as
 * unsplit; two processes share the workers fairly; idle workers cost no
 * CPU; a context's cap on ops in flight holds.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define BIG	(64 << 20)

struct snap {
	unsigned int nr;
	struct pel_worker_stats w[64];
};

static void snapshot(struct snap *s)
{
	unsigned int cpu;

	s->nr = sysconf(_SC_NPROCESSORS_CONF);
	if (s->nr > 64)
		s->nr = 64;
	for (cpu = 0; cpu < s->nr; cpu++)
		if (pel_test_worker_stats(cpu, &s->w[cpu]))
			memset(&s->w[cpu], 0, sizeof(s->w[cpu]));
}

/* Workers whose counter at @off grew between @a and @b. */
static unsigned int grew(const struct snap *a, const struct snap *b, size_t off)
{
	unsigned int cpu, n = 0;

	for (cpu = 0; cpu < a->nr; cpu++) {
		uint64_t x, y;

		memcpy(&x, (const char *)&a->w[cpu] + off, sizeof(x));
		memcpy(&y, (const char *)&b->w[cpu] + off, sizeof(y));
		n += y > x;
	}
	return n;
}

static uint64_t sum(const struct snap *s, size_t off)
{
	unsigned int cpu;
	uint64_t n = 0, x;

	for (cpu = 0; cpu < s->nr; cpu++) {
		memcpy(&x, (const char *)&s->w[cpu] + off, sizeof(x));
		n += x;
	}
	return n;
}

/*
 * Runners of a split op between two snapshots: workers whose chunk count
 * grew, and the waiting submitter if it joined (pel-helped grew: it counts
 * the chunks a waiting owner runs too).
 */
static unsigned int chunk_runners(const struct snap *a, const struct snap *b,
				  uint64_t helped_a, uint64_t helped_b)
{
	return grew(a, b, offsetof(struct pel_worker_stats, chunks)) +
	       (helped_b != helped_a);
}

#define HELPED(ring) pel_test_fdinfo_u64(lpel_fd(ring), "pel-helped")
#define SLOW(ring) pel_test_fdinfo_u64(lpel_fd(ring), "pel-slow-batches")

FIXTURE(ring) {
	struct lpel_ring ring;
};

FIXTURE_SETUP(ring)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, lpel_init(&self->ring, 512));
}

FIXTURE_TEARDOWN(ring)
{
	lpel_exit(&self->ring);
}

/*
 * Everything goes to one queue; the worker that takes a batch and leaves
 * more behind wakes another to steal, and the waiting submitter runs ops
 * itself (pel-helped), on its own CPU, whose worker it would not wake.
 * At least two runners run ops: two workers, or a worker and the waiter.
 */
TEST_F(ring, one_queue_many_workers)
{
	const unsigned int nr = 400, len = 128 << 10;
	uint8_t *src = malloc((size_t)nr * len), *dst = malloc((size_t)nr * len);
	struct snap a, b;
	unsigned int i, got = 0;
	struct pel_cqe *cqe;
	uint64_t helped, slow;

	PEL_TEST_KERNEL_ONLY("worker stats");

	ASSERT_TRUE(src && dst);
	pel_test_pattern(src, (size_t)nr * len, 3);
	/*
	 * Not 0: malloc() + memset(0) may become calloc(), which leaves fresh
	 * pages untouched, and ops on untouched memory run in the context's
	 * slow path (workers never fault pages in), not on the workers.
	 */
	memset(dst, 0x5a, (size_t)nr * len);
	helped = pel_test_fdinfo_u64(lpel_fd(&self->ring), "pel-helped");
	slow = pel_test_fdinfo_u64(lpel_fd(&self->ring), "pel-slow-batches");
	snapshot(&a);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring, 0);

		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst + (size_t)i * len, src + (size_t)i * len, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(&self->ring));
	while (got < nr) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 60000000000ULL));
		EXPECT_EQ((int)len, cqe->res);
		lpel_cqe_seen(&self->ring, cqe);
		got++;
	}
	snapshot(&b);
	EXPECT_EQ(0, memcmp(src, dst, (size_t)nr * len));
	helped = pel_test_fdinfo_u64(lpel_fd(&self->ring), "pel-helped") - helped;
	slow = pel_test_fdinfo_u64(lpel_fd(&self->ring), "pel-slow-batches") - slow;
	TH_LOG("%u workers ran ops, the waiter %llu, the slow path %llu batches",
	       grew(&a, &b, offsetof(struct pel_worker_stats, ops)),
	       (unsigned long long)helped, (unsigned long long)slow);
	/*
	 * The slow path is a runner too: on a NUMA machine, automatic NUMA
	 * balancing makes PTEs PROT_NONE for its hinting faults, which the
	 * workers' fault-free lookups (GUP-fast) cannot take, so whole
	 * batches may go there.
	 */
	EXPECT_LE(2, grew(&a, &b, offsetof(struct pel_worker_stats, ops)) +
		  !!helped + !!slow)
		TH_LOG("all ops of one queue ran on one runner");
	EXPECT_LT(sum(&a, offsetof(struct pel_worker_stats, stolen)),
		  sum(&b, offsetof(struct pel_worker_stats, stolen)));
	free(src);
	free(dst);
}

/* A 64 MiB COPY runs as chunks on several workers; the bytes are right. */
TEST_F(ring, split_copy)
{
	uint8_t *src = malloc(BIG), *dst = malloc(BIG + 64);
	struct pel_info info;
	struct pel_cqe cqe;
	struct snap a, b;
	struct pel_sqe *sqe;
	uint64_t helped, slow = 0;

	ASSERT_TRUE(src && dst);
	ASSERT_EQ(0, pel_test_info(&info));
	ASSERT_LT(0, info.split_bytes);
	ASSERT_GT(BIG, info.split_bytes);
	pel_test_pattern(src, BIG, 11);
	memset(dst, 0xcc, BIG + 64);
	helped = HELPED(&self->ring);
	if (!pel_test_user_backend())
		slow = SLOW(&self->ring);
	snapshot(&a);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_copy(sqe, dst + 1, src, BIG);
	lpel_sqe_set_data(sqe, 7);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	snapshot(&b);
	EXPECT_EQ(BIG, cqe.res);
	EXPECT_EQ(BIG, cqe.result);
	EXPECT_EQ(7, cqe.user_data);
	EXPECT_EQ(0xcc, dst[0]);
	EXPECT_EQ(0, memcmp(dst + 1, src, BIG));
	EXPECT_EQ(0xcc, dst[BIG + 1]);
	/*
	 * Who ran the chunks: worker stats, which the user backend lacks.
	 * The slow path counts as one (NUMA balancing's hinting PTEs send a
	 * chunk there: Documentation/design.md, "Known limits").
	 */
	if (!pel_test_user_backend()) {
		slow = SLOW(&self->ring) - slow;
		EXPECT_LE(2, chunk_runners(&a, &b, helped, HELPED(&self->ring)) +
			  !!slow)
			TH_LOG("the copy was not split across workers (slow path: %llu batches)",
			       (unsigned long long)slow);
	}
	free(src);
	free(dst);
}

/* The combined CRC of the chunks equals the CRC of the whole. */
TEST_F(ring, split_crc32c)
{
	uint8_t *src = malloc(BIG + 8), *dst = malloc(BIG);
	uint64_t helped, slow = 0;
	uint32_t ref;
	struct pel_cqe cqe;
	struct snap a, b;
	struct pel_sqe *sqe;
	static const uint32_t seeds[] = { 0, 0x12345678 };
	unsigned int i;

	ASSERT_TRUE(src && dst);
	pel_test_pattern(src, BIG + 8, 13);
	for (i = 0; i < 2; i++) {
		/* odd length and alignment: the last chunk is short */
		ref = pel_ref_crc32c(seeds[i], src + 3, BIG - 5);
		helped = HELPED(&self->ring);
		if (!pel_test_user_backend())
			slow = SLOW(&self->ring);
		snapshot(&a);
		sqe = lpel_get_sqe(&self->ring);
		lpel_prep_crc32c(sqe, src + 3, BIG - 5, seeds[i]);
		ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
		snapshot(&b);
		EXPECT_EQ(BIG - 5, cqe.res);
		EXPECT_EQ(ref, cqe.result) TH_LOG("seed %#x", seeds[i]);
		if (!pel_test_user_backend())
			EXPECT_LE(2, chunk_runners(&a, &b, helped,
						   HELPED(&self->ring)) +
				  !!(SLOW(&self->ring) - slow));

		sqe = lpel_get_sqe(&self->ring);
		lpel_prep_copy_crc32c(sqe, dst, src + 3, BIG - 5, seeds[i]);
		ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
		EXPECT_EQ(BIG - 5, cqe.res);
		EXPECT_EQ(ref, cqe.result);
		EXPECT_EQ(0, memcmp(dst, src + 3, BIG - 5));
	}
	free(src);
	free(dst);
}

/* Split COMPARE still reports the first difference, wherever chunks finish. */
TEST_F(ring, split_compare_first_difference)
{
	static const size_t at[] = { 0, 4096, 20 << 20, BIG - 1 };
	uint8_t *a = malloc(BIG), *b = malloc(BIG);
	struct pel_cqe cqe;
	struct pel_sqe *sqe;
	unsigned int i;

	ASSERT_TRUE(a && b);
	pel_test_pattern(a, BIG, 17);
	memcpy(b, a, BIG);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_compare(sqe, a, b, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0, cqe.result);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		/* a later difference too, in a chunk that may finish first */
		b[BIG - 1] ^= 0x40;
		b[at[i]] ^= 0x01;
		sqe = lpel_get_sqe(&self->ring);
		lpel_prep_compare(sqe, a, b, BIG);
		ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
		EXPECT_EQ(1, cqe.res);
		EXPECT_EQ(at[i], cqe.result) TH_LOG("difference at %zu", at[i]);
		b[at[i]] ^= 0x01;
		b[BIG - 1] ^= 0x40;
	}
	free(a);
	free(b);
}

TEST_F(ring, split_fill_dualcast_xor)
{
	uint8_t *a = malloc(BIG), *b = malloc(BIG), *c = malloc(BIG);
	const void *srcs[2];
	struct pel_cqe cqe;
	struct pel_sqe *sqe;
	size_t i;

	ASSERT_TRUE(a && b && c);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_fill(sqe, a, 0x0807060504030201ULL, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(BIG, cqe.res);
	for (i = 0; i < BIG; i += 4093)
		ASSERT_EQ((uint8_t)(i % 8 + 1), a[i]) TH_LOG("fill byte %zu", i);

	pel_test_pattern(a, BIG, 19);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_dualcast(sqe, b, c, a, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(BIG, cqe.res);
	EXPECT_EQ(0, memcmp(a, b, BIG));
	EXPECT_EQ(0, memcmp(a, c, BIG));

	/* b ^= a in place, twice over a pattern: b == 0 after the first */
	srcs[0] = b;
	srcs[1] = a;
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_xor(sqe, b, srcs, 2, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(BIG, cqe.res);
	for (i = 0; i < BIG; i += 4099)
		ASSERT_EQ(0, b[i]) TH_LOG("xor byte %zu", i);
	free(a);
	free(b);
	free(c);
}

/* A fault in the middle of a split op: the exact offset, as unsplit. */
TEST_F(ring, split_fault_offset)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t hole = (size_t)37 * (1 << 20) + 5 * pg;
	uint8_t *src = pel_test_holey_buffer(BIG, hole), *dst = malloc(BIG);
	struct pel_cqe cqe;
	struct pel_sqe *sqe;

	ASSERT_TRUE(src && dst);
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_copy(sqe, dst, src, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(hole, cqe.result);
	EXPECT_EQ(0, memcmp(dst, src, hole));

	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_crc32c(sqe, src, BIG, 0);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	EXPECT_EQ(hole, cqe.result);

	/* a difference before the hole wins over the fault */
	memcpy(dst, src, hole);
	dst[hole - 10] ^= 1;
	sqe = lpel_get_sqe(&self->ring);
	lpel_prep_compare(sqe, src, dst, BIG);
	ASSERT_EQ(0, pel_test_run_one(&self->ring, sqe, &cqe));
	EXPECT_EQ(1, cqe.res);
	EXPECT_EQ(hole - 10, cqe.result);
	munmap(src, BIG);
	free(dst);
}

/* pel_setup.max_inflight: never more ops taken and not completed. */
TEST(inflight_cap)
{
	struct lpel_params p = { .sq_entries = 64, .max_inflight = 3 };
	const unsigned int nr = 48, len = 256 << 10;
	uint8_t *src = malloc(len), *dst = malloc((size_t)nr * len);
	unsigned int i, q, got = 0, worst = 0;
	struct lpel_ring ring;
	struct pel_info info;

	ASSERT_TRUE(src && dst);
	ASSERT_EQ(0, pel_test_info(&info));
	p.max_inflight = info.max_inflight + 1;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	p.max_inflight = 3;
	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	memset(src, 5, len);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&ring, i % ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst + (size_t)i * len, src, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(&ring));
	/* Nothing is reaped until all are done: taken - posted is in flight. */
	while (got < nr) {
		unsigned int taken = 0, posted = 0, again = 0;

		/* A sample counts only if no CQE arrived while it was taken. */
		for (q = 0; q < ring.nr_queues; q++)
			posted += __atomic_load_n(ring.queues[q].cq_tail, __ATOMIC_ACQUIRE);
		for (q = 0; q < ring.nr_queues; q++)
			taken += __atomic_load_n(ring.queues[q].sq_head, __ATOMIC_ACQUIRE);
		for (q = 0; q < ring.nr_queues; q++)
			again += __atomic_load_n(ring.queues[q].cq_tail, __ATOMIC_ACQUIRE);
		if (again == posted && taken - posted > worst)
			worst = taken - posted;
		got = again;
		if (got < nr)
			lpel_wait_cqe_timeout(&ring, &(struct pel_cqe *){ NULL }, 1000000);
	}
	EXPECT_GE(3, worst);
	EXPECT_LE(1, worst);
	lpel_exit(&ring);
	free(src);
	free(dst);
}

/*
 * Count completions of 32 KiB copies over all queues for @secs seconds.
 * Each copy in flight has a destination slot of its own (its user_data),
 * freed by its CQE: CQEs of several queues come in any order, and two
 * copies into the same bytes at once would race each other.
 */
static uint64_t churn(double secs)
{
	unsigned int slot[64], i, inflight = 0;
	const unsigned int len = 32 << 10, depth = sizeof(slot) / sizeof(slot[0]);
	uint8_t *src = malloc(len), *dst = malloc((size_t)depth * len);
	uint64_t done = 0, end = pel_test_now_ns() + (uint64_t)(secs * 1e9);
	struct lpel_ring ring;

	if (!src || !dst || lpel_init(&ring, 64))
		return 0;
	memset(src, 1, len);
	for (i = 0; i < depth; i++)
		slot[i] = i;
	i = 0;
	while (pel_test_now_ns() < end) {
		struct pel_cqe *cqe;
		struct pel_sqe *sqe;

		/* slot[inflight, depth) are free. */
		while (inflight < depth &&
		       (sqe = lpel_get_sqe_on(&ring, i % ring.nr_queues))) {
			lpel_prep_copy(sqe, dst + (size_t)slot[inflight] * len,
				       src, len);
			lpel_sqe_set_data(sqe, slot[inflight]);
			i++;
			inflight++;
		}
		lpel_submit(&ring);
		/* generous: a debug kernel on a busy host is slow to start */
		if (lpel_wait_cqe_timeout(&ring, &cqe, 10000000000ULL))
			break;
		do {
			if (cqe->res == (int)len)
				done++;
			slot[--inflight] = (unsigned int)cqe->user_data;
			lpel_cqe_seen(&ring, cqe);
		} while (!lpel_peek_cqe(&ring, &cqe));
	}
	lpel_exit(&ring);
	return done;
}

/*
 * Two processes submitting flat out get a fair share of the workers: each
 * completes at least half as many ops as the other (the documented band).
 */
TEST(fairness)
{
	int fds[2][2], status, i;
	uint64_t n[2] = { 0, 0 };
	pid_t pid[2];

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe(fds[i]));
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			uint64_t done = churn(2.0);

			(void)!write(fds[i][1], &done, sizeof(done));
			_exit(done ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(sizeof(n[i]), read(fds[i][0], &n[i], sizeof(n[i])));
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	TH_LOG("completions: %llu and %llu", (unsigned long long)n[0],
	       (unsigned long long)n[1]);
	EXPECT_LE(n[1], 2 * n[0]);
	EXPECT_LE(n[0], 2 * n[1]);
}

/* utime + stime, in clock ticks, of every pel/N kernel thread. */
static long long worker_ticks(void)
{
	long long total = 0;
	DIR *d = opendir("/proc");
	char buf[512];

	if (!d)
		return -1;
	while (pel_test_proc_next(d, "/proc", "stat", buf, sizeof(buf))) {
		unsigned long long ut, st;
		char *p;

		if (!strstr(buf, "(pel/"))
			continue;
		p = strrchr(buf, ')');
		/* fields after comm: state ppid pgrp ... utime is the 12th */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) == 2)
			total += ut + st;
	}
	closedir(d);
	return total;
}

/* One second after the last op, the workers sleep and use no CPU. */
TEST_F(ring, idle_costs_nothing)
{
	struct snap a, b;
	long long t0, t1;
	unsigned int cpu;

	churn(0.3);
	usleep(300 * 1000);
	snapshot(&a);
	t0 = worker_ticks();
	ASSERT_LE(0, t0);
	sleep(1);
	t1 = worker_ticks();
	snapshot(&b);
	/* one clock tick (10 ms at HZ 100) is 1% of a CPU-second */
	EXPECT_GE(1, t1 - t0) TH_LOG("workers used %lld ticks while idle", t1 - t0);
	for (cpu = 0; cpu < a.nr; cpu++) {
		EXPECT_EQ(a.w[cpu].busy_ns, b.w[cpu].busy_ns);
		EXPECT_EQ(a.w[cpu].wakeups, b.w[cpu].wakeups);
		if (b.w[cpu].state)
			EXPECT_EQ(PEL_WORKER_SLEEPING, b.w[cpu].state) TH_LOG("cpu %u", cpu);
	}
}

TEST_HARNESS_MAIN
