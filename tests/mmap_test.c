// SPDX-License-Identifier: GPL-2.0
/*
 * The shared queue mappings: layout, what may be mapped, and that rings
 * stay with their owner (no fork inheritance, no use from another mm).
 */
#include <signal.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

FIXTURE(rings) {
	int fd;
	long pg;
	struct pel_setup p;
};

FIXTURE_SETUP(rings)
{
	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = pel_test_open();
	ASSERT_LE(0, self->fd);
	memset(&self->p, 0, sizeof(self->p));
	self->p.size = sizeof(self->p);
	self->p.sq_entries = 16;
	self->p.cq_entries = 64;
	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));
}

FIXTURE_TEARDOWN(rings)
{
	close(self->fd);
}

static void *map_queue(int fd, size_t size, unsigned int q, int prot)
{
	return mmap(NULL, size, prot, MAP_SHARED, fd, PEL_QUEUE_MMAP_OFFSET(q));
}

#define U32_AT(base, off) (*(volatile uint32_t *)((char *)(base) + (off)))

TEST_F(rings, layout)
{
	const struct pel_queue_offsets *o = &self->p.off;
	unsigned int q;
	int seen_cpu[1024] = { 0 };

	for (q = 0; q < self->p.nr_queues; q++) {
		void *m = map_queue(self->fd, self->p.queue_map_size, q,
				    PROT_READ | PROT_WRITE);
		unsigned int cpu;

		ASSERT_NE(MAP_FAILED, m) TH_LOG("queue %u: %s", q, strerror(errno));
		EXPECT_EQ(15, U32_AT(m, o->sq_mask));
		EXPECT_EQ(16, U32_AT(m, o->sq_entries));
		EXPECT_EQ(63, U32_AT(m, o->cq_mask));
		EXPECT_EQ(64, U32_AT(m, o->cq_entries));
		EXPECT_EQ(0, U32_AT(m, o->sq_head));
		EXPECT_EQ(0, U32_AT(m, o->sq_tail));
		EXPECT_EQ(0, U32_AT(m, o->cq_head));
		EXPECT_EQ(0, U32_AT(m, o->cq_tail));
		/* Nobody polls a queue that was never used. */
		EXPECT_EQ(PEL_SQ_NEED_WAKEUP, U32_AT(m, o->sq_flags));
		cpu = U32_AT(m, o->cpu);
		ASSERT_GT(1024, cpu);
		EXPECT_EQ(0, seen_cpu[cpu]) TH_LOG("two queues on cpu %u", cpu);
		seen_cpu[cpu] = 1;
		/* Kernel- and user-written indices do not share a cache line. */
		EXPECT_LE(64, abs((int)o->sq_tail - (int)o->sq_head));
		EXPECT_LE(64, abs((int)o->cq_tail - (int)o->cq_head));
		EXPECT_EQ(0, munmap(m, self->p.queue_map_size));
	}
}

TEST_F(rings, bad_maps)
{
	size_t sz = self->p.queue_map_size;

	/* past the last queue */
	EXPECT_EQ(MAP_FAILED, map_queue(self->fd, sz, self->p.nr_queues,
					PROT_READ | PROT_WRITE));
	EXPECT_EQ(EINVAL, errno);
	/* not at a queue's start */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, sz, PROT_READ, MAP_SHARED, self->fd,
				   self->pg));
	EXPECT_EQ(EINVAL, errno);
	/* wrong size, either way */
	EXPECT_EQ(MAP_FAILED, map_queue(self->fd, sz - self->pg, 0, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_queue(self->fd, sz + self->pg, 0, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	/* never executable */
	EXPECT_EQ(MAP_FAILED, map_queue(self->fd, sz, 0, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EPERM, errno);
}

/* Shared only, and VM_DONTCOPY cannot be undone with MADV_DOFORK. */
TEST_F(rings, private_and_dofork_refused)
{
	void *m;

	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->p.queue_map_size, PROT_READ,
				   MAP_PRIVATE, self->fd, PEL_QUEUE_MMAP_OFFSET(0)));
	EXPECT_EQ(EINVAL, errno);

	m = map_queue(self->fd, self->p.queue_map_size, 0, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(-1, madvise(m, self->p.queue_map_size, MADV_DOFORK));
	EXPECT_EQ(EINVAL, errno);
	munmap(m, self->p.queue_map_size);
}

TEST_F(rings, no_mprotect_exec)
{
	void *m = map_queue(self->fd, self->p.queue_map_size, 0, PROT_READ);

	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(-1, mprotect(m, self->p.queue_map_size, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(m, self->p.queue_map_size);
}

TEST(map_before_setup)
{
	int fd = pel_test_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(ENXIO, errno);
	close(fd);
}

/*
 * A child of fork() gets neither the mappings (VM_DONTCOPY) nor the right
 * to drive the context from its own mm.
 */
TEST_F(rings, fork_child_refused)
{
	volatile uint32_t *hdr;
	int status;
	pid_t pid;

	hdr = map_queue(self->fd, self->p.queue_map_size, 0,
			PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, hdr);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pel_enter e = { .flags = PEL_ENTER_WAKE, .queue = PEL_QUEUE_ALL };
		void *m;

		if (pel_test_enter(self->fd, &e) != -EPERM)
			_exit(10);
		m = map_queue(self->fd, self->p.queue_map_size, 0, PROT_READ);
		if (m != MAP_FAILED || errno != EPERM)
			_exit(11);
		/* The parent's mapping is not in this address space. */
		signal(SIGSEGV, SIG_DFL);
		(void)hdr[0];
		_exit(12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child exit %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	munmap((void *)hdr, self->p.queue_map_size);
}

/* The ring pages outlive the fd: a mapping keeps them. */
TEST_F(rings, mapping_outlives_close)
{
	volatile uint32_t *m = map_queue(self->fd, self->p.queue_map_size, 0,
					 PROT_READ | PROT_WRITE);

	ASSERT_NE(MAP_FAILED, m);
	close(self->fd);
	self->fd = pel_test_open();
	EXPECT_EQ(16, U32_AT(m, self->p.off.sq_entries));
	U32_AT(m, self->p.off.sq_tail) = 1;
	EXPECT_EQ(1, U32_AT(m, self->p.off.sq_tail));
	EXPECT_EQ(0, munmap((void *)m, self->p.queue_map_size));
}

TEST_HARNESS_MAIN
