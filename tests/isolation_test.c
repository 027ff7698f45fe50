// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation: a context whose memory faults slowly must not stall the
 * others.  Context A submits a COPY whose source is a userfaultfd-registered
 * region nobody serves.  A shared worker never waits in a fault: the op
 * goes to A's own slow-path thread (pel-slow/PID), which waits there, and
 * no worker stays RUNNING.  Context B (a second open of /dev/pel in the
 * same process) then runs ops that must all complete while A's op is still
 * pending, on every queue, on the queue that took A's op alone, and with a
 * wait on that queue alone.  Closing the userfaultfd ends the fault: the
 * region becomes ordinary anonymous memory and A's COPY completes with
 * zeroes.
 */
#include <dirent.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/syscall.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define SEC		1000000000ULL
#define REGION_PAGES	4
#define A_LEN		8192
#define B_COPY_LEN	4096

FIXTURE(iso) {
	long pg;
	int uffd;
	uint8_t *region;		/* registered, never served */
	uint8_t *a_dst;
	struct lpel_ring a, b;
	bool a_ok, b_ok;
	unsigned int nr_cpus;
	unsigned int blocked;		/* CPU of the queue A's op was taken from */
};

FIXTURE_SETUP(iso)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	int ret;

	self->uffd = -1;
	self->pg = sysconf(_SC_PAGESIZE);
	self->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	if (self->nr_cpus > 1024)
		self->nr_cpus = 1024;
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0 && (errno == ENOSYS || errno == EPERM))
		SKIP(return, "userfaultfd unavailable: %s", strerror(errno));
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api))
		TH_LOG("UFFDIO_API: %s", strerror(errno));

	self->region = mmap(NULL, REGION_PAGES * self->pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->region);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)self->region;
	reg.range.len = REGION_PAGES * self->pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));

	self->a_dst = malloc(A_LEN);
	ASSERT_NE(NULL, self->a_dst);
	memset(self->a_dst, 0xa5, A_LEN);

	ret = lpel_init(&self->a, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init A: %s", strerror(-ret));
	self->a_ok = true;
	ret = lpel_init(&self->b, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init B: %s", strerror(-ret));
	self->b_ok = true;
}

FIXTURE_TEARDOWN(iso)
{
	/* Let a worker still in the fault go before the rings do. */
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->b_ok)
		lpel_exit(&self->b);
	if (self->a_ok)
		lpel_exit(&self->a);
	if (self->region && self->region != MAP_FAILED)
		munmap(self->region, REGION_PAGES * self->pg);
	free(self->a_dst);
}

/* Whether a thread named @comm exists (a task of any process). */
static bool thread_exists(const char *comm)
{
	char path[300], buf[64];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			found = !strcmp(buf, comm);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * A submits its COPY from the region on queue 0.  Returns once it was
 * taken and its fault reached the userfaultfd, waited in by A's slow-path
 * thread: no worker is RUNNING.  Queue 0's CPU goes to self->blocked.
 */
static void block_a_worker(struct __test_metadata *_metadata,
			   FIXTURE_DATA(iso) *self)
{
	struct pel_sqe *sqe = lpel_get_sqe_on(&self->a, 0);
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct uffd_msg msg;
	unsigned int cpu, running = 0;
	uint64_t end;

	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, self->a_dst, self->region, A_LEN);
	lpel_sqe_set_data(sqe, 0xa);
	ASSERT_EQ(1, lpel_submit(&self->a));

	end = pel_test_now_ns() + 5 * SEC;
	while (__atomic_load_n(self->a.queues[0].sq_head, __ATOMIC_ACQUIRE) != 1) {
		ASSERT_GT(end, pel_test_now_ns()) TH_LOG("A's COPY not taken in 5 s");
		usleep(1000);
	}
	/* The fault reaches the userfaultfd: the worker waits in it. */
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("no userfault in 5 s");
	ASSERT_EQ(sizeof(msg), read(self->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_EQ((uintptr_t)self->region, msg.arg.pagefault.address);
	EXPECT_EQ(0, msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE)
		TH_LOG("a read fault on the source expected");

	self->blocked = self->a.queues[0].cpu;
	{
		char comm[32];

		snprintf(comm, sizeof(comm), "pel-slow/%d", getpid());
		EXPECT_TRUE(thread_exists(comm)) TH_LOG("no %s thread", comm);
	}
	/* The worker that handed it over went back to work within 1 s. */
	end = pel_test_now_ns() + SEC;
	do {
		running = 0;
		for (cpu = 0; cpu < self->nr_cpus; cpu++)
			running += pel_test_worker_state(cpu) == PEL_WORKER_RUNNING;
		if (!running)
			break;
		usleep(1000);
	} while (pel_test_now_ns() < end);
	ASSERT_EQ(0, running) TH_LOG("workers RUNNING with only A's op in flight");
	/* No CQE for A while the fault waits. */
	usleep(20 * 1000);
	{
		struct pel_cqe *cqe;

		ASSERT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &cqe))
			TH_LOG("A's COPY completed with the fault unserved: res %d",
			       cqe->res);
	}
}

/*
 * B runs @nr_nop NOPs and one COPY on queue @only_q (-1: on every queue),
 * waiting at most 10 s per CQE; all must complete, correctly,
 * while A's op is still pending.
 */
static void run_b(struct __test_metadata *_metadata, FIXTURE_DATA(iso) *self,
		  int only_q, unsigned int nr_nop, bool wait_on_queue)
{
	unsigned int nq = self->b.nr_queues, per = nr_nop + 1, nr = 0, got, q, i;
	uint8_t *src = malloc((size_t)nq * B_COPY_LEN);
	uint8_t *dst = malloc((size_t)nq * B_COPY_LEN);
	uint8_t *seen = calloc((size_t)nq * per, 1);
	struct pel_worker_stats xa;
	struct pel_cqe *cqe;
	uint64_t t0;

	ASSERT_TRUE(src && dst && seen);
	pel_test_pattern(src, (size_t)nq * B_COPY_LEN, 77);
	memset(dst, 0, (size_t)nq * B_COPY_LEN);

	for (q = 0; q < nq; q++) {
		if (only_q >= 0 && q != (unsigned int)only_q)
			continue;
		for (i = 0; i < per; i++) {
			struct pel_sqe *sqe = lpel_get_sqe_on(&self->b, q);

			ASSERT_NE(NULL, sqe);
			if (i == nr_nop)
				lpel_prep_copy(sqe, dst + (size_t)q * B_COPY_LEN,
					       src + (size_t)q * B_COPY_LEN,
					       B_COPY_LEN);
			else
				lpel_prep_nop(sqe);
			lpel_sqe_set_data(sqe, q * per + i);
			nr++;
		}
	}
	t0 = pel_test_now_ns();
	ASSERT_EQ((int)nr, lpel_submit(&self->b));
	if (wait_on_queue) {
		/*
		 * Wait in the kernel on the one queue, without the library's
		 * PEL_QUEUE_ALL wake-up (which happens to wake every sleeping
		 * worker of the context): only the rescue can help.
		 */
		struct pel_enter e = {
			.flags = PEL_ENTER_WAKE | PEL_ENTER_WAIT,
			.queue = only_q,
			.min_complete = nr,
			.timeout_ns = 10 * SEC,
		};
		int ret = pel_test_enter(lpel_fd(&self->b), &e);

		ASSERT_LE((int)nr, ret)
			TH_LOG("B: PEL_ENTER_WAIT on queue %d for %u CQEs: %s (A's fault is pending)",
			       only_q, nr, ret < 0 ? strerror(-ret) : "too few");
	}
	for (got = 0; got < nr; got++) {
		int ret = lpel_wait_cqe_timeout(&self->b, &cqe, 10 * SEC);
		uint64_t d;

		ASSERT_EQ(0, ret)
			TH_LOG("B: CQE %u of %u: %s (A's fault is pending)",
			       got, nr, strerror(-ret));
		d = cqe->user_data;
		ASSERT_GT((uint64_t)nq * per, d);
		q = d / per;
		i = d % per;
		EXPECT_EQ(0, seen[d]) TH_LOG("B: op %llu twice", (unsigned long long)d);
		seen[d]++;
		if (i == nr_nop) {
			EXPECT_EQ(B_COPY_LEN, cqe->res) TH_LOG("B: COPY on queue %u", q);
			EXPECT_EQ(0, memcmp(dst + (size_t)q * B_COPY_LEN,
					    src + (size_t)q * B_COPY_LEN, B_COPY_LEN))
				TH_LOG("B: COPY on queue %u: bytes differ", q);
		} else {
			EXPECT_EQ(0, cqe->res) TH_LOG("B: NOP on queue %u", q);
		}
		lpel_cqe_seen(&self->b, cqe);
	}
	TH_LOG("B: %u ops done in %.3f s", nr, (pel_test_now_ns() - t0) / 1e9);

	/* A's op is still waiting in its fault, and no worker with it. */
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &cqe)) TH_LOG("A completed early");
	ASSERT_EQ(0, pel_test_worker_stats(self->blocked, &xa));
	EXPECT_NE(PEL_WORKER_RUNNING, xa.state);
	free(src);
	free(dst);
	free(seen);
}

/* Close the userfaultfd: A's COPY completes, reading zeroes. */
static void release_a(struct __test_metadata *_metadata, FIXTURE_DATA(iso) *self)
{
	struct pel_cqe *cqe;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, close(self->uffd));
	self->uffd = -1;
	ret = lpel_wait_cqe_timeout(&self->a, &cqe, 10 * SEC);
	ASSERT_EQ(0, ret) TH_LOG("A: no CQE 10 s after the userfaultfd closed: %s",
				 strerror(-ret));
	EXPECT_EQ(0xa, cqe->user_data);
	/*
	 * The fault is retried after the release and finds ordinary
	 * anonymous memory: the zero page.
	 */
	EXPECT_EQ(A_LEN, cqe->res) TH_LOG("A: res %d result %llu", cqe->res,
					  (unsigned long long)cqe->result);
	if (cqe->res == A_LEN)
		for (i = 0; i < A_LEN; i++)
			ASSERT_EQ(0, self->a_dst[i]) TH_LOG("A: byte %u", i);
	lpel_cqe_seen(&self->a, cqe);
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &cqe));
}

/* B submits on every queue: each worker is woken for its own queue. */
TEST_F(iso, other_context_every_queue)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	block_a_worker(_metadata, self);
	run_b(_metadata, self, -1, 3, false);
	release_a(_metadata, self);
}

/*
 * B submits only on the queue homed on the CPU whose queue took A's op:
 * its worker handed A's op over and serves B.
 */
TEST_F(iso, other_context_blocked_queue_only)
{
	int q;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	block_a_worker(_metadata, self);
	q = pel_test_queue_of_cpu(&self->b, self->blocked);
	ASSERT_LE(0, q);
	run_b(_metadata, self, q, 7, false);
	release_a(_metadata, self);
}

/*
 * As above, with B set up only after A's op went to its slow path: B's
 * queues start with NEED_WAKEUP set; the submit wakes their workers.
 */
TEST_F(iso, new_context_blocked_queue_only)
{
	int q, ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	lpel_exit(&self->b);
	self->b_ok = false;
	block_a_worker(_metadata, self);
	ret = lpel_init(&self->b, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init B: %s", strerror(-ret));
	self->b_ok = true;
	q = pel_test_queue_of_cpu(&self->b, self->blocked);
	ASSERT_LE(0, q);
	run_b(_metadata, self, q, 7, false);
	release_a(_metadata, self);
}

/*
 * As above, waiting with PEL_ENTER_WAKE | PEL_ENTER_WAIT on that queue
 * alone, as a user of the raw ABI would.
 */
TEST_F(iso, new_context_blocked_queue_wait_on_queue)
{
	int q, ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	lpel_exit(&self->b);
	self->b_ok = false;
	block_a_worker(_metadata, self);
	ret = lpel_init(&self->b, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init B: %s", strerror(-ret));
	self->b_ok = true;
	q = pel_test_queue_of_cpu(&self->b, self->blocked);
	ASSERT_LE(0, q);
	run_b(_metadata, self, q, 7, true);
	release_a(_metadata, self);
}

/* The same context: its other queues go on too. */
TEST_F(iso, same_context_other_queues)
{
	struct pel_cqe *cqe;
	unsigned int q, nr = 0, got;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	block_a_worker(_metadata, self);
	for (q = 1; q < self->a.nr_queues; q++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->a, q);

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, 100 + q);
		nr++;
	}
	ASSERT_EQ((int)nr, lpel_submit(&self->a));
	for (got = 0; got < nr; got++) {
		int ret = lpel_wait_cqe_timeout(&self->a, &cqe, 10 * SEC);

		ASSERT_EQ(0, ret) TH_LOG("A: NOP %u of %u: %s", got, nr, strerror(-ret));
		EXPECT_LE(101, cqe->user_data) TH_LOG("the blocked COPY completed");
		EXPECT_EQ(0, cqe->res);
		lpel_cqe_seen(&self->a, cqe);
	}
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &cqe));
	release_a(_metadata, self);
}

TEST_HARNESS_MAIN
