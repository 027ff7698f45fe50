// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA: each worker reports its CPU's node, each queue's memory sits on its
 * home CPU's node, and a worker looking for work to steal tries its own
 * node's workers before the others.  Skipped on a single-node machine.
 */
#include <dirent.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/syscall.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define TRACEFS	"/sys/kernel/tracing"

#define MAX_CPUS	1024
#define SEC		1000000000ULL

/* Parse a sysfs cpulist ("0-1,4,6-7") into @set[MAX_CPUS]; 0 or -errno. */
static int read_cpulist(const char *path, bool *set)
{
	char buf[4096], *p, *end;
	ssize_t n;
	int fd;

	memset(set, 0, MAX_CPUS * sizeof(*set));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	for (p = buf; *p && *p != '\n';) {
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		for (; a <= b && a < MAX_CPUS; a++)
			set[a] = true;
		if (*p == ',')
			p++;
	}
	return 0;
}

FIXTURE(numa) {
	int cpu_node[MAX_CPUS];		/* -1: in no node */
	bool online[MAX_CPUS];
	unsigned int nr_cpus;		/* one past the highest online CPU */
	unsigned int nr_nodes;		/* nodes with online CPUs */
	struct lpel_ring ring;
	bool ring_ok;
	int uffd;
};

FIXTURE_SETUP(numa)
{
	bool set[MAX_CPUS], has_cpu[MAX_CPUS] = { false };
	struct dirent *de;
	unsigned int cpu, node;
	DIR *d;
	int ret;

	self->uffd = -1;
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "one NUMA node only");

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		self->cpu_node[cpu] = -1;
	d = opendir("/sys/devices/system/node");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		char path[300];

		if (sscanf(de->d_name, "node%u", &node) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s/cpulist",
			 de->d_name);
		ASSERT_EQ(0, read_cpulist(path, set)) TH_LOG("%s", path);
		for (cpu = 0; cpu < MAX_CPUS; cpu++) {
			if (!set[cpu])
				continue;
			EXPECT_EQ(-1, self->cpu_node[cpu])
				TH_LOG("cpu%u in two nodes", cpu);
			self->cpu_node[cpu] = node;
		}
	}
	closedir(d);

	ASSERT_EQ(0, read_cpulist("/sys/devices/system/cpu/online", self->online));
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!self->online[cpu])
			continue;
		self->nr_cpus = cpu + 1;
		ASSERT_LE(0, self->cpu_node[cpu]) TH_LOG("online cpu%u in no node", cpu);
		if (self->cpu_node[cpu] < MAX_CPUS && !has_cpu[self->cpu_node[cpu]]) {
			has_cpu[self->cpu_node[cpu]] = true;
			self->nr_nodes++;
		}
	}

	ret = lpel_init(&self->ring, 64);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
	self->ring_ok = true;
}

FIXTURE_TEARDOWN(numa)
{
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->ring_ok)
		lpel_exit(&self->ring);
}

/* Each online CPU's worker reports the node whose cpulist holds the CPU. */
TEST_F(numa, worker_node)
{
	struct pel_worker_stats st;
	unsigned int cpu, checked = 0;

	for (cpu = 0; cpu < self->nr_cpus; cpu++) {
		if (!self->online[cpu])
			continue;
		ASSERT_EQ(0, pel_test_worker_stats(cpu, &st));
		EXPECT_EQ(self->cpu_node[cpu], (int)st.node)
			TH_LOG("cpu%u: worker says node %u, sysfs node %d",
			       cpu, st.node, self->cpu_node[cpu]);
		checked++;
	}
	EXPECT_LE(2, checked);
}

/*
 * Queue memory comes from the home CPU's node.  move_pages() in query mode
 * tells where each page of the mapping is; if it cannot tell for any page
 * of this VM_MIXEDMAP mapping, the case is skipped.
 */
TEST_F(numa, queue_pages_local)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int q, i, known = 0, unknown = 0, wrong = 0;
	int first_err = 0;

	for (q = 0; q < self->ring.nr_queues; q++) {
		struct lpel_queue *lq = &self->ring.queues[q];
		unsigned int nr = lq->map_size / pg;
		void **pages = calloc(nr, sizeof(*pages));
		int *status = calloc(nr, sizeof(*status));
		int want;

		ASSERT_TRUE(pages && status);
		ASSERT_GT(MAX_CPUS, lq->cpu);
		want = self->cpu_node[lq->cpu];
		for (i = 0; i < nr; i++) {
			pages[i] = (char *)lq->map + (size_t)i * pg;
			status[i] = -12345;
		}
		if (syscall(SYS_move_pages, 0, nr, pages, NULL, status, 0)) {
			int err = errno;

			free(pages);
			free(status);
			if (err == ENOSYS || err == EPERM)
				SKIP(return, "move_pages: %s", strerror(err));
			ASSERT_EQ(0, err) TH_LOG("move_pages: %s", strerror(err));
		}
		for (i = 0; i < nr; i++) {
			if (status[i] < 0) {
				if (!first_err)
					first_err = status[i];
				unknown++;
				continue;
			}
			known++;
			if (status[i] != want) {
				wrong++;
				TH_LOG("queue %u (cpu%u, node %d): page %u on node %d",
				       q, lq->cpu, want, i, status[i]);
			}
		}
		free(pages);
		free(status);
	}
	if (!known)
		SKIP(return, "move_pages cannot tell the node of queue pages: %s",
		     strerror(-first_err));
	EXPECT_EQ(0, unknown) TH_LOG("%u pages with a node, %u without (%s)",
				     known, unknown, strerror(-first_err));
	EXPECT_EQ(0, wrong);
	TH_LOG("%u queues: %u pages on their home node, %u elsewhere",
	       self->ring.nr_queues, known - wrong, wrong);
}

/* Make an SQE visible to the workers without waking any. */
static void publish_quietly(struct lpel_ring *ring, unsigned int q)
{
	struct lpel_queue *lq = &ring->queues[q];

	__atomic_store_n(lq->sq_tail, lq->sqe_tail, __ATOMIC_RELEASE);
}

/* The queue of cpu's first pel:pel_take event in the trace, or -1. */
static int first_take_of(unsigned int cpu)
{
	char buf[512], mine[32];
	FILE *f = fopen(TRACEFS "/trace", "r");
	int first = -1;
	char *p;

	if (!f)
		return -1;
	snprintf(mine, sizeof(mine), " cpu=%u ", cpu);
	while (first < 0 && fgets(buf, sizeof(buf), f)) {
		if (!strstr(buf, "pel_take:") || !strstr(buf, mine))
			continue;
		p = strstr(buf, " queue=");
		if (p)
			first = atoi(p + 7);
	}
	fclose(f);
	return first;
}

/*
 * Stealing tries the thief's own node first.  A thief T whose scan order
 * (the CPUs after T, wrapping) meets a remote CPU R before a local CPU L:
 * with every worker asleep, a NOP is put on R's queue and a COPY from an
 * unserved userfaultfd region on L's queue, quietly, and only T is woken.
 * T must take L's COPY first; without the preference it would take R's
 * NOP first.  (T does not wait in the COPY's fault: it hands the COPY to
 * the context's slow path and goes on to steal R's NOP too.)  The order of
 * T's takes is read from the pel:pel_take tracepoint.
 */
TEST_F(numa, steal_prefers_own_node)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct pollfd pfd = { .events = POLLIN };
	struct uffdio_register reg;
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int t, c, nr_conf = sysconf(_SC_NPROCESSORS_CONF);
	int qt = -1, qr = -1, ql = -1, r = -1, l = -1, ret;
	struct pel_worker_stats tb, ta;
	uint8_t *region, dst[8192];
	struct pel_sqe *sqe;
	struct pel_cqe *cqe;
	struct uffd_msg msg;
	bool got[2] = { false, false };
	uint64_t end;
	int first;

	if (self->nr_nodes < 2)
		SKIP(return, "online CPUs on one node only");
	if (nr_conf > MAX_CPUS)
		nr_conf = MAX_CPUS;
	for (t = 0; t < nr_conf && l < 0; t++) {
		if (!self->online[t])
			continue;
		r = l = -1;
		for (c = (t + 1) % nr_conf; c != t; c = (c + 1) % nr_conf) {
			if (!self->online[c])
				continue;
			if (self->cpu_node[c] != self->cpu_node[t]) {
				if (r < 0)
					r = c;
			} else if (r >= 0) {
				l = c;
				break;
			}
		}
	}
	if (l < 0)
		SKIP(return, "no CPU meets a remote CPU before a local one");
	t--;
	qt = pel_test_queue_of_cpu(&self->ring, t);
	qr = pel_test_queue_of_cpu(&self->ring, r);
	ql = pel_test_queue_of_cpu(&self->ring, l);
	ASSERT_TRUE(qt >= 0 && qr >= 0 && ql >= 0);
	TH_LOG("thief cpu%u (node %d), remote cpu%d (node %d), local cpu%d",
	       t, self->cpu_node[t], r, self->cpu_node[r], l);

	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0 && (errno == ENOSYS || errno == EPERM))
		SKIP(return, "userfaultfd unavailable: %s", strerror(errno));
	ASSERT_LE(0, self->uffd);
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api));
	region = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, region);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)region;
	reg.range.len = 4 * pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg));
	memset(dst, 0xa5, sizeof(dst));

	/* Every worker asleep: nobody looks at the queues until woken. */
	end = pel_test_now_ns() + 5 * SEC;
	for (c = 0; c < self->nr_cpus; c++) {
		while (self->online[c] && pel_test_worker_state(c) != PEL_WORKER_SLEEPING) {
			ASSERT_GT(end, pel_test_now_ns())
				TH_LOG("cpu%u's worker does not go to sleep", c);
			usleep(1000);
		}
	}
	ASSERT_EQ(0, pel_test_worker_stats(t, &tb));
	if (access(TRACEFS "/events/pel/pel_take/enable", W_OK))
		SKIP(return, "no tracefs or no pel events");
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/trace", "", O_TRUNC));
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/events/pel/pel_take/enable", "1", O_TRUNC));

	sqe = lpel_get_sqe_on(&self->ring, qr);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 0);
	publish_quietly(&self->ring, qr);
	sqe = lpel_get_sqe_on(&self->ring, ql);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dst, region, sizeof(dst));
	lpel_sqe_set_data(sqe, 1);
	publish_quietly(&self->ring, ql);
	/*
	 * Wakes T alone: its queue says NEED_WAKEUP and T is online.  From
	 * another CPU than T's: from T's own, the wake-up would go to a
	 * worker elsewhere (it would preempt the caller).
	 */
	ASSERT_EQ(0, pel_test_pin_to_queue_cpu(&self->ring, qr));
	ASSERT_EQ(0, lpel_wake(&self->ring, qt));

	pfd.fd = self->uffd;
	ASSERT_EQ(1, poll(&pfd, 1, 5000))
		TH_LOG("the local COPY did not fault in 5 s; remote NOP taken: %u",
		       __atomic_load_n(self->ring.queues[qr].sq_head, __ATOMIC_ACQUIRE));
	ASSERT_EQ(sizeof(msg), read(self->uffd, &msg, sizeof(msg)));
	EXPECT_EQ(1, __atomic_load_n(self->ring.queues[ql].sq_head, __ATOMIC_ACQUIRE));
	/* T's first take was L's queue. */
	end = pel_test_now_ns() + 5 * SEC;
	while (!__atomic_load_n(self->ring.queues[qr].sq_head, __ATOMIC_ACQUIRE) &&
	       pel_test_now_ns() < end)
		usleep(1000);
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/events/pel/pel_take/enable", "0", O_TRUNC));
	first = first_take_of(t);
	EXPECT_EQ(ql, first)
		TH_LOG("cpu%u took queue %d (remote cpu%d's is %d) before local cpu%d's (%d)",
		       t, first, r, qr, l, ql);

	/* Release the fault: both complete. */
	ASSERT_EQ(0, close(self->uffd));
	self->uffd = -1;
	for (c = 0; c < 2; c++) {
		ret = lpel_wait_cqe_timeout(&self->ring, &cqe, 10 * SEC);
		ASSERT_EQ(0, ret) TH_LOG("CQE %u: %s", c, strerror(-ret));
		ASSERT_GT(2, cqe->user_data);
		EXPECT_FALSE(got[cqe->user_data]);
		got[cqe->user_data] = true;
		EXPECT_EQ(cqe->user_data ? (int)sizeof(dst) : 0, cqe->res);
		lpel_cqe_seen(&self->ring, cqe);
	}
	for (c = 0; c < sizeof(dst); c++)
		ASSERT_EQ(0, dst[c]) TH_LOG("byte %u", c);
	/* T counts the batch it stole once the batch is done. */
	end = pel_test_now_ns() + SEC;
	do {
		ASSERT_EQ(0, pel_test_worker_stats(t, &ta));
		if (ta.stolen > tb.stolen)
			break;
		usleep(1000);
	} while (pel_test_now_ns() < end);
	EXPECT_LT(tb.stolen, ta.stolen) TH_LOG("cpu%u's steal not counted", t);
	munmap(region, 4 * pg);
}

TEST_HARNESS_MAIN
