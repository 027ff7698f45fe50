// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug while ops flow: the queues of an offline CPU are served by
 * the other workers (stealing) and its worker says OFFLINE; back online,
 * the worker serves again.  Under churn (CPUs going offline and online in a
 * loop while a thread keeps every queue busy) each SQE gets exactly one
 * CQE, with the right result and the right bytes.
 *
 * Queue entries are reserved for exactly the queues made, whatever CPU
 * comes online during a setup.
 *
 * Every CPU is put back online in the teardown, and once more when the
 * test program exits (a timed-out test is killed before its teardown).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define MAX_CPUS	1024
#define SEC		1000000000ULL
#define MSEC		1000000ULL

static void cpu_online_path(char *buf, size_t size, unsigned int cpu)
{
	snprintf(buf, size, "/sys/devices/system/cpu/cpu%u/online", cpu);
}

/* Whether @cpu can be taken offline and back (it has an online file). */
static bool cpu_hotpluggable(unsigned int cpu)
{
	char path[96];

	cpu_online_path(path, sizeof(path), cpu);
	return access(path, W_OK) == 0;
}

/* 1 online, 0 offline, -errno. */
static int cpu_online(unsigned int cpu)
{
	char path[96], c = 0;
	int fd, n;

	cpu_online_path(path, sizeof(path), cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	if (n != 1)
		return -EIO;
	return c == '1';
}

/* Write "0" or "1" to @cpu's online file; 0 or -errno. */
static int cpu_set_online(unsigned int cpu, bool on)
{
	char path[96];

	cpu_online_path(path, sizeof(path), cpu);
	return pel_test_write_file(path, on ? "1" : "0", O_CLOEXEC);
}

static unsigned int nr_cpus_conf(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n < 1 ? 1 : n > MAX_CPUS ? MAX_CPUS : (unsigned int)n;
}

/* Bring every hotpluggable CPU back online; returns how many failed. */
static int restore_all_cpus(void)
{
	unsigned int cpu, nr = nr_cpus_conf();
	int failed = 0;

	for (cpu = 1; cpu < nr; cpu++) {
		if (!cpu_hotpluggable(cpu) || cpu_online(cpu) == 1)
			continue;
		if (cpu_set_online(cpu, true)) {
			fprintf(stderr, "# cannot bring cpu%u back online: %s\n",
				cpu, strerror(errno));
			failed++;
		}
	}
	return failed;
}

/* Runs in the harness's top process when it exits, after every test. */
static void __attribute__((destructor)) restore_at_exit(void)
{
	restore_all_cpus();
}

/* Poll until @cpu's worker state is (or, !@equal, is not) @state. */
static bool wait_worker_state(unsigned int cpu, int state, bool equal,
			      uint64_t timeout_ns)
{
	uint64_t end = pel_test_now_ns() + timeout_ns;

	for (;;) {
		if ((pel_test_worker_state(cpu) == state) == equal)
			return true;
		if (pel_test_now_ns() > end)
			return false;
		usleep(1000);
	}
}

/* Word-wise pattern: cheap enough for TCG, different for every op. */
static void fill_words(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1, *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = x + i * 0x100000001b3ULL;
	for (i *= 8; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(x >> (i % 8));
}

FIXTURE(hotplug) {
	struct lpel_ring ring;
	bool ring_ok;
	unsigned int nr_cpus;		/* configured: worker slots to look at */
	unsigned int last;		/* the highest hotpluggable online CPU */
	unsigned int hp[MAX_CPUS];	/* hotpluggable CPUs other than cpu0 */
	unsigned int nr_hp;
};

FIXTURE_SETUP(hotplug)
{
	unsigned int cpu;
	int ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two online CPUs");
	if (access("/sys/devices/system/cpu/cpu1/online", F_OK))
		SKIP(return, "cpu1 cannot be hotplugged");
	/* A failed earlier run must not leave us with fewer queues. */
	ASSERT_EQ(0, restore_all_cpus());

	self->nr_cpus = nr_cpus_conf();
	for (cpu = 1; cpu < self->nr_cpus; cpu++)
		if (cpu_hotpluggable(cpu) && cpu_online(cpu) == 1)
			self->hp[self->nr_hp++] = cpu;
	ASSERT_LT(0, self->nr_hp);
	self->last = self->hp[self->nr_hp - 1];

	/* Set up with every CPU online: a queue for each. */
	ret = lpel_init(&self->ring, 256);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
	self->ring_ok = true;
	ASSERT_EQ(sysconf(_SC_NPROCESSORS_ONLN), self->ring.nr_queues);
}

FIXTURE_TEARDOWN(hotplug)
{
	EXPECT_EQ(0, restore_all_cpus());
	if (self->ring_ok)
		lpel_exit(&self->ring);
}

/*
 * @nr_copy COPYs of @len bytes and @nr_nop NOPs on queue @q only; every
 * CQE once, with the right result and bytes.
 */
static void run_on_queue(struct __test_metadata *_metadata,
			 struct lpel_ring *ring, unsigned int q,
			 unsigned int nr_copy, unsigned int nr_nop, size_t len,
			 const char *what)
{
	unsigned int nr = nr_copy + nr_nop, i, got;
	uint8_t *src = malloc((size_t)nr_copy * len);
	uint8_t *dst = malloc((size_t)nr_copy * len);
	uint8_t *seen = calloc(nr, 1);
	struct pel_cqe *cqe;

	ASSERT_TRUE(src && dst && seen);
	pel_test_pattern(src, (size_t)nr_copy * len, nr);
	memset(dst, 0xee, (size_t)nr_copy * len);
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(ring, q);

		ASSERT_NE(NULL, sqe) TH_LOG("%s: SQ of queue %u full at %u", what, q, i);
		if (i < nr_copy)
			lpel_prep_copy(sqe, dst + (size_t)i * len,
				       src + (size_t)i * len, len);
		else
			lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ((int)nr, lpel_submit(ring));
	for (got = 0; got < nr; got++) {
		int ret = lpel_wait_cqe_timeout(ring, &cqe, 10 * SEC);

		ASSERT_EQ(0, ret) TH_LOG("%s: CQE %u of %u: %s", what, got, nr,
					 strerror(-ret));
		ASSERT_GT(nr, cqe->user_data) TH_LOG("%s: unknown user_data %llu",
						    what, (unsigned long long)cqe->user_data);
		i = cqe->user_data;
		EXPECT_EQ(0, seen[i]) TH_LOG("%s: op %u completed twice", what, i);
		seen[i]++;
		if (i < nr_copy) {
			EXPECT_EQ((int)len, cqe->res) TH_LOG("%s: COPY %u", what, i);
			EXPECT_EQ(len, cqe->result) TH_LOG("%s: COPY %u", what, i);
		} else {
			EXPECT_EQ(0, cqe->res) TH_LOG("%s: NOP %u", what, i);
		}
		lpel_cqe_seen(ring, cqe);
	}
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(ring, &cqe)) TH_LOG("%s: an extra CQE", what);
	for (i = 0; i < nr_copy; i++)
		EXPECT_EQ(0, memcmp(src + (size_t)i * len, dst + (size_t)i * len, len))
			TH_LOG("%s: COPY %u: bytes differ", what, i);
	free(src);
	free(dst);
	free(seen);
}

/*
 * The last CPU goes offline: the queue homed there is served by the others
 * (stolen), its worker reports OFFLINE and runs nothing.  Back online, the
 * worker leaves OFFLINE within a second and the queue still works.
 */
TEST_F(hotplug, offline_queue_served)
{
	unsigned int cpu = self->last;
	struct pel_worker_stats before, after;
	uint64_t stolen;
	int q = pel_test_queue_of_cpu(&self->ring, cpu), ret;

	ASSERT_LE(0, q) TH_LOG("no queue homed on cpu%u", cpu);
	/* Used once while online, so that the worker has run this context. */
	run_on_queue(_metadata, &self->ring, q, 4, 4, 4096, "online before");

	ret = cpu_set_online(cpu, false);
	ASSERT_EQ(0, ret) TH_LOG("offline cpu%u: %s", cpu, strerror(-ret));
	ASSERT_EQ(0, cpu_online(cpu));
	ASSERT_EQ(0, pel_test_worker_stats(cpu, &before));
	EXPECT_EQ(PEL_WORKER_OFFLINE, before.state)
		TH_LOG("cpu%u offline, worker state %u", cpu, before.state);
	stolen = pel_test_sum_stolen(self->nr_cpus);

	run_on_queue(_metadata, &self->ring, q, 64, 64, 64 << 10, "cpu offline");

	ASSERT_EQ(0, pel_test_worker_stats(cpu, &after));
	EXPECT_EQ(PEL_WORKER_OFFLINE, after.state);
	EXPECT_EQ(before.ops, after.ops) TH_LOG("the offline CPU's worker ran ops");
	EXPECT_LT(stolen, pel_test_wait_stolen_above(self->nr_cpus, stolen))
		TH_LOG("the queue of offline cpu%u was served, but not stolen", cpu);

	ret = cpu_set_online(cpu, true);
	ASSERT_EQ(0, ret) TH_LOG("online cpu%u: %s", cpu, strerror(-ret));
	ASSERT_EQ(1, cpu_online(cpu));
	EXPECT_TRUE(wait_worker_state(cpu, PEL_WORKER_OFFLINE, false, SEC))
		TH_LOG("cpu%u online again, worker still OFFLINE", cpu);

	run_on_queue(_metadata, &self->ring, q, 16, 16, 64 << 10, "online again");
}

/* --- churn ---------------------------------------------------------------- */

#define CHURN_MAX_OPS	200000
#define CHURN_SLOTS	96		/* ops in flight at most */
#define CHURN_MAX_LEN	(64 << 10)
#define CHURN_GUARD	64

struct churn_slot {
	uint8_t *src, *dst;		/* CHURN_MAX_LEN + CHURN_GUARD each */
	uint64_t op;			/* user_data of the op using it */
	bool busy;
};

struct churn {
	struct lpel_ring *ring;
	int stop;			/* atomic: main asks the submitter to stop */
	struct churn_slot slot[CHURN_SLOTS];
	uint8_t *seen;			/* CQEs per user_data */
	uint32_t *len;			/* 0: NOP; else COPY length */
	uint16_t *slot_of;
	uint64_t submitted, completed, nops, copies;
	unsigned int inflight;
	int errors;
	char first_error[256];
};

static void churn_error(struct churn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void churn_error(struct churn *c, const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED)) {
		va_start(ap, fmt);
		vsnprintf(c->first_error, sizeof(c->first_error), fmt, ap);
		va_end(ap);
	}
}

static void churn_complete(struct churn *c, const struct pel_cqe *cqe)
{
	uint64_t op = cqe->user_data;
	struct churn_slot *s;
	uint32_t len;

	if (op >= c->submitted) {
		churn_error(c, "CQE for op %llu, only %llu submitted",
			    (unsigned long long)op, (unsigned long long)c->submitted);
		return;
	}
	if (c->seen[op]++) {
		churn_error(c, "op %llu completed %u times", (unsigned long long)op,
			    c->seen[op]);
		return;
	}
	c->completed++;
	s = &c->slot[c->slot_of[op]];
	if (!s->busy || s->op != op) {
		churn_error(c, "op %llu: slot bookkeeping broken", (unsigned long long)op);
		return;
	}
	len = c->len[op];
	if (!len) {
		if (cqe->res != 0)
			churn_error(c, "NOP %llu: res %d", (unsigned long long)op, cqe->res);
	} else {
		if (cqe->res != (int)len || cqe->result != len)
			churn_error(c, "COPY %llu of %u bytes: res %d result %llu",
				    (unsigned long long)op, len, cqe->res,
				    (unsigned long long)cqe->result);
		else if (memcmp(s->dst, s->src, len))
			churn_error(c, "COPY %llu of %u bytes: bytes differ",
				    (unsigned long long)op, len);
		else if (s->dst[len] != 0xee || s->dst[len + CHURN_GUARD - 1] != 0xee)
			churn_error(c, "COPY %llu of %u bytes: wrote past the end",
				    (unsigned long long)op, len);
	}
	s->busy = false;
	c->inflight--;
}

/* Reap what is ready; with @block, wait (10 s at most) for one first. */
static int churn_reap(struct churn *c, bool block)
{
	struct pel_cqe *cqe;
	int ret, n = 0;

	if (block) {
		ret = lpel_wait_cqe_timeout(c->ring, &cqe, 10 * SEC);
		if (ret) {
			churn_error(c, "no CQE within 10 s, %u ops in flight: %s",
				    c->inflight, strerror(-ret));
			return ret;
		}
		churn_complete(c, cqe);
		lpel_cqe_seen(c->ring, cqe);
		n++;
	}
	while (!lpel_peek_cqe(c->ring, &cqe)) {
		churn_complete(c, cqe);
		lpel_cqe_seen(c->ring, cqe);
		n++;
	}
	return n;
}

/* Fill every free slot with a new op, round-robin over the queues. */
static int churn_submit(struct churn *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < CHURN_SLOTS && c->submitted < CHURN_MAX_OPS; i++) {
		struct churn_slot *s = &c->slot[i];
		uint64_t op = c->submitted;
		struct pel_sqe *sqe;
		uint32_t len = 0;

		if (s->busy)
			continue;
		sqe = lpel_get_sqe_on(c->ring, op % c->ring->nr_queues);
		if (!sqe)
			break;
		/* Every third op a NOP, the others 16..64 KiB, odd sizes too. */
		if (op % 3) {
			len = (16 << 10) + (uint32_t)((op * 7919) % (48 << 10)) + 1;
			fill_words(s->src, len, op);
			memset(s->dst, 0xee, len + CHURN_GUARD);
			lpel_prep_copy(sqe, s->dst, s->src, len);
			c->copies++;
		} else {
			lpel_prep_nop(sqe);
			c->nops++;
		}
		lpel_sqe_set_data(sqe, op);
		c->len[op] = len;
		c->slot_of[op] = i;
		s->op = op;
		s->busy = true;
		c->inflight++;
		c->submitted++;
	}
	ret = lpel_submit(c->ring);
	if (ret < 0)
		churn_error(c, "lpel_submit: %s", strerror(-ret));
	return ret;
}

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&c->errors, __ATOMIC_RELAXED)) {
		if (c->submitted < CHURN_MAX_OPS)
			churn_submit(c);
		/* Block only when there is nothing more to submit. */
		if (churn_reap(c, c->inflight == CHURN_SLOTS ||
				  c->submitted == CHURN_MAX_OPS) < 0)
			break;
	}
	/* Drain: everything submitted must come back. */
	while (c->inflight && churn_reap(c, true) >= 0)
		;
	return NULL;
}

/*
 * A thread keeps every queue busy with NOPs and COPYs while the CPUs other
 * than cpu0 go offline and online in a loop.  Each SQE gets exactly one
 * CQE, with the right result and the bytes in place.
 */
TEST_F(hotplug, churn)
{
	struct churn *c = calloc(1, sizeof(*c));
	unsigned int round, i, cpu, mask = 1, toggles = 0;
	uint64_t start, op, missing = 0, twice = 0;
	struct pel_cqe *cqe;
	pthread_t thread;
	int ret;

	ASSERT_NE(NULL, c);
	c->ring = &self->ring;
	c->seen = calloc(CHURN_MAX_OPS, 1);
	c->len = calloc(CHURN_MAX_OPS, sizeof(*c->len));
	c->slot_of = calloc(CHURN_MAX_OPS, sizeof(*c->slot_of));
	ASSERT_TRUE(c->seen && c->len && c->slot_of);
	for (i = 0; i < CHURN_SLOTS; i++) {
		c->slot[i].src = malloc(CHURN_MAX_LEN + CHURN_GUARD);
		c->slot[i].dst = malloc(CHURN_MAX_LEN + CHURN_GUARD);
		ASSERT_TRUE(c->slot[i].src && c->slot[i].dst);
	}

	/* From here until the join only the thread touches the ring. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_thread, c));
	start = pel_test_now_ns();
	usleep(100 * 1000);
	for (round = 0; round < 20; round++) {
		unsigned int set[MAX_CPUS], nr_set = 0;

		/* After 10 rounds, stop at about 3.5 s. */
		if (round >= 10 && pel_test_now_ns() - start > 3500 * MSEC)
			break;
		/*
		 * Which CPUs go this round: one at a time in turn, and
		 * every third round a pseudo-random set of them.
		 */
		if (round % 3 == 2 && self->nr_hp > 1) {
			mask = mask * 1103515245 + 12345;
			for (i = 0; i < self->nr_hp; i++)
				if ((mask >> (8 + i % 16)) & 1)
					set[nr_set++] = self->hp[i];
		}
		if (!nr_set)
			set[nr_set++] = self->hp[round % self->nr_hp];

		for (i = 0; i < nr_set; i++) {
			ret = cpu_set_online(set[i], false);
			EXPECT_EQ(0, ret) TH_LOG("round %u: offline cpu%u: %s",
						 round, set[i], strerror(-ret));
			toggles += !ret;
		}
		usleep((40 + 20 * (round % 4)) * 1000);
		for (i = 0; i < nr_set; i++) {
			ret = cpu_set_online(set[i], true);
			EXPECT_EQ(0, ret) TH_LOG("round %u: online cpu%u: %s",
						 round, set[i], strerror(-ret));
		}
		usleep(40 * 1000);
		if (__atomic_load_n(&c->errors, __ATOMIC_RELAXED))
			break;
	}
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));

	TH_LOG("%u rounds, %u CPU offlines, %llu ops (%llu NOP, %llu COPY) in %.1f s",
	       round, toggles, (unsigned long long)c->submitted,
	       (unsigned long long)c->nops, (unsigned long long)c->copies,
	       (pel_test_now_ns() - start) / 1e9);
	EXPECT_EQ(0, c->errors) TH_LOG("%d errors, first: %s", c->errors,
				       c->first_error);
	EXPECT_LE(10, toggles);
	EXPECT_LE(200, c->submitted) TH_LOG("too few ops to say anything");
	EXPECT_EQ(0, c->inflight);
	EXPECT_EQ(c->submitted, c->completed);
	for (op = 0; op < c->submitted; op++) {
		missing += c->seen[op] == 0;
		twice += c->seen[op] > 1;
	}
	EXPECT_EQ(0, missing) TH_LOG("SQEs without a CQE");
	EXPECT_EQ(0, twice) TH_LOG("SQEs with more than one CQE");
	/* Nothing more arrives later. */
	usleep(50 * 1000);
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->ring, &cqe))
		TH_LOG("a CQE after every op completed: user_data %llu",
		       (unsigned long long)cqe->user_data);

	/* All back: every worker leaves OFFLINE. */
	ASSERT_EQ(0, restore_all_cpus());
	for (cpu = 0; cpu < self->nr_cpus; cpu++)
		if (cpu_online(cpu) != 0)
			EXPECT_TRUE(wait_worker_state(cpu, PEL_WORKER_OFFLINE,
						      false, SEC))
				TH_LOG("cpu%u online, worker OFFLINE", cpu);

	for (i = 0; i < CHURN_SLOTS; i++) {
		free(c->slot[i].src);
		free(c->slot[i].dst);
	}
	free(c->seen);
	free(c->len);
	free(c->slot_of);
	free(c);
}

#define MAX_ENTRIES_PARAM	"/sys/module/pel/parameters/max_queue_entries"

/*
 * max_queue_entries leaves room for one queue of 8 + 16 entries beside the
 * fixture's context, not two: while cpu @last goes offline and online in
 * a loop, every setup either gets one queue or -ENOMEM, never two queues
 * paid for as one (counted before the CPU came online).
 */
TEST_F(hotplug, entries_exact)
{
	unsigned int one = 0, refused = 0;
	char saved[32] = "", val[32];
	uint64_t end;
	int fd, ret, status;
	ssize_t n;
	pid_t pid;

	fd = open(MAX_ENTRIES_PARAM, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, saved, sizeof(saved) - 1);
	close(fd);
	ASSERT_LT(0, n);
	snprintf(val, sizeof(val), "%u", self->ring.nr_queues * 768 + 24 + 23);
	ASSERT_EQ(0, pel_test_write_file(MAX_ENTRIES_PARAM, val, 0));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (;;) {
			cpu_set_online(self->last, false);
			cpu_set_online(self->last, true);
		}
	}
	end = pel_test_now_ns() + 3 * SEC;
	while (pel_test_now_ns() < end) {
		struct pel_setup p = { .size = sizeof(p), .sq_entries = 8 };

		fd = pel_test_open();
		ASSERT_LE(0, fd);
		ret = pel_test_setup(fd, &p);
		if (!ret) {
			EXPECT_EQ(1, p.nr_queues);
			one++;
		} else {
			EXPECT_EQ(-ENOMEM, ret);
			refused++;
		}
		close(fd);
		if (p.nr_queues > 1)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	pel_test_write_file(MAX_ENTRIES_PARAM, saved, 0);
	TH_LOG("%u setups with one queue, %u refused", one, refused);
}

TEST_HARNESS_MAIN
